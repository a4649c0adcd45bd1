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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import yaml

from calc.entitlements import EntitlementResult, _as_date, entitlements
from calc.inputs import ParsedInput, load_enterprises
from calc.money import parse_money
from calc.policies import PolicyDataError, PolicySet, coerce_value, default_policies
from calc.rules.base import DUPLICATE, FEN_PER_YUAN, GRANTED, reason_keys

REFORM_KEYS = {"name", "description", "parameters", "switch_off"}

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
        out = policies.with_overrides(self.parameters) if self.parameters else policies
        return out.with_items_off(self.switch_off) if self.switch_off else out


def load_reform(source: Any, name: str | None = None) -> Reform:
    """A reform from a dict, a YAML file (name, description, parameters, switch_off) or an XLSX sheet
    (columns parameter_id, value, and optionally from, until; a value ``off`` on an item id switches it off)."""
    if isinstance(source, Reform):
        return source
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".xlsx":
        return _reform_from_sheet(pd.read_excel(source, dtype=object), name or Path(source).stem)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise PolicyDataError(f"reform file not found: {path}")
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        name = name or raw.get("name") or path.stem
    else:
        raw = dict(source)
    if not isinstance(raw, Mapping):
        raise PolicyDataError("a reform is a mapping with name, description, parameters, switch_off")
    unknown = set(map(str, raw)) - REFORM_KEYS
    if unknown:
        raise PolicyDataError(f"reform: unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(REFORM_KEYS))})")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise PolicyDataError("reform: parameters must map parameter ids to values")
    return Reform(
        name=str(name or raw.get("name") or "reform"),
        parameters=tuple((str(k), v) for k, v in parameters.items()),
        switch_off=tuple(str(i) for i in (raw.get("switch_off") or ())),
        description=str(raw.get("description") or ""),
    )


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
            errors.append(str(exc).replace("invalid reform:\n  ", ""))
    if errors:
        raise PolicyDataError("invalid reform:\n  " + "\n  ".join(errors))
    return out


def reform_parameters(policies: PolicySet, reforms: Sequence[Reform], as_of: dt.date) -> pd.DataFrame:
    """Each overridden parameter: current value vs reform value, side by side, with its citation."""
    from calc.explain import format_value

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
    """Per item, each enterprise's counted amount in fen; ceiling items scaled by ``award_share`` (floored to the yuan)."""
    out = {}
    for node in result.nodes:
        award = result.awards[node.id]
        amount = np.where(award.status == GRANTED, award.amount, 0)
        if node.kind == "ceiling" and award_share != 1:
            amount = (amount * award_share.numerator // award_share.denominator) // FEN_PER_YUAN * FEN_PER_YUAN
        out[node.id] = amount
    return out


def prorate(amounts_yuan: np.ndarray, budget_yuan: int) -> tuple[np.ndarray, Fraction, int]:
    """``min(1, budget / total)`` applied to each award, rounded down to the yuan, exactly.

    Returns (pro-rated awards, factor, remainder): the remainder is what flooring left of the budget.
    """
    amounts = np.asarray(amounts_yuan, dtype=np.int64)
    total = int(amounts.sum())
    if total <= budget_yuan:
        return amounts.copy(), Fraction(1), 0
    # integer arithmetic in Python ints (amount × budget can exceed int64)
    prorated = (amounts.astype(object) * int(budget_yuan) // total).astype(np.int64)
    return prorated, Fraction(int(budget_yuan), total), int(budget_yuan) - int(prorated.sum())


def _share(value: Any) -> Fraction:
    share = coerce_value(value, "ratio") if value is not None else Fraction(1)
    if not 0 <= share <= 1:
        raise ValueError(f"award share must be between 0% and 100%, got {value!r}")
    return share


def _budget_lines(budgets: Mapping[str, Any] | None, item_ids: Sequence[str]) -> list[tuple[str, list[str], int]]:
    """Budget lines: ``item_id`` or ``item_a+item_b`` (a group) → yuan."""
    lines = []
    for key, amount in (budgets or {}).items():
        members = [m.strip() for m in str(key).split("+")]
        unknown = [m for m in members if m not in item_ids]
        if unknown:
            raise PolicyDataError(f"budget for unknown item(s) {', '.join(unknown)}")
        lines.append((str(key), members, parse_money(amount) // FEN_PER_YUAN))
    return lines


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
        """Totals by any input column (district, industry, size band …)."""
        table = self.enterprises
        grouped = table.groupby(by, dropna=False, observed=True)
        out = grouped.agg(
            enterprises=("enterprise_id", "size"),
            baseline_yuan=("baseline_yuan", "sum"), reform_yuan=("reform_yuan", "sum"),
            change_yuan=("change_yuan", "sum"),
            baseline_recipients=("baseline_yuan", lambda s: int((s > 0).sum())),
            reform_recipients=("reform_yuan", lambda s: int((s > 0).sum())),
            winners=("change_yuan", lambda s: int((s > 0).sum())),
            losers=("change_yuan", lambda s: int((s < 0).sum())),
        )
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

    ``award_share`` (default 100%) is the share of each ceiling (最高/不超过) assumed to be awarded.
    ``budgets`` maps an item id, or ``item_a+item_b``, to a budget (``"2亿"``): the reform scenario's awards
    under it are pro-rated by ``min(1, budget / claims)`` and floored to the yuan.
    """
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    reformed = apply_reforms(policies, list(reforms))
    share = _share(award_share)
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    base = entitlements(parsed, as_of, policies=policies, options=options)
    new = entitlements(parsed, as_of, policies=reformed, options=options)
    base_amounts, new_amounts = counted_amounts(base, share), counted_amounts(new, share)
    item_ids = [n.id for n in base.nodes]
    lines = _budget_lines(budgets, item_ids)

    prorated = {i: new_amounts[i] // FEN_PER_YUAN for i in item_ids}
    line_rows = []
    for key, members, budget in lines:
        stacked = np.concatenate([new_amounts[m] // FEN_PER_YUAN for m in members])
        scaled, factor, remainder = prorate(stacked, budget)
        for k, m in enumerate(members):
            prorated[m] = scaled[k * len(parsed.frame):(k + 1) * len(parsed.frame)]
        line_rows.append({"budget_line": key, "budget_yuan": budget, "claims_yuan": int(stacked.sum()),
                          "factor": float(factor), "factor_exact": str(factor),
                          "prorated_yuan": int(scaled.sum()), "remainder_yuan": remainder})

    nodes = {n.id: n for n in base.nodes}
    items = pd.DataFrame({
        "item_id": item_ids,
        "policy_id": [nodes[i].policy_id for i in item_ids],
        "kind": [nodes[i].kind for i in item_ids],
        "baseline_yuan": [int(base_amounts[i].sum()) // FEN_PER_YUAN for i in item_ids],
        "reform_yuan": [int(new_amounts[i].sum()) // FEN_PER_YUAN for i in item_ids],
        "baseline_recipients": [int((base_amounts[i] > 0).sum()) for i in item_ids],
        "reform_recipients": [int((new_amounts[i] > 0).sum()) for i in item_ids],
    })
    items.insert(5, "change_yuan", items["reform_yuan"] - items["baseline_yuan"])
    if lines:
        items["prorated_yuan"] = [int(prorated[i].sum()) for i in item_ids]
    items["award_share"] = [str(share) if nodes[i].kind == "ceiling" else "1" for i in item_ids]

    base_total = sum(base_amounts.values()) // FEN_PER_YUAN if item_ids else np.zeros(len(parsed.frame), np.int64)
    new_total = sum(new_amounts.values()) // FEN_PER_YUAN if item_ids else np.zeros(len(parsed.frame), np.int64)
    enterprises = pd.DataFrame({"enterprise_id": parsed.frame["enterprise_id"].to_numpy()}, index=parsed.frame.index)
    for column in carry:
        if column in parsed.frame.columns:
            enterprises[column] = parsed.frame[column].to_numpy()
    enterprises["baseline_yuan"] = base_total
    enterprises["reform_yuan"] = new_total
    enterprises["change_yuan"] = new_total - base_total
    if lines:
        enterprises["prorated_yuan"] = sum(prorated.values())
    enterprises["outcome"] = np.select([enterprises["change_yuan"] > 0, enterprises["change_yuan"] < 0],
                                       ["gains", "loses"], default="unchanged")
    return Comparison(base, new, share, items, enterprises.reset_index(drop=True), pd.DataFrame(line_rows))


# --------------------------------------------------------------------------- sensitivity and cliffs

def _items_reading(policies: PolicySet, parameter_id: str) -> list[str]:
    """The item owning a parameter and the members of its exclusivity group (they decide its counted amount)."""
    node_id = parameter_id.rsplit(".", 1)[0]
    node = policies.node(node_id)
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
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    share = _share(award_share)
    item_ids = _items_reading(policies, parameter_id)
    unit = policies.parameter(parameter_id).unit
    rows = []
    for value in values:
        scenario = policies.with_overrides({parameter_id: value})
        result = entitlements(parsed, as_of, policies=scenario, options=options, items=item_ids)
        amounts = counted_amounts(result, share)
        total = sum(amounts.values())
        rows.append({"parameter_id": parameter_id, "value": value,
                     "value_exact": coerce_value(value, unit) if not isinstance(value, dict) else value,
                     "cost_yuan": int(total.sum()) // FEN_PER_YUAN, "recipients": int((total > 0).sum())})
    return pd.DataFrame(rows)


RD_STEP = "xiamen_sti_measures.rd_step_subsidy"
RD_BONUS = "xiamen_sti_measures.rd_growth_bonus"


def cliffs(enterprise: Mapping[str, Any] | pd.DataFrame, as_of: dt.date | str | None = None, *,
           lo: Any = 0, hi: Any = None, policies: PolicySet | None = None,
           options: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Where one more yuan of this year's R&D changes one enterprise's award, and by how much.

    The R&D items are step functions of R&D whose steps sit at the parameters' values (thresholds, each
    full step, last year's R&D, the growth boundary), so evaluating the award at each of those points and
    one yuan below finds every cliff between ``lo`` and ``hi`` exactly.
    """
    as_of = _as_date(as_of)
    policies = policies or default_policies()
    row = enterprise.iloc[0].to_dict() if isinstance(enterprise, pd.DataFrame) else dict(enterprise)
    parsed_one = load_enterprises(pd.DataFrame([row]))
    if len(parsed_one.errors):
        raise ValueError("; ".join(parsed_one.errors["message"]))
    prev = int(parsed_one.frame["rd_expense_prev"].iloc[0]) if pd.notna(parsed_one.frame["rd_expense_prev"].iloc[0]) else 0
    lo_fen, step_node, bonus_node = parse_money(lo), policies.node(RD_STEP), policies.node(RD_BONUS)
    step = step_node.parameters["step"].value_at(as_of)
    threshold = step_node.parameters["threshold"].value_at(as_of)
    cap = step_node.parameters["cap"].value_at(as_of)
    per_step = step_node.parameters["amount_per_step"].value_at(as_of)
    bonus_threshold = bonus_node.parameters["threshold"].value_at(as_of)
    rate = bonus_node.parameters["growth_rate"].value_at(as_of)
    if None in (step, threshold, cap, per_step, bonus_threshold, rate):
        raise ValueError(f"the R&D items are not in force on {as_of}")
    hi_fen = parse_money(hi) if hi is not None else max(2 * prev, (cap // per_step + 2) * step)
    growth_edge = prev * (rate.denominator + rate.numerator) // rate.denominator  # R&D above this: growth > rate
    points = {threshold, bonus_threshold, prev, growth_edge}
    for origin in (0, prev, threshold):  # full steps of the R&D, of the increase, or of the part above the threshold
        first = origin + max(0, (lo_fen - origin) // step) * step
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


def _growth_bp(rng: np.random.Generator, mean: float, sd: float, shape) -> np.ndarray:
    """Growth draws as integer basis points (so that applying them to money stays integer arithmetic)."""
    draws = rng.normal(mean, sd, size=shape) if sd > 0 else np.full(shape, mean)
    return np.maximum(np.rint(draws * BASIS_POINTS).astype(np.int64), -BASIS_POINTS)


def _grow(rd_fen: np.ndarray, growth_bp: np.ndarray) -> np.ndarray:
    """Next year's R&D, floored to the yuan: rd × (1 + g) in integers."""
    return (rd_fen * (BASIS_POINTS + growth_bp) // BASIS_POINTS) // FEN_PER_YUAN * FEN_PER_YUAN


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
    """
    policies = policies or default_policies()
    reformed = apply_reforms(policies, list(reforms))
    share = _share(award_share)
    parsed = population if isinstance(population, ParsedInput) else load_enterprises(population)
    first = parsed.frame
    if years is None:
        start = int(first["claim_year"].dropna().min()) if first["claim_year"].notna().any() else dt.date.today().year
        ends = [p.in_force_until.year for p in policies.policies.values() if p.items and p.in_force_until]
        years = list(range(start, max(ends + [start]) + 1))
    years = list(years)
    rng = np.random.default_rng(seed)
    n = len(first)
    rd0 = first["rd_expense"].to_numpy(dtype=np.int64, na_value=0)
    prev0 = first["rd_expense_prev"].to_numpy(dtype=np.int64, na_value=0)
    item_rows = []
    rd, prev = rd0, prev0
    growth_path = [np.zeros(n, dtype=np.int64)] + [_growth_bp(rng, rd_growth, 0.0, n) for _ in years[1:]]
    for k, year in enumerate(years):
        as_of = dt.date(year, *claim_date)
        if k:
            prev, rd = rd, _grow(rd, growth_path[k])
        platforms = rng.poisson(platform_rate, n) if (k and platform_rate > 0) else None
        frame = _year_frame(first, k, rd, prev, policies, as_of, platforms)
        year_input = ParsedInput(frame, parsed.errors.iloc[0:0], {}, parsed.table)
        for scenario, tree in (("baseline", policies), ("reform", reformed)):
            result = entitlements(year_input, as_of, policies=tree, options=options)
            amounts = counted_amounts(result, share)
            for item_id, amount in amounts.items():
                item_rows.append({"year": year, "scenario": scenario, "item_id": item_id,
                                  "cost_yuan": int(amount.sum()) // FEN_PER_YUAN,
                                  "recipients": int((amount > 0).sum())})
    by_item = pd.DataFrame(item_rows)
    by_year = by_item.groupby(["year", "scenario"], as_index=False)["cost_yuan"].sum()
    if draws > 0:
        by_year = by_year.merge(
            _monte_carlo(first, years, policies, reformed, share, rd_growth, rd_growth_sd, draws, seed, claim_date,
                         by_item, options),
            on=["year", "scenario"], how="left")
    assumptions = {"rd_growth": rd_growth, "rd_growth_sd": rd_growth_sd, "platform_rate": platform_rate,
                   "draws": draws, "seed": seed, "award_share": str(share),
                   "claim_date": f"{claim_date[0]:02d}-{claim_date[1]:02d}"}
    return Projection(years, by_item, by_year, assumptions)


def _monte_carlo(first, years, policies, reformed, share, mean, sd, draws, seed, claim_date, by_item, options,
                 chunk_rows: int = 1_000_000) -> pd.DataFrame:
    """P10/P50/P90 of each year's total cost over ``draws`` growth paths; only the R&D items vary by draw."""
    rd_items = [RD_STEP, RD_BONUS]
    n = len(first)
    rng = np.random.default_rng(seed + 1)
    rd0 = first["rd_expense"].to_numpy(dtype=np.int64, na_value=0)
    prev0 = first["rd_expense_prev"].to_numpy(dtype=np.int64, na_value=0)
    known = first["rd_expense"].notna().to_numpy() & first["rd_expense_prev"].notna().to_numpy()
    city = first["city"]
    rows = []
    per_chunk = max(1, chunk_rows // max(n, 1))
    totals = {("baseline", y): np.zeros(draws, dtype=np.int64) for y in years}
    totals.update({("reform", y): np.zeros(draws, dtype=np.int64) for y in years})
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
                prev, rd = rd, _grow(rd, _growth_bp(rng, mean, sd, n * d))
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
                per_draw = sum(amounts.values()).reshape(d, n).sum(axis=1) // FEN_PER_YUAN
                totals[(scenario, year)][start:start + d] = per_draw
    for (scenario, year), values in totals.items():
        fixed = by_item[(by_item.year == year) & (by_item.scenario == scenario) & ~by_item.item_id.isin(rd_items)]
        other = int(fixed["cost_yuan"].sum())
        p10, p50, p90 = np.percentile(values + other, [10, 50, 90], method="lower")
        rows.append({"year": year, "scenario": scenario, "p10_yuan": int(p10), "p50_yuan": int(p50),
                     "p90_yuan": int(p90)})
    return pd.DataFrame(rows)


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
    return pd.DataFrame(rows)


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
