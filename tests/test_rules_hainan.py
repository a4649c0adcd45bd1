"""海南省创新联合体建设实施方案 (2022): each condition at, just below and just above its threshold."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import calc.rules.hainan_consortium_2022  # noqa: F401  (registers the rules)
import calc.rules.xiamen_consortium_2025  # noqa: F401
from calc.policies import POLICY_DIR, load_policies, load_policy_file
from calc.rules.base import CRITERIA, RESULTS, Ctx

P = "hainan_consortium_2022"
PS = load_policies()
AS_OF = dt.date(2026, 1, 1)
YUAN = 100  # fen per yuan
WAN = 10_000 * YUAN
YI = 100_000_000 * YUAN


def column(values):
    if all(v is None or isinstance(v, bool) for v in values):
        return pd.array(values, dtype="boolean")
    if all(v is None or isinstance(v, int) for v in values):
        return pd.array(values, dtype="Int64")
    return pd.array(values, dtype="string")


def run(name, options=None, policy=P, **cols):
    node = PS.node(f"{policy}.{name}")
    frame = pd.DataFrame({k: column(v) for k, v in cols.items()})
    return CRITERIA[node.id](Ctx(frame, PS, AS_OF, options or {}).for_node(node))


def results(check):
    return [RESULTS[r] for r in check.result]


def members(enterprises, universities=0, institutes=0, others=0):
    n = len(enterprises)
    return dict(enterprises=list(enterprises), universities=[universities] * n,
                research_institutes=[institutes] * n, other_units=[others] * n)


# ---------------------------------------------------------------------------- the data and the registry

def test_policy_loads_strictly_and_every_criterion_has_a_rule():
    policy = load_policy_file(POLICY_DIR / f"{P}.yaml", strict_sources=True)
    assert policy.in_force_from == dt.date(2022, 8, 26) and policy.in_force_until is None
    in_yaml = {n.id for n in policy.criteria.values()}
    registered = {k for k in CRITERIA if k.startswith(P + ".")}
    assert in_yaml == registered


def test_strengths_follow_yuanzeshang():
    strengths = {n.name: n.strength for n in PS.policies[P].criteria.values()}
    assert strengths == {
        "members_total": "soft", "local_share": "hard", "member_enterprise_share": "hard",
        "scale_or_hightech_share": "soft", "lead_single_consortium": "soft", "lead_registered_enterprise": "hard",
        "lead_revenue": "soft", "lead_rd_staff": "soft", "lead_platform": "hard", "lead_rd": "soft",
        "agreement_signed": "hard", "chief_scientist": "hard",
    }


def test_relaxed_fields_parameter_reads_the_text():
    prm = PS.parameter(f"{P}.lead_platform.relaxed_fields")
    assert prm.unit == "terms" and prm.value_at(AS_OF) == ("现代种业", "数字经济")


# ---------------------------------------------------------------------------- 四(二) membership

def test_members_total_ten():
    # 四(二): 原则上不少于10个 → 10 members pass, 9 soft_fail, 11 pass
    check = run("members_total", **members([6, 5, 7], universities=2, institutes=1, others=1))
    assert results(check) == ["pass", "soft_fail", "pass"]
    assert list(check.shortfall) == [0, 1, 0]


def test_members_total_unknown():
    check = run("members_total", enterprises=[6], universities=[None], research_institutes=[1], other_units=[1])
    assert results(check) == ["needs_input"]


def test_local_share_fifty_percent_exact():
    # 四(二): 需在我省注册或驻琼单位比例不低于50% → 5 of 10 pass (exactly 50%), 4 of 9 fail (44%),
    # 5 of 9 pass (56%), 4 of 10 fail; hard
    check = run("local_share", local_units_here=[5, 4, 5, 4], **members([7, 6, 6, 7], universities=3))
    assert results(check) == ["pass", "fail", "pass", "fail"]
    # 4 of 10: two more Hainan members make 6 of 12 = 50%
    assert check.shortfall[3] == 2


def test_local_share_unknown_and_empty():
    check = run("local_share", local_units_here=[None, 0], **members([7, 0]))
    assert results(check) == ["needs_input", "fail"]


def test_member_enterprise_share_fifty_percent():
    # 四(二): 成员单位中企业数量不低于50% → 5 of 10 pass, 4 of 9 fail, 6 of 11 pass; hard
    check = run("member_enterprise_share", **{**members([5, 4, 6]), "universities": [5, 5, 5]})
    assert results(check) == ["pass", "fail", "pass"]


def test_scale_share_of_enterprises_by_default():
    # 四(二): 企业数量不低于50%（其中规上企业或高新技术企业原则上不低于20%）; 其中 = of the enterprises →
    # 1 of 5 enterprises passes (20%), 1 of 6 soft-fails (16.7%), 2 of 6 passes; members are irrelevant
    check = run("scale_or_hightech_share", scale_or_hightech_enterprises=[1, 1, 2],
                **members([5, 6, 6], universities=5, institutes=5))
    assert results(check) == ["pass", "soft_fail", "pass"]


def test_scale_share_of_members_option():
    # option base = members: 1 of 5 enterprises is 1 of 10 members = 10% → soft_fail; 2 of 10 = 20% → pass;
    # 2 of 11 = 18% → soft_fail
    opts = {f"{P}.scale_or_hightech_share.base": "members"}
    check = run("scale_or_hightech_share", opts, scale_or_hightech_enterprises=[1, 2, 2],
                **{**members([5, 5, 6]), "universities": [5, 5, 5]})
    assert results(check) == ["soft_fail", "pass", "soft_fail"]
    # and the same frame by enterprises: 20%, 40%, 33% → all pass
    check = run("scale_or_hightech_share", scale_or_hightech_enterprises=[1, 2, 2],
                **{**members([5, 5, 6]), "universities": [5, 5, 5]})
    assert results(check) == ["pass", "pass", "pass"]


def test_scale_share_unknown():
    check = run("scale_or_hightech_share", scale_or_hightech_enterprises=[None, 1], **members([5, None]))
    assert results(check) == ["needs_input", "needs_input"]


def test_lead_single_consortium():
    # 四(二): 原则上一个牵头单位仅限牵头组建一个创新联合体 → no other consortium led passes; 1 soft_fail
    check = run("lead_single_consortium", lead_other_consortia=[0, 1, None])
    assert results(check) == ["pass", "soft_fail", "needs_input"]


# ---------------------------------------------------------------------------- 四(三) the lead

def test_lead_registered_enterprise_hard():
    # 四(三)1: 在海南省内注册的独立法人企业 → hainan + enterprise; otherwise fail
    check = run("lead_registered_enterprise", lead_type=["enterprise", "enterprise", "university", None],
                lead_region=["hainan", "other", "hainan", "hainan"], field=["other"] * 4)
    assert results(check) == ["pass", "fail", "fail", "needs_input"]


def test_registration_not_relaxed_by_default_but_by_option():
    # 现代种业、数字经济…适当降低相关条件: by default the registration is not a bar that is lowered
    frame = dict(lead_type=["enterprise"], lead_region=["other"], field=["digital_economy"])
    assert results(run("lead_registered_enterprise", **frame)) == ["fail"]
    opts = {f"{P}.lead_platform.field_relaxation": "soft_incl_registration"}
    assert results(run("lead_registered_enterprise", opts, **frame)) == ["soft_fail"]


def test_lead_revenue_five_yi():
    # 四(三)1: 年主营业务收入原则上应达到5亿元以上 → 5亿 exactly passes (以上 inclusive), 1 fen less soft-fails
    check = run("lead_revenue", lead_revenue=[5 * YI, 5 * YI - 1, 5 * YI + 1, None], field=["other"] * 4)
    assert results(check) == ["pass", "soft_fail", "pass", "needs_input"]
    assert check.shortfall[1] == 1


def test_lead_rd_staff_twenty():
    # 四(三)2: 专职研发人员原则上应达到20人以上 → 20 pass, 19 soft_fail, 21 pass
    check = run("lead_rd_staff", lead_rd_staff=[20, 19, 21, None], field=["other"] * 4)
    assert results(check) == ["pass", "soft_fail", "pass", "needs_input"]


def test_lead_platform_provincial_ministerial():
    # 四(三)2: 建有省部级及以上的…科技创新平台 → provincial, national pass; municipal fails (hard)
    check = run("lead_platform", lead_platform_level=["provincial", "national", "municipal", "none", None],
                field=["other"] * 5)
    assert results(check) == ["pass", "pass", "fail", "fail", "needs_input"]


def test_platform_relaxed_for_digital_economy_and_seed_industry_only():
    # 四(三): 现代种业、数字经济等领域可根据实际情况适当降低相关条件 → a municipal platform:
    # digital_economy → soft_fail, seed_industry → soft_fail, life_health/other → fail, field unknown → needs_input
    cols = dict(lead_platform_level=["municipal"] * 5,
                field=["digital_economy", "seed_industry", "life_health", "other", None])
    check = run("lead_platform", **cols)
    assert results(check) == ["soft_fail", "soft_fail", "fail", "fail", "needs_input"]
    assert list(check.detail["relaxed"]) == [True, True, False, False, False]
    # option none: no relaxation
    check = run("lead_platform", {f"{P}.lead_platform.field_relaxation": "none"}, **cols)
    assert results(check) == ["fail"] * 5


def test_relaxation_follows_a_reformed_field_list():
    # the list is data: with only 数字经济, seed_industry is no longer relaxed
    reformed = PS.with_overrides({f"{P}.lead_platform.relaxed_fields": "数字经济"})
    node = reformed.node(f"{P}.lead_platform")
    frame = pd.DataFrame({"lead_platform_level": column(["municipal", "municipal"]),
                          "field": column(["digital_economy", "seed_industry"])})
    check = CRITERIA[node.id](Ctx(frame, reformed, AS_OF).for_node(node))
    assert results(check) == ["soft_fail", "fail"]


def rd_frame(rd, revenue, years=None):
    """Three fiscal years, newest first, in fen."""
    return dict(lead_type=["enterprise"], lead_rd=[rd[0]], lead_rd_prev=[rd[1]], lead_rd_prev2=[rd[2]],
                lead_revenue=[revenue[0]], lead_revenue_prev=[revenue[1]], lead_revenue_prev2=[revenue[2]],
                lead_years_operating=[years], field=["other"])


def test_lead_rd_total_not_average():
    # 四(三)3: 研究开发费用总额不低于2000万元 → 1000万 + 600万 + 400万 = 2000万 total passes in Hainan,
    # while Xiamen's 年均…不低于2000万元 (average 666.7万) fails on the same figures (ratio tiny in both)
    frame = rd_frame([1000 * WAN, 600 * WAN, 400 * WAN], [100 * YI] * 3, years=10)
    hainan = run("lead_rd", **frame)
    assert results(hainan) == ["pass"] and hainan.value[0] == 2000 * WAN
    xiamen = run("lead_rd", policy="xiamen_consortium_2025", **frame)
    assert results(xiamen) == ["fail"]


def test_lead_rd_total_at_below():
    # 2000万 − 1 fen total with a ratio far under 4% → neither branch → soft_fail (the 4% branch is 原则上)
    frame = rd_frame([1000 * WAN - 1, 600 * WAN, 400 * WAN], [100 * YI] * 3, years=3)
    check = run("lead_rd", **frame)
    assert results(check) == ["soft_fail"] and check.shortfall[0] == 1


def test_lead_rd_four_percent_of_total_revenue_exact():
    # 占同期销售收入总额的比例原则上不低于4% → revenue 1亿 × 3 = 3亿; 4% = 1200万:
    # 1200万 passes, 1200万 − 1 fen soft-fails (and both are under the 2000万 total)
    ok = run("lead_rd", **rd_frame([400 * WAN, 400 * WAN, 400 * WAN], [1 * YI] * 3, years=3))
    short = run("lead_rd", **rd_frame([400 * WAN - 1, 400 * WAN, 400 * WAN], [1 * YI] * 3, years=3))
    assert results(ok) == ["pass"] and results(short) == ["soft_fail"]


def test_lead_rd_short_operation_counts_actual_years():
    # 实际经营期不满三年的按实际经营时间计算: one year operated → only this year's figures, missing older years
    # are not needed; 2000万 in that year passes (total, not pro-rated)
    frame = rd_frame([2000 * WAN, None, None], [100 * YI, None, None], years=1)
    assert results(run("lead_rd", **frame)) == ["pass"]


def test_lead_rd_unknown_year():
    frame = rd_frame([1000 * WAN, None, 400 * WAN], [100 * YI] * 3, years=5)
    assert results(run("lead_rd", **frame)) == ["needs_input"]


def test_soft_lead_conditions_stay_soft_in_relaxed_fields():
    # relaxation only turns hard fails soft; a soft_fail in digital_economy stays soft_fail, a pass stays pass
    check = run("lead_revenue", lead_revenue=[1 * YI, 6 * YI], field=["digital_economy"] * 2)
    assert results(check) == ["soft_fail", "pass"]


# ---------------------------------------------------------------------------- 五(一)

@pytest.mark.parametrize("name", ["agreement_signed", "chief_scientist"])
def test_agreement_and_chief_expert_are_hard(name):
    # 五(一)2 签署联合共建协议; 五(一)3 选聘首席专家 → no → fail; unknown → needs_input
    check = run(name, **{name: [True, False, None]})
    assert results(check) == ["pass", "fail", "needs_input"]
