"""The user's path, whole process: ``python -m calc entitlements FILE … --output OUT`` in a subprocess, timed from
start to exit (Python start-up, imports, reading, parsing, computing, wording, writing), with its peak memory.

    .venv/bin/python benchmarks/bench_pipeline.py [--rows 1000000] [--xlsx-rows 100000] [--repeats 3]
                                                  [--workdir /tmp/calc-bench] [--only NAME,NAME]

Cases (targets from issue 13, this 2-core machine):

| name | what | target |
|---|---|---|
| csv_wide | N enterprises, CSV in → wide CSV out | ≤ 10 s |
| parquet_wide | N enterprises, Parquet in → wide Parquet out | ≤ 5 s |
| parquet_long | N enterprises, Parquet in → default long Parquet out (information) | — |
| csv_long | N enterprises, CSV in → default long CSV (rows that matter, reasons, citation ids) | ≤ 20 s, ≤ 3 GB |
| xlsx | M enterprises (CSV) → XLSX report (default long table, totals, citations, errors) | ≤ 15 s |
| xlsx_in | M enterprises, XLSX in (money as numbers in yuan) → wide CSV out | — |

The input is seeded (``bench_core.make_enterprises``): an id, a city and 12 numeric columns (R&D this year and
last, national / provincial / municipal funding and the project's total, joint-lab investment, technology
transactions paid, new national platforms, postdocs, incubators, SME innovation projects), money as text in 万
in the CSV (``1234.56万``: the loaders' money parsing is on the path) and as integer yuan in the Parquet file.
Generated once into ``--workdir`` and reused.  Each case runs ``--repeats`` times; the table gives the median
wall time, min–max, the ratio median / target, the peak resident memory of the child (``os.wait4``'s
``ru_maxrss``), the output's size and its rows.  Medians: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_core import make_enterprises  # noqa: E402

AS_OF = "2026-06-30"
COLUMNS = ["enterprise_id", "city", "rd_expense", "rd_expense_prev", "national_funding", "provincial_funding",
           "municipal_funding", "project_total_investment", "joint_lab_investment", "tech_transaction_paid",
           "new_national_platforms", "postdocs_in_station", "incubators", "sme_innovation_projects"]
MONEY = COLUMNS[2:10]


def _wan_text(yuan: np.ndarray) -> np.ndarray:
    """Integer yuan as 万 text with two decimals where needed: 12345600 → '1234.56万', 0 → '0'."""
    yuan = np.asarray(yuan, dtype=np.int64)
    whole, part = np.divmod(yuan, 10_000)
    text = whole.astype(str).astype(object)
    cents = part // 100
    frac = np.char.zfill(cents.astype(str), 2).astype(object)
    return np.where(yuan == 0, "0", np.where(cents == 0, text + "万", text + "." + frac + "万"))


def make_inputs(n: int, workdir: Path, xlsx: bool = False) -> dict[str, Path]:
    """The seeded table of n enterprises as CSV (money as 万 text) and Parquet (money as yuan), made once; with
    ``xlsx``, also as an XLSX (money as numbers in yuan, text cells inline, as calc.files writes them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    csv, parquet = workdir / f"enterprises_{n}.csv", workdir / f"enterprises_{n}.parquet"
    book = workdir / f"enterprises_{n}.xlsx"
    if not (csv.exists() and parquet.exists()):
        table = make_enterprises(n)[COLUMNS].copy()
        for c in MONEY:
            table[c] = (table[c].astype(np.int64) // 100) * 100  # whole hundreds of yuan: 万 with two decimals
        table.to_parquet(parquet, index=False)
        text = table.copy()
        for c in MONEY:
            text[c] = _wan_text(text[c].to_numpy())
        text.to_csv(csv, index=False)
    if xlsx and not book.exists():
        from calc.files import write_xlsx_fast
        write_xlsx_fast(book, {"enterprises": pd.read_parquet(parquet)})
    return {"csv": csv, "parquet": parquet, "xlsx": book}


def run(args: list[str]) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS bytes, exit status, the stages' timings) of ``python -m calc …`` in a child process
    (CALC_TIMINGS=1: the command prints how long each stage took)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "calc", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "CALC_TIMINGS": "1"})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"calc {' '.join(args)} exited {code}: {err[-2000:]}")
    stages = next((line[len("timings: "):] for line in err.splitlines() if line.startswith("timings: ")), "")
    return wall, usage.ru_maxrss * 1024, code, stages


def rows_of(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    if path.suffix == ".csv":
        with path.open("rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b"")) - 1
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/calc-bench"))
    parser.add_argument("--only", default="", help="comma-separated case names")
    args = parser.parse_args()

    t = time.perf_counter()
    big = make_inputs(args.rows, args.workdir)
    small = make_inputs(args.xlsx_rows, args.workdir, xlsx=True)
    print(f"inputs ready in {time.perf_counter() - t:.1f} s: {big['csv']} ({big['csv'].stat().st_size / 1e6:.0f} MB), "
          f"{big['parquet']} ({big['parquet'].stat().st_size / 1e6:.0f} MB), {small['csv']}", flush=True)
    out = args.workdir / "out"
    out.mkdir(exist_ok=True)
    n, m = f"{args.rows:,}", f"{args.xlsx_rows:,}"
    cases = [
        ("csv_wide", f"{n} CSV → wide CSV", [big["csv"], "--shape", "wide"], out / "wide.csv", 10.0, None),
        ("parquet_wide", f"{n} Parquet → wide Parquet", [big["parquet"], "--shape", "wide"], out / "wide.parquet",
         5.0, None),
        ("parquet_long", f"{n} Parquet → long Parquet", [big["parquet"]], out / "long.parquet", None, None),
        ("csv_long", f"{n} CSV → long CSV (rows that matter)", [big["csv"]], out / "long.csv", 20.0, 3 * 1024**3),
        ("xlsx", f"{m} CSV → XLSX report", [small["csv"]], out / "report.xlsx", 15.0, None),
        ("xlsx_in", f"{m} XLSX → wide CSV", [small["xlsx"], "--shape", "wide"], out / "from_xlsx.csv", None, None),
    ]
    only = {c for c in args.only.split(",") if c}
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs (shared with other work: medians), "
          f"{args.repeats} runs each, as of {AS_OF}\n", flush=True)
    header = f"{'case':<14} {'what':<40} {'median':>8} {'min–max':>13} {'target':>7} {'ratio':>6} {'peak MB':>8} " \
             f"{'out MB':>7} {'rows':>11}"
    print(header)
    print("-" * len(header), flush=True)
    breakdowns = []
    for name, what, extra, target_path, target, memory_target in cases:
        if only and name not in only:
            continue
        walls, peaks, stages = [], [], []
        for _ in range(args.repeats):
            wall, peak, _, stage = run(["entitlements", *map(str, extra), "--as-of", AS_OF, "--output",
                                        str(target_path), "--quiet"])
            walls.append(wall)
            peaks.append(peak)
            stages.append((wall, stage))
        med = statistics.median(walls)
        ratio = f"{med / target:.2f}" if target else "—"
        peak_mb = max(peaks) / 1024**2
        mem_flag = "" if memory_target is None else (" ✔" if max(peaks) <= memory_target else " ✘")
        print(f"{name:<14} {what:<40} {med:>7.2f}s {min(walls):>5.2f}–{max(walls):<6.2f} "
              f"{(f'{target:.0f}s' if target else '—'):>7} {ratio:>6} {peak_mb:>7.0f}{mem_flag} "
              f"{target_path.stat().st_size / 1e6:>7.1f} {rows_of(target_path):>11,}", flush=True)
        median_run = sorted(stages)[len(stages) // 2][1]
        breakdowns.append(f"{name:<14} {median_run} (+ start-up and imports: the rest of the wall time)")
    print("\nstages of the median run of each case:")
    for line in breakdowns:
        print(line)


if __name__ == "__main__":
    main()
