"""Engine contracts: the wide and long shapes agree, explain() puts counted items first, every reason renders in
both languages, consortia are assessed in the jurisdictions asked for, and one enterprise is a table of one row.
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from calc import assess_consortia, entitlements, explain
from calc.entitlements import ReasonsMismatch
from calc.rules.base import OVERALL, STATUSES, reason_keys

AS_OF = "2026-06-30"
WAN = 10_000
STEP = "xiamen_sti_measures.rd_step_subsidy"
MATCH = "xiamen_consortium_2025.national_project_matching"
PLATFORM_CONSORTIUM = "xiamen_consortium_2025.national_platform_award"
PLATFORM_MEASURES = "xiamen_sti_measures.national_platform_award"

# A table that triggers many statuses and reasons (each worked below where an amount is checked):
# A  a Xiamen consortium lead with every support: 1.02亿 R&D → 51 steps capped at 500万 (措施7 最高500万元); 3000万
#    national funding → 50% = 1500万, capped at 1000万 (第九条（二）); a new national platform paid once (就高不重复).
# B  a Xiamen non-member with nothing: 200万 R&D is not 高于200万; every count zero.
# C  a Xiamen member, no R&D growth; national 1000万 + provincial 500万 of a 1600万 project leaves 100万 of room
#    (国家、省、市资助金额之和不超过项目总投入), less than 50% × 1000万 = 500万 → 100万.
# D  not in Xiamen: every item requires Xiamen.
# E  the README's example: 1,234.56万 on 1,000万 → ⌊12,345,600 / 2,000,000⌋ = 6 steps → 60万; most counts missing.
ROWS = [
    dict(enterprise_id="A", city="xiamen", consortium_member=True, consortium_lead=True, talent_consortium_lead=True,
         rd_expense="1.02亿", rd_expense_prev="5000万", national_funding="3000万", provincial_funding=0,
         municipal_funding=0, project_total_investment="1亿", joint_lab_investment="2亿", tech_transaction_paid="300万",
         new_national_platforms=1, new_intl_coop_bases=1, intl_coop_base_rating="excellent", brics_projects=1,
         intergov_projects=1, incubators=1, national_pilot_platforms=1, sme_innovation_projects=1, scenario_projects=1,
         hightech_transformation_project=True, postdocs_in_station=2, major_projects=1, public_platforms_new=1,
         public_platform_rating="excellent", public_platform_upgrade_need=True, double_hundred_hires=1,
         new_mechanism_recognised=True, consortium_evaluation="excellent"),
    dict(enterprise_id="B", city="xiamen", consortium_member=False, consortium_lead=False, talent_consortium_lead=False,
         rd_expense="200万", rd_expense_prev="100万", national_funding=0, joint_lab_investment=0, tech_transaction_paid=0,
         new_national_platforms=0, new_intl_coop_bases=0, intl_coop_base_rating="pass", brics_projects=0,
         intergov_projects=0, incubators=0, national_pilot_platforms=0, sme_innovation_projects=0, scenario_projects=0,
         hightech_transformation_project=False, postdocs_in_station=0),
    dict(enterprise_id="C", city="xiamen", consortium_member=True, rd_expense="1000万", rd_expense_prev="1000万",
         national_funding="1000万", provincial_funding="500万", municipal_funding=0, project_total_investment="1600万",
         joint_lab_investment="100万", tech_transaction_paid="10万", public_platform_rating="good",
         consortium_evaluation="pass"),
    dict(enterprise_id="D", city="other", rd_expense="600万", rd_expense_prev="500万"),
    dict(enterprise_id="E", city="xiamen", consortium_member=True, rd_expense="1,234.56万", rd_expense_prev="1000万",
         national_funding="100万", provincial_funding=0, municipal_funding=0, project_total_investment="1亿"),
]
TABLE = pd.DataFrame(ROWS)


@pytest.fixture(scope="module")
def result():
    return entitlements(TABLE, as_of=AS_OF)


# ---------------------------------------------------------------------------------------------- wide and long

def test_wide_has_one_row_per_enterprise_a_column_per_item_and_status(result):
    wide = result.wide
    assert list(wide["enterprise_id"]) == ["A", "B", "C", "D", "E"]
    for node in result.nodes:
        assert pd.api.types.is_integer_dtype(wide[node.id]), node.id
        status = wide[f"{node.id}:status"]
        assert isinstance(status.dtype, pd.CategoricalDtype), node.id
        assert list(status.cat.categories) == list(STATUSES)
    wide = wide.set_index("enterprise_id")
    assert (wide.loc["A", STEP], wide.loc["A", f"{STEP}:status"]) == (500 * WAN, "granted")  # 51 steps, capped
    assert (wide.loc["E", STEP], wide.loc["E", f"{STEP}:status"]) == (60 * WAN, "granted")   # 6 steps
    assert (wide.loc["B", STEP], wide.loc["B", f"{STEP}:status"]) == (0, "not_eligible")     # 200万 is not 高于200万
    assert wide.loc["A", MATCH] == 1000 * WAN and wide.loc["C", MATCH] == 100 * WAN
    assert wide.loc["D", f"{STEP}:status"] == "not_eligible"


def test_wide_amounts_and_statuses_equal_the_long_table(result):
    wide = result.wide.set_index("enterprise_id")
    long = result.items("en")
    assert len(long) == len(wide) * len(result.nodes)
    amounts = long.pivot(index="enterprise_id", columns="item_id", values="amount_yuan")
    statuses = long.pivot(index="enterprise_id", columns="item_id", values="status")
    for node in result.nodes:
        assert (amounts[node.id] == wide[node.id]).all(), node.id
        assert (statuses[node.id] == wide[f"{node.id}:status"].astype(str)).all(), node.id
    totals = result.totals().set_index("enterprise_id")
    for name in ("formula_fixed_yuan", "ceiling_yuan", "total_yuan"):
        assert (totals[name] == wide[name]).all()


def test_explain_lists_the_counted_items_first(result):
    for eid in TABLE["enterprise_id"]:
        for lang in ("zh", "en"):
            table = result.explain(eid, lang)
            assert set(table["enterprise_id"]) == {eid}
            assert sorted(table["item_id"]) == sorted(n.id for n in result.nodes)
            counted = table["counted"].tolist()
            assert counted == sorted(counted, reverse=True), (eid, counted)  # every True before every False
    a = result.explain("A", "en")
    assert a["counted"].iloc[0] and a["amount_yuan"].iloc[0] == a.loc[a["counted"], "amount_yuan"].max()
    # the 就高不重复 loser is paid the same 3000万 but is not counted, so it comes after every counted item
    loser = a.index[a["item_id"] == PLATFORM_MEASURES][0]
    assert a.loc[loser, "status"] == "duplicate" and a.loc[loser, "won_by"] == PLATFORM_CONSORTIUM
    assert loser > a.index[a["counted"]].max()


# ---------------------------------------------------------------------------------------------- reasons

EXPECTED_KEYS = {
    "duplicate", "granted_by_rating", "granted_fixed", "granted_per_count", "growth_not_above_rate", "info",
    "matching_cap_binds", "matching_rate", "matching_total_investment_binds", "no_incubator", "no_joint_lab_investment",
    "no_new_base", "no_new_platform", "no_pilot_platform", "no_postdoc", "no_project", "no_tech_transaction",
    "no_transformation_project", "platform_not_excellent_or_no_need", "joint_lab_rate", "joint_lab_capped",
    "tech_rate", "tech_capped",
    "rating_below_good", "rd_not_above_bonus_threshold", "rd_not_above_threshold", "rd_not_grown", "rd_step_capped",
    "rd_step_granted:literal", "rd_step_granted:increment", "requires:consortium_lead", "requires:consortium_member", "requires:talent_consortium_lead",
    "requires:xiamen", "needs:consortium_lead+consortium_evaluation", "needs:talent_consortium_lead+double_hundred_hires",
    "needs:postdocs_in_station",
    "not_in_force",
}


def test_every_reason_renders_in_both_languages_without_placeholders():
    runs = [entitlements(TABLE, as_of=AS_OF),
            entitlements(TABLE, as_of=AS_OF, options={f"{STEP}.reading": "increment"}),
            entitlements(TABLE, as_of="2024-06-30")]  # before the measures: not in force
    keys = set()
    for run in runs:
        for award in run.awards.values():
            keys |= set(reason_keys(award.reason))
        zh, en = run.items("zh"), run.items("en")
        for table in (zh, en):
            reasons = table["reason"]
            assert reasons.map(lambda r: isinstance(r, str) and r.strip() != "").all()
            leftover = table[reasons.str.contains(r"[{}]") | reasons.str.contains("—")]
            assert leftover.empty, leftover[["enterprise_id", "item_id", "reason"]].to_string()
        assert (zh["reason"] != en["reason"]).all()
    assert EXPECTED_KEYS <= keys, EXPECTED_KEYS - keys
    for key in keys:  # every key has words: a template, or a column named in COLUMN_WORDS
        if key.startswith("needs:"):
            assert all(c in explain.COLUMN_WORDS for c in key.split(":", 1)[1].split("+")), key
        else:
            assert key in explain.REASONS, key


def test_reasons_carry_the_rows_own_numbers(result):
    zh = result.items("zh").set_index(["enterprise_id", "item_id"])["reason"]
    en = result.items("en").set_index(["enterprise_id", "item_id"])["reason"]
    # E: 1,234.56万 → 6 steps of 200万 × 10万 = 60万
    assert all(s in zh[("E", STEP)] for s in ("1,234.56万元", "200万元", "10万元", "6档", "60万元"))
    assert all(s in en[("E", STEP)] for s in ("6 full steps", "¥600,000"))
    # A: 51 steps exceed the cap of 500万
    assert "51" in zh[("A", STEP)] and "500万元" in zh[("A", STEP)]
    # C: the room under the total investment 1,600万 binds at 100万
    assert "1,600万元" in zh[("C", MATCH)] and "100万元" in zh[("C", MATCH)]
    early = entitlements(TABLE, as_of="2024-06-30").items("en").set_index(["enterprise_id", "item_id"])["reason"]
    assert "2025-01-01 – 2027-12-31" in early[("E", STEP)] and "2024-06-30" in early[("E", STEP)]


# ---------------------------------------------------------------------------------------------- one row = a table of one

def test_one_enterprise_alone_gets_what_it_gets_in_the_batch(result):
    wide = result.wide.set_index("enterprise_id")
    for lang in ("zh", "en"):
        batch_items = result.items(lang)
        for i, eid in enumerate(TABLE["enterprise_id"]):
            alone = entitlements(TABLE.iloc[[i]], as_of=AS_OF)
            pd.testing.assert_series_equal(alone.wide.set_index("enterprise_id").loc[eid], wide.loc[eid])
            mine = batch_items[batch_items["enterprise_id"] == eid].reset_index(drop=True)
            pd.testing.assert_frame_equal(alone.items(lang), mine)
    # a dict of one enterprise is the same table of one row
    alone = entitlements({k: [v] for k, v in ROWS[4].items()}, as_of=AS_OF)
    pd.testing.assert_series_equal(alone.wide.set_index("enterprise_id").loc["E"], wide.loc["E"])


# ---------------------------------------------------------------------------------------------- consortia

GOOD = dict(
    enterprises=5, universities=1, research_institutes=1, other_units=0, local_units=5, scale_or_hightech_enterprises=3,
    lead_type="enterprise", lead_revenue="5亿", lead_revenue_prev="5亿", lead_revenue_prev2="5亿", lead_rd="2000万",
    lead_rd_prev="2000万", lead_rd_prev2="2000万", lead_years_operating=10, lead_platform_level="provincial",
    lead_rd_staff=30, lead_other_consortia=0, chief_scientist=True, agreement_signed=True, field="other",
)
CONSORTIA = pd.DataFrame([
    {**GOOD, "consortium_id": "X", "jurisdiction": "xiamen", "lead_region": "xiamen"},
    {**GOOD, "consortium_id": "Q", "jurisdiction": "qingdao", "lead_region": "qingdao"},
    {**GOOD, "consortium_id": "H", "jurisdiction": "hainan", "lead_region": "hainan", "research_institutes": 4},  # 10 units
])
FOUR = ["hainan", "liaoyang", "qingdao", "xiamen"]
BOTH_IN_FORCE = "2026-01-01"  # Liaoyang until 2026-05-22, Xiamen from 2025-08-10: all four consortium policies apply


def test_all_jurisdictions_give_one_summary_row_per_consortium_and_jurisdiction():
    check = assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE, jurisdictions="all")
    summary = check.summary()
    assert len(summary) == 3 * 4
    for cid in ("X", "Q", "H"):
        assert sorted(summary.loc[summary["consortium_id"] == cid, "jurisdiction"]) == FOUR
    assert set(summary["status"]) <= set(OVERALL)
    assert set(check.criteria("en")["jurisdiction"]) == set(FOUR)
    assert set(check.manual_checks("en")["jurisdiction"]) == set(FOUR)
    # X meets every Xiamen condition (7 units, 5 enterprises, 2 others, 5亿, 2000万 average, a platform)
    status = summary.set_index(["consortium_id", "jurisdiction"])["status"]
    assert status[("X", "xiamen")] == "eligible"


def test_without_jurisdictions_each_consortium_is_assessed_in_its_own_only():
    summary = assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE).summary()
    assert sorted(zip(summary["consortium_id"], summary["jurisdiction"])) == [
        ("H", "hainan"), ("Q", "qingdao"), ("X", "xiamen")]
    summary = assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE, jurisdictions=["xiamen", "hainan"]).summary()
    assert len(summary) == 3 * 2 and set(summary["jurisdiction"]) == {"xiamen", "hainan"}
    summary = assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE, jurisdictions="qingdao").summary()
    assert sorted(summary["consortium_id"]) == ["H", "Q", "X"] and set(summary["jurisdiction"]) == {"qingdao"}


@pytest.mark.parametrize("jurisdictions", ["beijing", ["xiamen", "beijing"], "Xiamen "])
def test_an_unknown_jurisdiction_raises_value_error(jurisdictions):
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE, jurisdictions=jurisdictions)


def test_a_policy_out_of_force_gives_not_in_force_for_its_jurisdiction():
    # 2026-06-30: Liaoyang's three years (2023-05-23 – 2026-05-22, 第二十七条) are over; the other three apply
    summary = assess_consortia(CONSORTIA, as_of=AS_OF, jurisdictions="all").summary()
    status = summary.set_index(["consortium_id", "jurisdiction"])["status"]
    assert len(summary) == 3 * 4
    assert all(status[(cid, "liaoyang")] == "not_in_force" for cid in ("X", "Q", "H"))
    assert status[("X", "xiamen")] == "eligible"
    assert all(status[(cid, j)] != "not_in_force" for cid in ("X", "Q", "H") for j in ("xiamen", "qingdao", "hainan"))


def test_one_consortium_alone_is_assessed_as_in_the_batch():
    batch = assess_consortia(CONSORTIA, as_of=BOTH_IN_FORCE, jurisdictions="all")
    summary, criteria = batch.summary(), batch.criteria("en")
    for i, cid in enumerate(CONSORTIA["consortium_id"]):
        alone = assess_consortia(CONSORTIA.iloc[[i]], as_of=BOTH_IN_FORCE, jurisdictions="all")
        pd.testing.assert_frame_equal(alone.summary(),
                                      summary[summary["consortium_id"] == cid].reset_index(drop=True))
        pd.testing.assert_frame_equal(alone.criteria("en"),
                                      criteria[criteria["consortium_id"] == cid].reset_index(drop=True))


def test_reasons_are_worded_when_first_read_and_a_table_changed_meanwhile_is_an_error_not_a_wrong_reason():
    # the engine computes without reasons and words an item's reasons when they are first read, by running the item
    # again on the result's table: B's 200万 R&D is not 高于200万, so the step subsidy is not eligible, and the
    # reason says why; a table changed in place before the reasons are read would give other statuses
    result = entitlements(pd.DataFrame(ROWS), as_of=AS_OF)
    b = list(result.frame["enterprise_id"]).index("B")
    assert reason_keys(result.awards[STEP].reason)[b] == "rd_not_above_threshold"
    changed = entitlements(pd.DataFrame(ROWS), as_of=AS_OF)
    changed.frame.loc[changed.frame.index[b], "rd_expense"] = 300 * WAN * 100  # fen: now above the threshold
    with pytest.raises(ReasonsMismatch, match=f"item {STEP} gave other statuses"):
        changed.awards[STEP].reason


def test_a_result_pickled_before_its_reasons_are_read_words_them_after():
    # a Dask worker or a cache sends results pickled: what words the reasons goes with them (not a closure)
    result = entitlements(pd.DataFrame(ROWS), as_of=AS_OF)
    copy = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(copy.items(), result.items())
    assert copy.items()["reason"].str.len().gt(0).all()  # every row worded
