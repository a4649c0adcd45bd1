"""Is a consortium eligible, criterion by criterion, and what is missing?

``assess_consortia(data, as_of=…, jurisdictions=…)`` evaluates every criterion of
each jurisdiction's consortium policy over whole columns and folds them into an
overall status per consortium and jurisdiction:

- ``not_in_force``  the policy is not in force on the as-of date;
- ``ineligible``    a hard condition fails;
- ``incomplete``    no hard failure, but a needed value is missing;
- ``eligible_with_exceptions``  only 原则上 (soft) conditions fail;
- ``eligible``      every condition passes (or does not apply).

Criteria scoped ``talent_consortium`` (厦门 第十一条) give their own status and do
not change the recognition status.  ``manual_check`` reminders list what no input
can show; they never change a status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

import calc.rules  # noqa: F401  (registers every rule)
from calc import explain
from calc.entitlements import OptionError, _as_date, _check_options
from calc.inputs import JURISDICTIONS, ParsedInput, load_consortia
from calc.limits import MAX_COUNT
from calc.policies import Node, Policy, PolicySet, default_policies
from calc.rules.base import (
    CRITERIA, Col, FAIL, NEEDS_INPUT, NOT_APPLICABLE, OVERALL, RESULTS, SOFT_FAIL, Check, Ctx,
    ELIGIBLE, ELIGIBLE_WITH_EXCEPTIONS, INCOMPLETE, INELIGIBLE, OVERALL_NOT_APPLICABLE, OVERALL_NOT_IN_FORCE,
)


def consortium_policy(policies: PolicySet, jurisdiction: str) -> Policy:
    """The consortium policy of a jurisdiction (the one with criteria)."""
    for policy in policies.policies.values():
        if policy.jurisdiction == jurisdiction and policy.criteria:
            return policy
    raise KeyError(f"no consortium policy for {jurisdiction!r}; known: {', '.join(JURISDICTIONS)}")


def overall_status(results: np.ndarray, in_force: bool) -> np.ndarray:
    """Fold criterion results (criteria × rows) into one status per row."""
    n = results.shape[-1]
    if not in_force:
        return np.full(n, OVERALL_NOT_IN_FORCE, dtype=np.int8)
    if results.size == 0:
        return np.full(n, ELIGIBLE, dtype=np.int8)
    hard = (results == FAIL).any(axis=0)
    missing = (results == NEEDS_INPUT).any(axis=0)
    soft = (results == SOFT_FAIL).any(axis=0)
    return np.select([hard, missing, soft], [INELIGIBLE, INCOMPLETE, ELIGIBLE_WITH_EXCEPTIONS],
                     default=ELIGIBLE).astype(np.int8, copy=False)


def talent_consortium_status(checks: dict[str, Check], nodes: list[Node], recognition: list[np.ndarray],
                             talent: list[np.ndarray], in_force: bool) -> np.ndarray:
    """第十一条（六）「…的，同时作为“人才攻关联合体”」: a talent consortium is first a recognised 市创新联合体.

    The status folds the recognition criteria with the talent criteria: ineligible when recognition fails,
    incomplete when recognition (or the talent data) is incomplete, with exceptions when recognition has only
    原则上 exceptions; ``not_applicable`` for a consortium that gives no talent data at all (every talent input blank).
    """
    n = talent[0].shape[-1]
    status = overall_status(np.stack(recognition + talent), in_force)
    no_data = np.all(np.stack(talent) == NEEDS_INPUT, axis=0)  # each talent criterion reads its own count
    return np.where(no_data & in_force, OVERALL_NOT_APPLICABLE, status).astype(np.int8, copy=False)


@dataclass
class JurisdictionAssessment:
    jurisdiction: str
    policy: Policy
    rows: np.ndarray  # positions in the parsed frame
    nodes: list[Node]
    checks: dict[str, Check]
    status: np.ndarray
    talent_status: np.ndarray | None


@dataclass
class EligibilityResult:
    inputs: ParsedInput
    as_of: dt.date
    policies: PolicySet
    assessments: list[JurisdictionAssessment]

    @property
    def errors(self) -> pd.DataFrame:
        return self.inputs.errors

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """One row per consortium and jurisdiction: the overall status and what decided it."""
        parts = []
        ids = self.inputs.frame["consortium_id"].to_numpy()
        for a in self.assessments:
            results = np.stack([a.checks[n.id].result for n in a.nodes if n.scope == "recognition"]) \
                if a.nodes else np.zeros((0, len(a.rows)), dtype=np.int8)
            part = pd.DataFrame({
                "consortium_id": ids[a.rows],
                "jurisdiction": a.jurisdiction,
                "policy_id": a.policy.id,
                "status": np.asarray(OVERALL, dtype=object)[a.status],
                "hard_failures": (results == FAIL).sum(axis=0),
                "soft_failures": (results == SOFT_FAIL).sum(axis=0),
                "missing_inputs": (results == NEEDS_INPUT).sum(axis=0),
                "talent_consortium": (np.asarray(OVERALL, dtype=object)[a.talent_status]
                                      if a.talent_status is not None else ""),
                "_row": a.rows,
            })
            if lang == "zh":
                part["status_label"] = [explain.pick(explain.OVERALL_LABELS[s], "zh") for s in part["status"]]
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["consortium_id", "jurisdiction", "status"])
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["_row", "jurisdiction"], kind="stable").drop(columns="_row").reset_index(drop=True)

    def criteria(self, lang: str = "zh") -> pd.DataFrame:
        """One row per consortium, jurisdiction and criterion, with value, threshold, margin and citation.

        ``margin`` says what is missing in the user's terms: "还差2个", "差0.01元", or for needs_input the inputs
        that would decide it ("需补充：近三年销售收入"); ``missing`` lists those inputs' column names.  Words are
        rendered once per distinct case and mapped onto the rows."""
        parts = []
        ids = self.inputs.frame["consortium_id"].to_numpy()
        for a in self.assessments:
            for node in a.nodes:
                check = a.checks[node.id]
                result = np.asarray(RESULTS, dtype=object)[check.result]
                parts.append(pd.DataFrame({
                    "consortium_id": ids[a.rows],
                    "jurisdiction": a.jurisdiction,
                    "criterion_id": node.id,
                    "title": node.title_zh if lang == "zh" else node.title_en,
                    "strength": node.strength,
                    "scope": node.scope,
                    "result": result,
                    "value": _values(check, lang),
                    "threshold": _threshold(node, check, self.as_of, lang),
                    "margin": _margins(check, lang),
                    "missing": _missing(check),
                    "citation": f"{a.policy.title} {node.citation.short()}",
                    "_row": a.rows,
                    "_order": len(parts),
                }))
        if not parts:
            return pd.DataFrame(columns=["consortium_id", "jurisdiction", "criterion_id", "result", "value",
                                         "threshold", "margin", "missing", "citation"])
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["_row", "jurisdiction", "_order"], kind="stable") \
                  .drop(columns=["_row", "_order"]).reset_index(drop=True)

    def manual_checks(self, lang: str = "zh") -> pd.DataFrame:
        """What no input can show, per jurisdiction assessed: reminders with their citation."""
        rows = []
        for a in self.assessments:
            for m in a.policy.manual_checks:
                rows.append({"jurisdiction": a.jurisdiction, "check_id": m.id,
                             "title": m.title_zh if lang == "zh" else m.title_en,
                             "citation": f"{a.policy.title} {m.citation.short()}"})
        return pd.DataFrame(rows).drop_duplicates(ignore_index=True) if rows else pd.DataFrame(
            columns=["jurisdiction", "check_id", "title", "citation"])

    def explain(self, consortium_id: Any, lang: str = "zh") -> pd.DataFrame:
        table = self.criteria(lang)
        return table[table["consortium_id"] == consortium_id].reset_index(drop=True)


def _values(check: Check, lang: str) -> np.ndarray:
    """The measured value of each row in words, rendered once per distinct (result, value, partial) case."""
    n = len(check.result)
    if check.value is None:
        return np.full(n, "", dtype=object)
    unit = check.unit
    partial = check.partial if check.partial is not None else np.zeros(n, dtype=bool)
    exact = unit == "ratio" and "part" in check.detail and "whole" in check.detail
    columns = [check.result, check.value, partial]
    if exact:
        columns += [check.detail["part"], check.detail["whole"]]

    def word(i: int) -> str:
        r, v = check.result[i], check.value[i]
        if r == NOT_APPLICABLE:
            return ""
        if r == NEEDS_INPUT:
            return "—"
        if unit == "yuan":
            text = explain.format_value(int(v), "yuan", lang)
        elif unit == "bool":
            text = explain.format_value(bool(v), "bool", lang)
        elif unit == "ratio":
            part, whole = (int(check.detail["part"][i]), int(check.detail["whole"][i])) if exact else (None, None)
            shown = Fraction(part, whole) if exact and whole > 0 else v
            text = explain.format_percent(shown, check.threshold)
        elif isinstance(v, (int, np.integer)):
            text = f"{int(v):,}"
        else:
            text = str(v)
        return f"{check.partial_sign}{text}" if partial[i] else text
    return explain.render_cases(columns, word)


def _threshold(node: Node, check: Check, as_of: dt.date, lang: str) -> str:
    parts = []
    for prm in node.parameters.values():
        if prm.comparison is None:
            continue
        version = prm.version_at(as_of)
        if version is None:
            continue
        parts.append(f"{prm.comparison} {explain.format_value(version.value, prm.unit, lang)}")
    return " / ".join(parts) if parts else ("是" if lang == "zh" else "yes") if check.unit == "bool" else ""


def _margins(check: Check, lang: str) -> np.ndarray:
    """What is missing, in the user's terms: "还差2个" / "2 more", "差100万元" / "100万 short", "差0.01元" for a
    share short of money; for needs_input the inputs that would decide ("需补充：近三年销售收入").  Rendered once
    per distinct case."""
    n = len(check.result)
    short = check.shortfall if check.shortfall is not None else np.zeros(n, dtype=np.int64)
    names = list(check.missing)
    bits = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(names):
        bits |= check.missing[name].astype(np.int64) << i
    excess = check.comparison in ("<", "<=")
    unit = check.shortfall_unit or check.unit

    def word(i: int) -> str:
        r = check.result[i]
        if r == NEEDS_INPUT:
            wanted = [nm for j, nm in enumerate(names) if bits[i] >> j & 1]
            return explain.needs_words(wanted, lang) if wanted else ""
        if r not in (FAIL, SOFT_FAIL) or short[i] <= 0:
            return ""
        if unit == "yuan":
            amount = explain.format_value(int(short[i]), "yuan", lang)
            if excess:
                return f"超出{amount}" if lang == "zh" else f"{amount} too much"
            return f"差{amount}" if lang == "zh" else f"{amount} short"
        count = int(short[i])
        if excess:
            return f"超出{count}" if lang == "zh" else f"{count} too many"
        return f"还差{count}" if lang == "zh" else f"{count} more"
    return explain.render_cases([check.result, short, bits], word)


def _missing(check: Check) -> np.ndarray:
    """The input columns that would decide each needs_input row, joined with '+' ('' elsewhere)."""
    n = len(check.result)
    names = list(check.missing)
    if not names:
        return np.full(n, "", dtype=object)
    bits = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(names):
        bits |= (check.missing[name] & (check.result == NEEDS_INPUT)).astype(np.int64) << i
    return explain.render_cases([bits], lambda i: "+".join(nm for j, nm in enumerate(names) if bits[i] >> j & 1))


def _local_units_here(frame: pd.DataFrame, jurisdiction: str) -> Col:
    """Members local to the jurisdiction assessed (Hainan 四（二）「在我省注册或驻琼单位」).

    ``local_units`` counts the members local to the consortium's **own** jurisdiction (its ``jurisdiction``
    column) and is used only there: assessed against another jurisdiction, a consortium's local units are not
    assumed local to it.  For that, give ``local_units_<jurisdiction>`` (``local_units_hainan``,
    ``local_units_xiamen``, ``local_units_liaoyang``, ``local_units_qingdao``): members registered in or based in
    that jurisdiction; it also overrides ``local_units`` for the own jurisdiction.  Unknown otherwise, and the
    needs_input reason names the column that would decide (each is an input column of the consortia table)."""
    n = len(frame)
    values, known = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    explicit = f"local_units_{jurisdiction}"
    if explicit in frame.columns:  # a count column of the consortia table: the loader bounded it (0 … members)
        known = frame[explicit].notna().to_numpy()
        values = frame[explicit].to_numpy(dtype=np.int64, na_value=0)
    own = (frame["jurisdiction"] == jurisdiction).to_numpy(dtype=bool, na_value=False) \
        if "jurisdiction" in frame.columns else np.zeros(n, dtype=bool)
    if "local_units" in frame.columns:
        local = frame["local_units"]
        use = own & ~known & local.notna().to_numpy()
        values = np.where(use, local.to_numpy(dtype=np.int64, na_value=0), values)
        known = known | use
    needs = {"local_units": ~known & own, explicit: ~known & ~own}
    return Col(values, known, {k: v for k, v in needs.items() if v.any()}, bound=MAX_COUNT)


def _nearest_day_in_force(policy: Policy, as_of: dt.date) -> dt.date:
    if as_of < policy.in_force_from:
        return policy.in_force_from
    if policy.in_force_until is not None and as_of > policy.in_force_until:
        return policy.in_force_until
    return as_of


def assess_consortia(
    data: Any,
    as_of: dt.date | str | None = None,
    *,
    jurisdictions: str | Sequence[str] | None = None,
    policies: PolicySet | None = None,
    options: Mapping[str, str] | None = None,
) -> EligibilityResult:
    """Assess consortia against their own jurisdiction (default), one, several, or ``"all"``."""
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    _check_options(policies, options)
    parsed = data if isinstance(data, ParsedInput) else load_consortia(data)
    frame = parsed.frame
    if jurisdictions is None:
        wanted = [j for j in JURISDICTIONS if (frame["jurisdiction"] == j).any()]
        own_only = True
    else:
        wanted = list(JURISDICTIONS) if jurisdictions == "all" else (
            [jurisdictions] if isinstance(jurisdictions, str) else list(jurisdictions))
        own_only = False
        for j in wanted:
            if j not in JURISDICTIONS:
                raise OptionError(f"unknown jurisdiction {j!r}; choose from all, {', '.join(JURISDICTIONS)}")
    assessments = []
    shared_cache: dict = {}  # columns read once for all jurisdictions when every row is assessed
    for j in wanted:
        policy = consortium_policy(policies, j)
        if own_only:
            rows = np.flatnonzero((frame["jurisdiction"] == j).to_numpy(dtype=bool, na_value=False))
            sub, cache = frame.iloc[rows], {}
        else:
            rows, sub, cache = np.arange(len(frame)), frame, shared_cache
        cache[("number", "local_units_here")] = _local_units_here(sub, j)
        # outside the validity the status is not_in_force; the criteria are still shown, read with the
        # parameters of the nearest day the policy was (or will be) in force
        in_force = policy.in_force(as_of)
        ctx = Ctx(sub, policies, _nearest_day_in_force(policy, as_of), dict(options or {}), cache)
        nodes = list(policy.criteria.values())
        checks = {}
        for node in nodes:
            if node.id not in CRITERIA:
                raise LookupError(f"criterion {node.id} has no rule in calc/rules")
            checks[node.id] = CRITERIA[node.id](ctx.for_node(node))
        recognition = [checks[n.id].result for n in nodes if n.scope == "recognition"]
        talent = [checks[n.id].result for n in nodes if n.scope == "talent_consortium"]
        status = overall_status(np.stack(recognition) if recognition else np.zeros((0, len(rows)), np.int8), in_force)
        talent_status = talent_consortium_status(checks, nodes, recognition, talent, in_force) if talent else None
        assessments.append(JurisdictionAssessment(j, policy, rows, nodes, checks, status, talent_status))
    return EligibilityResult(parsed, as_of, policies, assessments)


# ----------------------------------------------------------------------------- supports a consortium opens

SUPPORT_WORDS = {
    "up_to": ("最高", "up to "),
    "no_amount": ("政策未规定金额", "the policy states no amount"),
    "group": ("与{other}“{title}”同类：按{clause}就高不重复；{other}在{as_of}有效，{who}已可获得同额支持，认定后不重复计发",
              "the same support as “{title}” ({other}): only the higher counts under {clause}; {other} is in force on "
              "{as_of}, so {who} can already get the same amount, not paid twice once recognised"),
    "group_not_in_force": ("与{other}“{title}”同类，按{clause}就高不重复（{other}在{as_of}不在有效期）",
                           "the same support as “{title}” ({other}), only the higher counts under {clause} ({other} is "
                           "not in force on {as_of})"),
    "who:xiamen": ("厦门企业", "a Xiamen enterprise"),
    "provincial_centre": ("省级制造业创新中心不参加市创新联合体评估，不适用（第十五条）",
                          "not for a provincial manufacturing innovation centre, which is not evaluated (第十五条)"),
}


def consortium_supports(as_of: dt.date | str | None = None, lang: str = "zh",
                        policies: PolicySet | None = None) -> dict[str, list[dict]]:
    """Per jurisdiction, the supports its consortium policy opens: each item with its amount (最高 for a ceiling),
    kind, citation and ``relation`` (就高不重复 with another document's item, saying whether that one already pays
    while in force; 第十五条 for the evaluation award), then the supports the policy states without an amount
    (``supports:`` in its data file).  The consortium checker lists these; the words are the core's."""
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    out: dict[str, list[dict]] = {j: [] for j in JURISDICTIONS}
    pick = lambda key: explain.pick(SUPPORT_WORDS[key], lang)  # noqa: E731
    for policy in policies.policies.values():
        if not policy.criteria or policy.jurisdiction not in out:
            continue
        for node in policy.items.values():
            amounts = []
            for prm in node.parameters.values():
                version = prm.version_at(as_of) or (prm.versions[0] if prm.versions else None)
                if version is not None and prm.unit == "yuan":
                    text = explain.format_value(version.value, "yuan", lang)
                    amounts.append(pick("up_to") + text if node.kind == "ceiling" else text)
                elif version is not None and prm.unit == "ratio":
                    amounts.append(explain.format_value(version.value, "ratio", lang))
            relation = ""
            for group in policies.groups.values():
                if node.id not in group.members:
                    continue
                for other_id in group.members:
                    if other_id == node.id:
                        continue
                    other = policies.node(other_id)
                    other_policy = policies.policies[other.policy_id]
                    cite = group.citation
                    fields = {"other": f"{other_policy.display_title}{other.citation.article}",
                              "title": other.title_zh if lang == "zh" else other.title_en,
                              "clause": f"{policies.policies[cite.policy_id].display_title}{cite.article}",
                              "as_of": as_of.isoformat(),
                              "who": pick("who:xiamen") if "xiamen" in other.requires else ""}
                    key = "group" if other_policy.in_force(as_of) else "group_not_in_force"
                    relation = explain.render(pick(key), fields)
            if node.name == "excellent_evaluation_award":
                relation = pick("provincial_centre")
            out[policy.jurisdiction].append({
                "id": node.id,
                "title": node.title_zh if lang == "zh" else node.title_en,
                "kind": explain.pick(explain.KIND_LABELS[node.kind], lang),
                "amount": "、".join(amounts) if amounts else pick("no_amount"),
                "relation": relation,
                "citation": f"{policy.title} {node.citation.short()}",
            })
        for support in policy.supports:
            out[policy.jurisdiction].append({
                "id": support.id,
                "title": support.title_zh if lang == "zh" else support.title_en,
                "kind": explain.pick(explain.KIND_LABELS["info"], lang),
                "amount": pick("no_amount"),
                "relation": support.relation,
                "citation": f"{policy.title} {support.citation.short()}",
            })
    return out
