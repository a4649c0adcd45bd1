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

import contextlib
import contextvars
import datetime as dt
import threading
from collections.abc import Iterator
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
OVERALL = ("eligible", "eligible_with_exceptions", "ineligible", "incomplete", "not_in_force", "not_applicable")
ELIGIBLE, ELIGIBLE_WITH_EXCEPTIONS, INELIGIBLE, INCOMPLETE, OVERALL_NOT_IN_FORCE, OVERALL_NOT_APPLICABLE = (
    np.int8(i) for i in range(len(OVERALL)))  # not_applicable: a talent consortium status with no talent data

# platform levels, lowest first, and the texts' words for them: LEVELS and LEVEL_WORDS (from calc.policies)

FEN_PER_YUAN = 100
UNBOUNDED = MAX_INT64_PRODUCT  # the top of a blank with no stated bound (every Ctx column states one)

# reasons are small integer codes into one vocabulary (fast on a million rows); calc.explain words them
REASON_KEYS: list[str] = []
_REASON_CODES: dict[str, int] = {}
_REASON_LOCK = threading.Lock()


class _NoReasons:
    """The reasons of a run that does not word them (see :func:`wording_reasons`): every reason code and every
    reason column made from codes is this one object, so the passes that would build them are not made."""

    def astype(self, *_: Any, **__: Any) -> "_NoReasons":
        return self

    def __setitem__(self, _: Any, __: Any) -> None:
        pass

    def __repr__(self) -> str:
        return "NO_REASONS"

    def __reduce__(self) -> str:
        return "NO_REASONS"  # unpickled as the one object (a global of this module)


NO_REASONS = _NoReasons()
_WORDED = contextvars.ContextVar("calc_reasons_worded", default=True)


def reasons_worded() -> bool:
    """Whether the rules running in this thread make their reason columns (see :func:`wording_reasons`)."""
    return _WORDED.get()


@contextlib.contextmanager
def wording_reasons(worded: bool) -> Iterator[None]:
    """Within ``wording_reasons(False)``: :func:`code` gives NO_REASONS, and :func:`pick`, :func:`first_of`,
    :func:`decide` and :func:`needs_reasons` give NO_REASONS for reasons, so a rule computes its amounts and
    statuses alone.  calc.entitlements computes every item so, and words an item's reasons when they are first
    read, by running its rule again within ``wording_reasons(True)`` (no status depends on a reason: the two
    runs give the same amounts and statuses).  Outside both, reasons are made."""
    token = _WORDED.set(worded)
    try:
        yield
    finally:
        _WORDED.reset(token)


def code(key: str) -> np.int16:
    """The integer code of a reason key such as ``"rd_not_grown"`` or ``"needs:rd_expense"`` (NO_REASONS within
    ``wording_reasons(False)``; the key is registered either way)."""
    found = _REASON_CODES.get(key)
    if found is None:
        with _REASON_LOCK:  # items run in threads: a new key gets one code
            if key not in _REASON_CODES:
                REASON_KEYS.append(key)
                _REASON_CODES[key] = np.int16(len(REASON_KEYS) - 1)
            found = _REASON_CODES[key]
    return found if _WORDED.get() else NO_REASONS


def reason_column(n: int, key: str) -> np.ndarray | _NoReasons:
    """The reason ``key`` on every one of ``n`` rows."""
    reason = code(key)
    return reason if reason is NO_REASONS else np.full(n, reason, dtype=np.int16)


def reason_keys(codes: np.ndarray) -> np.ndarray:
    return np.asarray(REASON_KEYS, dtype=object)[codes]


@dataclass
class Col:
    """A column as numpy: ``values`` (missing filled with a neutral value) and ``known``.

    Three-valued (Kleene) logic runs on the same shape: a yes/no Col is *true* where ``known & values``, *false*
    where ``known & ~values`` and *unknown* elsewhere.  ``needs`` names, per input column, the rows where that
    column's blank is what leaves this Col unknown (what would decide it: "需补充：…").  A number Col may carry
    ``high``: the largest value its blank parts allow (a sum of counts with one blank is at least the known part
    and at most that plus the blank's bound); without ``high`` a blank is bounded by ``bound``.
    """

    values: np.ndarray
    known: np.ndarray
    needs: dict | None = None
    high: np.ndarray | None = None
    bound: int = 0
    _complete: bool | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def complete(self) -> bool:
        """Known on every row: the three-valued work (ranges, needs) has nothing to do (a batch with every input
        given takes this path on every combinator, at the speed of plain numpy)."""
        if self._complete is None:
            self._complete = bool(self.known.all())
        return self._complete

    def low_high(self) -> tuple[np.ndarray, np.ndarray]:
        """The least and the greatest value each row can take (blanks are ≥ 0 and at most their bound)."""
        if self.high is not None:
            return self.values, self.high
        if self.complete:
            return self.values, self.values
        low = np.where(self.known, self.values, 0)
        return low, np.where(self.known, self.values, self.bound or UNBOUNDED)

    def missing(self) -> dict:
        return self.needs if self.needs is not None else {}


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

    def once(self, key, make: Callable[[], Any]) -> Any:
        """``make()`` kept under ``key`` for the run: made once even when items run in threads (a thread wanting
        it while another makes it waits for that one)."""
        if key in self.cache:
            return self.cache[key]
        locks = self.cache.setdefault(("locks",), {})  # dict.setdefault is atomic under the GIL
        with locks.setdefault(key, threading.Lock()):
            if key not in self.cache:
                self.cache[key] = make()
        return self.cache[key]

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
        def make() -> Col:
            s = self._series(name)
            if s is None:
                col = Col(self.zeros(np.int64), self.zeros(bool))
            else:
                if _is_text(s):  # a column the schema does not know, carried through as typed
                    s = pd.to_numeric(s, errors="coerce")
                    s = s.where(s.isna() | (s == s.round()))
                values, known = _integers(s, self.zeros, self.ones)
                col = Col(values, known)
                if values is not self.zeros(np.int64):
                    _check_bound(name, col.values, bound, what, s.index)
            col.needs, col.bound = {name: self._unknown(col.known)}, bound
            return col
        return self.once(("number", name), make)

    def zeros(self, dtype) -> np.ndarray:
        """A read-only column of zeros, one per dtype and run: what a blank or absent column holds (the loaders add
        every schema column, so most of a table's columns are blank throughout)."""
        return self.once(("zeros", np.dtype(dtype).str), lambda: _read_only(np.zeros(self.n, dtype=dtype)))

    def ones(self, dtype) -> np.ndarray:
        """A read-only column of ones (the known mask of a column given on every row), one per dtype and run."""
        return self.once(("ones", np.dtype(dtype).str), lambda: _read_only(np.ones(self.n, dtype=dtype)))

    def _unknown(self, known: np.ndarray) -> np.ndarray:
        """``~known``, the shared columns' own opposites without a pass."""
        if known is self.ones(bool):
            return self.zeros(bool)
        if known is self.zeros(bool):
            return self.ones(bool)
        return ~known

    def money(self, name: str) -> Col:
        """A money column in fen (0 … MAX_MONEY_FEN)."""
        return self.number(name, MAX_MONEY_FEN, "an amount of money")

    def count(self, name: str) -> Col:
        """A count column (0 … MAX_COUNT)."""
        return self.number(name, MAX_COUNT, "a count")

    def flag(self, name: str) -> Col:
        def make() -> Col:
            s = self._series(name)
            if s is None:
                col = Col(self.zeros(bool), self.zeros(bool))
            elif _is_text(s):  # a column the schema does not know: 是/否, yes/no, true/false, 1/0
                words = s.map(lambda v: YES_NO.get(str(v).strip().lower()) if not pd.isna(v) else None)
                col = Col(words.fillna(False).to_numpy(dtype=bool), words.notna().to_numpy())
            elif isinstance(s.array, pd.arrays.BooleanArray):  # the loaders' type: its values and mask, no copy
                data, mask = s.array._data, s.array._mask
                if not mask.any():  # given on every row
                    col = Col(_read_only(data), self.ones(bool))
                elif mask.all():  # blank throughout
                    col = Col(self.zeros(bool), self.zeros(bool))
                else:
                    known = ~mask
                    col = Col(_read_only(data & known), known)
            else:
                known = s.notna().to_numpy()
                col = Col(s.fillna(False).to_numpy(dtype=bool), known)
            col.needs = {name: self._unknown(col.known)}
            return col
        return self.once(("flag", name), make)

    def _codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A text column as categorical codes (-1 = missing) and its categories, once per run."""
        def make() -> tuple[np.ndarray, np.ndarray]:
            s = self._series(name)
            if s is not None and isinstance(s.dtype, pd.CategoricalDtype):  # the loaders' type: codes as they are
                return np.asarray(s.array.codes), np.asarray(s.array.categories, dtype=object)
            if s is None or s.isna().all():  # absent or blank throughout: nothing to number
                return np.full(self.n, -1, dtype=np.int8), np.array([], dtype=object)
            cat = pd.Categorical(s)
            return np.asarray(cat.codes), np.asarray(cat.categories, dtype=object)
        return self.once(("codes", name), make)

    def category(self, name: str) -> Col:
        """A text column's values ("" where missing) and known mask."""
        def make() -> Col:
            codes, categories = self._codes(name)
            known = codes >= 0
            return Col(np.append(categories, "")[codes], known, {name: ~known})  # code -1 takes the ""
        return self.once(("category", name), make)

    def is_in(self, name: str, values) -> Col:
        """``column ∈ values`` with its known mask, computed on the integer codes."""
        def make() -> Col:
            codes, categories = self._codes(name)
            wanted = np.flatnonzero(np.isin(categories, list(values)))
            known = codes >= 0
            if len(wanted) <= 1:  # one category (or none): a comparison of the codes
                inside = codes == wanted[0] if len(wanted) else np.zeros(self.n, dtype=bool)
            else:
                inside = np.append(np.isin(categories, list(values)), False)[codes]  # code -1 reads the last entry
            return Col(inside, known, {name: ~known})
        return self.once(("is_in", name, tuple(values)), make)


YES_NO = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False, "1": True, "0": False,
          "y": True, "n": False, "有": True, "无": False}


def _is_text(s: pd.Series) -> bool:
    """A column held as text or mixed objects (a column the schema does not know is carried through as typed)."""
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def _read_only(values: np.ndarray) -> np.ndarray:
    """A view no rule can write through (the columns are the caller's table, shared by every item)."""
    view = values.view()
    view.flags.writeable = False
    return view


def _integers(s: pd.Series, zeros: Callable[[Any], np.ndarray],
              ones: Callable[[Any], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """An integer column's values (0 where missing) and known mask; the loaders' Int64 is read without a copy, and
    a blank or a whole known mask is ``zeros`` or ``ones`` (shared read-only columns of a dtype)."""
    array = s.array
    if isinstance(array, pd.arrays.IntegerArray) and array.dtype == "Int64":
        data, mask = array._data, array._mask
        if not mask.any():
            return _read_only(data), ones(bool)
        if mask.all():  # blank throughout
            return zeros(np.int64), zeros(bool)
        return np.where(mask, 0, data), ~mask
    known = s.notna().to_numpy()
    if not known.any():
        return zeros(np.int64), zeros(bool)
    return s.to_numpy(dtype=np.int64, na_value=0), known


class InputBoundError(InputError, ValueError):
    """A table handed to the engine directly holds a value no loader would accept (negative, or above a bound)."""


def _check_bound(name: str, values: np.ndarray, bound: int, what: str, index) -> None:
    """One reduction over the column: a negative value is a huge one as unsigned, so one maximum finds both."""
    if not values.size or values.view(np.uint64).max() <= np.uint64(bound):
        return
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
    missing: dict[str, np.ndarray] = field(default_factory=dict)  # column -> needs_input rows it would decide
    shortfall_unit: str = ""  # the shortfall's unit when it is not the value's (a ratio short by money)
    partial: np.ndarray | None = None  # rows decided with a blank part: the value shown is the known part
    partial_sign: str = "≥"  # how the shown value bounds the true one on partial rows (a share's known part: ≤)


@dataclass
class Award:
    """An item's outcome for every row: amount in fen, status code and reason key."""

    amount: np.ndarray  # int64 fen; the engine keeps it where the status is granted and clears the rest
    status: np.ndarray  # int8 codes into STATUSES
    reason: np.ndarray  # int16 reason codes (see code() and calc.explain)
    detail: dict[str, np.ndarray] = field(default_factory=dict)  # values the reasons show, on the rows they name
    scalars: dict[str, tuple] = field(default_factory=dict)  # template field -> (value, unit), the same for every row
    cleared: bool = False  # the rule's amount is already 0 wherever its status is not granted
    positive: bool = False  # every amount the rule grants is above 0 (no zero to turn into not_eligible)

    def word_reasons_with(self, make: Callable[["Award"], np.ndarray]) -> None:
        """Reasons not worded yet (NO_REASONS) are ``make(self)`` when first read (calc.entitlements)."""
        self.__dict__["_make_reasons"] = make


def _reason(award: Award) -> np.ndarray:
    reason = award.__dict__["_reason"]
    make = award.__dict__.get("_make_reasons") if reason is NO_REASONS else None
    if make is not None:  # (two threads reading at once both make them, the same)
        reason = award.__dict__["_reason"] = make(award)
        award.__dict__.pop("_make_reasons", None)
    return reason


def _set_reason(award: Award, reason: np.ndarray) -> None:
    award.__dict__["_reason"] = reason


def _detail(award: Award) -> dict[str, np.ndarray]:
    if "_make_reasons" in award.__dict__:  # the values the reasons show come with them
        _reason(award)
    return award.__dict__["_detail"]


def _set_detail(award: Award, detail: dict[str, np.ndarray]) -> None:
    award.__dict__["_detail"] = detail


# int16 reason codes (see code() and calc.explain), worded when first read where the engine computed without them,
# and the values they show
Award.reason = property(_reason, _set_reason)
Award.detail = property(_detail, _set_detail)


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
    are chosen with logic instead.  Reasons not worded (NO_REASONS) stay so.
    """
    if yes is NO_REASONS or no is NO_REASONS:
        return NO_REASONS
    if np.asarray(yes).dtype == bool and np.asarray(no).dtype == bool:
        return (condition & yes) | (~condition & no)
    if np.ndim(no) == 0 and no == 0:  # an amount where the condition holds, else nothing: one pass
        return yes * condition
    step = np.subtract(yes, no)
    if np.ndim(condition) == 0:
        return no + step * condition
    if np.ndim(step) == 0:  # two typed scalars: the condition as 0/1 of their type, scaled and moved in place
        out = condition.astype(step.dtype)
        out *= step
    else:  # the difference is a new array: scaled in place (no further temporary)
        out = step
        out *= condition
    out += no
    return out


def first_of(conditions: list[np.ndarray], values: list, default):
    """``np.select``: the value of the first condition that holds, else ``default`` (by ``pick``)."""
    if default is NO_REASONS or any(value is NO_REASONS for value in values):
        return NO_REASONS
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


# ----------------------------------------------------------------------------- three-valued (Kleene) logic
#
# A condition is decided as soon as the known inputs decide it: "a and b" is false when either is known false,
# "a or b" true when either is known true, a sum with blank parts lies between its known part and that plus the
# blanks' bounds, and a comparison is decided when both ends of that range agree.  Every combinator carries
# ``needs`` (which blank columns leave the answer open, row by row), so a needs_input result names exactly the
# inputs that would decide it.

def _needs_of(cols, undecided: np.ndarray) -> dict:
    """The union of the operands' needs on the rows still undecided (an operand's needs only where it is unknown)."""
    out: dict[str, np.ndarray] = {}
    for c in cols:
        if c.complete:
            continue
        for name, mask in c.missing().items():
            rows = mask & ~c.known & undecided
            out[name] = out[name] | rows if name in out else rows
    return {k: v for k, v in out.items() if v.any()}


def truth(value: np.ndarray, n: int | None = None) -> Col:
    """A yes/no Col known everywhere."""
    value = np.asarray(value, dtype=bool)
    if value.ndim == 0:
        value = np.full(n, bool(value))
    col = Col(value, np.ones(len(value), dtype=bool), {})
    col._complete = True
    return col


def _fold(op: np.ufunc, cols) -> np.ndarray:
    """``op`` over the columns' values pairwise (``op.reduce`` would first copy them into one 2-D array)."""
    out = cols[0].values
    for c in cols[1:]:
        out = op(out, c.values)
    return out


def k_and(*cols: Col) -> Col:
    """Kleene ``and``: false where any is known false, true where all are known true, unknown otherwise."""
    if all(c.complete for c in cols):
        return truth(_fold(np.logical_and, cols))
    some_false = np.zeros(len(cols[0]), dtype=bool)
    all_true = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        some_false |= c.known & ~c.values
        all_true &= c.known & c.values
    known = some_false | all_true
    return Col(all_true, known, _needs_of(cols, ~known))


def k_or(*cols: Col) -> Col:
    """Kleene ``or``: true where any is known true, false where all are known false, unknown otherwise."""
    if all(c.complete for c in cols):
        return truth(_fold(np.logical_or, cols))
    some_true = np.zeros(len(cols[0]), dtype=bool)
    all_false = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        some_true |= c.known & c.values
        all_false &= c.known & ~c.values
    known = some_true | all_false
    return Col(some_true, known, _needs_of(cols, ~known))


def k_not(c: Col) -> Col:
    return Col(~c.values & c.known, c.known, c.needs)


def k_if(condition: Col, then: Col, otherwise: Col) -> Col:
    """``then`` where the condition holds, ``otherwise`` where it does not; known where the condition is known and
    the branch taken is known, or where both branches are known and agree."""
    agree = then.known & otherwise.known & (then.values == otherwise.values)
    value = np.where(condition.known, np.where(condition.values, then.values, otherwise.values), then.values)
    known = np.where(condition.known, np.where(condition.values, then.known, otherwise.known), agree)
    taken = [condition, Col(then.values, then.known | (condition.known & ~condition.values), then.needs),
             Col(otherwise.values, otherwise.known | (condition.known & condition.values), otherwise.needs)]
    return Col(value & known, known, _needs_of(taken, ~known))


def k_sum(*cols: Col) -> Col:
    """A sum of counts or amounts: the known part as ``values``, ``high`` with every blank at its bound;
    ``known`` where every part is known."""
    if all(c.complete and c.high is None for c in cols):
        total = cols[0].values
        for c in cols[1:]:
            total = total + c.values
        out = Col(total, np.ones(len(total), dtype=bool), {})
        out._complete = True
        return out
    low = np.zeros(len(cols[0]), dtype=np.int64)
    high = np.zeros(len(cols[0]), dtype=np.int64)
    known = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        lo, hi = c.low_high()
        low = low + lo
        high = high + hi  # a few bounds (≤ MAX_MONEY_FEN each): far inside int64
        known &= c.known
    needs: dict[str, np.ndarray] = {}
    for c in cols:
        for name, mask in c.missing().items():
            needs[name] = needs[name] | mask if name in needs else mask & True
    return Col(low, known, needs, high)


def k_minus(c: Col, amount) -> Col:
    """``c − amount`` held at 0 (a count less the lead, say), with its range moved alike."""
    low, high = c.low_high()
    return Col(np.maximum(low - amount, 0), c.known, c.needs, np.maximum(high - amount, 0))


def k_compare(c: Col, comparison: str, threshold) -> Col:
    """``c <comparison> threshold`` decided wherever every value ``c`` can take gives the same answer."""
    if c.complete:
        return truth(satisfies(c.values, comparison, threshold))
    low, high = c.low_high()
    if comparison in (">", ">="):
        true, false = satisfies(low, comparison, threshold), ~satisfies(high, comparison, threshold)
    elif comparison in ("<", "<="):
        true, false = satisfies(high, comparison, threshold), ~satisfies(low, comparison, threshold)
    else:
        ok = satisfies(low, comparison, threshold)
        true, false = ok & c.known, ~ok & c.known
    known = true | false
    return Col(true, known, {k: v & ~known for k, v in c.missing().items()})


def k_greater(a: Col, b: Col) -> Col:
    """``a > b`` for two columns (this year's R&D above last year's), decided from their ranges."""
    if a.complete and b.complete:
        return truth(a.low_high()[0] > b.low_high()[1])
    alow, ahigh = a.low_high()
    blow, bhigh = b.low_high()
    true, false = alow > bhigh, ahigh <= blow
    known = true | false
    return Col(true, known, _needs_of([a, b], ~known))


def k_share(part: Col, whole: Col, rate: Fraction, strict: bool = False, *, empty_passes: bool = False,
            part_of_whole: bool = True) -> Col:
    """``part / whole ≥ rate`` (``>`` when strict), exact, decided from the ranges of both.

    The share is at least low(part) / high(whole); at most high(part) / max(low(whole), high(part)) when the part
    is counted in the whole (enterprises among the members), high(part) / low(whole) otherwise (R&D against
    revenue).  An empty whole (0) meets the share only when ``empty_passes``.
    """
    plow, phigh = part.low_high()
    wlow, whigh = whole.low_high()
    ok = lambda p, w: ratio_at_least(p, np.maximum(w, 1), rate, strict)
    can_be_empty = (wlow == 0) & (~part_of_whole | (plow == 0)) if part_of_whole else (wlow == 0)
    true = np.where(whigh == 0, empty_passes, ok(plow, whigh) & (~can_be_empty | empty_passes))
    den = np.maximum(wlow, phigh) if part_of_whole else wlow
    nonempty_fail = np.where(den > 0, ~ok(phigh, den), (phigh == 0) & ~ok(np.zeros_like(phigh), 1))
    false = np.where(whigh == 0, not empty_passes, nonempty_fail & (~can_be_empty | (not empty_passes)))
    true, false = np.asarray(true, dtype=bool), np.asarray(false, dtype=bool)
    known = true | false
    return Col(true & known, known, _needs_of([part, whole], ~known))


def check_from(ctx: Ctx, tri: Col, **fields) -> Check:
    """A criterion's Check from its three-valued outcome: the result codes and the inputs that would decide it."""
    strength = ctx.option("strength") if "strength" in ctx.node.options else ctx.node.strength
    result = results_from(tri.values, tri.known, strength)
    missing = {k: v & ~tri.known for k, v in tri.missing().items()}
    return Check(result=result, missing={k: v for k, v in missing.items() if v.any()}, **fields)


def threshold_check(ctx: Ctx, col: Col, param: str, unit: str = "count") -> Check:
    """The usual criterion: one measured column (or a sum with blank parts) against one dated threshold.

    Decided as soon as every value the blanks allow gives the same answer: 8 known members meet "7个(含)以上"
    whatever the blank counts are; a known part already above a maximum fails it.  The value shown is the known
    part (``partial`` marks rows decided with blanks)."""
    threshold = ctx.p(param)
    comparison = ctx.comparison(param)
    tri = k_compare(col, comparison, threshold)
    low, high = col.low_high()
    decided_by = low if comparison in ("<", "<=") else high  # the end that decided a failure
    partial = tri.known & ~col.known
    return check_from(
        ctx, tri,
        value=np.where(tri.known, low, 0),
        threshold=threshold,
        shortfall=np.where(tri.known & ~tri.values, shortfall_to(decided_by, comparison, threshold), 0),
        unit=unit,
        comparison=comparison,
        partial=partial if partial.any() else None,
    )


def flag_check(ctx: Ctx, col: Col) -> Check:
    """A yes/no condition (an agreement signed, a chief scientist appointed)."""
    return check_from(ctx, col, value=col.values, unit="bool")


def apply_scope(check: Check, applies: Col) -> Check:
    """Mark rows the criterion does not apply to as ``not_applicable``; unknown applicability → needs_input
    (unless the criterion passes anyway: then it is met whether or not it applies)."""
    result = pick(applies.known & ~applies.values, NOT_APPLICABLE, check.result)
    scope_open = ~applies.known & (check.result != PASS)
    result = pick(scope_open, NEEDS_INPUT, result)
    check.result = result.astype(np.int8, copy=False)
    missing = {k: v & (check.result == NEEDS_INPUT) for k, v in check.missing.items()}
    for k, v in applies.missing().items():
        missing[k] = (missing[k] if k in missing else np.zeros(len(v), dtype=bool)) | (v & scope_open)
    check.missing = {k: v for k, v in missing.items() if v.any()}
    return check


def totaltruth(*cols: Col) -> Col:
    """The sum of several counts: the known part, with the range its blanks allow (see :func:`k_sum`)."""
    return k_sum(*cols)


INT64_MAX = int(np.iinfo(np.int64).max)


def _exact_product(values: np.ndarray, factor: int) -> np.ndarray:
    """``values × factor`` exactly: int64 when every product is at most MAX_INT64_PRODUCT (so a few of them can be
    added or subtracted without wrapping), Python integers (an object array) otherwise."""
    values = np.asarray(values, dtype=np.int64) if np.asarray(values).dtype != object else np.asarray(values)
    if values.dtype == object:
        return values * factor
    largest = max(int(values.max()), -int(values.min())) if values.size else 0
    if abs(factor) <= MAX_INT64_PRODUCT and largest * abs(factor) <= MAX_INT64_PRODUCT:  # checked in Python ints
        return values * factor
    return values.astype(object) * factor


def _exact_floordiv(values: np.ndarray, divisor: int) -> np.ndarray:
    """``values // divisor`` (divisor > 0) for int64 or exact (object) arrays, whatever the divisor's size."""
    values = np.asarray(values)
    if values.dtype != object and divisor > INT64_MAX:
        return values.astype(object) // divisor
    return values // divisor


def ratio_at_least(numerator: np.ndarray, denominator: np.ndarray, rate: Fraction, strict: bool = False,
                   bound: int | None = None) -> np.ndarray:
    """``numerator / denominator >= rate`` in exact integer arithmetic (denominator > 0 assumed where it matters).
    ``bound``: a known bound of both operands' magnitudes (see :func:`mul_rate`)."""
    p, q = rate.numerator, rate.denominator
    if bound is not None and bound * max(abs(p), q) <= MAX_INT64_PRODUCT:
        lhs = numerator * q if q != 1 else numerator
        rhs = denominator * p if p != 1 else denominator
        return lhs > rhs if strict else lhs >= rhs
    lhs = _exact_product(numerator, rate.denominator)
    rhs = _exact_product(denominator, rate.numerator)
    return np.asarray(lhs > rhs if strict else lhs >= rhs, dtype=bool)


def mul_rate(amount_fen: np.ndarray, rate: Fraction, rounding: str = "fen", bound: int | None = None) -> np.ndarray:
    """``amount × rate`` exactly, rounded down to the fen, or to the yuan with ``rounding="floor_yuan"`` (int64 fen
    in, int64 fen out).  ``bound``: a known upper bound of the amounts (a column within calc.limits), which spares
    the scan that otherwise proves the product fits in int64.

    One division: ⌊⌊a·p/q⌋ / 100⌋ = ⌊a·p / (100·q)⌋ for whole numbers, so flooring to the yuan costs nothing more.
    The result is at most the amount for a rate ≤ 100% (the only rates paid), so it fits where the amount did.
    """
    unit = FEN_PER_YUAN if rounding == "floor_yuan" else 1
    p, q = rate.numerator, rate.denominator * unit
    if bound is not None and 0 <= p and bound * p <= MAX_INT64_PRODUCT and q <= INT64_MAX:
        product = amount_fen * p if p != 1 else amount_fen
    else:
        product = _exact_product(amount_fen, p)
    out = np.asarray(_exact_floordiv(product, q)).astype(np.int64, copy=False)
    return out * unit if unit != 1 else out


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


def round_amount(amount_fen: np.ndarray, rounding: str, in_place: bool = False) -> np.ndarray:
    """Round an award as its item's data says: down to the yuan, or kept to the fen.  ``in_place``: the array is
    the caller's own, rounded where it is (no new array)."""
    if rounding == "floor_yuan":
        if in_place:
            amount_fen //= FEN_PER_YUAN
            amount_fen *= FEN_PER_YUAN
            return amount_fen
        return (amount_fen // FEN_PER_YUAN) * FEN_PER_YUAN
    return amount_fen


def level_index(words: np.ndarray) -> np.ndarray:
    """Platform levels (``none`` < ``municipal`` < ``provincial`` < ``national``) as ordered integers, -1 if unknown."""
    return pd.Categorical(words, categories=LEVELS, ordered=True).codes.astype(np.int64, copy=False)


def level_of_text(text: str) -> int:
    """The level a policy's text names ("市级", "省部级"), as an index into LEVELS."""
    return LEVELS.index(LEVEL_WORDS.get(text, text))


def needs_reasons(missing: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Reason codes ``needs:<col>+<col>…`` naming, per row, the blank inputs that would decide it (0 elsewhere).

    Vectorised: the rows' combinations are numbered as bit masks, and one code is made per distinct combination."""
    if not reasons_worded():
        return NO_REASONS
    names = list(missing)
    out = np.zeros(n, dtype=np.int16)
    if not names:
        return out
    if len(names) > np.iinfo(np.uint16).bits:  # more blank inputs than a uint16 holds: number them by sorting
        bits = np.zeros(n, dtype=np.int64)
        for i, name in enumerate(names):
            bits |= missing[name].astype(np.int64) << i
        uniques, inverse = np.unique(bits, return_inverse=True)
        codes = np.array([code("needs:" + "+".join(nm for i, nm in enumerate(names) if u >> i & 1)) if u else 0
                          for u in uniques], dtype=np.int16)
        return codes[inverse.reshape(-1)]
    bits = np.zeros(n, dtype=np.uint16)
    for i, name in enumerate(names):
        bits |= missing[name].view(np.uint8) << np.uint16(i) if i else missing[name]
    present = np.flatnonzero(np.bincount(bits, minlength=1))
    table = np.zeros(1 << len(names), dtype=np.int16)
    for u in present[present > 0]:
        table[u] = code("needs:" + "+".join(nm for i, nm in enumerate(names) if u >> i & 1))
    return table[bits]


def first_failed_reason(ctx: Ctx, conditions: list[tuple[Col, str]]) -> np.ndarray | _NoReasons:
    """Per row, the reason of the first condition known to fail (in the order listed), 0 where none is."""
    if not reasons_worded():
        return NO_REASONS
    reason = np.int16(0)  # a scalar until the first condition: one pass instead of three
    for col, key in reversed(conditions):
        reason = pick(~col.values if col.complete else col.known & ~col.values, code(key), reason)
    return np.asarray(reason, dtype=np.int16) if np.ndim(reason) else np.zeros(ctx.n, dtype=np.int16)


def decide(ctx: Ctx, conditions: list[tuple[Col, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An item's conditions, all required (Kleene ``and``): (granted mask, status, reason).

    The first condition known to fail (in the order listed) gives not_eligible and its reason, even where other
    inputs are blank; where none fails and one is unknown, needs_input names the blank inputs that would decide."""
    tri = k_and(*(c for c, _ in conditions))
    reason = first_failed_reason(ctx, conditions)
    if tri.complete:
        return tri.values, pick(tri.values, GRANTED, NOT_ELIGIBLE).astype(np.int8, copy=False), reason
    missing = {k: v & ~tri.known for k, v in tri.missing().items()}
    reason = pick(tri.known, reason, needs_reasons(missing, ctx.n)).astype(np.int16, copy=False)
    status = pick(tri.known, pick(tri.values, GRANTED, NOT_ELIGIBLE), NEEDS_INPUT_ITEM).astype(np.int8, copy=False)
    return tri.values & tri.known, status, reason


def unknown_award(ctx: Ctx, column: str) -> Award:
    """Every row needs ``column`` (it was not given at all)."""
    return Award(np.zeros(ctx.n, dtype=np.int64), np.full(ctx.n, NEEDS_INPUT_ITEM, dtype=np.int8),
                 reason_column(ctx.n, f"needs:{column}"))


def by_rating(ctx: Ctx, column: str, amounts: dict[str, int], below_reason: str) -> Award:
    """An amount set by an evaluation grade (优秀/良好 …); other grades get nothing."""
    if not (ctx._codes(column)[0] >= 0).any():
        return unknown_award(ctx, column)
    rating = ctx.category(column)
    conditions = [ctx.is_in(column, [grade]).values for grade in amounts]
    amount = first_of(conditions, list(amounts.values()), np.int64(0)).astype(np.int64, copy=False)
    granted = amount > 0
    status = pick(~rating.known, NEEDS_INPUT_ITEM, pick(granted, GRANTED, NOT_ELIGIBLE))
    reason = pick(~rating.known, code(f"needs:{column}"),
                  pick(granted, code("granted_by_rating"), code(below_reason)))
    return Award(amount, status.astype(np.int8, copy=False), reason.astype(np.int16, copy=False),
                 {"rating": rating.values}, cleared=True, positive=True)  # granted where the amount is above 0


def per_count(ctx: Ctx, column: str, amount_param: str, none_reason: str) -> Award:
    """An amount per counted event (project, platform, person): count × amount (the reason shows both).

    count ≤ MAX_COUNT and amount ≤ MAX_UNIT_AMOUNT_FEN, so the product ≤ MAX_ITEM_FEN (10^17): no overflow.
    """
    n = ctx.count(column)
    unit = ctx.p(amount_param)
    if not n.known.any():
        award = unknown_award(ctx, column)
        award.scalars["unit"] = (unit, "yuan")
        return award
    amount = n.values * unit  # unknown counts are held as 0, and no count pays nothing: 0 where not granted
    some = n.values > 0
    status = pick(some, GRANTED, NOT_ELIGIBLE)
    reason = pick(some, code("granted_per_count"), code(none_reason))
    if not n.complete:
        status = pick(~n.known, NEEDS_INPUT_ITEM, status)
        reason = pick(~n.known, code(f"needs:{column}"), reason)
    return Award(amount, status.astype(np.int8, copy=False), reason.astype(np.int16, copy=False), {"count": n.values},
                 {"unit": (unit, "yuan")}, cleared=True, positive=unit > 0)


def on_flag(ctx: Ctx, column: str, amount: int, no_reason: str) -> Award:
    """A set amount when a yes/no fact holds."""
    f = ctx.flag(column)
    if not f.known.any():
        return unknown_award(ctx, column)
    status = pick(~f.known, NEEDS_INPUT_ITEM, pick(f.values, GRANTED, NOT_ELIGIBLE))
    reason = pick(~f.known, code(f"needs:{column}"), pick(f.values, code("granted_fixed"), code(no_reason)))
    return Award(pick(f.known & f.values, amount, 0).astype(np.int64, copy=False), status.astype(np.int8, copy=False),
                 reason.astype(np.int16, copy=False), cleared=True)


# ----------------------------------------------------------------------------- shared by several policies

def all_members(ctx: Ctx) -> Col:
    """Every member unit, the lead included: a sum whose blank parts leave a range (see :func:`k_sum`).

    The members registered locally (``local_units``, checked by the loader to be at most the members) are a
    lower bound too: 14 local units and a blank count of institutes are at least 14 members."""
    total = k_sum(ctx.count("enterprises"), ctx.count("universities"),
                  ctx.count("research_institutes"), ctx.count("other_units"))
    local = ctx.count("local_units")
    if local.known.any() and not total.known.all():
        low = np.where(local.known & ~total.known, np.maximum(total.values, local.values), total.values)
        total = Col(low, total.known, total.needs, total.high)
    return total


def both(a: Col, b: Col) -> Col:
    """``a and b`` with what is known (Kleene): known when both are known, or when either is known to be false."""
    return k_and(a, b)


def registered_lead_enterprise(ctx: Ctx, region: str) -> Check:
    """The lead is an enterprise (lead_type ``enterprise``) registered in ``region`` (lead_region)."""
    lead = ctx.category("lead_type")
    where = ctx.category("lead_region")
    is_enterprise = Col(lead.values == "enterprise", lead.known, lead.needs)
    registered_here = Col(where.values == region, where.known, where.needs)
    ok = k_and(is_enterprise, registered_here)
    return check_from(ctx, ok, value=ok.values, unit="bool",
                      detail={"lead_type": lead.values, "lead_region": where.values})


def platform_at_least(ctx: Ctx, param: str = "min_level") -> Check:
    """The lead's highest platform level against a level named in the text (省级, 省部级 …)."""
    platform = ctx.category("lead_platform_level")
    level = level_index(np.where(platform.known, platform.values, None))  # None, not "": no unknown category
    known = platform.known & (level >= 0)
    threshold = level_of_text(ctx.p(param))
    tri = Col(level >= threshold, known, {"lead_platform_level": ~known})
    return check_from(ctx, tri, value=platform.values, threshold=ctx.p(param), unit="level")


# the input's columns for the last fiscal years, latest first
RD_YEAR_COLUMNS = ("lead_rd", "lead_rd_prev", "lead_rd_prev2")
REVENUE_YEAR_COLUMNS = ("lead_revenue", "lead_revenue_prev", "lead_revenue_prev2")


def declare_year_span(parameter_id: str) -> None:
    """A parameter giving how many fiscal years :func:`years_rd_test` reads: 1 … the input's year columns."""
    declare_range(parameter_id, 1, len(RD_YEAR_COLUMNS),
                  f"a span of fiscal years read from the input's columns ({', '.join(RD_YEAR_COLUMNS)})", "count")


def years_rd_test(ctx: Ctx, amount_param: str, ratio_param: str, per_year: bool, years_param: str = "years"):
    """R&D over the last (at most) three fiscal years operated: an amount **or** a share of revenue (Kleene).

    ``per_year``: the amount is a yearly average (厦门: 年均 ≥ X ⇔ total ≥ X × years), else a total (海南).  A
    year beyond the years operated is not needed (实际经营期不满三年的按实际经营时间计算); with the years
    operated blank and a year's figure blank too, every possible span is tried and the result is decided when they
    all agree.  The share needs revenue > 0.

    Returns (tri, total R&D known part, total revenue known part, years, the amount's shortfall per year or in all).
    """
    span = ctx.p(years_param)  # 1 … len(RD_YEAR_COLUMNS): declared by the rules that use it
    minimum, rate = ctx.p(amount_param), ctx.p(ratio_param)
    strict = ctx.comparison(ratio_param) == ">"
    years_op = ctx.count("lead_years_operating")
    rd_cols = [ctx.money(c) for c in RD_YEAR_COLUMNS][:span]
    rev_cols = [ctx.money(c) for c in REVENUE_YEAR_COLUMNS][:span]
    all_given = np.all([c.known for c in rd_cols + rev_cols], axis=0)
    # the span counted: the years operated (1 … span) when given; every year's figure given reads as the full span
    fixed = years_op.known | all_given
    years = np.where(years_op.known, np.clip(years_op.values, 1, span), span)
    outcomes = []
    for y in range(1, span + 1):
        rd, rev = k_sum(*rd_cols[:y]), k_sum(*rev_cols[:y])
        amount_ok = k_compare(rd, ">=", minimum * (y if per_year else 1))
        ratio_ok = k_share(rd, rev, rate, strict, part_of_whole=False)
        outcomes.append((k_or(amount_ok, ratio_ok), rd, rev))
    value = np.zeros(ctx.n, dtype=bool)
    known = np.zeros(ctx.n, dtype=bool)
    rd_total = np.zeros(ctx.n, dtype=np.int64)
    rev_total = np.zeros(ctx.n, dtype=np.int64)
    needs: dict[str, np.ndarray] = {}
    for y, (tri, rd, rev) in enumerate(outcomes, start=1):
        here = fixed & (years == y)
        value |= here & tri.values
        known |= here & tri.known
        rd_total = np.where(here, rd.values, rd_total)
        rev_total = np.where(here, rev.values, rev_total)
        for k, v in tri.missing().items():
            needs[k] = needs.get(k, np.zeros(ctx.n, dtype=bool)) | (v & here & ~tri.known)
    # years operated unknown: decided where every span gives the same known answer
    open_rows = ~fixed
    if open_rows.any():
        agree_true = np.all([t.known & t.values for t, _, _ in outcomes], axis=0)
        agree_false = np.all([t.known & ~t.values for t, _, _ in outcomes], axis=0)
        value |= open_rows & agree_true
        known |= open_rows & (agree_true | agree_false)
        undecided = open_rows & ~(agree_true | agree_false)
        for tri, _, _ in outcomes:
            for k, v in tri.missing().items():
                needs[k] = needs.get(k, np.zeros(ctx.n, dtype=bool)) | (v & undecided & ~tri.known)
        needs["lead_years_operating"] = undecided
        *_, (_, full_rd, full_rev) = outcomes
        rd_total = np.where(open_rows, full_rd.values, rd_total)
        rev_total = np.where(open_rows, full_rev.values, rev_total)
    tri = Col(value & known, known, {k: v for k, v in needs.items() if v.any()})
    per = np.maximum(years, 1) if per_year else 1
    shortfall = np.where(known & ~tri.values, shortfall_to(rd_total // per, ">=", minimum), 0)
    return tri, rd_total, rev_total, years, shortfall


def share_check(ctx: Ctx, part: Col, whole: Col, param: str = "min") -> Check:
    """``part / whole`` against a percentage, exactly (integers); an empty ``whole`` does not meet it.

    Decided from the ranges the blanks allow (:func:`k_share`).  The shortfall is how many more qualifying units
    (added to both part and whole) would reach the share: the least k with (part + k)·q ≥ p·(whole + k) for the
    rate p/q.
    """
    rate = ctx.p(param)
    strict = ctx.comparison(param) == ">"
    tri = k_share(part, whole, rate, strict)
    known_all = part.known & whole.known
    pv, wv = part.low_high()[0], whole.low_high()[0]
    p, q = rate.numerator, rate.denominator
    # exact (a fine rate's numerator and denominator can be far beyond int64); shown saturated at int64's top
    gap = _exact_product(wv, p) - _exact_product(pv, q) + (1 if strict else 0)
    need = _saturate(-_exact_floordiv(-np.maximum(gap, 0), q - p)) if q > p else np.zeros(ctx.n, dtype=np.int64)
    need = np.where(wv == 0, np.maximum(need, 1), need)
    share = np.divide(pv, wv, out=np.zeros(ctx.n), where=wv > 0)
    partial = tri.known & ~known_all
    return check_from(
        ctx, tri,
        value=np.where(tri.known, share, 0.0),
        threshold=rate,
        shortfall=np.where(known_all & ~tri.values, need, 0),
        unit="ratio",
        detail={"part": pv, "whole": wv},
        partial=partial if partial.any() else None,
        partial_sign="≤",
    )
