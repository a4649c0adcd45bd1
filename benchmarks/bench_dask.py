"""Dask: N enterprises (default 10 million) from a partitioned Parquet dataset on a LocalCluster of W workers.

    .venv/bin/python benchmarks/bench_dask.py [--rows 10000000] [--workers 2] [--files 10]
                                              [--partition-rows 250000] [--shape long|wide] [--repeats 1]
                                              [--workdir /tmp/calc-bench]

What is measured, each on a fresh cluster (so that a worker's peak memory is this run's):

1. **write**: ``calc.distributed.entitlements_dataset(folder, out, shape=…)`` — every partition read by a worker,
   loaded, computed, shaped (by default the long table of the rows that matter, with reasons and citation ids)
   and written as ``out/part.NNNNN.parquet``; nothing is gathered on the client.
2. **compute only**: the same partitions read, loaded and computed (``entitlements`` and ``totals``), no output:
   the work one Monte Carlo draw does per enterprise, for the capacity estimate.

Printed: wall time, throughput (enterprises per second, in all and per worker), the peak resident memory of each
worker process (``ru_maxrss``), the target (≤ 2 GB per worker), and the capacity estimate for 50 M enterprises
× 1,000 draws from the compute-only throughput per worker.  The input (seeded, ``bench_pipeline``'s 14
columns, money in yuan) is made once in ``--workdir``.  Medians if ``--repeats`` > 1; the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

AS_OF = "2026-06-30"
GB = 1024**3


def make_dataset(rows: int, files: int, workdir: Path) -> Path:
    """``rows`` enterprises in ``files`` Parquet files (row groups of 250,000), seeded, ids unique; made once."""
    import pandas as pd

    from bench_core import make_enterprises
    from bench_pipeline import COLUMNS

    folder = workdir / f"dataset_{rows}"
    if (folder / "_done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per = -(-rows // files)
    for i in range(files):
        n = min(per, rows - i * per)
        if n <= 0:
            break
        table = make_enterprises(n, seed=20260630 + i)[COLUMNS].copy()
        table["enterprise_id"] = [f"E{i * per + k + 1:09d}" for k in range(n)]
        table.to_parquet(folder / f"part.{i:03d}.parquet", index=False, row_group_size=250_000)
        del table
    (folder / "_done").write_text("")
    return folder


def _compute_only(source, index, offset, policies, settings):  # runs on a worker
    from calc.distributed import _source_frame
    from calc.entitlements import entitlements
    from calc.inputs import load_enterprises

    parsed = load_enterprises(_source_frame(source), limits=settings["limits"])
    result = entitlements(parsed, as_of=settings["as_of"], policies=policies)
    result.totals()
    from distributed import get_worker

    return len(parsed.frame), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, get_worker().address


def run_write(folder: Path, out: Path, workers: int, partition_rows: int, shape: str) -> tuple[float, dict, int]:
    from calc.distributed import entitlements_dataset, local_client

    with local_client(workers, memory_limit=None) as client:
        start = time.perf_counter()
        run = entitlements_dataset(folder, out, as_of=AS_OF, shape=shape, client=client, partition_rows=partition_rows)
        wall = time.perf_counter() - start
    return wall, run.peak_rss_by_worker, run.rows


def run_compute(folder: Path, workers: int, partition_rows: int) -> tuple[float, dict, int]:
    from distributed import as_completed

    from calc.distributed import _plan, local_client
    from calc.limits import DEFAULT
    from calc.policies import default_policies

    with local_client(workers, memory_limit=None) as client:
        start = time.perf_counter()
        plan = _plan(client, folder, partition_rows, DEFAULT, "enterprises")
        shipped = client.scatter(default_policies(), broadcast=True, hash=False)
        settings = {"as_of": __import__("datetime").date.fromisoformat(AS_OF), "limits": DEFAULT}
        futures = [client.submit(_compute_only, s, i, o, shipped, settings, pure=False)
                   for i, (s, o) in enumerate(zip(plan.sources, plan.offsets))]
        rows, peaks = 0, {}
        for f in as_completed(futures):
            n, peak, worker = f.result()
            rows += n
            peaks[worker] = max(peaks.get(worker, 0), peak)
            f.release()
        wall = time.perf_counter() - start
    return wall, peaks, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--partition-rows", type=int, default=250_000)
    parser.add_argument("--shape", choices=("long", "wide"), default="long")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/calc-bench"))
    parser.add_argument("--skip-compute", action="store_true")
    args = parser.parse_args()

    t = time.perf_counter()
    folder = make_dataset(args.rows, args.files, args.workdir)
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    print(f"dataset ready in {time.perf_counter() - t:.0f} s: {folder} ({args.files} files, {size / 1e6:.0f} MB); "
          f"python {platform.python_version()}, {os.cpu_count()} CPUs shared with other work; {args.workers} workers "
          f"(1 thread each), partitions of {args.partition_rows:,} rows", flush=True)
    out = args.workdir / f"out_{args.rows}_{args.shape}"
    results = []
    for label, fn in (("write " + args.shape, lambda: run_write(folder, out, args.workers, args.partition_rows,
                                                                 args.shape)),
                      ("compute only", lambda: run_compute(folder, args.workers, args.partition_rows))):
        if label == "compute only" and args.skip_compute:
            continue
        walls, peak_all, rows = [], {}, 0
        for _ in range(args.repeats):
            wall, peaks, rows = fn()
            walls.append(wall)
            for k, v in peaks.items():
                peak_all[k] = max(peak_all.get(k, 0), v)
        results.append((label, statistics.median(walls), min(walls), max(walls), peak_all, rows))
    print()
    header = f"{'run':<16} {'median':>8} {'min–max':>15} {'enterprises':>12} {'per s':>10} {'per s/worker':>13} " \
             f"{'peak GB per worker':>22} {'≤ 2 GB':>7}"
    print(header)
    print("-" * len(header))
    per_worker_compute = None
    for label, med, lo, hi, peaks, rows in results:
        rate = rows / med
        per_worker = rate / args.workers
        if label == "compute only":
            per_worker_compute = per_worker
        worst = max(peaks.values(), default=0)
        print(f"{label:<16} {med:>7.1f}s {lo:>6.1f}–{hi:<7.1f} {rows:>12,} {rate:>10,.0f} {per_worker:>13,.0f} "
              f"{', '.join(f'{v / GB:.2f}' for v in sorted(peaks.values())):>22} {'✔' if worst <= 2 * GB else '✘':>7}")
    if results:
        out_size = sum(p.stat().st_size for p in out.glob("*.parquet")) if out.exists() else 0
        print(f"\noutput: {out} ({out_size / 1e6:.0f} MB)")
    if per_worker_compute:
        evaluations = 50_000_000 * 1_000
        worker_hours = evaluations / per_worker_compute / 3600
        print(f"capacity: 50 M enterprises × 1,000 draws = {evaluations:.1e} enterprise-evaluations at "
              f"{per_worker_compute:,.0f} per worker-second = {worker_hours:,.0f} worker-hours: "
              f"{worker_hours / 100:,.1f} h on 100 workers, {worker_hours / 500:,.1f} h on 500 "
              "(the compute-only rate of this machine's cores, shared; the draws' own sampling not included)")


if __name__ == "__main__":
    main()
