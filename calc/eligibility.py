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
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

import calc.rules  # noqa: F401  (registers every rule)
from calc import explain
from calc.entitlements import OptionError, _as_date, _check_options
from calc.inputs import JURISDICTIONS, ParsedInput, load_consortia
from calc.policies import Node, Policy, PolicySet, default_policies
from calc.rules.base import (
    CRITERIA, Col, FAIL, NEEDS_INPUT, NOT_APPLICABLE, OVERALL, RESULTS, SOFT_FAIL, Check, Ctx,
    ELIGIBLE, ELIGIBLE_WITH_EXCEPTIONS, INCOMPLETE, INELIGIBLE, OVERALL_NOT_IN_FORCE,
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
        """One row per consortium, jurisdiction and criterion, with value, threshold, margin and citation."""
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
                    "citation": f"{a.policy.title} {node.citation.short()}",
                    "_row": a.rows,
                    "_order": len(parts),
                }))
        if not parts:
            return pd.DataFrame(columns=["consortium_id", "jurisdiction", "criterion_id", "result", "value",
                                         "threshold", "margin", "citation"])
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


def _values(check: Check, lang: str) -> list[str]:
    if check.value is None:
        return [""] * len(check.result)
    unit = check.unit
    out = []
    for v, r in zip(check.value, check.result):
        if r == NOT_APPLICABLE:
            out.append("")
        elif r == NEEDS_INPUT and unit not in ("bool",):
            out.append("—")
        elif unit == "yuan":
            out.append(explain.format_value(int(v), "yuan", lang))
        elif unit == "bool":
            out.append(explain.format_value(bool(v), "bool", lang) if r != NEEDS_INPUT else "—")
        elif unit == "ratio":
            out.append(explain.format_value(v, "ratio", lang))
        else:
            out.append(str(v) if not isinstance(v, (int, np.integer)) else f"{int(v):,}")
    return out


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


def _margins(check: Check, lang: str) -> list[str]:
    """What is missing, in the user's terms: "还差2个" / "2 more", "差100万元" / "100万 short"."""
    out = []
    short = check.shortfall
    for i, r in enumerate(check.result):
        if r not in (FAIL, SOFT_FAIL) or short is None or short[i] <= 0:
            out.append("")
            continue
        excess = check.comparison in ("<", "<=")
        if check.unit == "yuan":
            amount = explain.format_value(int(short[i]), "yuan", lang)
            if excess:
                out.append(f"超出{amount}" if lang == "zh" else f"{amount} too much")
            else:
                out.append(f"差{amount}" if lang == "zh" else f"{amount} short")
        else:
            n = int(short[i])
            if excess:
                out.append(f"超出{n}" if lang == "zh" else f"{n} too many")
            else:
                out.append(f"还差{n}" if lang == "zh" else f"{n} more")
    return out


def _local_units_here(frame: pd.DataFrame, jurisdiction: str) -> Col:
    """Members local to the jurisdiction assessed: ``local_units_<jurisdiction>`` when given, else
    ``local_units`` for consortia of that jurisdiction; unknown otherwise (local to somewhere else)."""
    n = len(frame)
    values, known = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    explicit = f"local_units_{jurisdiction}"
    if explicit in frame.columns:
        given = pd.to_numeric(frame[explicit], errors="coerce")
        known = given.notna().to_numpy()
        values = given.fillna(0).to_numpy(dtype=np.int64)
    if "local_units" in frame.columns:
        own = (frame["jurisdiction"] == jurisdiction).to_numpy(dtype=bool, na_value=False)
        local = frame["local_units"]
        use = own & ~known & local.notna().to_numpy()
        values = np.where(use, local.to_numpy(dtype=np.int64, na_value=0), values)
        known = known | use
    return Col(values, known)


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
        talent_status = overall_status(np.stack(talent), in_force) if talent else None
        assessments.append(JurisdictionAssessment(j, policy, rows, nodes, checks, status, talent_status))
    return EligibilityResult(parsed, as_of, policies, assessments)
