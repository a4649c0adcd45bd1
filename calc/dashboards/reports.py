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
from calc.dashboards.enterprise import BatchView
from calc.dashboards.html import download_link
from calc.dashboards.words import policy_short, policy_title, text
from calc.explain import STATUS_LABELS
from calc.files import write_xlsx


def batch_report_xlsx(view: BatchView) -> bytes:
    """The XLSX report: totals per enterprise, every item (amount and status) per enterprise, errors."""
    lang = view.lang
    result = view.result
    wide = result.wide
    pol = policy_set()
    columns: dict[str, Any] = {text("col_enterprise_id", lang): wide["enterprise_id"].to_numpy(dtype=object)}
    for node in result.nodes:
        title = f"{policy_short(node.policy_id, lang)} · {node.title_zh if lang == 'zh' else node.title_en}"
        status = wide[f"{node.id}:status"]
        columns[title] = wide[node.id].to_numpy()
        columns[f"{title} · {text('col_status', lang)}"] = status.cat.rename_categories(
            [explain.pick(STATUS_LABELS[s], lang) for s in status.cat.categories]).astype(object).to_numpy()
    items = pd.DataFrame(columns)
    about = pd.DataFrame({
        "": [text("as_of", lang), text("batch_summary", lang, name=view.name, ok=len(result.frame),
                                       bad=result.inputs.bad_row_count)]
            + [policy_title(pid, lang) for pid in pol.policies],
        " ": [result.as_of.isoformat(), ""] + [pol.policies[pid].validity_text() for pid in pol.policies],
    })
    buffer = io.BytesIO()
    names = ("totals", "items", "errors", "about") if lang == "en" else ("汇总", "逐项", "错误", "说明")
    write_xlsx(buffer, dict(zip(names, (view.table, items, view.errors, about))))
    return buffer.getvalue()


def budget_report_xlsx(view: BudgetView, projection: ProjectionView | None = None) -> bytes:
    """The XLSX report of the page's scenario (totals, enterprises, breakdowns, binding, projection, parameters)."""
    table = reform_parameters(policy_set(), [view.reform], view.comparison.baseline.as_of)
    buffer = io.BytesIO()
    write_budget_workbook(buffer, view.comparison, table, projection.projection if projection is not None else None)
    return buffer.getvalue()


def report_link(view: BudgetView, projection: ProjectionView | None = None) -> str:
    return download_link(budget_report_xlsx(view, projection), "budget.xlsx", text("budget_download", view.lang))
