"""What the analyst notebook (``notebooks/analyst.ipynb``) takes from the dashboards' package, in one place.

That notebook computes with the core directly; from here it only borrows the chart font, the samples' folder,
the consortium checker's view and a sample row's widget values."""

from __future__ import annotations

from calc.dashboards.common import SAMPLES
from calc.dashboards.consortium import compute_consortium
from calc.dashboards.forms import sample_values
from calc.dashboards.html import CHART_FONT

__all__ = ["CHART_FONT", "SAMPLES", "compute_consortium", "sample_values"]
