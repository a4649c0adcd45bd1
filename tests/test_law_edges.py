"""Issue 12, "the law at its edges": each point worked by hand from the quoted text, at, below and above the
boundary it touches.

Amounts in the comments are yuan; 万 = 10,000.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from calc import assess_consortia, entitlements, load_enterprises
from calc.eligibility import consortium_supports
from calc.explain import format_percent
from calc.policies import PolicyDataError, default_policies
from calc.rules.base import STATUSES
from test_rules_xiamen_consortium import GOOD

AS_OF = "2026-06-30"
WAN = 10_000
X = "xiamen_consortium_2025"
M = "xiamen_sti_measures"
STEP, BONUS, JOINT_LAB, TECH = f"{M}.rd_step_subsidy", f"{M}.rd_growth_bonus", f"{M}.joint_lab", f"{M}.tech_transaction"
MATCH, EVAL, DOUBLE = f"{X}.national_project_matching", f"{X}.excellent_evaluation_award", f"{X}.double_hundred_post"


def run(rows, as_of=AS_OF, **kw):
    rows = [{"enterprise_id": f"E{i}", "city": "xiamen", **r} for i, r in enumerate(rows)]
    return entitlements(pd.DataFrame(rows, dtype=object), as_of=as_of, **kw)


def item(result, item_id, row=0):
    award = result.awards[item_id]
    return STATUSES[award.status[row]], int(award.amount[row]) // 100


def reason(result, item_id, row=0, lang="zh"):
    return result.reasons(item_id, np.array([row]), lang)[0]


CONSORTIUM = GOOD  # a consortium meeting every Xiamen condition (tests/test_rules_xiamen_consortium.py)


def assess(jurisdictions=None, options=None, **changes):
    result = assess_consortia(pd.DataFrame([{**CONSORTIUM, **changes}], dtype=object), as_of=AS_OF,
                              jurisdictions=jurisdictions, options=options)
    assert result.errors.empty, result.errors.to_string()
    return result.summary().iloc[0], result.criteria("zh").set_index("criterion_id")


# ============================================================== decisions that wait for inputs they do not need

@pytest.mark.parametrize("rd, result", [
    # 第六条（二）3 年均研发投入…不低于2000万元或占同期销售收入总额的比例不低于3%; revenue blank
    # (2100万 + 2000万 + 1900万) / 3 = 2000万 ≥ 2000万: the first branch decides, revenue not needed
    (("2100万", "2000万", "1900万"), "pass"),
    # 2100万 + 2000万 + 1900万 − 0.03元 = 5999.9999997万 < 6000万: the average fails, the 3% branch needs revenue
    (("2100万", "2000万", "18,999,999.97"), "needs_input"),
    # 6300万 / 3 = 2100万 ≥ 2000万
    (("2100万", "2100万", "2100万"), "pass"),
])
def test_xiamen_lead_rd_decided_by_the_average_without_revenue(rd, result):
    _, criteria = assess(lead_rd=rd[0], lead_rd_prev=rd[1], lead_rd_prev2=rd[2], lead_revenue=None,
                         lead_revenue_prev=None, lead_revenue_prev2=None)
    row = criteria.loc[f"{X}.lead_rd"]
    assert row["result"] == result
    if result == "needs_input":
        assert row["margin"] == "需补充：近三年销售收入"
        assert row["missing"] == "lead_revenue+lead_revenue_prev+lead_revenue_prev2"


def test_xiamen_lead_rd_decided_by_the_share_without_one_years_rd_known_to_fail():
    # 3% branch: R&D 600万 + 600万 + 600万 = 1800万 of revenue 2亿 × 3 = 6亿 → exactly 3%: passes whatever the
    # average says; 1799.99万 → 2.99998…% and the average (599.99…万) below 2000万: fails (hard)
    _, criteria = assess(lead_rd="600万", lead_rd_prev="600万", lead_rd_prev2="600万",
                         lead_revenue="2亿", lead_revenue_prev="2亿", lead_revenue_prev2="2亿")
    assert criteria.loc[f"{X}.lead_rd", "result"] == "pass"
    _, criteria = assess(lead_rd="599.99万", lead_rd_prev="600万", lead_rd_prev2="600万",
                         lead_revenue="2亿", lead_revenue_prev="2亿", lead_revenue_prev2="2亿")
    assert criteria.loc[f"{X}.lead_rd", "result"] == "fail"


@pytest.mark.parametrize("total, result", [
    # 海南 四(三)3 研究开发费用总额不低于2000万元或…比例原则上不低于4%; revenue blank
    (("3000万", "2000万", "1000万"), "pass"),      # 6000万 ≥ 2000万
    (("1000万", "1000万", "0"), "pass"),           # 2000万 exactly
    (("1000万", "999.99万", "0"), "needs_input"),  # 1999.99万: the 4% branch decides, revenue needed
])
def test_hainan_lead_rd_total_decided_without_revenue(total, result):
    _, criteria = assess(jurisdictions="hainan", lead_rd=total[0], lead_rd_prev=total[1], lead_rd_prev2=total[2],
                         lead_revenue=None, lead_revenue_prev=None, lead_revenue_prev2=None)
    assert criteria.loc["hainan_consortium_2022.lead_rd", "result"] == result


@pytest.mark.parametrize("enterprises, universities, total, other", [
    # 第六条（一） 7个(含)以上单位组成…其中企业不少于5个、其它单位不少于2个; research_institutes and other_units blank
    (7, 1, "pass", "needs_input"),   # 8 known ≥ 7; other units 1 + blanks: could reach 2
    (6, 1, "pass", "needs_input"),   # 7 known = 7
    (5, 1, "needs_input", "needs_input"),  # 6 known: the blanks decide
    (5, 2, "pass", "pass"),          # 7 known; 2 universities already meet 其它单位不少于2个
])
def test_xiamen_member_counts_decided_by_the_known_members(enterprises, universities, total, other):
    _, criteria = assess(enterprises=enterprises, universities=universities, research_institutes=None,
                         other_units=None, local_units=None)
    assert criteria.loc[f"{X}.members_total", "result"] == total
    assert criteria.loc[f"{X}.member_other_units", "result"] == other
    if total == "pass" and enterprises + universities > 7:
        assert criteria.loc[f"{X}.members_total", "value"] == f"≥{enterprises + universities}"


def test_a_sum_that_cannot_reach_a_maximum_and_the_members_local_units_bound():
    # Hainan 四(二) 原则上不少于10个: 3 enterprises + 6 local units known, institutes blank: at least 6 … undecided;
    # with 10 local units the members are at least 10 (local units are members): decided pass
    _, criteria = assess(jurisdictions="hainan", enterprises=3, universities=0, research_institutes=None,
                         other_units=0, local_units=3)
    assert criteria.loc["hainan_consortium_2022.members_total", "result"] == "needs_input"
    _, criteria = assess(jurisdictions="hainan", jurisdiction="hainan", enterprises=3, universities=0,
                         research_institutes=None, other_units=0, local_units=10)
    assert criteria.loc["hainan_consortium_2022.members_total", "result"] == "pass"


@pytest.mark.parametrize("rd, status, why", [
    # 措施7 企业年度自主研发费用高于200万元且较上年实现增长的; last year blank
    ("150万", "not_eligible", "年度自主研发费用150万元未高于200万元"),
    ("200万", "not_eligible", "年度自主研发费用200万元未高于200万元"),  # 高于 is strict
    ("200.01万", "needs_input", "需补充：上年自主研发费用"),
])
def test_rd_not_above_the_threshold_fails_whatever_last_year_was(rd, status, why):
    result = run([{"rd_expense": rd, "rd_expense_prev": None}])
    assert item(result, STEP) == (status, 0)
    assert reason(result, STEP) == why
    # 高于500万元且增长率超过20%: 150万, 200万 and 200.01万 all fail 高于500万元 whatever last year was
    assert item(result, BONUS) == ("not_eligible", 0)


# ============================================================== contradictory inputs never pay

def parsed_with(rows, **set_after):
    """Rows loaded (the loader accepts them), then columns set as a DataFrame handed in directly would have them."""
    parsed = load_enterprises(pd.DataFrame([{"enterprise_id": f"E{i}", "city": "xiamen", **r}
                                            for i, r in enumerate(rows)], dtype=object))
    for column, values in set_after.items():
        parsed.frame[column] = pd.array(values, dtype="boolean")
    return parsed


def test_a_lead_marked_not_a_member_is_not_paid():
    # 第十六条 一次性给予联合体牵头单位100万元: a lead is a member; consortium_member = 否 contradicts it
    rows = [{"consortium_lead": True, "consortium_member": True, "consortium_evaluation": "excellent"}] * 3
    parsed = parsed_with(rows, consortium_member=[False, True, None])
    result = entitlements(parsed, as_of=AS_OF)
    assert item(result, EVAL, 0) == ("not_eligible", 0)
    assert reason(result, EVAL, 0).startswith("输入矛盾：填写为牵头单位")
    assert item(result, EVAL, 1) == ("granted", 100 * WAN)
    assert item(result, EVAL, 2) == ("granted", 100 * WAN)  # membership derived from the lead


def test_a_talent_lead_marked_not_a_member_or_not_the_lead_is_not_paid():
    # 第十一条（六） “人才攻关联合体”牵头单位…享受100万元资金补贴: 2 hires → 200万, unless the flags contradict
    rows = [{"talent_consortium_lead": True, "consortium_lead": True, "consortium_member": True,
             "double_hundred_hires": 2}] * 3
    parsed = parsed_with(rows, consortium_member=[False, True, True], consortium_lead=[True, False, None])
    result = entitlements(parsed, as_of=AS_OF)
    assert item(result, DOUBLE, 0) == ("not_eligible", 0)
    assert item(result, DOUBLE, 1) == ("not_eligible", 0)
    assert "同时作为" in reason(result, DOUBLE, 1)
    assert item(result, DOUBLE, 2) == ("granted", 200 * WAN)
    assert reason(result, DOUBLE, 2) == "2项 × 每项100万元 = 200万元"


def test_talent_status_follows_recognition():
    # 第十一条（六） 联合体已集聚10名核心团队成员…的，同时作为“人才攻关联合体”
    summary, _ = assess()
    assert (summary["status"], summary["talent_consortium"]) == ("eligible", "eligible")
    # three hard failures (members 6, no agreement, no chief scientist): ineligible, so is the talent status
    summary, _ = assess(enterprises=4, agreement_signed=False, chief_scientist=False, local_units=4)
    assert (summary["status"], summary["talent_consortium"]) == ("ineligible", "ineligible")
    # recognition incomplete (platform blank): the talent status cannot be more than incomplete
    summary, _ = assess(lead_platform_level=None)
    assert (summary["status"], summary["talent_consortium"]) == ("incomplete", "incomplete")
    # no talent data at all: not applicable, not incomplete
    summary, _ = assess(core_team_members=None, national_level_talents=None, city_b_talents=None)
    assert (summary["status"], summary["talent_consortium"]) == ("eligible", "not_applicable")
    # 9 core members (below 10): recognised, not a talent consortium
    summary, _ = assess(core_team_members=9)
    assert (summary["status"], summary["talent_consortium"]) == ("eligible", "ineligible")


# ============================================================== words that state the right money

def test_count_times_unit_is_the_total():
    # 措施3 对新入选基地给予一次性200万元奖励: 3 bases → 3 × 200万 = 600万
    result = run([{"new_intl_coop_bases": 3}, {"new_national_platforms": 2, "consortium_member": False}])
    assert item(result, f"{M}.intl_coop_base_award") == ("granted", 600 * WAN)
    assert reason(result, f"{M}.intl_coop_base_award") == "3项 × 每项200万元 = 600万元"
    assert reason(result, f"{M}.intl_coop_base_award", lang="en") == "3 × ¥2,000,000 each = ¥6,000,000"
    # 措施2 给予一次性3000万元奖励: a non-member with 2 platforms → 6000万
    assert item(result, f"{M}.national_platform_award", 1) == ("granted", 6000 * WAN)
    assert reason(result, f"{M}.national_platform_award", 1) == "2项 × 每项3,000万元 = 6,000万元"


def test_ceiling_items_say_up_to():
    # 第九条（一） 财政资金最高支持额度可达2000万元; 措施6 每年每家最高500万元; 措施11 每个项目最高2000万元
    result = run([{"major_projects": 2, "consortium_member": True, "incubators": 1, "scenario_projects": 1}])
    assert reason(result, f"{X}.major_project_support") == "2项 × 每项最高2,000万元 = 最高4,000万元"
    assert reason(result, f"{M}.incubator_award") == "1项 × 每项最高500万元 = 最高500万元"
    assert reason(result, f"{M}.scenario_project", lang="en") == "1 × up to ¥20,000,000 each = up to ¥20,000,000"


@pytest.mark.parametrize("investment, amount, words", [
    # 措施7 按非财政资金投入的10%给予最高1000万元补助
    ("3000万", 300 * WAN, "非财政资金投入3,000万元 × 10% = 300万元"),
    ("1亿", 1000 * WAN, "非财政资金投入1亿元 × 10% = 1,000万元"),  # exactly the cap
    ("1.0000001亿", 1000 * WAN,
     "非财政资金投入1.0000001亿元 × 10% = 1,000.0001万元，超过上限（1个实验室 × 每个最高1,000万元），按上限1,000万元"),
])
def test_a_rate_item_shows_its_working(investment, amount, words):
    result = run([{"joint_lab_investment": investment}])
    assert item(result, JOINT_LAB) == ("granted", amount)
    assert reason(result, JOINT_LAB) == words


def test_the_joint_lab_cap_is_per_laboratory():
    # 共建联合实验室…给予最高1000万元补助: 2 labs with 3亿 together → 10% = 3000万, at most 2 × 1000万 = 2000万;
    # 3 labs → 3000万 (under 3 × 1000万); blank: one lab → 1000万
    result = run([{"joint_lab_investment": "3亿", "joint_labs": 2}, {"joint_lab_investment": "3亿", "joint_labs": 3},
                  {"joint_lab_investment": "3亿"}])
    assert item(result, JOINT_LAB, 0) == ("granted", 2000 * WAN)
    assert item(result, JOINT_LAB, 1) == ("granted", 3000 * WAN)
    assert item(result, JOINT_LAB, 2) == ("granted", 1000 * WAN)
    assert "2个实验室 × 每个最高1,000万元" in reason(result, JOINT_LAB, 0)


def test_the_duplicate_names_the_winning_document_and_the_clause():
    # 第十条（四） and 措施2 both give 3000万 for a new national platform; 若干措施 三、范围期限 就高不重复
    result = run([{"new_national_platforms": 1, "consortium_member": True}])
    words = reason(result, f"{M}.national_platform_award")
    assert words.startswith("与《厦门市创新联合体管理办法》第十条（四）“国家级创新平台一次性奖励”属同类支持")
    assert "《若干措施》三、范围期限「本措施与其他同类型政策存在交叉、重复的" in words
    table = result.items("zh").set_index("item_id")
    assert "三、范围期限" in table.loc[f"{M}.national_platform_award", "citation"]
    assert "第十条（四）" in table.loc[f"{X}.national_platform_award", "citation"]


@pytest.mark.parametrize("paid, status, amount", [
    # 措施11 实际支付技术交易额最高50%, rounded down to the yuan: 0.01元 → 0; 1元 → 0.5 → 0; 2元 → 1元
    ("0.01", "not_eligible", 0), ("1", "not_eligible", 0), ("2", "granted", 1), ("1.99", "not_eligible", 0),
])
def test_zero_is_not_a_grant(paid, status, amount):
    result = run([{"tech_transaction_paid": paid}])
    assert item(result, TECH) == (status, amount)
    if status == "not_eligible":
        assert reason(result, TECH) == "按规定计算金额为零，不构成补助"


@pytest.mark.parametrize("rd, prev, status, amount", [
    # increment reading: 每满200万元 of the increase: 300万 − 250万 = 50万 → 0 steps → not a grant;
    # 450万 − 250万 = 200万 → 1 step → 10万; 449.99万 − 250万 → 0 steps
    ("300万", "250万", "not_eligible", 0), ("450万", "250万", "granted", 10 * WAN),
    ("449.99万", "250万", "not_eligible", 0),
])
def test_the_increment_reading_at_zero_steps_is_not_a_grant(rd, prev, status, amount):
    result = run([{"rd_expense": rd, "rd_expense_prev": prev}], options={f"{STEP}.reading": "increment"})
    assert item(result, STEP) == (status, amount)


def test_liaoyang_margin_shows_enough_digits_and_the_money_short():
    # 第七条（三） 年度研发投入原则上不低于销售收入的3%: 2,999,999.99 of 1亿 = 2.99999999% → 差0.01元;
    # 3,000,000 → 3% passes; 3,000,000.01 → 3.00000001%
    for rd, result, value, margin in [("2,999,999.99", "soft_fail", "2.99999999%", "差0.01元"),
                                      ("3,000,000", "pass", "3%", ""),
                                      ("3,000,000.01", "pass", "3.00000001%", "")]:
        _, criteria = assess(jurisdictions="liaoyang", jurisdiction="liaoyang", lead_region="liaoyang",
                             lead_rd=rd, lead_revenue="1亿")
        row = criteria.loc["liaoyang_consortium_2023.lead_rd_ratio"]
        assert (row["result"], row["value"], row["margin"]) == (result, value, margin)


def test_shares_show_two_decimals():
    # 6 / 7 = 85.714285…% → 85.71%; 50% exactly; 1/3 → 33.33%
    assert format_percent(Fraction(6, 7)) == "85.71%"
    assert format_percent(Fraction(1, 2)) == "50%"
    assert format_percent(Fraction(1, 3)) == "33.33%"
    # a share that rounds to its threshold shows more digits: 49.999% beside 50% → 49.999%
    assert format_percent(Fraction(49999, 100000), Fraction(1, 2)) == "49.999%"
    _, criteria = assess(jurisdictions="hainan", jurisdiction="hainan", enterprises=6, universities=1,
                         research_institutes=0, other_units=0, local_units=6)
    assert criteria.loc["hainan_consortium_2022.member_enterprise_share", "value"] == "85.71%"


@pytest.mark.parametrize("kind, total_column", [("formula", "formula_fixed_yuan"), ("ceiling", "ceiling_yuan")])
def test_matching_reading_of_ke_is_an_option(kind, total_column):
    # 第九条（二） 可按国家财政资金投入的50%予以配套支持: 1000万 → 500万, as the amount (formula) or at most (ceiling)
    result = run([{"consortium_member": True, "national_funding": "1000万", "provincial_funding": 0,
                   "municipal_funding": 0, "project_total_investment": "1亿"}],
                 options={f"{MATCH}.kind": kind})
    assert item(result, MATCH) == ("granted", 500 * WAN)
    assert result.totals().loc[0, total_column] >= 500 * WAN
    words = reason(result, MATCH)
    assert ("最高500万元" in words) == (kind == "ceiling")
    assert ("按公式计算" in words) == (kind == "formula")


def test_supports_list_shows_the_jiugao_relation_and_article_15():
    supports = {s["id"]: s for s in consortium_supports(AS_OF)["xiamen"]}
    relation = supports[f"{X}.national_platform_award"]["relation"]
    assert "《若干措施》措施2" in relation and "就高不重复" in relation and "已可获得同额支持" in relation
    assert "第十五条" in supports[EVAL]["relation"]
    assert supports[f"{X}.major_project_support"]["amount"] == "最高2,000万元"
    # after 若干措施 (assumed to end 2027-12-31) the relation says it is not in force
    later = {s["id"]: s for s in consortium_supports("2028-06-30")["xiamen"]}
    assert "不在有效期" in later[f"{X}.national_platform_award"]["relation"]
    everywhere = consortium_supports(AS_OF)
    assert {s["citation"].split(" ")[1].split("：")[0] for s in everywhere["liaoyang"]} >= {
        "第十八条（一）", "第十八条（二）", "第十八条（八）"}
    assert {s["citation"].split(" ")[1].split("：")[0] for s in everywhere["hainan"]} >= {
        "七（三）", "七（四）", "七（五）", "七（七）"}


TRADITIONAL = set("聯動產業鏈數牽頭關領單簽訂組協議選專為島獨冊標務確則負責運機發規劃資術處國內經濟實場響較強隊穩備創願員擁驗條圍繞體織後參與爭設個過礎團層")


def test_every_title_has_a_simplified_form_and_quotes_stay_as_written():
    policies = default_policies()
    qingdao = policies.policies["qingdao_consortium_2025"]
    titles = [n.title_zh for n in (*qingdao.criteria.values(), *qingdao.obligations.values())] + \
        [m.title_zh for m in qingdao.manual_checks] + [s.title_zh for s in qingdao.supports] + [qingdao.display_title]
    assert not [t for t in titles if set(t) & TRADITIONAL]
    assert "聯動產業鏈上下游企業" in qingdao.criteria["upstream_downstream_enterprises"].citation.quote


def test_local_units_are_local_to_their_own_jurisdiction_only():
    # Hainan 四(二) 需在我省注册或驻琼单位比例不低于50%: a Xiamen consortium's local_units are Xiamen's
    _, criteria = assess(jurisdictions="hainan")
    row = criteria.loc["hainan_consortium_2022.local_share"]
    assert (row["result"], row["missing"]) == ("needs_input", "local_units_hainan")
    assert row["margin"] == "需补充：在海南注册或驻琼的成员单位数"
    # given for Hainan: 4 of 7 = 57.14% ≥ 50%; 3 of 7 = 42.86%
    _, criteria = assess(jurisdictions="hainan", local_units_hainan=4)
    assert criteria.loc["hainan_consortium_2022.local_share", ["result", "value"]].tolist() == ["pass", "57.14%"]
    _, criteria = assess(jurisdictions="hainan", local_units_hainan=3)
    assert criteria.loc["hainan_consortium_2022.local_share", "result"] == "fail"


# ============================================================== dates

def test_validity_can_be_set_and_is_checked():
    policies = default_policies().with_validity(M, "2025-06-01", "2028-05-31")
    assert (policies.policies[M].in_force_from, policies.policies[M].in_force_until) == (
        dt.date(2025, 6, 1), dt.date(2028, 5, 31))
    # a date the measures were not in force under the assumption is now in force, and the other way round
    rows = [{"new_intl_coop_bases": 1}]
    assert item(run(rows, as_of="2028-03-31"), f"{M}.intl_coop_base_award")[0] == "not_in_force"
    assert item(run(rows, as_of="2028-03-31", policies=policies), f"{M}.intl_coop_base_award") == (
        "granted", 200 * WAN)
    assert item(run(rows, as_of="2025-05-31", policies=policies), f"{M}.intl_coop_base_award")[0] == "not_in_force"
    for start, end, message in [("2026-01-01", "2025-12-31", "before from"), ("1999-12-31", None, "outside"),
                                ("soon", None, "not a date")]:
        with pytest.raises(PolicyDataError, match=message):
            default_policies().with_validity(M, start, end)
    with pytest.raises(PolicyDataError, match="unknown policy"):
        default_policies().with_validity("xiamen_sti", "2025-01-01")


@pytest.mark.parametrize("as_of, uncertain", [
    # issued in 2025 ("去年10月16日" is 2024): the first day falls in 2025-01-01 … 2025-12-31, the last three years
    # on, 2027-12-31 … 2028-12-30
    ("2024-12-31", False), ("2025-01-01", True), ("2025-12-31", True), ("2026-01-01", False),
    ("2027-12-30", False), ("2027-12-31", True), ("2028-12-30", True), ("2028-12-31", False),
])
def test_assumptions_flag_the_uncertain_months(as_of, uncertain):
    found = {a.policy_id: a for a in default_policies().assumptions(as_of)}
    measures = found[M]
    assert measures.uncertain is uncertain
    assert (measures.start, measures.end) == (dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    assert "未载明印发日期" in measures.text_zh and "no issue date" in measures.text_en
    assert ("不确定区间" in measures.text_zh) is uncertain


def test_dates_set_by_the_user_are_stated_not_uncertain():
    set_ = {a.policy_id: a for a in default_policies().with_validity(M, "2025-03-01", "2028-02-29")
            .assumptions("2025-06-01")}
    assert set_[M].set_by_user and not set_[M].uncertain
    assert "2025-03-01 – 2028-02-29" in set_[M].text_zh


# ============================================================== rules still missing

def test_provincial_manufacturing_centre_gets_no_evaluation_award():
    # 第十五条 省级制造业创新中心不参加市创新联合体评估 → no 第十六条 100万
    result = run([{"consortium_lead": True, "consortium_member": True, "consortium_evaluation": "excellent",
                   "consortium_is_provincial_mfg_center": flag} for flag in ("是", "否", None)])
    assert item(result, EVAL, 0) == ("not_eligible", 0)
    assert "第十五条" in reason(result, EVAL, 0)
    assert item(result, EVAL, 1) == ("granted", 100 * WAN)
    assert item(result, EVAL, 2) == ("granted", 100 * WAN)


def test_new_mechanism_award_goes_to_the_executive_host_only():
    # 第十二条（八） 给予联合体常设执行机构依托单位30万元奖励
    result = run([{"consortium_member": True, "new_mechanism_recognised": True, "executive_host": h}
                  for h in ("是", "否", None)])
    assert item(result, f"{X}.new_mechanism_award", 0) == ("granted", 30 * WAN)
    assert item(result, f"{X}.new_mechanism_award", 1) == ("not_eligible", 0)
    assert item(result, f"{X}.new_mechanism_award", 2) == ("needs_input", 0)
    assert reason(result, f"{X}.new_mechanism_award", 2) == "需补充：是否联合体常设执行机构依托单位"


def test_xiamen_ban_is_a_manual_check_and_obligations_are_listed():
    policies = default_policies()
    xiamen = policies.policies[X]
    assert any(m.citation.article == "第十七条" for m in xiamen.manual_checks)
    assert {"member_changes", "revoked_if_not_evaluated", "false_material"} <= set(xiamen.obligations)
    assert "no_dissolving_while_carrying_projects" in policies.policies["liaoyang_consortium_2023"].obligations
    assert {"removed_when_failed", "no_dissolving_while_carrying_projects"} <= set(
        policies.policies["qingdao_consortium_2025"].obligations)
    assert "grounds_for_removal" in policies.policies["hainan_consortium_2022"].obligations


# ============================================================== readings made switchable

@pytest.mark.parametrize("reading, prev, status", [
    # 措施7 增长率超过20%: from a zero base any increase counts (any_increase, today) or there is no rate (no_rate)
    ("any_increase", "0", "granted"), ("no_rate", "0", "not_eligible"),
    # 600万 on 500万 = exactly 20%: not 超过 under either reading; 600.01万 on 500万 > 20%
    ("any_increase", "500万", "not_eligible"), ("no_rate", "500.0001万", "not_eligible"),
])
def test_growth_from_a_zero_base_is_an_option(reading, prev, status):
    result = run([{"rd_expense": "600万", "rd_expense_prev": prev}], options={f"{BONUS}.zero_base": reading})
    assert item(result, BONUS)[0] == status


def test_growth_just_above_twenty_percent():
    result = run([{"rd_expense": "600.01万", "rd_expense_prev": "500万"}])
    assert item(result, BONUS) == ("granted", 50 * WAN)


@pytest.mark.parametrize("reading, enterprises, result", [
    # 青岛 三(二) 联动产业链上下游企业原则上不少于3家; an enterprise lead among 4 enterprises
    ("exclude", 4, "pass"), ("exclude", 3, "soft_fail"), ("include", 3, "pass"), ("include", 2, "soft_fail"),
])
def test_qingdao_lead_counted_is_an_option(reading, enterprises, result):
    _, criteria = assess(jurisdictions="qingdao", enterprises=enterprises, local_units=enterprises,
                         scale_or_hightech_enterprises=min(3, enterprises),
                         options={"qingdao_consortium_2025.upstream_downstream_enterprises.lead_counted": reading})
    assert criteria.loc["qingdao_consortium_2025.upstream_downstream_enterprises", "result"] == result


@pytest.mark.parametrize("reading, result", [("exempt", "not_applicable"), ("tested", "soft_fail")])
def test_new_rd_institution_lead_tests_are_an_option(reading, result):
    # 第六条（二）1 年主营业务收入原则上应达到5亿元以上(含): a new R&D institution with 4.99亿
    _, criteria = assess(lead_type="new_rd_institution", lead_revenue="4.99亿",
                         options={f"{X}.lead_revenue.new_rd_institution": reading})
    assert criteria.loc[f"{X}.lead_revenue", "result"] == result


@pytest.mark.parametrize("reading, result", [("all_other", "pass"), ("listed_only", "fail")])
def test_xiamen_other_units_counting_is_an_option(reading, result):
    # 其它单位不少于2个: 1 university + 1 generic other unit = 2 (all_other) or 1 (listed_only)
    _, criteria = assess(universities=1, research_institutes=0, other_units=1,
                         options={f"{X}.member_other_units.counts": reading})
    assert criteria.loc[f"{X}.member_other_units", "result"] == result


@pytest.mark.parametrize("reading, result", [("soft", "soft_fail"), ("hard", "fail")])
def test_liaoyang_registration_strength_is_an_option(reading, result):
    _, criteria = assess(jurisdictions="liaoyang", lead_region="xiamen",
                         options={"liaoyang_consortium_2023.lead_registered_enterprise.strength": reading})
    assert criteria.loc["liaoyang_consortium_2023.lead_registered_enterprise", "result"] == result


@pytest.mark.parametrize("reading, rd, result", [
    ("passes", "0", "pass"), ("fails", "0", "soft_fail"), ("fails", "1", "soft_fail"), ("passes", "1", "pass"),
])
def test_liaoyang_zero_revenue_is_an_option(reading, rd, result):
    _, criteria = assess(jurisdictions="liaoyang", lead_region="liaoyang", lead_rd=rd, lead_revenue="0",
                         options={"liaoyang_consortium_2023.lead_rd_ratio.zero_revenue": reading})
    assert criteria.loc["liaoyang_consortium_2023.lead_rd_ratio", "result"] == result


@pytest.mark.parametrize("reading, city_b, result", [
    # 3名市高层次B类以上人才: 2 city-B talents + 1 national-level one = 3 when national ones count
    ("separate", 2, "fail"), ("included", 2, "pass"), ("included", 1, "fail"), ("separate", 3, "pass"),
])
def test_national_talents_among_class_b_is_an_option(reading, city_b, result):
    _, criteria = assess(city_b_talents=city_b, national_level_talents=1,
                         options={f"{X}.talent_city_b.national_count": reading})
    assert criteria.loc[f"{X}.talent_city_b", "result"] == result
