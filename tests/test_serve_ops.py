"""The server bounded under abuse, over HTTP and websockets (no browser): the cap on page kernels and its busy page,
a client gone silent dropped and its kernel culled, a busy kernel whose page went away culled too, an open page
never culled, and the settings checked before anything starts.  The culling times are shortened here (DASH_CULL_IDLE, DASH_WS_*); the deployed values are
checked in tests/test_deploy_config.py, and a browser killed without unload in tests/test_browser_ops.py."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time

import pytest
from ops_server import ROOT, KernelClient, Server, kernel_id_of, kernel_processes, wait_until, widget_with_class

from calc import serve

IDLE, INTERVAL, PING, PING_TIMEOUT = 10, 2, 1, 3  # seconds, for this server only
UNCONNECTED = 25  # seconds a page kernel may run with no page connected, busy or not
CAP = 2


@pytest.fixture(scope="module")
def server():
    # CALC_DASHBOARDS_FAULT: a field set to "!slow!" keeps its callback (and so the kernel) busy for 10 minutes
    s = Server("serve_ops", DASH_POOL="1", DASH_MAX_KERNELS=str(CAP), DASH_CULL_IDLE=str(IDLE),
               DASH_CULL_INTERVAL=str(INTERVAL), DASH_WS_PING=str(PING), DASH_WS_TIMEOUT=str(PING_TIMEOUT),
               DASH_CULL_UNCONNECTED=str(UNCONNECTED), CALC_DASHBOARDS_FAULT="1")
    try:
        s.wait_ready(pools=("enterprise.ipynb", "consortium.ipynb", "index.ipynb"))
        yield s
    finally:
        s.stop()


def no_page_kernels(server: Server, ids) -> bool:
    return all(server.kernel(k) is None for k in ids)


def test_beyond_the_cap_a_busy_page_with_503_then_a_place_again(server):
    started = time.monotonic()
    first = server.get("/voila/render/enterprise.ipynb")
    second = server.get("/voila/render/consortium.ipynb")
    assert first[0] == 200 and second[0] == 200
    ids = [kernel_id_of(first[2]), kernel_id_of(second[2])]
    # every kernel runs without IPython's shared history database (calc.jupyter_patch.KERNEL_ARGUMENTS)
    for k in ids:
        assert all(b"--HistoryManager.enabled=False" in open(f"/proc/{pid}/cmdline", "rb").read()
                   for pid in kernel_processes(k))
    # the cap (2) is reached: the third page is refused at once, in both languages, with Retry-After
    t = time.monotonic()
    status, headers, body = server.get("/voila/render/index.ipynb")
    refused_in = time.monotonic() - t
    assert time.monotonic() - started < IDLE, "too slow to test the cap before the cull (a loaded machine)"
    assert status == 503
    assert headers["Retry-After"] == "30" and headers["Content-Type"].startswith("text/html")
    assert "服务器繁忙，请稍后再试" in body and "The server is busy: please try again in a moment" in body
    assert "Traceback" not in body and "jupyter-config-data" not in body  # no kernel was given
    assert refused_in < 10  # not a hang (a generous bound: no timing claim, a hang would be 60 s and more)
    assert "Busy: 2 of 2 page kernels in use; /voila/render/index.ipynb answered 503" in server.log()
    # the two pages were fetched by a script that never connected: their kernels are culled (IDLE + INTERVAL)
    wait_until(lambda: no_page_kernels(server, ids), timeout=IDLE + 2 * INTERVAL + 20)
    assert all(kernel_processes(k) == [] for k in ids)
    # and a page is served again
    status, _, body = server.get("/voila/render/index.ipynb")
    assert status == 200 and "jupyter-config-data" in body
    wait_until(lambda: no_page_kernels(server, [kernel_id_of(body)]), timeout=IDLE + 2 * INTERVAL + 20)


def _raw_websocket(server: Server, kernel_id: str) -> socket.socket:
    """A websocket to the kernel opened by hand, which will never read or answer anything (a network gone)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api/kernels/{kernel_id}/channels?session_id=silent HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(1)
    assert reply.startswith(b"HTTP/1.1 101"), reply
    return sock


def test_a_client_gone_silent_is_dropped_and_its_kernel_culled(server):
    status, _, body = server.get("/voila/render/index.ipynb")
    assert status == 200
    kernel_id = kernel_id_of(body)
    sock = _raw_websocket(server, kernel_id)
    try:
        wait_until(lambda: (server.kernel(kernel_id) or {}).get("connections") == 1, timeout=30)
        # no pong ever comes back: the server drops the socket after PING_TIMEOUT (+ one ping interval) …
        _, dropped_after = wait_until(lambda: (server.kernel(kernel_id) or {}).get("connections") == 0,
                                      timeout=PING_TIMEOUT + PING + 10)
        assert "WebSocket ping timeout" in server.log()
        # … and the kernel, with no connection left, is culled
        _, culled_after = wait_until(lambda: server.kernel(kernel_id) is None, timeout=IDLE + 2 * INTERVAL + 20)
        assert kernel_processes(kernel_id) == []
        assert f"({kernel_id}) with 0 connections due to" in server.log()
    finally:
        sock.close()


def test_an_open_page_is_never_culled(server):
    """A page still connected (its socket answers pings) keeps its kernel however long it stays idle."""
    import websockets

    status, _, body = server.get("/voila/render/index.ipynb")
    kernel_id = kernel_id_of(body)

    async def stay_open(seconds: float) -> None:
        url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id=reader"
        async with websockets.connect(url, ping_interval=None) as ws:  # answers the server's pings, sends none
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    await asyncio.wait_for(ws.recv(), timeout=1)
                except asyncio.TimeoutError:
                    pass
            assert server.kernel(kernel_id)["connections"] == 1

    asyncio.run(stay_open(IDLE + 3 * INTERVAL))  # longer than the idle time and several culler passes
    assert server.kernel(kernel_id) is not None and kernel_processes(kernel_id)
    # closed now: culled like any other
    wait_until(lambda: server.kernel(kernel_id) is None, timeout=IDLE + 2 * INTERVAL + 20)


def test_a_busy_kernel_whose_page_went_away_is_culled(server):
    """A page whose kernel is busy in a long callback, cut off without a close frame or an unload beacon: the
    idle culler spares a busy kernel (cull_busy False), so the kernel is shut down because no page has been
    connected for UNCONNECTED s (calc.serve.cull_unconnected); its processes are gone, and nothing is
    logged as an error."""
    status, _, body = server.get("/voila/render/enterprise.ipynb")
    assert status == 200
    kernel_id = kernel_id_of(body)

    async def busy_then_cut() -> None:
        k = await KernelClient(server.url, kernel_id).connect()
        field = widget_with_class(await k.states(), "w-f-rd_expense")
        await k.until_state(await k.set_value(field, "!slow!"), "busy", 60)
        k.cut()

    asyncio.run(busy_then_cut())
    # the server sees the socket close; the kernel stays busy (its callback sleeps for 10 minutes) …
    wait_until(lambda: (server.kernel(kernel_id) or {}).get("connections") == 0, timeout=30)
    assert server.kernel(kernel_id)["execution_state"] == "busy"
    # … past the idle time and two culler passes, which spare it: it is not idle …
    time.sleep(IDLE + 2 * INTERVAL)  # 14 s < UNCONNECTED
    model = server.kernel(kernel_id)
    assert model is not None and model["execution_state"] == "busy" and kernel_processes(kernel_id)
    # … until it has had no page for UNCONNECTED s (+ one pass, + its shutdown)
    wait_until(lambda: server.kernel(kernel_id) is None, timeout=UNCONNECTED + 2 * INTERVAL + 30)
    wait_until(lambda: kernel_processes(kernel_id) == [], timeout=30)
    log = server.log()
    assert f"Culling 'busy' kernel 'python3' ({kernel_id}): no page connected for" in log
    assert "While culling kernel" not in log
    lines = log.splitlines()
    errors = [i for i, line in enumerate(lines) if "ERROR" in line]
    assert not errors, "\n".join(lines[errors[0]:errors[0] + 40])  # with its traceback, to be read when it fails


def test_the_deployed_bound_for_a_kernel_without_its_page_is_about_two_minutes():
    """deploy/voila.py reads these settings' defaults: a page gone silently is found dead after at most the ping
    interval + the pong timeout; its kernel, busy or not, is shut down at the first culler pass after
    DASH_CULL_UNCONNECTED s without a page."""
    default = {name: spec[0] for name, spec in serve.SETTINGS.items()}
    found_dead = default["DASH_WS_PING"] + default["DASH_WS_TIMEOUT"]  # 10 + 30 s
    assert found_dead + default["DASH_CULL_UNCONNECTED"] + default["DASH_CULL_INTERVAL"] <= 120  # 40 + 60 + 10
    # the idle culler's own time is not longer
    assert default["DASH_CULL_IDLE"] <= default["DASH_CULL_UNCONNECTED"]


@pytest.mark.parametrize("args,env,message", [
    (["--max-kernels", "0"], {}, "error: --max-kernels (kernels serving pages at once) wants a whole number from 1 "
                                 "to 100,000, got '0'"),
    (["--cull-idle", "soon"], {}, "error: --cull-idle (seconds a kernel with no page connected may stay idle) wants "
                                  "a whole number from 5 to 86,400, got 'soon'"),
    ([], {"DASH_WS_TIMEOUT": "1"}, "error: DASH_WS_TIMEOUT (seconds without a pong before a websocket counts as "
                                   "gone) wants a whole number from 2 to 3,600, got '1'"),
])
def test_bad_bounds_are_refused_before_anything_starts(args, env, message):
    run = subprocess.run([sys.executable, "-m", "calc", "serve", "--port", "1", *args], cwd=ROOT,
                         env=dict(os.environ, **env), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == message
    assert "Traceback" not in run.stderr and run.stdout == ""
