"""The downloads: the enterprise batch report and the budget report (XLSX), as links carrying the file."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from calc import explain
from calc.budget import reform_parameters
from calc.budget_report import _draw, budget_sheets
from calc.dashboards.budget import BudgetView, ProjectionView
from calc.dashboards.common import policy_set
from calc.dashboards.enterprise import BatchView, batch_totals
from calc.dashboards.html import download_link
from calc.dashboards.words import has_word, policy_short, policy_title, text, word
from calc.explain import KIND_LABELS, STATUS_LABELS
from calc.files import write_xlsx


def _money_format(sheet_columns: dict[str, list[str]]):
    """Thousands separators on the money columns (whole yuan), the header row frozen."""
    def decorate(book: Any, worksheets: dict[str, Any], sheets: Any) -> None:
        money = book.add_format({"num_format": "#,##0"})
        for name, ws in worksheets.items():
            ws.freeze_panes(1, 0)
            frame = sheets[name]
            for j, column in enumerate(frame.columns):
                if column in sheet_columns.get(name, ()):
                    ws.set_column(j, j, max(14, min(40, len(str(column)) * 2)), money)
    return decorate


def batch_report_xlsx(view: BatchView) -> bytes:
    """The XLSX report: totals per enterprise (with the grand total), every item (amount and status) per
    enterprise, the rejected rows, and the as-of date with the policies' validity.  Amounts are whole yuan,
    as numbers (exact), the unit in every money header."""
    lang = view.lang
    result = view.result
    wide = result.wide
    pol = policy_set()
    unit = text("unit_yuan", lang)
    totals = view.table.copy()
    money = [text(k, lang) for k in ("total_firm", "total_ceiling", "total_all")]
    grand = batch_totals(view)
    total_row = {c: "" for c in totals.columns}
    total_row[totals.columns[0]] = text("total_all", lang)
    for key, column in zip(("total_firm", "total_ceiling", "total_all"), money):
        total_row[column] = grand[key]
    total_row[text("col_granted", lang)] = None
    totals = pd.concat([totals, pd.DataFrame([total_row])], ignore_index=True)
    for column in money:
        totals[column] = totals[column].astype(object)
    totals = totals.rename(columns={c: f"{c}（{unit}）" if lang == "zh" else f"{c} ({unit})" for c in money})
    columns: dict[str, Any] = {text("col_enterprise_id", lang): wide["enterprise_id"].to_numpy(dtype=object)}
    item_money = []
    for node in result.nodes:
        title = f"{policy_short(node.policy_id, lang)} · {node.title_zh if lang == 'zh' else node.title_en}"
        status = wide[f"{node.id}:status"]
        money_title = f"{title}（{unit}）" if lang == "zh" else f"{title} ({unit})"
        item_money.append(money_title)
        columns[money_title] = wide[node.id].to_numpy()
        columns[f"{title} · {text('col_status', lang)}"] = status.cat.rename_categories(
            [explain.pick(STATUS_LABELS[s], lang) for s in status.cat.categories]).astype(object).to_numpy()
    items = pd.DataFrame(columns)
    about = pd.DataFrame({
        "": [text("as_of", lang), text("batch_summary", lang, name=view.name, ok=len(result.frame),
                                       bad=result.inputs.bad_row_count), text("disclaimer_title", lang)]
            + [policy_title(pid, lang) for pid in pol.policies],
        " ": [result.as_of.isoformat(), "", text("disclaimer", lang)]
             + [pol.policies[pid].validity_text() for pid in pol.policies],
    })
    buffer = io.BytesIO()
    names = ("totals", "items", "errors", "about") if lang == "en" else ("汇总", "逐项", "错误", "说明")
    money_columns = {names[0]: [c for c in totals.columns if c.startswith(tuple(money))], names[1]: item_money}
    write_xlsx(buffer, dict(zip(names, (totals, items, view.errors, about))), decorate=_money_format(money_columns))
    return buffer.getvalue()


def batch_report_name(lang: str = "zh") -> str:
    return "企业补贴测算.xlsx" if lang == "zh" else "entitlements.xlsx"


def batch_report_link(view: BatchView) -> str:
    return download_link(batch_report_xlsx(view), batch_report_name(view.lang), text("download", view.lang))


def budget_report_xlsx(view: BudgetView, projection: ProjectionView | None = None) -> bytes:
    """The XLSX report of the page's scenario, in the page's language: every sheet of
    :func:`calc.budget_report.budget_sheets` (totals, enterprises, breakdowns, binding, projection, parameters),
    with headers and sheet names from the catalogs (units in the headers), the items' and policies' titles beside
    their ids, outcomes and scenarios in words, and the change in cost per year (reform − baseline) when a
    projection was run.  Amounts stay whole yuan, as numbers."""
    lang = view.lang
    table = reform_parameters(policy_set(), [view.reform], view.comparison.baseline.as_of)
    proj = projection.projection if projection is not None else None
    sheets, charts = budget_sheets(view.comparison, table, proj)
    if proj is not None and proj.change is not None:
        sheets["projection_change"] = proj.change
    pol = policy_set()
    item_title = {n.id: (n.title_zh if lang == "zh" else n.title_en) for n in pol.items()}
    lines = {key: label for label, key in budget_lines_of(view, lang)}
    out: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    shift: dict[str, int] = {}
    for key, frame in sheets.items():
        frame = frame.copy()
        added = 0
        if "item_id" in frame.columns:
            frame.insert(frame.columns.get_loc("item_id") + 1, "item",
                         [item_title.get(i, i) for i in frame["item_id"]])
            added += 1
        if "policy_id" in frame.columns:
            frame.insert(frame.columns.get_loc("policy_id") + 1, "policy",
                         [policy_short(p, lang) for p in frame["policy_id"]])
        if "budget_line" in frame.columns:
            frame.insert(frame.columns.get_loc("budget_line") + 1, "budget_line_title",
                         [lines.get(b, b) for b in frame["budget_line"]])
        if "parameter_id" in frame.columns:
            frame.insert(frame.columns.get_loc("parameter_id") + 1, "item",
                         [item_title.get(str(i).rsplit(".", 1)[0], "") for i in frame["parameter_id"]])
        if "outcome" in frame.columns:
            frame["outcome"] = [word("outcomes", o, lang) for o in frame["outcome"]]
        if "scenario" in frame.columns:
            frame["scenario"] = [word("scenarios", sc, lang) for sc in frame["scenario"]]
        if "kind" in frame.columns:
            frame["kind"] = [explain.pick(KIND_LABELS[k], lang) if k in KIND_LABELS else k for k in frame["kind"]]
        frame.columns = [word("report_columns", c, lang) if has_word("report_columns", c) else str(c)
                         for c in frame.columns]
        names[key] = word("report_sheets", key, lang)
        shift[key] = added
        out[names[key]] = frame
    drawn = []
    for spec in charts:
        key = spec["sheet"]
        spec = dict(spec, sheet=names[key], title=word("report_charts", key, lang),
                    axis=word("report_charts", "axis", lang))
        if shift.get(key):  # the item's title (inserted after its id) names the bars
            spec.update(categories=spec["categories"] + 1, values=[v + shift[key] for v in spec["values"]])
        drawn.append(spec)
    buffer = io.BytesIO()
    write_xlsx(buffer, out, decorate=_draw(drawn))
    return buffer.getvalue()


def budget_lines_of(view: BudgetView, lang: str) -> list[tuple[str, str]]:
    from calc.dashboards.budget import budget_lines

    return budget_lines(view.as_of, lang)


def budget_report_name(lang: str = "zh") -> str:
    return "财政预算测算.xlsx" if lang == "zh" else "budget.xlsx"


def report_link(view: BudgetView, projection: ProjectionView | None = None) -> str:
    return download_link(budget_report_xlsx(view, projection), budget_report_name(view.lang),
                         text("budget_download", view.lang))
