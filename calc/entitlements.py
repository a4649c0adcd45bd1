"""What an enterprise can claim, item by item: every item of the policies, then 就高不重复 and 叠加.

``entitlements(data, as_of=…)`` runs every registered item rule over whole
columns, applies each item's requirements (city, consortium membership …) and
the policy's validity, resolves exclusivity groups (only the highest of a group
counts, per enterprise; items marked 叠加 add on), and returns a result that
gives a wide table (one row per enterprise: fast, for a million rows) and a long
table (one row per enterprise and item, with reasons and citations: for reports).

The items are computed without their reasons, which most uses never read (the wide table, totals, a budget's
reform runs); an item's reasons are made when first read, by running it again with them (``_Rewording``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

import calc.rules  # noqa: F401  (registers every rule)
from calc import allocator, explain
from calc.inputs import ENTERPRISE_COLUMNS, ParsedInput, load_enterprises
from calc.limits import MAX_DATE, MAX_ITEM_FEN, MIN_DATE
from calc.policies import Node, PolicySet, default_policies
from calc.rules.base import (
    DUPLICATE, FEN_PER_YUAN, GRANTED, INT64_MAX, ITEMS, NEEDS_INPUT_ITEM, NOT_ELIGIBLE, NOT_IN_FORCE, REASON_KEYS,
    STATUSES, Award, Col, Ctx, code, first_failed_reason, first_of, k_and, k_or, needs_reasons, pick, reason_column,
    reasons_worded, truth, wording_reasons,
)

# 就高不重复 compares the amounts on the contested rows alone when they are at most one row in FEW_ROWS_IN (gathering
# them costs more than a pass over every row beyond that): an engineering threshold, not a policy number
FEW_ROWS_IN = 16
MONEY_DETAILS = frozenset({"stepped", "half", "room", "uncapped"})  # rule details that are amounts of money (fen)
MONEY_COLUMNS = frozenset(c.name for c in ENTERPRISE_COLUMNS if c.kind == "money")

# what an item's `requires:` words mean: (the column named when it is missing, a three-valued Col from a Ctx).
# A lead is a member: membership is derived from consortium_lead / talent_consortium_lead when it is blank, and a
# row that says it leads but is not a member (or leads a talent consortium but not the consortium) is a
# contradiction that is never paid (see _contradiction).
def _member(ctx: Ctx) -> Col:
    member, lead, talent = ctx.flag("consortium_member"), ctx.flag("consortium_lead"), ctx.flag("talent_consortium_lead")
    # a lead (of the consortium or of the talent consortium) is a member; a lead flag blank everywhere adds nothing
    said_lead = [Col(f.known & f.values, ctx.ones(bool), {}) for f in (lead, talent) if f.known.any()]
    return k_or(member, *said_lead) if said_lead else member


def _lead(ctx: Ctx) -> Col:
    lead, talent = ctx.flag("consortium_lead"), ctx.flag("talent_consortium_lead")
    return k_or(lead, Col(talent.known & talent.values, ctx.ones(bool), {}))


def _not_said_no(ctx: Ctx, column: str) -> Col:
    """Known everywhere: false only where ``column`` is known to be no (what a blank there would derive)."""
    flag = ctx.flag(column)
    return Col(~(flag.known & ~flag.values), ctx.ones(bool), {})


REQUIREMENTS = {
    "xiamen": ("city", lambda ctx: ctx.is_in("city", ["xiamen"])),
    "consortium_member": ("consortium_member", _member),
    # a lead must be a member: known not to be one, a blank lead flag is decided (not paid) too
    "consortium_lead": ("consortium_lead", lambda ctx: k_and(_lead(ctx), _not_said_no(ctx, "consortium_member"))),
    # the talent consortium's lead is the consortium's lead (第十一条（六） 同时作为), and so a member
    "talent_consortium_lead": ("talent_consortium_lead", lambda ctx: k_and(
        ctx.flag("talent_consortium_lead"), _not_said_no(ctx, "consortium_lead"),
        _not_said_no(ctx, "consortium_member"))),
}
# the words whose holders must be members (and, for the talent lead, the consortium's lead)
CONTRADICTIONS = ("consortium_member", "consortium_lead", "talent_consortium_lead")


def _contradiction(ctx: Ctx) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Rows whose consortium flags contradict each other, and the reason code for each; (None, None) when no row's
    flags do.

    第十六条 pays the 联合体牵头单位 and 第十一条（六） the “人才攻关联合体”牵头单位: a lead is a member, and the talent
    consortium is the consortium itself (同时作为), so its lead is the consortium's lead."""
    return ctx.once(("contradiction",), lambda: _contradiction_now(ctx))


def _contradiction_now(ctx: Ctx) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    member, lead, talent = ctx.flag("consortium_member"), ctx.flag("consortium_lead"), \
        ctx.flag("talent_consortium_lead")
    if not (lead.known.any() or talent.known.any()):  # no row says it leads: nothing to contradict
        return None, None
    not_member = member.known & ~member.values
    lead_not_member = lead.known & lead.values & not_member
    talent_not_member = talent.known & talent.values & not_member
    talent_not_lead = talent.known & talent.values & lead.known & ~lead.values
    if not (lead_not_member.any() or talent_not_member.any() or talent_not_lead.any()):
        return None, None
    reason = first_of([lead_not_member, talent_not_member, talent_not_lead],
                      [code("contradiction:lead_not_member"), code("contradiction:talent_lead_not_member"),
                       code("contradiction:talent_lead_not_lead")], np.int16(0)).astype(np.int16, copy=False)
    return lead_not_member | talent_not_member | talent_not_lead, reason


@dataclass
class EntitlementResult:
    """Results for every enterprise and item.  ``wide`` is the fast shape; ``items()`` the explained one."""

    inputs: ParsedInput
    as_of: dt.date
    policies: PolicySet
    nodes: list[Node]
    awards: dict[str, Award]
    won_by: dict[str, tuple] = field(default_factory=dict)  # item id -> (group members, winner index or -1)

    # ------------------------------------------------------------------ shapes
    @property
    def frame(self) -> pd.DataFrame:
        return self.inputs.frame

    @property
    def errors(self) -> pd.DataFrame:
        return self.inputs.errors

    def counted(self, item_id: str) -> np.ndarray:
        return self.awards[item_id].status == GRANTED

    def totals(self) -> pd.DataFrame:
        """Per enterprise: formula and fixed amounts counted (firm) vs ceilings counted (maxima), in yuan.

        int64 per row: each item pays at most MAX_ITEM_FEN (checked when computed), so a row's total is at most
        (number of items) × MAX_ITEM_FEN, inside int64 while there are fewer than 92 items; with more, the sums
        are taken in Python integers.
        """
        exact = len(self.nodes) * MAX_ITEM_FEN > INT64_MAX
        firm = np.zeros(len(self.frame), dtype=object if exact else np.int64)
        ceiling = np.zeros(len(self.frame), dtype=object if exact else np.int64)
        for node in self.nodes:
            award = self.awards[node.id]
            counted = np.where(award.status == GRANTED, award.amount, 0)
            if exact:
                counted = counted.astype(object)
            if node.kind == "ceiling":
                ceiling += counted
            else:
                firm += counted
        return pd.DataFrame({
            "enterprise_id": self.frame["enterprise_id"].to_numpy(),
            "formula_fixed_yuan": firm // FEN_PER_YUAN,
            "ceiling_yuan": ceiling // FEN_PER_YUAN,
            "total_yuan": (firm + ceiling) // FEN_PER_YUAN,
        }, index=self.frame.index)

    @property
    def wide(self) -> pd.DataFrame:
        """One row per enterprise; per item ``<item_id>`` (yuan) and ``<item_id>:status`` (categorical)."""
        columns: dict[str, Any] = {"enterprise_id": self.frame["enterprise_id"].to_numpy()}
        categories = pd.CategoricalDtype(STATUSES)
        for node in self.nodes:
            award = self.awards[node.id]
            columns[node.id] = award.amount // FEN_PER_YUAN
            columns[f"{node.id}:status"] = pd.Categorical.from_codes(award.status, dtype=categories)
        totals = self.totals()
        for name in ("formula_fixed_yuan", "ceiling_yuan", "total_yuan"):
            columns[name] = totals[name].to_numpy()
        return pd.DataFrame(columns, index=self.frame.index)

    def items(self, lang: str = "zh", enterprise_ids: Iterable[Any] | None = None) -> pd.DataFrame:
        """One row per enterprise and item: status, amount, counted, reason in words, citation."""
        frame = self.frame
        rows = np.arange(len(frame))
        if enterprise_ids is not None:
            wanted = set(enterprise_ids)
            ids = frame["enterprise_id"].to_numpy(dtype=object)  # plain objects: any string storage compares
            rows = np.flatnonzero(pd.Series(ids, dtype=object).isin(list(wanted)).to_numpy())
        parts = []
        ids = frame["enterprise_id"].to_numpy()[rows]
        for order, node in enumerate(self.nodes):  # the order of the policy files and their articles
            award = self.awards[node.id]
            status = award.status[rows]
            parts.append(pd.DataFrame({
                "enterprise_id": ids,
                "policy_id": node.policy_id,
                "item_id": node.id,
                "title": node.title_zh if lang == "zh" else node.title_en,
                "kind": node.kind,
                "status": np.asarray(STATUSES, dtype=object)[status],
                "amount_yuan": award.amount[rows] // FEN_PER_YUAN,
                "counted": status == GRANTED,
                "reason": self._reasons(node, rows, lang),
                "won_by": self._winners(node.id, rows),
                "citation": self.citations(node.id, rows),
                "_row": rows,
                "_order": order,
            }))
        if not parts:  # no item was computed (an empty policy set)
            return pd.DataFrame(columns=["enterprise_id", "policy_id", "item_id", "title", "kind", "status",
                                         "amount_yuan", "counted", "reason", "won_by", "citation"])
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["_row", "_order"], kind="stable").drop(columns=["_row", "_order"]) \
                  .reset_index(drop=True)

    def explain(self, enterprise_id: Any, lang: str = "zh") -> pd.DataFrame:
        """Every item for one enterprise, the counted ones first."""
        table = self.items(lang, [enterprise_id])
        return table.sort_values(["counted", "amount_yuan"], ascending=False, kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ reasons
    def reasons(self, item_id: str, rows: np.ndarray, lang: str = "zh") -> np.ndarray:
        """The reason in words of item ``item_id`` for the enterprises at positions ``rows`` (object array)."""
        return self._reasons(self.policies.node(item_id), np.asarray(rows, dtype=np.intp), lang)

    def citation(self, item_id: str) -> str:
        """The document's title and the article of item ``item_id``, as shown in the long table."""
        node = self.policies.node(item_id)
        return f"{self.policies.policies[node.policy_id].title} {node.citation.short()}"

    def _reasons(self, node: Node, rows: np.ndarray, lang: str) -> np.ndarray:
        """The reasons in words, rendered once per distinct case (reason key and the values its template shows),
        then mapped onto the rows: a million rows with a few dozen distinct cases format a few dozen strings."""
        node = self._node(node.id)
        award = self.awards[node.id]
        codes = award.reason[rows]  # first: the values the reasons show (award.detail) come with them
        out = np.empty(len(rows), dtype=object)
        policy = self.policies.policies[node.policy_id]
        winners = self._winners(node.id, rows) if node.id in self.won_by else None
        uniques, inverse = np.unique(codes, return_inverse=True)
        inverse = inverse.reshape(-1)
        for u, c in enumerate(uniques):
            where = np.flatnonzero(inverse == u)
            key = REASON_KEYS[c]
            template = explain.reason_template(key, lang, node.kind)
            scalars = {"validity": policy.validity_text(), "as_of": self.as_of.isoformat()}
            arrays: dict[str, tuple[np.ndarray, Any]] = {}  # field -> (raw values on `where`, formatter)
            for name in explain.template_fields(template):
                if name in scalars:
                    continue
                if name == "award":
                    arrays[name] = (award.amount[rows[where]], lambda v: explain.format_value(int(v), "yuan", lang))
                elif name in award.scalars:
                    value, unit = award.scalars[name]
                    scalars[name] = explain.format_value(value, unit, lang)
                elif name in node.parameters:
                    prm = node.parameters[name]
                    scalars[name] = explain.format_value(prm.value_at(self.as_of), prm.unit, lang)
                elif name in ("won_by", "won_by_source") and winners is not None:
                    fmt = (lambda w: self._title(w, lang)) if name == "won_by" else (lambda w: self._source(w))
                    arrays[name] = (winners[where], fmt)
                elif name == "clause":
                    scalars[name] = self._group_clause(node.id)
                elif name in award.detail:
                    unit = "yuan" if name in MONEY_DETAILS else "text" if award.detail[name].dtype == object else "count"
                    arrays[name] = (award.detail[name][rows[where]],
                                    lambda v, unit=unit: explain.format_value(v if unit == "text" else int(v), unit, lang))
                elif name in self.frame.columns:
                    unit = "yuan" if name in MONEY_COLUMNS else "count"
                    values = self.frame[name].to_numpy(dtype=object)[rows[where]]
                    arrays[name] = (values, lambda v, unit=unit: explain.format_value(v, unit, lang)
                                    if not pd.isna(v) else "—")
            if not arrays:
                out[where] = explain.render(template, scalars)
                continue
            case, first = explain.cases([values for values, _ in arrays.values()])
            words = {name: explain.format_distinct(values[first], fmt) for name, (values, fmt) in arrays.items()}
            out[where] = explain.render_columns(template, scalars, words, len(first))[case]
        return out

    def _node(self, item_id: str) -> Node:
        """The node as computed (its kind as the options chose)."""
        for n in self.nodes:
            if n.id == item_id:
                return n
        return self.policies.node(item_id)

    def _source(self, item_id: str) -> str:
        """The document and article of an item: 《厦门市创新联合体管理办法》第十条（四）."""
        if not item_id:
            return ""
        node = self.policies.node(item_id)
        return f"{self.policies.policies[node.policy_id].display_title}{node.citation.article}"

    def _group_clause(self, item_id: str) -> str:
        """The 就高不重复 clause an item's group rests on, cited: 《若干措施》三、范围期限「…」."""
        for group in self.policies.groups.values():
            if item_id in group.members:
                cite = group.citation
                return f"{self.policies.policies[cite.policy_id].display_title}{cite.article}「{cite.quote}」"
        return ""

    def citations(self, item_id: str, rows: np.ndarray) -> np.ndarray:
        """The citation of each row: the item's article, or for a row lost to 就高不重复 the group's clause."""
        rows = np.asarray(rows, dtype=np.intp)
        out = np.full(len(rows), self.citation(item_id), dtype=object)
        award = self.awards[item_id]
        lost = award.status[rows] == DUPLICATE
        if lost.any():
            for group in self.policies.groups.values():
                if item_id in group.members:
                    cite = group.citation
                    out[lost] = f"{self.policies.policies[cite.policy_id].title} {cite.short()}"
        return out

    def _winners(self, item_id: str, rows: np.ndarray) -> np.ndarray:
        """The id of the item that won this item's 就高不重复 group, '' where it was not lost."""
        if item_id not in self.won_by:
            return np.full(len(rows), "", dtype=object)
        members, winner = self.won_by[item_id]
        return np.asarray(("",) + members, dtype=object)[winner[rows] + 1]

    def _title(self, item_id: str, lang: str) -> str:
        if not item_id:
            return ""
        node = self.policies.node(item_id)
        return node.title_zh if lang == "zh" else node.title_en


def _requirements(ctx: Ctx, words: tuple[str, ...]):
    """For a set of requirement words: (all met, known, reason where known unmet, needs where unknown), once per run;
    (True, True, None, {}) when every row meets them all.

    Three-valued: a requirement known to be unmet decides the item (the first such, in the order listed); an
    unknown one leaves it open only where the item itself is not already decided against (see
    _apply_validity_and_requirements).  Contradictory consortium flags are unmet (never paid)."""
    return ctx.once(("requirements", words), lambda: _requirements_now(ctx, words))


def _requirements_now(ctx: Ctx, words: tuple[str, ...]):
    cols = [REQUIREMENTS[w][1](ctx) for w in words]
    tri = k_and(*cols) if cols else truth(True, ctx.n)
    contradicted, why = _contradiction(ctx) if any(w in CONTRADICTIONS for w in words) else (None, None)
    if tri.complete and tri.values.all() and contradicted is None:
        return True, True, None, {}  # met on every row: the items' own outcomes stand
    reason = first_failed_reason(ctx, [(col, f"requires:{word}") for word, col in zip(words, cols)])
    # known on every row (the usual batch): the shared column of ones, which _apply_validity_and_requirements reads
    # as "no row left open"
    met, known = (tri.values, ctx.ones(bool)) if tri.complete else (tri.values & tri.known, tri.known.copy())
    if contradicted is not None:
        reason = pick(contradicted, why, reason)
        met = met & ~contradicted
        known = known | contradicted
    needs = {k: v & ~known for k, v in tri.missing().items()}
    return met, known, reason.astype(np.int16, copy=False), {k: v for k, v in needs.items() if v.any()}


def _needs_names(codes: np.ndarray) -> dict[int, list[str]]:
    """The columns a ``needs:`` reason code names, for each distinct code."""
    out = {}
    for c in np.unique(codes):
        key = REASON_KEYS[c]
        out[int(c)] = key.split(":", 1)[1].split("+") if key.startswith("needs:") else []
    return out


def _apply_validity_and_requirements(node: Node, ctx: Ctx, award: Award, in_force: bool) -> Award:
    if not in_force:
        return Award(np.zeros(ctx.n, dtype=np.int64), np.full(ctx.n, NOT_IN_FORCE, dtype=np.int8),
                     reason_column(ctx.n, "not_in_force"), award.detail, award.scalars)
    if node.id in ctx.policies.switched_off:
        return Award(np.zeros(ctx.n, dtype=np.int64), np.full(ctx.n, NOT_ELIGIBLE, dtype=np.int8),
                     reason_column(ctx.n, "switched_off"), award.detail, award.scalars)
    met, known, unmet_reason, needs = _requirements(ctx, node.requires)
    granted = award.status == GRANTED
    # the rule's amounts where it grants (the arrays are the rule's own unless read-only: then a new one)
    amount = award.amount if award.cleared else np.multiply(award.amount, granted, out=award.amount) \
        if award.amount.flags.writeable else award.amount * granted
    # zero is not a grant: a rule's result of 0 (a rate on 1 fen, no full step) is not_eligible, with its reason.
    # Counting first: with as many non-zero amounts as grants, no grant is a zero (the common case, one reduction)
    status, reason = award.status, award.reason
    if node.kind != "info" and not award.positive and np.count_nonzero(amount) != np.count_nonzero(granted):
        zero = granted & (amount == 0)
        status = pick(zero, NOT_ELIGIBLE, status)
        reason = pick(zero, code("zero_amount"), reason)
    if known is True:  # every requirement met on every row: the rule's outcome stands
        return Award(amount, status.astype(np.int8, copy=False), reason.astype(np.int16, copy=False),
                     award.detail, award.scalars)
    # Kleene and of the requirements and the item's own outcome
    if known is ctx.ones(bool):  # every requirement decided on every row: none is left open
        unmet, open_rows, any_open = ~met, None, False
    else:
        unmet = known & ~met
        open_rows = ~known & (status != NOT_ELIGIBLE)
        any_open = open_rows.any()
    status = pick(unmet, NOT_ELIGIBLE, pick(open_rows, NEEDS_INPUT_ITEM, status) if any_open else status)
    reason = pick(unmet, unmet_reason, reason)
    if any_open and reasons_worded():
        # the requirement's blank columns, with the item's own where it also needs input
        item_needs = (award.status == NEEDS_INPUT_ITEM) & open_rows
        names = _needs_names(award.reason[item_needs]) if item_needs.any() else {}
        merged: dict[str, np.ndarray] = {k: v & open_rows for k, v in needs.items()}
        for c, cols in names.items():
            rows = item_needs & (award.reason == c)
            for col in cols:
                merged[col] = merged.get(col, np.zeros(ctx.n, dtype=bool)) | rows
        reason = pick(open_rows, needs_reasons(merged, ctx.n), reason)
    status = status.astype(np.int8, copy=False)
    reason = reason.astype(np.int16, copy=False)
    ok = status == GRANTED
    if np.count_nonzero(ok) != np.count_nonzero(granted):  # a requirement took some grants away
        amount = np.multiply(amount, ok, out=amount) if amount.flags.writeable else amount * ok
    return Award(amount, status, reason, award.detail, award.scalars)


def _effective(node: Node, options: Mapping[str, str] | None) -> Node:
    """The node as the options read it: an option named ``kind`` (第九条（二） 可: formula or ceiling) sets its kind."""
    option = node.options.get("kind")
    if option is None:
        return node
    chosen = (options or {}).get(option.id, option.default)
    return replace(node, kind=chosen) if chosen != node.kind else node


def _info_award(ctx: Ctx) -> Award:
    return Award(np.zeros(ctx.n, dtype=np.int64), np.full(ctx.n, GRANTED, dtype=np.int8),
                 reason_column(ctx.n, "info"))


def entitlements(
    data: Any,
    as_of: dt.date | str | None = None,
    *,
    policies: PolicySet | None = None,
    options: Mapping[str, str] | None = None,
    items: Iterable[str] | None = None,
) -> EntitlementResult:
    """Compute every item for every enterprise.

    ``data``: a DataFrame, a path to CSV/XLSX, or an already parsed input.  Bad rows
    are reported in ``result.errors`` and left out; every good row is computed.
    ``options``: readings by option id, e.g. ``{"xiamen_sti_measures.rd_step_subsidy.reading": "increment"}``.
    ``items``: restrict to these item ids (the default is every item of every policy).
    """
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    _check_options(policies, options)
    wanted = _check_items(policies, items)
    parsed = data if isinstance(data, ParsedInput) else load_enterprises(data)
    allocator.tune_for_rows(len(parsed.frame))
    nodes = [_effective(n, options) for n in policies.items() if wanted is None or n.id in wanted]
    for node in nodes:
        if node.kind != "info" and node.id not in ITEMS:
            raise LookupError(f"item {node.id} has no rule in calc/rules")
    awards, won_by = _compute(parsed.frame, policies, as_of, dict(options or {}), nodes)
    return EntitlementResult(parsed, as_of, policies, nodes, awards, won_by)


def _compute(frame: pd.DataFrame, policies: PolicySet, as_of: dt.date, options: dict,
             nodes: list[Node]) -> tuple[dict[str, Award], dict[str, tuple]]:
    """Every item on the rows of ``frame``: requirements, validity, the amounts' bounds, then 就高不重复.

    On a large table, on the main thread, the items share the cores (numpy releases the GIL on whole-column work):
    the calling thread and the allocator's worker threads each take the next item in turn (README, Performance).
    Every item's result is its own, so the order they finish in changes nothing; an error is the one the first
    failing item in the items' order raises, as it is in one thread."""
    ctx = Ctx(frame, policies, as_of, options)

    def run(node: Node) -> Award:
        with wording_reasons(False):  # worded when first read (_Rewording)
            award = _outcome(node, ctx, policies.policies[node.policy_id].in_force(as_of))
        _check_award(node.id, award)
        award.detail = {}  # what the reasons show comes with them (_Rewording): not kept meanwhile
        return award

    exclusivity = _Exclusivity(policies, [node.id for node in nodes])
    # a large table on the main thread (a Dask task or a caller's own thread computes in its one thread)
    on_main = threading.current_thread() is threading.main_thread()
    helpers = allocator.worker_pool() if on_main and len(frame) >= allocator.LARGE_ROWS and len(nodes) > 1 else None
    if helpers is None:
        awards = {node.id: run(node) for node in nodes}
    else:
        awards = _run_shared(run, nodes, exclusivity, *helpers)
    exclusivity.resolve_ready(awards)  # the groups left (all of them in one thread)
    rewording = _Rewording(frame, policies, as_of, options)
    for node in nodes:
        awards[node.id].word_reasons_with(_ReasonsOf(rewording, node))
    return {node.id: awards[node.id] for node in nodes}, exclusivity.won_by


def _outcome(node: Node, ctx: Ctx, in_force: bool) -> Award:
    """An item's rule, then its requirements and validity (calc.rules; _apply_validity_and_requirements)."""
    node_ctx = ctx.for_node(node)
    raw = ITEMS[node.id](node_ctx) if node.kind != "info" and in_force else _info_award(node_ctx)
    return _apply_validity_and_requirements(node, node_ctx, raw, in_force)


class ReasonsMismatch(RuntimeError):
    """An item run again for its reasons gave other statuses than when it was computed: never, unless a rule's
    status came to depend on its reasons or the result's table was changed in place."""


class _Rewording:
    """An item's reasons, made when first read: its rule and requirements run again with their reasons, over the
    same rows (one Ctx for every item of the run, made at the first item asked), and the rows the item lost to
    就高不重复 take that reason.  No status or amount depends on a reason, so this run gives the statuses and
    amounts of the first (checked: tests/test_properties.py).  The values the reasons show (``Award.detail``) come
    with them.  A result is pickled with what is needed to word its reasons (not the Ctx or the lock)."""

    def __init__(self, frame: pd.DataFrame, policies: PolicySet, as_of: dt.date, options: dict):
        self.frame, self.policies, self.as_of, self.options = frame, policies, as_of, options
        self.ctx: Ctx | None = None
        self.lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"frame": self.frame, "policies": self.policies, "as_of": self.as_of, "options": self.options}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def reasons(self, node: Node, award: Award) -> np.ndarray:
        with self.lock:
            if self.ctx is None:
                self.ctx = Ctx(self.frame, self.policies, self.as_of, self.options)
        with wording_reasons(True):
            worded = _outcome(node, self.ctx, self.policies.policies[node.policy_id].in_force(self.as_of))
            lost = award.status == DUPLICATE
            if not np.array_equal(pick(lost, GRANTED, award.status), worded.status):
                raise ReasonsMismatch(f"internal error: item {node.id} gave other statuses when run again for "
                                      "its reasons (was the result's table changed in place?); please report it")
            reason = pick(lost, code("duplicate"), worded.reason) if lost.any() else worded.reason
        award.detail = worded.detail  # the values the reasons show
        return reason.astype(np.int16, copy=False)


@dataclass
class _ReasonsOf:
    """What words one item's reasons (Award.word_reasons_with)."""

    rewording: _Rewording
    node: Node

    def __call__(self, award: Award) -> np.ndarray:
        return self.rewording.reasons(self.node, award)


def _run_shared(run, nodes: list[Node], exclusivity: "_Exclusivity", pool, threads: int) -> dict[str, Award]:
    """``run`` on every node, the calling thread and the pool's threads each taking the next node in turn (what
    several items read, a column or a requirement, is made once: Ctx.once); a 就高不重复 group is resolved by the
    thread that completes it, while the others go on with their items."""
    awards: dict[str, Award] = {}
    errors: dict[int, BaseException] = {}
    turn = iter(range(len(nodes)))
    lock = threading.Lock()
    resolving = False  # one thread at a time resolves groups, in their order
    stop = len(nodes)  # no item from here on is taken: past a failed item (its error or an earlier one is raised)

    def work() -> None:
        nonlocal resolving, stop
        while True:
            with lock:
                i = next(turn, None)
            if i is None or i >= stop:
                return
            try:
                award = run(nodes[i])
            except Exception as error:  # kept with its item: the first item's error in order is raised
                with lock:
                    errors[i] = error
                    stop = min(stop, i)
                continue
            except BaseException:  # an interrupt (Ctrl-C in the calling thread): no thread takes another item
                with lock:
                    stop = -1
                raise
            with lock:
                awards[nodes[i].id] = award
                if resolving:
                    continue  # the resolving thread looks again when it is done
                resolving = True
            try:
                while True:
                    with lock:
                        ready = exclusivity.next_ready(awards)
                        if ready is None:
                            resolving = False
                            break
                    exclusivity.resolve(ready, awards)
            except Exception as error:  # raised after the items' own errors, as in one thread
                with lock:
                    errors[len(nodes)] = error
                    resolving = False
            except BaseException:
                with lock:
                    resolving = False
                    stop = -1
                raise

    helpers = [pool.submit(work) for _ in range(threads)]
    work()
    for helper in helpers:
        helper.result()
    if errors:
        raise errors[min(errors)]
    return awards


class ItemBoundError(OverflowError):
    """A rule paid an amount outside 0 … MAX_ITEM_FEN: a bug in the rule (the bounds make it unreachable)."""


def _check_award(node_id: str, award: Award) -> None:
    """Every amount is int64 fen in 0 … MAX_ITEM_FEN (one pass: a negative amount is a huge one as unsigned)."""
    amount = np.asarray(award.amount)
    if amount.dtype != np.int64:
        raise ItemBoundError(f"internal error: item {node_id} returned {amount.dtype} amounts, not int64 fen")
    if amount.size and amount.view(np.uint64).max() > np.uint64(MAX_ITEM_FEN):
        bad = int(np.flatnonzero(amount.view(np.uint64) > np.uint64(MAX_ITEM_FEN))[0])
        raise ItemBoundError(f"internal error: item {node_id} computed {int(amount[bad]):,} fen for row {bad}, "
                             f"outside 0 … {MAX_ITEM_FEN:,} (calc.limits.MAX_ITEM_FEN); please report it")


class _Exclusivity:
    """就高不重复: in each group only the highest granted amount counts; ties go to the first listed member.

    Groups are resolved in the policies' order, each once all its members are computed (``next_ready``), so items
    in threads give what one thread gives.  Every amount is 0 where its item is not granted (cleared by
    _apply_validity_and_requirements) and above 0 where it is (zero is not a grant; information items hold no
    amount and are never grouped), so the highest amount is the highest granted one; a member already lost in an
    earlier group is counted with its grants only."""

    def __init__(self, policies: PolicySet, item_ids: list[str]):
        wanted = set(item_ids)
        members = ([m for m in group.members if m in wanted] for group in policies.groups.values())
        self.groups = [group for group in members if len(group) > 1]
        self.won_by: dict[str, tuple] = {}  # item id -> (group members, index of the member that won, -1 where none)
        self.lost_before: set[str] = set()
        self.next = 0  # the first group not resolved yet

    def next_ready(self, awards: Mapping[str, Award]) -> list[str] | None:
        """The next group in order if all its members are computed (it is then taken), else None."""
        if self.next < len(self.groups) and all(m in awards for m in self.groups[self.next]):
            self.next += 1
            return self.groups[self.next - 1]
        return None

    def resolve_ready(self, awards: Mapping[str, Award]) -> None:
        while (members := self.next_ready(awards)) is not None:
            self.resolve(members, awards)

    def resolve(self, members: list[str], awards: Mapping[str, Award]) -> None:
        granted = [awards[m].status == GRANTED for m in members]
        # only rows where two or more members are granted can be lost; as a rule they are few, and the amounts
        # are compared there alone (on every row when they are many)
        claims = granted[0].view(np.uint8)
        for g in granted[1:]:
            claims = claims + g.view(np.uint8)
        contested = claims > 1
        count = np.count_nonzero(contested)
        rows = np.flatnonzero(contested) if count <= len(contested) // FEW_ROWS_IN else None
        at = (lambda a: a[rows]) if rows is not None else (lambda a: a)
        grants = [at(g) for g in granted]
        amounts = [at(awards[m].amount) * g if m in self.lost_before else at(awards[m].amount)
                   for m, g in zip(members, grants)]
        best, winner = amounts[0], None
        for i, amount in enumerate(amounts[1:], start=1):
            higher = amount > best  # strictly higher: an equal one stays with the first
            winner = higher.view(np.int8) if winner is None else pick(higher, np.int8(i), winner)  # 1 or 0 at i = 1
            if i < len(amounts) - 1:
                best = np.maximum(best, amount)
        for i, m in enumerate(members):
            award = awards[m]
            loses = grants[i] & (winner != i)
            if rows is None:
                award.status, award.reason, lost_to = _lose(loses, award.status, award.reason, winner)
            else:
                award.status, award.reason, lost_to = _lose_at(rows[loses], award.status, award.reason,
                                                               winner[loses])
            self.won_by[m] = (tuple(members), lost_to)
        self.lost_before.update(members)


def _lose_at(lost: np.ndarray, status: np.ndarray, reason: np.ndarray, winners: np.ndarray):
    """The status and reason of a member with the rows ``lost`` (positions) marked as duplicates, each won by the
    member in ``winners``; new arrays (the member's own are not changed)."""
    lost_to = np.full(len(status), -1, dtype=np.int8)
    if not len(lost):
        return status, reason, lost_to
    status, reason = status.astype(np.int8, copy=True), reason.astype(np.int16, copy=True)
    status[lost], reason[lost], lost_to[lost] = DUPLICATE, code("duplicate"), winners
    return status, reason, lost_to


def _lose(loses: np.ndarray, status: np.ndarray, reason: np.ndarray, winner: np.ndarray):
    """The status and reason of a member with the rows it ``loses`` (a mask over every row) marked as duplicates,
    and the winner of each lost row (-1 elsewhere), by arithmetic over every row."""
    return (pick(loses, DUPLICATE, status).astype(np.int8, copy=False),
            pick(loses, code("duplicate"), reason).astype(np.int16, copy=False),
            pick(loses, winner, np.int8(-1)).astype(np.int8, copy=False))


class OptionError(ValueError):
    """An argument the calculator does not accept: an unknown reading option or item id, a value an option does
    not offer, a date, share, growth, years, draws or budget out of its range.  The message names the argument,
    the value and what is allowed."""


def _check_options(policies: PolicySet, options: Mapping[str, str] | None) -> None:
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise OptionError(f"options must map option ids to readings, got {type(options).__name__}")
    known = policies.option_ids()
    for key, value in options.items():
        if not isinstance(key, str) or key not in known:
            raise OptionError(f"unknown option {key!r}; nearest: {', '.join(policies.nearest(str(key), known))}")
        if not isinstance(value, str) or value not in known[key].choices:
            raise OptionError(f"option {key} = {value!r}; choose one of {', '.join(known[key].choices)}")


def _check_items(policies: PolicySet, items: Iterable[str] | None) -> set[str] | None:
    """The item ids asked for, all known; OptionError naming the unknown ones and the nearest known ones."""
    if items is None:
        return None
    if isinstance(items, str):
        items = [items]
    try:
        wanted = list(items)
    except TypeError:
        raise OptionError(f"items must be a list of item ids, got {type(items).__name__}") from None
    if not wanted:
        raise OptionError("items is empty: give at least one item id, or None for every item")
    known = [n.id for n in policies.items()]
    unknown = [i for i in wanted if not isinstance(i, str) or i not in known]
    if unknown:
        raise OptionError("unknown item id(s): " + "; ".join(
            f"{i!r} (nearest: {', '.join(policies.nearest(str(i), known))})" for i in unknown))
    return set(wanted)


def _as_date(as_of: dt.date | str | None, name: str = "as_of") -> dt.date:
    """A date argument (a date, a datetime or YYYY-MM-DD text) within calc.limits' date range; None is today."""
    if as_of is None:
        date = dt.date.today()
    elif isinstance(as_of, dt.datetime):
        date = as_of.date()
    elif isinstance(as_of, dt.date):
        date = as_of
    elif isinstance(as_of, np.datetime64) and not np.isnat(as_of):
        date = pd.Timestamp(as_of).date()
    elif isinstance(as_of, str) and len(as_of) <= len("YYYY-MM-DDTHH:MM:SS"):
        try:
            date = dt.date.fromisoformat(as_of.strip())
        except ValueError:
            raise OptionError(f"{name} {as_of!r} is not a date (YYYY-MM-DD)") from None
    else:
        raise OptionError(f"{name} {str(as_of)[:40]!r} is not a date (YYYY-MM-DD)")
    if not MIN_DATE <= date <= MAX_DATE:
        raise OptionError(f"{name} {date} is outside the dates this calculator handles ({MIN_DATE} to {MAX_DATE})")
    return date
