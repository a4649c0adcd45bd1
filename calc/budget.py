"""Budget and scenario modelling for finance officers: reforms as data, baseline vs reform over a population,
pro-rating to a budget, sensitivity to one parameter, and the cliffs of one enterprise.

    reform = calc.load_reform({"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}})
    cmp = calc.compare(population, [reform], as_of="2026-06-30", budgets={"xiamen_sti_measures.rd_step_subsidy": "2亿"})
    cmp.items          # per item: baseline_yuan, reform_yuan, change_yuan, recipients, prorated_yuan
    cmp.enterprises    # per enterprise: baseline, reform, change, outcome (gains / loses / unchanged)
    cmp.breakdown("district")

A reform is a set of parameter overrides by id (``<policy_id>.<item_or_criterion>.<name>``), each value
accepting 万/亿 text and optionally dated, plus items switched off.  Applying one re-dates parameters on
the already-loaded policy tree: nothing is re-read or rebuilt, so a reform run costs what a baseline run
costs.  Amounts are exact integers (fen inside, yuan outside); pro-rating floors each award to the yuan.
Every sum over a population is taken in Python integers (:func:`calc.money.exact_sum`): no total wraps.

Arguments are checked before anything is computed, by public validators the command line and the dashboards
call too: :func:`parse_award_share`, :func:`parse_budgets`, :func:`parse_years`, :func:`check_projection_args`.
Each raises :class:`calc.entitlements.OptionError` (a ValueError) naming the argument, the value and what is
allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from calc.entitlements import EntitlementResult, OptionError, _as_date, _check_options, entitlements
from calc.inputs import ParsedInput, load_enterprises
from calc.limits import (
    MAX_COUNT, MAX_DATE, MAX_DRAWS, MAX_GROWTH_PERCENT, MAX_ITEM_FEN, MAX_MONEY_FEN, MAX_PAID_RATE_PERCENT,
    MAX_RATE_DENOMINATOR, MAX_YEARS, MIN_DATE, DEFAULT, Limits,
)
from calc.files import InputError, read_table_file
from calc.money import MoneyError, exact_sum, parse_decimal, parse_money
from calc.policies import PERCENT, PolicyDataError, PolicySet, coerce_value, default_policies, read_yaml_file
from calc.rules.base import DUPLICATE, FEN_PER_YUAN, GRANTED, INT64_MAX, mul_rate, reason_keys

REFORM_KEYS = {"name", "description", "parameters", "switch_off"}
MAX_REFORM_ROWS = 10_000  # rows of a reform sheet: far more than there are parameters to change

# reasons that say a cap or a threshold decided (vocabulary of calc.explain, not numbers)
CAP_REASONS = {"rd_step_capped", "matching_cap_binds", "rate_capped", "matching_total_investment_binds"}
THRESHOLD_REASONS = {"rd_not_above_threshold", "rd_not_grown", "rd_not_above_bonus_threshold",
                     "growth_not_above_rate"}


# --------------------------------------------------------------------------- reforms

@dataclass(frozen=True)
class Reform:
    """Parameter overrides (by id) and items switched off; values as given (text or numbers)."""

    name: str
    parameters: tuple[tuple[str, Any], ...] = ()
    switch_off: tuple[str, ...] = ()
    description: str = ""

    def apply(self, policies: PolicySet) -> PolicySet:
        """The policies with this reform's overrides and items switched off; every error at once."""
        errors = []
        out = policies
        for step, given in ((PolicySet.with_overrides, self.parameters), (PolicySet.with_items_off, self.switch_off)):
            if not given:
                continue
            try:
                out = step(out, given)
            except PolicyDataError as exc:
                errors.append(str(exc).replace("invalid reform:\n  ", ""))
        if errors:
            raise PolicyDataError("invalid reform:\n  " + "\n  ".join(errors))
        return out


def load_reform(source: Any, name: str | None = None, *, limits: Limits | None = None) -> Reform:
    """A reform from a dict, a YAML file or an XLSX sheet.

    A mapping (or YAML file) holds ``name``, ``description``, ``switch_off`` (a list of item ids, or one id) and the
    overrides, either under ``parameters:`` or written flat as top-level parameter ids
    (``xiamen_sti_measures.rd_step_subsidy.cap: 300万``); a value may be ``{value, from, until}``.  A YAML file is
    read within ``limits`` (its size; default :data:`calc.limits.DEFAULT`), UTF-8, with no anchors or aliases.
    An XLSX sheet has columns parameter_id, value, and optionally from, until; a value ``off`` on an item id
    switches it off.  Every problem of the reform's shape is reported at once, as a :class:`PolicyDataError`;
    the values themselves are checked against their parameters when the reform is applied.
    """
    if isinstance(source, Reform):
        return source
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in (".xlsx", ".xlsm"):
        # the same bounded reader as every input; a reform has a few rows (there are fewer than 200 parameters)
        bounds = (limits or DEFAULT).replace(max_rows=min((limits or DEFAULT).max_rows, MAX_REFORM_ROWS))
        try:
            sheet, _ = read_table_file(source, limits=bounds, prefer=lambda headers: "parameter_id" in headers,
                                       sheet_names=("reform",))
        except InputError as exc:
            raise PolicyDataError(f"reform file: {exc}") from None
        return _reform_from_sheet(sheet, name or Path(source).stem)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise PolicyDataError(f"reform file not found: {path}")
        raw = read_yaml_file(path, limits=limits, what="reform file")
        where = path.name
        if raw is None:
            raw = {}
        default_name = path.stem
    elif isinstance(source, Mapping):
        raw, where, default_name = source, "reform", "reform"
    else:
        raise PolicyDataError(f"a reform is a mapping, a YAML or XLSX file, or a Reform; got {type(source).__name__}")
    if not isinstance(raw, Mapping):
        raise PolicyDataError(f"{where}: a reform is a mapping (name, description, parameters, switch_off, or "
                              f"parameter ids as keys); got {_kind(raw)}")
    errors: list[str] = []
    parameters: list[tuple[str, Any]] = []
    nested = raw.get("parameters")
    if nested is not None and not isinstance(nested, Mapping):
        errors.append(f"parameters must map parameter ids to values, got {_kind(nested)}")
    elif nested is not None:
        parameters += [(str(k), v) for k, v in nested.items()]
    unknown = []
    for key, value in raw.items():
        if key in REFORM_KEYS:
            continue
        if isinstance(key, str) and "." in key:  # the flat form: a parameter id as a key
            parameters.append((key, value))
        else:
            unknown.append(str(key))
    if unknown:
        errors.append(f"unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(REFORM_KEYS))}, or a "
                      f"parameter id such as xiamen_sti_measures.rd_step_subsidy.cap)")
    seen: set[str] = set()
    for parameter_id, _ in parameters:
        if parameter_id in seen:
            errors.append(f"{parameter_id} is given twice")
        seen.add(parameter_id)
    switch_off = raw.get("switch_off")
    if switch_off is None:
        off: tuple[str, ...] = ()
    elif isinstance(switch_off, str):  # one item id, not a list of its characters
        off = (switch_off,)
    elif isinstance(switch_off, (list, tuple)) and all(isinstance(i, str) for i in switch_off):
        off = tuple(switch_off)
    else:
        off = ()
        errors.append(f"switch_off must be a list of item ids (or one item id), got {_shown(switch_off)}")
    for key in ("name", "description"):
        if isinstance(raw.get(key), (Mapping, list)):
            errors.append(f"{key} must be text, got {_kind(raw[key])}")
    if errors:
        raise PolicyDataError(f"invalid reform ({where}):\n  " + "\n  ".join(errors))
    return Reform(
        name=str(name or raw.get("name") or default_name),
        parameters=tuple(parameters),
        switch_off=off,
        description=str(raw.get("description") or ""),
    )


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(
        type(value), f"a {type(value).__name__}") if not isinstance(value, Mapping) else "a mapping"


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except RecursionError:  # a structure nested too deeply to print
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "…"


def _reform_from_sheet(sheet: pd.DataFrame, name: str) -> Reform:
    missing = {"parameter_id", "value"} - set(sheet.columns)
    if missing:
        raise PolicyDataError(f"reform sheet: missing columns {', '.join(sorted(missing))}")
    parameters, off = [], []
    for _, row in sheet.iterrows():
        if pd.isna(row["parameter_id"]):
            continue
        if str(row["value"]).strip().lower() == "off":
            off.append(str(row["parameter_id"]))
            continue
        spec: Any = row["value"]
        dated = {k: row[k] for k in ("from", "until") if k in sheet.columns and not pd.isna(row[k])}
        if dated:
            spec = {"value": row["value"], **dated}
        parameters.append((str(row["parameter_id"]), spec))
    return Reform(name, tuple(parameters), tuple(off))


def apply_reforms(policies: PolicySet, reforms: Sequence[Reform | Mapping | str | Path]) -> PolicySet:
    """Stack reforms, later ones winning; every error of every reform is reported at once."""
    errors = []
    out = policies
    for source in reforms:
        try:
            out = load_reform(source).apply(out)
        except PolicyDataError as exc:
            errors.append(str(exc).removeprefix("invalid reform:\n  "))
    if errors:
        raise PolicyDataError("invalid reform:\n  " + "\n  ".join(errors))
    return out


def reform_parameters(policies: PolicySet, reforms: Sequence[Reform], as_of: dt.date) -> pd.DataFrame:
    """Each overridden parameter: current value vs reform value, side by side, with its citation."""
    from calc.explain import format_value

    reforms = [load_reform(r) for r in _reform_list(reforms)]
    reformed = apply_reforms(policies, reforms)
    rows = []
    for reform in reforms:
        for parameter_id, _ in reform.parameters:
            base, new = policies.parameter(parameter_id), reformed.parameter(parameter_id)
            rows.append({
                "reform": reform.name, "parameter_id": parameter_id, "unit": base.unit,
                "current": format_value(base.value_at(as_of), base.unit),
                "reform_value": format_value(new.value_at(as_of), new.unit),
                "citation": f"{base.citation.article}：「{base.citation.quote}」",
            })
        for item_id in reform.switch_off:
            node = policies.node(item_id)
            rows.append({"reform": reform.name, "parameter_id": item_id, "unit": "item", "current": "on",
                         "reform_value": "off", "citation": f"{node.citation.article}：「{node.citation.quote}」"})
    return pd.DataFrame(rows, columns=["reform", "parameter_id", "unit", "current", "reform_value", "citation"])


# --------------------------------------------------------------------------- amounts per enterprise and item

def counted_amounts(result: EntitlementResult, award_share: Fraction = Fraction(1)) -> dict[str, np.ndarray]:
    """Per item, each enterprise's counted amount in fen; ceiling items scaled by ``award_share`` (floored to the yuan).

    The share is applied exactly whatever its precision (:func:`calc.rules.base.mul_rate`): at most the amount,
    so the result is int64 wherever the amount was.
    """
    out = {}
    for node in result.nodes:
        award = result.awards[node.id]
        amount = np.where(award.status == GRANTED, award.amount, 0)
        if node.kind == "ceiling" and award_share != 1:
            amount = mul_rate(amount, award_share) // FEN_PER_YUAN * FEN_PER_YUAN
        out[node.id] = amount
    return out


def prorate(amounts_yuan: np.ndarray, budget_yuan: int) -> tuple[np.ndarray, Fraction, int]:
    """``min(1, budget / total)`` applied to each award, rounded down to the yuan, exactly.

    Returns (pro-rated awards, factor, remainder): the remainder is what flooring left of the budget.  The total
    and the products are Python integers (a population's claims can pass int64).
    """
    amounts = np.asarray(amounts_yuan, dtype=np.int64)
    if isinstance(budget_yuan, (bool, np.bool_)) or not isinstance(budget_yuan, (int, np.integer)) or budget_yuan < 0:
        raise OptionError(f"budget {budget_yuan!r}: a budget is a whole number of yuan, 0 or more")
    total = exact_sum(amounts)
    if total <= budget_yuan:
        return amounts.copy(), Fraction(1), 0
    # each award × budget // total ≤ the award: back in int64 after the exact products
    prorated = (amounts.astype(object) * int(budget_yuan) // total).astype(np.int64)
    return prorated, Fraction(int(budget_yuan), total), int(budget_yuan) - exact_sum(prorated)


# --------------------------------------------------------------------------- argument validators

MAX_SEED = 2**64 - 1  # numpy seeds are non-negative; 64 bits are plenty (an engineering bound)
MAX_ARGUMENT_TEXT = 200  # longest text read as one argument (a share, a growth rate, a budget amount, years)
MAX_CLIFF_POINTS = 200_000  # R&D values cliffs() evaluates at most (a row each): narrow lo…hi beyond that


def _number(name: str, value: Any, allowed: str) -> Fraction:
    """A real number argument, exactly: int, Fraction, Decimal, float (its shortest repr), numpy numbers, or text
    written as a percentage ("12%") or a plain number ("0.12").  Not a bool, NaN or an infinity."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise OptionError(f"{name} {value!r} is not a number; {allowed}")
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-").replace("％", "%")
        if len(text) > MAX_ARGUMENT_TEXT:
            raise OptionError(f"{name}: {len(text):,} characters is not a number; {allowed}")
        percent = text.endswith("%")
        try:
            number = Fraction(parse_decimal(text[:-1] if percent else text))
        except (ValueError, ArithmeticError):
            raise OptionError(f"{name} {value!r} is not a number (write e.g. 12% or 0.12); {allowed}") from None
        return number / PERCENT if percent else number
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise OptionError(f"{name} {float(value)!r} is not a finite number; {allowed}")
        return Fraction(repr(float(value)))
    if isinstance(value, (int, np.integer, Fraction)):
        return Fraction(int(value)) if isinstance(value, np.integer) else Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise OptionError(f"{name} {value!r} is not a finite number; {allowed}")
        return Fraction(value)
    raise OptionError(f"{name} {_shown(value)} ({type(value).__name__}) is not a number; {allowed}")


def _percent_text(value: Fraction) -> str:
    percent = value * PERCENT
    return f"{percent.numerator}%" if percent.denominator == 1 else f"{float(percent):g}%"


def parse_award_share(value: Any) -> Fraction:
    """The share of each ceiling (最高/不超过) assumed to be awarded, exactly: above 0% and at most 100%.

    ``None`` is 100%.  Text is a percentage ("33.3333333333%") or a plain fraction ("0.6"); numbers are
    fractions (0.6 == 60%).  Any precision is kept exactly, down to a lowest-terms denominator of
    :data:`calc.limits.MAX_RATE_DENOMINATOR`.  OptionError otherwise.
    """
    if value is None:
        return Fraction(1)
    allowed = f"an award share is above 0% and at most {MAX_PAID_RATE_PERCENT}% (e.g. 60% or 0.6)"
    share = _number("award share", value, allowed)
    if not 0 < share <= Fraction(MAX_PAID_RATE_PERCENT, PERCENT):
        raise OptionError(f"award share {_shown(value)} = {_percent_text(share)}: {allowed}")
    if share.denominator > MAX_RATE_DENOMINATOR:
        raise OptionError(f"award share {_shown(value)} is more precise than this calculator keeps (lowest-terms "
                          f"denominator at most 10^{len(str(MAX_RATE_DENOMINATOR)) - 1})")
    return share


_share = parse_award_share  # the name used before the validators were public


def parse_budgets(budgets: Mapping[str, Any] | Iterable[Any] | None,
                  policies: PolicySet | Iterable[str] | None = None) -> dict[str, int]:
    """Budget lines → whole yuan, checked: ``{line: amount}``, or ``["LINE=AMOUNT", …]`` / ``[(line, amount), …]``
    as the command line gives them.

    A line is an item id or several joined by ``+`` (pro-rated together); every id must be an item of
    ``policies`` (default: the law's; or the item ids themselves), listed once, and no item may be in two lines.  An amount is read like
    money in an input (``2亿``, ``1,500万``, ``300000``; a bare number is yuan), 0 or more and at most
    :data:`calc.limits.MAX_MONEY_FEN`, and floored to the yuan (pro-rating is in whole yuan).
    OptionError naming the line, the amount and what is wrong.
    """
    if budgets is None:
        return {}
    if isinstance(budgets, Mapping):
        pairs = list(budgets.items())
    elif isinstance(budgets, (str, bytes)):
        pairs = [budgets]
    else:
        try:
            pairs = list(budgets)
        except TypeError:
            raise OptionError(f"budgets must map budget lines to amounts, got {type(budgets).__name__}") from None
    if isinstance(policies, PolicySet) or policies is None:
        known = [n.id for n in (policies or default_policies()).items()]
    else:  # the item ids themselves
        known = list(policies)
    out: dict[str, int] = {}
    owner: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, str):
            key, sep, amount = pair.partition("=")
            if not sep or not amount.strip() or not key.strip():
                raise OptionError(f"budget {pair[:MAX_ARGUMENT_TEXT]!r}: write ITEM=AMOUNT "
                                  f"(e.g. xiamen_sti_measures.rd_step_subsidy=2亿)")
        elif isinstance(pair, tuple) and len(pair) == 2:
            key, amount = pair
        else:
            raise OptionError(f"budget {_shown(pair)}: write ITEM=AMOUNT or give (item, amount) pairs")
        if not isinstance(key, str):
            raise OptionError(f"budget line {_shown(key)} is not an item id")
        members = [m.strip() for m in key.split("+")]
        line = "+".join(members)
        unknown = [m for m in members if m not in known]
        if unknown:
            raise OptionError(f"budget line {line!r}: unknown item(s) " + "; ".join(
                f"{m!r} (nearest: {', '.join(PolicySet.nearest(m, known))})" for m in unknown))
        for m in members:
            if m in owner:
                raise OptionError(f"budget line {line!r}: {m} is already in budget line {owner[m]!r} "
                                  f"(an item is pro-rated in one line only)")
            owner[m] = line
        if isinstance(amount, str) and len(amount) > MAX_ARGUMENT_TEXT:
            raise OptionError(f"budget for {line}: {len(amount):,} characters is not an amount of money")
        try:
            fen = parse_money(amount.strip() if isinstance(amount, str) else amount)
        except MoneyError as exc:
            raise OptionError(f"budget for {line}: {exc}") from None
        if fen > MAX_MONEY_FEN:  # parse_money's own bound is the same; said here in case it ever differs
            raise OptionError(f"budget for {line}: {_shown(amount)} is above the largest amount accepted "
                              f"({MAX_MONEY_FEN // FEN_PER_YUAN:,} yuan)")
        out[line] = fen // FEN_PER_YUAN
    return out


def _budget_lines(budgets: Mapping[str, Any] | None,
                  policies: PolicySet | Sequence[str]) -> list[tuple[str, list[str], int]]:
    """Budget lines: ``item_id`` or ``item_a+item_b`` (a group) → yuan (``policies``: a PolicySet or item ids)."""
    return [(key, key.split("+"), amount) for key, amount in parse_budgets(budgets, policies).items()]


def parse_years(text: Any) -> list[int]:
    """Projection years from ``2026`` or ``2026-2028`` (as the command line gives them): consecutive, each within
    calc.limits' date range, at most MAX_YEARS of them.  OptionError otherwise, before any list is built."""
    raw = str(text).strip()
    start, sep, end = raw.partition("-")
    try:
        if len(raw) > MAX_ARGUMENT_TEXT:
            raise ValueError
        first, last = int(start), int(end if sep else start)
    except ValueError:
        raise OptionError(f"years {raw[:40]!r}: write YYYY or YYYY-YYYY (e.g. 2026-2028)") from None
    _check_year_span(first, last, raw)
    return list(range(first, last + 1))


def _check_year_span(first: int, last: int, shown: str) -> None:
    lo, hi = MIN_DATE.year, MAX_DATE.year
    if last < first:
        raise OptionError(f"years {shown}: ends before it starts")
    if first < lo or last > hi:
        raise OptionError(f"years {shown}: each year must be from {lo} to {hi}")
    if last - first + 1 > MAX_YEARS:
        raise OptionError(f"years {shown}: at most {MAX_YEARS} years")


def _check_years(years: Any) -> list[int] | None:
    if years is None:
        return None
    if isinstance(years, str):
        return parse_years(years)
    try:
        given = list(years) if not isinstance(years, (int, np.integer)) else [years]
    except TypeError:
        raise OptionError(f"years must be a list of years, got {type(years).__name__}") from None
    if not given:
        raise OptionError("years is empty: give at least one year (e.g. [2026, 2027])")
    if len(given) > MAX_YEARS:
        raise OptionError(f"years: {len(given):,} years given, at most {MAX_YEARS}")
    for y in given:
        if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
            raise OptionError(f"years: {_shown(y)} is not a year (a whole number such as 2026)")
    out = [int(y) for y in given]
    if any(b != a + 1 for a, b in zip(out, out[1:])):
        raise OptionError(f"years {_shown(out)}: the years must follow one another (e.g. 2026, 2027, 2028)")
    _check_year_span(out[0], out[-1], f"{out[0]}-{out[-1]}")
    return out


def _check_claim_date(claim_date: Any) -> tuple[int, int]:
    text = claim_date.strip() if isinstance(claim_date, str) else None
    try:
        month, day = (int(x) for x in text.split("-")) if text is not None else claim_date
        if any(isinstance(x, (bool, np.bool_)) or int(x) != x for x in (month, day)):
            raise ValueError
        month, day = int(month), int(day)
        dt.date(MAX_DATE.year - 1, month, day)  # a day every year has (2099 is not a leap year)
    except (TypeError, ValueError):
        raise OptionError(f"claim_date {_shown(claim_date)}: a (month, day) that every year has, e.g. (12, 31) "
                          f"or '12-31'") from None
    return month, day


def check_projection_args(years: Any = None, *, rd_growth: Any = 0.12, rd_growth_sd: Any = 0.0,
                          platform_rate: Any = 0.0, draws: Any = 0, seed: Any = 0, award_share: Any = None,
                          claim_date: Any = (12, 31)) -> dict[str, Any]:
    """The arguments of :func:`project`, checked and normalised (call it before reading any input).

    years: None (from the population's claim year to the policies' last year) or consecutive years (a list, a
    range, or ``"2026-2028"``), each within calc.limits' date range, at most MAX_YEARS.  rd_growth: finite, above
    −100% and at most +1000% (numbers are fractions: 0.12 is 12%; text may be "12%").  rd_growth_sd: 0 to 1000%.
    platform_rate: 0 to MAX_COUNT new national platforms a year per enterprise.  draws: a whole number 0 (none)
    to MAX_DRAWS.  seed: a whole number 0 to 2^64 − 1.  award_share: see :func:`parse_award_share`.
    claim_date: (month, day) or "MM-DD", a day every year has.

    Returns ``{"years", "rd_growth", "rd_growth_sd", "platform_rate", "draws", "seed", "award_share",
    "claim_date"}`` (rates as floats, the share as a Fraction); OptionError naming the argument, the value and
    what is allowed.
    """
    top = Fraction(MAX_GROWTH_PERCENT, PERCENT)
    growth = _number("rd_growth", rd_growth, f"R&D growth is above -100% and at most {MAX_GROWTH_PERCENT}%")
    if not -1 < growth <= top:
        raise OptionError(f"rd_growth {_shown(rd_growth)} = {_percent_text(growth)}: R&D growth must be above -100% "
                          f"and at most {MAX_GROWTH_PERCENT}%")
    spread = _number("rd_growth_sd", rd_growth_sd, f"the spread is 0% to {MAX_GROWTH_PERCENT}%")
    if not 0 <= spread <= top:
        raise OptionError(f"rd_growth_sd {_shown(rd_growth_sd)} = {_percent_text(spread)}: the spread of R&D growth "
                          f"must be 0% to {MAX_GROWTH_PERCENT}%")
    rate = _number("platform_rate", platform_rate, f"new platforms a year per enterprise, 0 to {MAX_COUNT:,}")
    if not 0 <= rate <= MAX_COUNT:
        raise OptionError(f"platform_rate {_shown(platform_rate)}: new national platforms a year per enterprise "
                          f"must be 0 to {MAX_COUNT:,}")
    for name, value, high in (("draws", draws, MAX_DRAWS), ("seed", seed, MAX_SEED)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value <= high:
            what = "0 (none) to" if name == "draws" else "0 to"
            raise OptionError(f"{name} {_shown(value)}: a whole number {what} {high:,}")
    return {"years": _check_years(years), "rd_growth": float(growth), "rd_growth_sd": float(spread),
            "platform_rate": float(rate), "draws": int(draws), "seed": int(seed),
            "award_share": parse_award_share(award_share), "claim_date": _check_claim_date(claim_date)}


def _reform_list(reforms: Any) -> list:
    """Reforms as a list: one reform (a mapping, a path, a Reform) may be given alone."""
    if isinstance(reforms, (Mapping, str, Path, Reform)):
        return [reforms]
    try:
        return list(reforms)
    except TypeError:
        raise OptionError(f"reforms must be a list of reforms, got {type(reforms).__name__}") from None


def _row_sum(columns: Iterable[np.ndarray], n: int) -> np.ndarray:
    """Per-row sum of items' amounts: int64, as each item pays at most MAX_ITEM_FEN (checked by the engine) and
    there are fewer than INT64_MAX // MAX_ITEM_FEN items; Python integers if there were ever more."""
    columns = list(columns)
    if len(columns) * MAX_ITEM_FEN > INT64_MAX:
        return sum((c.astype(object) for c in columns), np.zeros(n, dtype=object))
    return sum(columns, np.zeros(n, dtype=np.int64))


def _int_column(values: Sequence[int]) -> np.ndarray:
    """Exact integers as an int64 column when they all fit, else as Python integers (an object column)."""
    values = [int(v) for v in values]
    if all(-INT64_MAX <= v <= INT64_MAX for v in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray(values, dtype=object)


# --------------------------------------------------------------------------- comparison

@dataclass
class Comparison:
    baseline: EntitlementResult
    reform: EntitlementResult
    award_share: Fraction
    items: pd.DataFrame
    enterprises: pd.DataFrame
    budget_lines: pd.DataFrame = field(default_factory=pd.DataFrame)

    def breakdown(self, by: str | Sequence[str]) -> pd.DataFrame:
        """Totals by any column of :attr:`enterprises` (district, industry, size band …), exact.

        The sums are exact whatever the population: each int64 column is split into its high and low 32 bits,
        each half summed per group in int64 (exact for up to 2^31 enterprises) and the halves joined as Python
        integers; the counts are plain counts.
        """
        table = self.enterprises
        keys = [by] if isinstance(by, str) else list(by)
        unknown = [k for k in keys if not isinstance(k, str) or k not in table.columns]
        if unknown or not keys:
            raise OptionError(f"breakdown by {unknown or keys!r}: not a column of the enterprises table "
                              f"(columns: {', '.join(map(str, table.columns))})")
        work = table[keys].copy()
        sums = ("baseline_yuan", "reform_yuan", "change_yuan")
        for column in sums:
            values = np.asarray(table[column], dtype=np.int64)
            work[f"{column}:hi"] = np.right_shift(values, 32)
            work[f"{column}:lo"] = np.bitwise_and(values, 0xFFFFFFFF)
        work["enterprises"] = 1
        for name, column, sign in (("baseline_recipients", "baseline_yuan", 1), ("reform_recipients", "reform_yuan", 1),
                                   ("winners", "change_yuan", 1), ("losers", "change_yuan", -1)):
            work[name] = (np.asarray(table[column], dtype=np.int64) * sign > 0).astype(np.int64)
        grouped = work.groupby(by, dropna=False, observed=True).sum()
        out = pd.DataFrame(index=grouped.index)
        out["enterprises"] = grouped["enterprises"]
        for column in sums:
            out[column] = _int_column([(int(h) << 32) + int(lo) for h, lo in
                                       zip(grouped[f"{column}:hi"], grouped[f"{column}:lo"])])
        for name in ("baseline_recipients", "reform_recipients", "winners", "losers"):
            out[name] = grouped[name]
        return out.reset_index()

    def binding(self) -> pd.DataFrame:
        """What binds, per item and scenario: at the cap, below a threshold, lost to 就高不重复."""
        rows = []
        for scenario, result in (("baseline", self.baseline), ("reform", self.reform)):
            for node in result.nodes:
                award = result.awards[node.id]
                keys = pd.Series(reason_keys(award.reason)).value_counts()
                rows.append({
                    "scenario": scenario, "item_id": node.id,
                    "at_cap": int(keys[keys.index.isin(CAP_REASONS)].sum()),
                    "below_threshold": int(keys[keys.index.isin(THRESHOLD_REASONS)].sum()),
                    "duplicate": int((award.status == DUPLICATE).sum()),
                    "granted": int((award.status == GRANTED).sum()),
                })
        return pd.DataFrame(rows)



def checked_compare_args(as_of, policies, award_share, budgets, options, reforms):
    """:func:`compare`'s arguments checked before any population is read (also for calc.distributed's):
    (as-of date, policies, award share, budget lines, reforms)."""
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    share = parse_award_share(award_share)
    lines = _budget_lines(budgets, policies)
    _check_options(policies, options)
    return as_of, policies, share, lines, _reform_list(reforms)

def compare(
    population: Any,
    reforms: Sequence[Reform | Mapping | str | Path] = (),
    as_of: dt.date | str | None = None,
    *,
    policies: PolicySet | None = None,
    award_share: Any = None,
    budgets: Mapping[str, Any] | None = None,
    options: Mapping[str, str] | None = None,
    carry: Sequence[str] = ("name", "district", "industry", "size_band", "city"),
) -> Comparison:
    """Baseline vs reform over a population of enterprises.

    ``award_share`` (default 100%) is the share of each ceiling (最高/不超过) assumed to be awarded
    (:func:`parse_award_share`).  ``budgets`` maps an item id, or ``item_a+item_b``, to a budget (``"2亿"``;
    :func:`parse_budgets`): the reform scenario's awards under it are pro-rated by ``min(1, budget / claims)``
    and floored to the yuan.  Every argument is checked before the population is read.
    """
    as_of, policies, share, lines, reforms = checked_compare_args(as_of, policies, award_share, budgets, options,
                                                                  reforms)
    reformed = apply_reforms(policies, reforms)
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    base = entitlements(parsed, as_of, policies=policies, options=options)
    new = entitlements(parsed, as_of, policies=reformed, options=options)
    base_amounts, new_amounts = counted_amounts(base, share), counted_amounts(new, share)
    item_ids = [n.id for n in base.nodes]

    prorated = {i: new_amounts[i] // FEN_PER_YUAN for i in item_ids}
    line_rows = []
    for key, members, budget in lines:
        stacked = np.concatenate([new_amounts[m] // FEN_PER_YUAN for m in members])
        scaled, factor, remainder = prorate(stacked, budget)
        for k, m in enumerate(members):
            prorated[m] = scaled[k * len(parsed.frame):(k + 1) * len(parsed.frame)]
        line_rows.append({"budget_line": key, "budget_yuan": budget, "claims_yuan": exact_sum(stacked),
                          "factor": float(factor), "factor_exact": str(factor),
                          "prorated_yuan": exact_sum(scaled), "remainder_yuan": remainder})

    nodes = {n.id: n for n in base.nodes}
    items = pd.DataFrame({
        "item_id": item_ids,
        "policy_id": [nodes[i].policy_id for i in item_ids],
        "kind": [nodes[i].kind for i in item_ids],
        "baseline_yuan": _int_column([exact_sum(base_amounts[i]) // FEN_PER_YUAN for i in item_ids]),
        "reform_yuan": _int_column([exact_sum(new_amounts[i]) // FEN_PER_YUAN for i in item_ids]),
        "baseline_recipients": [int((base_amounts[i] > 0).sum()) for i in item_ids],
        "reform_recipients": [int((new_amounts[i] > 0).sum()) for i in item_ids],
    })
    items.insert(5, "change_yuan", _int_column([int(r) - int(b) for r, b in zip(items["reform_yuan"], items["baseline_yuan"])]))
    if lines:
        items["prorated_yuan"] = _int_column([exact_sum(prorated[i]) for i in item_ids])
    items["award_share"] = [str(share) if nodes[i].kind == "ceiling" else "1" for i in item_ids]

    base_total = _row_sum(base_amounts.values(), len(parsed.frame)) // FEN_PER_YUAN
    new_total = _row_sum(new_amounts.values(), len(parsed.frame)) // FEN_PER_YUAN
    enterprises = pd.DataFrame({"enterprise_id": parsed.frame["enterprise_id"].to_numpy()}, index=parsed.frame.index)
    for column in carry:
        if column in parsed.frame.columns:
            enterprises[column] = parsed.frame[column].to_numpy()
    enterprises["baseline_yuan"] = base_total
    enterprises["reform_yuan"] = new_total
    enterprises["change_yuan"] = new_total - base_total
    if lines:
        enterprises["prorated_yuan"] = _row_sum(prorated.values(), len(parsed.frame))
    enterprises["outcome"] = np.select([enterprises["change_yuan"] > 0, enterprises["change_yuan"] < 0],
                                       ["gains", "loses"], default="unchanged")
    return Comparison(base, new, share, items, enterprises.reset_index(drop=True), pd.DataFrame(line_rows))


# --------------------------------------------------------------------------- sensitivity and cliffs

def _items_reading(policies: PolicySet, parameter_id: str) -> list[str]:
    """The item owning a parameter and the members of its exclusivity group (they decide its counted amount)."""
    if not isinstance(parameter_id, str) or parameter_id not in policies.parameters():
        known = policies.parameters()
        raise PolicyDataError(f"unknown parameter {parameter_id!r}; nearest: "
                              f"{', '.join(policies.nearest(str(parameter_id), known))}")
    node_id = parameter_id.rsplit(".", 1)[0]
    try:
        node = policies.node(node_id)
    except KeyError:
        raise PolicyDataError(f"{parameter_id} belongs to an obligation, not to an item with an amount") from None
    if not node.kind:
        raise PolicyDataError(f"{parameter_id} belongs to a criterion, not to an item with an amount")
    group = policies.groups.get(node.exclusivity_group)
    return list(group.members) if group else [node.id]


def sensitivity(population: Any, parameter_id: str, values: Iterable[Any], as_of: dt.date | str | None = None, *,
                policies: PolicySet | None = None, award_share: Any = None,
                options: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cost of the item a parameter belongs to, as the parameter runs over ``values`` (e.g. caps 100万…1000万)."""
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    share = parse_award_share(award_share)
    _check_options(policies, options)
    item_ids = _items_reading(policies, parameter_id)
    values = [values] if isinstance(values, (str, Mapping)) else list(values)
    scenarios = [policies.with_overrides({parameter_id: value}) for value in values]  # every value checked first
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    parameter = policies.parameter(parameter_id)
    rows = []
    for value, scenario in zip(values, scenarios):
        result = entitlements(parsed, as_of, policies=scenario, options=options, items=item_ids)
        amounts = counted_amounts(result, share)
        total = _row_sum(amounts.values(), len(parsed.frame))
        rows.append({"parameter_id": parameter_id, "value": value,
                     "value_exact": parameter.coerce(value) if not isinstance(value, Mapping) else value,
                     "cost_yuan": exact_sum(total) // FEN_PER_YUAN, "recipients": int((total > 0).sum())})
    return pd.DataFrame(rows)


RD_STEP = "xiamen_sti_measures.rd_step_subsidy"
RD_BONUS = "xiamen_sti_measures.rd_growth_bonus"


def _money_argument(name: str, value: Any) -> int:
    try:
        return parse_money(value)
    except MoneyError as exc:
        raise OptionError(f"{name}: {exc}") from None


def cliffs(enterprise: Mapping[str, Any] | pd.DataFrame, as_of: dt.date | str | None = None, *,
           lo: Any = 0, hi: Any = None, policies: PolicySet | None = None,
           options: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Where one more yuan of this year's R&D changes one enterprise's award, and by how much.

    The R&D items are step functions of R&D whose steps sit at the parameters' values (thresholds, each
    full step, last year's R&D, the growth boundary), so evaluating the award at each of those points and
    one yuan below finds every cliff between ``lo`` and ``hi`` exactly.  At most MAX_CLIFF_POINTS R&D values are
    evaluated: a wider range (or a reform's tiny step) is an OptionError asking for a narrower one.
    """
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    row = enterprise.iloc[0].to_dict() if isinstance(enterprise, pd.DataFrame) else dict(enterprise)
    parsed_one = load_enterprises(pd.DataFrame([row]))
    if len(parsed_one.errors):
        raise OptionError("enterprise: " + "; ".join(parsed_one.errors["message"]))
    prev = int(parsed_one.frame["rd_expense_prev"].iloc[0]) if pd.notna(parsed_one.frame["rd_expense_prev"].iloc[0]) else 0
    lo_fen = _money_argument("lo", lo)
    step_node, bonus_node = policies.node(RD_STEP), policies.node(RD_BONUS)
    step = step_node.parameters["step"].value_at(as_of)
    threshold = step_node.parameters["threshold"].value_at(as_of)
    cap = step_node.parameters["cap"].value_at(as_of)
    per_step = step_node.parameters["amount_per_step"].value_at(as_of)
    bonus_threshold = bonus_node.parameters["threshold"].value_at(as_of)
    rate = bonus_node.parameters["growth_rate"].value_at(as_of)
    if None in (step, threshold, cap, per_step, bonus_threshold, rate):
        raise ValueError(f"the R&D items are not in force on {as_of}")
    if hi is not None:
        hi_fen = _money_argument("hi", hi)
    else:  # past the cap (or, with nothing paid per step, past every threshold), within the money bound
        last = (cap // per_step + 2) * step if per_step > 0 else max(threshold, bonus_threshold) + 2 * step
        hi_fen = min(max(2 * prev, last), MAX_MONEY_FEN)
    if hi_fen < lo_fen:
        raise OptionError(f"cliffs: hi {hi!r} is below lo {lo!r}")
    growth_edge = prev * (rate.denominator + rate.numerator) // rate.denominator  # R&D above this: growth > rate
    points = {threshold, bonus_threshold, prev, growth_edge}
    origins = (0, prev, threshold)  # full steps of the R&D, of the increase, or of the part above the threshold
    firsts = [origin + max(0, (lo_fen - origin) // step) * step for origin in origins]
    count = sum(max(0, (hi_fen + step - first) // step) for first in firsts)
    if count > MAX_CLIFF_POINTS:
        raise OptionError(f"cliffs: {count:,} R&D values between lo and hi at a step of {step // FEN_PER_YUAN:,} "
                          f"yuan; at most {MAX_CLIFF_POINTS:,}: narrow lo and hi")
    for first in firsts:
        points |= set(range(first, hi_fen + step, step))
    candidates = sorted({p + d for p in points for d in (0, FEN_PER_YUAN) if lo_fen <= p + d <= hi_fen})
    # whole yuan only: R&D is money entered by a person
    candidates = sorted({-(-c // FEN_PER_YUAN) * FEN_PER_YUAN for c in candidates})
    table = pd.DataFrame([row] * len(candidates))
    table["enterprise_id"] = [f"{row.get('enterprise_id', 'E')}@{i}" for i in range(len(candidates))]
    table["rd_expense"] = [c // FEN_PER_YUAN for c in candidates]
    result = entitlements(table, as_of, policies=policies, options=options, items=[RD_STEP, RD_BONUS])
    amounts = counted_amounts(result)
    total = (amounts[RD_STEP] + amounts[RD_BONUS]) // FEN_PER_YUAN
    rows = []
    for i in range(1, len(candidates)):
        if total[i] != total[i - 1]:
            rows.append({
                "rd_yuan": candidates[i] // FEN_PER_YUAN,
                "growth": (Fraction(candidates[i] - prev, prev) if prev else None),
                "award_before_yuan": int(total[i - 1]), "award_after_yuan": int(total[i]),
                "jump_yuan": int(total[i] - total[i - 1]),
                "step_yuan": int(amounts[RD_STEP][i] // FEN_PER_YUAN), "bonus_yuan": int(amounts[RD_BONUS][i] // FEN_PER_YUAN),
            })
    out = pd.DataFrame(rows, columns=["rd_yuan", "growth", "award_before_yuan", "award_after_yuan", "jump_yuan",
                                      "step_yuan", "bonus_yuan"])
    out["growth_pct"] = [float(g * 100) if g is not None else None for g in out["growth"]]
    return out


# --------------------------------------------------------------------------- multi-year projection

# one-off events: paid in the year they happen (the first year's inputs), not again
ONE_OFF_COLUMNS = (
    "national_funding", "provincial_funding", "municipal_funding", "project_total_investment",
    "joint_lab_investment", "tech_transaction_paid", "new_national_platforms", "new_intl_coop_bases",
    "brics_projects", "intergov_projects", "national_pilot_platforms", "sme_innovation_projects",
    "scenario_projects", "major_projects", "public_platforms_new", "double_hundred_hires",
)
# items that pay for several years: (input column, item id, parameter giving the number of years)
MULTI_YEAR = (
    ("postdocs_in_station", "xiamen_sti_measures.postdoc_allowance", "max_years"),
    ("hightech_transformation_project", "xiamen_sti_measures.hightech_transformation_award", "years"),
)
BASIS_POINTS = 10_000


@dataclass
class Projection:
    years: list[int]
    by_item: pd.DataFrame  # year, scenario, item_id, cost_yuan, recipients
    by_year: pd.DataFrame  # year, scenario, cost_yuan (+ p10/p50/p90 when drawn)
    assumptions: dict
    # year, change_yuan (reform − baseline) (+ p10/p50/p90 of the change over the same draws, when drawn)
    change: pd.DataFrame | None = None


PERCENTILES = (10, 50, 90)  # the fan chart's P10 / P50 / P90
MAX_GROWTH_BP = MAX_GROWTH_PERCENT * BASIS_POINTS // PERCENT  # +1000% in basis points

# The random streams.  Every random value of a projection belongs to one enterprise, one year and one draw, and is
# taken from a stream keyed by the seed and by the enterprise's input row (0-based: ``input_row`` − 1), never by
# its place among the rows computed together: so one process and any partitioning on Dask (calc.distributed)
# draw bit-identical values.  A stream is a Philox generator (counter-based) per (seed, kind, draw, year, block of
# RANDOM_BLOCK_ROWS input rows): key = seed + kind × 2^64, counter = block × 2^128 + (draw × 2^16 + year) × 2^192
# (the low 128 bits count the values drawn); the value of input row r is the (r mod RANDOM_BLOCK_ROWS)-th value
# of its block's stream, so a part of a block draws the block's values up to its last row and keeps its own.
RANDOM_BLOCK_ROWS = 16_384  # rows a stream covers: fewer generators to make, at most this many values drawn twice
STREAM_GROWTH, STREAM_PLATFORMS = 1, 2  # kinds of stream: the Monte Carlo's R&D growth, new national platforms


def _growth_bp(rng: np.random.Generator, mean: float, sd: float, shape) -> np.ndarray:
    """Growth draws as integer basis points (so that applying them to money stays integer arithmetic), each
    clipped to −100% … +1000% (calc.limits.MAX_GROWTH_PERCENT)."""
    draws = rng.normal(mean, sd, size=shape) if sd > 0 else np.full(shape, mean)
    return np.clip(np.rint(draws * BASIS_POINTS), -BASIS_POINTS, MAX_GROWTH_BP).astype(np.int64)


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """The random streams' key of each enterprise: its 0-based input row (``input_row`` − 1; the row's place when
    a frame has no ``input_row``).  On Dask the partitions' input rows are the whole input's, so the keys are too."""
    rows = frame["input_row"] if "input_row" in frame.columns else None
    if rows is not None and pd.api.types.is_integer_dtype(rows.dtype) and not rows.isna().any() \
            and (not len(rows) or int(rows.min()) >= 1):
        return rows.to_numpy(dtype=np.int64) - 1
    return np.arange(len(frame), dtype=np.int64)  # a frame built by hand, without the loader's row numbers


def _block_plan(keys: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray, int]]:
    """The blocks of RANDOM_BLOCK_ROWS input rows the keys fall in: (block, positions among the keys, positions in
    the block, values to draw from the block's stream), made once and used for every draw and year."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    blocks = ordered // RANDOM_BLOCK_ROWS
    cuts = [0, *(np.flatnonzero(np.diff(blocks)) + 1).tolist(), len(keys)]
    plan = []
    for start, end in zip(cuts, cuts[1:]):
        if end > start:
            block = int(blocks[start])
            within = ordered[start:end] - block * RANDOM_BLOCK_ROWS
            plan.append((block, order[start:end], within, int(within[-1]) + 1))
    return plan


def _stream_values(plan: list, n: int, seed: int, kind: int, draw: int, year: int, sample, dtype) -> np.ndarray:
    """Each enterprise's value from the streams (seed, kind, draw, year): ``sample(generator, count)`` draws a
    block's first ``count`` values (see RANDOM_BLOCK_ROWS)."""
    out = np.empty(n, dtype=dtype)
    key = int(seed) + (kind << 64)
    high = ((int(draw) << 16) + int(year)) << 192
    for block, where, within, count in plan:
        generator = np.random.Generator(np.random.Philox(key=key, counter=(block << 128) + high))
        out[where] = sample(generator, count)[within]
    return out


def _grow(rd_fen: np.ndarray, growth_bp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Next year's R&D, floored to the yuan, and where it was held at MAX_MONEY_FEN: rd × (1 + g) in integers.

    rd ≤ MAX_MONEY_FEN and 1 + g ≤ 11, but rd × (BASIS_POINTS + g) could pass int64: rd is split as
    q × BASIS_POINTS + r, and rd × f // BASIS_POINTS = q × f + r × f // BASIS_POINTS exactly, each term far
    inside int64.  R&D that would grow above MAX_MONEY_FEN (no input may hold more) is held at it.
    """
    factor = BASIS_POINTS + growth_bp
    whole, rest = np.divmod(np.minimum(rd_fen, MAX_MONEY_FEN), BASIS_POINTS)
    grown = whole * factor + rest * factor // BASIS_POINTS
    saturated = grown > MAX_MONEY_FEN
    return np.minimum(grown, MAX_MONEY_FEN) // FEN_PER_YUAN * FEN_PER_YUAN, saturated


def _year_frame(first: pd.DataFrame, k: int, rd: np.ndarray, rd_prev: np.ndarray, policies: PolicySet,
                as_of: dt.date, platforms: np.ndarray | None) -> pd.DataFrame:
    frame = first.copy()
    frame["rd_expense"] = pd.arrays.IntegerArray(rd, first["rd_expense"].isna().to_numpy())
    frame["rd_expense_prev"] = pd.arrays.IntegerArray(rd_prev, first["rd_expense_prev"].isna().to_numpy() if k == 0
                                                      else first["rd_expense"].isna().to_numpy())
    if k == 0:
        return frame
    for column in ONE_OFF_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.array(np.zeros(len(frame), dtype=np.int64), dtype="Int64")
    for column, item_id, years_param in MULTI_YEAR:
        years = policies.node(item_id).parameters[years_param].value_at(as_of) or 0
        if column in frame.columns and k >= years:
            frame[column] = first[column].where(first[column].isna(), False if first[column].dtype == "boolean" else 0)
    if platforms is not None:
        frame["new_national_platforms"] = pd.array(platforms, dtype="Int64")
    return frame


def project(
    population: Any,
    years: Sequence[int] | None = None,
    *,
    reforms: Sequence[Reform | Mapping | str | Path] = (),
    policies: PolicySet | None = None,
    rd_growth: float = 0.12,
    rd_growth_sd: float = 0.0,
    platform_rate: float = 0.0,
    draws: int = 0,
    seed: int = 0,
    award_share: Any = None,
    claim_date: tuple[int, int] = (12, 31),
    options: Mapping[str, str] | None = None,
) -> Projection:
    """Year-by-year cost, baseline and reform, from the first year's inputs and growth assumptions.

    The population's inputs are the first year's.  Each later year, R&D grows by ``rd_growth`` (a mean,
    with ``rd_growth_sd`` a normal spread per enterprise and year), last year's R&D is the year before's,
    one-off events do not recur (new national platforms arrive at ``platform_rate`` a year per enterprise
    when given), postdocs are paid for at most the years the measure allows and high-tech transformation
    awards for their consecutive years.  With ``draws`` > 0, a seeded Monte Carlo over the growth gives the
    P10 / P50 / P90 of each year's cost.

    The random values come from streams keyed by the seed and each enterprise's input row (see
    RANDOM_BLOCK_ROWS), so that :func:`calc.distributed.project_dataset` gives the same numbers on any
    partitioning; draw ``d`` and year ``k`` are the same whatever the number of draws or years asked.

    The arguments are checked first (:func:`check_projection_args`).  Projected R&D that would grow above
    calc.limits.MAX_MONEY_FEN is held there: ``assumptions["rd_held_at_ceiling"]`` counts such enterprise-years
    (and ``rd_held_at_ceiling_draws`` in the Monte Carlo).  Costs are exact sums (Python integers).
    """
    args, policies, reformed = checked_projection(years, reforms=reforms, policies=policies, rd_growth=rd_growth,
                                                  rd_growth_sd=rd_growth_sd, platform_rate=platform_rate, draws=draws,
                                                  seed=seed, award_share=award_share, claim_date=claim_date,
                                                  options=options)
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    if args["years"] is None:
        args["years"] = projection_years(policies, first_claim_year(parsed.frame))
    part = projection_part(parsed.frame, args, policies, reformed, options)
    return projection_merge([part], args, policies)


def checked_projection(years: Any = None, *, reforms: Any = (), policies: PolicySet | None = None,
                       options: Mapping[str, str] | None = None, **named: Any) -> tuple[dict, PolicySet, PolicySet]:
    """:func:`project`'s arguments checked before any population is read (also for calc.distributed's):
    (the arguments as :func:`check_projection_args` gives them, the policies, the reformed policies)."""
    args = check_projection_args(years, **named)
    policies = policies or default_policies()
    _check_options(policies, options)
    return args, policies, apply_reforms(policies, _reform_list(reforms))


def first_claim_year(frame: pd.DataFrame) -> int | None:
    """The earliest claim year of a population (None when none is given)."""
    claimed = frame["claim_year"].dropna() if "claim_year" in frame.columns else pd.Series([], dtype=object)
    return int(claimed.min()) if len(claimed) else None


def projection_years(policies: PolicySet, start: int | None) -> list[int]:
    """The default years: from the population's first claim year (this year when none) to the policies' last."""
    start = dt.date.today().year if start is None else start
    ends = [p.in_force_until.year for p in policies.policies.values() if p.items and p.in_force_until]
    return _check_years(range(start, max(ends + [start]) + 1))


def projection_part(first: pd.DataFrame, args: Mapping[str, Any], policies: PolicySet, reformed: PolicySet,
                    options: Mapping[str, str] | None = None, chunk_rows: int = 1_000_000) -> dict[str, Any]:
    """The projection of some enterprises (all of them, or one partition), as exact sums in fen to be added to the
    other parts' (:func:`projection_merge`): per (year, scenario, item) the cost and the recipients, per
    (scenario, year) each draw's cost of the R&D items, and the enterprise-years held at the money ceiling."""
    years, share, claim_date = args["years"], args["award_share"], args["claim_date"]
    seed, platform_rate = args["seed"], args["platform_rate"]
    n = len(first)
    plan = _block_plan(row_keys(first))
    rd = first["rd_expense"].to_numpy(dtype=np.int64, na_value=0)
    prev = first["rd_expense_prev"].to_numpy(dtype=np.int64, na_value=0)
    central = np.full(n, _growth_bp(None, args["rd_growth"], 0.0, 1)[0], dtype=np.int64)
    items: dict[tuple[int, str, str], list[int]] = {}
    held = 0
    for k, year in enumerate(years):
        as_of = dt.date(year, *claim_date)
        if k:
            prev, (rd, saturated) = rd, _grow(rd, central)
            held += int(saturated.sum())
        platforms = None
        if k and platform_rate > 0:
            platforms = _stream_values(plan, n, seed, STREAM_PLATFORMS, 0, k,
                                       lambda g, m: np.minimum(g.poisson(platform_rate, m), MAX_COUNT), np.int64)
        frame = _year_frame(first, k, rd, prev, policies, as_of, platforms)
        year_input = ParsedInput(frame, _no_errors(), {}, "enterprises")
        for scenario, tree in (("baseline", policies), ("reform", reformed)):
            result = entitlements(year_input, as_of, policies=tree, options=options)
            for item_id, amount in counted_amounts(result, share).items():
                items[(year, scenario, item_id)] = [exact_sum(amount), int((amount > 0).sum())]
    part = {"items": items, "held": held, "drawn": {}, "held_draws": 0}
    if args["draws"] > 0:
        part["drawn"], part["held_draws"] = _monte_carlo_part(first, plan, args, policies, reformed, options,
                                                              chunk_rows)
    return part


def _no_errors() -> pd.DataFrame:
    from calc.inputs import _empty_errors

    return _empty_errors()


def projection_merge(parts: Sequence[Mapping[str, Any]], args: Mapping[str, Any], policies: PolicySet) -> Projection:
    """The projection from its parts' exact sums: each item's cost floored to the yuan once, over all the parts;
    each draw's cost likewise, then its P10/P50/P90."""
    years, share, claim_date, draws = args["years"], args["award_share"], args["claim_date"], args["draws"]
    sums: dict[tuple[int, str, str], list[int]] = {}
    for part in parts:
        for key, (fen, recipients) in part["items"].items():
            total = sums.setdefault(key, [0, 0])
            total[0] += fen
            total[1] += recipients
    if not sums:  # no enterprise (an empty population): every item costs nothing
        ids = [n.id for n in policies.items()]
        sums = {(y, sc, i): [0, 0] for y in years for sc in ("baseline", "reform") for i in ids}
    order: dict[tuple[int, str], list[str]] = {}
    for key in sums:  # the items in the engine's order within each (year, scenario)
        order.setdefault((key[0], key[1]), []).append(key[2])
    item_rows = [{"year": y, "scenario": sc, "item_id": i, "cost_yuan": sums[(y, sc, i)][0] // FEN_PER_YUAN,
                  "recipients": sums[(y, sc, i)][1]}
                 for y in years for sc in ("baseline", "reform") for i in order.get((y, sc), [])]
    by_item = pd.DataFrame(item_rows, columns=["year", "scenario", "item_id", "cost_yuan", "recipients"])
    by_item["cost_yuan"] = _int_column(by_item["cost_yuan"])
    totals: dict[tuple[int, str], int] = {}
    for year, scenario, cost in zip(by_item["year"], by_item["scenario"], by_item["cost_yuan"]):
        totals[(int(year), scenario)] = totals.get((int(year), scenario), 0) + int(cost)  # exact: Python ints
    ordered_keys = sorted(totals)
    by_year = pd.DataFrame({"year": [y for y, _ in ordered_keys], "scenario": [sc for _, sc in ordered_keys],
                            "cost_yuan": _int_column([totals[k] for k in ordered_keys])})
    change = pd.DataFrame({"year": list(years),
                           "change_yuan": _int_column([totals.get((y, "reform"), 0) - totals.get((y, "baseline"), 0)
                                                       for y in years])})
    held = sum(p["held"] for p in parts)
    held_draws = sum(p["held_draws"] for p in parts)
    if draws > 0:
        drawn: dict[tuple[str, int], np.ndarray] = {}
        for part in parts:
            for key, values in part["drawn"].items():
                drawn[key] = drawn[key] + values if key in drawn else values.copy()
        zero = np.zeros(draws, dtype=object)
        per_draw = {key: np.asarray([int(v) // FEN_PER_YUAN for v in drawn.get(key, zero)], dtype=object)
                    for key in [(sc, y) for sc in ("baseline", "reform") for y in years]}
        table, drawn_change = _percentiles(per_draw, years, by_item)
        by_year = by_year.merge(table, on=["year", "scenario"], how="left")
        change = change.merge(drawn_change, on="year", how="left")
    assumptions = {"rd_growth": args["rd_growth"], "rd_growth_sd": args["rd_growth_sd"],
                   "platform_rate": args["platform_rate"], "draws": draws, "seed": args["seed"],
                   "award_share": str(share), "claim_date": f"{claim_date[0]:02d}-{claim_date[1]:02d}",
                   "rd_ceiling_yuan": MAX_MONEY_FEN // FEN_PER_YUAN, "rd_held_at_ceiling": held}
    if draws > 0:
        assumptions["rd_held_at_ceiling_draws"] = held_draws
    return Projection(list(years), by_item, by_year, assumptions, change)


def _monte_carlo_part(first: pd.DataFrame, plan: list, args: Mapping[str, Any], policies: PolicySet,
                      reformed: PolicySet, options: Mapping[str, str] | None,
                      chunk_rows: int) -> tuple[dict[tuple[str, int], np.ndarray], int]:
    """Each draw's cost of the R&D items, per (scenario, year), in fen (exact: Python integers), over these
    enterprises; only the R&D items vary by draw.  Draws are computed ``chunk_rows`` enterprise-draws at a time,
    the draws side by side; draw d's growth for year k comes from its own streams (seed, draw d, year k)."""
    rd_items = [RD_STEP, RD_BONUS]
    years, share, claim_date = args["years"], args["award_share"], args["claim_date"]
    mean, sd, draws, seed = args["rd_growth"], args["rd_growth_sd"], args["draws"], args["seed"]
    n = len(first)
    rd0 = first["rd_expense"].to_numpy(dtype=np.int64, na_value=0)
    prev0 = first["rd_expense_prev"].to_numpy(dtype=np.int64, na_value=0)
    known = first["rd_expense"].notna().to_numpy() & first["rd_expense_prev"].notna().to_numpy()
    city = first["city"]
    per_chunk = max(1, chunk_rows // max(n, 1))
    totals = {(scenario, y): np.zeros(draws, dtype=object) for scenario in ("baseline", "reform") for y in years}
    held = 0
    if n == 0:
        return totals, 0

    def growth(draw: int, k: int) -> np.ndarray:
        if sd <= 0:  # no spread: every draw is the central path, nothing drawn
            return np.full(n, _growth_bp(None, mean, 0.0, 1)[0], dtype=np.int64)
        return _stream_values(plan, n, seed, STREAM_GROWTH, draw, k, lambda g, m: _growth_bp(g, mean, sd, m),
                              np.int64)

    for start in range(0, draws, per_chunk):
        d = min(per_chunk, draws - start)
        rd = np.tile(rd0, d)
        prev = np.tile(prev0, d)
        # the draws' cities: the codes tiled (building a Categorical from tiled values costs more than the rules)
        cities = (pd.Categorical.from_codes(np.tile(city.cat.codes.to_numpy(), d), dtype=city.dtype)
                  if isinstance(city.dtype, pd.CategoricalDtype) else np.tile(city.to_numpy(), d))
        unknown = ~np.tile(known, d)
        for k, year in enumerate(years):
            if k:
                g = np.concatenate([growth(start + j, k) for j in range(d)])
                prev, (rd, saturated) = rd, _grow(rd, g)
                held += int(saturated.sum())
            frame = pd.DataFrame({
                "enterprise_id": np.arange(n * d),
                "city": cities,
                "rd_expense": pd.arrays.IntegerArray(rd, unknown),
                "rd_expense_prev": pd.arrays.IntegerArray(prev, unknown),
            })
            stacked = ParsedInput(frame, pd.DataFrame(), {}, "enterprises")
            as_of = dt.date(year, *claim_date)
            for scenario, tree in (("baseline", policies), ("reform", reformed)):
                result = entitlements(stacked, as_of, policies=tree, options=options, items=rd_items)
                amounts = counted_amounts(result, share)
                totals[(scenario, year)][start:start + d] = exact_sum(_row_sum(amounts.values(), n * d).reshape(d, n),
                                                                      axis=1)
    return totals, held


def _percentiles(per_draw: Mapping[tuple[str, int], np.ndarray], years: Sequence[int],
                 by_item: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P10/P50/P90 of each year's total cost over the draws (each draw's R&D items plus the fixed items' cost), and
    of reform − baseline taken draw by draw (both scenarios see the same draws, so the change is not a difference
    of percentiles).  Numpy's "lower" method computed exactly: the value at index ⌊q × (draws − 1) / 100⌋ of the
    sorted totals."""
    rd_items = [RD_STEP, RD_BONUS]
    rows = []
    for (scenario, year), values in per_draw.items():
        fixed = by_item[(by_item.year == year) & (by_item.scenario == scenario) & ~by_item.item_id.isin(rd_items)]
        other = sum(int(v) for v in fixed["cost_yuan"])
        ordered = sorted(int(v) + other for v in values)
        p10, p50, p90 = (ordered[q * (len(ordered) - 1) // PERCENT] for q in PERCENTILES)
        rows.append({"year": year, "scenario": scenario, "p10_yuan": p10, "p50_yuan": p50, "p90_yuan": p90})
    table = pd.DataFrame(rows, columns=["year", "scenario", "p10_yuan", "p50_yuan", "p90_yuan"])
    for column in ("p10_yuan", "p50_yuan", "p90_yuan"):
        table[column] = _int_column(table[column])
    change_rows = []
    for year in years:  # the fixed items' costs differ by the same amount in every draw
        fixed = by_item[(by_item.year == year) & ~by_item.item_id.isin(rd_items)]
        other = (sum(int(v) for v in fixed.loc[fixed.scenario == "reform", "cost_yuan"])
                 - sum(int(v) for v in fixed.loc[fixed.scenario == "baseline", "cost_yuan"]))
        ordered = sorted(int(r) - int(b) + other
                         for r, b in zip(per_draw[("reform", year)], per_draw[("baseline", year)]))
        p10, p50, p90 = (ordered[q * (len(ordered) - 1) // PERCENT] for q in PERCENTILES)
        change_rows.append({"year": year, "p10_yuan": p10, "p50_yuan": p50, "p90_yuan": p90})
    change = pd.DataFrame(change_rows, columns=["year", "p10_yuan", "p50_yuan", "p90_yuan"])
    for column in ("p10_yuan", "p50_yuan", "p90_yuan"):
        change[column] = _int_column(change[column])
    return table, change


# --------------------------------------------------------------------------- for the budget dashboard

def editable_parameters(policies: PolicySet | None = None, as_of: dt.date | str | None = None,
                        lang: str = "zh") -> pd.DataFrame:
    """Every numeric parameter of an item with an amount: id, item, unit, current value (as the law writes it)
    and citation — what a budget widget is seeded from."""
    from calc.explain import format_value

    as_of = _as_date(as_of)
    policies = policies or default_policies()
    rows = []
    for node in policies.items():
        for name, prm in node.parameters.items():
            version = prm.version_at(as_of)
            if prm.unit not in ("yuan", "ratio", "count", "years") or version is None:
                continue
            rows.append({
                "parameter_id": prm.id, "item_id": node.id, "policy_id": node.policy_id,
                "item": node.title_zh if lang == "zh" else node.title_en, "name": name, "unit": prm.unit,
                "current": format_value(version.value, prm.unit, lang), "text": version.text,
                "citation": f"{version.citation.article}：「{version.citation.quote}」",
            })
    # a date when no policy is in force gives no rows, with the same columns (callers group by them)
    return pd.DataFrame(rows, columns=["parameter_id", "item_id", "policy_id", "item", "name", "unit", "current",
                                       "text", "citation"])


def reproduce_code(population: str, reforms: Sequence[Reform | Mapping], as_of: dt.date | str, *,
                   budgets: Mapping[str, Any] | None = None, award_share: Any = None,
                   projection: Mapping[str, Any] | None = None, population_is_code: bool = False) -> str:
    """Python that gives the same numbers in a notebook: the dashboard's "reproduce in Python" box.

    ``population`` is a file path, or (``population_is_code``) a Python expression such as
    ``calc.SAMPLES / "population.csv"``; ``projection`` holds the keyword arguments of :func:`project`.
    """
    reform_dicts = []
    for reform in reforms:
        r = load_reform(reform)
        entry: dict[str, Any] = {"name": r.name, "parameters": dict(r.parameters)}
        if r.switch_off:
            entry["switch_off"] = list(r.switch_off)
        reform_dicts.append(entry)
    share = f", award_share={award_share!r}" if award_share is not None else ""
    lines = [
        "import calc",
        "",
        f"population = calc.load_enterprises({population if population_is_code else repr(population)})",
        f"reforms = {reform_dicts!r}",
        f"cmp = calc.compare(population, reforms, as_of={str(_as_date(as_of))!r}"
        + (f", budgets={dict(budgets)!r}" if budgets else "") + share + ")",
        "cmp.items  # per item: baseline_yuan, reform_yuan, change_yuan, recipients",
    ]
    if projection is not None:
        args = ", ".join(f"{k}={tuple(v) if k == 'claim_date' else v!r}" for k, v in projection.items())
        lines += [f"proj = calc.project(population, reforms=reforms{share}, {args})",
                  "proj.by_year  # cost per year and scenario (P10 / P50 / P90 with draws)"]
    return "\n".join(lines) + "\n"
