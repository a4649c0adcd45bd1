"""A dashboards server for the operations tests (tests/test_serve_ops.py, tests/test_browser_ops.py): started as
``python -m calc serve`` on a free port with DASH_* settings of the test's choosing, its log kept for asserts; and
a page's side of its kernel's websocket (``KernelClient``), which benchmarks/load_test.py drives too."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from processes import free_port, running

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


class Server:
    def __init__(self, name: str, **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}.log"
        self._log = open(self.log_path, "w")
        env = dict(os.environ, **settings)
        self.proc = subprocess.Popen([sys.executable, "-m", "calc", "serve", "--port", str(self.port)], cwd=ROOT,
                                     env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, pools: tuple[str, ...] = (), timeout: float = 180) -> None:
        """Until the server answers and the named notebooks' pools are filled."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200 and all(f"Kernel pool of {nb} is filled" in self.log() for nb in pools):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (see {self.log_path})")
            time.sleep(0.5)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, dict, str]:
        """Status, headers and body of a GET (an HTTP error status too, not an exception)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=120) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")

    def kernel(self, kernel_id: str) -> dict | None:
        """The kernel's model (with its ``connections``), None once it is gone (404)."""
        status, _, body = self.get(f"/api/kernels/{kernel_id}")
        if status == 404:
            return None
        assert status == 200, (status, body[:300])
        return json.loads(body)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


def kernel_id_of(html: str) -> str:
    """The kernel a rendered page was given (Voila's jupyter-config-data)."""
    found = re.search(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>', html, re.S)
    if not found:
        raise ValueError(f"no kernel in the page: {html[:500]}")
    return json.loads(found.group(1))["kernelId"]


def kernel_processes(kernel_id: str) -> list[int]:
    """Processes of this machine running that kernel (its connection file, kernel-<id>.json, on the command line)."""
    return running(f"kernel-{kernel_id}.json".encode())


def wait_until(check, timeout: float, step: float = 0.25):
    """Poll ``check()`` until it returns something true; return (value, seconds taken) or raise AssertionError."""
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)


class KernelClient:
    """A page's side of its kernel's websocket, as the dashboards' front-end speaks it (Jupyter's JSON messages;
    binary frames decoded): every widget's state through ipywidgets' control comm, a widget's value set."""

    def __init__(self, base: str, kernel_id: str):
        """``base``: the server's address, ``http://HOST:PORT`` (``Server.url``)."""
        self.url = base.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        self.session = uuid.uuid4().hex
        self.ws = None

    async def connect(self) -> KernelClient:
        import websockets

        self.ws = await websockets.connect(self.url, max_size=64 * 1024 * 1024, ping_interval=None, open_timeout=60)
        return self

    async def __aenter__(self) -> KernelClient:
        return await self.connect()

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg_id = uuid.uuid4().hex
        await self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session, "username": "test",
                       "date": dt.datetime.now(dt.timezone.utc).isoformat(), "version": "5.3"},
            "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": []}))
        return msg_id

    async def recv(self, timeout: float) -> dict:
        from jupyter_server.services.kernels.connection.base import deserialize_binary_message

        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        return deserialize_binary_message(raw) if isinstance(raw, bytes) else json.loads(raw)

    async def until_state(self, msg_id: str, state: str, timeout: float) -> list[dict]:
        """The messages caused by ``msg_id`` until the kernel reports ``state`` ("busy", "idle") for it."""
        got, end = [], time.monotonic() + timeout
        while True:
            msg = await self.recv(max(0.01, end - time.monotonic()))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            got.append(msg)
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == state:
                return got

    async def states(self) -> dict:
        """Every widget's state (ipywidgets 8's control comm: one request, one reply)."""
        comm_id = uuid.uuid4().hex
        await self.send("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                        {"version": "1.0.0"})
        msg_id = await self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        for msg in await self.until_state(msg_id, "idle", 60):
            data = msg.get("content", {}).get("data", {})
            if msg["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                return data["states"]
        raise AssertionError("no widget state from the kernel")

    async def set_value(self, model_id: str, value: object) -> str:
        """What a browser sends when a field is typed into: the widget's new value (its callbacks run)."""
        return await self.send("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": {"value": value}, "buffer_paths": []}})

    def cut(self) -> None:
        """The connection dropped: no close frame, no unload beacon (a crashed tab)."""
        self.ws.transport.abort()


def widget_with_class(states: dict, dom_class: str) -> str:
    """The model id of the widget carrying ``dom_class`` (e.g. a field's ``w-f-rd_expense``)."""
    for model_id, model in states.items():
        if dom_class in (model.get("state", {}).get("_dom_classes") or ()):
            return model_id
    raise KeyError(dom_class)
