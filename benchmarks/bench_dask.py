"""Dask: N enterprises (default 10 million) from a partitioned Parquet dataset on a LocalCluster of W workers.

    .venv/bin/python benchmarks/bench_dask.py [--rows 10000000] [--workers 2] [--files 10]
                                              [--partition-rows 250000] [--shape long|wide] [--repeats 1]
                                              [--workdir /tmp/calc-bench]

What is measured, each on a fresh cluster (so that a worker's peak memory is this run's):

1. **write**: ``calc.distributed.entitlements_dataset(folder, out, shape=…)`` — every partition read by a worker,
   loaded, computed, shaped (by default the long table of the rows that matter, with reasons and citation ids)
   and written as ``out/part.NNNNN.parquet``; nothing is gathered on the client.
2. **compute only**: the same partitions read, loaded and computed (``entitlements`` and ``totals``), no output.
2b. **ids pass**: the first pass every run over several partitions makes (included in 1): each partition's id
   column read and loaded, its distinct ids hashed into buckets, each bucket checked for ids used twice.
3. **projection** (``--projection-rows``, default 1,000,000, in its own dataset): ``calc.distributed.project_dataset``
   over ``--years`` with a reform, once without draws (the fixed part: reading, loading, the first pass over the
   ids, and every item's cost per year and scenario) and once with ``--draws`` Monte Carlo draws (R&D growth
   spread 15%).  The draws' own rate is rows × draws / (wall with draws − wall without): enterprise-draws per
   second, per worker; with the fixed part's rate it gives the capacity estimate for 50 M enterprises × 1,000
   draws.

Printed: wall time, throughput (enterprises per second, in all and per worker), the peak resident memory of each
worker process (``ru_maxrss``), the target (≤ 2 GB per worker), and the capacity estimate for 50 M enterprises
× 1,000 draws from the projection's rates per worker (``--runs`` chooses the runs: write,compute,projection).  The input (seeded, ``bench_pipeline``'s 14
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


def run_ids(folder: Path, workers: int, partition_rows: int) -> tuple[float, dict, int]:
    """The first pass every multi-partition run makes: the id column read, loaded, hashed into buckets, checked."""
    from calc.distributed import _duplicates, _plan, local_client
    from calc.limits import DEFAULT

    with local_client(workers, memory_limit=None) as client:
        start = time.perf_counter()
        plan = _plan(client, folder, partition_rows, DEFAULT, "enterprises")
        _duplicates(client, plan, "enterprises", DEFAULT)
        wall = time.perf_counter() - start
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    import pyarrow.parquet as pq

    return wall, peaks, sum(pq.read_metadata(f).num_rows for f in folder.glob("*.parquet"))


REFORM = {"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}}


def run_projection(folder: Path, workers: int, partition_rows: int, draws: int,
                   years: list[int]) -> tuple[float, dict, int]:
    from calc.distributed import local_client, project_dataset

    with local_client(workers, memory_limit=None) as client:
        start = time.perf_counter()
        run = project_dataset(folder, years, reforms=[REFORM], rd_growth=0.12, rd_growth_sd=0.15 if draws else 0.0,
                              draws=draws, seed=20261202, client=client, partition_rows=partition_rows)
        wall = time.perf_counter() - start
    return wall, run.peak_rss_by_worker, run.rows


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
    parser.add_argument("--runs", default="write,compute,ids,projection",
                        help="which runs, comma-separated: write, compute, ids, projection")
    parser.add_argument("--projection-rows", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--years", default="2026-2028")
    args = parser.parse_args()
    runs = set(args.runs.split(","))
    if args.skip_compute:
        runs.discard("compute")
    first, _, last = args.years.partition("-")
    years = list(range(int(first), int(last or first) + 1))

    t = time.perf_counter()
    folder = make_dataset(args.rows, args.files, args.workdir) if runs & {"write", "compute", "ids"} else None
    if folder is not None:
        size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        print(f"dataset ready in {time.perf_counter() - t:.0f} s: {folder} ({args.files} files, {size / 1e6:.0f} MB)")
    projected = None
    if "projection" in runs:
        projected = make_dataset(args.projection_rows, max(1, args.projection_rows // 250_000), args.workdir)
        print(f"projection dataset: {projected} ({args.projection_rows:,} enterprises), years {years[0]}–{years[-1]}, "
              f"{args.draws} draws")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs shared with other work; {args.workers} workers "
          f"(1 thread each), partitions of {args.partition_rows:,} rows; load average "
          f"{os.getloadavg()[0]:.1f} before", flush=True)
    out = args.workdir / f"out_{args.rows}_{args.shape}"
    results = []
    for label, fn in (("write " + args.shape, lambda: run_write(folder, out, args.workers, args.partition_rows,
                                                                 args.shape)),
                      ("compute only", lambda: run_compute(folder, args.workers, args.partition_rows)),
                      ("ids pass", lambda: run_ids(folder, args.workers, args.partition_rows)),
                      ("projection", lambda: run_projection(projected, args.workers, args.partition_rows, 0, years)),
                      (f"projection {args.draws} draws",
                       lambda: run_projection(projected, args.workers, args.partition_rows, args.draws, years))):
        if label.split(" ")[0] not in runs:
            continue
        walls, peak_all, rows = [], {}, 0
        for _ in range(args.repeats):
            wall, peaks, rows = fn()
            walls.append(wall)
            for k, v in peaks.items():
                peak_all[k] = max(peak_all.get(k, 0), v)
        results.append((label, statistics.median(walls), min(walls), max(walls), peak_all, rows))
    print()
    header = f"{'run':<22} {'median':>8} {'min–max':>15} {'enterprises':>12} {'per s':>10} {'per s/worker':>13} " \
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
        print(f"{label:<22} {med:>7.1f}s {lo:>6.1f}–{hi:<7.1f} {rows:>12,} {rate:>10,.0f} {per_worker:>13,.0f} "
              f"{', '.join(f'{v / GB:.2f}' for v in sorted(peaks.values())):>22} {'✔' if worst <= 2 * GB else '✘':>7}")
    if results and runs & {"write"}:
        out_size = sum(p.stat().st_size for p in out.glob("*.parquet")) if out.exists() else 0
        print(f"\noutput: {out} ({out_size / 1e6:.0f} MB)")
    walls = {label: (med, rows) for label, med, _, _, _, rows in results}
    fixed, drawn = walls.get("projection"), walls.get(f"projection {args.draws} draws")
    if fixed and drawn and drawn[0] > fixed[0]:
        rows = fixed[1]
        fixed_rate = rows / fixed[0] / args.workers            # enterprises per worker-second, no draws
        draw_rate = rows * args.draws / (drawn[0] - fixed[0]) / args.workers  # enterprise-draws per worker-second
        n, d = 50_000_000, 1_000
        fixed_h, draws_h = n / fixed_rate / 3600, n * d / draw_rate / 3600
        total = fixed_h + draws_h
        print(f"\nprojection {years[0]}–{years[-1]} with a reform, per worker: fixed part {fixed_rate:,.0f} "
              f"enterprises/s; draws {draw_rate:,.0f} enterprise-draws/s "
              f"(= {rows:,} × {args.draws} / ({drawn[0]:.1f} s − {fixed[0]:.1f} s) / {args.workers} workers)")
        print(f"capacity: 50 M enterprises × 1,000 draws = 50 M / {fixed_rate:,.0f} / 3600 = {fixed_h:,.1f} "
              f"worker-hours (fixed) + 5.0e10 / {draw_rate:,.0f} / 3600 = {draws_h:,.1f} worker-hours (draws) = "
              f"{total:,.1f} worker-hours: {total / 100 * 60:,.0f} min on 100 workers, {total / 500 * 60:,.0f} min "
              f"on 500 (this machine's cores, shared)")


if __name__ == "__main__":
    main()
