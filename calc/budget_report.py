"""The budget workbook: totals, per-enterprise changes, breakdowns, projection and the reform's parameters,
with native Excel charts, so a finance officer can open it and keep working in Excel.

Written through :func:`calc.files.write_xlsx`: atomically, text never a formula, amounts exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, Mapping

import pandas as pd

from calc.budget import Comparison, Projection
from calc.files import write_xlsx

BREAKDOWN_COLUMNS = ("district", "industry", "size_band", "city")


def budget_sheets(comparison: Comparison, reform_table: pd.DataFrame,
                  projection: Projection | None = None) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """The workbook's sheets in order, and the charts to draw on them (sheet, kind, title, columns)."""
    sheets: dict[str, pd.DataFrame] = {}
    charts: list[dict[str, Any]] = []
    items = comparison.items
    sheets["totals"] = items
    shown = items[(items["baseline_yuan"] != 0) | (items["reform_yuan"] != 0)]
    if len(shown):
        # chart the items that cost something: baseline vs reform side by side
        sheets["chart_data"] = shown[["item_id", "baseline_yuan", "reform_yuan"]]
        charts.append(dict(sheet="chart_data", kind="bar", title="Baseline vs reform by item (yuan)",
                           categories=0, values=[1, 2], anchor="E2", axis="yuan"))
    if len(comparison.budget_lines):
        sheets["budget_lines"] = comparison.budget_lines
    changes = comparison.enterprises
    sheets["enterprises"] = changes.sort_values("change_yuan", kind="stable")
    for column in BREAKDOWN_COLUMNS:
        if column in changes.columns and changes[column].notna().any():
            sheets[f"by_{column}"] = comparison.breakdown(column)
            charts.append(dict(sheet=f"by_{column}", kind="bar", title=f"Cost by {column} (yuan)",
                               categories=0, values=[2, 3], anchor="L2", axis="yuan"))
    sheets["binding"] = comparison.binding()
    if projection is not None:
        per_year = projection.by_year.pivot(index="year", columns="scenario", values="cost_yuan").reset_index()
        per_year.columns.name = None
        sheets["projection"] = per_year
        charts.append(dict(sheet="projection", kind="line", title="Cost per year (yuan)", categories=0,
                           values=list(range(1, per_year.shape[1])), anchor="F2", axis="yuan"))
        sheets["projection_detail"] = projection.by_year
        sheets["projection_items"] = projection.by_item
        sheets["assumptions"] = pd.DataFrame({"assumption": list(projection.assumptions),
                                              "value": [str(v) for v in projection.assumptions.values()]})
    sheets["reform_parameters"] = reform_table
    sheets["errors"] = comparison.baseline.errors
    return sheets, charts


def _draw(charts: list[dict[str, Any]]):
    def decorate(book: Any, worksheets: Mapping[str, Any], sheets: Mapping[str, pd.DataFrame]) -> None:
        for spec in charts:
            frame = sheets[spec["sheet"]]
            rows = len(frame)
            name = worksheets[spec["sheet"]].get_name()
            chart = book.add_chart({"type": spec["kind"]})
            for col in spec["values"]:
                chart.add_series({
                    "name": [name, 0, col],
                    "categories": [name, 1, spec["categories"], rows, spec["categories"]],
                    "values": [name, 1, col, rows, col],
                })
            chart.set_title({"name": spec["title"]})
            # a bar chart's values run along its x axis
            (chart.set_x_axis if spec["kind"] == "bar" else chart.set_y_axis)({"name": spec["axis"]})
            chart.set_size({"width": 900, "height": max(360, 20 * rows)})
            worksheets[spec["sheet"]].insert_chart(spec["anchor"], chart)
    return decorate


def write_budget_workbook(target: Path | str | BinaryIO, comparison: Comparison, reform_table: pd.DataFrame,
                          projection: Projection | None = None) -> Path | BinaryIO:
    """Write the budget report (a path, atomically; or a binary stream); every amount is whole yuan."""
    sheets, charts = budget_sheets(comparison, reform_table, projection)
    write_xlsx(target, sheets, decorate=_draw(charts))
    return Path(target) if isinstance(target, (str, Path)) else target


def projection_tables(projection: Projection) -> dict[str, pd.DataFrame]:
    """The projection as the command line writes it beside OUT.csv: ``projection`` (OUT.projection.csv: per year
    the baseline's and the reform's cost, and the change as scenario ``change`` = reform − baseline; with draws,
    the P10/P50/P90 of each, the change's taken draw by draw) and ``projection_items`` (OUT.projection_items.csv:
    per year, scenario and item, the cost and the recipients)."""
    change = projection.change.rename(columns={"change_yuan": "cost_yuan"}).assign(scenario="change")
    by_year = pd.concat([projection.by_year, change[[c for c in projection.by_year.columns]]], ignore_index=True)
    rank = {"baseline": 0, "reform": 1, "change": 2}
    by_year = by_year.sort_values(["year", "scenario"], key=lambda s: s.map(rank) if s.name == "scenario" else s,
                                  kind="stable").reset_index(drop=True)
    return {"projection": by_year, "projection_items": projection.by_item}


ITEM_COLUMNS = ["item_id", "policy_id", "kind", "baseline_yuan", "reform_yuan", "change_yuan", "baseline_recipients",
                "reform_recipients", "award_share"]


def items_table(items: pd.DataFrame) -> pd.DataFrame:
    """The items table as the command line writes it (OUT.csv): per item the costs, change and recipients, the
    pro-rated amount when budgets were given, the award share."""
    columns = list(ITEM_COLUMNS)
    if "prorated_yuan" in items.columns:
        columns.insert(columns.index("award_share"), "prorated_yuan")
    return items[columns]


def budget_summary(rows: int, rejected: int, items: pd.DataFrame, budget_lines: pd.DataFrame, output: Any) -> list[str]:
    """The budget command's closing lines: the totals, then each budget line's pro-rating (one process or Dask)."""
    from calc.money import exact_sum

    lines = [f"{rows} enterprises, {rejected} rejected; baseline {exact_sum(items['baseline_yuan'].to_numpy()):,} yuan, "
             f"reform {exact_sum(items['reform_yuan'].to_numpy()):,} yuan, change "
             f"{exact_sum(items['change_yuan'].to_numpy()):+,} yuan → {output}"]
    for line in budget_lines.itertuples():
        lines.append(f"budget {line.budget_line}: claims {line.claims_yuan:,} yuan, budget {line.budget_yuan:,} yuan, "
                     f"factor {line.factor_exact}, paid {line.prorated_yuan:,} yuan, remainder {line.remainder_yuan:,} yuan")
    return lines
