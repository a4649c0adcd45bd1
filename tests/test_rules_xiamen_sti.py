"""厦门《若干措施》 items, worked by hand from the quoted text: at, just below and just above every threshold and cap."""

from __future__ import annotations

import pandas as pd
import pytest

from calc import entitlements

AS_OF = "2026-06-30"  # inside the assumed validity 2025-01-01 – 2027-12-31
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
WAN = 10_000  # yuan


def run(rows: list[dict], **kwargs):
    frame = pd.DataFrame([{"enterprise_id": f"E{i}", "city": "xiamen", **row} for i, row in enumerate(rows)])
    return entitlements(frame, as_of=AS_OF, **kwargs)


def item(result, item_id: str, row: int = 0) -> tuple[str, int]:
    award = result.awards[item_id]
    from calc.rules.base import STATUSES
    return STATUSES[award.status[row]], int(award.amount[row]) // 100


# ---------------------------------------------------------------------------- rd_step_subsidy
# 措施7: 企业年度自主研发费用高于200万元且较上年实现增长的,年度自主研发费用每满200万元给予10万元补助,最高500万元。

@pytest.mark.parametrize("rd, prev, status, amount", [
    # 高于200万元 is strict: exactly 200万 gets nothing
    ("200万", "100万", "not_eligible", 0),
    # 200万 + 1 yuan: above the threshold; one full 200万 step → 10万
    ("2,000,001", "100万", "granted", 10 * WAN),
    # 399.9999万: still one full step → 10万
    ("3,999,999", "100万", "granted", 10 * WAN),
    # 400万: two full steps → 20万
    ("400万", "100万", "granted", 20 * WAN),
    # 1,234.56万 / 200万 = 6.17 → 6 steps → 60万
    ("1,234.56万", "1000万", "granted", 60 * WAN),
    # cap 500万 = 50 steps = 1亿 of R&D: 9,999.9999万 → 49 steps → 490万
    ("99,999,999", "5000万", "granted", 490 * WAN),
    # exactly 1亿 → 50 steps → 500万 (at the cap)
    ("1亿", "5000万", "granted", 500 * WAN),
    # 1.02亿 → 51 steps → 510万, capped at 500万
    ("1.02亿", "5000万", "granted", 500 * WAN),
    # 实现增长 is strict: no growth (equal to last year) gets nothing
    ("1000万", "1000万", "not_eligible", 0),
    # 1 yuan of growth suffices
    ("10,000,001", "1000万", "granted", 50 * WAN),
])
def test_rd_step_subsidy_literal_reading(rd, prev, status, amount):
    result = run([{"rd_expense": rd, "rd_expense_prev": prev}])
    assert item(result, STEP) == (status, amount)


def test_rd_step_subsidy_amounts_in_yi_and_wan_agree():
    # 0.58亿 = 5800万 = 58,000,000 yuan → 29 steps → 290万
    result = run([{"rd_expense": "0.58亿", "rd_expense_prev": "1000万"},
                  {"rd_expense": "5800万", "rd_expense_prev": "1000万"},
                  {"rd_expense": "58,000,000", "rd_expense_prev": "10,000,000"},
                  {"rd_expense": "０.５８亿", "rd_expense_prev": "1000万"}])
    assert [item(result, STEP, i) for i in range(4)] == [("granted", 290 * WAN)] * 4


def test_rd_step_subsidy_needs_both_years():
    result = run([{"rd_expense": "1000万"}, {"rd_expense_prev": "1000万"}])
    assert item(result, STEP, 0) == ("needs_input", 0)
    assert item(result, STEP, 1) == ("needs_input", 0)
    reasons = result.items("en").set_index(["enterprise_id", "item_id"])["reason"]
    assert "last year's R&D" in reasons[("E0", STEP)]
    assert "this year's R&D" in reasons[("E1", STEP)]


@pytest.mark.parametrize("reading, amount", [
    # rd 1,000万, prev 700万
    ("literal", 50 * WAN),          # floor(1000/200) = 5 steps → 50万
    ("increment", 10 * WAN),        # increase 300万 → 1 full step → 10万
    ("above_threshold", 40 * WAN),  # 1000 − 200 = 800万 → 4 steps → 40万
])
def test_rd_step_subsidy_other_readings_are_options(reading, amount):
    result = run([{"rd_expense": "1000万", "rd_expense_prev": "700万"}],
                 options={f"{STEP}.reading": reading})
    assert item(result, STEP) == ("granted", amount)


def test_unknown_reading_is_refused():
    from calc import OptionError
    with pytest.raises(OptionError, match="choose one of"):
        run([{"rd_expense": "1000万", "rd_expense_prev": "700万"}], options={f"{STEP}.reading": "generous"})


# ---------------------------------------------------------------------------- rd_growth_bonus
# 措施7: 企业年度自主研发费用高于500万元且增长率超过20%的,给予最高50万元叠加奖励。

@pytest.mark.parametrize("rd, prev, status", [
    # exactly 20% growth (600万 on 500万) is not 超过20%
    ("600万", "500万", "not_eligible"),
    # 20% + 1 yuan: 6,000,001 on 5,000,000 → growth 20.00002% > 20%
    ("6,000,001", "5,000,000", "granted"),
    # just below 20%: 5,999,999 on 5,000,000
    ("5,999,999", "5,000,000", "not_eligible"),
    # exactly 500万 is not 高于500万, even with 25% growth (500 on 400)
    ("500万", "400万", "not_eligible"),
    # 500万 + 1 yuan with growth > 20%
    ("5,000,001", "400万", "granted"),
])
def test_rd_growth_bonus_thresholds(rd, prev, status):
    result = run([{"rd_expense": rd, "rd_expense_prev": prev}])
    assert item(result, BONUS)[0] == status
    assert item(result, BONUS)[1] == (50 * WAN if status == "granted" else 0)


def test_growth_bonus_stacks_on_the_step_subsidy():
    # 1,234.56万 on 1,000万: growth 23.456% > 20% and > 500万 → step 60万 + bonus 50万, both counted (叠加)
    result = run([{"rd_expense": "1,234.56万", "rd_expense_prev": "1000万"}])
    table = result.items("en").set_index("item_id")
    assert table.loc[STEP, "counted"] and table.loc[BONUS, "counted"]
    assert table.loc[STEP, "amount_yuan"] + table.loc[BONUS, "amount_yuan"] == 110 * WAN
    totals = result.totals().iloc[0]
    # the step subsidy is a formula (firm); the bonus is 最高50万 (a ceiling)
    assert totals["formula_fixed_yuan"] == 60 * WAN and totals["ceiling_yuan"] == 50 * WAN


# ---------------------------------------------------------------------------- joint_lab
# 措施7: 按非财政资金投入的10%给予最高1000万元补助 (rounded down to the yuan, as data/ says).

@pytest.mark.parametrize("investment, amount", [
    ("1亿", 1000 * WAN),              # 10% × 1亿 = 1000万, exactly the cap
    ("100,000,010", 1000 * WAN),      # 10% = 10,000,001 → capped at 1000万
    ("99,999,990", 9_999_999),        # 10% = 9,999,999 → below the cap
    ("12,345.67", 1234),              # 10% = 1,234.567 yuan → rounded down to 1,234 yuan
])
def test_joint_lab(investment, amount):
    result = run([{"joint_lab_investment": investment}])
    assert item(result, "xiamen_sti_measures.joint_lab") == ("granted", amount)


def test_joint_lab_without_investment_is_not_eligible():
    result = run([{"joint_lab_investment": 0}])
    assert item(result, "xiamen_sti_measures.joint_lab") == ("not_eligible", 0)


# ---------------------------------------------------------------------------- tech_transaction
# 措施11: 给予企业实际支付技术交易额最高50%的支持,每个项目最高100万元 (a ceiling: the rate is itself a maximum).

@pytest.mark.parametrize("paid, amount", [
    ("200万", 100 * WAN),       # 50% = 100万, exactly the cap
    ("2,000,002", 100 * WAN),   # 50% = 1,000,001 → capped
    ("1,999,998", 999_999),     # 50% = 999,999 → below the cap
    ("3.01", 1),                # 50% = 1.505 yuan → rounded down to 1 yuan
])
def test_tech_transaction(paid, amount):
    result = run([{"tech_transaction_paid": paid}])
    assert item(result, "xiamen_sti_measures.tech_transaction") == ("granted", amount)
    assert result.items().set_index("item_id").loc["xiamen_sti_measures.tech_transaction", "kind"] == "ceiling"


# ---------------------------------------------------------------------------- per-count items

@pytest.mark.parametrize("column, item_id, per_unit", [
    ("new_national_platforms", "xiamen_sti_measures.national_platform_award", 3000 * WAN),  # 措施2: 一次性3000万元
    ("incubators", "xiamen_sti_measures.incubator_award", 500 * WAN),                      # 措施6: 每年每家最高500万元
    ("postdocs_in_station", "xiamen_sti_measures.postdoc_allowance", 15 * WAN),            # 措施12: 每人每年最高15万元
])
def test_amounts_per_counted_event(column, item_id, per_unit):
    result = run([{column: 0}, {column: 1}, {column: 3}])
    assert item(result, item_id, 0) == ("not_eligible", 0)
    assert item(result, item_id, 1) == ("granted", per_unit)
    assert item(result, item_id, 2) == ("granted", 3 * per_unit)


# ---------------------------------------------------------------------------- who and when

def test_items_are_for_xiamen_enterprises_only():
    frame = pd.DataFrame([{"enterprise_id": "Q1", "city": "青岛", "rd_expense": "1000万", "rd_expense_prev": "500万"},
                          {"enterprise_id": "U1", "rd_expense": "1000万", "rd_expense_prev": "500万"}])
    result = entitlements(frame, as_of=AS_OF)
    assert item(result, STEP, 0) == ("not_eligible", 0)
    assert item(result, STEP, 1) == ("needs_input", 0)  # the city is unknown, not assumed


def test_outside_the_validity_nothing_is_granted():
    # the assumed validity ends 2027-12-31
    frame = pd.DataFrame([{"enterprise_id": "E1", "city": "xiamen", "rd_expense": "1000万", "rd_expense_prev": "500万"}])
    result = entitlements(frame, as_of="2028-01-01")
    assert item(result, STEP) == ("not_in_force", 0)
    reason = result.items("en").set_index("item_id").loc[STEP, "reason"]
    assert "2025-01-01 – 2027-12-31" in reason and "2028-01-01" in reason
