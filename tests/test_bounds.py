"""Exact and bounded arithmetic (issue 11, point 5): every amount is exact at the edges of calc.limits' bounds.

Each test feeds values at, just inside or just outside a bound and checks either the amount worked out by hand
(the working is in the comment) or the same amount computed independently in Python integers, which never wrap.
Money is generated in fen and typed as yuan text, the way a user types it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import tracemalloc
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc.inputs import ENTERPRISE_COLUMNS
from calc import OptionError, PolicyDataError, default_policies, entitlements, load_enterprises
from calc.budget import (
    Comparison, _grow, _growth_bp, check_projection_args, cliffs, compare, counted_amounts, parse_award_share,
    parse_budgets, parse_years, project, prorate, sensitivity,
)
from calc.entitlements import ItemBoundError
from calc.limits import (
    MAX_COUNT, MAX_DRAWS, MAX_ITEM_FEN, MAX_MONEY_FEN, MAX_RATE_DENOMINATOR, MAX_UNIT_AMOUNT_FEN, MAX_YEARS,
)
from calc import assess_consortia
from calc.rules.base import ITEMS, RESULTS, STATUSES, Award, InputBoundError, mul_rate, ratio_at_least, reason_keys

engine = importlib.import_module("calc.entitlements")  # the module (calc.entitlements is also the function)
AS_OF = "2026-06-30"  # the Xiamen measures (2025-01-01 – 2027-12-31) and consortium measures (from 2025-08-10)
ON = dt.date(2026, 6, 30)
FEN = 100
WAN = 10_000 * FEN  # one 万元 in fen
INT64_MAX = 2**63 - 1
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
JOINT_LAB = "xiamen_sti_measures.joint_lab"
TECH = "xiamen_sti_measures.tech_transaction"
MATCH = "xiamen_consortium_2025.national_project_matching"
PLATFORM = "xiamen_sti_measures.national_platform_award"
POSTDOC = "xiamen_sti_measures.postdoc_allowance"
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MONEY = [c.name for c in ENTERPRISE_COLUMNS if c.kind == "money"]
COUNTS = [c.name for c in ENTERPRISE_COLUMNS if c.kind == "count" and c.name != "claim_year"]  # counts of events

# money at the bound's edges and anywhere below it (fen); counts likewise
money = st.one_of(st.sampled_from([0, 1, FEN, MAX_MONEY_FEN - FEN, MAX_MONEY_FEN - 1, MAX_MONEY_FEN]),
                  st.integers(0, MAX_MONEY_FEN))
counts = st.one_of(st.sampled_from([0, 1, MAX_COUNT - 1, MAX_COUNT]), st.integers(0, MAX_COUNT))


def yuan(fen: int) -> str:
    """An amount in fen as the yuan text a user types: 12345.67."""
    return f"{fen // FEN}.{fen % FEN:02d}"


def law(parameter_id: str):
    return default_policies().value(parameter_id, ON)


def frame(rows: list[dict]) -> pd.DataFrame:
    cells = []
    for i, row in enumerate(rows):
        cells.append({"enterprise_id": f"E{i}", "city": "xiamen", "consortium_member": True, "consortium_lead": True,
                      "talent_consortium_lead": True,
                      **{k: (yuan(v) if k in MONEY else v) for k, v in row.items()}})
    return pd.DataFrame(cells, dtype=object)


def fen_of(result, item_id: str) -> list[int]:
    return [int(v) for v in result.awards[item_id].amount]


def status_of(result, item_id: str) -> list[str]:
    return [STATUSES[s] for s in result.awards[item_id].status]


def floor_yuan(fen: int) -> int:
    return fen // FEN * FEN


# ---------------------------------------------------------------------------------------------- the rules at the bounds

@st.composite
def extreme_row(draw) -> dict:
    row = {name: draw(money) for name in MONEY}
    row.update({name: draw(counts) for name in COUNTS})
    return row


@PROPERTY
@given(st.lists(extreme_row(), min_size=1, max_size=5))
def test_every_item_at_the_input_bounds_is_exact_non_negative_and_within_its_cap(rows):
    result = entitlements(frame(rows), as_of=AS_OF)
    assert result.errors.empty, result.errors
    for item_id, award in result.awards.items():
        amount = np.asarray(award.amount)
        assert amount.dtype == np.int64, item_id
        assert (amount >= 0).all() and (amount <= MAX_ITEM_FEN).all(), item_id
    step, per_step, cap = law(f"{STEP}.step"), law(f"{STEP}.amount_per_step"), law(f"{STEP}.cap")
    threshold = law(f"{STEP}.threshold")
    rate, lab_cap = law(f"{JOINT_LAB}.rate"), law(f"{JOINT_LAB}.cap")
    tech_rate, tech_cap = law(f"{TECH}.max_rate"), law(f"{TECH}.cap_per_project")
    half, match_cap = law(f"{MATCH}.rate"), law(f"{MATCH}.cap")
    for i, row in enumerate(rows):
        # the same amounts in Python integers (they never wrap), straight from the texts' formulas
        rd, prev = row["rd_expense"], row["rd_expense_prev"]
        expected_step = min(rd // step * per_step, cap) if rd > threshold and rd > prev else 0   # 措施7
        assert fen_of(result, STEP)[i] == expected_step
        invest = row["joint_lab_investment"]
        # the cap is per laboratory: joint_labs × 1000万 (措施7; 0 labs: nothing to pay)
        labs = row.get("joint_labs", 1)
        assert fen_of(result, JOINT_LAB)[i] == min(floor_yuan(invest * rate.numerator // rate.denominator),
                                                   labs * lab_cap)
        paid = row["tech_transaction_paid"]
        assert fen_of(result, TECH)[i] == min(floor_yuan(paid * tech_rate.numerator // tech_rate.denominator), tech_cap)
        national = row["national_funding"]
        room = max(row["project_total_investment"] - national - row["provincial_funding"] - row["municipal_funding"], 0)
        expected = floor_yuan(min(national * half.numerator // half.denominator, match_cap, room)) if national else 0
        assert fen_of(result, MATCH)[i] == expected                                                 # 第九条（二）
        # per counted unit: count × amount (a million platforms × 3000万 = 3 × 10^15 fen, exact)
        assert fen_of(result, POSTDOC)[i] == row["postdocs_in_station"] * law(f"{POSTDOC}.max_per_person_year")
    totals = result.totals()
    for i in range(len(rows)):
        counted = sum(int(a.amount[i]) for nid, a in result.awards.items() if a.status[i] == STATUSES.index("granted"))
        assert int(totals["total_yuan"].iloc[i]) == counted // FEN


def test_matching_room_cannot_wrap_whatever_the_other_funding():
    # 第九条（二）: 国家、省、市资助金额之和不超过项目总投入.  National 2000万, provincial and municipal each 10万亿
    # (the largest amount accepted), total investment 1亿: no room at all → 0 (not 1000万 from a wrapped sum).
    top = yuan(MAX_MONEY_FEN)
    row = {"national_funding": 2000 * WAN, "provincial_funding": MAX_MONEY_FEN, "municipal_funding": MAX_MONEY_FEN,
           "project_total_investment": 10_000 * WAN}
    result = entitlements(frame([row]), as_of=AS_OF)
    assert top == "10000000000000.00" and result.errors.empty
    # and zero is not a grant (issue 12)
    assert (status_of(result, MATCH)[0], fen_of(result, MATCH)[0]) == ("not_eligible", 0)
    # one fen of room more than the other funding leaves: total 10万亿 + 2000万 … still only what remains
    row = {"national_funding": 2000 * WAN, "provincial_funding": MAX_MONEY_FEN - 3000 * WAN, "municipal_funding": 0,
           "project_total_investment": MAX_MONEY_FEN}
    # room = 10万亿 − 2000万 − (10万亿 − 3000万) = 1000万; 50% × 2000万 = 1000万; cap 1000万 → 1000万
    assert fen_of(entitlements(frame([row]), as_of=AS_OF), MATCH)[0] == 1000 * WAN


def test_a_table_handed_in_directly_above_the_bounds_is_refused_not_wrapped():
    # the loaders refuse 92233720368547758 yuan; a ParsedInput built by hand is checked by the engine itself
    parsed = load_enterprises(frame([{"national_funding": 2000 * WAN, "provincial_funding": 0, "municipal_funding": 0,
                                      "project_total_investment": 10_000 * WAN}]))
    parsed.frame["provincial_funding"] = pd.array([92233720368547758 * FEN], dtype="Int64")
    with pytest.raises(InputBoundError, match=r"provincial_funding.*must be 0 to 1,000,000,000,000,000"):
        entitlements(parsed, as_of=AS_OF)
    parsed.frame["provincial_funding"] = pd.array([-1], dtype="Int64")  # negative: refused too
    with pytest.raises(ValueError, match="provincial_funding"):
        entitlements(parsed, as_of=AS_OF)
    counted = load_enterprises(frame([{"postdocs_in_station": 1}]))
    counted.frame["postdocs_in_station"] = pd.array([MAX_COUNT + 1], dtype="Int64")
    with pytest.raises(InputBoundError, match="postdocs_in_station.*a count must be 0 to 1,000,000"):
        entitlements(counted, as_of=AS_OF)


# ---------------------------------------------------------------------------------------------- reforms at the bounds

def test_a_tiny_step_and_the_largest_amount_per_step_cannot_overflow():
    # a reform at the bounds: step 0.01 yuan (1 fen), 10亿 per step, cap 10亿.  R&D 10万亿 = 10^15 steps;
    # 10^15 × 10^11 fen would pass int64 — the steps are clamped to what the cap allows first: award = cap.
    policies = default_policies().with_overrides({f"{STEP}.step": "0.01", f"{STEP}.amount_per_step": "10亿",
                                                  f"{STEP}.cap": "10亿"})
    rows = [{"rd_expense": MAX_MONEY_FEN, "rd_expense_prev": 0},
            {"rd_expense": 200 * WAN + 1, "rd_expense_prev": 0},        # 2,000,000.01 yuan: 200,000,001 steps → cap
            {"rd_expense": 200 * WAN, "rd_expense_prev": 0}]            # not 高于200万元: nothing
    result = entitlements(frame(rows), as_of=AS_OF, policies=policies, items=[STEP])
    assert fen_of(result, STEP) == [MAX_UNIT_AMOUNT_FEN, MAX_UNIT_AMOUNT_FEN, 0]
    assert status_of(result, STEP) == ["granted", "granted", "not_eligible"]
    # the reason says the cap decided, and the steps shown are the real ones (10^15 of them)
    assert int(result.awards[STEP].detail["steps"][0]) == MAX_MONEY_FEN
    assert list(reason_keys(result.awards[STEP].reason[:2])) == ["rd_step_capped", "rd_step_capped"]


@PROPERTY
@given(rd=money, prev=money, step=st.integers(1, MAX_MONEY_FEN), per_step=st.integers(0, MAX_UNIT_AMOUNT_FEN),
       cap=st.integers(0, MAX_UNIT_AMOUNT_FEN), reading=st.sampled_from(["literal", "increment", "above_threshold"]))
def test_the_step_subsidy_equals_the_python_integer_formula_for_any_parameters_within_bounds(rd, prev, step, per_step,
                                                                                            cap, reading):
    policies = default_policies().with_overrides({f"{STEP}.step": yuan(step), f"{STEP}.amount_per_step": yuan(per_step),
                                                  f"{STEP}.cap": yuan(cap)})
    result = entitlements(frame([{"rd_expense": rd, "rd_expense_prev": prev}]), as_of=AS_OF, policies=policies,
                          options={f"{STEP}.reading": reading}, items=[STEP])
    threshold = law(f"{STEP}.threshold")
    base = {"literal": rd, "increment": rd - prev, "above_threshold": rd - threshold}[reading]
    expected = min(max(base, 0) // step * per_step, cap) if rd > threshold and rd > prev else 0
    assert fen_of(result, STEP) == [expected]


def test_a_million_units_at_the_largest_unit_amount_is_exactly_the_item_bound():
    # per count: MAX_COUNT × MAX_UNIT_AMOUNT_FEN = 10^6 × 10^11 = 10^17 fen = MAX_ITEM_FEN (1万亿元), exactly
    policies = default_policies().with_overrides({f"{POSTDOC}.max_per_person_year": "10亿"})
    result = entitlements(frame([{"postdocs_in_station": MAX_COUNT}]), as_of=AS_OF, policies=policies, items=[POSTDOC])
    assert fen_of(result, POSTDOC) == [MAX_ITEM_FEN]
    assert int(result.totals()["total_yuan"].iloc[0]) == MAX_ITEM_FEN // FEN


@PROPERTY
@given(invest=money, numerator=st.integers(0, 10**30), extra=st.integers(0, 10**30))
def test_a_rate_of_any_precision_within_bounds_is_applied_exactly(invest, numerator, extra):
    # joint lab 按…投入的 rate: rate = n / (n + extra) ≤ 100%, any lowest-terms denominator up to 10^30
    rate = Fraction(numerator, max(numerator + extra, 1))
    if rate.denominator > MAX_RATE_DENOMINATOR:
        return
    policies = default_policies().with_overrides({f"{JOINT_LAB}.rate": rate, f"{JOINT_LAB}.cap": "10亿"})
    result = entitlements(frame([{"joint_lab_investment": invest}]), as_of=AS_OF, policies=policies, items=[JOINT_LAB])
    expected = min(floor_yuan(invest * rate.numerator // rate.denominator), MAX_UNIT_AMOUNT_FEN) if invest else 0
    assert fen_of(result, JOINT_LAB) == [expected]


@PROPERTY
@given(part=st.integers(0, 4 * MAX_COUNT), whole=st.integers(0, 4 * MAX_COUNT),
       p=st.integers(0, 10 * 10**30), q=st.integers(1, 10**30))
def test_exact_ratio_helpers_agree_with_python_integers(part, whole, p, q):
    rate = Fraction(p, q)
    values = np.array([part], dtype=np.int64), np.array([whole], dtype=np.int64)
    assert bool(ratio_at_least(*values, rate)[0]) == (part * rate.denominator >= whole * rate.numerator)
    assert bool(ratio_at_least(*values, rate, strict=True)[0]) == (part * rate.denominator > whole * rate.numerator)
    if rate <= 1:
        assert int(mul_rate(values[1], rate)[0]) == whole * rate.numerator // rate.denominator


def test_a_share_threshold_of_fine_precision_gives_an_exact_result_and_a_saturated_shortfall():
    # 海南 四(二) 驻琼单位比例不低于50%, reformed to 99.9999999999999999999999999999% (denominator 10^30):
    # 9 of 10 local → fails; the units needed, (0.999…×10 − 9)/(1 − 0.999…), ≈ 10^30, are shown at int64's top
    rate = "99.9999999999999999999999999999%"
    policies = default_policies().with_overrides({"hainan_consortium_2022.local_share.min": rate})
    consortia = pd.DataFrame([{"consortium_id": "H", "jurisdiction": "hainan", "enterprises": 10, "universities": 0,
                               "research_institutes": 0, "other_units": 0, "local_units": 9},
                              {"consortium_id": "J", "jurisdiction": "hainan", "enterprises": 10, "universities": 0,
                               "research_institutes": 0, "other_units": 0, "local_units": 10}])
    check = assess_consortia(consortia, as_of=AS_OF, policies=policies)
    share = check.assessments[0].checks["hainan_consortium_2022.local_share"]
    assert RESULTS[share.result[0]] in ("fail", "soft_fail") and RESULTS[share.result[1]] == "pass"
    # p/q = (10^30 − 1)/10^30: (9 + k)·q ≥ p·(10 + k) needs k ≥ (10p − 9q)/(q − p) = 10^30 − 10
    p = Fraction(rate[:-1]) / 100
    need = -(-(p.numerator * 10 - p.denominator * 9) // (p.denominator - p.numerator))
    assert need == 10**30 - 10 > INT64_MAX
    assert int(share.shortfall[0]) == INT64_MAX and int(share.shortfall[1]) == 0


def test_a_fine_ratio_threshold_gives_the_exact_shortfall():
    # 辽阳 第七条（三）: 年度研发投入原则上不低于销售收入的3%, reformed to 3.0000000000000000000000000001%:
    # revenue 10万亿 (10^15 fen) → needed ⌈10^15 × 0.030000000000000000000000000001⌉ = 3 × 10^13 + 1 fen
    policies = default_policies().with_overrides(
        {"liaoyang_consortium_2023.lead_rd_ratio.min_ratio": "3.0000000000000000000000000001%"})
    consortia = pd.DataFrame([{"consortium_id": "L", "jurisdiction": "liaoyang", "lead_type": "enterprise",
                               "lead_rd": "300000000000", "lead_revenue": "10000000000000"}])
    check = assess_consortia(consortia, as_of="2026-01-01", policies=policies)  # 辽阳 in force until 2026-05-22
    detail = check.assessments[0].checks["liaoyang_consortium_2023.lead_rd_ratio"].detail
    # R&D 3000亿 yuan (3 × 10^13 fen) is exactly 3%: one fen short of the reformed rate, and a soft fail
    assert int(detail["rd_short_fen"][0]) == 1
    assert RESULTS[check.assessments[0].checks["liaoyang_consortium_2023.lead_rd_ratio"].result[0]] == "soft_fail"


# ---------------------------------------------------------------------------------------------- the engine's guards

def test_unknown_or_empty_item_lists_are_clear_errors():
    with pytest.raises(OptionError, match=r"unknown item id\(s\): 'nope' \(nearest: "):
        entitlements(frame([{}]), as_of=AS_OF, items=["nope"])
    with pytest.raises(OptionError, match=f"'{STEP}x' \\(nearest: {STEP}"):
        entitlements(frame([{}]), as_of=AS_OF, items=[STEP, f"{STEP}x"])
    with pytest.raises(OptionError, match="items is empty"):
        entitlements(frame([{}]), as_of=AS_OF, items=[])
    one = entitlements(frame([{"rd_expense": 1000 * WAN, "rd_expense_prev": 900 * WAN}]), as_of=AS_OF, items=STEP)
    assert [n.id for n in one.nodes] == [STEP] and fen_of(one, STEP) == [50 * WAN]  # one id alone: 5 steps × 10万


@pytest.mark.parametrize("as_of, message", [("2026-02-30", "not a date"), ("1999-12-31", "outside the dates"),
                                            ("2101-01-01", "outside the dates"), (5, "not a date")])
def test_as_of_dates_are_checked(as_of, message):
    with pytest.raises(OptionError, match=message):
        entitlements(frame([{}]), as_of=as_of)


@pytest.mark.parametrize("amount", [MAX_ITEM_FEN + 1, -1])
def test_an_item_outside_its_bound_fails_loudly(monkeypatch, amount):
    # a rule that ever paid more than MAX_ITEM_FEN (or less than 0) is an internal error, never a silent total
    def broken(ctx):
        return Award(np.full(ctx.n, amount, dtype=np.int64), np.zeros(ctx.n, dtype=np.int8),
                     np.zeros(ctx.n, dtype=np.int16))
    monkeypatch.setitem(ITEMS, STEP, broken)
    with pytest.raises(ItemBoundError, match=f"item {STEP} computed"):
        entitlements(frame([{}]), as_of=AS_OF, items=[STEP])


def test_per_row_totals_fall_back_to_python_integers_if_ever_needed(monkeypatch):
    rows = [{"new_national_platforms": MAX_COUNT, "postdocs_in_station": MAX_COUNT, "rd_expense": MAX_MONEY_FEN,
             "rd_expense_prev": 0}]
    usual = entitlements(frame(rows), as_of=AS_OF).totals()
    monkeypatch.setattr(engine, "MAX_ITEM_FEN", INT64_MAX)  # as if the items could not fit int64 together
    exact = entitlements(frame(rows), as_of=AS_OF).totals()
    assert [int(v) for v in exact["total_yuan"]] == [int(v) for v in usual["total_yuan"]]
    # 措施2 3000万 × 10^6 platforms + 措施12 15万 × 10^6 postdocs + 500万 + 50万 (the consortium's platform award
    # is the same 3000万 × 10^6 and loses 就高不重复 to it: counted once)
    assert int(usual["total_yuan"].iloc[0]) == 3000 * 10**4 * MAX_COUNT + 15 * 10**4 * MAX_COUNT + 550 * 10**4


# ---------------------------------------------------------------------------------------------- population sums

def test_4000_enterprises_with_a_million_new_platforms_each_sum_exactly():
    # 措施2 / 第十条（四）: 3000万元 per new national platform (就高不重复: counted once per enterprise).
    # 4,000 × 1,000,000 × 30,000,000 yuan = 1.2 × 10^17 yuan = 1.2 × 10^19 fen (beyond int64 in fen)
    rows = frame([{"new_national_platforms": MAX_COUNT} for _ in range(4000)])
    cmp = compare(rows, [], AS_OF)
    items = cmp.items.set_index("item_id")
    expected = 4000 * MAX_COUNT * 30_000_000
    counted = items.loc[PLATFORM, "baseline_yuan"] + items.loc["xiamen_consortium_2025.national_platform_award",
                                                                 "baseline_yuan"]
    assert int(counted) == expected and expected * FEN > INT64_MAX
    assert sum(int(v) for v in items["baseline_yuan"]) == expected
    assert sum(int(v) for v in cmp.enterprises["baseline_yuan"]) == expected
    assert int(cmp.breakdown("city")["baseline_yuan"].iloc[0]) == expected
    proj = project(rows, [2026])
    assert int(proj.by_year.set_index("scenario").loc["baseline", "cost_yuan"]) == expected


def test_breakdown_sums_beyond_int64_exactly():
    # three enterprises of one district each 4 × 10^18 yuan: 1.2 × 10^19 in all, beyond int64, summed exactly
    big = 4 * 10**18
    enterprises = pd.DataFrame({"enterprise_id": ["A", "B", "C", "D"], "district": ["x", "x", "x", "y"],
                                "baseline_yuan": [big, big, big, 1], "reform_yuan": [big, big, 0, 2],
                                "change_yuan": [0, 0, -big, 1]})
    table = Comparison(None, None, Fraction(1), pd.DataFrame(), enterprises).breakdown("district").set_index("district")
    assert int(table.loc["x", "baseline_yuan"]) == 3 * big and int(table.loc["x", "reform_yuan"]) == 2 * big
    assert int(table.loc["x", "change_yuan"]) == -big and int(table.loc["y", "change_yuan"]) == 1
    assert (table.loc["x", "losers"], table.loc["x", "winners"], table.loc["y", "winners"]) == (1, 0, 1)
    assert table.loc["x", "enterprises"] == 3
    with pytest.raises(OptionError, match="not a column"):
        Comparison(None, None, Fraction(1), pd.DataFrame(), enterprises).breakdown("nope")


def test_prorating_claims_beyond_int64():
    # claims 4 × (2^62) yuan = 2^64 against a budget of 2^63 yuan: factor exactly 1/2, each award halved
    claims = np.full(4, 2**62, dtype=np.int64)
    paid, factor, remainder = prorate(claims, 2**63)
    assert factor == Fraction(1, 2) and paid.tolist() == [2**61] * 4 and remainder == 0
    with pytest.raises(OptionError):
        prorate(claims, -1)


def test_an_award_share_of_any_precision_is_exact_and_never_negative():
    # one enterprise: 技术交易额 300万 → 50% = 150万, capped at 100万 per project (措施11, a ceiling);
    # at 33.3333333333%: 100万 × 333333333333 / 10^12 = 333,333.333333 yuan → 333,333 yuan (the old product
    # 10^8 fen × 333333333333 passed int64 and came out negative)
    cmp = compare(frame([{"tech_transaction_paid": 300 * WAN}]), [], AS_OF, award_share="33.3333333333%")
    assert int(cmp.items.set_index("item_id").loc[TECH, "baseline_yuan"]) == 333_333


@pytest.mark.parametrize("sample", ["data/samples/enterprises.csv", "data/samples/population.csv"])
def test_the_award_share_on_the_samples_equals_the_python_integer_reference(sample):
    share = parse_award_share("33.3333333333%")
    assert share == Fraction(333333333333, 10**12)
    full = compare(sample, [], AS_OF)
    cmp = compare(sample, [], AS_OF, award_share="33.3333333333%")
    amounts = counted_amounts(full.baseline)  # 100%
    kinds = {n.id: n.kind for n in full.baseline.nodes}
    items = cmp.items.set_index("item_id")
    for item_id, column in amounts.items():
        if kinds[item_id] == "ceiling":
            # each award scaled exactly, floored to the yuan, in Python integers
            expected = sum(int(a) * share.numerator // share.denominator // FEN for a in column)
        else:
            expected = sum(int(a) for a in column) // FEN
        assert int(items.loc[item_id, "baseline_yuan"]) == expected, item_id
        assert int(items.loc[item_id, "baseline_yuan"]) >= 0
    if sample.endswith("enterprises.csv"):  # the case: 5,907,605 yuan, not −364,284
        assert int(items.loc[TECH, "baseline_yuan"]) == 5_907_605


# ---------------------------------------------------------------------------------------------- projection

@PROPERTY
@given(rd=money, bp=st.integers(-10_000, 100_000))
def test_growing_r_and_d_is_exact_and_held_at_the_money_bound(rd, bp):
    grown, held = _grow(np.array([rd], dtype=np.int64), np.array([bp], dtype=np.int64))
    exact = rd * (10_000 + bp) // 10_000
    assert int(grown[0]) == min(exact, MAX_MONEY_FEN) // FEN * FEN and bool(held[0]) == (exact > MAX_MONEY_FEN)


def test_growth_draws_are_clipped_to_the_growth_range():
    draws = _growth_bp(np.random.default_rng(0), 0.0, 10.0, 10_000)  # a 1000% spread: many draws beyond the range
    assert draws.min() == -10_000 and draws.max() == 100_000


def test_a_projection_holds_r_and_d_at_the_money_bound_and_says_so():
    # 10万亿 of R&D (the bound) on 1万亿 last year, growing 1000% a year: year 1 grew (900% > 20%) → 措施7 step
    # subsidy capped at 500万 + bonus 50万; years 2 and 3 would be 110万亿 and more: held at 10万亿, equal to the
    # year before → no growth → nothing.  Two enterprise-years held.
    rows = frame([{"rd_expense": MAX_MONEY_FEN, "rd_expense_prev": MAX_MONEY_FEN // 10}])
    proj = project(rows, [2025, 2026, 2027], rd_growth=10)
    cost = proj.by_item[proj.by_item.scenario == "baseline"].set_index(["item_id", "year"])["cost_yuan"]
    assert [int(cost[(STEP, y)]) for y in (2025, 2026, 2027)] == [500 * 10**4, 0, 0]
    assert [int(cost[(BONUS, y)]) for y in (2025, 2026, 2027)] == [50 * 10**4, 0, 0]
    assert proj.assumptions["rd_held_at_ceiling"] == 2
    assert proj.assumptions["rd_ceiling_yuan"] == MAX_MONEY_FEN // FEN


def test_monte_carlo_percentiles_without_spread_are_the_central_path():
    # no spread: every draw is the central path, so P10 = P50 = P90 = the year's cost
    proj = project("data/samples/enterprises.csv", [2025, 2026], rd_growth=0.1, rd_growth_sd=0, draws=7)
    table = proj.by_year
    for column in ("p10_yuan", "p50_yuan", "p90_yuan"):
        assert (table[column] == table["cost_yuan"]).all()


# ---------------------------------------------------------------------------------------------- arguments

@pytest.mark.parametrize("text, value", [
    ("100%", Fraction(1)), ("0.6", Fraction(3, 5)), (0.6, Fraction(3, 5)), ("0.0000000001%", Fraction(1, 10**12)),
    (None, Fraction(1)), (Fraction(1, 3), Fraction(1, 3)),
])
def test_award_shares_within_range(text, value):
    assert parse_award_share(text) == value


@pytest.mark.parametrize("text, message", [
    ("0%", "above 0%"), ("150%", "above 0% and at most 100%"), ("100.0000001%", "at most 100%"), ("abc", "not a number"),
    (float("nan"), "not a finite number"), (float("inf"), "not a finite number"), (True, "not a number"),
    ("-5%", "above 0%"), (Fraction(1, 10**31), "more precise"),
])
def test_award_shares_out_of_range_are_refused(text, message):
    with pytest.raises(OptionError, match=message):
        parse_award_share(text)


def test_budgets_are_read_like_money_and_checked():
    assert parse_budgets([f"{STEP}=2亿"]) == {STEP: 200_000_000}
    assert parse_budgets({f"{STEP} + {BONUS}": "500万"}) == {f"{STEP}+{BONUS}": 5_000_000}
    assert parse_budgets({STEP: "100000亿"}) == {STEP: MAX_MONEY_FEN // FEN}  # the bound itself
    assert parse_budgets({STEP: "1.99"}) == {STEP: 1}  # pro-rating is in whole yuan: floored
    for budgets, message in [
        ([f"{STEP}=abc"], f"budget for {STEP}: cannot read 'abc'"),
        ([f"{STEP}=-5万"], "negative"),
        ({STEP: "10,000,000,000,000.01"}, "too large|above"),
        ([f"{STEP}="], "write ITEM=AMOUNT"),
        (["nope=5万"], "unknown item.*'nope' \\(nearest"),
        ({STEP: "1万", f"{STEP}+{BONUS}": "2万"}, "already in budget line"),
        (5, "must map"),
    ]:
        with pytest.raises(OptionError, match=message):
            parse_budgets(budgets)
    with pytest.raises(OptionError, match="negative"):
        compare(frame([{}]), [], AS_OF, budgets={STEP: "-5万"})


@pytest.mark.parametrize("text, years", [("2026", [2026]), ("2026-2028", [2026, 2027, 2028]),
                                          ("2000-2100", list(range(2000, 2101)))])
def test_years_within_range(text, years):
    assert parse_years(text) == years and len(parse_years("2000-2100")) == MAX_YEARS


@pytest.mark.parametrize("text", ["9999-10000", "0-1", "1999-2000", "2100-2101", "2028-2026", "abc", "2026-",
                                  "1-99999999999"])
def test_years_out_of_range_are_refused_before_any_list_is_built(text):
    # "1-99999999999" would be a list of 10^11 years: refused before it is built means almost no memory used
    tracemalloc.start()
    try:
        with pytest.raises(OptionError, match="years"):
            parse_years(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize("kwargs, message", [
    ({"rd_growth": float("nan")}, "not a finite number"), ({"rd_growth": float("inf")}, "not a finite number"),
    ({"rd_growth": -1}, "above -100%"), ({"rd_growth": 10.01}, "at most 1000%"), ({"rd_growth": "x"}, "not a number"),
    ({"rd_growth_sd": -1}, "0% to 1000%"), ({"rd_growth_sd": 10.5}, "0% to 1000%"),
    ({"draws": -5}, "draws -5"), ({"draws": MAX_DRAWS + 1}, "draws"), ({"draws": True}, "draws"),
    ({"draws": 2.5}, "draws"), ({"seed": -1}, "seed"), ({"platform_rate": -0.1}, "platform_rate"),
    ({"years": []}, "years is empty"), ({"years": [2026, 2028]}, "follow one another"),
    ({"years": [1999]}, "from 2000 to 2100"), ({"years": ["2026"]}, "not a year"),
    ({"claim_date": (2, 29)}, "every year has"), ({"claim_date": (13, 1)}, "claim_date"),
    ({"award_share": "0%"}, "above 0%"),
])
def test_projection_arguments_out_of_range_are_refused(kwargs, message):
    with pytest.raises(OptionError, match=message):
        check_projection_args(**kwargs)


def test_projection_arguments_at_their_bounds_are_accepted():
    args = check_projection_args([2026, 2027], rd_growth="1000%", rd_growth_sd=10, draws=MAX_DRAWS, seed=2**64 - 1,
                                 award_share="100%", claim_date="03-31")
    assert (args["rd_growth"], args["rd_growth_sd"], args["draws"], args["claim_date"]) == (10.0, 10.0, MAX_DRAWS, (3, 31))
    assert check_projection_args(rd_growth=-0.99)["rd_growth"] == -0.99
    assert check_projection_args(draws=0)["draws"] == 0
    with pytest.raises(OptionError, match="years is empty"):
        project(frame([{}]), years=[])


def test_cliffs_refuse_a_range_too_wide_to_evaluate():
    # a reform's 1-fen step: 10万亿 of R&D would be 10^15 points; asked to narrow instead of running out of memory
    policies = default_policies().with_overrides({f"{STEP}.step": "0.01"})
    with pytest.raises(OptionError, match="narrow lo and hi"):
        cliffs({"enterprise_id": "E", "city": "xiamen", "rd_expense": "1000万", "rd_expense_prev": "900万"}, AS_OF,
               hi="100000亿", policies=policies)
    with pytest.raises(OptionError, match="hi"):
        cliffs({"enterprise_id": "E", "city": "xiamen", "rd_expense": "1000万", "rd_expense_prev": "900万"}, AS_OF,
               lo="2000万", hi="1000万")


def test_sensitivity_checks_every_value_before_computing():
    with pytest.raises(PolicyDataError, match=f"{STEP}.cap = '20亿'.*0 to"):
        sensitivity(frame([{}]), f"{STEP}.cap", ["300万", "20亿"], AS_OF)
    with pytest.raises(PolicyDataError, match="unknown parameter"):
        sensitivity(frame([{}]), f"{STEP}.capp", ["300万"], AS_OF)
