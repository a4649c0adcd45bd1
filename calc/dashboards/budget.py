"""The 财政预算测算 (budget) page, so that ``notebooks/budget.ipynb`` holds only widgets.

- **Parameters.** :func:`parameter_groups` lists every editable parameter of the policies in force (seeded
  from ``data/``: the law's own text, the current value and its quoted article); :func:`scenario_reform`
  reads what the widgets hold into a :class:`calc.budget.Reform` — only the values that differ from the law,
  items switched off — or says, field by field, what cannot be read.  A scenario with any unreadable field is
  not run (validation is all or nothing, as for reforms given as files): the page shows the law's figures on
  both sides and says why.
- **Comparison.** :func:`compute_budget` runs :func:`calc.compare` over the population (the 2,400-enterprise
  sample, the 278 sample enterprises, or an uploaded table) and returns a :class:`BudgetView`: totals,
  items, winners and losers, breakdowns, what binds, and the pro-rating of a budget line.
- **Projection.** :func:`compute_projection` runs :func:`calc.project` (seeded Monte Carlo) for the fan chart.
- **Reproduce.** :func:`reproduce` writes the Python that gives the same numbers in a notebook;
  the XLSX report is in :mod:`.reports`.

Every amount stays an integer (yuan) from the core to the page; percentages typed in are read exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Mapping, Sequence

import pandas as pd

from calc import explain
from calc.budget import Comparison, Projection, Reform, compare, editable_parameters, project, reproduce_code
from calc.dashboards.common import DEFAULT_AS_OF, MAX_TEXT, SAMPLES, lang_of, policy_set
from calc.dashboards.forms import parse_date_field, parse_money_field
from calc.dashboards.money import axis_unit, exact, plausible_fix, scaled, short, signed
from calc.dashboards.enterprise import wrap
from calc.dashboards.html import CHART_FONT, card_html, esc, table_html
from calc.dashboards.words import policy_short, policy_title, text, translate_message, word
from calc.explain import format_value
from calc.inputs import ParsedInput, load_enterprises
from calc.money import MoneyError, exact_sum
from calc.policies import PolicyDataError, normalise_text
from calc.rules.base import FEN_PER_YUAN


SAMPLE_POPULATIONS = {
    # key: file in data/samples (its words: the catalogs' populations section)
    # only the drawn population: the 278 sample enterprises carry the E-EDGE-* test fixtures
    "population": "population.csv",
}
DEFAULT_POPULATION = "population"
BREAKDOWN_COLUMNS = ("district", "industry", "size_band", "city")
SHOWN_ENTERPRISES = 10                      # gainers and losers listed in the page (the report has all)
MAX_DRAWS = 2_000                           # Monte Carlo draws a page may ask for
DEFAULT_PROJECTION = {"growth": "12%", "growth_sd": "5%", "platform_rate": "0%", "draws": 100, "seed": 0,
                      "claim_date": "12-31"}
CLAIM_DATES = ("12-31", "06-30")
R_AND_D_GROUP = "xiamen_sti_measures.rd_step_subsidy+xiamen_sti_measures.rd_growth_bonus"
DEFAULT_BUDGET_LINE = "xiamen_sti_measures.rd_step_subsidy"


@dataclass(frozen=True)
class ParameterRow:
    parameter_id: str
    name: str
    unit: str
    law_text: str          # the value as the law writes it (the widget's seed)
    current: str           # the value in the user's terms
    citation: str


@dataclass(frozen=True)
class ItemRow:
    item_id: str
    policy_id: str
    title: str
    citation: str
    parameters: tuple[ParameterRow, ...]


@lru_cache(maxsize=8)
def _parameter_groups(as_of: dt.date, lang: str) -> tuple[tuple[str, str, tuple[ItemRow, ...]], ...]:
    # which parameters are editable is decided once, by calc.budget.editable_parameters; here they are grouped
    policies = policy_set()
    table = editable_parameters(policies, as_of, lang)
    groups = []
    for policy_id, in_policy in table.groupby("policy_id", sort=False):
        if not policies.policies[policy_id].in_force(as_of):
            continue
        rows = tuple(
            ItemRow(item_id, policy_id, part["item"].iat[0], policies.node(item_id).citation.short(), tuple(
                ParameterRow(r.parameter_id, r.name, r.unit, normalise_text(r.text), r.current, r.citation)
                for r in part.itertuples(index=False)))
            for item_id, part in in_policy.groupby("item_id", sort=False))
        groups.append((policy_id, policy_title(policy_id, lang), rows))
    return tuple(groups)


def parameter_groups(as_of: Any = DEFAULT_AS_OF, lang: str = "zh") -> list[tuple[str, str, tuple[ItemRow, ...]]]:
    """Policies in force on ``as_of`` → their items with an amount → the items' editable parameters."""
    return list(_parameter_groups(parse_date_field(as_of, DEFAULT_AS_OF), lang_of(lang)))


def editable_items(as_of: Any = DEFAULT_AS_OF, lang: str = "zh") -> list[ItemRow]:
    return [item for _, _, items in parameter_groups(as_of, lang) for item in items]


@dataclass(frozen=True)
class ParameterReading:
    value: Any = None            # exact value (fen, Fraction, int) or None when blank / unreadable
    changed: bool = False
    shown: str = ""
    error: str | None = None


def read_parameter(row: ParameterRow, typed: Any, as_of: Any = DEFAULT_AS_OF, lang: str = "zh") -> ParameterReading:
    """One parameter widget: blank = the law's value; otherwise read exactly in the parameter's unit."""
    lang = lang_of(lang)
    law = policy_set().parameter(row.parameter_id).value_at(parse_date_field(as_of, DEFAULT_AS_OF))
    if typed is None or (isinstance(typed, str) and not typed.strip()):
        return ParameterReading(law, False, text("same_as_law", lang))
    if not isinstance(typed, str) or len(typed) > MAX_TEXT:
        shown = str(typed)[:20]
        return ParameterReading(error=text("bad_value", lang, value=shown, why=type(typed).__name__))
    try:
        value = policy_set().parameter(row.parameter_id).coerce(typed)  # read and range-checked like a reform
    except (PolicyDataError, MoneyError, ValueError, TypeError) as exc:
        # the core's message names the value already (the field names the parameter, so its id is dropped);
        # in Chinese, its translation or a plain hint by unit
        message = re.sub(rf"^{re.escape(row.parameter_id)} = '.*?': ", "", str(exc), count=1)
        why = message if lang == "en" else translate_message(message.partition("; allowed: ")[0], lang)
        if lang == "zh" and not re.search(r"[\u4e00-\u9fff]", why):
            why = text("bad_value", lang, value=typed.strip()[:40], why=_zh_why(why, row.unit))
        return ParameterReading(error=why)
    if value == law:
        return ParameterReading(value, False, text("same_as_law", lang))
    return ParameterReading(value, True, "= " + format_value(value, row.unit, lang))


def _zh_why(why: str, unit: str) -> str:
    """A plain Chinese hint for a core message left in English."""
    if "negative" in why:
        return "不能为负数"
    return {"yuan": "应写金额，如 300万、0.5亿", "ratio": "应写百分比，如 20%",
            "count": "应写整数", "years": "应写整数年数"}.get(unit, why)


def scenario_reform(values: Mapping[str, Any], paid: Mapping[str, bool] | None = None, as_of: Any = DEFAULT_AS_OF,
                    lang: str = "zh", name: str = "") -> tuple[Reform, dict[str, ParameterReading], dict[str, str]]:
    """The reform the widgets describe: (reform, readings by parameter id, errors by parameter id).

    Only values that differ from the law become overrides; an item not paid is switched off.  Ids not among
    the editable parameters are ignored (a client can send anything).
    """
    lang = lang_of(lang)
    rows = parameter_rows(as_of, lang)
    readings: dict[str, ParameterReading] = {}
    for parameter_id, typed in values.items():
        if parameter_id in rows:
            readings[parameter_id] = read_parameter(rows[parameter_id], typed, as_of, lang)
    errors = {k: r.error for k, r in readings.items() if r.error}
    # the text as typed (normalised): what the reform, its report and the reproduce box show
    overrides = tuple((k, normalise_text(values[k])) for k, r in readings.items() if r.changed)
    items = {item.item_id for item in editable_items(as_of, lang)}
    off = tuple(sorted(i for i, on in (paid or {}).items() if i in items and on is False))
    clean_name = normalise_text(str(name or ""))[:60].strip() or text("scenario_default_name", lang)
    reform = Reform(clean_name, overrides if not errors else (), off if not errors else ())
    return reform, readings, errors


def parameter_fix(row: ParameterRow, typed: Any, reading: ParameterReading) -> str | None:
    """A bare number far too small for an amount parameter (a cap typed ``300``: 300元) → the text meant
    (``300万``), for the page's one-click fix; None otherwise."""
    if row.unit != "yuan" or reading.error or not reading.changed or not isinstance(reading.value, int):
        return None
    return plausible_fix(typed, reading.value)


def parameter_note_html(row: ParameterRow, reading: ParameterReading, lang: str = "zh", typed: Any = None) -> str:
    """Beside a parameter's field: what was read (or why not; or a question when a bare number is implausibly
    small), then the law's value and its quoted article."""
    lang = lang_of(lang)
    shown = f"⚠ {reading.error}" if reading.error else reading.shown
    fix = parameter_fix(row, typed, reading)
    if fix:
        shown += " · " + text("did_you_mean", lang, amount=f"{fix}元" if lang == "zh" else fix)
    cls = " bad" if reading.error else (" ask" if fix else "")
    return (f'<span class="money-shown{cls}">{esc(shown)}</span>'
            f'<div class="w-b-cite">{esc(text("current", lang))} {esc(row.current)} · {esc(row.citation)}</div>')


def parameter_rows(as_of: Any = DEFAULT_AS_OF, lang: str = "zh") -> dict[str, ParameterRow]:
    return {p.parameter_id: p for item in editable_items(as_of, lang) for p in item.parameters}


_PERCENT = re.compile(r"^\s*([-+−]?)\s*(\d+(?:\.\d+)?)\s*%\s*$")


def read_percent(value: Any, lang: str = "zh", *, lower: Fraction | None = None,
                 upper: Fraction | None = None) -> tuple[Fraction | None, str | None]:
    """'12%', '-5%', '0.5%' → an exact Fraction; (None, message) when unreadable or out of bounds."""
    lang = lang_of(lang)
    raw = normalise_text(str(value if value is not None else ""))[:MAX_TEXT]
    m = _PERCENT.match(raw)
    if not m:
        return None, text("bad_percent", lang, value=raw[:40])
    share = Fraction(m.group(2)) / explain.PERCENT * (-1 if m.group(1) in ("-", "−") else 1)
    if (lower is not None and share < lower) or (upper is not None and share > upper):
        return None, text("bad_share", lang, value=raw[:40])
    return share, None


def read_budget(value: Any, lang: str = "zh") -> tuple[int | None, str | None]:
    """A budget typed as money → whole yuan (blank = no budget)."""
    field_ = parse_money_field(value, lang)
    if field_.error:
        return None, field_.error
    return (None if field_.fen is None else field_.fen // FEN_PER_YUAN), None


def budget_lines(as_of: Any = DEFAULT_AS_OF, lang: str = "zh") -> list[tuple[str, str]]:
    """(label, key) of the budget lines a user may pick: none, the R&D pair, each item with an amount."""
    lang = lang_of(lang)
    out = [(text("no_budget", lang), ""), (text("rd_group", lang), R_AND_D_GROUP)]
    for item in editable_items(as_of, lang):
        out.append((f"{policy_short(item.policy_id, lang)} · {item.title}", item.item_id))
    return out


@lru_cache(maxsize=2)
def sample_population(key: str) -> ParsedInput:
    """One of the sample tables, parsed once per kernel."""
    filename = SAMPLE_POPULATIONS[key]
    return load_enterprises(SAMPLES / filename)


def population_choices(lang: str = "zh", uploaded: str = "") -> list[tuple[str, str]]:
    out = [(word("populations", key, lang), key) for key in SAMPLE_POPULATIONS]
    if uploaded:
        out.append((text("population_upload", lang, name=uploaded), "upload"))
    return out


def breakdown_choices(population: ParsedInput, lang: str = "zh") -> list[tuple[str, str]]:
    frame = population.frame
    return [(word("columns", c, lang), c) for c in BREAKDOWN_COLUMNS
            if c in frame.columns and frame[c].notna().any()]


@dataclass
class BudgetView:
    lang: str
    comparison: Comparison
    reform: Reform
    errors: dict[str, str]
    share: Fraction
    share_text: str
    breakdown_by: str
    budgets: dict[str, str] | None = None
    readings: dict[str, ParameterReading] = field(default_factory=dict)

    @property
    def budget_line(self) -> str:
        """The budget line pro-rated ("" when none)."""
        return next(iter(self.budgets), "") if self.budgets else ""

    @property
    def as_of(self) -> dt.date:
        return self.comparison.baseline.as_of

    @property
    def totals(self) -> dict[str, int]:
        items = self.comparison.items
        ent = self.comparison.enterprises
        out = {
            "baseline": exact_sum(items["baseline_yuan"].to_numpy()), "reform": exact_sum(items["reform_yuan"].to_numpy()),
            "baseline_recipients": int((ent["baseline_yuan"] > 0).sum()),
            "reform_recipients": int((ent["reform_yuan"] > 0).sum()),
            "gains": int((ent["outcome"] == "gains").sum()), "loses": int((ent["outcome"] == "loses").sum()),
            "unchanged": int((ent["outcome"] == "unchanged").sum()),
        }
        out["change"] = out["reform"] - out["baseline"]
        return out


def compute_budget(population: ParsedInput, values: Mapping[str, Any], paid: Mapping[str, bool] | None = None, *,
                   as_of: Any = DEFAULT_AS_OF, share: Any = "100%", budget_line: str = "", budget: Any = "",
                   breakdown_by: str = "district", name: str = "", lang: str = "zh") -> BudgetView:
    """Baseline vs the widgets' reform over ``population``; errors by field (parameters, share, budget)."""
    lang = lang_of(lang)
    as_of = parse_date_field(as_of, DEFAULT_AS_OF)
    reform, readings, errors = scenario_reform(values, paid, as_of, lang, name)
    share_value, share_error = read_percent(share, lang, lower=Fraction(0), upper=Fraction(1))
    if share_value == 0:  # nothing awarded is not a share (calc.budget.parse_award_share refuses it too)
        share_value, share_error = None, text("bad_share", lang, value=normalise_text(str(share))[:40])
    share_text = normalise_text(str(share)).lstrip("+")
    if share_error:
        errors["award_share"] = share_error
        share_value, share_text = Fraction(1), "100%"
    budgets = None
    if budget_line and budget_line in {key for _, key in budget_lines(as_of, lang)}:
        amount, budget_error = read_budget(budget, lang)
        if budget_error:
            errors["budget"] = budget_error
        elif amount is not None:
            budgets = {budget_line: normalise_text(str(budget))}
    comparison = compare(population, [reform], as_of, policies=policy_set(), award_share=share_text, budgets=budgets)
    choices = [c for _, c in breakdown_choices(population, lang)]
    by = breakdown_by if breakdown_by in choices else (choices[0] if choices else "")
    return BudgetView(lang, comparison, reform, errors, share_value, share_text, by, budgets, readings)


def cards_html(view: BudgetView) -> str:
    L, t = view.lang, view.totals
    ent = view.comparison.enterprises

    def average(column: str) -> str:
        paid = ent[column][ent[column] > 0]
        return short(exact_sum(paid.to_numpy()) // len(paid), L) if len(paid) else "—"

    cards = [
        card_html("w-b-baseline", text("card_baseline", L), short(t["baseline"], L), yuan=t["baseline"], title=exact(t["baseline"], L),
                  note=text("card_share_note", L, share=format_value(view.share, "ratio"))),
        card_html("w-b-reform", text("card_reform", L), short(t["reform"], L), yuan=t["reform"], title=exact(t["reform"], L),
                  note=view.reform.name),
        card_html("w-b-change", text("card_change", L), signed(t["change"], L), yuan=t["change"], title=exact(t["change"], L),
                  note=f"{t['change'] / t['baseline']:+.1%}" if t["baseline"] else ""),
        card_html("w-b-recipients", text("card_recipients", L),
                  f"{t['baseline_recipients']:,} → {t['reform_recipients']:,}"),
        card_html("w-b-outcomes", text("card_outcomes", L), f"{t['gains']:,} / {t['loses']:,} / {t['unchanged']:,}"),
        card_html("w-b-average", text("card_average", L), f"{average('baseline_yuan')} → {average('reform_yuan')}"),
    ]
    items = view.comparison.items
    if view.budgets and "prorated_yuan" in items.columns:
        # the reform's cost once its budget line is pro-rated (every other item as claimed)
        paid = int(exact_sum(items["prorated_yuan"].to_numpy()))
        cut = paid - t["reform"]
        line = {key: label for label, key in budget_lines(view.as_of, L)}.get(view.budget_line, view.budget_line)
        cards.insert(2, card_html("w-b-prorated", text("card_prorated", L), short(paid, L), yuan=paid,
                                  title=exact(paid, L), note=f"{line} · {signed(cut, L)}"))
    return f'<div class="dash-cards w-b-cards">{"".join(cards)}</div>'


def errors_html(view: BudgetView, labels: Mapping[str, str] | None = None) -> str:
    if not view.errors:
        return ""
    labels = labels or {}
    lis = "".join(f"<li><b>{esc(labels.get(k, k))}</b>：{esc(v)}</li>" for k, v in view.errors.items())
    return f'<div class="dash-error w-b-errors"><b>{esc(text("scenario_errors", view.lang))}</b><ul>{lis}</ul></div>'


def item_titles(lang: str = "zh") -> dict[str, str]:
    return {n.id: (n.title_zh if lang_of(lang) == "zh" else n.title_en) for n in policy_set().items()}


def items_table(view: BudgetView) -> pd.DataFrame:
    """Items that cost something in either scenario, in the law's order, with words."""
    L = view.lang
    items = view.comparison.items
    shown = items[(items["baseline_yuan"] != 0) | (items["reform_yuan"] != 0)
                  | (items["baseline_recipients"] != 0) | (items["reform_recipients"] != 0)]
    titles = item_titles(L)
    out = pd.DataFrame({
        "item_id": shown["item_id"].to_numpy(),
        text("col_policy", L): [policy_short(p, L) for p in shown["policy_id"]],
        text("col_item", L): [titles[i] for i in shown["item_id"]],
        text("col_baseline", L): [short(v, L) for v in shown["baseline_yuan"]],
        text("col_reform", L): [short(v, L) for v in shown["reform_yuan"]],
        text("col_change", L): [signed(v, L) for v in shown["change_yuan"]],
        text("col_recipients_b", L): [f"{v:,}" for v in shown["baseline_recipients"]],
        text("col_recipients_r", L): [f"{v:,}" for v in shown["reform_recipients"]],
    })
    if "prorated_yuan" in shown.columns:
        out[text("col_prorated", L)] = [short(v, L) for v in shown["prorated_yuan"]]
    return out


ITEM_CELLS = ("policy", "item", "baseline", "reform", "change", "recipients-baseline", "recipients-reform", "prorated")


def items_html(view: BudgetView) -> str:
    table = items_table(view)
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns[1:])
    rows = []
    for row in table.itertuples(index=False):
        cells = "".join(f'<td class="{c}">{esc(v)}</td>' for c, v in zip(ITEM_CELLS, row[1:]))
        rows.append(f'<tr data-item="{esc(row[0])}">{cells}</tr>')
    total = view.totals
    L = view.lang
    foot = (f'<tr class="total"><td colspan="2">{esc(text("total_all", L))}</td><td>{esc(short(total["baseline"], L))}'
            f'</td><td>{esc(short(total["reform"], L))}</td><td>{esc(signed(total["change"], L))}</td>'
            + "<td></td>" * (len(table.columns) - 6) + "</tr>")
    return (f'<table class="dash-table w-b-items"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f"<tfoot>{foot}</tfoot></table>")


def _layout(title: str, lang: str, *, rows: int = 1, horizontal: bool = True, unit: str = "") -> dict[str, Any]:
    layout = {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "barmode": "group",
        "font": {"family": CHART_FONT, "size": 13},
        "height": max(300, 100 + 48 * rows) if horizontal else 380,
        "margin": {"l": 10, "r": 40, "t": 60, "b": 40},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
    }
    # the money axis in the unit the bars' labels use (万元 / 亿元), never bare yuan beside 万元 labels
    money_axis = {"title": {"text": text("chart_axis", lang, unit=unit or axis_unit([], lang)[1])},
                  "tickformat": ",~r", "rangemode": "tozero", "automargin": True}
    if horizontal:
        layout.update(xaxis=money_axis, yaxis={"automargin": True, "autorange": "reversed"})
    else:
        layout.update(yaxis=money_axis, xaxis={"type": "category", "automargin": True})
    return layout


COLOURS = {"baseline": "#7f8c9a", "reform": "#1f77b4", "change": "#d62728"}


def _pair_traces(labels: list[str], baseline: Sequence[int], reform: Sequence[int], lang: str,
                 horizontal: bool = True, per: int = 1) -> list[dict[str, Any]]:
    traces = []
    for scenario, values in (("baseline", baseline), ("reform", reform)):
        values = [int(v) for v in values]
        trace = {"type": "bar", "name": word("scenarios", scenario, lang), "marker": {"color": COLOURS[scenario]},
                 "text": [short(v, lang) for v in values], "customdata": [exact(v, lang) for v in values],
                 "hovertemplate": "%{text} (%{customdata})<extra>%{fullData.name}</extra>", "cliponaxis": False}
        if horizontal:
            trace.update(orientation="h", y=labels, x=scaled(values, per))
        else:
            trace.update(x=labels, y=scaled(values, per))
        traces.append(trace)
    return traces


def items_figure(view: BudgetView) -> dict[str, Any]:
    L = view.lang
    items = view.comparison.items
    shown = items[(items["baseline_yuan"] != 0) | (items["reform_yuan"] != 0)]
    titles = item_titles(L)
    labels = [wrap(f"{policy_short(p, L)} · {titles[i]}", L) for p, i in zip(shown["policy_id"], shown["item_id"])]
    per, unit = axis_unit(list(shown["baseline_yuan"]) + list(shown["reform_yuan"]), L)
    return {"data": _pair_traces(labels, shown["baseline_yuan"], shown["reform_yuan"], L, per=per),
            "layout": _layout(text("chart_items_title", L), L, rows=len(shown), unit=unit)}


def breakdown_table(view: BudgetView) -> pd.DataFrame:
    if not view.breakdown_by:
        return pd.DataFrame()
    table = view.comparison.breakdown(view.breakdown_by)
    table[view.breakdown_by] = table[view.breakdown_by].astype(object).where(table[view.breakdown_by].notna(),
                                                                             text("unknown", view.lang))
    return table


def breakdown_figure(view: BudgetView) -> dict[str, Any]:
    L = view.lang
    table = breakdown_table(view)
    if table.empty:
        return {"data": [], "layout": _layout("", L)}
    labels = [wrap(str(v), L, 8 if L == "zh" else 14) for v in table[view.breakdown_by]]
    title = text("chart_breakdown_title", L, by=word("columns", view.breakdown_by, L))
    per, unit = axis_unit(list(table["baseline_yuan"]) + list(table["reform_yuan"]), L)
    return {"data": _pair_traces(labels, table["baseline_yuan"], table["reform_yuan"], L, horizontal=False, per=per),
            "layout": _layout(title, L, horizontal=False, unit=unit)}


def winners_html(view: BudgetView, limit: int = SHOWN_ENTERPRISES) -> str:
    L = view.lang
    ent = view.comparison.enterprises
    changed = ent[ent["change_yuan"] != 0]
    if changed.empty:
        return f'<div class="w-b-winners"><i>{esc(text("no_change", L))}</i></div>'
    blocks = []
    for key, part in (("losers", changed[changed["change_yuan"] < 0].sort_values("change_yuan", kind="stable")),
                      ("gainers", changed[changed["change_yuan"] > 0].sort_values("change_yuan", ascending=False,
                                                                                  kind="stable"))):
        if part.empty:
            continue
        part = part.head(limit)
        frame = pd.DataFrame({
            text("col_enterprise_id", L): part["enterprise_id"].to_numpy(),
            text("col_name", L): part["name"].fillna("").to_numpy() if "name" in part else "",
            text("col_baseline", L): [short(v, L) for v in part["baseline_yuan"]],
            text("col_reform", L): [short(v, L) for v in part["reform_yuan"]],
            text("col_change", L): [signed(v, L) for v in part["change_yuan"]],
        })
        blocks.append(f'<div class="w-b-{key}"><h4>{esc(text(key, L))}</h4>{table_html(frame)}</div>')
    return f'<div class="w-b-winners">{"".join(blocks)}</div>'


def binding_html(view: BudgetView) -> str:
    L = view.lang
    binding = view.comparison.binding()
    wide = binding.pivot(index="item_id", columns="scenario", values=["at_cap", "below_threshold", "duplicate"])
    wide = wide[(wide != 0).any(axis=1)]
    order = [n.id for n in policy_set().items() if n.id in wide.index]
    titles = item_titles(L)
    head = ("<tr><th rowspan=2>" + esc(text("col_item", L)) + "</th>"
            + "".join(f"<th colspan=2>{esc(text(k, L))}</th>" for k in ("col_at_cap", "col_below", "col_duplicate"))
            + "</tr><tr>" + "".join(f"<th>{esc(word('scenarios', s, L))}</th>" for s in ("baseline", "reform") * 3)
            + "</tr>")
    rows = []
    for item_id in order:
        cells = "".join(f"<td>{int(wide.loc[item_id, (m, s)]):,}</td>" for m in ("at_cap", "below_threshold", "duplicate")
                        for s in ("baseline", "reform"))
        rows.append(f'<tr data-item="{esc(item_id)}"><td>{esc(titles[item_id])}</td>{cells}</tr>')
    return f'<table class="dash-table w-b-binding"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def prorate_html(view: BudgetView) -> str:
    L = view.lang
    lines = view.comparison.budget_lines
    if lines.empty:
        return f'<div class="w-b-prorate"><i>{esc(text("prorate_none", L))}</i></div>'
    labels = {key: label for label, key in budget_lines(view.as_of, L)}
    parts = []
    for r in lines.itertuples(index=False):
        line = labels.get(r.budget_line, r.budget_line)
        if r.factor_exact == "1":
            parts.append(text("prorate_full", L, line=line, claims=short(r.claims_yuan, L),
                              budget=short(r.budget_yuan, L)))
        else:
            parts.append(text("prorate_text", L, line=line, claims=short(r.claims_yuan, L),
                              budget=short(r.budget_yuan, L), factor=f"{float(Fraction(r.factor_exact)):.4%}", exact=r.factor_exact,
                              paid=exact(r.prorated_yuan, L), rest=exact(r.remainder_yuan, L)))
    return '<div class="w-b-prorate">' + "".join(f"<p>{esc(p)}</p>" for p in parts) + "</div>"


@dataclass
class ProjectionView:
    lang: str
    projection: Projection | None
    settings: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def projection_settings(growth: Any = "12%", growth_sd: Any = "5%", platform_rate: Any = "0%", draws: Any = 100,
                        seed: Any = 0, claim_date: Any = "12-31", lang: str = "zh") -> tuple[dict[str, Any], dict[str, str]]:
    """The projection's assumptions read from the widgets: (settings for calc.project, errors by field)."""
    lang = lang_of(lang)
    errors: dict[str, str] = {}
    g, err = read_percent(growth, lang, lower=Fraction(-1), upper=Fraction(10))
    if g == -1:  # −100% would leave no R&D at all (calc.budget.check_projection_args refuses it too)
        g, err = None, text("bad_growth", lang, value=normalise_text(str(growth))[:40])
    if err:
        errors["growth"] = err
    sd, err = read_percent(growth_sd, lang, lower=Fraction(0), upper=Fraction(10))
    if err:
        errors["growth_sd"] = err
    rate, err = read_percent(platform_rate, lang, lower=Fraction(0), upper=Fraction(1))
    if err:
        errors["platform_rate"] = err
    try:
        n = int(draws)
        if isinstance(draws, bool) or not 0 <= n <= MAX_DRAWS or n != draws and str(n) != str(draws).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors["draws"] = text("bad_draws", lang, max=f"{MAX_DRAWS:,}")
        n = 0
    try:
        s = int(seed)
        if not 0 <= s < 2**32:
            raise ValueError
    except (TypeError, ValueError):
        s = 0
    month_day = claim_date if claim_date in CLAIM_DATES else CLAIM_DATES[0]
    settings = {"rd_growth": float(g or 0), "rd_growth_sd": float(sd or 0), "platform_rate": float(rate or 0),
                "draws": n, "seed": s, "claim_date": tuple(int(x) for x in month_day.split("-"))}
    return settings, errors


def compute_projection(population: ParsedInput, reform: Reform, settings: Mapping[str, Any], share: str = "100%",
                       lang: str = "zh", errors: Mapping[str, str] | None = None) -> ProjectionView:
    lang = lang_of(lang)
    if errors:
        return ProjectionView(lang, None, dict(settings), dict(errors))
    result = project(population, reforms=[reform], policies=policy_set(), award_share=share,
                     **settings)
    return ProjectionView(lang, result, dict(settings))


def expiries(years: Sequence[int], claim_date: tuple[int, int] = (12, 31)) -> list[tuple[float, str, dt.date]]:
    """Where a policy with amounts stops within the projected years: (x between the last year it is in force
    and the next, policy id, its last day), for the fan chart's markers."""
    out = []
    years = [int(y) for y in years]
    for pid, p in policy_set().policies.items():
        until = p.in_force_until
        if not p.items or until is None:
            continue
        live = [y for y in years if p.in_force(dt.date(y, *claim_date))]
        if live and live[-1] + 1 in years:
            out.append((live[-1] + 0.5, pid, until))
    return out


def fan_figure(view: ProjectionView) -> dict[str, Any]:
    """Reform minus baseline per year: the P50 line (or the single path without draws) inside its P10–P90 band
    (taken draw by draw), a zero line, and a dashed marker where a policy expires."""
    L = view.lang
    layout = _layout(text("chart_fan_title", L), L, horizontal=False)
    if view.projection is None or view.projection.change is None:
        return {"data": [], "layout": layout}
    change = view.projection.change.sort_values("year")
    years = [int(y) for y in change["year"]]
    drawn = "p50_yuan" in change.columns and change["p50_yuan"].notna().all()
    columns = ("p10_yuan", "p50_yuan", "p90_yuan") if drawn else ("change_yuan",)
    per, unit = axis_unit([v for c in columns for v in change[c]], L)
    traces = []
    name = text("fan_change", L)
    if drawn:
        low, high = [int(v) for v in change["p10_yuan"]], [int(v) for v in change["p90_yuan"]]
        traces.append({"type": "scatter", "mode": "lines", "x": years, "y": scaled(low, per),
                       "line": {"width": 1, "color": "rgba(214,39,40,0.45)", "dash": "dot"}, "showlegend": False,
                       "hoverinfo": "skip", "name": "P10"})
        traces.append({"type": "scatter", "mode": "lines", "x": years, "y": scaled(high, per), "fill": "tonexty",
                       "fillcolor": "rgba(214,39,40,0.22)", "line": {"width": 1, "color": "rgba(214,39,40,0.45)",
                                                                     "dash": "dot"},
                       "name": "P10–P90", "customdata": [f"{short(lo, L)} … {short(hi, L)}" for lo, hi in zip(low, high)],
                       "hovertemplate": "%{x}: %{customdata}<extra>P10–P90</extra>"})
    values = [int(v) for v in change[columns[1] if drawn else columns[0]]]
    traces.append({"type": "scatter", "mode": "lines+markers", "x": years, "y": scaled(values, per),
                   "name": f"{name} P50" if drawn else name, "line": {"color": COLOURS["change"], "width": 3},
                   "text": [signed(v, L) for v in values], "customdata": [exact(v, L) for v in values],
                   "hovertemplate": "%{x}: %{text} (%{customdata})<extra>%{fullData.name}</extra>"})
    layout["xaxis"] = {"title": {"text": text("col_year", L)}, "tickmode": "array", "tickvals": years,
                       "ticktext": [str(y) for y in years], "range": [years[0] - 0.5, years[-1] + 0.5]}
    layout["yaxis"]["title"] = {"text": text("chart_axis", L, unit=unit)}
    layout["yaxis"]["rangemode"] = "normal"
    layout["yaxis"]["zeroline"] = True
    layout["yaxis"]["zerolinewidth"] = 2
    shapes, notes = [], []
    claim = tuple(view.settings.get("claim_date", (12, 31)))
    for i, (x, pid, until) in enumerate(expiries(years, claim)):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": "#616161", "width": 1.5, "dash": "dash"}})
        notes.append({"x": x, "xref": "x", "yref": "paper", "y": 1 - 0.09 * i, "yanchor": "top", "xanchor": "left",
                      "showarrow": False, "font": {"size": 11, "color": "#616161"},
                      "text": text("expires", L, policy=policy_short(pid, L), date=until.isoformat())})
    layout.update(shapes=shapes, annotations=notes)
    layout["meta"] = {"expiries": [pid for _, pid, _ in expiries(years, claim)]}
    return {"data": traces, "layout": layout}


def projection_html(view: ProjectionView) -> str:
    L = view.lang
    if view.projection is None:
        lis = "".join(f"<li>{esc(v)}</li>" for v in view.errors.values())
        return f'<div class="dash-error w-p-errors"><b>{esc(text("projection_errors", L))}</b><ul>{lis}</ul></div>'
    by_year = view.projection.by_year.sort_values(["year", "scenario"])
    cols = [c for c in ("cost_yuan", "p10_yuan", "p50_yuan", "p90_yuan") if c in by_year.columns]
    head = "".join(f"<th>{esc(h)}</th>" for h in [text("col_year", L), text("col_scenario", L)]
                   + [text("col_cost", L) if c == "cost_yuan" else c[:3].upper() for c in cols])
    rows = "".join(
        f'<tr data-year="{r.year}" data-scenario="{esc(r.scenario)}"><td>{r.year}</td>'
        f"<td>{esc(word('scenarios', r.scenario, L))}</td>"
        + "".join(f"<td>{esc(short(getattr(r, c), L))}</td>" for c in cols) + "</tr>"
        for r in by_year.itertuples(index=False))
    return f'<table class="dash-table w-p-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def population_code(key: str, uploaded_name: str = "") -> str:
    """The Python expression for the population the page used."""
    if key in SAMPLE_POPULATIONS:
        return f'calc.SAMPLES / "{SAMPLE_POPULATIONS[key]}"'
    return repr(uploaded_name or "your_file.csv")


def reproduce(view: BudgetView, population: str, as_of: Any, projection: ProjectionView | None = None) -> str:
    """The "reproduce in Python" box: the exact calls behind the page's numbers."""
    settings = None
    if projection is not None and projection.projection is not None:
        settings = dict(projection.settings)
    return reproduce_code(population, [view.reform], parse_date_field(as_of, DEFAULT_AS_OF), budgets=view.budgets,
                          award_share=None if view.share == 1 else view.share_text,
                          projection=settings, population_is_code=True)


CSS = """
<style>
.w-b-param{align-items:center}.w-b-param .widget-html{margin:0}
.w-budget .widget-hbox{column-gap:12px}
.w-b-cite{font-size:11px;color:#666;line-height:1.35}
.w-b-param{align-items:flex-start!important}.w-b-param>.widget-html:last-child{flex:1 1 auto}
.w-b-params .lm-TabPanel-stackedPanel,.w-b-params .widget-tab-contents{max-height:640px;overflow-y:auto}
.w-b-item h4{margin:10px 0 2px;font-size:14px}
.w-b-items tfoot td{font-weight:600;background:#f7f7f7}
.w-b-items td.baseline,.w-b-items td.reform,.w-b-items td.change{white-space:nowrap}
.w-b-winners{display:flex;gap:16px;flex-wrap:wrap}.w-b-winners>div{flex:1 1 420px}
.w-b-reproduce pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:6px;padding:8px 10px;font-size:12px;
  white-space:pre-wrap;word-break:break-all}
</style>
"""
