"""Policies as data: load, validate and query ``data/policies/*.yaml``.

Every number a rule uses comes from here.  A parameter is written in the YAML as
the text of the law (``text: 200万元``); its value is parsed from that text, the
text must stand in the parameter's quote and the quote must stand in the source
document under ``data/sources`` (compared after Unicode NFKC and with white
space removed), so a number cannot drift from its article.

Parameters are dated: each has one or more versions with ``from``/``until``
dates (by default the policy's own validity), and are looked up for an as-of
date, the way OpenFisca does.  Reforms (overrides) are applied on the same tree.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from calc.limits import (
    DEFAULT, MAX_COUNT, MAX_DATE, MAX_MONEY_FEN, MAX_PAID_RATE_PERCENT, MAX_RATE_DENOMINATOR,
    MAX_THRESHOLD_RATE_PERCENT, MAX_UNIT_AMOUNT_FEN, MAX_YEARS, MIN_DATE, Limits, size_text,
)
from calc.money import MoneyError, format_money, parse_money
from calc.resources import POLICIES as POLICY_DIR, SOURCES as SOURCE_DIR

UNITS = ("yuan", "count", "ratio", "years", "date", "level", "terms", "month_day")
COMPARISONS = (">", ">=", "<", "<=", "==")
STRENGTHS = ("hard", "soft")
KINDS = ("formula", "fixed", "ceiling", "info")
ROUNDINGS = ("floor_yuan", "floor_fen", "none")
SCOPES = ("recognition", "talent_consortium")

POLICY_KEYS = {
    "id", "title", "title_en", "issuer", "document_number", "jurisdiction", "source",
    "issued", "in_force_from", "in_force_until", "validity", "supersedes", "notes",
    "criteria", "items", "manual_checks", "obligations", "short_title", "supports",
}
VALIDITY_KEYS = {"article", "quote", "note", "assumption", "issued_between"}
NODE_KEYS_COMMON = {"title", "article", "quote", "parameters", "notes", "options"}
CRITERION_KEYS = NODE_KEYS_COMMON | {"strength", "scope", "applies_to"}
OBLIGATION_KEYS = NODE_KEYS_COMMON | {"applies_to"}
ITEM_KEYS = NODE_KEYS_COMMON | {
    "kind", "rounding", "per", "requires", "payer", "stacks_on", "exclusivity_group",
}
PARAMETER_KEYS = {"text", "unit", "comparison", "article", "quote", "values", "note", "value"}
VERSION_KEYS = {"text", "from", "until", "article", "quote", "value", "note"}
MANUAL_KEYS = {"id", "title", "article", "quote", "applies_to"}
SUPPORT_KEYS = {"id", "title", "article", "quote", "relation", "requires"}
OPTION_KEYS = {"default", "choices", "article", "quote", "note"}
GROUP_KEYS = {"members", "per", "rule", "tie_break", "reasoning", "policy", "article", "quote"}
STACKING_KEYS = {"item", "base", "policy", "article", "quote", "reasoning"}


class PolicyDataError(ValueError):
    """The policy data is malformed; the message names the file and the key."""


class RangeError(PolicyDataError):
    """A value outside its parameter's allowed range (the message gives the range)."""


# --------------------------------------------------------------------------- text helpers

def normalise_text(text: str) -> str:
    """NFKC and no white space: how quotes are compared with the source."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return re.sub(r"\s+", "", text)


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _parse_count_text(text: str) -> int:
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"(\d+)\s*(个|個|家|名|人|项|項|次|家单位|个单位|年)?", t)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"([一二两三四五六七八九十])\s*(个|家|名|人|项|次|年)?", t)
    if m:
        return _CN_DIGITS[m.group(1)]
    raise PolicyDataError(f"cannot read {text!r} as a count")


def _parse_ratio_text(text: str) -> Fraction:
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"([-+\u2212]?)\s*(\d+(?:\.\d+)?)\s*%", t)
    if not m:
        raise PolicyDataError(f"cannot read {text!r} as a percentage")
    return Fraction(m.group(2)) / 100 * (-1 if m.group(1) in ("-", "\u2212") else 1)


def parse_parameter_text(text: str, unit: str) -> Any:
    """The value a parameter's legal text states, in the engine's units.

    yuan -> int fen; count/years -> int; ratio -> Fraction; date -> datetime.date;
    level -> the text ("市级"); terms -> a tuple of the enumerated words.
    """
    if unit == "yuan":
        try:
            return parse_money(str(text))
        except MoneyError as exc:
            raise PolicyDataError(str(exc)) from exc
    if unit in ("count", "years"):
        return _parse_count_text(str(text))
    if unit == "ratio":
        return _parse_ratio_text(str(text))
    if unit == "date":
        return _parse_date(text)
    if unit == "level":
        return str(text)
    if unit == "month_day":  # a yearly deadline: "3月31日" -> (3, 31)
        m = re.fullmatch(r"(\d{1,2})月(?:(\d{1,2})日)?", unicodedata.normalize("NFKC", str(text)).strip())
        if not m:
            raise PolicyDataError(f"cannot read {text!r} as a day of the year")
        day = int(m.group(2)) if m.group(2) else None  # "3月": some day in March
        dt.date(2000, int(m.group(1)), day or 1)  # a real day (2000 is a leap year)
        return int(m.group(1)), day
    if unit == "terms":  # an enumeration in the text: "现代种业、数字经济" -> ("现代种业", "数字经济")
        return tuple(t for t in re.split(r"[、,，和及]", unicodedata.normalize("NFKC", str(text))) if t)
    raise PolicyDataError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")


def _bounded_date(owner: str, name: str, value: Any) -> dt.date:
    """``value`` (a date or YYYY-MM-DD) as a date within calc.limits' dates, else PolicyDataError naming it."""
    try:
        date = _parse_date(value) if isinstance(value, (str, dt.date)) else None
    except PolicyDataError:
        date = None
    if date is None:
        raise PolicyDataError(f"{owner}: {name} {_shown(value)} is not a date (YYYY-MM-DD)")
    if not MIN_DATE <= date <= MAX_DATE:
        raise PolicyDataError(f"{owner}: {name} {date} is outside the dates this calculator handles "
                              f"({MIN_DATE} to {MAX_DATE})")
    return date


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    t = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", t)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    try:
        return dt.date.fromisoformat(t)
    except ValueError as exc:
        raise PolicyDataError(f"cannot read {value!r} as a date") from exc


#: Longest text a user may give for one parameter value (a reform, a dashboard field): longer is not a value.
MAX_VALUE_TEXT = 1_000

# platform levels, lowest first, and the texts' words for them (the ``level`` unit's vocabulary)
LEVELS = ("none", "municipal", "provincial", "national")
LEVEL_WORDS = {"无": "none", "市级": "municipal", "省级": "provincial", "省部级": "provincial",
               "國家級": "national", "国家级": "national", "市級": "municipal", "省級": "provincial"}
PERCENT = 100


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool) or (
        type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf")


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(value)
    except (TypeError, ValueError, OverflowError):  # a Fraction or an int too large for a float is finite
        return True


def coerce_value(value: Any, unit: str) -> Any:
    """A value given by a user (a reform, an option) in the engine's units.

    Strings are read as legal text ("300万", "20%"); numbers are taken as they are
    for counts, as yuan for money and as a fraction for ratios (0.2 == 20%); a
    ``terms`` parameter also takes a list of words.  Anything else is a
    :class:`PolicyDataError` saying what was expected (ranges: :func:`check_value`).
    """
    if isinstance(value, str):
        if len(value) > MAX_VALUE_TEXT:
            raise PolicyDataError(f"a value of {len(value):,} characters is too long (at most {MAX_VALUE_TEXT:,})")
        return parse_parameter_text(value, unit)
    if unit == "terms":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(t for v in value for t in parse_parameter_text(v, "terms"))
        raise PolicyDataError(f"{_shown(value)} is not a list of words (e.g. 现代种业、数字经济)")
    if unit in ("level", "month_day"):
        raise PolicyDataError(f"{_shown(value)} is not {_UNIT_WORDS[unit]}")
    if unit == "date":
        if isinstance(value, (dt.date, dt.datetime)):
            return _parse_date(value)
        raise PolicyDataError(f"{_shown(value)} is not a date (YYYY-MM-DD)")
    if not _is_number(value):
        raise PolicyDataError(f"{_shown(value)} is not {_UNIT_WORDS.get(unit, 'a value')}")
    if not _finite(value):
        raise PolicyDataError(f"{_shown(value)} is not a finite number")
    if unit == "yuan":
        try:
            return parse_money(value)
        except MoneyError as exc:
            raise PolicyDataError(str(exc)) from exc
    if unit in ("count", "years"):
        if value != int(value) or value < 0:
            raise PolicyDataError(f"{_shown(value)} is not a whole non-negative number")
        return int(value)
    if unit == "ratio":
        if isinstance(value, float) or (hasattr(value, "dtype") and value.dtype.kind == "f"):
            return Fraction(repr(float(value)))
        return Fraction(value)
    raise PolicyDataError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")


_UNIT_WORDS = {"yuan": "an amount of money (e.g. 300万)", "ratio": "a percentage (e.g. 20%)",
               "count": "a whole number", "years": "a whole number of years",
               "date": "a date (YYYY-MM-DD)", "level": f"a platform level ({'、'.join(LEVEL_WORDS)})",
               "terms": "a list of words", "month_day": "a day of the year (e.g. 3月31日)"}


def _shown(value: Any) -> str:
    try:
        text = repr(value) if not isinstance(value, str) else f"'{value}'"
    except RecursionError:  # a structure nested too deeply to print
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "…"


def show_value(value: Any, unit: str) -> str:
    """A value in the engine's units as people read it: ¥3,000,000 / 20% / 3 / 2026-01-01 (cut if very long)."""
    text = _show_value(value, unit)
    return text if len(text) <= 60 else f"{text[:24]}…({len(text):,} characters)"


def _show_value(value: Any, unit: str) -> str:
    if unit == "yuan" and isinstance(value, int):
        return format_money(value, "en")
    if unit == "ratio" and isinstance(value, Fraction):
        percent = value * PERCENT
        if percent.denominator == 1:
            return f"{percent.numerator}%"
        scaled, digits = percent, 0
        while scaled.denominator != 1 and digits < 30:
            scaled, digits = scaled * 10, digits + 1
        if scaled.denominator == 1:  # a terminating decimal: exact
            sign, whole = ("-" if scaled < 0 else ""), abs(scaled.numerator)
            text = str(whole).rjust(digits + 1, "0")
            return f"{sign}{text[:-digits]}.{text[-digits:]}%"
        return f"{value} (≈ {float(percent):.6g}%)"
    if isinstance(value, (dt.date, int)):
        return str(value) if not isinstance(value, int) else f"{value:,}"
    if isinstance(value, tuple):
        return "、".join(map(str, value))
    return str(value)


# --------------------------------------------------------------------------- allowed ranges

@dataclass(frozen=True)
class Range:
    """The values a parameter may take, both ends included, and what kind of number it is (for messages)."""

    low: Any
    high: Any
    what: str
    unit: str

    def text(self) -> str:
        return f"{show_value(self.low, self.unit)} to {show_value(self.high, self.unit)}"


#: Ranges a rule needs beyond its parameter's role (a divisor above 0, a span of the input's year columns):
#: declared by the rules (calc.rules.base.declare_range) next to the code that needs them.
RULE_RANGES: dict[str, Range] = {}


def _rule_ranges() -> dict[str, Range]:
    import calc.rules  # noqa: F401  (the rules declare their ranges when they are registered)
    return RULE_RANGES


def parameter_range(parameter_id: str, unit: str, comparison: str | None, role: str) -> Range | None:
    """The range of a parameter, by what it is (documented bounds in calc.limits); None for words and days.

    yuan: an amount an item pays (fixed, per unit, a cap: no comparison) 0 … MAX_UNIT_AMOUNT_FEN; anything else
    (a threshold, a stated sum) 0 … MAX_MONEY_FEN.  ratio: a rate compared with (a comparison) 0 … 1000%, a rate
    paid 0 … 100%.  count: 0 … MAX_COUNT.  years: 0 … MAX_YEARS.  date: MIN_DATE … MAX_DATE.
    A rule may narrow its own parameter (:data:`RULE_RANGES`).
    """
    declared = _rule_ranges().get(parameter_id)
    if declared is not None:
        return declared
    compared = comparison is not None
    if unit == "yuan":
        if role == "item" and not compared:
            return Range(0, MAX_UNIT_AMOUNT_FEN, "an amount an item pays (fixed, per unit or a cap)", unit)
        return Range(0, MAX_MONEY_FEN, "an amount of money", unit)
    if unit == "ratio":
        if compared:
            return Range(Fraction(0), Fraction(MAX_THRESHOLD_RATE_PERCENT, PERCENT), "a rate compared with", unit)
        return Range(Fraction(0), Fraction(MAX_PAID_RATE_PERCENT, PERCENT), "a rate paid", unit)
    if unit == "count":
        return Range(0, MAX_COUNT, "a count", unit)
    if unit == "years":
        return Range(0, MAX_YEARS, "a number of years", unit)
    if unit == "date":
        return Range(MIN_DATE, MAX_DATE, "a date", unit)
    return None


def check_value(parameter_id: str, unit: str, comparison: str | None, role: str, value: Any) -> Any:
    """``value`` (already in the engine's units) if the parameter may take it; PolicyDataError otherwise."""
    if unit == "level":
        if not isinstance(value, str) or LEVEL_WORDS.get(value.strip(), value.strip()) not in LEVELS:
            raise PolicyDataError(f"{_shown(value)} is not a platform level; use one of "
                                  f"{', '.join(LEVEL_WORDS)} (or {', '.join(LEVELS)})")
        return value.strip()
    if unit == "terms":
        if not isinstance(value, tuple) or not all(isinstance(t, str) and t.strip() for t in value):
            raise PolicyDataError(f"{_shown(value)} is not a list of words")
        return value
    if unit == "ratio" and value.denominator > MAX_RATE_DENOMINATOR:
        raise PolicyDataError(f"{_shown(value)} is more precise than this calculator keeps (a rate's lowest-terms "
                              f"denominator may be at most 10^{len(str(MAX_RATE_DENOMINATOR)) - 1})")
    allowed = parameter_range(parameter_id, unit, comparison, role)
    if allowed is not None and not allowed.low <= value <= allowed.high:
        raise RangeError(f"{show_value(value, unit)} is out of range: {allowed.what} must be "
                              f"{allowed.text()}")
    return value


# --------------------------------------------------------------------------- model

@dataclass(frozen=True)
class Citation:
    policy_id: str
    article: str
    quote: str
    source: str = ""

    def short(self) -> str:
        return f"{self.article}：「{self.quote}」"


@dataclass(frozen=True)
class Version:
    value: Any
    text: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    citation: Citation

    def applies(self, as_of: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= as_of) and (
            self.valid_until is None or as_of <= self.valid_until
        )


@dataclass(frozen=True)
class Parameter:
    id: str
    unit: str
    comparison: str | None
    versions: tuple[Version, ...]
    note: str = ""
    role: str = ""  # what owns it: "criterion", "item" or "obligation" (decides its allowed range)

    def version_at(self, as_of: dt.date) -> Version | None:
        for version in reversed(self.versions):
            if version.applies(as_of):
                return version
        return None

    def value_at(self, as_of: dt.date) -> Any:
        version = self.version_at(as_of)
        return None if version is None else version.value

    @property
    def citation(self) -> Citation:
        return self.versions[-1].citation

    @property
    def allowed(self) -> Range | None:
        """The values it may take (None for words and days of the year, which are checked by kind)."""
        return parameter_range(self.id, self.unit, self.comparison, self.role)

    def coerce(self, raw: Any) -> Any:
        """A user's value for this parameter, in the engine's units and within its range; PolicyDataError naming
        the parameter, the value and the allowed range otherwise."""
        try:
            return check_value(self.id, self.unit, self.comparison, self.role, coerce_value(raw, self.unit))
        except RangeError as exc:
            raise PolicyDataError(f"{self.id} = {_shown(raw)}: {exc}") from None
        except (PolicyDataError, MoneyError, ValueError, TypeError, ArithmeticError) as exc:
            allowed = self.allowed
            also = f"; allowed: {allowed.what}, {allowed.text()}" if allowed is not None else ""
            raise PolicyDataError(f"{self.id} = {_shown(raw)}: {exc}{also}") from None


@dataclass(frozen=True)
class Option:
    id: str
    default: str
    choices: Mapping[str, str]
    citation: Citation | None
    note: str = ""


@dataclass(frozen=True)
class Node:
    """A criterion or an item: one rule of one article."""

    id: str  # "<policy_id>.<name>"
    policy_id: str
    name: str
    title_zh: str
    title_en: str
    citation: Citation
    parameters: Mapping[str, Parameter]
    options: Mapping[str, Option]
    notes: str = ""
    # criteria
    strength: str = "hard"
    scope: str = "recognition"
    applies_to: str = ""
    # items
    kind: str = ""
    rounding: str = "none"
    per: str = ""
    requires: tuple[str, ...] = ()
    payer: str = ""
    stacks_on: str = ""
    exclusivity_group: str = ""


@dataclass(frozen=True)
class ManualCheck:
    id: str
    policy_id: str
    title_zh: str
    title_en: str
    citation: Citation
    applies_to: str = ""


def _years_on(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February → 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Assumption:
    """A date the data assumes, as it bears on a result (see :meth:`PolicySet.assumptions`)."""

    policy_id: str
    start: dt.date
    end: dt.date | None
    uncertain: bool  # the as-of date falls in the months where the assumption decides
    set_by_user: bool  # the dates were set with PolicySet.with_validity
    first_day_window: tuple[dt.date, dt.date] | None  # earliest and latest possible first day
    last_day_window: tuple[dt.date, dt.date] | None  # earliest and latest possible last day
    text_zh: str
    text_en: str

    def text(self, lang: str = "zh") -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Support:
    """A support a consortium policy states without an amount (优先推荐, 支持申报 …): listed with its article."""

    id: str
    policy_id: str
    title_zh: str
    title_en: str
    citation: Citation
    relation: str = ""  # how it relates to other supports (就高不重复 …), in words
    requires: str = ""  # who it is for, in words


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    title_en: str
    issuer: str
    document_number: str | None
    jurisdiction: str
    source: str
    issued: dt.date | None
    in_force_from: dt.date
    in_force_until: dt.date | None
    validity: Citation
    validity_note: str
    validity_assumption: str
    supersedes: str | None
    criteria: Mapping[str, Node]
    items: Mapping[str, Node]
    manual_checks: tuple[ManualCheck, ...]
    notes: str = ""
    obligations: Mapping[str, Node] = field(default_factory=dict)  # deadlines, cycles, bans: stated, not computed
    short_title: str = ""  # for display in simplified characters: 《若干措施》, 《青岛市创新联合体组建工作指引》
    issued_between: tuple[dt.date, dt.date] | None = None  # an unknown issue date's earliest and latest day
    supports: tuple["Support", ...] = ()  # supports stated without an amount (listed, not computed)

    @property
    def display_title(self) -> str:
        return self.short_title or f"《{self.title}》"

    def uncertain_windows(self) -> list[tuple[dt.date, dt.date]]:
        """Where an assumed issue date decides validity: [earliest, latest] first day and the last days that follow
        (the same span after the assumed end).  Empty when the dates are known."""
        if self.issued_between is None:
            return []
        early, late = self.issued_between
        windows = [(early, late)]
        if self.in_force_until is not None:
            years = (self.in_force_until + dt.timedelta(days=1)).year - self.in_force_from.year
            try:  # "有效期N年": the last day is the day before the first day's date N years on
                whole_years = _years_on(self.in_force_from, years) - dt.timedelta(days=1) == self.in_force_until
                last = _years_on(late, years) - dt.timedelta(days=1) if whole_years else \
                    self.in_force_until + (late - self.in_force_from)
            except ValueError:
                last = self.in_force_until + (late - self.in_force_from)
            windows.append((self.in_force_until, min(last, MAX_DATE)))
        return windows

    def in_force(self, as_of: dt.date) -> bool:
        return self.in_force_from <= as_of and (self.in_force_until is None or as_of <= self.in_force_until)

    def validity_text(self) -> str:
        until = self.in_force_until.isoformat() if self.in_force_until else "—"
        return f"{self.in_force_from.isoformat()} – {until}"


@dataclass(frozen=True)
class ExclusivityGroup:
    id: str
    members: tuple[str, ...]  # item ids, in tie-break order
    per: str
    reasoning: str
    citation: Citation


@dataclass(frozen=True)
class Stacking:
    item: str
    base: str
    reasoning: str
    citation: Citation


@dataclass
class PolicySet:
    policies: dict[str, Policy]
    groups: dict[str, ExclusivityGroup]
    stackings: tuple[Stacking, ...]
    overrides: tuple[tuple[str, Any, dt.date | None, dt.date | None], ...] = ()
    switched_off: frozenset[str] = frozenset()  # item ids a reform turns off
    validity_overrides: tuple[tuple[str, dt.date, dt.date | None], ...] = ()  # (policy id, from, until) set by with_validity

    # ------------------------------------------------------------------ dates
    def with_validity(self, policy_id: str, start: Any, end: Any = None) -> "PolicySet":
        """A new set where policy ``policy_id`` is in force from ``start`` to ``end`` (dates or YYYY-MM-DD; ``end``
        None: no end date) — for a document whose dates the data assumes (若干措施 三、「自印发之日起实施，有效期3年」
        gives no issue date).  Parameters dated with the policy's own validity move with it; a reform's own dates
        stay.  PolicyDataError when the policy is unknown, a date is not a date, outside calc.limits' dates
        (MIN_DATE … MAX_DATE), or start is after end."""
        if policy_id not in self.policies:
            raise PolicyDataError(f"unknown policy {_shown(policy_id)}; nearest: "
                                  f"{', '.join(self.nearest(str(policy_id), self.policies))}")
        dates = []
        for name, value in (("from", start), ("until", end)):
            if value is None and name == "until":
                dates.append(None)
                continue
            dates.append(_bounded_date(policy_id, name, value))
        start, end = dates
        if end is not None and end < start:
            raise PolicyDataError(f"{policy_id}: until {end} is before from {start}")
        old = self.policies[policy_id]

        def move(prm: Parameter) -> Parameter:
            versions = tuple(replace(v, valid_from=start if v.valid_from == old.in_force_from else v.valid_from,
                                     valid_until=end if v.valid_until == old.in_force_until else v.valid_until)
                             for v in prm.versions)
            return replace(prm, versions=versions)

        def moved(nodes: Mapping[str, Node]) -> dict[str, Node]:
            return {k: replace(n, parameters={pk: move(pv) for pk, pv in n.parameters.items()}) for k, n in nodes.items()}

        policy = replace(old, in_force_from=start, in_force_until=end, criteria=moved(old.criteria),
                         items=moved(old.items), obligations=moved(old.obligations))
        kept = tuple(o for o in self.validity_overrides if o[0] != policy_id)
        return replace(self, policies={**self.policies, policy_id: policy},
                       validity_overrides=kept + ((policy_id, start, end),))

    def assumptions(self, as_of: Any = None) -> list["Assumption"]:
        """The dates the data assumes (a document without an issue date) that a result on ``as_of`` depends on,
        each with its words in Chinese and English and ``uncertain``: ``as_of`` falls in the months where the
        assumption decides whether the policy is in force (between the earliest and the latest possible first day,
        or the earliest and the latest possible last day).  Dates set with :meth:`with_validity` are stated as set,
        and are not uncertain."""
        as_of = _parse_date(as_of) if as_of is not None else None
        set_by_user = {pid: (a, b) for pid, a, b in self.validity_overrides}
        out = []
        for policy in self.policies.values():
            if not policy.validity_assumption and policy.id not in set_by_user:
                continue
            start, end = policy.in_force_from, policy.in_force_until
            span = f"{start} – {end or '—'}"
            if policy.id in set_by_user:
                out.append(Assumption(
                    policy.id, start, end, False, True, None, None,
                    f"{policy.display_title}有效期按设定：{span}（{policy.validity.article}「{policy.validity.quote}」）",
                    f"{policy.title_en or policy.title}: in force {span} as set ({policy.validity.article})"))
                continue
            windows = policy.uncertain_windows()
            uncertain = as_of is not None and any(a <= as_of <= b for a, b in windows)
            first, last = windows if len(windows) == 2 else (None, None)
            zh = (f"{policy.display_title}{policy.validity.article}「{policy.validity.quote}」未载明印发日期，"
                  f"本测算假定有效期为{span}")
            en = (f"{policy.title_en or policy.title}: {policy.validity.article} gives no issue date; "
                  f"assumed in force {span} ({' '.join(policy.validity_assumption.split())})")
            if first is not None:
                zh += f"；实际首日可能在{first[0]}至{first[1]}之间，末日可能在{last[0]}至{last[1]}之间"
                en += f"; the first day may fall from {first[0]} to {first[1]}, the last from {last[0]} to {last[1]}"
            if uncertain:
                zh += f"；测算日{as_of}处于不确定区间，该政策是否有效取决于实际印发日期"
                en += f"; {as_of} lies in those months: whether the policy is in force depends on the real issue date"
            out.append(Assumption(policy.id, start, end, uncertain, False, first, last, zh, en))
        return out

    # ------------------------------------------------------------------ look-ups
    def node(self, node_id: str) -> Node:
        policy_id, _, name = node_id.partition(".")
        policy = self.policies.get(policy_id)
        if policy is not None:
            if name in policy.items:
                return policy.items[name]
            if name in policy.criteria:
                return policy.criteria[name]
        raise KeyError(f"no criterion or item {node_id!r}; nearest: {', '.join(self.nearest(node_id, self.node_ids()))}")

    def node_ids(self) -> list[str]:
        return [n.id for p in self.policies.values() for n in (*p.criteria.values(), *p.items.values())]

    def items(self) -> list[Node]:
        return [n for p in self.policies.values() for n in p.items.values()]

    def parameters(self) -> dict[str, Parameter]:
        return {
            prm.id: prm
            for p in self.policies.values()
            for n in (*p.criteria.values(), *p.items.values(), *p.obligations.values())
            for prm in n.parameters.values()
        }

    def parameter(self, parameter_id: str) -> Parameter:
        params = self.parameters()
        if parameter_id not in params:
            raise KeyError(
                f"unknown parameter {parameter_id!r}; nearest: {', '.join(self.nearest(parameter_id, params))}"
            )
        return params[parameter_id]

    def value(self, parameter_id: str, as_of: dt.date) -> Any:
        return self.parameter(parameter_id).value_at(as_of)

    def option_ids(self) -> dict[str, Option]:
        return {
            opt.id: opt
            for p in self.policies.values()
            for n in (*p.criteria.values(), *p.items.values())
            for opt in n.options.values()
        }

    @staticmethod
    def nearest(wanted: str, known: Iterable[str], n: int = 3) -> list[str]:
        return difflib.get_close_matches(wanted, list(known), n=n, cutoff=0.5) or sorted(known)[:n]

    # ------------------------------------------------------------------ reforms
    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[tuple]) -> "PolicySet":
        """A new set where the given parameters take other values (a reform).

        ``overrides`` maps parameter ids to values ("300万", 0.2, 5) or to dicts
        ``{"value": …, "from": date, "until": date}``.  Each value is read in its parameter's unit and must lie in
        its allowed range (:attr:`Parameter.allowed`).  Validation is all or nothing: every error is reported at once.
        """
        pairs = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        params = self.parameters()
        errors: list[str] = []
        new_params: dict[str, Parameter] = {}
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                errors.append(f"an override is a (parameter id, value) pair, got {_shown(pair)}")
                continue
            parameter_id, spec = pair
            if not isinstance(parameter_id, str) or parameter_id not in params:
                errors.append(f"unknown parameter {_shown(parameter_id)}; nearest: "
                              f"{', '.join(self.nearest(str(parameter_id), params))}")
                continue
            base = new_params.get(parameter_id, params[parameter_id])
            try:
                raw, start, end = _override_spec(parameter_id, spec)
                value = base.coerce(raw)
            except PolicyDataError as exc:
                errors.append(str(exc))
                continue
            policy = self.policies[parameter_id.split(".")[0]]
            if start and end and end < start:
                errors.append(f"{parameter_id}: until {end} is before from {start}")
                continue
            if start and not policy.in_force(start) or end and not policy.in_force(end):
                errors.append(f"{parameter_id}: {period_text(start, end)} falls outside the policy's validity "
                              f"({period_text(policy.in_force_from, policy.in_force_until, ', with no end date')})")
                continue
            last = base.versions[-1]
            version = Version(
                value=value, text=str(raw), valid_from=start or last.valid_from,
                valid_until=end or last.valid_until,
                citation=Citation(last.citation.policy_id, "reform", f"{parameter_id} = {raw}"),
            )
            new_params[parameter_id] = replace(base, versions=(*base.versions, version))
        if errors:
            raise PolicyDataError("invalid reform:\n  " + "\n  ".join(errors))
        policies = {}
        for pid, policy in self.policies.items():
            def patch(nodes: Mapping[str, Node]) -> dict[str, Node]:
                out = {}
                for name, node in nodes.items():
                    changed = {k: new_params[p.id] for k, p in node.parameters.items() if p.id in new_params}
                    out[name] = replace(node, parameters={**node.parameters, **changed}) if changed else node
                return out
            policies[pid] = replace(policy, criteria=patch(policy.criteria), items=patch(policy.items),
                                    obligations=patch(policy.obligations))
        return replace(self, policies=policies, overrides=self.overrides + tuple((k, v, None, None) for k, v in pairs))

    def with_items_off(self, item_ids: Iterable[str] | str) -> "PolicySet":
        """A new set where these items pay nothing (a reform that switches them off).  One id may be given alone."""
        item_ids = [item_ids] if isinstance(item_ids, str) else list(item_ids)
        known = {n.id for n in self.items()}
        unknown = [i for i in item_ids if not isinstance(i, str) or i not in known]
        if unknown:
            raise PolicyDataError("invalid reform:\n  " + "\n  ".join(
                f"unknown item {_shown(i)}; nearest: {', '.join(self.nearest(str(i), known))}" for i in unknown))
        return replace(self, switched_off=self.switched_off | frozenset(item_ids))


OVERRIDE_KEYS = ("value", "from", "until")


def _override_spec(parameter_id: str, spec: Any) -> tuple[Any, dt.date | None, dt.date | None]:
    """(value, from, until) of one override: a bare value, or a mapping with value and optional dates."""
    if not isinstance(spec, Mapping):
        return spec, None, None
    unknown = [str(k) for k in spec if k not in OVERRIDE_KEYS]
    if unknown:
        raise PolicyDataError(f"{parameter_id}: unknown keys {', '.join(unknown)} (known: {', '.join(OVERRIDE_KEYS)})")
    if spec.get("value") is None:
        raise PolicyDataError(f"{parameter_id}: no value given (write value: …, and optionally from: / until:)")
    dates = []
    for key in ("from", "until"):
        given = spec.get(key)
        if given is None:
            dates.append(None)
            continue
        dates.append(_bounded_date(parameter_id, key, given))
    return spec["value"], dates[0], dates[1]


def period_text(start: dt.date | None, end: dt.date | None, open_end: str = "") -> str:
    """"from 2026-01-01", "until 2027-12-31", "from … until …"; ``open_end`` words a missing end."""
    if start and end:
        return f"from {start} until {end}"
    if start:
        return f"from {start}{open_end}"
    return f"until {end}" if end else "at any date"


# --------------------------------------------------------------------------- loading

@lru_cache(maxsize=None)
def _source_index(name: str) -> tuple[str, list[int], str] | None:
    """The source as compared (NFKC, no white space), with each compared character's place in the original."""
    if not (SOURCE_DIR / name).is_file():
        return None
    original = (SOURCE_DIR / name).read_text(encoding="utf-8")
    chars, places = [], []
    for i, ch in enumerate(original):
        for n in normalise_text(ch):
            chars.append(n)
            places.append(i)
    return "".join(chars), places, original


def _source_text(name: str) -> str | None:
    index = _source_index(name)
    return None if index is None else index[0]


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it

#: How deeply collections may nest in a policy or reform YAML file (a policy file needs 7 levels): deeper is
#: refused before anything is built, so no nesting can exhaust Python's recursion.
MAX_YAML_DEPTH = 64

_TIMESTAMP = next(regexp for first in "0123456789"
                  for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers.get(first, [])
                  if tag == "tag:yaml.org,2002:timestamp")


def read_yaml_file(path: Path | str, *, limits: Limits | None = None, what: str = "YAML file") -> Any:
    """A policy or reform YAML file, read within bounds: at most ``limits.max_yaml_bytes`` (default
    :data:`calc.limits.DEFAULT`), UTF-8, no anchors, aliases or tags, nesting at most :data:`MAX_YAML_DEPTH`.

    Every problem (too large, not UTF-8, not YAML, a date that does not exist …) is a
    :class:`PolicyDataError` naming the file and, where known, the line.
    """
    path = Path(path)
    limit = (limits or DEFAULT).max_yaml_bytes
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise PolicyDataError(f"{what} {path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise PolicyDataError(f"{path.name}: larger than the {size_text(limit)} allowed for a {what} "
                              f"(a larger limit: --limit yaml=… on the command line, "
                              f"limits=Limits(max_yaml_bytes=…) in Python)")
    return parse_yaml(decode_utf8(data, path.name), path.name)


def decode_utf8(data: bytes, where: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); other encodings are refused with a hint."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PolicyDataError(f"{where}: the file is UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it looks like GBK/GB18030, common for Chinese text)"
        except UnicodeDecodeError:
            pass
        line = data[:exc.start].count(b"\n") + 1
        raise PolicyDataError(f"{where}, line {line}: not UTF-8 text{hint}; save the file as UTF-8") from None


def parse_yaml(text: str, where: str = "YAML") -> Any:
    """One YAML document, checked before it is built: no anchors, aliases or tags (a policy or reform needs
    none, and aliases are how a small file expands into a huge one), nesting at most MAX_YAML_DEPTH, dates
    that exist; then loaded with the safe loader.  Errors are PolicyDataError with the line."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            if isinstance(event, yaml.AliasEvent):
                raise PolicyDataError(f"{where}, line {line}: aliases (*{event.anchor}) are not allowed")
            if getattr(event, "anchor", None) is not None:
                raise PolicyDataError(f"{where}, line {line}: anchors (&{event.anchor}) are not allowed")
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) and event.tag is not None \
                    and event.tag != "!":  # "!" is a quoted scalar's non-specific tag
                raise PolicyDataError(f"{where}, line {line}: tags ({event.tag}) are not allowed")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise PolicyDataError(f"{where}, line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and event.implicit[0] and _TIMESTAMP.match(event.value):
                try:
                    yaml.constructor.SafeConstructor().construct_yaml_timestamp(
                        yaml.ScalarNode("tag:yaml.org,2002:timestamp", event.value))
                except ValueError as exc:
                    raise PolicyDataError(f"{where}, line {line}: {event.value} is not a date ({exc})") from None
        return yaml.load(text, Loader=_YAML_LOADER)
    except PolicyDataError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyDataError(f"{where}{at}: not valid YAML ({problem})") from None
    except (ValueError, OverflowError) as exc:  # a constructor refusing a value (an integer of 5,000 digits …)
        raise PolicyDataError(f"{where}: {exc}") from None
    except RecursionError:
        raise PolicyDataError(f"{where}: nested too deeply") from None


def _check_keys(where: str, mapping: Mapping, allowed: set[str], required: Iterable[str] = ()) -> None:
    if not isinstance(mapping, Mapping):
        raise PolicyDataError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = {str(k) for k in mapping} - allowed
    if unknown:
        hints = [f"{k!r} (did you mean {difflib.get_close_matches(k, allowed, 1)})" for k in sorted(unknown)]
        raise PolicyDataError(f"{where}: unknown keys {', '.join(hints)}")
    missing = [k for k in required if mapping.get(k) in (None, "")]
    if missing:
        raise PolicyDataError(f"{where}: missing {', '.join(missing)}")


def _check_quote(where: str, quote: str, source: str, strict_sources: bool) -> str:
    """Check that ``quote`` stands in the source and return it in the source's own characters.

    Quotes may be typed with half-width punctuation; the citation shows the law's text exactly.
    Without the source files (and not strict) the quote is returned as typed.
    """
    index = _source_index(source)
    if index is None:
        if strict_sources:
            raise PolicyDataError(f"{where}: source file {source!r} not found in {SOURCE_DIR}")
        return str(quote)
    text, places, original = index
    wanted = normalise_text(quote)
    at = text.find(wanted)
    if at < 0:
        raise PolicyDataError(f"{where}: quote not found verbatim in {source}: {quote!r}")
    return original[places[at]:places[at + len(wanted) - 1] + 1]


def _mapping(where: str, value: Any) -> Mapping:
    """A mapping where the schema wants one (None is an empty one)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyDataError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _list(where: str, value: Any) -> list:
    """A list where the schema wants one (None is an empty one)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyDataError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _text(where: str, value: Any) -> str:
    """A scalar the schema reads as text (a number or a date is its text); a list or mapping is an error."""
    if isinstance(value, (Mapping, list)):
        raise PolicyDataError(f"{where}: expected text, got {type(value).__name__}")
    return str(value)


def _date_in_range(where: str, value: Any) -> dt.date:
    date = _parse_date(value)
    if not MIN_DATE <= date <= MAX_DATE:
        raise PolicyDataError(f"{where}: {date} is outside the dates this calculator handles ({MIN_DATE} to {MAX_DATE})")
    return date


def _title(raw: Any, where: str) -> tuple[str, str]:
    _check_keys(f"{where}.title", raw, {"zh", "en"}, ["zh", "en"])
    return str(raw["zh"]), str(raw["en"])


def _load_parameter(where: str, pid: str, raw: Mapping, node_cite: Citation, policy: dict, strict: bool,
                    role: str = "") -> Parameter:
    _check_keys(where, raw, PARAMETER_KEYS, ["unit"])
    unit = raw["unit"]
    if not isinstance(unit, str) or unit not in UNITS:
        raise PolicyDataError(f"{where}: unknown unit {unit!r} (known: {', '.join(UNITS)})")
    comparison = raw.get("comparison")
    if comparison is not None and (not isinstance(comparison, str) or comparison not in COMPARISONS):
        raise PolicyDataError(f"{where}: comparison {comparison!r} not one of {COMPARISONS}")
    raw_versions = _list(f"{where}.values", raw.get("values")) or [
        {k: raw[k] for k in ("text", "value", "article", "quote") if k in raw}]
    versions = []
    for i, rv in enumerate(raw_versions):
        vwhere = f"{where}.values[{i}]" if "values" in raw else where
        _check_keys(vwhere, rv, VERSION_KEYS, ["text"])
        quote = _text(vwhere, rv.get("quote") or raw.get("quote") or node_cite.quote)
        article = rv.get("article") or raw.get("article") or node_cite.article
        text = _text(f"{vwhere}.text", rv["text"])
        if normalise_text(text) not in normalise_text(quote):
            raise PolicyDataError(f"{vwhere}: text {rv['text']!r} does not stand in its quote {quote!r}")
        verbatim = _check_quote(vwhere, quote, policy["source"], strict)
        try:
            value = check_value(pid, unit, comparison, role, parse_parameter_text(text, unit))
            given = coerce_value(rv["value"], unit) if "value" in rv else value
        except (PolicyDataError, ValueError) as exc:
            raise PolicyDataError(f"{vwhere}: {exc}") from None
        if given != value:
            raise PolicyDataError(f"{vwhere}: value {rv['value']!r} disagrees with its text {rv['text']!r}")
        start = _date_in_range(f"{vwhere}.from", rv["from"]) if rv.get("from") else policy["in_force_from"]
        end = _date_in_range(f"{vwhere}.until", rv["until"]) if rv.get("until") else policy["in_force_until"]
        if start and end and end < start:
            raise PolicyDataError(f"{vwhere}: until {end} is before from {start}")
        versions.append(Version(value, text, start, end,
                                Citation(node_cite.policy_id, str(article), verbatim, policy["source"])))
    return Parameter(pid, unit, comparison, tuple(versions), str(raw.get("note", "")), role)


def _load_options(where: str, node_id: str, raw: Mapping | None, node_cite: Citation, policy: dict, strict: bool) -> dict:
    options = {}
    for name, spec in _mapping(f"{where}.options", raw).items():
        owhere = f"{where}.options.{name}"
        _check_keys(owhere, spec, OPTION_KEYS, ["default", "choices"])
        _mapping(f"{owhere}.choices", spec["choices"])
        if _text(f"{owhere}.default", spec["default"]) not in spec["choices"]:
            raise PolicyDataError(f"{owhere}: default {spec['default']!r} not among the choices")
        cite = None
        if spec.get("quote"):
            verbatim = _check_quote(owhere, spec["quote"], policy["source"], strict)
            cite = Citation(node_cite.policy_id, spec.get("article", node_cite.article), verbatim, policy["source"])
        options[name] = Option(f"{node_id}.{name}", str(spec["default"]),
                               {str(k): str(v) for k, v in spec["choices"].items()}, cite, str(spec.get("note", "")))
    return options


def _load_node(where: str, policy_id: str, name: str, raw: Mapping, allowed: set, policy: dict, strict: bool) -> Node:
    _check_keys(where, raw, allowed, ["title", "article", "quote"])
    title_zh, title_en = _title(raw["title"], where)
    verbatim = _check_quote(where, raw["quote"], policy["source"], strict)
    cite = Citation(policy_id, str(raw["article"]), verbatim, policy["source"])
    node_id = f"{policy_id}.{name}"
    role = "criterion" if "strength" in allowed else "item" if "kind" in allowed else "obligation"
    params = {
        str(pname): _load_parameter(f"{where}.parameters.{pname}", f"{node_id}.{pname}", praw, cite, policy, strict,
                                    role)
        for pname, praw in _mapping(f"{where}.parameters", raw.get("parameters")).items()
    }
    options = _load_options(where, node_id, raw.get("options"), cite, policy, strict)
    extra: dict[str, Any] = {}
    if "strength" in allowed:
        strength = raw.get("strength", "hard")
        if strength not in STRENGTHS:
            raise PolicyDataError(f"{where}: strength {strength!r} not one of {STRENGTHS}")
        scope = raw.get("scope", "recognition")
        if scope not in SCOPES:
            raise PolicyDataError(f"{where}: scope {scope!r} not one of {SCOPES}")
        extra.update(strength=strength, scope=scope, applies_to=str(raw.get("applies_to", "")))
    elif "kind" not in allowed:  # an obligation: stated, not computed
        extra.update(applies_to=str(raw.get("applies_to", "")))
    else:
        _check_keys(where, raw, allowed, ["kind", "rounding"])
        if raw["kind"] not in KINDS:
            raise PolicyDataError(f"{where}: kind {raw['kind']!r} not one of {KINDS}")
        if raw["rounding"] not in ROUNDINGS:
            raise PolicyDataError(f"{where}: rounding {raw['rounding']!r} not one of {ROUNDINGS}")
        extra.update(
            kind=raw["kind"], rounding=raw["rounding"], per=str(raw.get("per", "enterprise")),
            requires=tuple(_text(f"{where}.requires", r) for r in _list(f"{where}.requires", raw.get("requires"))),
            payer=str(raw.get("payer", "")),
            stacks_on=str(raw.get("stacks_on", "")), exclusivity_group=str(raw.get("exclusivity_group", "")),
        )
    return Node(node_id, policy_id, name, title_zh, title_en, cite, params, options,
                notes=str(raw.get("notes", "")), **extra)


def load_policy_file(path: Path | str, strict_sources: bool = True, *, limits: Limits | None = None) -> Policy:
    """One policy file, read within ``limits`` (the YAML size; default :data:`calc.limits.DEFAULT`) and validated."""
    path = Path(path)
    raw = read_yaml_file(path, limits=limits, what="policy file")
    where = path.name
    try:
        return _policy_from(raw, path, where, strict_sources)
    except PolicyDataError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as exc:  # a shape the checks missed
        raise PolicyDataError(f"{where}: malformed policy data ({type(exc).__name__}: {exc})") from None


def _policy_from(raw: Any, path: Path, where: str, strict_sources: bool) -> Policy:
    _check_keys(where, raw, POLICY_KEYS, ["id", "title", "issuer", "source", "in_force_from", "validity"])
    if path.stem != str(raw["id"]):
        raise PolicyDataError(f"{where}: id {raw['id']!r} must match the file name")
    policy = dict(raw)
    policy["source"] = _text(f"{where}.source", raw["source"])
    policy["in_force_from"] = _date_in_range(f"{where}.in_force_from", raw["in_force_from"])
    policy["in_force_until"] = (_date_in_range(f"{where}.in_force_until", raw["in_force_until"])
                                if raw.get("in_force_until") else None)
    if policy["in_force_until"] and policy["in_force_until"] < policy["in_force_from"]:
        raise PolicyDataError(f"{where}: in_force_until before in_force_from")
    validity = raw["validity"]
    _check_keys(f"{where}.validity", validity, VALIDITY_KEYS, ["article", "quote"])
    validity_quote = _check_quote(f"{where}.validity", validity["quote"], raw["source"], strict_sources)
    pid = raw["id"]
    criteria = {
        str(name): _load_node(f"{where}.criteria.{name}", pid, str(name), node, CRITERION_KEYS, policy, strict_sources)
        for name, node in _mapping(f"{where}.criteria", raw.get("criteria")).items()
    }
    items = {
        str(name): _load_node(f"{where}.items.{name}", pid, str(name), node, ITEM_KEYS, policy, strict_sources)
        for name, node in _mapping(f"{where}.items", raw.get("items")).items()
    }
    obligations = {
        str(name): _load_node(f"{where}.obligations.{name}", pid, str(name), node, OBLIGATION_KEYS, policy,
                              strict_sources)
        for name, node in _mapping(f"{where}.obligations", raw.get("obligations")).items()
    }
    def cited(section: str, keys):
        """Each entry of a list of cited entries (manual checks, supports): (entry, id, zh, en, citation)."""
        for i, m in enumerate(_list(f"{where}.{section}", raw.get(section))):
            entry_where = f"{where}.{section}[{i}]"
            _check_keys(entry_where, m, keys, ["id", "title", "article", "quote"])
            quote = _check_quote(entry_where, m["quote"], raw["source"], strict_sources)
            zh, en = _title(m["title"], entry_where)
            yield m, f"{pid}.{m['id']}", zh, en, Citation(pid, str(m["article"]), quote, raw["source"])

    manual = [ManualCheck(id_, pid, zh, en, citation, str(m.get("applies_to", "")))
              for m, id_, zh, en, citation in cited("manual_checks", MANUAL_KEYS)]
    supports = [Support(id_, pid, zh, en, citation, str(m.get("relation", "")), str(m.get("requires", "")))
                for m, id_, zh, en, citation in cited("supports", SUPPORT_KEYS)]
    issued_between = None
    if validity.get("issued_between"):
        between = validity["issued_between"]
        _check_keys(f"{where}.validity.issued_between", between, {"from", "until"}, ["from", "until"])
        issued_between = (_date_in_range(f"{where}.validity.issued_between.from", between["from"]),
                          _date_in_range(f"{where}.validity.issued_between.until", between["until"]))
        if issued_between[1] < issued_between[0]:
            raise PolicyDataError(f"{where}.validity.issued_between: until before from")
    return Policy(
        short_title=str(raw.get("short_title", "")), supports=tuple(supports), issued_between=issued_between,
        id=pid, title=str(raw["title"]), title_en=str(raw.get("title_en", "")), issuer=str(raw["issuer"]),
        document_number=raw.get("document_number"), jurisdiction=str(raw.get("jurisdiction", "")),
        source=str(raw["source"]), issued=_parse_date(raw["issued"]) if raw.get("issued") else None,
        in_force_from=policy["in_force_from"], in_force_until=policy["in_force_until"],
        validity=Citation(pid, str(validity["article"]), validity_quote, raw["source"]),
        validity_note=str(validity.get("note", "")), validity_assumption=str(validity.get("assumption", "")),
        supersedes=raw.get("supersedes"), criteria=criteria, items=items, manual_checks=tuple(manual),
        notes=str(raw.get("notes", "")), obligations=obligations,
    )


def _load_stacking(path: Path, policies: dict[str, Policy], strict: bool,
                   limits: Limits | None = None) -> tuple[dict, tuple]:
    raw = read_yaml_file(path, limits=limits, what="policy file")
    try:
        return _stacking_from(raw, path, policies, strict)
    except PolicyDataError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as exc:
        raise PolicyDataError(f"{path.name}: malformed stacking data ({type(exc).__name__}: {exc})") from None


def _policy_of(where: str, policies: dict[str, Policy], policy_id: Any) -> Policy:
    if policy_id not in policies:
        raise PolicyDataError(f"{where}: unknown policy {policy_id!r} (known: {', '.join(sorted(policies))})")
    return policies[policy_id]


def _stacking_from(raw: Any, path: Path, policies: dict[str, Policy], strict: bool) -> tuple[dict, tuple]:
    _check_keys(path.name, raw, {"groups", "stacking", "notes"})
    item_ids = {n.id for p in policies.values() for n in p.items.values()}
    info_ids = {n.id for p in policies.values() for n in p.items.values() if n.kind == "info"}
    groups = {}
    for gid, g in _mapping(f"{path.name}.groups", raw.get("groups")).items():
        where = f"{path.name}.groups.{gid}"
        _check_keys(where, g, GROUP_KEYS, ["members", "policy", "article", "quote", "reasoning"])
        for member in _list(f"{where}.members", g["members"]):
            if not isinstance(member, str) or member not in item_ids:
                raise PolicyDataError(f"{where}: unknown item {member!r}")
            if member in info_ids:  # 就高不重复 compares amounts; an information item has none
                raise PolicyDataError(f"{where}: {member} is an information item (kind: info), it pays no amount")
        policy = _policy_of(where, policies, g["policy"])
        group_quote = _check_quote(where, g["quote"], policy.source, strict)
        groups[gid] = ExclusivityGroup(gid, tuple(g["members"]), str(g.get("per", "event")), str(g["reasoning"]),
                                       Citation(policy.id, str(g["article"]), group_quote, policy.source))
    stackings = []
    for i, s in enumerate(_list(f"{path.name}.stacking", raw.get("stacking"))):
        where = f"{path.name}.stacking[{i}]"
        _check_keys(where, s, STACKING_KEYS, ["item", "base", "policy", "article", "quote"])
        for key in ("item", "base"):
            if not isinstance(s[key], str) or s[key] not in item_ids:
                raise PolicyDataError(f"{where}: unknown item {s[key]!r}")
        policy = _policy_of(where, policies, s["policy"])
        stack_quote = _check_quote(where, s["quote"], policy.source, strict)
        stackings.append(Stacking(s["item"], s["base"], str(s.get("reasoning", "")),
                                  Citation(policy.id, str(s["article"]), stack_quote, policy.source)))
    grouped = {m: gid for gid, g in groups.items() for m in g.members}
    for s in stackings:
        if s.item in grouped and grouped.get(s.item) == grouped.get(s.base):
            raise PolicyDataError(f"{path.name}: {s.item} stacks on {s.base} but both are in group {grouped[s.item]}")
    return groups, tuple(stackings)


def load_policies(directory: Path | str | None = None, strict_sources: bool = True, *,
                  limits: Limits | None = None) -> PolicySet:
    """Load and validate every policy file (and ``stacking.yaml``) in ``directory``; each file is read within
    ``limits`` (its YAML size; default :data:`calc.limits.DEFAULT`).

    ``strict_sources`` (the default): every quote must stand in its law text in ``data/sources``; with False, a
    policy whose text is not there is taken as written (for policy files drafted before their text is added)."""
    directory = Path(directory) if directory else POLICY_DIR
    if not directory.is_dir():
        raise PolicyDataError(f"policy directory not found: {directory}")
    policies = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "stacking.yaml":
            continue
        policy = load_policy_file(path, strict_sources, limits=limits)
        if policy.id in policies:
            raise PolicyDataError(f"{path.name}: policy {policy.id!r} is defined twice")
        policies[policy.id] = policy
    if not policies:
        raise PolicyDataError(f"no policy file (*.yaml) in {directory}")
    stacking_path = directory / "stacking.yaml"
    groups, stackings = (_load_stacking(stacking_path, policies, strict_sources, limits)
                         if stacking_path.exists() else ({}, ()))
    for policy in policies.values():
        for node in policy.items.values():
            if node.exclusivity_group and node.exclusivity_group not in groups:
                raise PolicyDataError(f"{node.id}: exclusivity_group {node.exclusivity_group!r} not in stacking.yaml")
            if node.exclusivity_group and node.id not in groups[node.exclusivity_group].members:
                raise PolicyDataError(f"{node.id}: not listed among the members of {node.exclusivity_group!r}")
    return PolicySet(policies, groups, stackings)


@lru_cache(maxsize=1)
def default_policies() -> PolicySet:
    return load_policies()
