"""The dashboards' face: what the Voila pages compute and draw, so that the notebooks hold only widgets.

One module per page: :mod:`.enterprise` (estimator and batch), :mod:`.consortium` (checker),
:mod:`.budget` (budget and scenario modelling), :mod:`.landing`.  Shared: :mod:`.words` (the zh/en
catalogs in ``words/*.yaml``), :mod:`.money` (the one money formatter of the pages and their reports),
:mod:`.html` (cards, tables, CSS), :mod:`.forms` (fields and validating what widgets send),
:mod:`.uploads`, :mod:`.reports` (the XLSX downloads), :mod:`.safe` (callbacks that never fail silently),
:mod:`.common` (languages, dates, the policies loaded once).

The core (``calc.*`` outside this package) never imports from here.
"""

import sys

# Lighter kernel start-up: plotly imports nbformat → jsonschema, which imports the optional rfc3987_syntax and
# builds its IRI grammar at import (1.7 s of every dashboard kernel's start on this machine).  Nothing here
# validates IRIs, so that optional checker is left out of the dashboards' processes.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
