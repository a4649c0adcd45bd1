"""Benchmark of the two engines on large synthetic tables: vectorised vs a per-row Python loop.

    .venv/bin/python benchmarks/bench_core.py [--rows N] [--repeats R] [--loop-sample S] [--as-of DATE]
    make bench

What is timed (medians over R repeats, with min and max; wall clock, time.perf_counter):

- ``calc.load_enterprises`` / ``calc.load_consortia`` on the in-memory DataFrame (no file I/O), for information;
- ``calc.entitlements(parsed, as_of=…)`` on N enterprises: every item with statuses, requirements, validity and
  就高不重复 / 叠加 (parsing excluded: the input is parsed once, outside the timing);
- ``result.totals()`` and ``result.wide`` on that result, separately;
- ``calc.assess_consortia(parsed, as_of=…, jurisdictions="all")`` on N consortia (parsed once, outside);
- the same engines called once per row, on one-row tables (pre-parsed, outside the timing) for a sample of S
  rows, then *extrapolated* to N rows; the ratio loop / vectorised is printed.

The synthetic input is seeded and fills **every** input column with a realistic value, so every item and
criterion really computes (no column short-cuts to "needs_input").  The default as-of date, 2026-03-31, is one
on which all five policies are in force, so no policy is skipped as not in force.
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
from typing import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import calc  # noqa: E402
from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS, ParsedInput  # noqa: E402

SEED = 20260630
WAN = 10_000
YI = 100_000_000


# =============================================================================== synthetic input


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)


def _pick(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def _lognormal(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, size=n)


def make_enterprises(n: int, seed: int = SEED) -> pd.DataFrame:
    """n enterprises, every column filled: money as integer yuan, counts as integers, flags as bools."""
    rng = np.random.default_rng(seed)
    city = _pick(rng, ("xiamen", "other", "qingdao", "hainan", "liaoyang"), n, (0.85, 0.06, 0.04, 0.03, 0.02))
    member = rng.random(n) < 0.22
    lead = member & (rng.random(n) < 0.18)
    rd = np.clip(np.round(_lognormal(rng, n, 250 * WAN, 1.1) * np.where(member, 2.5, 1.0)), 5 * WAN, 5 * YI)
    growth = np.where(rng.random(n) < 0.2, rng.uniform(-0.35, 0.0, n), rng.uniform(0.0, 0.9, n))
    national = np.where(member & (rng.random(n) < 0.4), np.round(_lognormal(rng, n, 600 * WAN, 0.8), -4), 0)
    provincial = np.round(national * rng.uniform(0, 0.4, n), -4)
    municipal = np.round(national * rng.uniform(0, 0.3, n), -4)
    total = np.round((national + provincial + municipal) * rng.uniform(1.0, 4.0, n), -4)

    def counts(p_positive: float, high: int = 3) -> np.ndarray:
        return np.where(rng.random(n) < p_positive, rng.integers(1, high, n), 0).astype(np.int64)

    def flags(p: float) -> np.ndarray:
        return rng.random(n) < p

    columns = {
        "enterprise_id": _ids("E", n),
        "name": np.char.add("样本企业", np.arange(n).astype(str)).astype(object),
        "city": city,
        "district": _pick(rng, ("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区"), n),
        "industry": _pick(rng, ("软件和信息服务", "集成电路", "生物医药", "新能源", "新材料", "高端装备制造"), n),
        "size_band": _pick(rng, ("微型", "小型", "中型", "大型"), n, (0.25, 0.4, 0.25, 0.1)),
        "consortium_member": member,
        "rd_expense": rd.astype(np.int64),
        "rd_expense_prev": np.round(rd / (1 + growth)).astype(np.int64),
        "national_funding": national.astype(np.int64),
        "provincial_funding": provincial.astype(np.int64),
        "municipal_funding": municipal.astype(np.int64),
        "project_total_investment": total.astype(np.int64),
        "joint_lab_investment": np.where(flags(0.12), np.round(_lognormal(rng, n, 800 * WAN, 1.0), -3), 0).astype(np.int64),
        "tech_transaction_paid": np.where(flags(0.25), np.round(_lognormal(rng, n, 60 * WAN, 0.9), -2), 0).astype(np.int64),
        "new_national_platforms": counts(0.02),
        "new_intl_coop_bases": counts(0.02),
        "postdocs_in_station": counts(0.06, 5),
        "incubators": counts(0.04),
        "intl_coop_base_rating": _pick(rng, ("excellent", "good", "pass", "none"), n, (0.03, 0.04, 0.03, 0.90)),
        "brics_projects": counts(0.02),
        "intergov_projects": counts(0.01, 2),
        "national_pilot_platforms": counts(0.01, 2),
        "sme_innovation_projects": counts(0.08),
        "scenario_projects": counts(0.03, 2),
        "hightech_transformation_project": flags(0.10),
        "consortium_lead": lead,
        "talent_consortium_lead": lead & flags(0.35),
        "major_projects": np.where(member, counts(0.25), 0),
        "public_platforms_new": np.where(member, counts(0.10, 2), 0),
        "public_platform_rating": _pick(rng, ("excellent", "good", "pass", "fail", "none"), n,
                                        (0.04, 0.05, 0.04, 0.01, 0.86)),
        "public_platform_upgrade_need": flags(0.5),
        "double_hundred_hires": np.where(lead, counts(0.35, 4), 0),
        "new_mechanism_recognised": member & flags(0.15),
        "consortium_evaluation": np.where(lead, _pick(rng, ("excellent", "pass", "none"), n, (0.3, 0.5, 0.2)), "none"),
        "claim_year": np.full(n, 2026, dtype=np.int64),
    }
    # the columns added later, drawn last so that the earlier columns keep their values for the seed
    columns["joint_labs"] = np.where(columns["joint_lab_investment"] > 0, rng.integers(1, 3, n), 0).astype(np.int64)
    columns["executive_host"] = member & flags(0.3)
    columns["consortium_is_provincial_mfg_center"] = lead & flags(0.05)
    frame = pd.DataFrame(columns)
    assert list(frame.columns) == [c.name for c in ENTERPRISE_COLUMNS], "benchmark columns drifted from the schema"
    return frame


def make_consortia(n: int, seed: int = SEED + 1) -> pd.DataFrame:
    """n consortia, every column filled."""
    rng = np.random.default_rng(seed)
    jurisdiction = _pick(rng, ("xiamen", "hainan", "qingdao", "liaoyang"), n, (0.55, 0.2, 0.15, 0.1))
    enterprises = rng.integers(4, 13, n)
    universities = rng.choice(4, size=n, p=(0.1, 0.4, 0.35, 0.15))
    institutes = rng.choice(3, size=n, p=(0.3, 0.5, 0.2))
    others = rng.choice(3, size=n, p=(0.5, 0.35, 0.15))
    total = enterprises + universities + institutes + others
    revenue = _lognormal(rng, n, 8 * YI, 0.9)
    g1, g2 = rng.uniform(0, 0.25, n), rng.uniform(0, 0.25, n)
    ratio = _lognormal(rng, n, 0.04, 0.5)
    revenue_prev = revenue / (1 + g1)
    revenue_prev2 = revenue_prev / (1 + g2)
    lead_type = _pick(rng, ("enterprise", "new_rd_institution", "hospital_3a", "hospital_other",
                            "provincial_mfg_innovation_center", "university"), n, (0.8, 0.07, 0.05, 0.02, 0.04, 0.02))
    columns = {
        "consortium_id": _ids("C", n),
        "name": np.char.add("样本联合体", np.arange(n).astype(str)).astype(object),
        "jurisdiction": jurisdiction,
        "enterprises": enterprises,
        "universities": universities,
        "research_institutes": institutes,
        "other_units": others,
        "local_units": rng.binomial(total, rng.uniform(0.4, 0.95, n)),
        # the units registered in each jurisdiction (filled below): the consortium's own, none in the others
        **{f"local_units_{j}": None for j in ("xiamen", "liaoyang", "qingdao", "hainan")},
        "scale_or_hightech_enterprises": rng.binomial(enterprises, 0.5),
        "lead_type": lead_type,
        "lead_region": np.where(rng.random(n) < 0.9, jurisdiction, "other").astype(object),
        "lead_revenue": np.round(revenue).astype(np.int64),
        "lead_revenue_prev": np.round(revenue_prev).astype(np.int64),
        "lead_revenue_prev2": np.round(revenue_prev2).astype(np.int64),
        "lead_rd": np.round(revenue * ratio * rng.uniform(0.85, 1.15, n)).astype(np.int64),
        "lead_rd_prev": np.round(revenue_prev * ratio * rng.uniform(0.85, 1.15, n)).astype(np.int64),
        "lead_rd_prev2": np.round(revenue_prev2 * ratio * rng.uniform(0.85, 1.15, n)).astype(np.int64),
        "lead_years_operating": rng.choice((2, 3, 5, 8, 12, 20, 30), size=n,
                                           p=(0.05, 0.05, 0.15, 0.2, 0.25, 0.2, 0.1)),
        "lead_platform_level": _pick(rng, ("none", "municipal", "provincial", "national"), n, (0.1, 0.3, 0.45, 0.15)),
        "lead_rd_staff": np.round(_lognormal(rng, n, 60, 0.8)).astype(np.int64),
        "lead_other_consortia": (rng.random(n) < 0.1).astype(np.int64),
        "lead_high_tech": rng.random(n) < 0.9,
        "chief_scientist": rng.random(n) < 0.9,
        "agreement_signed": rng.random(n) < 0.92,
        "field": np.where(np.isin(lead_type, ("hospital_3a", "hospital_other")), "life_health",
                          _pick(rng, ("life_health", "digital_economy", "seed_industry", "other"), n,
                                (0.15, 0.15, 0.05, 0.65))).astype(object),
        "core_team_members": rng.integers(6, 25, n),
        "national_level_talents": rng.choice(4, size=n, p=(0.2, 0.4, 0.3, 0.1)),
        "city_b_talents": rng.integers(1, 9, n),
        "lead_regional_medical_center": None,  # drawn last (below): the earlier columns keep their values
        "lead_is_provincial_mfg_center": lead_type == "provincial_mfg_innovation_center",
    }
    for j in ("xiamen", "liaoyang", "qingdao", "hainan"):
        columns[f"local_units_{j}"] = np.where(jurisdiction == j, columns["local_units"], 0)
    columns["lead_regional_medical_center"] = (lead_type == "hospital_3a") & (rng.random(n) < 0.2)
    frame = pd.DataFrame(columns)
    assert list(frame.columns) == [c.name for c in CONSORTIUM_COLUMNS], "benchmark columns drifted from the schema"
    return frame


# =============================================================================== timing


def timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Run fn `repeats` times; return the wall times and the last result."""
    times, out = [], None
    for _ in range(repeats):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def fmt_s(seconds: float) -> str:
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"


def report(label: str, times: list[float], rows: int) -> float:
    med = statistics.median(times)
    rate = f"   {rows / med / 1e6:6.2f} M rows/s" if med > 0 else ""
    print(f"  {label:<52} median {fmt_s(med):>9}   min {fmt_s(min(times)):>9}   max {fmt_s(max(times)):>9}{rate}")
    return med


def one_row_inputs(parsed: ParsedInput, rows: np.ndarray) -> list[ParsedInput]:
    """Pre-parsed one-row tables (the parsing of a row is not part of the loop's timing either)."""
    return [ParsedInput(frame=parsed.frame.iloc[i:i + 1], errors=parsed.errors.iloc[:0], unknown_columns={},
                        table=parsed.table) for i in rows]


def loop(label: str, call: Callable[[ParsedInput], object], singles: list[ParsedInput], n_rows: int,
         repeats: int) -> float:
    """Time the per-row loop over the sample, extrapolate to n_rows; return the extrapolated median."""
    call(singles[0])  # warm caches (policy parameters, reason codes) as the vectorised run had them
    times, _ = timed(lambda: [call(s) for s in singles], repeats)
    per_row = [t / len(singles) for t in times]
    scaled = [p * n_rows for p in per_row]
    med = statistics.median(scaled)
    print(f"  {label:<52} median {fmt_s(med):>9}   min {fmt_s(min(scaled)):>9}   max {fmt_s(max(scaled)):>9}"
          f"   ({statistics.median(per_row) * 1e3:.2f} ms per row)")
    print(f"    EXTRAPOLATED to {n_rows:,} rows from a loop over {len(singles):,} rows, {repeats} repeats")
    return med


def rss_mb() -> float | None:
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    except Exception:  # noqa: BLE001
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of each table (default 1,000,000)")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of each timing (default 5)")
    ap.add_argument("--loop-sample", type=int, default=None,
                    help="rows in the per-row loop sample (default: 500 enterprises and 200 consortia)")
    ap.add_argument("--as-of", default="2026-03-31", help="as-of date (default 2026-03-31: every policy in force)")
    args = ap.parse_args(argv)
    if args.rows < 1 or args.repeats < 1 or (args.loop_sample is not None and args.loop_sample < 1):
        ap.error("--rows, --repeats and --loop-sample must be positive")
    n, repeats, as_of = args.rows, args.repeats, args.as_of
    sample_e = min(args.loop_sample or 500, n)
    sample_c = min(args.loop_sample or 200, n)

    print("calc benchmark: vectorised engines vs a per-row loop")
    print(f"  machine: {platform.machine()}, {os.cpu_count()} CPUs (os.cpu_count), {platform.system()} "
          f"{platform.release()}")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"  rows {n:,}, repeats {repeats}, loop sample {sample_e} enterprises / {sample_c} consortia, "
          f"as_of {as_of}")
    t_start = time.perf_counter()

    # ------------------------------------------------------------------ enterprises
    t0 = time.perf_counter()
    raw_e = make_enterprises(n)
    print(f"\nenterprises: built {n:,} synthetic rows x {raw_e.shape[1]} columns in {fmt_s(time.perf_counter() - t0)}")
    load_times, parsed_e = timed(lambda: calc.load_enterprises(raw_e), max(1, min(repeats, 3)))
    assert parsed_e.errors.empty and len(parsed_e.frame) == n, parsed_e.errors.head()
    report("load_enterprises (DataFrame, no file I/O)", load_times, n)
    del raw_e

    calc.entitlements(one_row_inputs(parsed_e, np.arange(1))[0], as_of=as_of)  # warm-up: policy data loaded
    t_ent, result = timed(lambda: calc.entitlements(parsed_e, as_of=as_of), repeats)
    granted = {node.id: int(result.counted(node.id).sum()) for node in result.nodes if node.kind != "info"}
    med_ent = report(f"entitlements ({len(result.nodes)} items, statuses, stacking)", t_ent, n)
    t_tot, _ = timed(result.totals, repeats)
    report("result.totals()", t_tot, n)
    t_wide, wide = timed(lambda: result.wide, repeats)
    report(f"result.wide ({wide.shape[1]} columns)", t_wide, n)
    never = sorted(k for k, v in granted.items() if v == 0)
    print(f"    every item computed; granted rows per item: min {min(granted.values()):,}, "
          f"max {max(granted.values()):,}" + (f"; never granted: {', '.join(never)}" if never else ""))
    del wide

    rows_e = np.random.default_rng(SEED).choice(n, size=sample_e, replace=False)
    singles_e = one_row_inputs(parsed_e, np.sort(rows_e))
    loop_ent = loop("per-row loop: entitlements", lambda s: calc.entitlements(s, as_of=as_of), singles_e, n,
                    max(1, min(repeats, 3)))
    print(f"  ratio loop / vectorised (entitlements): {loop_ent / med_ent:,.0f}x")
    del result, parsed_e, singles_e
    gc.collect()

    # ------------------------------------------------------------------ consortia
    t0 = time.perf_counter()
    raw_c = make_consortia(n)
    print(f"\nconsortia: built {n:,} synthetic rows x {raw_c.shape[1]} columns in {fmt_s(time.perf_counter() - t0)}")
    load_times, parsed_c = timed(lambda: calc.load_consortia(raw_c), max(1, min(repeats, 3)))
    assert parsed_c.errors.empty and len(parsed_c.frame) == n, parsed_c.errors.head()
    report("load_consortia (DataFrame, no file I/O)", load_times, n)
    del raw_c

    t_con, check = timed(lambda: calc.assess_consortia(parsed_c, as_of=as_of, jurisdictions="all"), repeats)
    criteria = sum(len(a.nodes) for a in check.assessments)
    med_con = report(f"assess_consortia (all 4 jurisdictions, {criteria} criteria)", t_con, n)
    statuses = {a.jurisdiction: np.bincount(a.status, minlength=5) for a in check.assessments}
    print("    statuses (eligible / with exceptions / ineligible / incomplete / not in force): "
          + "; ".join(f"{j} {'/'.join(f'{c:,}' for c in counts)}" for j, counts in statuses.items()))
    del check

    rows_c = np.random.default_rng(SEED + 1).choice(n, size=sample_c, replace=False)
    singles_c = one_row_inputs(parsed_c, np.sort(rows_c))
    loop_con = loop("per-row loop: assess_consortia",
                    lambda s: calc.assess_consortia(s, as_of=as_of, jurisdictions="all"), singles_c, n,
                    max(1, min(repeats, 3)))
    print(f"  ratio loop / vectorised (assess_consortia): {loop_con / med_con:,.0f}x")

    peak = rss_mb()
    print(f"\ntotal wall time {fmt_s(time.perf_counter() - t_start)}"
          + (f"; peak resident memory {peak / 1024:.1f} GB" if peak else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
