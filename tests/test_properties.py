"""Properties of the whole engine over generated tables: caps, 就高不重复, monotone steps, units, bad rows, whole yuan.

Each property is something the law or the documented contract makes true for every input; hypothesis
looks for an input where it is not.  Money is generated in fen and typed into the table as text, the way
a user types it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc.inputs import ENTERPRISE_COLUMNS
from calc import assess_consortia, entitlements
from calc.entitlements import _outcome
from calc.rules.base import DUPLICATE, GRANTED, NO_REASONS, STATUSES, Ctx, code, wording_reasons

AS_OF = "2026-06-30"  # the Xiamen measures (2025-01-01 – 2027-12-31) and consortium measures (from 2025-08-10) apply
FEN = 100  # fen per yuan
WAN = 10_000 * FEN  # one 万元 in fen
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
JOINT_LAB = "xiamen_sti_measures.joint_lab"
TECH = "xiamen_sti_measures.tech_transaction"
MATCH = "xiamen_consortium_2025.national_project_matching"
READINGS = ["literal", "increment", "above_threshold"]
STACKING = yaml.safe_load((Path(__file__).resolve().parents[1] / "data/policies/stacking.yaml").read_text("utf-8"))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MONEY = [c.name for c in ENTERPRISE_COLUMNS if c.kind == "money"]
COUNTS = [c.name for c in ENTERPRISE_COLUMNS if c.kind == "count" and c.name != "claim_year"]  # counts of events
FLAGS = ["consortium_member", "consortium_lead", "talent_consortium_lead", "hightech_transformation_project",
         "public_platform_upgrade_need", "new_mechanism_recognised"]
RATINGS = {"intl_coop_base_rating": ["excellent", "good", "pass", "fail", "none", "优秀", "良好"],
           "public_platform_rating": ["excellent", "good", "pass", "fail", "none"],
           "consortium_evaluation": ["excellent", "pass", "fail", "none"]}

# amounts near the texts' thresholds, steps and caps (in fen), and anything up to 3亿元 to the fen
EDGES = [0, 1, 100, 200 * WAN, 200 * WAN + FEN, 400 * WAN - FEN, 500 * WAN, 500 * WAN + FEN, 600 * WAN,
         1000 * WAN, 2000 * WAN, 2000 * WAN + 2 * FEN, 10_000 * WAN, 10_200 * WAN]
money = st.one_of(st.sampled_from(EDGES), st.integers(0, 30_000 * WAN), st.integers(0, 10**8).map(lambda y: y * FEN))


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def enterprise(draw) -> dict:
    """One enterprise as the cells of a row; money in fen (typed as text later), some cells left empty."""
    row = {"city": draw(maybe(st.sampled_from(["xiamen", "厦门", "other", "辽阳"])))}
    for name in FLAGS:
        row[name] = draw(maybe(st.booleans()))
    if row["consortium_member"] is False and (row["consortium_lead"] or row["talent_consortium_lead"]):
        row["consortium_member"] = True  # a lead is a member: the loader rejects the contradiction (tested apart)
    if row["talent_consortium_lead"] and row["consortium_lead"] is False:
        row["consortium_lead"] = True  # a talent consortium's lead is the consortium's lead (第十一条（六） 同时作为)
    for name in MONEY:
        row[name] = draw(maybe(money))
    if draw(st.booleans()) and None not in (row["national_funding"], row["provincial_funding"], row["municipal_funding"]):
        # mostly a consistent project: the funding received is part of the total investment
        row["project_total_investment"] = (row["national_funding"] + row["provincial_funding"] + row["municipal_funding"]
                                           + draw(money))
    for name in COUNTS:
        row[name] = draw(maybe(st.integers(0, 3)))
    for name, values in RATINGS.items():
        row[name] = draw(maybe(st.sampled_from(values)))
    return row


def yuan_text(fen: int) -> str:
    return f"{fen // FEN}.{fen % FEN:02d}"


def table(rows: list[dict], money_text=yuan_text) -> pd.DataFrame:
    """The rows as a user's table: ids, money typed as text, other cells as given."""
    cells = []
    for i, row in enumerate(rows):
        cells.append({"enterprise_id": f"E{i}", **{k: (money_text(v) if k in MONEY and isinstance(v, int) else v)
                                                    for k, v in row.items()}})
    return pd.DataFrame(cells, dtype=object)


def fen(result, item_id: str) -> np.ndarray:
    return np.asarray(result.awards[item_id].amount, dtype=np.int64)


def status(result, item_id: str) -> np.ndarray:
    return np.asarray(STATUSES, dtype=object)[result.awards[item_id].status]


# ---------------------------------------------------------------------------------------------- caps

@PROPERTY
@given(st.lists(enterprise(), min_size=1, max_size=8), st.sampled_from(READINGS))
def test_no_amount_is_above_its_cap(rows, reading):
    result = entitlements(table(rows), as_of=AS_OF, options={f"{STEP}.reading": reading})
    assert result.errors.empty and len(result.frame) == len(rows)
    assert (fen(result, STEP) <= 500 * WAN).all()      # 措施7 研发费用补助 最高500万元
    assert (fen(result, BONUS) <= 50 * WAN).all()      # 措施7 给予最高50万元叠加奖励
    # 措施7 联合实验室 最高1000万元, per laboratory: joint_labs labs share joint_labs × 1000万 (blank: one lab)
    labs = result.frame["joint_labs"].fillna(1).to_numpy(dtype=np.int64)
    assert (fen(result, JOINT_LAB) <= 1000 * WAN * labs).all()
    assert (fen(result, TECH) <= 100 * WAN).all()      # 措施11 每个项目最高100万元
    assert (fen(result, MATCH) <= 1000 * WAN).all()    # 第九条（二） 最高不超过1000万元
    # 第九条（二）: 可按国家财政资金投入的50%予以配套 … 国家、省、市资助金额之和不超过项目总投入
    for i, row in enumerate(rows):
        matching = int(fen(result, MATCH)[i])
        if status(result, MATCH)[i] != "granted":
            assert matching == 0
            continue
        assert 2 * matching <= row["national_funding"]
        funded = row["national_funding"] + row["provincial_funding"] + row["municipal_funding"]
        if funded <= row["project_total_investment"]:
            assert funded + matching <= row["project_total_investment"]
        else:  # the other funding already exceeds the total investment: no room for matching at all
            assert matching == 0


# ---------------------------------------------------------------------------------------------- 就高不重复 and totals

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise(), min_size=1, max_size=8))
def test_counted_totals_never_double_an_exclusivity_group(rows):
    result = entitlements(table(rows), as_of=AS_OF)
    items = result.items("en")
    assert (items["counted"] == (items["status"] == "granted")).all()
    for name, group in STACKING["groups"].items():
        members = items[items["item_id"].isin(group["members"])]
        assert set(members["item_id"]) == set(group["members"]), name
        # at most one member counted per enterprise; it is the highest of those that could be paid
        assert (members.groupby("enterprise_id")["counted"].sum() <= 1).all(), name
        paid = members[members["status"].isin(["granted", "duplicate"])]
        for _, one in paid.groupby("enterprise_id"):
            assert one["counted"].sum() == 1
            assert one.loc[one["counted"], "amount_yuan"].iloc[0] == one["amount_yuan"].max()
    # per enterprise: the totals are the sums of the counted amounts, firm amounts and ceilings apart
    counted = items[items["counted"]]
    firm = counted[counted["kind"] != "ceiling"].groupby("enterprise_id")["amount_yuan"].sum()
    ceiling = counted[counted["kind"] == "ceiling"].groupby("enterprise_id")["amount_yuan"].sum()
    totals = result.totals().set_index("enterprise_id")
    for eid in totals.index:
        assert totals.loc[eid, "formula_fixed_yuan"] == firm.get(eid, 0)
        assert totals.loc[eid, "ceiling_yuan"] == ceiling.get(eid, 0)
        assert totals.loc[eid, "total_yuan"] == firm.get(eid, 0) + ceiling.get(eid, 0)


# ---------------------------------------------------------------------------------------------- monotone steps

@PROPERTY
@given(prev=money, r1=money, extra=st.integers(1, 20_000 * WAN), reading=st.sampled_from(READINGS))
def test_the_step_subsidy_never_falls_as_rd_rises(prev, r1, extra, reading):
    # both years' R&D above last year's (实现增长 holds for both); r2 = r1 + extra > r1
    r1 = max(r1, prev + 1)
    r2 = r1 + extra
    rows = [{"city": "xiamen", "rd_expense": r, "rd_expense_prev": prev} for r in (r1, r2)]
    result = entitlements(table(rows), as_of=AS_OF, options={f"{STEP}.reading": reading})
    low, high = fen(result, STEP)
    assert high >= low
    # 高于200万元 and 实现增长: both granted once above the threshold and at least one full step is paid (a reading
    # that leaves no full step pays 0, and zero is not a grant)
    for r, s, paid in zip((r1, r2), status(result, STEP), fen(result, STEP)):
        assert s == ("granted" if r > 200 * WAN and paid > 0 else "not_eligible")
        assert (s == "granted") == (paid > 0)


# ---------------------------------------------------------------------------------------------- units

def wan_text(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-6):f}万"


def yi_text(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-10):f}亿"


def grouped_yuan_text(fen: int) -> str:
    return f"¥{fen // FEN:,}.{fen % FEN:02d}"


def wan_header_table(rows: list[dict]) -> pd.DataFrame:
    """Bare numbers under unit-bearing headers: `<column>_wan`, and 研发费用 headers in Chinese with （万元）."""
    frame = table(rows, money_text=lambda f: f"{Decimal(f).scaleb(-6):f}")
    headers = {c: f"{c}_wan" for c in MONEY}
    headers.update(rd_expense="当年自主研发费用（万元）", rd_expense_prev="上年自主研发费用(万元)")
    return frame.rename(columns=headers)


def comparable(result, ids: list[str], items: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide table and the explained items of these enterprises, renamed E0, E1, … in order."""
    rename = {eid: f"E{i}" for i, eid in enumerate(ids)}
    wide = result.wide
    wide = wide[wide["enterprise_id"].isin(rename)].replace({"enterprise_id": rename}).reset_index(drop=True)
    items = items[items["enterprise_id"].isin(rename)].replace({"enterprise_id": rename}).reset_index(drop=True)
    return wide, items


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise(), min_size=1, max_size=4))
def test_amounts_typed_in_wan_yi_or_yuan_give_identical_entitlements(rows):
    # one table holding the same enterprises four times: 元 text, 万 text, 亿 text and ¥ with thousands separators
    spellings = {"yuan": yuan_text, "wan": wan_text, "yi": yi_text, "grouped": grouped_yuan_text}
    parts = []
    for name, spell in spellings.items():
        part = table(rows, spell)
        part["enterprise_id"] = [f"{name}{i}" for i in range(len(rows))]
        parts.append(part)
    result = entitlements(pd.concat(parts, ignore_index=True), as_of=AS_OF)
    assert result.errors.empty, result.errors
    items = result.items("zh")
    plain = comparable(result, [f"yuan{i}" for i in range(len(rows))], items)
    for name in spellings:
        wide, named = comparable(result, [f"{name}{i}" for i in range(len(rows))], items)
        pd.testing.assert_frame_equal(wide, plain[0])
        pd.testing.assert_frame_equal(named, plain[1])
    # bare numbers under headers that carry the unit (研发费用（万元）, national_funding_wan …)
    headed = entitlements(wan_header_table(rows), as_of=AS_OF)
    assert headed.errors.empty, headed.errors
    wide, items = comparable(headed, [f"E{i}" for i in range(len(rows))], headed.items("zh"))
    pd.testing.assert_frame_equal(wide, plain[0])
    pd.testing.assert_frame_equal(items, plain[1])


# ---------------------------------------------------------------------------------------------- bad rows

BAD_CELLS = [("rd_expense", "12万x"), ("rd_expense_prev", "-5万"), ("national_funding", "abc"),
             ("joint_lab_investment", "0.001"), ("tech_transaction_paid", "1e6"), ("postdocs_in_station", "-1"),
             ("incubators", "1.5"), ("consortium_member", "maybe"), ("city", "北京"),
             ("intl_coop_base_rating", "很好")]


@st.composite
def batch_with_bad_rows(draw):
    good = draw(st.lists(enterprise(), min_size=1, max_size=4))
    bad = [{**draw(enterprise()), column: value}
           for column, value in draw(st.lists(st.sampled_from(BAD_CELLS), min_size=1, max_size=4))]
    cells = [("G", r) for r in good] + [("B", r) for r in bad]
    order = draw(st.permutations(range(len(cells))))
    return [cells[i] for i in order]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch_with_bad_rows())
def test_a_batch_with_bad_rows_returns_every_good_row_as_if_computed_alone(batch):
    frame = table([row for _, row in batch])
    frame["enterprise_id"] = [f"{kind}{i}" for i, (kind, _) in enumerate(batch)]
    result = entitlements(frame, as_of=AS_OF)
    good_ids = [eid for eid in frame["enterprise_id"] if eid.startswith("G")]
    bad_rows = {i + 1 for i, (kind, _) in enumerate(batch) if kind == "B"}  # 1-based data rows
    assert set(result.errors["input_row"]) == bad_rows
    assert set(result.errors["id"]) == {f"B{i - 1}" for i in bad_rows}
    assert list(result.totals()["enterprise_id"]) == good_ids
    wide = result.wide.set_index("enterprise_id")
    for eid in good_ids:
        alone = entitlements(frame[frame["enterprise_id"] == eid], as_of=AS_OF)
        assert alone.errors.empty
        pd.testing.assert_series_equal(alone.wide.set_index("enterprise_id").loc[eid], wide.loc[eid])


# ---------------------------------------------------------------------------------------------- whole yuan

@PROPERTY
@given(st.lists(enterprise(), min_size=1, max_size=8), st.sampled_from(READINGS))
def test_amounts_are_whole_yuan_and_never_negative(rows, reading):
    result = entitlements(table(rows), as_of=AS_OF, options={f"{STEP}.reading": reading})
    for item_id, award in result.awards.items():
        amount = np.asarray(award.amount, dtype=np.int64)
        assert (amount >= 0).all(), item_id
        assert (amount % FEN == 0).all(), (item_id, amount)
    totals = result.totals()
    assert (totals[["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]] >= 0).all().all()


@pytest.mark.parametrize("cells, item_id, status, amount_yuan", [
    # 措施2: 新获批国家级创新平台 … 给予一次性3000万元奖励 (per platform): 10^13 platforms → 3 × 10^20 yuan,
    # beyond int64 fen
    ({"new_national_platforms": 10**13}, "xiamen_sti_measures.national_platform_award", "granted", 3 * 10**20),
    # 措施12: 每人每年最高15万元生活补助: 10^13 postdocs → 1.5 × 10^18 yuan
    ({"postdocs_in_station": 10**13}, "xiamen_sti_measures.postdoc_allowance", "granted", 15 * 10**17),
    # 措施7: 高于500万元且增长率超过20% → 50万元: 9亿亿 on 7亿亿 is 28.6% growth (both amounts fit in int64 fen,
    # but growth × 5 does not)
    ({"rd_expense": "900000000亿", "rd_expense_prev": "700000000亿"}, "xiamen_sti_measures.rd_growth_bonus",
     "granted", 500_000),
], ids=["platforms", "postdocs", "growth"])
def test_a_value_too_large_to_compute_exactly_is_rejected_not_wrapped_around(cells, item_id, status, amount_yuan):
    # the row must either be rejected as an input error or get the law's answer — never a wrapped-around one
    result = entitlements(pd.DataFrame([{"enterprise_id": "E1", "city": "xiamen", **cells}]), as_of=AS_OF)
    if len(result.errors):  # one error per cell above calc.limits' bounds, all on this row
        assert set(result.errors["id"]) == {"E1"} and result.frame.empty
        return
    wide = result.wide.iloc[0]
    assert (wide[f"{item_id}:status"], int(wide[item_id])) == (status, amount_yuan)


def test_a_share_of_amounts_too_large_to_compare_exactly_is_rejected_not_wrapped_around():
    # 辽阳 第七条（三）: 年度研发投入原则上不低于销售收入的3%.  R&D 1,000万亿 of revenue 1,000万亿 is 100% ≥ 3% → pass;
    # both amounts fit in int64 fen (10^17), but R&D × 100 does not.  Rejected or passed — never a soft fail.
    frame = pd.DataFrame([{"consortium_id": "L", "jurisdiction": "liaoyang", "lead_type": "enterprise",
                           "lead_rd": "10000000亿", "lead_revenue": "10000000亿"}])
    check = assess_consortia(frame, as_of="2026-01-01")
    if len(check.errors):  # both cells are above calc.limits.MAX_MONEY_FEN: two errors, one row
        assert set(check.errors["id"]) == {"L"}
        return
    criteria = check.criteria("en").set_index("criterion_id")
    assert criteria.loc["liaoyang_consortium_2023.lead_rd_ratio", "result"] == "pass"


# ---------------------------------------------------------------------------------------------- reasons on demand

@PROPERTY
@given(st.lists(enterprise(), min_size=1, max_size=8), st.sampled_from(READINGS))
def test_reasons_worded_when_first_read_are_those_of_a_run_that_words_them(rows, reading):
    """The engine computes the items without their reasons and words an item's reasons when they are first read,
    by running it again with them (calc.entitlements._Rewording).  That holds only if no status or amount depends
    on a reason: a run that words them gives every row the same status (but the rows lost to 就高不重复, which it
    grants) and amount, and the reasons read are its own, with "duplicate" where the item was lost."""
    options = {f"{STEP}.reading": reading}
    result = entitlements(table(rows), as_of=AS_OF, options=options)
    ctx = Ctx(result.frame, result.policies, result.as_of, options)
    duplicate = code("duplicate")
    for node in result.nodes:
        award = result.awards[node.id]
        assert award.__dict__["_reason"] is NO_REASONS  # not worded yet
        with wording_reasons(True):
            worded = _outcome(node, ctx, result.policies.policies[node.policy_id].in_force(result.as_of))
        lost = award.status == DUPLICATE
        assert (award.status[~lost] == worded.status[~lost]).all(), node.id
        assert (worded.status[lost] == GRANTED).all(), node.id
        assert (award.amount == worded.amount).all(), node.id
        reason = award.reason
        assert reason.dtype == np.int16 and reason is award.reason  # worded once, then kept
        assert (reason == np.where(lost, duplicate, worded.reason)).all(), node.id
