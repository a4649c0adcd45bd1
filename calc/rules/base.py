"""What every rule module shares: the registries, the column accessors and the result codes.

A rule is a small function registered under the id of its criterion or item in
``data/policies`` (``<policy_id>.<name>``).  It receives a :class:`Ctx` that hands
out whole columns as numpy arrays (value + known mask; a missing value is
unknown, never zero) and the parameter values in force on the as-of date, and it
returns whole columns of result codes.  No rule loops over rows.

Arithmetic is exact and bounded.  Inputs are within :mod:`calc.limits` (money ≤ MAX_MONEY_FEN, counts ≤
MAX_COUNT: the loaders reject other rows, and :meth:`Ctx.money` / :meth:`Ctx.count` check any table handed in
directly), and so are the parameters (:func:`calc.policies.parameter_range`).  Within those bounds every
int64 product, sum and difference below stays far from 2^63 (the reasoning is beside each one, and in
calc/limits.py); products with a rate go through :func:`mul_rate` / :func:`ratio_at_least`, exact whatever
the rate's precision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np
import pandas as pd

from calc.inputs import InputError
from calc.limits import MAX_COUNT, MAX_INT64_PRODUCT, MAX_MONEY_FEN
from calc.policies import LEVEL_WORDS, LEVELS, RULE_RANGES, Node, PolicySet, Range

# ----------------------------------------------------------------------------- codes
# criterion results
# codes are typed numpy scalars so that np.where/np.select build small arrays directly
RESULTS = ("pass", "fail", "soft_fail", "needs_input", "not_applicable")
PASS, FAIL, SOFT_FAIL, NEEDS_INPUT, NOT_APPLICABLE = (np.int8(i) for i in range(len(RESULTS)))
# item statuses
STATUSES = ("granted", "not_eligible", "needs_input", "duplicate", "not_in_force")
GRANTED, NOT_ELIGIBLE, NEEDS_INPUT_ITEM, DUPLICATE, NOT_IN_FORCE = (np.int8(i) for i in range(len(STATUSES)))
# overall consortium statuses
OVERALL = ("eligible", "eligible_with_exceptions", "ineligible", "incomplete", "not_in_force")
ELIGIBLE, ELIGIBLE_WITH_EXCEPTIONS, INELIGIBLE, INCOMPLETE, OVERALL_NOT_IN_FORCE = (np.int8(i) for i in range(len(OVERALL)))

# platform levels, lowest first, and the texts' words for them: LEVELS and LEVEL_WORDS (from calc.policies)

FEN_PER_YUAN = 100

# reasons are small integer codes into one vocabulary (fast on a million rows); calc.explain words them
REASON_KEYS: list[str] = []
_REASON_CODES: dict[str, int] = {}


def code(key: str) -> np.int16:
    """The integer code of a reason key such as ``"rd_not_grown"`` or ``"needs:rd_expense"``."""
    if key not in _REASON_CODES:
        _REASON_CODES[key] = np.int16(len(REASON_KEYS))
        REASON_KEYS.append(key)
    return _REASON_CODES[key]


def reason_keys(codes: np.ndarray) -> np.ndarray:
    return np.asarray(REASON_KEYS, dtype=object)[codes]


@dataclass
class Col:
    """A column as numpy: ``values`` (missing filled with a neutral value) and ``known``."""

    values: np.ndarray
    known: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


class Ctx:
    """Columns and parameters for one rule, for one as-of date."""

    def __init__(self, frame: pd.DataFrame, policies: PolicySet, as_of: dt.date,
                 options: dict[str, str] | None = None, cache: dict | None = None):
        self.frame = frame
        self.policies = policies
        self.as_of = as_of
        self.options = options or {}
        self.cache = cache if cache is not None else {}
        self.node: Node | None = None
        self.n = len(frame)

    def for_node(self, node: Node) -> "Ctx":
        ctx = Ctx(self.frame, self.policies, self.as_of, self.options, self.cache)
        ctx.node = node
        return ctx

    # -- parameters -----------------------------------------------------------------
    def p(self, name: str) -> Any:
        """The value of this node's parameter ``name`` on the as-of date."""
        assert self.node is not None
        value = self.node.parameters[name].value_at(self.as_of)
        if value is None:
            raise LookupError(f"{self.node.id}.{name} has no value on {self.as_of}")
        return value

    def comparison(self, name: str) -> str:
        assert self.node is not None
        return self.node.parameters[name].comparison or ">="

    def option(self, name: str) -> str:
        assert self.node is not None
        option = self.node.options[name]
        chosen = self.options.get(option.id, option.default)
        if chosen not in option.choices:
            raise ValueError(f"option {option.id} = {chosen!r}; choose one of {', '.join(option.choices)}")
        return chosen

    # -- columns --------------------------------------------------------------------
    def _series(self, name: str) -> pd.Series | None:
        return self.frame[name] if name in self.frame.columns else None

    def number(self, name: str, bound: int = MAX_MONEY_FEN, what: str = "an amount of money") -> Col:
        """An integer column (money in fen, or a count), checked to lie in 0 … ``bound``."""
        key = ("number", name)
        if key not in self.cache:
            s = self._series(name)
            if s is None:
                col = Col(np.zeros(self.n, dtype=np.int64), np.zeros(self.n, dtype=bool))
            else:
                known = s.notna().to_numpy()
                values = s.to_numpy(dtype=np.int64, na_value=0) if known.any() else np.zeros(self.n, np.int64)
                col = Col(values, known)
                _check_bound(name, col.values, bound, what, s.index)
            self.cache[key] = col
        return self.cache[key]

    def money(self, name: str) -> Col:
        """A money column in fen (0 … MAX_MONEY_FEN)."""
        return self.number(name, MAX_MONEY_FEN, "an amount of money")

    def count(self, name: str) -> Col:
        """A count column (0 … MAX_COUNT)."""
        return self.number(name, MAX_COUNT, "a count")

    def flag(self, name: str) -> Col:
        key = ("flag", name)
        if key not in self.cache:
            s = self._series(name)
            if s is None:
                col = Col(np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=bool))
            else:
                known = s.notna().to_numpy()
                col = Col(s.fillna(False).to_numpy(dtype=bool), known)
            self.cache[key] = col
        return self.cache[key]

    def _codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A text column as categorical codes (-1 = missing) and its categories, once per run."""
        key = ("codes", name)
        if key not in self.cache:
            s = self._series(name)
            if s is None:
                codes, categories = np.full(self.n, -1, dtype=np.int8), np.array([], dtype=object)
            else:
                cat = s.array if isinstance(s.dtype, pd.CategoricalDtype) else pd.Categorical(s)
                codes, categories = np.asarray(cat.codes), np.asarray(cat.categories, dtype=object)
            self.cache[key] = (codes, categories)
        return self.cache[key]

    def category(self, name: str) -> Col:
        """A text column's values ("" where missing) and known mask."""
        key = ("category", name)
        if key not in self.cache:
            codes, categories = self._codes(name)
            self.cache[key] = Col(np.append(categories, "")[codes], codes >= 0)  # code -1 takes the ""
        return self.cache[key]

    def is_in(self, name: str, values) -> Col:
        """``column ∈ values`` with its known mask, computed on the integer codes."""
        codes, categories = self._codes(name)
        wanted = np.flatnonzero(np.isin(categories, list(values)))
        return Col(np.isin(codes, wanted), codes >= 0)


class InputBoundError(InputError, ValueError):
    """A table handed to the engine directly holds a value no loader would accept (negative, or above a bound)."""


def _check_bound(name: str, values: np.ndarray, bound: int, what: str, index) -> None:
    """One pass over the column: a negative value is a huge one as unsigned, so one comparison finds both."""
    bad = values.view(np.uint64) > np.uint64(bound)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InputBoundError(
            f"column {name}: row {index[at]!r} holds {int(values[at]):,}, but {what} must be 0 to {bound:,} "
            f"(calc.limits); load the table with calc.load_enterprises / load_consortia to have such rows rejected")


def declare_range(parameter_id: str, low, high, what: str, unit: str) -> None:
    """A range a rule needs for its parameter beyond the parameter's role (checked on loading and in reforms)."""
    RULE_RANGES[parameter_id] = Range(low, high, what, unit)


# ----------------------------------------------------------------------------- results

@dataclass
class Check:
    """A criterion's outcome for every row."""

    result: np.ndarray  # int8 codes into RESULTS
    value: np.ndarray | None = None  # measured value (fen, count, level index, Fraction …)
    threshold: Any = None  # the parameter value it was compared with
    shortfall: np.ndarray | None = None  # how much is missing where it failed (same unit as value)
    unit: str = "count"
    detail: dict[str, np.ndarray] = field(default_factory=dict)
    comparison: str = ">="  # a maximum ("<", "<=") reads its shortfall as an excess


@dataclass
class Award:
    """An item's outcome for every row: amount in fen, status code and reason key."""

    amount: np.ndarray  # int64 fen
    status: np.ndarray  # int8 codes into STATUSES
    reason: np.ndarray  # int16 reason codes (see code() and calc.explain)
    detail: dict[str, np.ndarray] = field(default_factory=dict)


CRITERIA: dict[str, Callable[[Ctx], Check]] = {}
ITEMS: dict[str, Callable[[Ctx], Award]] = {}


def criterion(node_id: str):
    def register(fn):
        if node_id in CRITERIA:
            raise ValueError(f"criterion {node_id} registered twice")
        CRITERIA[node_id] = fn
        fn.node_id = node_id
        return fn
    return register


def item(node_id: str):
    def register(fn):
        if node_id in ITEMS:
            raise ValueError(f"item {node_id} registered twice")
        ITEMS[node_id] = fn
        fn.node_id = node_id
        return fn
    return register


# ----------------------------------------------------------------------------- helpers

def pick(condition: np.ndarray, yes, no):
    """``np.where(condition, yes, no)`` for integer codes and amounts, by arithmetic.

    On this kind of machine it is an order of magnitude faster than np.where on a million rows.
    ``yes``/``no`` are integer arrays or typed numpy scalars; the result keeps their dtype.  Booleans
    are chosen with logic instead.
    """
    if np.asarray(yes).dtype == bool and np.asarray(no).dtype == bool:
        return (condition & yes) | (~condition & no)
    return no + (yes - no) * condition


def first_of(conditions: list[np.ndarray], values: list, default):
    """``np.select``: the value of the first condition that holds, else ``default`` (by ``pick``)."""
    out = default
    for condition, value in zip(reversed(conditions), reversed(values)):
        out = pick(condition, value, out)
    if np.ndim(out) == 0:
        out = np.full(len(conditions[0]), out)
    return out


def satisfies(values: np.ndarray, comparison: str, threshold) -> np.ndarray:
    """``values <comparison> threshold``: 高于/超过 is '>', 以上(含)/不低于/不少于 is '>='."""
    if comparison == ">":
        return values > threshold
    if comparison == ">=":
        return values >= threshold
    if comparison == "<":
        return values < threshold
    if comparison == "<=":
        return values <= threshold
    if comparison == "==":
        return values == threshold
    raise ValueError(f"unknown comparison {comparison!r}")


def shortfall_to(values: np.ndarray, comparison: str, threshold, step: int = 1) -> np.ndarray:
    """How much must be added to reach the threshold (0 where already met); ``step`` is the unit's smallest step."""
    if comparison == ">=":
        need = threshold - values
    elif comparison == ">":
        need = threshold - values + step
    elif comparison == "<":  # a maximum: how much must be taken away
        need = values - threshold + step
    elif comparison == "<=":
        need = values - threshold
    else:
        need = np.zeros_like(values)
    return np.maximum(need, 0)


def results_from(ok: np.ndarray, known: np.ndarray, strength: str) -> np.ndarray:
    fail = SOFT_FAIL if strength == "soft" else FAIL
    return pick(known, pick(ok, PASS, fail), NEEDS_INPUT).astype(np.int8, copy=False)


def threshold_check(ctx: Ctx, col: Col, param: str, unit: str = "count") -> Check:
    """The usual criterion: one measured column against one dated threshold."""
    threshold = ctx.p(param)
    comparison = ctx.comparison(param)
    ok = satisfies(col.values, comparison, threshold)
    return Check(
        result=results_from(ok, col.known, ctx.node.strength),
        value=np.where(col.known, col.values, 0),
        threshold=threshold,
        shortfall=np.where(col.known, shortfall_to(col.values, comparison, threshold), 0),
        unit=unit,
        comparison=comparison,
    )


def flag_check(ctx: Ctx, col: Col) -> Check:
    """A yes/no condition (an agreement signed, a chief scientist appointed)."""
    return Check(result=results_from(col.values, col.known, ctx.node.strength), value=col.values, unit="bool")


def apply_scope(check: Check, applies: Col) -> Check:
    """Mark rows the criterion does not apply to as ``not_applicable``; unknown applicability → needs_input."""
    result = pick(applies.known & ~applies.values, NOT_APPLICABLE, check.result)
    result = pick(~applies.known & (check.result != PASS), NEEDS_INPUT, result)
    check.result = result.astype(np.int8, copy=False)
    return check


def total_known(*cols: Col) -> Col:
    """The sum of several counts; known only when every part is known (a few × MAX_COUNT: no overflow)."""
    values = np.zeros(len(cols[0]), dtype=np.int64)
    known = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        values = values + c.values
        known &= c.known
    return Col(values, known)


INT64_MAX = int(np.iinfo(np.int64).max)


def _exact_product(values: np.ndarray, factor: int) -> np.ndarray:
    """``values × factor`` exactly: int64 when every product is at most MAX_INT64_PRODUCT (so a few of them can be
    added or subtracted without wrapping), Python integers (an object array) otherwise."""
    values = np.asarray(values, dtype=np.int64) if np.asarray(values).dtype != object else np.asarray(values)
    if values.dtype == object:
        return values * factor
    largest = int(np.abs(values).max()) if values.size else 0
    if abs(factor) <= MAX_INT64_PRODUCT and largest * abs(factor) <= MAX_INT64_PRODUCT:  # checked in Python ints
        return values * factor
    return values.astype(object) * factor


def _exact_floordiv(values: np.ndarray, divisor: int) -> np.ndarray:
    """``values // divisor`` (divisor > 0) for int64 or exact (object) arrays, whatever the divisor's size."""
    values = np.asarray(values)
    if values.dtype != object and divisor > INT64_MAX:
        return values.astype(object) // divisor
    return values // divisor


def ratio_at_least(numerator: np.ndarray, denominator: np.ndarray, rate: Fraction, strict: bool = False) -> np.ndarray:
    """``numerator / denominator >= rate`` in exact integer arithmetic (denominator > 0 assumed where it matters)."""
    lhs = _exact_product(numerator, rate.denominator)
    rhs = _exact_product(denominator, rate.numerator)
    return np.asarray(lhs > rhs if strict else lhs >= rhs, dtype=bool)


def mul_rate(amount_fen: np.ndarray, rate: Fraction) -> np.ndarray:
    """``amount × rate`` exactly, rounded down to the fen (int64 fen in, int64 fen out).

    The result is at most the amount for a rate ≤ 100% (the only rates paid), so it fits where the amount did.
    """
    return np.asarray(_exact_floordiv(_exact_product(amount_fen, rate.numerator), rate.denominator)).astype(np.int64)


def ceil_mul_rate(amount: np.ndarray, rate: Fraction) -> np.ndarray:
    """``⌈amount × rate⌉`` exactly (the least whole amount reaching a share), saturated at int64's top."""
    product = -_exact_floordiv(_exact_product(-np.asarray(amount, dtype=np.int64), rate.numerator), rate.denominator)
    return _saturate(product)


def _saturate(values) -> np.ndarray:
    """Exact integers (int64 or Python ints in an object array) as int64, the ones beyond int64 held at its ends."""
    values = np.asarray(values)
    if values.dtype != object:
        return values.astype(np.int64, copy=False)
    return np.clip(values, -INT64_MAX, INT64_MAX).astype(np.int64)


def round_amount(amount_fen: np.ndarray, rounding: str) -> np.ndarray:
    """Round an award as its item's data says: down to the yuan, or kept to the fen."""
    if rounding == "floor_yuan":
        return (amount_fen // FEN_PER_YUAN) * FEN_PER_YUAN
    return amount_fen


def level_index(words: np.ndarray) -> np.ndarray:
    """Platform levels (``none`` < ``municipal`` < ``provincial`` < ``national``) as ordered integers, -1 if unknown."""
    return pd.Categorical(words, categories=LEVELS, ordered=True).codes.astype(np.int64, copy=False)


def level_of_text(text: str) -> int:
    """The level a policy's text names ("市级", "省部级"), as an index into LEVELS."""
    return LEVELS.index(LEVEL_WORDS.get(text, text))


def unknown_award(ctx: Ctx, column: str) -> Award:
    """Every row needs ``column`` (it was not given at all)."""
    return Award(np.zeros(ctx.n, dtype=np.int64), np.full(ctx.n, NEEDS_INPUT_ITEM, dtype=np.int8),
                 np.full(ctx.n, code(f"needs:{column}"), dtype=np.int16))


def by_rating(ctx: Ctx, column: str, amounts: dict[str, int], below_reason: str) -> Award:
    """An amount set by an evaluation grade (优秀/良好 …); other grades get nothing."""
    rating = ctx.category(column)
    conditions = [ctx.is_in(column, [grade]).values for grade in amounts]
    amount = first_of(conditions, list(amounts.values()), np.int64(0)).astype(np.int64, copy=False)
    granted = amount > 0
    status = pick(~rating.known, NEEDS_INPUT_ITEM, pick(granted, GRANTED, NOT_ELIGIBLE))
    reason = pick(~rating.known, code(f"needs:{column}"),
                      pick(granted, code("granted_by_rating"), code(below_reason)))
    return Award(amount, status, reason)


def per_count(ctx: Ctx, column: str, amount_param: str, none_reason: str) -> Award:
    """An amount per counted event (project, platform, person): count × amount.

    count ≤ MAX_COUNT and amount ≤ MAX_UNIT_AMOUNT_FEN, so the product ≤ MAX_ITEM_FEN (10^17): no overflow.
    """
    n = ctx.count(column)
    if not n.known.any():
        return unknown_award(ctx, column)
    amount = n.values * ctx.p(amount_param)  # unknown counts are held as 0
    status = pick(~n.known, NEEDS_INPUT_ITEM, pick(n.values > 0, GRANTED, NOT_ELIGIBLE))
    reason = pick(~n.known, code(f"needs:{column}"), pick(n.values > 0, code("granted_per_count"), code(none_reason)))
    return Award(amount, status.astype(np.int8, copy=False), reason.astype(np.int16, copy=False), {"count": n.values})


def on_flag(ctx: Ctx, column: str, amount: int, no_reason: str) -> Award:
    """A set amount when a yes/no fact holds."""
    f = ctx.flag(column)
    if not f.known.any():
        return unknown_award(ctx, column)
    status = pick(~f.known, NEEDS_INPUT_ITEM, pick(f.values, GRANTED, NOT_ELIGIBLE))
    reason = pick(~f.known, code(f"needs:{column}"), pick(f.values, code("granted_fixed"), code(no_reason)))
    return Award(pick(f.known & f.values, amount, 0).astype(np.int64, copy=False), status.astype(np.int8, copy=False),
                 reason.astype(np.int16, copy=False))


# ----------------------------------------------------------------------------- shared by several policies

def all_members(ctx: Ctx) -> Col:
    return total_known(ctx.count("enterprises"), ctx.count("universities"),
                       ctx.count("research_institutes"), ctx.count("other_units"))


def both(a: Col, b: Col) -> Col:
    """``a and b`` with what is known: known when both are known, or when either is known to be false."""
    known = (a.known & b.known) | (a.known & ~a.values) | (b.known & ~b.values)
    return Col(a.values & b.values & a.known & b.known, known)


def registered_lead_enterprise(ctx: Ctx, region: str) -> Check:
    """The lead is an enterprise (lead_type ``enterprise``) registered in ``region`` (lead_region)."""
    lead = ctx.category("lead_type")
    where = ctx.category("lead_region")
    is_enterprise = Col(lead.values == "enterprise", lead.known)
    registered_here = Col(where.values == region, where.known)
    ok = both(is_enterprise, registered_here)
    return Check(result=results_from(ok.values, ok.known, ctx.node.strength), value=ok.values, unit="bool",
                 detail={"lead_type": lead.values, "lead_region": where.values})


def platform_at_least(ctx: Ctx, param: str = "min_level") -> Check:
    """The lead's highest platform level against a level named in the text (省级, 省部级 …)."""
    platform = ctx.category("lead_platform_level")
    level = level_index(np.where(platform.known, platform.values, None))  # None, not "": no unknown category
    known = platform.known & (level >= 0)
    threshold = level_of_text(ctx.p(param))
    return Check(result=results_from(level >= threshold, known, ctx.node.strength),
                 value=platform.values, threshold=ctx.p(param), unit="level")


# the input's columns for the last fiscal years, latest first
RD_YEAR_COLUMNS = ("lead_rd", "lead_rd_prev", "lead_rd_prev2")
REVENUE_YEAR_COLUMNS = ("lead_revenue", "lead_revenue_prev", "lead_revenue_prev2")


def declare_year_span(parameter_id: str) -> None:
    """A parameter giving how many fiscal years :func:`three_year_rd` reads: 1 … the input's year columns."""
    declare_range(parameter_id, 1, len(RD_YEAR_COLUMNS),
                  f"a span of fiscal years read from the input's columns ({', '.join(RD_YEAR_COLUMNS)})", "count")


def three_year_rd(ctx: Ctx, years_param: str = "years"):
    """R&D and revenue over the last (at most) three fiscal years actually operated.

    Returns (total R&D, total revenue, years counted, known) — fen and counts.  A year
    beyond the years operated is not needed (实际经营期不满三年的按实际经营时间计算).
    """
    span = ctx.p(years_param)  # 1 … len(RD_YEAR_COLUMNS): declared by the rules that use it
    years_op = ctx.count("lead_years_operating")
    years = np.where(years_op.known, np.clip(years_op.values, 1, span), span)
    rd_cols = [ctx.money(c) for c in RD_YEAR_COLUMNS][:span]
    rev_cols = [ctx.money(c) for c in REVENUE_YEAR_COLUMNS][:span]
    rd = np.zeros(ctx.n, dtype=np.int64)
    rev = np.zeros(ctx.n, dtype=np.int64)
    known = np.ones(ctx.n, dtype=bool)
    for i, (r, v) in enumerate(zip(rd_cols, rev_cols)):
        needed = years > i
        rd += np.where(needed, r.values, 0)
        rev += np.where(needed, v.values, 0)
        known &= ~needed | (r.known & v.known)
    # years operated unknown and a year missing: the span is not known either
    known &= years_op.known | np.all([r.known for r in rd_cols], axis=0)
    return rd, rev, years, known


def share_check(ctx: Ctx, part: Col, whole: Col, param: str = "min") -> Check:
    """``part / whole`` against a percentage, exactly (integers); an empty ``whole`` does not meet it.

    The shortfall is how many more qualifying units (added to both part and whole) would reach the share:
    the least k with (part + k)·q ≥ p·(whole + k) for the rate p/q.
    """
    rate = ctx.p(param)
    strict = ctx.comparison(param) == ">"
    known = part.known & whole.known
    ok = (whole.values > 0) & ratio_at_least(part.values, whole.values, rate, strict=strict)
    p, q = rate.numerator, rate.denominator
    # exact (a fine rate's numerator and denominator can be far beyond int64); shown saturated at int64's top
    gap = _exact_product(whole.values, p) - _exact_product(part.values, q) + (1 if strict else 0)
    need = _saturate(-_exact_floordiv(-np.maximum(gap, 0), q - p)) if q > p else np.zeros(ctx.n, dtype=np.int64)
    need = np.where(whole.values == 0, np.maximum(need, 1), need)
    share = np.divide(part.values, whole.values, out=np.zeros(ctx.n), where=whole.values > 0)
    return Check(
        result=results_from(ok, known, ctx.node.strength),
        value=np.where(known, share, 0.0),
        threshold=rate,
        shortfall=np.where(known & ~ok, need, 0),
        unit="ratio",
        detail={"part": part.values, "whole": whole.values},
    )
