"""辽阳市创新联合体管理办法 (2023): each condition at, just below and just above its threshold."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import calc.rules.liaoyang_consortium_2023  # noqa: F401  (registers the rules)
from calc.policies import POLICY_DIR, load_policies, load_policy_file
from calc.rules.base import CRITERIA, RESULTS, Ctx

P = "liaoyang_consortium_2023"
PS = load_policies()
AS_OF = dt.date(2026, 1, 1)  # in force 2023-05-23 – 2026-05-22


def column(values):
    if all(v is None or isinstance(v, bool) for v in values):
        return pd.array(values, dtype="boolean")
    if all(v is None or isinstance(v, int) for v in values):
        return pd.array(values, dtype="Int64")
    return pd.array(values, dtype="string")


def run(name, options=None, **cols):
    node = PS.node(f"{P}.{name}")
    frame = pd.DataFrame({k: column(v) for k, v in cols.items()})
    ctx = Ctx(frame, PS, AS_OF, {f"{node.id}.{k}": v for k, v in (options or {}).items()})
    return CRITERIA[node.id](ctx.for_node(node))


def results(check):
    return [RESULTS[r] for r in check.result]


# ---------------------------------------------------------------------------- the data and the registry

def test_policy_loads_strictly_and_every_criterion_has_a_rule():
    policy = load_policy_file(POLICY_DIR / f"{P}.yaml", strict_sources=True)
    assert policy.in_force_from == dt.date(2023, 5, 23) and policy.in_force_until == dt.date(2026, 5, 22)
    in_yaml = {n.id for n in policy.criteria.values()}
    registered = {k for k in CRITERIA if k.startswith(P + ".")}
    assert in_yaml == registered
    assert not policy.items


def test_strengths_follow_yuanzeshang():
    strengths = {n.name: n.strength for n in PS.policies[P].criteria.values()}
    assert strengths == {
        "members_total": "soft", "agreement_signed": "hard", "chief_scientist": "hard",
        "lead_registered_enterprise": "soft", "lead_platform": "hard", "lead_rd_ratio": "soft",
    }


# ---------------------------------------------------------------------------- 第六条 members

def test_members_total_at_below_above():
    # 第六条: 成员单位原则上不低于8家 → 8 pass, 7 soft_fail, 9 pass; the lead counted by default
    check = run("members_total", enterprises=[5, 4, 6, None], universities=[1, 1, 1, 1],
                research_institutes=[1, 1, 1, 1], other_units=[1, 1, 1, 1])
    assert results(check) == ["pass", "soft_fail", "pass", "needs_input"]
    assert list(check.shortfall[:3]) == [0, 1, 0]


def test_members_total_lead_excluded_option():
    # option lead_counted = exclude: 8 units incl. the lead are 7 members besides it → soft_fail; 9 → 8 → pass
    check = run("members_total", {"lead_counted": "exclude"}, enterprises=[5, 6], universities=[1, 1],
                research_institutes=[1, 1], other_units=[1, 1])
    assert results(check) == ["soft_fail", "pass"]


# ---------------------------------------------------------------------------- 第九条、第十条 (basic conditions of 第六条)

@pytest.mark.parametrize("name", ["agreement_signed", "chief_scientist"])
def test_basic_conditions_are_hard(name):
    # 第六条: 组建需具备…组建协议、首席专家四个基本条件 → no → fail (hard); unknown → needs_input
    check = run(name, **{name: [True, False, None]})
    assert results(check) == ["pass", "fail", "needs_input"]


# ---------------------------------------------------------------------------- 第七条 the lead

def test_lead_registered_enterprise_is_soft():
    # 第七条（一）: 原则上应为注册在辽阳的…企业 → both parts soft; either known miss is a soft_fail
    check = run("lead_registered_enterprise",
                lead_type=["enterprise", "enterprise", "university", None, None, "enterprise"],
                lead_region=["liaoyang", "other", "liaoyang", "liaoyang", "other", None])
    assert results(check) == ["pass", "soft_fail", "soft_fail", "needs_input", "soft_fail", "needs_input"]


def test_lead_platform_provincial_or_higher():
    # 第七条（三）: 建有省级技术创新平台 → provincial, national pass; municipal, none fail (hard)
    check = run("lead_platform", lead_platform_level=["provincial", "national", "municipal", "none", None])
    assert results(check) == ["pass", "pass", "fail", "fail", "needs_input"]


def test_lead_rd_ratio_three_percent_exact():
    # 第七条（三）: 年度研发投入原则上不低于销售收入的3% → 3,000,000 of 100,000,000 passes (exactly 3%),
    # 2,999,999 soft-fails (just below), 3,000,001 passes; money in fen
    yuan = 100
    check = run("lead_rd_ratio", lead_type=["enterprise"] * 4,
                lead_rd=[3_000_000 * yuan, 2_999_999 * yuan, 3_000_001 * yuan, None],
                lead_revenue=[100_000_000 * yuan] * 3 + [100_000_000 * yuan])
    assert results(check) == ["pass", "soft_fail", "pass", "needs_input"]
    assert check.detail["rd_short_fen"][1] == 1 * yuan


def test_lead_rd_ratio_fen_exact():
    # 3% of 1,000,000.01 yuan = 30,000.0003 yuan: 30,000.00 falls short, 30,000.01 meets it (fen, no floats)
    check = run("lead_rd_ratio", lead_type=["enterprise", "enterprise"],
                lead_rd=[3_000_000, 3_000_001], lead_revenue=[100_000_001, 100_000_001])
    assert results(check) == ["soft_fail", "pass"]


def test_lead_rd_ratio_applies_to_enterprise_leads_only():
    # a lead with no sales (a university) is not measured; an unknown lead type with a shortfall needs input
    check = run("lead_rd_ratio", lead_type=["university", None, None],
                lead_rd=[0, 0, 5_000_000], lead_revenue=[100_000_000, 100_000_000, 100_000_000])
    assert results(check) == ["not_applicable", "needs_input", "pass"]
