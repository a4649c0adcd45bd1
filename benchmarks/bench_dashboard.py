"""Server-side reaction of the dashboards: what one input change costs in the kernel, and a 10k-row batch.

    .venv/bin/python benchmarks/bench_dashboard.py [--repeats N] [--rows 10000]

The notebooks' own code cells run in this process (ipywidgets work without a browser), and a widget's value
is set as the browser would set it: the time is the whole Python callback (validation, the core, the HTML,
the chart's JSON, every widget update), not the network or the browser's drawing.  Medians, 95th
percentile and worst; wall clock (time.perf_counter).  A script, not a test.
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calc.dashboards import budget as B, common, enterprise as D, reports  # noqa: E402


def run_notebook(name: str) -> dict:
    """Execute a notebook's code cells here; return its namespace (widgets and callbacks)."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()  # display() needs a shell
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, name, "exec"), ns)
    return ns


def stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   worst {ms[-1]:7.1f} ms   (n={len(ms)})"


def timed(action, n: int) -> list[float]:
    out = []
    for i in range(n):
        gc.collect()
        t = time.perf_counter()
        action(i)
        out.append(time.perf_counter() - t)
    return out


def batch_table(rows: int, sample_file: str = "enterprises.csv") -> bytes:
    """A sample table repeated (unique ids) up to ``rows`` rows, as CSV bytes."""
    sample = pd.read_csv(common.SAMPLES / sample_file, dtype=str, keep_default_na=False)
    reps = -(-rows // len(sample))
    big = pd.concat([sample] * reps, ignore_index=True).head(rows)
    big["enterprise_id"] = [f"B{i:06d}" for i in range(len(big))]
    buf = io.StringIO()
    big.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--rows", type=int, default=10_000)
    args = ap.parse_args()
    n = args.repeats

    print("enterprise estimator (notebooks/enterprise.ipynb callbacks)")
    ns = run_notebook("enterprise.ipynb")
    rd = ns["inputs"]["rd_expense"]
    print("  R&D this year changed        ", stats(timed(lambda i: setattr(rd, "value", f"{1000 + i},{i % 1000:03d}.5万"), n)))
    city = ns["inputs"]["city"]
    print("  city changed (dropdown)      ", stats(timed(lambda i: setattr(city, "value", ("xiamen", "other")[i % 2]), n)))
    lang = ns["lang_w"]
    print("  language switched            ", stats(timed(lambda i: setattr(lang, "value", ("en", "zh")[i % 2]), max(20, n // 10))))

    data = batch_table(args.rows)
    t = time.perf_counter()
    ns["got_file"]("batch.csv", data)
    print(f"  batch upload of {args.rows:,} rows ({len(data) / 1e6:.1f} MB), parse + compute + show: "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    assert len(ns["state"]["batch"].result.frame) == args.rows
    as_of = ns["as_of_w"]
    import datetime as dt
    days = [dt.date(2026, 6, 30), dt.date(2026, 3, 31)]
    # a change of date recomputes the single enterprise and the whole batch
    print(f"  as-of changed, {args.rows:,}-row batch recomputed", stats(timed(lambda i: setattr(as_of, "value", days[i % 2]), 20)))
    parsed = ns["state"]["parsed"]
    print(f"  batch recomputation alone ({args.rows:,} rows)", stats(timed(lambda i: D.batch_html(D.compute_batch(parsed, days[i % 2])), 20)))
    t = time.perf_counter()
    report = reports.batch_report_xlsx(ns["state"]["batch"])
    print(f"  XLSX report ({args.rows:,} rows, {len(report) / 1e6:.1f} MB), on request: {(time.perf_counter() - t) * 1000:.0f} ms")

    print("consortium checker (notebooks/consortium.ipynb callbacks)")
    ns = run_notebook("consortium.ipynb")
    ent = ns["inputs"]["enterprises"]
    print("  member enterprises changed   ", stats(timed(lambda i: setattr(ent, "value", str(5 + i % 6)), n)))
    rev = ns["inputs"]["lead_revenue"]
    print("  lead revenue changed         ", stats(timed(lambda i: setattr(rev, "value", f"{3 + i % 5}.{i % 10}亿"), n)))

    print("budget dashboard (notebooks/budget.ipynb callbacks; the sample population of 2,400 enterprises)")
    ns = run_notebook("budget.ipynb")
    cap = ns["params"]["xiamen_sti_measures.rd_step_subsidy.cap"]
    k = max(20, n // 10)
    show = ns["show_budget"]
    print("  cap changed: compare + totals, items, charts, binding drawn",
          stats(timed(lambda i: show(B.compute_budget(ns["population"](), {cap_id: f"{300 + i}万"}, {})), k)))
    print("  cap changed: whole callback incl. the 100-draw projection ",
          stats(timed(lambda i: setattr(cap, "value", f"{300 + i}万"), k)))
    data = batch_table(args.rows, "population.csv")
    t = time.perf_counter()
    ns["got_file"]("population.csv", data)
    print(f"  upload of {args.rows:,} enterprises ({len(data) / 1e6:.1f} MB): parse + compare + projection + show: "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    assert len(ns["population"]().frame) == args.rows
    print(f"  cap changed on {args.rows:,} enterprises, compare + drawn     ",
          stats(timed(lambda i: show(B.compute_budget(ns["population"](), {cap_id: f"{300 + i}万"}, {})), 20)))
    print(f"  cap changed on {args.rows:,} enterprises, whole callback     ",
          stats(timed(lambda i: setattr(cap, "value", f"{400 + i}万"), 10)))
    t = time.perf_counter()
    report = reports.budget_report_xlsx(ns["state"]["view"], ns["state"]["projection"])
    print(f"  XLSX report ({args.rows:,} enterprises, {len(report) / 1e6:.1f} MB), on request: "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")


cap_id = "xiamen_sti_measures.rd_step_subsidy.cap"


if __name__ == "__main__":
    main()
