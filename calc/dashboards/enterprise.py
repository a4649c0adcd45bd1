"""The 企业补贴测算 (enterprise estimator) page: one enterprise from the widgets, and a batch from an upload.

``compute_enterprise`` runs the core on the one row the widgets describe and returns an
:class:`EnterpriseView`: totals, the composition for the chart, every item with status, amount, kind, reason,
the item that won a 就高不重复 group and the quoted article, and the core's next-step hints; ``*_html`` draw
the parts.  ``compute_batch`` runs a whole uploaded table (vectorised); its report is in :mod:`.reports`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

import calc
from calc import explain
from calc.dashboards.common import DEFAULT_AS_OF, lang_of, policy_set
from calc.dashboards.forms import TOPICS, _one_row, clean_values, errors_table, fields, guided_values, parse_date_field
from calc.dashboards.money import axis_unit, exact, scaled, short
from calc.dashboards.html import CHART_FONT, card_html, esc, table_html
from calc.dashboards.words import policy_short, text
from calc.explain import KIND_LABELS, STATUS_LABELS
from calc.hints import next_steps
from calc.money import exact_sum
from calc.rules.base import FEN_PER_YUAN, GRANTED


SHOWN_BATCH_ROWS = 200                      # rows of the batch table drawn in the page


@dataclass
class EnterpriseView:
    lang: str
    as_of: dt.date
    totals: dict[str, int]              # formula_fixed_yuan, ceiling_yuan, total_yuan
    items: pd.DataFrame                 # one row per item, in display order (see ITEM_COLUMNS)
    composition: pd.DataFrame           # counted items with an amount: policy, item, group, amount_yuan
    hints: list[str]
    field_errors: dict[str, str]
    row_errors: pd.DataFrame

    def total_text(self, key: str) -> str:
        return short(self.totals[key], self.lang)


STATUS_ORDER = {"granted": 0, "duplicate": 1, "needs_input": 2, "not_eligible": 3, "not_in_force": 4,
                "not_applicable": 5}


def compute_enterprise(values: Mapping[str, Any], as_of: Any = DEFAULT_AS_OF, lang: str = "zh",
                       enterprise_id: str = "E-DASHBOARD", topics: Iterable[str] | None = None) -> EnterpriseView:
    """Everything the estimator shows for one enterprise, from the widgets' values.

    With ``topics`` (the guided estimator's first answer), a topic not chosen does not apply: its fields are
    "none" (0, no) for the core, and an item that only such a field decides is "not applicable" — found
    exactly by computing a second row with those fields left unknown: an item that row would need input for,
    and that the first row rejects, was decided by what does not apply."""
    lang = lang_of(lang)
    as_of = parse_date_field(as_of)
    if topics is None:
        row, field_errors = clean_values("enterprises", values, lang)
        frame = _one_row("enterprises", row, enterprise_id)
    else:
        topics = [t for t in topics if t in TOPICS]
        row, field_errors = clean_values("enterprises", guided_values(values, topics), lang)
        open_row, _ = clean_values("enterprises", guided_values(values, TOPICS) | {
            f.name: ("" if f.kind in ("money", "count") else None)
            for g, group in fields("enterprises") if g in TOPICS and g not in topics for f in group}, lang)
        field_errors = {k: v for k, v in field_errors.items() if k in _shown_fields(topics)}
        frame = pd.concat([_one_row("enterprises", row, enterprise_id),
                           _one_row("enterprises", open_row, enterprise_id + "-OPEN")], ignore_index=True)
    result = calc.entitlements(frame, as_of=as_of, policies=policy_set())
    return enterprise_view(result, lang, field_errors, guided=topics is not None)


def _shown_fields(topics: Iterable[str]) -> set[str]:
    chosen = set(topics) | {"basic"}
    return {f.name for g, group in fields("enterprises") if g in chosen for f in group}


def enterprise_view(result, lang: str = "zh", field_errors: Mapping[str, str] | None = None,
                    guided: bool = False) -> EnterpriseView:
    """The view of the first enterprise of an entitlement result (with ``guided``, the second row is the
    same enterprise with what does not apply left unknown: see :func:`compute_enterprise`)."""
    lang = lang_of(lang)
    if len(result.frame) == 0:
        items = pd.DataFrame(columns=ITEM_COLUMNS)
        return EnterpriseView(lang, result.as_of, {"formula_fixed_yuan": 0, "ceiling_yuan": 0, "total_yuan": 0},
                              items, pd.DataFrame(columns=["policy", "item", "group", "amount_yuan"]), [],
                              dict(field_errors or {}), errors_table(result.errors, lang))
    ids = result.frame["enterprise_id"].to_numpy(dtype=object)
    ident = ids[0]
    totals = {k: int(v) for k, v in result.totals().iloc[0].items() if k != "enterprise_id"}
    # every row's items, then the first enterprise's (.items(lang, ids) trips a pandas string-dtype bug when
    # pyarrow is installed, seen with pandas 3.1.1 + pyarrow 26)
    every = result.items(lang)
    who = every["enterprise_id"].to_numpy(dtype=object)
    raw = every[who == ident].reset_index(drop=True)
    not_applicable = None
    if guided and len(ids) > 1:
        open_status = dict(zip(every.loc[who == ids[1], "item_id"], every.loc[who == ids[1], "status"]))
        not_applicable = np.array([s == "not_eligible" and open_status.get(i) == "needs_input"
                                   for i, s in zip(raw["item_id"], raw["status"])], dtype=bool)
    items = item_rows(raw, lang, not_applicable)
    hints = next_steps(result, lang)
    hints = hints[hints["enterprise_id"].to_numpy(dtype=object) == ident]
    return EnterpriseView(lang, result.as_of, totals, items, composition(raw, lang),
                          [str(m) for m in hints["message"]], dict(field_errors or {}),
                          errors_table(result.errors, lang))


ITEM_COLUMNS = ["item_id", "policy", "item", "status", "status_label", "amount_yuan", "amount", "kind",
                "kind_label", "reason", "won_by", "won_by_label", "citation"]


def item_rows(raw: pd.DataFrame, lang: str = "zh", not_applicable: np.ndarray | None = None) -> pd.DataFrame:
    """The core's long table for one enterprise, in words, in display order (granted first, then lost to
    就高不重复, then missing inputs, then the rest); ``not_applicable`` marks items the user said do not apply."""
    pol = policy_set()
    status = raw["status"].to_numpy(dtype=object).copy()
    labels = [explain.pick(STATUS_LABELS[s], lang) for s in status]
    if not_applicable is not None:
        status[not_applicable] = "not_applicable"
        labels = [text("not_applicable", lang) if na else lab for na, lab in zip(not_applicable, labels)]
    out = pd.DataFrame({
        "item_id": raw["item_id"].to_numpy(dtype=object),
        "policy": [policy_short(p, lang) for p in raw["policy_id"]],
        "item": raw["title"].to_numpy(dtype=object),
        "status": status,
        "status_label": labels,
        "amount_yuan": raw["amount_yuan"].to_numpy(dtype=np.int64),
        "amount": [short(int(a), lang) if s in ("granted", "duplicate") and a else "—"
                   for a, s in zip(raw["amount_yuan"], raw["status"])],
        "kind": raw["kind"].to_numpy(dtype=object),
        "kind_label": [explain.pick(KIND_LABELS[k], lang) for k in raw["kind"]],
        "reason": raw["reason"].to_numpy(dtype=object),
        "won_by": raw["won_by"].to_numpy(dtype=object),
        "won_by_label": [_item_title(pol, w, lang) for w in raw["won_by"]],
        "citation": raw["citation"].to_numpy(dtype=object),
    })
    order = out["status"].map(STATUS_ORDER).fillna(9)
    out = out.assign(_o=order, _a=-out["amount_yuan"]).sort_values(["_o", "_a", "item_id"], kind="stable")
    return out.drop(columns=["_o", "_a"]).reset_index(drop=True)


def _item_title(pol, item_id: str, lang: str) -> str:
    if not item_id:
        return ""
    node = pol.node(item_id)
    return f"{policy_short(node.policy_id, lang)} · {node.title_zh if lang == 'zh' else node.title_en}"


def composition(raw: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Counted items with an amount, for the chart: policy, item, group (firm / ceiling), amount in yuan."""
    counted = raw[raw["counted"].to_numpy(dtype=bool) & (raw["amount_yuan"].to_numpy() > 0)]
    out = pd.DataFrame({
        "policy": [policy_short(p, lang) for p in counted["policy_id"]],
        "item": counted["title"].to_numpy(dtype=object),
        "group": np.where(counted["kind"].to_numpy(dtype=object) == "ceiling", "ceiling", "firm"),
        "amount_yuan": counted["amount_yuan"].to_numpy(dtype=np.int64),
    })
    return out.sort_values(["policy", "amount_yuan"], ascending=[True, False], kind="stable").reset_index(drop=True)


def chart_traces(comp: pd.DataFrame, lang: str = "zh", per: int | None = None) -> list[dict[str, Any]]:
    """Two horizontal bar traces (formula/fixed, ceiling) on a policy › item axis, as plotly JSON.

    The bars are drawn in the unit their labels use (``per`` yuan: 万元 or 亿元, from :func:`axis_unit`); each
    label is the readable amount, the hover the exact one.  Always two traces (possibly empty), so the legend
    and colours stay put while the data change."""
    lang = lang_of(lang)
    if per is None:
        per = axis_unit(comp["amount_yuan"], lang)[0]
    traces = []
    for group, color in (("firm", "#1f77b4"), ("ceiling", "#ff9f1c")):
        part = comp[comp["group"] == group]
        amounts = [int(a) for a in part["amount_yuan"]]
        traces.append({
            "type": "bar", "orientation": "h", "textposition": "auto", "cliponaxis": False,
            "name": text(group, lang),
            "y": [part["policy"].tolist(), [wrap(t, lang) for t in part["item"]]],
            "x": scaled(amounts, per),
            "text": [short(a, lang) for a in amounts],
            "customdata": [exact(a, lang) for a in amounts],
            "hovertemplate": "%{y}<br>%{text} (%{customdata})<extra></extra>",
            "marker": {"color": color},
        })
    return traces


def wrap(label: str, lang: str = "zh", width: int | None = None) -> str:
    """A long axis label broken over lines (plotly's ``<br>``), so that it does not squeeze the plot."""
    width = width or (16 if lang_of(lang) == "zh" else 30)
    label = str(label)
    if len(label) <= width:
        return label
    if lang_of(lang) == "zh":  # every ``width`` characters, but never inside a number or a Latin word
        lines, start = [], 0
        while len(label) - start > width:
            cut = start + width
            while cut > start + 1 and label[cut - 1].isascii() and label[cut - 1].isalnum() \
                    and label[cut].isascii() and label[cut].isalnum():
                cut -= 1
            lines.append(label[start:cut])
            start = cut
        return "<br>".join(lines + [label[start:]])
    lines, line = [], ""
    for word_ in label.split():
        if line and len(line) + 1 + len(word_) > width:
            lines.append(line)
            line = word_
        else:
            line = f"{line} {word_}".strip()
    lines.append(line)
    return "<br>".join(lines)


def figure(comp: pd.DataFrame, title_key: str, lang: str = "zh") -> dict[str, Any]:
    """The composition chart as plotly JSON, for :class:`calc.widgets.Chart`."""
    per, unit = axis_unit(comp["amount_yuan"], lang)
    return {"data": chart_traces(comp, lang, per), "layout": chart_layout(title_key, lang, len(comp), unit)}


def chart_layout(title_key: str, lang: str = "zh", rows: int = 1, unit: str = "") -> dict[str, Any]:
    return {
        "title": {"text": text(title_key, lang), "x": 0.01, "xanchor": "left"},
        "barmode": "stack",
        "font": {"family": CHART_FONT, "size": 13},
        "height": max(260, 90 + 40 * rows),
        "margin": {"l": 10, "r": 40, "t": 50, "b": 40},
        "xaxis": {"title": {"text": text("chart_axis", lang, unit=unit or axis_unit([], lang)[1])},
                  "tickformat": ",~r", "rangemode": "tozero", "automargin": True},
        "yaxis": {"automargin": True, "autorange": "reversed"},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
    }


def totals_html(view: EnterpriseView) -> str:
    lang = view.lang
    cards = [
        ("w-total-firm", "total_firm", "formula_fixed_yuan", "total_firm_note"),
        ("w-total-ceiling", "total_ceiling", "ceiling_yuan", "total_ceiling_note"),
        ("w-total-all", "total_all", "total_yuan", None),
    ]
    parts = [card_html(cls, text(label, lang), view.total_text(key), yuan=view.totals[key],
                       title=exact(view.totals[key], lang),
                       note=text(note, lang) if note else "") for cls, label, key, note in cards]
    return f'<div class="dash-cards">{"".join(parts)}</div>'


ITEM_HEADS = ("col_policy", "col_item", "col_status", "col_amount", "col_kind", "col_reason", "col_won_by",
              "col_citation")


def _item_table(rows: pd.DataFrame, lang: str, css: str = "") -> str:
    head = "".join(f"<th>{esc(text(k, lang))}</th>" for k in ITEM_HEADS)
    body = []
    for r in rows.itertuples(index=False):
        amount = (f'<span data-yuan="{int(r.amount_yuan)}" title="{esc(exact(int(r.amount_yuan), lang))}">'
                  f"{esc(r.amount)}</span>" if r.amount != "—" else "—")
        body.append(
            f'<tr class="st-{esc(r.status)}" data-item="{esc(r.item_id)}">'
            f"<td>{esc(r.policy)}</td><td>{esc(r.item)}</td>"
            f'<td class="status">{esc(r.status_label)}</td><td class="amount">{amount}</td>'
            f"<td>{esc(r.kind_label)}</td><td>{esc(r.reason)}</td><td>{esc(r.won_by_label)}</td>"
            f'<td class="cite">{esc(r.citation)}</td></tr>')
    return (f'<div class="dash-scroll"><table class="dash-table w-items {css}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def items_html(view: EnterpriseView) -> str:
    """Every item in one table (the batch-minded view)."""
    return _item_table(view.items, view.lang)


SECTIONS = (("granted", ("granted", "duplicate")), ("nearly", ("not_eligible",)), ("missing", ("needs_input",)))


def sections_html(view: EnterpriseView) -> str:
    """The guided view: granted, nearly (not eligible, with the reason), missing information; everything else
    (not applicable, not in force) folded away."""
    lang = view.lang
    parts = []
    status = view.items["status"].to_numpy(dtype=object)
    for key, states in SECTIONS:
        rows = view.items[np.isin(status, states)]
        if key == "granted" and not len(rows):
            parts.append(f'<div class="w-sec w-sec-granted"><h4>{esc(text("granted_title", lang))}</h4>'
                         f'<i>{esc(text("none_granted", lang))}</i></div>')
            continue
        if not len(rows):
            continue
        parts.append(f'<div class="w-sec w-sec-{key}" data-n="{len(rows)}"><h4>{esc(text(key + "_title", lang))} '
                     f"({len(rows)})</h4>{_item_table(rows, lang)}</div>")
    rest = view.items[~np.isin(status, [s for _, states in SECTIONS for s in states])]
    if len(rest):
        parts.append(f'<details class="w-sec w-sec-rest" data-n="{len(rest)}"><summary>'
                     f'{esc(text("rest_title", lang, n=len(rest)))}</summary>{_item_table(rest, lang)}</details>')
    return f'<div class="w-sections">{"".join(parts)}</div>'


def hints_html(view: EnterpriseView) -> str:
    lang = view.lang
    if not view.hints:
        return f'<div class="w-hints"><i>{esc(text("no_hints", lang))}</i></div>'
    lis = "".join(f"<li>{esc(h)}</li>" for h in view.hints)
    return f'<div class="w-hints"><ul>{lis}</ul></div>'


@dataclass
class BatchView:
    lang: str
    name: str
    result: Any                       # EntitlementResult
    table: pd.DataFrame               # per enterprise, in words
    errors: pd.DataFrame              # rejected rows, in words
    by_item: pd.DataFrame             # counted totals per item: policy, item, group, amount_yuan
    unknown_columns: list[str]

    def summary(self) -> str:
        return text("batch_summary", self.lang, name=self.name, ok=len(self.result.frame),
                    bad=self.result.inputs.bad_row_count)


def compute_batch(parsed, as_of: Any = DEFAULT_AS_OF, lang: str = "zh", name: str = "") -> BatchView:
    """Entitlements for every good row of an uploaded table (vectorised), and what the page shows."""
    lang = lang_of(lang)
    result = calc.entitlements(parsed, as_of=parse_date_field(as_of), policies=policy_set())
    return batch_view(result, lang, name)


def batch_view(result, lang: str = "zh", name: str = "") -> BatchView:
    lang = lang_of(lang)
    totals = result.totals()
    granted = np.zeros(len(result.frame), dtype=np.int64)
    rows = []
    for node in result.nodes:
        award = result.awards[node.id]
        counted = award.status == GRANTED
        granted += counted & (node.kind != "info")
        amount = exact_sum(award.amount[counted]) // FEN_PER_YUAN
        if amount:
            rows.append((policy_short(node.policy_id, lang), node.title_zh if lang == "zh" else node.title_en,
                         "ceiling" if node.kind == "ceiling" else "firm", amount))
    by_item = pd.DataFrame(rows, columns=["policy", "item", "group", "amount_yuan"])
    by_item = by_item.sort_values(["policy", "amount_yuan"], ascending=[True, False], kind="stable")
    by_item = by_item.reset_index(drop=True)
    names = result.frame["name"].to_numpy(dtype=object) if "name" in result.frame.columns else None
    table = pd.DataFrame({
        text("col_enterprise_id", lang): totals["enterprise_id"].to_numpy(dtype=object),
        text("col_name", lang): ["" if v is None or v is pd.NA else v for v in names] if names is not None else "",
        text("total_firm", lang): totals["formula_fixed_yuan"].to_numpy(),
        text("total_ceiling", lang): totals["ceiling_yuan"].to_numpy(),
        text("total_all", lang): totals["total_yuan"].to_numpy(),
        text("col_granted", lang): granted,
    })
    unknown = [str(c) for c in result.inputs.unknown_columns]
    return BatchView(lang, name, result, table, errors_table(result.errors, lang), by_item, unknown)


MONEY_KEYS = ("total_firm", "total_ceiling", "total_all")


def batch_totals(view: BatchView) -> dict[str, int]:
    """The batch's grand totals (exact sums of whole yuan), by card key."""
    return {key: int(exact_sum(view.table[text(key, view.lang)].to_numpy(dtype=np.int64))) for key in MONEY_KEYS}


def batch_html(view: BatchView, limit: int = SHOWN_BATCH_ROWS) -> str:
    """The grand total over every computed row, then the first ``limit`` rows; money readable, exact on hover."""
    lang = view.lang
    shown = view.table.head(limit)
    money = {text(k, lang) for k in MONEY_KEYS}
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for c, v in zip(shown.columns, row):
            if c in money:
                cells.append(f'<td class="amount"><span data-yuan="{int(v)}" title="{esc(exact(int(v), lang))}">'
                             f"{esc(short(int(v), lang))}</span></td>")
            else:
                cells.append(f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    totals = batch_totals(view)
    foot = "".join(
        f'<td class="amount"><b data-yuan="{totals[k]}" title="{esc(exact(totals[k], lang))}">'
        f"{esc(short(totals[k], lang))}</b></td>" if c == text(k, lang) else ""
        for c in shown.columns for k in MONEY_KEYS)
    first = f'<td colspan="2"><b>{esc(text("batch_grand_total", lang, n=len(view.table)))}</b></td>'
    foot_row = f'<tr class="w-batch-total">{first}{foot}<td></td></tr>'
    note = text("batch_shown", lang, n=limit) if len(view.table) > limit else ""
    return (f'<div class="w-batch-results"><b>{esc(text("batch_results", lang))}</b> {esc(note)}'
            f'<div class="dash-scroll"><table class="dash-table w-batch-table"><thead><tr>{head}</tr>{foot_row}</thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></div>')


def composition_empty() -> pd.DataFrame:
    return pd.DataFrame({"policy": [], "item": [], "group": [], "amount_yuan": np.array([], dtype=np.int64)})


def batch_errors_html(view: BatchView) -> str:
    lang = view.lang
    parts = []
    if view.unknown_columns:
        parts.append(f'<div class="dash-warn">{esc(text("batch_unknown_columns", lang, cols="、".join(view.unknown_columns)))}</div>')
    if len(view.errors):
        parts.append(f'<div class="dash-error w-batch-errors"><b>{esc(text("batch_errors", lang))}</b>'
                     + table_html(view.errors.head(SHOWN_BATCH_ROWS)) + "</div>")
    return "".join(parts)
