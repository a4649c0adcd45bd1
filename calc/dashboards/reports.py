"""The downloads: the enterprise batch report and the budget report (XLSX), as links carrying the file."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from calc import explain
from calc.budget import reform_parameters
from calc.budget_report import write_budget_workbook
from calc.dashboards.budget import BudgetView, ProjectionView
from calc.dashboards.common import policy_set
from calc.dashboards.enterprise import BatchView, batch_totals
from calc.dashboards.html import download_link
from calc.dashboards.words import policy_short, policy_title, text
from calc.explain import STATUS_LABELS
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
    """The XLSX report of the page's scenario (totals, enterprises, breakdowns, binding, projection, parameters)."""
    table = reform_parameters(policy_set(), [view.reform], view.comparison.baseline.as_of)
    buffer = io.BytesIO()
    write_budget_workbook(buffer, view.comparison, table, projection.projection if projection is not None else None)
    return buffer.getvalue()


def report_link(view: BudgetView, projection: ProjectionView | None = None) -> str:
    return download_link(budget_report_xlsx(view, projection), "budget.xlsx", text("budget_download", view.lang))
