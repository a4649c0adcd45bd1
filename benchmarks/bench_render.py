"""First render of each dashboard, 50 times in a row, in Debian's chromium; then 5 sessions at once and memory.

    .venv/bin/python benchmarks/bench_render.py [--renders 50] [--gap 6] [--pool 2] [--only enterprise,budget]

Voila is started as `make run` starts it (deploy/voila.py: preheated kernel pools, the stall workaround),
with idle kernels culled after 20 s so that 200 page loads do not leave 200 kernels behind.  Each render is a
new browser context (cold cache), timed from navigation to the dashboard's own content being drawn:
the totals (enterprise), the matrix (consortium), the links (index), a chart (analyst).  A render that takes
over 30 s counts as a stall.  Renders are ``--gap`` seconds apart: 6 s lets the pool's replacement kernel
(started ``DASH_FILL_DELAY`` = 3 s after a page takes one) start and run its notebook between two visitors;
``--gap 1`` measures back-to-back visitors, each render competing with the previous one's refill.  Then
five sessions are opened at once and the resident memory of the server and of each kernel is read from
/proc.  A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
READY = {
    "index.ipynb": ".landing-link",
    "enterprise.ipynb": ".w-total-all .dash-card-value",
    "consortium.ipynb": ".w-matrix .mx-cell",
    "budget.ipynb": ".w-b-reform .dash-card-value",
    "analyst.ipynb": ".dash-chart .js-plotly-plot",
}
STALL = 30.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--renders", type=int, default=50)
    ap.add_argument("--gap", type=float, default=6.0, help="seconds between two renders")
    ap.add_argument("--pool", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated parts of notebook names")
    ap.add_argument("--warm", type=int, default=10, help="renders with Voila's scripts cached")
    args = ap.parse_args()
    port = free_port()
    log = open("/tmp/bench_render_voila.log", "w")
    env = dict(os.environ, DASH_PORT=str(port), DASH_POOL=str(args.pool), DASH_CULL_IDLE="20", DASH_CULL_INTERVAL="10")
    server = subprocess.Popen([str(Path(sys.executable).parent / "voila"), "notebooks", "--Voila.config_file_paths=deploy",
                               f"--Voila.port={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        print(f"Voila listening after {time.perf_counter() - t0:.1f} s")
        while Path(log.name).read_text().count("is filled with") < 4:
            time.sleep(0.5)
        print(f"kernel pools started after {time.perf_counter() - t0:.1f} s")
        time.sleep(30)  # the notebooks run in the pooled kernels
        idle = rss_mb(server.pid), [rss_mb(k) for k in children(server.pid)]
        print(f"idle: server {idle[0]:.0f} MB, {len(idle[1])} pooled kernels {sum(idle[1]):.0f} MB "
              f"(median {statistics.median(idle[1]):.0f} MB each)")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            for name, selector in READY.items():
                if args.only and not any(part in name for part in args.only.split(",")):
                    continue
                times, html, stalls = [], [], 0
                for _ in range(args.renders):
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = ctx.new_page()
                    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                        ("http://127.0.0.1", "data:", "blob:")) else r.abort())
                    t = time.perf_counter()
                    page.goto(f"{base}/voila/render/{name}", wait_until="commit", timeout=120_000)
                    html.append(time.perf_counter() - t)
                    try:
                        page.locator(selector).first.wait_for(timeout=STALL * 1000)
                        times.append(time.perf_counter() - t)
                    except Exception:  # noqa: BLE001
                        stalls += 1
                        times.append(STALL)
                    ctx.close()
                    time.sleep(args.gap)
                print(f"{name:18s} first render (new browser profile): median {statistics.median(times):.2f} s, "
                      f"worst {max(times):.2f} s, stalls {stalls}/{args.renders}; page HTML median "
                      f"{statistics.median(html):.2f} s, worst {max(html):.2f} s", flush=True)
                if not args.warm:
                    continue
                # the same, for a returning visitor (the browser has Voila's scripts cached)
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                page.goto(f"{base}/voila/render/{name}", wait_until="commit", timeout=120_000)
                page.locator(selector).first.wait_for(timeout=120_000)
                warm, stalls = [], 0
                for _ in range(args.warm):
                    t = time.perf_counter()
                    page.goto(f"{base}/voila/render/{name}", wait_until="commit", timeout=120_000)
                    try:
                        page.locator(selector).first.wait_for(timeout=STALL * 1000)
                        warm.append(time.perf_counter() - t)
                    except Exception:  # noqa: BLE001
                        stalls += 1
                        warm.append(STALL)
                    time.sleep(args.gap)
                ctx.close()
                print(f"{name:18s} first render (cached scripts):    median {statistics.median(warm):.2f} s, "
                      f"worst {max(warm):.2f} s, stalls {stalls}/{args.warm}", flush=True)
            # five sessions at once
            time.sleep(25)  # the rendered pages' kernels are culled
            before = rss_mb(server.pid), {k: rss_mb(k) for k in children(server.pid)}
            pages = []
            names = ["enterprise.ipynb", "consortium.ipynb", "budget.ipynb", "consortium.ipynb", "enterprise.ipynb"]
            t = time.perf_counter()
            for name in names:
                ctx = browser.new_context()
                page = ctx.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(f"{base}/voila/render/{name}", wait_until="commit")
                pages.append((ctx, page, name, errors))
            for ctx, page, name, errors in pages:
                page.locator(READY[name]).first.wait_for(timeout=120_000)
            print(f"5 sessions at once: all drawn after {time.perf_counter() - t:.1f} s; "
                  f"page errors: {sum(len(e) for *_, e in pages)}")
            time.sleep(5)
            after = rss_mb(server.pid), {k: rss_mb(k) for k in children(server.pid)}
            new = [v for k, v in after[1].items() if k not in before[1]]
            total_before = before[0] + sum(before[1].values())
            total_after = after[0] + sum(after[1].values())
            print(f"memory: server {before[0]:.0f} → {after[0]:.0f} MB; kernels {len(before[1])} → {len(after[1])} "
                  f"(new ones median {statistics.median(new) if new else 0:.0f} MB); "
                  f"total {total_before:.0f} → {total_after:.0f} MB = {(total_after - total_before) / 5:.0f} MB per session")
            for ctx, *_ in pages:
                ctx.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
