"""Load test: concurrent users working the dashboards, plus pages opened and abandoned without unload.

    .venv/bin/python benchmarks/load_test.py [--users 20] [--abandoned 100] [--duration 300] [--cap N]
                                             [--pool 2] [--changes 8] [--after 150]

Starts the server as ``make run`` does (``python -m calc serve``: deploy/voila.py, the deployed culling: 60 s idle,
checked every 10 s, and any page kernel with no page connected for 60 s, busy or not), with ``--cap`` page kernels
at most (DASH_MAX_KERNELS; default: the server's own, from the memory), and drives it over HTTP and the kernel websocket protocol (what the pages' front-end speaks), not a
browser, so that 20 users fit on two cores:

* **users** (``--users``, started over the first 20 s): each opens a dashboard (enterprise, consortium, budget in
  turn: GET the page, connect to its kernel, fetch every widget's state through ipywidgets' control comm), types
  ``--changes`` values into a field one to three seconds apart (R&D on the estimator, the lead unit's revenue on
  the consortium checker, the R&D step subsidy's cap on the budget page), then closes the page as a browser does
  (the unload beacon to Voila's shutdown handler) and opens the next, until ``--duration`` s have passed.  A
  *reaction* is timed from sending the new value to the kernel reporting idle for it; it must have updated the
  field's "= …元" echo and raised no error.  A page answered 503 is counted as **busy** (the cap at work), and
  the user tries again after 5 s.
* **abandoned pages** (``--abandoned``, one every 1.2 s from the start): half fetched by a script that never
  connects, half connected then cut off (the TCP connection dropped, no close frame, no beacon: a crashed tab).
  Their kernels must be culled: the run waits up to ``--after`` s after the last one for the kernel count to come
  back to the pools' size.

Every 2 s the resident memory of the server and of every kernel (its child processes) is read from /proc.
**Errors** (must be 0): a page that is neither 200 nor 503, a kernel that cannot be reached, a reaction that
raises, times out (30 s) or does not update its field, an ERROR in the server's log.  Printed: memory over time,
the counts, reaction times (median, p95, worst) and page-open times.  A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from processes import children, free_port, rss_mb  # noqa: E402 - shared with the tests
# the page's side of a kernel's websocket, as the operations tests drive it
from ops_server import KernelClient, kernel_id_of, widget_with_class  # noqa: E402
# page → (the field typed into: a DOM class of its Text widget, its echo's class, the values typed, in turn)
PAGES = {
    "enterprise.ipynb": ("w-f-rd_expense", "w-shown-rd_expense", ["1,234.56万", "2,500万", "800万", "3,100万"]),
    "consortium.ipynb": ("w-f-lead_revenue", "w-shown-lead_revenue", ["3.2亿", "6亿", "4.5亿", "8,000万"]),
    "budget.ipynb": ("w-p-xiamen_sti_measures-rd_step_subsidy-cap", "w-shown-xiamen_sti_measures-rd_step_subsidy-cap",
                     ["300万", "400万", "250万", "350万"]),
}
REACTION_TIMEOUT = 30.0


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Stats:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.reactions: list[float] = []
        self.opens: list[float] = []
        self.pages_opened = 0
        self.busy_users = 0
        self.busy_abandoned = 0
        self.abandoned_admitted = 0
        self.errors: list[str] = []
        self.memory: list[tuple[float, float, int, float, float]] = []  # t, total MB, kernels, largest, available
        self.last_abandoned = 0.0
        self.abandoned_at: dict[str, float] = {}  # kernel id → when its page was abandoned
        self.culled_after: list[float] = []  # seconds from abandonment to the kernel gone (404)

    def error(self, text: str) -> None:
        self.errors.append(f"{time.monotonic() - self.t0:6.1f} s {text}")


def fetch_url(url: str, opener=None, data: bytes | None = None):
    """Status, headers and body (an HTTP error status too); ``opener`` keeps a visitor's cookies."""
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=180) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


async def shutdown_beacon(base: str, kernel_id: str, opener, jar) -> None:
    """What a page does when closed: POST to Voila's shutdown handler with the _xsrf cookie's value (set when
    the page was served)."""
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
    body = urllib.parse.urlencode({"_xsrf": xsrf}).encode()
    status, _, text = await asyncio.to_thread(fetch_url, f"{base}/voila/api/shutdown/{kernel_id}", opener, body)
    if status not in (200, 204, 404):
        raise RuntimeError(f"the shutdown beacon was answered {status}: {text[:200]}")


async def user(n: int, base: str, stats: Stats, args, stop_at: float) -> None:
    names = list(PAGES)
    rng = random.Random(n)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    await asyncio.sleep(n * 20 / max(args.users, 1))
    visit = n
    while time.monotonic() < stop_at:
        name = names[visit % len(names)]
        visit += 1
        field, echo, values = PAGES[name]
        t = time.monotonic()
        status, headers, html = await asyncio.to_thread(fetch_url, f"{base}/voila/render/{name}", opener)
        if status == 503:
            stats.busy_users += 1
            await asyncio.sleep(5)
            continue
        if status != 200:
            stats.error(f"user {n}: {name} answered {status}")
            continue
        try:
            kernel_id = kernel_id_of(html)
            async with KernelClient(base, kernel_id) as k:
                states = await k.states()
                stats.opens.append(time.monotonic() - t)
                stats.pages_opened += 1
                comm_id, echo_id = widget_with_class(states, field), widget_with_class(states, echo)
                for i in range(args.changes):
                    if time.monotonic() > stop_at:
                        break
                    await asyncio.sleep(rng.uniform(1, 3))
                    value = values[(i + n) % len(values)]
                    sent = time.monotonic()
                    msg_id = await k.set_value(comm_id, value)
                    try:
                        got = await k.until_state(msg_id, "idle", REACTION_TIMEOUT)
                    except asyncio.TimeoutError:
                        stats.error(f"user {n}: {name} {value!r}: no reaction within {REACTION_TIMEOUT:.0f} s")
                        break
                    took = time.monotonic() - sent
                    bad = [m for m in got if m["msg_type"] == "error" or (
                        m["msg_type"] == "stream" and "Traceback" in m["content"].get("text", ""))]
                    # the field's echo reads the value back, e.g. "= 1,234.56万元"
                    echoed = [m for m in got if m["msg_type"] == "comm_msg"
                              and m["content"].get("comm_id") == echo_id
                              and f"= {value}元" in str(m["content"].get("data", {}).get("state", {}).get("value"))]
                    if bad:
                        stats.error(f"user {n}: {name} {value!r}: {bad[0]['content']}"[:300])
                    elif not echoed:
                        stats.error(f"user {n}: {name} {value!r}: the field's echo did not read it back")
                    else:
                        stats.reactions.append(took)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the run goes on
            stats.error(f"user {n}: {name}: {type(exc).__name__}: {exc}"[:300])
            continue
        try:
            await shutdown_beacon(base, kernel_id, opener, jar)
        except Exception as exc:  # noqa: BLE001
            stats.error(f"user {n}: {name}: {exc}"[:300])
        await asyncio.sleep(rng.uniform(1, 3))


async def abandon(i: int, base: str, stats: Stats) -> None:
    name = list(PAGES)[i % 3] if i % 5 else "index.ipynb"
    status, _, html = await asyncio.to_thread(fetch_url, f"{base}/voila/render/{name}")
    stats.last_abandoned = time.monotonic()
    if status == 503:
        stats.busy_abandoned += 1
        return
    if status != 200:
        stats.error(f"abandoned page {i}: {name} answered {status}")
        return
    stats.abandoned_admitted += 1
    if i % 2:
        stats.abandoned_at[kernel_id_of(html)] = time.monotonic()
        return  # a script: fetched the page, never connected
    try:
        k = await KernelClient(base, kernel_id_of(html)).connect()
        await k.states()
        k.cut()  # the connection cut: no close frame, no beacon
        stats.abandoned_at[kernel_id_of(html)] = time.monotonic()
    except Exception as exc:  # noqa: BLE001
        stats.error(f"abandoned page {i}: {type(exc).__name__}: {exc}"[:300])


async def sample(server_pid: int, stats: Stats, until, base: str) -> None:
    while not until():
        for kernel_id, at in list(stats.abandoned_at.items()):
            status, _, _ = await asyncio.to_thread(fetch_url, f"{base}/api/kernels/{kernel_id}")
            if status == 404:
                stats.culled_after.append(time.monotonic() - at)
                del stats.abandoned_at[kernel_id]
        kernels = {k: rss_mb(k) for k in children(server_pid)}
        stats.memory.append((time.monotonic() - stats.t0, rss_mb(server_pid) + sum(kernels.values()), len(kernels),
                             max(kernels.values(), default=0.0), mem_available_mb()))
        await asyncio.sleep(2)


async def run(args, base: str, server: subprocess.Popen, pooled: int) -> Stats:
    asyncio.get_running_loop().set_default_executor(concurrent.futures.ThreadPoolExecutor(160))
    stats = Stats()
    done = {"flag": False}
    sampler = asyncio.create_task(sample(server.pid, stats, lambda: done["flag"], base))
    stop_at = stats.t0 + args.duration
    users = [asyncio.create_task(user(n, base, stats, args, stop_at)) for n in range(args.users)]
    abandoned = []
    for i in range(args.abandoned):
        abandoned.append(asyncio.create_task(abandon(i, base, stats)))
        await asyncio.sleep(1.2)
    await asyncio.gather(*abandoned)
    await asyncio.gather(*users)
    # the abandoned pages' kernels: culled?
    end = stats.last_abandoned + args.after
    while time.monotonic() < end and (len(children(server.pid)) > pooled or stats.abandoned_at):
        await asyncio.sleep(2)
    stats.back_to_pool = (time.monotonic() - stats.last_abandoned, len(children(server.pid)))
    await asyncio.sleep(2)
    done["flag"] = True
    await sampler
    return stats


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--abandoned", type=int, default=100)
    ap.add_argument("--duration", type=float, default=300, help="seconds the users keep working")
    ap.add_argument("--cap", type=int, default=0, help="DASH_MAX_KERNELS (0: the server's default, from the memory)")
    ap.add_argument("--pool", type=int, default=2, help="DASH_POOL")
    ap.add_argument("--changes", type=int, default=8, help="values typed per page visit")
    ap.add_argument("--after", type=float, default=150, help="seconds to wait for the abandoned kernels' cull")
    ap.add_argument("--cull-idle", type=int, default=0, help="DASH_CULL_IDLE (0: the deployed 60 s)")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DASH_POOL=str(args.pool))
    if args.cap:
        env["DASH_MAX_KERNELS"] = str(args.cap)
    if args.cull_idle:
        env["DASH_CULL_IDLE"] = str(args.cull_idle)
    log_path = Path("/tmp/load_test_voila.log")
    log = open(log_path, "w")
    server = subprocess.Popen([sys.executable, "-m", "calc", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pooled = 3 * args.pool + 2
    try:
        t0 = time.monotonic()
        while log_path.read_text().count("is filled with") < 5:
            if server.poll() is not None or time.monotonic() - t0 > 300:
                raise SystemExit(f"the server did not start: see {log_path}")
            time.sleep(0.5)
        time.sleep(20)  # the notebooks run in the pooled kernels
        idle = rss_mb(server.pid) + sum(rss_mb(k) for k in children(server.pid))
        print(f"server up after {time.monotonic() - t0:.0f} s; idle: {len(children(server.pid))} pooled kernels, "
              f"server + kernels {idle:.0f} MB; cap {args.cap or 'from the memory'}; machine: "
              f"{os.cpu_count()} CPUs, {mem_available_mb():.0f} MB available", flush=True)
        stats = asyncio.run(run(args, base, server, pooled))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    server_log = log_path.read_text(errors="replace")
    server_errors = [line for line in server_log.splitlines() if "ERROR" in line]
    cap = re.search(r"\[dash\] at most (\d+) page kernels", server_log)
    for line in server_errors[:5]:
        stats.error("server log: " + line[:300])

    print("\nmemory over time (server + kernels, resident):")
    print("     t   total MB  kernels  largest kernel MB  machine available MB")
    step = max(1, len(stats.memory) // 40)
    for t, total, n, largest, avail in stats.memory[::step]:
        print(f"{t:6.0f}   {total:8.0f}  {n:7d}  {largest:17.0f}  {avail:20.0f}")
    peak = max(stats.memory, key=lambda m: m[1])
    print(f"peak: {peak[1]:.0f} MB with {peak[2]} kernels at {peak[0]:.0f} s; largest kernel seen "
          f"{max(m[3] for m in stats.memory):.0f} MB")
    after, left = stats.back_to_pool
    print(f"after the last abandoned page: {left} kernels (the pools: {pooled}) {after:.0f} s later")
    idle_culled = len(re.findall(r"Culling 'idle' kernel .* with 0 connections", server_log))
    alone = re.findall(r"Culling '(\w+)' kernel .*: no page connected for", server_log)
    print(f"culled: {idle_culled} idle with no connection (jupyter_server's culler); {len(alone)} with no page "
          f"connected for DASH_CULL_UNCONNECTED s ({sum(a == 'busy' for a in alone)} of them busy); "
          f"cap: {cap.group(1) if cap else '?'} page kernels")
    c = stats.culled_after
    if c:
        print(f"abandoned pages' kernels culled: {len(c)} of {stats.abandoned_admitted}, after median {statistics.median(c):.0f} s, "
              f"worst {max(c):.0f} s (checked every 2 s)")
    for kernel_id in stats.abandoned_at:
        stats.error(f"abandoned page's kernel {kernel_id} still running at the end")
    print(f"\nusers: {args.users}; pages opened {stats.pages_opened}; busy (503) {stats.busy_users}")
    print(f"abandoned: {args.abandoned}; admitted {stats.abandoned_admitted}; busy (503) {stats.busy_abandoned}")
    if stats.reactions:
        r = stats.reactions
        print(f"reactions: n = {len(r)}, median {statistics.median(r) * 1000:.0f} ms, p95 {pct(r, 0.95) * 1000:.0f} ms, "
              f"worst {max(r) * 1000:.0f} ms")
    if stats.opens:
        o = stats.opens
        print(f"page open (HTML + kernel connected + every widget's state): n = {len(o)}, median "
              f"{statistics.median(o):.2f} s, p95 {pct(o, 0.95):.2f} s, worst {max(o):.2f} s")
    print(f"errors: {len(stats.errors)}")
    for e in stats.errors[:20]:
        print("  " + e)
    sys.exit(1 if stats.errors else 0)


if __name__ == "__main__":
    main()
