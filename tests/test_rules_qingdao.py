"""青島市創新聯合體組建工作指引 (青科字〔2025〕5號): each condition at, just below and just above its threshold."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import calc.rules.qingdao_consortium_2025  # noqa: F401  (registers the rules)
from calc.policies import POLICY_DIR, load_policies, load_policy_file
from calc.rules.base import CRITERIA, RESULTS, Ctx

P = "qingdao_consortium_2025"
PS = load_policies()
AS_OF = dt.date(2026, 1, 1)


def column(values):
    if all(v is None or isinstance(v, bool) for v in values):
        return pd.array(values, dtype="boolean")
    if all(v is None or isinstance(v, int) for v in values):
        return pd.array(values, dtype="Int64")
    return pd.array(values, dtype="string")


def run(name, **cols):
    node = PS.node(f"{P}.{name}")
    frame = pd.DataFrame({k: column(v) for k, v in cols.items()})
    return CRITERIA[node.id](Ctx(frame, PS, AS_OF).for_node(node))


def results(check):
    return [RESULTS[r] for r in check.result]


# ---------------------------------------------------------------------------- the data and the registry

def test_policy_loads_strictly_and_every_criterion_has_a_rule():
    policy = load_policy_file(POLICY_DIR / f"{P}.yaml", strict_sources=True)
    assert policy.in_force_from == dt.date(2025, 3, 6) and policy.in_force_until is None
    assert policy.document_number == "青科字〔2025〕5號"
    in_yaml = {n.id for n in policy.criteria.values()}
    registered = {k for k in CRITERIA if k.startswith(P + ".")}
    assert in_yaml == registered


def test_strengths_follow_yuanzeshang():
    strengths = {n.name: n.strength for n in PS.policies[P].criteria.values()}
    assert strengths == {
        "upstream_downstream_enterprises": "soft", "academic_members": "soft", "agreement_signed": "hard",
        "chief_scientist": "hard", "lead_registered_enterprise": "hard",
    }


# ---------------------------------------------------------------------------- 三(二) members

def test_upstream_downstream_excludes_an_enterprise_lead():
    # 三(二): 聯動產業鏈上下游企業原則上不少于3家; the lead is not one of those it 聯動 →
    # 4 enterprises incl. an enterprise lead → 3 → pass; 3 → 2 → soft_fail; 5 → 4 → pass
    check = run("upstream_downstream_enterprises", enterprises=[4, 3, 5], lead_type=["enterprise"] * 3)
    assert results(check) == ["pass", "soft_fail", "pass"]
    assert list(check.value) == [3, 2, 4]
    assert list(check.shortfall) == [0, 1, 0]


def test_upstream_downstream_other_lead_not_subtracted():
    # a non-enterprise lead is not in `enterprises`: 3 enterprises are 3 → pass; 2 → soft_fail
    check = run("upstream_downstream_enterprises", enterprises=[3, 2], lead_type=["research_institute"] * 2)
    assert results(check) == ["pass", "soft_fail"]


def test_upstream_downstream_unknowns():
    # lead type unknown: 5 passes and 2 fails either way; 3 depends on the lead (3 or 2) → needs input
    check = run("upstream_downstream_enterprises", enterprises=[5, 2, 3, None],
                lead_type=[None, None, None, "enterprise"])
    assert results(check) == ["pass", "soft_fail", "needs_input", "needs_input"]


def test_academic_members_two():
    # 三(二): 聯合相關領域高校院所原則上不少于2家 → universities + institutes: 2 pass, 1 soft_fail, 3 pass
    check = run("academic_members", universities=[1, 1, 2, None], research_institutes=[1, 0, 1, 1],
                lead_type=["enterprise"] * 4)
    assert results(check) == ["pass", "soft_fail", "pass", "needs_input"]


# ---------------------------------------------------------------------------- 三(三), 五(四)

@pytest.mark.parametrize("name", ["agreement_signed", "chief_scientist"])
def test_agreement_and_chief_expert_are_hard(name):
    # 三(三) 要簽訂組建協議; 五(四) 選聘首席專家 → no → fail; unknown → needs_input
    check = run(name, **{name: [True, False, None]})
    assert results(check) == ["pass", "fail", "needs_input"]


# ---------------------------------------------------------------------------- 四(一) the lead

def test_lead_registered_enterprise_is_hard():
    # 四(一)1: 牽頭單位須為我市獨立注冊的創新領軍企業 → qingdao + enterprise; anything else fails (hard)
    check = run("lead_registered_enterprise",
                lead_type=["enterprise", "enterprise", "new_rd_institution", "enterprise", None],
                lead_region=["qingdao", "other", "qingdao", None, "other"])
    assert results(check) == ["pass", "fail", "fail", "needs_input", "fail"]
