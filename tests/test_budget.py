"""Budget and scenario modelling, worked by hand from 措施7 and the reform's numbers."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from calc import PolicyDataError, default_policies
from calc.budget import apply_reforms, cliffs, compare, load_reform, project, prorate, reform_parameters, sensitivity

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-06-30"
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
WAN = 10_000
CAP_300 = {"name": "cap 300万", "parameters": {f"{STEP}.cap": "300万"}}


def population(*rows):
    return pd.DataFrame([{"enterprise_id": f"E{i}", "city": "xiamen", "district": d, **row}
                         for i, (d, row) in enumerate(rows)])


# R&D grows by exactly 20% in each row, so the 超过20% bonus is never granted and only the step subsidy moves
HANDFUL = population(
    ("思明区", {"rd_expense": "1亿", "rd_expense_prev": "1亿"}),        # no growth: nothing, either way
    ("思明区", {"rd_expense": "1.2亿", "rd_expense_prev": "1亿"}),      # 60 steps → 600万, cap 500万 | reform 300万
    ("湖里区", {"rd_expense": "6000万", "rd_expense_prev": "5000万"}),  # 30 steps → 300万 | reform 300万 (at the cap)
    ("湖里区", {"rd_expense": "7200万", "rd_expense_prev": "6000万"}),  # 36 steps → 360万 | reform 300万
    ("集美区", {"rd_expense": "480万", "rd_expense_prev": "400万"}),    # 2 steps → 20万 | 20万
)


def test_cap_300_wan_worked_by_hand():
    cmp = compare(HANDFUL, [CAP_300], AS_OF)
    step = cmp.items.set_index("item_id").loc[STEP]
    # baseline 0 + 500 + 300 + 360 + 20 = 1180万; reform 0 + 300 + 300 + 300 + 20 = 920万
    assert step["baseline_yuan"] == 1180 * WAN and step["reform_yuan"] == 920 * WAN
    assert step["change_yuan"] == -260 * WAN
    assert step["baseline_recipients"] == step["reform_recipients"] == 4
    assert cmp.items.set_index("item_id").loc[BONUS, "baseline_yuan"] == 0  # growth exactly 20%: no bonus
    losers = cmp.enterprises.set_index("enterprise_id")
    assert losers.loc["E1", "change_yuan"] == -200 * WAN and losers.loc["E3", "change_yuan"] == -60 * WAN
    assert list(losers["outcome"]) == ["unchanged", "loses", "unchanged", "loses", "unchanged"]
    by_district = cmp.breakdown("district").set_index("district")
    assert by_district.loc["湖里区", "change_yuan"] == -60 * WAN and by_district.loc["思明区", "losers"] == 1


def test_what_binds_is_counted():
    binding = compare(HANDFUL, [CAP_300], AS_OF).binding().set_index(["scenario", "item_id"])
    # baseline: only E1 (600万) is above the 500万 cap; reform: E1 and E3 above 300万 (E2 is exactly at it)
    assert binding.loc[("baseline", STEP), "at_cap"] == 1
    assert binding.loc[("reform", STEP), "at_cap"] == 2
    assert binding.loc[("baseline", STEP), "below_threshold"] == 1  # E0 did not grow


def test_the_identity_reform_changes_nothing():
    policies = default_policies()
    every_value = {pid: {"value": p.versions[-1].text} for pid, p in policies.parameters().items()
                   if p.unit in ("yuan", "ratio", "count", "years")}
    cmp = compare("data/samples/enterprises.csv", [{"name": "identity", "parameters": every_value}], AS_OF)
    assert (cmp.items["change_yuan"] == 0).all()
    assert (cmp.items["baseline_yuan"] == cmp.items["reform_yuan"]).all()
    pd.testing.assert_frame_equal(cmp.baseline.wide, cmp.reform.wide)


def test_totals_reconcile_to_the_yuan():
    cmp = compare("data/samples/enterprises.csv", [CAP_300], AS_OF)
    assert cmp.items["baseline_yuan"].sum() == cmp.enterprises["baseline_yuan"].sum()
    assert cmp.items["reform_yuan"].sum() == cmp.enterprises["reform_yuan"].sum()
    assert cmp.items["baseline_yuan"].sum() == cmp.baseline.totals()["total_yuan"].sum()


def test_stacked_reforms_later_ones_win_and_items_can_be_switched_off():
    later = {"name": "cap 400万", "parameters": {f"{STEP}.cap": "400万"}}
    cmp = compare(HANDFUL, [CAP_300, later], AS_OF)
    # cap 400万: 400 + 300 + 360 + 20 = 1080万
    assert cmp.items.set_index("item_id").loc[STEP, "reform_yuan"] == 1080 * WAN
    off = compare(HANDFUL, [{"name": "off", "switch_off": [STEP]}], AS_OF)
    assert off.items.set_index("item_id").loc[STEP, "reform_yuan"] == 0


def test_a_dated_override_applies_only_from_its_date():
    dated = {"name": "cap 300万 from 2027", "parameters": {f"{STEP}.cap": {"value": "300万", "from": "2027-01-01"}}}
    assert compare(HANDFUL, [dated], "2026-12-31").items.set_index("item_id").loc[STEP, "change_yuan"] == 0
    assert compare(HANDFUL, [dated], "2027-01-01").items.set_index("item_id").loc[STEP, "change_yuan"] == -260 * WAN


def test_ceilings_take_the_assumed_award_share():
    # the growth bonus is 最高50万 (a ceiling): at a 60% award share it is budgeted at 30万
    rows = population(("思明区", {"rd_expense": "1000万", "rd_expense_prev": "500万"}))
    cmp = compare(rows, [], AS_OF, award_share="60%")
    items = cmp.items.set_index("item_id")
    assert items.loc[BONUS, "baseline_yuan"] == 30 * WAN and items.loc[BONUS, "award_share"] == "3/5"
    assert items.loc[STEP, "baseline_yuan"] == 50 * WAN  # a formula: never scaled


# ---------------------------------------------------------------------------- invalid reforms

@pytest.mark.parametrize("reform, message", [
    ({"name": "typo", "parameters": {f"{STEP}.capp": "300万"}}, f"nearest: {STEP}.cap"),
    ({"name": "unit", "parameters": {f"{STEP}.cap": "三百"}}, f"{STEP}.cap"),
    ({"name": "rate", "parameters": {f"{BONUS}.growth_rate": "abc"}}, "percentage"),
    ({"name": "dates", "parameters": {f"{STEP}.cap": {"value": "300万", "from": "2031-01-01"}}}, "outside the policy's validity"),
    ({"name": "keys", "paramters": {}}, "unknown keys paramters"),
    ({"name": "off", "switch_off": ["xiamen_sti_measures.rd_step"]}, "unknown item"),
])
def test_invalid_reforms_are_refused_with_what_users_see(reform, message):
    with pytest.raises(PolicyDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare(HANDFUL, [reform], AS_OF)


def test_validation_is_all_or_nothing():
    good_and_bad = [CAP_300, {"name": "bad", "parameters": {f"{STEP}.cap": "300万", f"{STEP}.nope": 1}}]
    with pytest.raises(PolicyDataError) as excinfo:
        apply_reforms(default_policies(), good_and_bad)
    assert f"{STEP}.nope" in str(excinfo.value)


def test_reform_parameters_are_shown_beside_their_current_value_and_citation():
    table = reform_parameters(default_policies(), [load_reform(CAP_300)], pd.Timestamp(AS_OF).date())
    row = table.iloc[0]
    assert (row["current"], row["reform_value"]) == ("500万元", "300万元")
    assert "最高500万元" in row["citation"]


# ---------------------------------------------------------------------------- pro-rating

def test_prorating_worked_by_hand():
    # claims 100 + 200 + 300 = 600 yuan against a budget of 300: factor 1/2 exactly, nothing left over
    paid, factor, remainder = prorate(np.array([100, 200, 300]), 300)
    assert paid.tolist() == [50, 100, 150] and factor == Fraction(1, 2) and remainder == 0
    # 3 × 1 yuan against 2 yuan: each ⌊2/3⌋ = 0, all 2 yuan are the remainder
    paid, factor, remainder = prorate(np.array([1, 1, 1]), 2)
    assert paid.tolist() == [0, 0, 0] and remainder == 2
    # a budget above the claims pays the claims in full
    paid, factor, _ = prorate(np.array([5, 7]), 100)
    assert paid.tolist() == [5, 7] and factor == 1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=30), st.integers(0, 10**13))
def test_prorated_totals_never_exceed_the_budget(claims, budget):
    paid, factor, remainder = prorate(np.array(claims, dtype=np.int64), budget)
    assert paid.sum() <= min(budget, sum(claims))
    assert (paid <= np.array(claims)).all() and (paid >= 0).all()
    if sum(claims) > budget:
        assert paid.sum() + remainder == budget


def test_a_budget_line_pro_rates_the_reform_awards():
    # step subsidy claims under the 300万 cap: 920万; budget 460万 → factor 1/2 → each award halved
    cmp = compare(HANDFUL, [CAP_300], AS_OF, budgets={STEP: "460万"})
    line = cmp.budget_lines.iloc[0]
    assert (line["claims_yuan"], line["budget_yuan"], line["factor_exact"]) == (920 * WAN, 460 * WAN, "1/2")
    assert cmp.items.set_index("item_id").loc[STEP, "prorated_yuan"] == 460 * WAN
    assert cmp.enterprises.set_index("enterprise_id").loc["E1", "prorated_yuan"] == 150 * WAN


# ---------------------------------------------------------------------------- projection

def test_a_two_year_item_is_paid_two_years():
    # 措施12: 最长2年、每人每年最高15万元 — 2 postdocs: 30万 in the first and the second year, nothing after
    rows = population(("思明区", {"rd_expense": "100万", "rd_expense_prev": "100万", "postdocs_in_station": 2,
                                  "hightech_transformation_project": True}))
    proj = project(rows, [2025, 2026, 2027])
    cost = proj.by_item[proj.by_item.scenario == "baseline"].set_index(["item_id", "year"])["cost_yuan"]
    postdoc = "xiamen_sti_measures.postdoc_allowance"
    assert [cost[(postdoc, y)] for y in (2025, 2026, 2027)] == [30 * WAN, 30 * WAN, 0]
    # 措施11: 连续2年、每年每家企业最高100万元
    award = "xiamen_sti_measures.hightech_transformation_award"
    assert [cost[(award, y)] for y in (2025, 2026, 2027)] == [100 * WAN, 100 * WAN, 0]


def test_projected_r_and_d_grows_exactly():
    # 1000万 growing 10% a year: 1100万 (5 steps → 50万) then 1210万 (6 steps → 60万); growth 10% < 20%: no bonus
    rows = population(("思明区", {"rd_expense": "1000万", "rd_expense_prev": "900万"}))
    proj = project(rows, [2025, 2026, 2027], rd_growth=0.10)
    cost = proj.by_item[(proj.by_item.scenario == "baseline") & (proj.by_item.item_id == STEP)]
    assert cost["cost_yuan"].tolist() == [50 * WAN, 50 * WAN, 60 * WAN]


def test_monte_carlo_is_reproducible_under_a_seed():
    kwargs = dict(years=[2025, 2026], rd_growth=0.12, rd_growth_sd=0.15, draws=50)
    first = project("data/samples/enterprises.csv", seed=7, **kwargs).by_year
    again = project("data/samples/enterprises.csv", seed=7, **kwargs).by_year
    other = project("data/samples/enterprises.csv", seed=8, **kwargs).by_year
    pd.testing.assert_frame_equal(first, again)
    assert not first[["p10_yuan", "p90_yuan"]].equals(other[["p10_yuan", "p90_yuan"]])
    assert (first["p10_yuan"] <= first["p50_yuan"]).all() and (first["p50_yuan"] <= first["p90_yuan"]).all()


# ---------------------------------------------------------------------------- sensitivity and cliffs

def test_cost_as_the_cap_runs_from_100_to_1000_wan():
    table = sensitivity(HANDFUL, f"{STEP}.cap", ["100万", "300万", "500万", "1000万"], AS_OF)
    # awards uncapped: 600, 300, 360, 20 (万) → cap 100: 100+100+100+20; 300: 300+300+300+20; 500: 500+300+360+20;
    # 1000: 600+300+360+20
    assert (table["cost_yuan"] // WAN).tolist() == [320, 920, 1180, 1280]


def test_cliffs_of_one_enterprise():
    # last year 900万: nothing until R&D grows (9,000,001 yuan → 4 steps, 40万); 1000万 → 5 steps; above
    # 1,080万 (growth > 20%, R&D > 500万) the bonus adds 50万; 1200万 → 6 steps; 1400万 → 7 steps
    table = cliffs({"enterprise_id": "E1", "city": "xiamen", "rd_expense": "1000万", "rd_expense_prev": "900万"},
                   AS_OF, hi="1500万")
    assert table["rd_yuan"].tolist() == [9_000_001, 10_000_000, 10_800_001, 12_000_000, 14_000_000]
    assert (table["jump_yuan"] // WAN).tolist() == [40, 10, 50, 10, 10]


# ---------------------------------------------------------------------------- CLI

def test_budget_cli_writes_one_row_per_item(tmp_path):
    reform = tmp_path / "cap300.yaml"
    reform.write_text(f"name: cap 300万\nparameters:\n  {STEP}.cap: 300万\n", encoding="utf-8")
    source = tmp_path / "pop.csv"
    HANDFUL.to_csv(source, index=False)
    out = tmp_path / "budget.csv"
    run = subprocess.run([sys.executable, "-m", "calc", "budget", str(source), "--as-of", AS_OF, "--reform", str(reform),
                          "--budget", f"{STEP}=460万", "--output", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("item_id")
    for column in ("baseline_yuan", "reform_yuan", "change_yuan", "baseline_recipients", "reform_recipients",
                   "prorated_yuan"):
        assert column in table.columns
    assert (table.loc[STEP, "baseline_yuan"], table.loc[STEP, "reform_yuan"], table.loc[STEP, "prorated_yuan"]) == \
        (1180 * WAN, 920 * WAN, 460 * WAN)
    bad = subprocess.run([sys.executable, "-m", "calc", "budget", str(source), "--reform", str(tmp_path / "nope.yaml"),
                          "--output", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "reform file not found" in bad.stderr


def test_budget_xlsx_has_the_report_sheets_and_charts(tmp_path):
    out = tmp_path / "budget.xlsx"
    run = subprocess.run([sys.executable, "-m", "calc", "budget", "data/samples/enterprises.csv", "--as-of", AS_OF,
                          "--years", "2026-2027", "--draws", "20", "--growth-sd", "0.1", "--output", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and "every draw is the same" not in run.stderr, run.stderr
    from openpyxl import load_workbook
    book = load_workbook(out)
    for sheet in ("totals", "enterprises", "by_district", "projection", "reform_parameters", "binding"):
        assert sheet in book.sheetnames
    assert book["by_district"]._charts and book["projection"]._charts


def test_draws_without_a_growth_spread_are_said_to_be_all_the_same(tmp_path):
    # R&D growth is what is drawn: with --growth-sd 0 (the default) 200 draws were 200 copies, P10 = P50 = P90
    # (seen on a 1,000,000-row population), without a word
    out = tmp_path / "budget.csv"
    run = subprocess.run([sys.executable, "-m", "calc", "budget", "data/samples/enterprises.csv", "--as-of", AS_OF,
                          "--years", "2026-2027", "--draws", "5", "--output", str(out)], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert ("warning: --draws 5 with --growth-sd 0: every draw is the same, so P10 = P50 = P90; give the spread of "
            "R&D growth, e.g. --growth-sd 0.15") in run.stderr.splitlines()
    projection = pd.read_csv(tmp_path / "budget.projection.csv")
    assert (projection["p10_yuan"] == projection["p90_yuan"]).all()  # what the warning says


# ---------------------------------------------------------------------------- dashboard helpers

def test_editable_parameters_are_seeded_from_the_data_with_citations():
    from calc.budget import editable_parameters
    table = editable_parameters(as_of=AS_OF).set_index("parameter_id")
    row = table.loc[f"{STEP}.cap"]
    assert (row["current"], row["unit"], row["text"]) == ("500万元", "yuan", "500万元")
    assert "最高500万元" in row["citation"]
    assert table.loc[f"{BONUS}.growth_rate", "current"] == "20%"


def test_the_reproduce_in_python_code_gives_the_same_numbers():
    from calc.budget import reproduce_code
    code = reproduce_code("data/samples/enterprises.csv", [CAP_300], AS_OF, budgets={STEP: "5000万"},
                          award_share="80%")
    namespace: dict = {}
    exec(compile(code, "<reproduce>", "exec"), namespace)  # the generated snippet, as a user would run it
    expected = compare("data/samples/enterprises.csv", [CAP_300], AS_OF, budgets={STEP: "5000万"}, award_share="80%")
    pd.testing.assert_frame_equal(namespace["cmp"].items, expected.items)


def test_matching_read_as_a_ceiling_takes_the_award_share():
    # 第九条（二）「可按国家财政资金投入的50%予以配套支持,最高不超过1000万元」: national 2000万 × 50% = 1000万 (= the cap;
    # 0 + 0 + 1000万 + 2000万 ≤ 项目总投入 1亿).  Read as a formula (default) the share does not apply: 1000万; read
    # as a ceiling (option kind=ceiling, 可 = discretionary) a 50% award share gives 500万.
    df = pd.DataFrame([{"enterprise_id": "a", "city": "xiamen", "consortium_member": True, "national_funding": "2000万",
                        "provincial_funding": 0, "municipal_funding": 0, "project_total_investment": "1亿"}])
    item = "xiamen_consortium_2025.national_project_matching"
    as_formula = compare(df, [], "2026-06-30", award_share="50%").items.set_index("item_id").loc[item]
    as_ceiling = compare(df, [], "2026-06-30", award_share="50%",
                         options={f"{item}.kind": "ceiling"}).items.set_index("item_id").loc[item]
    assert (as_formula["kind"], as_formula["baseline_yuan"]) == ("formula", 10_000_000)
    assert (as_ceiling["kind"], as_ceiling["baseline_yuan"]) == ("ceiling", 5_000_000)


def test_monte_carlo_growth_is_each_row_s_own_stream_value():
    # The documented streams, worked independently: enterprise at input row r (0-based r − 1), draw d, year k draws
    # the ((r − 1) mod 16,384)-th normal of Generator(Philox(key = seed + 1·2^64, counter = block·2^128 +
    # (d·2^16 + k)·2^192)); its R&D grows by that many basis points (rint(growth × 10,000)), floored to the yuan.
    # Each draw's 2027 cost is then the engine's on the grown R&D; with 11 draws P10/P50/P90 are the sorted costs'
    # 2nd, 6th and 10th (index ⌊q × 10 / 100⌋).
    from calc import entitlements
    from calc.budget import counted_amounts

    rows = population(("思明区", {"rd_expense": "1000万", "rd_expense_prev": "900万"}),
                      ("湖里区", {"rd_expense": "6000万", "rd_expense_prev": "5000万"}),
                      ("集美区", {"rd_expense": "480万", "rd_expense_prev": "400万"}))
    seed, draws = 424242, 11
    proj = project(rows, [2026, 2027], rd_growth=0.12, rd_growth_sd=0.15, draws=draws, seed=seed)
    rd = np.array([1000, 6000, 480]) * WAN * 100  # fen
    costs = []
    for d in range(draws):
        generator = np.random.Generator(np.random.Philox(key=seed + (1 << 64), counter=((d << 16) + 1) << 192))
        normals = generator.normal(0.12, 0.15, size=3)  # rows 1, 2, 3: positions 0, 1, 2 of block 0
        bp = np.rint(normals * 10_000).astype(np.int64)
        grown = [int(r) * (10_000 + int(g)) // 10_000 // 100 for r, g in zip(rd, bp)]  # yuan, floored
        year = rows.assign(rd_expense=grown, rd_expense_prev=[1000 * WAN, 6000 * WAN, 480 * WAN])
        amounts = counted_amounts(entitlements(year, "2027-12-31"))
        costs.append(sum(int(a.sum()) for a in amounts.values()) // 100)
    costs.sort()
    got = proj.by_year.set_index(["year", "scenario"]).loc[(2027, "baseline")]
    assert (got["p10_yuan"], got["p50_yuan"], got["p90_yuan"]) == (costs[1], costs[5], costs[9])
    assert costs[1] < costs[9]  # the draws differ


def test_the_projection_of_parts_is_the_projection_of_the_whole(monkeypatch):
    # a population cut anywhere (here across blocks of 64 rows: the streams' blocks made small) gives, part by
    # part and merged, the whole's costs, recipients and percentiles: the draws are keyed by row, not by place
    import calc.budget as budget
    from calc import load_enterprises

    monkeypatch.setattr(budget, "RANDOM_BLOCK_ROWS", 64)
    frame = load_enterprises(ROOT / "data" / "samples" / "population.csv").frame
    args, policies, reformed = budget.checked_projection([2026, 2027], reforms=[CAP_300], rd_growth_sd=0.2,
                                                         draws=12, seed=9, platform_rate=0.1)
    whole = budget.projection_merge([budget.projection_part(frame, args, policies, reformed)], args, policies)
    cuts = [0, 50, 51, 64, 700, 1999, len(frame)]
    parts = [budget.projection_part(frame.iloc[a:b], args, policies, reformed, chunk_rows=3000)
             for a, b in zip(cuts, cuts[1:])]
    merged = budget.projection_merge(parts[::-1], args, policies)  # in any order
    for table in ("by_item", "by_year", "change"):
        pd.testing.assert_frame_equal(getattr(merged, table), getattr(whole, table))
    assert merged.assumptions == whole.assumptions
