"""Benchmark of reading inputs: ``calc.load_enterprises`` on a million rows, numeric and text money.

    .venv/bin/python benchmarks/bench_load.py [--rows N] [--rounds R] [--cases a,b,…] [--reference-sample S]

Cases (each in a fresh Python process, so that one case's memory does not count against the next):

- ``frame-numeric``: an in-memory DataFrame as a user (or the anchor harness in ../shared/bench) builds it: a
  text id, a city, a yes/no flag, eight money columns in whole yuan (int64) and a count;
- ``frame-anchor``: the frame of the performance anchor's harness (../shared/bench, rebuilt here without reading
  it): ids ``E0`` … ``E999999`` and one city as object columns of Python strings, money as int64, a bool;
- ``frame-shuffled``: ``frame-numeric`` with its rows in random order (ids not in order: the duplicate check hashes);
- ``frame-text``: the same table with the eight money columns written as people write them (``1,234.56万``,
  ``¥300,000``, ``0.58亿``, ``300000元``, ``1234567``), mostly distinct values;
- ``frame-text-repeated``: money written with realistic repetition: round amounts (``50万``, ``¥300,000``,
  ``1.2亿``, ``80万元``, ``0``) drawn from a few hundred, one cell in ten blank;
- ``csv-numeric`` / ``csv-text``: the numeric and text tables written to a CSV file and read through
  ``calc.load_enterprises(path)`` (file reading included);
- ``parquet-numeric`` / ``parquet-text``: the same as Parquet files.

For each case: the median and the best of R rounds (wall clock, ``time.perf_counter``) and the median CPU time of
the process (``time.process_time``: on a machine shared with other work it moves less than the wall clock), and the
peak memory the load added above what the process held before it (Linux: the resident high-water mark, reset
through ``/proc/self/clear_refs`` before the first round, minus the resident size at that moment).  The per-value
reference (``calc.money.parse_money`` on each cell, what a loop would do) is timed on a sample and extrapolated, for
the ratio.  Every round checks that no row was rejected and that the amounts read are the amounts written.  The
first round's wall clock is printed too (what a one-off load, like the anchor harness's, costs).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20261201
MONEY = ["rd_expense", "rd_expense_prev", "national_funding", "provincial_funding", "municipal_funding",
         "project_total_investment", "joint_lab_investment", "tech_transaction_paid"]
CASES = ["frame-numeric", "frame-anchor", "frame-shuffled", "frame-text", "frame-text-repeated", "csv-numeric",
         "csv-text", "parquet-numeric", "parquet-text"]


# =============================================================================== synthetic input


def numeric_table(n: int) -> pd.DataFrame:
    """Whole yuan, int64; a text id and city, a flag and a count (the anchor harness's columns)."""
    rng = np.random.default_rng(SEED)
    cols: dict[str, object] = {
        "enterprise_id": np.char.add("E", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object),
        "city": np.asarray(["xiamen", "厦门", "qingdao"], dtype=object)[rng.choice(3, n, p=[0.8, 0.15, 0.05])],
        "consortium_member": rng.random(n) < 0.22,
    }
    for name in MONEY:
        has = rng.random(n) < 0.6
        cols[name] = np.where(has, np.rint(rng.lognormal(np.log(3e6), 1.2, n)), 0).astype(np.int64)
    cols["new_national_platforms"] = (rng.random(n) < 0.02).astype(np.int64)
    return pd.DataFrame(cols)


def _grouped(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:,}" for v in values.tolist()], dtype=object)


def text_money(yuan: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each amount in one of five spellings, exact to the fen: 万 with two decimals (amounts rounded to 100 yuan
    for it), ¥ with thousands commas, 亿 with up to four decimals, 元, bare digits."""
    n = len(yuan)
    style = rng.choice(5, n, p=[0.35, 0.25, 0.05, 0.1, 0.25])
    out = np.empty(n, dtype=object)
    hundreds = yuan // 100
    s = style == 0
    out[s] = [f"{h // 100:,}.{h % 100:02d}万" for h in hundreds[s].tolist()]
    s = style == 1
    out[s] = ["¥" + t for t in _grouped(yuan[s])]
    s = style == 2
    million = yuan[s] // 10_000
    out[s] = [f"{m // 10_000}.{m % 10_000:04d}亿" for m in million.tolist()]
    s = style == 3
    out[s] = [f"{v}元" for v in yuan[s].tolist()]
    s = style == 4
    out[s] = yuan[s].astype(str).astype(object)
    return out


def expected_fen(yuan: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The fen the spellings of :func:`text_money` (same draws) stand for."""
    style = rng.choice(5, len(yuan), p=[0.35, 0.25, 0.05, 0.1, 0.25])
    fen = yuan * 100
    fen = np.where(style == 0, (yuan // 100) * 10_000, fen)
    fen = np.where(style == 2, (yuan // 10_000) * 1_000_000, fen)
    return fen


def text_table(n: int) -> pd.DataFrame:
    df = numeric_table(n)
    for k, name in enumerate(MONEY):
        df[name] = text_money(df[name].to_numpy(), np.random.default_rng(SEED + k))
    return df


#: round amounts as people write them, and the fen each stands for
_ROUND = [(f"{w}万", w * 1_000_000) for w in range(5, 500, 5)] + \
    [(f"{w}万元", w * 1_000_000) for w in (10, 20, 30, 50, 80, 100, 150, 200, 300, 500)] + \
    [(f"¥{y:,}", y * 100) for y in range(10_000, 1_000_000, 10_000)] + \
    [(f"{t / 10}亿", t * 1_000_000_000) for t in range(1, 30)] + [("0", 0), ("300000元", 30_000_000)]


def repeated_money(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(cells, fen): round amounts drawn from a few hundred spellings, one cell in ten blank (fen 0 there: the
    check reads a blank as missing, 0 when filled)."""
    pick = rng.integers(0, len(_ROUND), n)
    cells = np.array([c for c, _ in _ROUND], dtype=object)[pick]
    fen = np.array([f for _, f in _ROUND], dtype=np.int64)[pick]
    blank = rng.random(n) < 0.1
    cells[blank], fen[blank] = "", 0
    return cells, fen


def repeated_table(n: int) -> pd.DataFrame:
    df = numeric_table(n)
    for k, name in enumerate(MONEY):
        df[name] = repeated_money(n, np.random.default_rng(SEED + 100 + k))[0]
    return df


def anchor_table(n: int) -> pd.DataFrame:
    """The anchor harness's frame (its columns and dtypes; the amounts are this benchmark's)."""
    df = numeric_table(n)
    df["enterprise_id"] = np.char.add("E", np.arange(n).astype(str)).astype(object)
    df["city"] = np.full(n, "xiamen", dtype=object)
    return df


def shuffled_table(n: int) -> pd.DataFrame:
    return numeric_table(n).sample(frac=1.0, random_state=SEED).reset_index(drop=True)


TABLES = {"numeric": numeric_table, "anchor": anchor_table, "shuffled": shuffled_table, "text": text_table,
          "text-repeated": repeated_table}


def expected(n: int, kind: str) -> dict[str, np.ndarray]:
    df = numeric_table(n)
    if kind in ("numeric", "anchor"):
        return {name: df[name].to_numpy() * 100 for name in MONEY}
    if kind == "shuffled":
        df = shuffled_table(n)
        return {name: df[name].to_numpy() * 100 for name in MONEY}
    if kind == "text-repeated":
        return {name: repeated_money(n, np.random.default_rng(SEED + 100 + k))[1] for k, name in enumerate(MONEY)}
    return {name: expected_fen(df[name].to_numpy(), np.random.default_rng(SEED + k)) for k, name in enumerate(MONEY)}


# =============================================================================== one case, in its own process


def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def run_case(case: str, n: int, rounds: int, folder: Path) -> dict:
    import calc

    kind = case.split("-", 1)[1]
    if case.startswith("frame"):
        source: object = TABLES[kind](n)
    else:
        source = folder / f"{kind}.{case.split('-')[0]}"
    want = expected(n, kind)
    gc.collect()
    before = _status("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the high-water mark
        tracked = True
    except OSError:
        tracked = False
    walls, cpus = [], []
    for r in range(rounds):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        parsed = calc.load_enterprises(source)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if r == 0:
            peak = _status("VmHWM") - before if tracked else None
            frame_bytes = int(parsed.frame.memory_usage(deep=True).sum())
            assert len(parsed.errors) == 0, parsed.errors.head()
            assert len(parsed.frame) == n
            for name, fen in want.items():
                got = parsed.frame[name].to_numpy(dtype=np.int64, na_value=0)
                assert np.array_equal(got, fen), (name, np.flatnonzero(got != fen)[:5])
        del parsed
    return {"case": case, "n": n, "walls": walls, "cpus": cpus, "peak_bytes": peak, "frame_bytes": frame_bytes}


def reference_seconds(n: int, sample: int) -> float:
    """parse_money on every money cell of a text table, timed on ``sample`` rows and extrapolated to ``n``."""
    from calc.money import parse_money

    df = text_table(sample)
    cells = [v for name in MONEY for v in df[name].tolist()]
    t0 = time.perf_counter()
    for v in cells:
        parse_money(v)
    return (time.perf_counter() - t0) * n / sample


# =============================================================================== driver


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--reference-sample", type=int, default=20_000)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_case(a.one, a.rows, a.rounds, Path(a.folder))))
        return

    cases = [c for c in a.cases.split(",") if c]
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        folder = Path(tmp)
        for case in cases:
            kind, suffix = case.split("-", 1)[1], case.split("-")[0]
            if suffix == "csv":
                TABLES[kind](a.rows).to_csv(folder / f"{kind}.csv", index=False)
            elif suffix == "parquet":
                TABLES[kind](a.rows).to_parquet(folder / f"{kind}.parquet", index=False)
        results = {}
        for case in cases:
            proc = subprocess.run([sys.executable, __file__, "--one", case, "--rows", str(a.rows), "--rounds",
                                   str(a.rounds), "--folder", str(folder)], capture_output=True, text=True)
            if proc.returncode:
                last = (proc.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{case}: not run ({last})", file=sys.stderr)
                continue
            results[case] = json.loads(proc.stdout.strip().splitlines()[-1])
    ref = reference_seconds(a.rows, a.reference_sample)

    import calc
    print(f"calc.load_enterprises, {a.rows:,} rows × 12 columns, {a.rounds} rounds each "
          f"(pandas {pd.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"{'case':20s} {'median s':>9s} {'best s':>7s} {'first s':>8s} {'cpu s':>6s} {'peak MB':>8s} "
          f"{'frame MB':>9s}  cpu ratio")
    base = results.get("frame-numeric")
    base_cpu = statistics.median(base["cpus"]) if base else None
    for case, r in results.items():
        med, best, cpu = statistics.median(r["walls"]), min(r["walls"]), statistics.median(r["cpus"])
        peak = f"{r['peak_bytes'] / 2**20:8.0f}" if r["peak_bytes"] is not None else "       ?"
        ratio = f"{cpu / base_cpu:5.1f}× frame-numeric" if base_cpu else ""
        print(f"{case:20s} {med:9.3f} {best:7.3f} {r['walls'][0]:8.3f} {cpu:6.2f} {peak} "
              f"{r['frame_bytes'] / 2**20:9.0f}  {ratio}")
    print("first s: the first round (a one-off load); peak MB: memory the load added at its peak (the frame it returns "
          "included); frame MB: that frame; cpu s: process CPU time, all threads (median)")
    if "frame-text" in results:
        med = statistics.median(results["frame-text"]["walls"])
        print(f"per-value reference (parse_money on each of the 8 × {a.rows:,} money cells, extrapolated from "
              f"{a.reference_sample:,} rows): {ref:.1f} s = {ref / med:.0f}× frame-text")
    del calc


if __name__ == "__main__":
    main()
