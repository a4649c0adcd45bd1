"""The budget workbook: totals, per-enterprise changes, breakdowns, projection and the reform's parameters,
with native Excel charts (openpyxl), so a finance officer can open it and keep working in Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils.dataframe import dataframe_to_rows

from calc.budget import Comparison, Projection

BREAKDOWN_COLUMNS = ("district", "industry", "size_band", "city")


def _sheet(workbook: Workbook, title: str, table: pd.DataFrame):
    sheet = workbook.create_sheet(title[:31])
    for row in dataframe_to_rows(table, index=False, header=True):
        # a missing value (pd.NA in a nullable column) is an empty cell
        sheet.append([None if v is pd.NA else v for v in row])
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    return sheet


def _bar(sheet, title: str, categories_col: int, value_cols: Sequence[int], rows: int, anchor: str, y_title: str):
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.y_axis.title = y_title
    chart.height, chart.width = max(7.5, 0.5 * rows), 22
    for col in value_cols:
        chart.add_data(Reference(sheet, min_col=col, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=categories_col, min_row=2, max_row=rows + 1))
    sheet.add_chart(chart, anchor)


def write_budget_workbook(path: Path | str, comparison: Comparison, reform_table: pd.DataFrame,
                          projection: Projection | None = None) -> Path:
    """Write the budget report; every amount is whole yuan (integers), exactly as computed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    workbook.remove(workbook.active)

    items = comparison.items
    sheet = _sheet(workbook, "totals", items)
    shown = items[(items["baseline_yuan"] != 0) | (items["reform_yuan"] != 0)]
    if len(shown):
        # chart the items that cost something: baseline vs reform side by side
        chart_sheet = _sheet(workbook, "chart_data", shown[["item_id", "baseline_yuan", "reform_yuan"]])
        _bar(chart_sheet, "Baseline vs reform by item (yuan)", 1, [2, 3], len(shown), "E2", "yuan")
    if len(comparison.budget_lines):
        _sheet(workbook, "budget_lines", comparison.budget_lines)

    changes = comparison.enterprises
    _sheet(workbook, "enterprises", changes.sort_values("change_yuan", kind="stable"))

    for column in BREAKDOWN_COLUMNS:
        if column in changes.columns and changes[column].notna().any():
            table = comparison.breakdown(column)
            sheet = _sheet(workbook, f"by_{column}", table)
            _bar(sheet, f"Cost by {column} (yuan)", 1, [3, 4], len(table), "L2", "yuan")

    _sheet(workbook, "binding", comparison.binding())

    if projection is not None:
        per_year = projection.by_year.pivot(index="year", columns="scenario", values="cost_yuan").reset_index()
        per_year.columns.name = None
        sheet = _sheet(workbook, "projection", per_year)
        chart = LineChart()
        chart.title = "Cost per year (yuan)"
        chart.add_data(Reference(sheet, min_col=2, max_col=per_year.shape[1], min_row=1, max_row=len(per_year) + 1),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(per_year) + 1))
        sheet.add_chart(chart, "F2")
        _sheet(workbook, "projection_detail", projection.by_year)
        _sheet(workbook, "projection_items", projection.by_item)
        _sheet(workbook, "assumptions", pd.DataFrame(
            {"assumption": list(projection.assumptions), "value": [str(v) for v in projection.assumptions.values()]}))

    _sheet(workbook, "reform_parameters", reform_table)
    _sheet(workbook, "errors", comparison.baseline.errors)
    workbook.save(path)
    return path
