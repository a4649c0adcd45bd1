"""Budget benchmarks: reform runs vs baseline runs, and the Monte Carlo projection (medians, not assertions).

    .venv/bin/python benchmarks/bench_budget.py [--rows 10000] [--reforms 100] [--draws 1000] [--repeats 3]

Targets from the budget issue: 100 reforms × 10k enterprises ≤ 5 s (a reform run costs what a baseline run
costs: the policy tree is re-dated, not rebuilt), and 10k enterprises × 1,000 draws in seconds.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import calc  # noqa: E402
from calc.budget import compare, project  # noqa: E402

STEP = "xiamen_sti_measures.rd_step_subsidy"


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def show(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"  {label:58s} median {median:8.3f} s   min {min(times):8.3f} s   max {max(times):8.3f} s")
    return median


def population(rows: int) -> pd.DataFrame:
    """The sample population, tiled to ``rows`` enterprises with fresh ids."""
    base = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "samples" / "population.csv",
                       dtype=str, keep_default_na=False)
    tiled = pd.concat([base] * (rows // len(base) + 1), ignore_index=True).iloc[:rows].copy()
    tiled["enterprise_id"] = [f"B{i:07d}" for i in range(rows)]
    return tiled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--reforms", type=int, default=100)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--as-of", default="2026-06-30")
    args = parser.parse_args()
    print("calc budget benchmark")
    print(f"  machine: {platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}")
    parsed = calc.load_enterprises(population(args.rows))
    print(f"  population: {len(parsed.frame):,} enterprises (data/samples/population.csv tiled), as of {args.as_of}")
    policies = calc.default_policies()

    baseline = show("one baseline run (entitlements)",
                    timed(lambda: calc.entitlements(parsed, args.as_of, policies=policies), args.repeats))
    caps = [f"{100 + 9 * k}万" for k in range(args.reforms)]  # 100万 … about 1000万
    reforms = [{"name": f"cap {c}", "parameters": {f"{STEP}.cap": c}} for c in caps]

    def run_reforms():
        for reform in reforms:
            tree = calc.budget.apply_reforms(policies, [reform])
            calc.entitlements(parsed, args.as_of, policies=tree)

    many = show(f"{args.reforms} reform runs (apply reform + entitlements each)", timed(run_reforms, args.repeats))
    print(f"  per reform run {many / args.reforms:.3f} s vs baseline {baseline:.3f} s: "
          f"ratio {many / args.reforms / baseline:.2f}")
    show("compare(baseline, one reform) incl. tables", timed(lambda: compare(parsed, [reforms[0]], args.as_of), args.repeats))
    mc = show(f"projection 2026–2028, {args.draws} Monte Carlo draws",
              timed(lambda: project(parsed, [2026, 2027, 2028], rd_growth=0.12, rd_growth_sd=0.15, draws=args.draws,
                                    seed=1), args.repeats))
    print(f"  ({args.rows:,} enterprises × {args.draws:,} draws × 3 years, baseline and reform: {mc:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
