"""Next-step hints, worked by hand from 措施7 and 第九条（二）."""

import pandas as pd

from calc import entitlements
from calc.hints import next_steps


def hints_for(**row):
    frame = pd.DataFrame([{"enterprise_id": "E1", "city": "xiamen", "consortium_member": True, **row}])
    table = next_steps(entitlements(frame, as_of="2026-06-30"), lang="en")
    return table.set_index("hint")


def test_r_and_d_needed_for_the_next_step():
    # 1,234.56万 = 12,345,600 yuan → 6 full steps of 200万; the 7th starts at 1,400万: 1,654,400 yuan more, +10万
    hints = hints_for(rd_expense="1,234.56万", rd_expense_prev="1,000万")
    assert hints.loc["rd_next_step", "needed_yuan"] == 1_654_400
    assert "¥100,000" in hints.loc["rd_next_step", "message"]


def test_r_and_d_needed_to_qualify_is_strictly_above_both_bars():
    # not above 200万 (高于 is strict): 200万 + 1 yuan; last year 150万 is lower → target 2,000,001, needed 1 yuan
    hints = hints_for(rd_expense="200万", rd_expense_prev="150万")
    assert hints.loc["rd_to_qualify", "needed_yuan"] == 1
    # no growth on 300万: target 3,000,001 yuan
    hints = hints_for(rd_expense="280万", rd_expense_prev="300万")
    assert hints.loc["rd_to_qualify", "needed_yuan"] == 3_000_001 - 2_800_000


def test_growth_needed_for_the_bonus():
    # 1,000万 on 900万: growth must exceed 20%: R&D > 900万 × 1.2 = 1,080万 → 10,800,001 yuan, 800,001 more
    hints = hints_for(rd_expense="1,000万", rd_expense_prev="900万")
    assert hints.loc["bonus_to_qualify", "needed_yuan"] == 800_001
    # 400万 on 100万: growth is fine, but R&D must exceed 500万 → 5,000,001 yuan, 1,000,001 more
    hints = hints_for(rd_expense="400万", rd_expense_prev="100万")
    assert hints.loc["bonus_to_qualify", "needed_yuan"] == 1_000_001


def test_caps_reached_are_said():
    # 1.2亿 → 60 steps = 600万 > 500万 cap; matching 50% × 3000万 = 1500万 > 1000万 cap
    hints = hints_for(rd_expense="1.2亿", rd_expense_prev="1亿", national_funding="3000万", provincial_funding=0,
                      municipal_funding=0, project_total_investment="1亿")
    assert {"rd_cap_reached", "matching_cap_reached"} <= set(hints.index)
    assert "rd_next_step" not in hints.index


def test_no_hint_for_an_enterprise_outside_xiamen():
    frame = pd.DataFrame([{"enterprise_id": "Q1", "city": "qingdao", "rd_expense": "100万", "rd_expense_prev": "50万"}])
    assert next_steps(entitlements(frame, as_of="2026-06-30")).empty
