"""Three-valued (Kleene) logic in the engine, as properties over generated consortia and enterprises.

1. Filling in more inputs never flips a decided result: a criterion (or an item) decided with some inputs blank
   gives the same result once every input is given.
2. A criterion is never needs_input when the known inputs decide it: for each needs_input result, the inputs it
   names are filled in with values from a grid around the texts' thresholds (extremes included); the filled rows
   are all decided, and not all the same way (so the answer did depend on the named inputs).

"pass" and "not_applicable" count as the same decided outcome (a criterion met whether or not it applies), and
for items "granted" and "duplicate" (entitled; which member of a 就高不重复 group counts may depend on the other
member's inputs).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc import assess_consortia, entitlements
from calc.rules.base import STATUSES

AS_OF = "2026-06-30"
WAN = 10_000  # yuan
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COUNTS = ["enterprises", "universities", "research_institutes", "other_units", "scale_or_hightech_enterprises",
          "lead_years_operating", "lead_rd_staff", "lead_other_consortia", "core_team_members",
          "national_level_talents", "city_b_talents"]
MONEY = ["lead_revenue", "lead_revenue_prev", "lead_revenue_prev2", "lead_rd", "lead_rd_prev", "lead_rd_prev2"]
FLAGS = ["chief_scientist", "agreement_signed"]
CATEGORIES = {
    "lead_type": ["enterprise", "hospital_3a", "hospital_other", "new_rd_institution", "university",
                  "research_institute", "provincial_mfg_innovation_center", "other"],
    "lead_region": ["xiamen", "liaoyang", "qingdao", "hainan", "other"],
    "lead_platform_level": ["none", "municipal", "provincial", "national"],
    "field": ["life_health", "seed_industry", "digital_economy", "other"],
}
BLANKABLE = COUNTS + MONEY + FLAGS + list(CATEGORIES) + ["local_units"]
# around the texts' thresholds: 7/8/10 members, 5 enterprises, 2 others, 3 talents, 20 staff; 5亿 revenue,
# 2000万 R&D, 3%/4% shares
COUNT_GRID = [0, 1, 3, 10, 1000]
MONEY_GRID = [0, 1, 2000 * WAN, 50_000 * WAN, 100_000_000 * WAN]
money = st.sampled_from([0, 1, 600 * WAN, 1999 * WAN, 2000 * WAN, 2001 * WAN, 30_000 * WAN, 50_000 * WAN,
                         66_667 * WAN, 100_000 * WAN])


@st.composite
def consortium(draw) -> dict:
    row = {"consortium_id": "full", "jurisdiction": draw(st.sampled_from(CATEGORIES["lead_region"][:4]))}
    for name in COUNTS:
        row[name] = draw(st.integers(0, 12))
    total = row["enterprises"] + row["universities"] + row["research_institutes"] + row["other_units"]
    row["local_units"] = draw(st.integers(0, total))
    row["scale_or_hightech_enterprises"] = min(row["scale_or_hightech_enterprises"], row["enterprises"])
    for name in MONEY:
        row[name] = draw(money)
    for name in FLAGS:
        row[name] = draw(st.booleans())
    for name, values in CATEGORIES.items():
        row[name] = draw(st.sampled_from(values))
    return row


def outcome(result: str) -> str:
    return "pass" if result == "not_applicable" else result


def criteria_of(rows: list[dict]) -> pd.DataFrame:
    result = assess_consortia(pd.DataFrame(rows, dtype=object), as_of=AS_OF, jurisdictions="all")
    assert result.errors.empty, result.errors.to_string()
    return result.criteria("en")


@PROPERTY
@given(consortium(), st.sets(st.sampled_from(BLANKABLE), min_size=1, max_size=6))
def test_filling_in_inputs_never_flips_a_decided_criterion(full, blanks):
    partial = {**full, "consortium_id": "partial", **{name: None for name in blanks}}
    table = criteria_of([full, partial])
    given_all = table[table.consortium_id == "full"].set_index(["jurisdiction", "criterion_id"])["result"]
    some = table[table.consortium_id == "partial"].set_index(["jurisdiction", "criterion_id"])["result"]
    for key, result in some.items():
        if result != "needs_input":
            assert outcome(result) == outcome(given_all[key]), (key, result, given_all[key], sorted(blanks))


def grid(column: str) -> list:
    if column in MONEY:
        return MONEY_GRID
    if column in FLAGS or column == "lead_regional_medical_center":
        return [True, False]
    if column in CATEGORIES:
        return CATEGORIES[column]
    return COUNT_GRID if not column.startswith("local_units_") else [0, 1000]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consortium(), st.sets(st.sampled_from(BLANKABLE), min_size=1, max_size=3))
def test_needs_input_only_where_the_named_inputs_decide(full, blanks):
    partial = {**full, "consortium_id": "partial", **{name: None for name in blanks}}
    parts = ("enterprises", "universities", "research_institutes", "other_units")
    if partial["local_units"] is not None and any(partial[c] is None for c in parts):
        # the loader's bound local units ≤ members would make a blank count partly known (at least the local units
        # less the known members): keep it out of the way, so that each blank can take every value
        partial["local_units"] = min(partial["local_units"], sum(partial[c] or 0 for c in parts))
    if partial["scale_or_hightech_enterprises"] is not None and partial["enterprises"] is None:
        partial["scale_or_hightech_enterprises"] = 0
    table = criteria_of([partial])
    open_ = table[table.result == "needs_input"]
    candidates, asked = [], []
    for k, row in enumerate(open_.itertuples()):
        named = [c for c in row.missing.split("+") if c]
        assert named, f"{row.criterion_id} needs input but names none"
        # a column the row does not give at all may be named too: the hospital exception, and the local units of
        # a jurisdiction other than the consortium's own
        assert set(named) <= set(blanks) | {"lead_regional_medical_center"} | {
            f"local_units_{j}" for j in CATEGORIES["lead_region"]}, (named, blanks)
        for i, values in enumerate(itertools.product(*(grid(c) for c in named))):
            candidate = {**partial, "consortium_id": f"{k}-{i}", **dict(zip(named, values))}
            members = sum(candidate[c] or 0 for c in parts)
            for local in [c for c in candidate if c == "local_units" or c.startswith("local_units_")]:
                if candidate[local] is not None and candidate[local] > members:
                    candidate[local] = members  # a filled local count within the members (the loader's bound)
            if candidate.get("enterprises") is not None and \
                    (candidate.get("scale_or_hightech_enterprises") or 0) > candidate["enterprises"]:
                candidate["scale_or_hightech_enterprises"] = candidate["enterprises"]
            candidates.append(candidate)
        asked.append((k, row.criterion_id, row.jurisdiction, named))
    if not candidates:
        return
    results = criteria_of(candidates)
    results["case"] = results["consortium_id"].str.split("-").str[0].astype(int)
    for k, criterion_id, jurisdiction, named in asked:
        mine = results[(results.case == k) & (results.criterion_id == criterion_id)
                       & (results.jurisdiction == jurisdiction)]
        outcomes = {outcome(r) for r in mine["result"]}
        assert "needs_input" not in outcomes, (criterion_id, named, sorted(blanks))
        assert len(outcomes) > 1, (criterion_id, named, outcomes, sorted(blanks))


# ---------------------------------------------------------------------------------------------- items

E_MONEY = ["rd_expense", "rd_expense_prev", "national_funding", "provincial_funding", "municipal_funding",
           "project_total_investment", "joint_lab_investment", "tech_transaction_paid"]
E_COUNTS = ["new_national_platforms", "major_projects", "postdocs_in_station", "double_hundred_hires"]
E_FLAGS = ["consortium_member", "consortium_lead", "talent_consortium_lead", "new_mechanism_recognised"]
e_money = st.sampled_from([0, 1, 199 * WAN, 200 * WAN, 200 * WAN + 1, 400 * WAN, 500 * WAN, 600 * WAN,
                           1000 * WAN, 2000 * WAN, 30_000 * WAN])


@st.composite
def enterprise(draw) -> dict:
    row = {"enterprise_id": "full", "city": draw(st.sampled_from(["xiamen", "other"])),
           "consortium_evaluation": draw(st.sampled_from(["excellent", "pass", "fail"]))}
    for name in E_MONEY:
        row[name] = draw(e_money)
    for name in E_COUNTS:
        row[name] = draw(st.integers(0, 3))
    for name in E_FLAGS:
        row[name] = draw(st.booleans())
    # no contradiction (a lead is a member; the talent consortium's lead is the consortium's): the loader rejects
    # those rows, and tests/test_law_edges.py hands them to the engine directly
    row["consortium_lead"] |= row["talent_consortium_lead"]
    row["consortium_member"] |= row["consortium_lead"]
    return row


def entitled(status: str) -> str:
    return "granted" if status == "duplicate" else status


@PROPERTY
@given(enterprise(), st.sets(st.sampled_from(E_MONEY + E_COUNTS + E_FLAGS + ["city", "consortium_evaluation"]),
                             min_size=1, max_size=6))
def test_filling_in_inputs_never_flips_a_decided_item(full, blanks):
    partial = {**full, "enterprise_id": "partial", **{name: None for name in blanks}}
    result = entitlements(pd.DataFrame([full, partial], dtype=object), as_of=AS_OF)
    assert result.errors.empty
    for item_id, award in result.awards.items():
        statuses = np.asarray(STATUSES, dtype=object)[award.status]
        if statuses[1] == "needs_input":
            continue
        assert entitled(statuses[1]) == entitled(statuses[0]), (item_id, statuses, sorted(blanks))
        if statuses[1] in ("granted", "duplicate"):
            assert award.amount[1] == award.amount[0], (item_id, sorted(blanks))


@PROPERTY
@given(enterprise(), st.sets(st.sampled_from(E_MONEY + E_COUNTS + E_FLAGS + ["city"]), min_size=1, max_size=3))
def test_an_item_needs_input_only_where_the_named_inputs_decide(full, blanks):
    partial = {**full, "enterprise_id": "partial", **{name: None for name in blanks}}
    result = entitlements(pd.DataFrame([partial], dtype=object), as_of=AS_OF)
    from calc.rules.base import REASON_KEYS
    # besides fixed values, a third of each amount the row gives: a blank that decides by its size relative to the
    # row's other amounts (第九条（二）: national x with 项目总投入 199万 pays min(50% x, 199万 − x), granted only for
    # 0 < x < 199万 — none of the fixed values) is then filled once inside that range
    relative = sorted({v // 3 for c in E_MONEY if isinstance(v := full.get(c), int) and v > 2})
    grids = {**{c: [0, 1, 200 * WAN + 1, 30_000 * WAN, 10_000_000 * WAN, *relative] for c in E_MONEY},
             **{c: [0, 2] for c in E_COUNTS},
             **{c: [True, False] for c in E_FLAGS}, "city": ["xiamen", "other"],
             "executive_host": [True, False], "consortium_evaluation": ["excellent", "pass"]}
    for item_id, award in result.awards.items():
        if STATUSES[award.status[0]] != "needs_input":
            continue
        key = REASON_KEYS[award.reason[0]]
        assert key.startswith("needs:"), (item_id, key)
        named = key.split(":", 1)[1].split("+")
        if not all(c in grids for c in named):
            continue  # a column the generated row never gives (new_intl_coop_bases …): blank from the start
        rows = [{**partial, "enterprise_id": f"f{i}", **dict(zip(named, values))}
                for i, values in enumerate(itertools.product(*(grids[c] for c in named)))]
        filled = entitlements(pd.DataFrame(rows, dtype=object), as_of=AS_OF)
        outcomes = {entitled(STATUSES[s]) for s in filled.awards[item_id].status}
        assert "needs_input" not in outcomes, (item_id, named, sorted(blanks))
        assert len(outcomes) > 1, (item_id, named, outcomes, sorted(blanks))
