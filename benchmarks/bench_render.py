"""First render of each dashboard, 50 times in a row, in Debian's chromium; then 5 sessions at once and memory.

    .venv/bin/python benchmarks/bench_render.py [--renders 50] [--warm 50] [--gap 6] [--pool 2]
                                                [--only enterprise,budget] [--floor 20]

Voila is started as `make run` starts it (deploy/voila.py: preheated kernel pools, the stall workaround),
with idle kernels culled after 20 s so that 200 page loads do not leave 200 kernels behind.  Each render is
timed from navigation to the dashboard's own content being drawn: the totals (enterprise), the matrix
(consortium), the budget cards, the links (index), the prose and first table (analyst); for the pages with charts, also until
the first chart is drawn (plotly.js is loaded once the page is drawn).  A render that takes over 30 s counts
as a stall.  Two browser states: a new browser profile per render (a first visit: every script fetched and
compiled: the dashboards' front-end, dash-widgets.js, ~1 MB, on every page, the analyst notebook's too), and
``--warm`` renders in one profile (a returning visitor, or one arriving from the landing page: the scripts
are in the browser's cache).  Renders are ``--gap`` seconds apart: 6 s lets the
pool's replacement kernel (started ``DASH_FILL_DELAY`` = 3 s after a page takes one) start and run its
notebook between two visitors; ``--gap 1`` measures back-to-back visitors, each render competing with the
previous one's refill.  ``--floor`` renders the floor the same way: a notebook of one HTML widget, served by a
second Voila with the same configuration, once on the dashboards' template (what any dashboard costs here
before its first widget) and once on Voila's own ``lab`` template, whose page is drawn by Voila's front-end
(the JupyterLab application the dashboards' front-end replaces).  Then five sessions are opened at once and the resident memory of the server and of each
kernel is read from /proc.  A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from processes import children, free_port, rss_mb  # noqa: E402 - shared with the tests

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
READY = {
    "index.ipynb": ".landing-link",
    "enterprise.ipynb": ".w-total-all .dash-card-value",
    "consortium.ipynb": ".w-matrix .mx-cell",
    "budget.ipynb": ".w-b-reform .dash-card-value",
    "analyst.ipynb": ".jp-RenderedHTMLCommon table",  # its prose and first DataFrame
}
CHART = {  # the first chart drawn, where the page has one
    "enterprise.ipynb": ".w-chart .main-svg",
    "budget.ipynb": ".w-b-items-chart .main-svg",
    "analyst.ipynb": ".dash-chart .main-svg",
}
# the one-widget floor on the dashboards' template, and on Voila's own `lab` template (its front-end, the
# JupyterLab application, which no page of ours uses any more: the analyst notebook's dash-full is dash + CSS)
FLOORS = {"floor.ipynb": ("dash", "floor, dash"), "floor-voila.ipynb": ("lab", "floor, Voila's")}
FLOOR_READY = ".floor-ready"
STALL = 30.0


def start_voila(root: Path, port: int, pool: int, log_path: str) -> subprocess.Popen:
    env = dict(os.environ, DASH_PORT=str(port), DASH_POOL=str(pool), DASH_CULL_IDLE="20", DASH_CULL_INTERVAL="10")
    log = open(log_path, "w")
    command = [str(Path(sys.executable).parent / "voila"), str(root), "--Voila.config_file_paths=deploy",
               f"--Voila.port={port}"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_listening(base: str) -> None:
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return
        except OSError:
            time.sleep(0.2)


def local_only(page) -> None:
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("http://127.0.0.1", "data:", "blob:")) else r.abort())


# where a render's time went, from the browser's own clock (ms from navigation): the page's HTML complete (Voila
# streams it: a visitor who arrives while the pool's kernel is still running its notebook waits here), the
# dashboards' front-end started (its scripts fetched, compiled and run), every widget's state restored from the
# kernel, every widget drawn
PHASES = """() => { const n = performance.getEntriesByType('navigation')[0], m = {};
    performance.getEntriesByType('mark').forEach((x) => { m[x.name] = x.startTime; });
    return {html: n ? n.responseEnd : null, start: m['dash-widgets-start'] ?? null,
            restored: m['dash-widgets-restored'] ?? null, drawn: m['dash-widgets-drawn'] ?? null}; }"""


def phases(page) -> dict:
    try:
        return {k: (v / 1000 if v is not None else None) for k, v in page.evaluate(PHASES).items()}
    except Exception:  # noqa: BLE001 - a page gone: no phases
        return {}


def render_once(page, url: str, selector: str, chart: str | None) -> tuple[float, float | None, float, dict]:
    """(content drawn, first chart drawn, page HTML's first bytes, phases) in seconds from navigation; STALL
    when not drawn."""
    t = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=120_000)
    html = time.perf_counter() - t
    try:
        page.locator(selector).first.wait_for(timeout=STALL * 1000)
        drawn = time.perf_counter() - t
    except Exception:  # noqa: BLE001
        return STALL, None, html, {}
    if chart is None:
        return drawn, None, html, phases(page)
    try:
        page.locator(chart).first.wait_for(timeout=STALL * 1000)
        return drawn, time.perf_counter() - t, html, phases(page)
    except Exception:  # noqa: BLE001
        return drawn, STALL, html, phases(page)


def phase_line(results) -> str:
    """Medians of the phases, and the phases of the slowest render."""
    def fmt(ph: dict) -> str:
        return ", ".join(f"{k} {v:.2f}" for k, v in ph.items() if v is not None)

    known = [r[3] for r in results if r[3]]
    if not known:
        return ""
    medians = {k: statistics.median(p[k] for p in known if p.get(k) is not None)
               for k in known[0] if any(p.get(k) is not None for p in known)}
    worst = max(results, key=lambda r: r[0])
    slow_html = sum(1 for p in known if (p.get("html") or 0) > 1.0)
    return (f"    phases (s from navigation): median {fmt(medians)}; slowest render {fmt(worst[3])}; "
            f"HTML complete after more than 1 s (waited for a kernel): {slow_html}/{len(known)}")


def measure(browser, base: str, name: str, selector: str, chart: str | None, renders: int, warm: int,
            gap: float, label: str) -> None:
    """``renders`` first visits (a new browser profile each) and ``warm`` returning visits (one profile)."""
    url = f"{base}/voila/render/{name}"

    def report(kind: str, results: list[tuple[float, float | None, float, dict]], with_html: bool) -> None:
        drawn = [r[0] for r in results]
        stalls = sum(1 for d in drawn if d >= STALL)
        line = (f"{label:18s} {kind}: median {statistics.median(drawn):.2f} s, worst {max(drawn):.2f} s, "
                f"stalls {stalls}/{len(drawn)}")
        charts = [r[1] for r in results if r[1] is not None]
        if charts:
            line += f"; first chart median {statistics.median(charts):.2f} s, worst {max(charts):.2f} s"
        if with_html:
            html = [r[2] for r in results]
            line += f"; page HTML median {statistics.median(html):.2f} s, worst {max(html):.2f} s"
        print(line, flush=True)
        if phase_line(results):
            print(phase_line(results), flush=True)

    cold = []
    for _ in range(renders):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        local_only(page)
        cold.append(render_once(page, url, selector, chart))
        ctx.close()
        time.sleep(gap)
    report("new browser profile", cold, True)
    if not warm:
        return
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    local_only(page)
    render_once(page, url, selector, chart)  # fills the browser's cache
    time.sleep(gap)
    cached = []
    for _ in range(warm):
        cached.append(render_once(page, url, selector, chart))
        time.sleep(gap)
    ctx.close()
    report("scripts cached     ", cached, False)


def floor_notebook(folder: Path, name: str, template: str) -> None:
    """A notebook of one HTML widget on ``template``: a page's cost before any dashboard."""
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {}, "outputs": [],
                     "source": 'import ipywidgets as W\nW.HTML(\'<div class="floor-ready">floor</div>\')'}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "voila": {"template": template}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / name).write_text(json.dumps(nb), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--renders", type=int, default=50)
    ap.add_argument("--gap", type=float, default=6.0, help="seconds between two renders")
    ap.add_argument("--pool", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated parts of notebook names")
    ap.add_argument("--warm", type=int, default=50, help="renders with Voila's scripts cached")
    ap.add_argument("--floor", type=int, default=20, help="renders of a one-widget notebook (0: none)")
    args = ap.parse_args()
    port = free_port()
    log_path = "/tmp/bench_render_voila.log"
    server = start_voila(ROOT / "notebooks", port, args.pool, log_path)
    base = f"http://127.0.0.1:{port}"
    floor_server, floor_folder = None, None
    try:
        t0 = time.perf_counter()
        wait_listening(base)
        print(f"Voila listening after {time.perf_counter() - t0:.1f} s")
        while Path(log_path).read_text().count("is filled with") < 4:
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
                measure(browser, base, name, selector, CHART.get(name), args.renders, args.warm, args.gap, name)
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
            if args.floor:
                os.killpg(server.pid, signal.SIGTERM)  # one Voila at a time on the two cores
                server.wait(30)
                floor_folder = Path(tempfile.mkdtemp(prefix="voila-floor-"))
                for name, (template, _) in FLOORS.items():
                    floor_notebook(floor_folder, name, template)
                floor_port = free_port()
                floor_server = start_voila(floor_folder, floor_port, args.pool, "/tmp/bench_render_floor.log")
                wait_listening(f"http://127.0.0.1:{floor_port}")
                time.sleep(20)  # its pooled kernel runs the notebook
                for name, (_, label) in FLOORS.items():
                    measure(browser, f"http://127.0.0.1:{floor_port}", name, FLOOR_READY, None, args.floor,
                            args.floor, args.gap, label)
            browser.close()
    finally:
        for proc in (server, floor_server):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
        if floor_folder is not None:
            shutil.rmtree(floor_folder, ignore_errors=True)


if __name__ == "__main__":
    main()
