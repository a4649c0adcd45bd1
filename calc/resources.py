"""Where the files the package ships live: the policies, the law's texts, the samples, the dashboards.

In a checkout they are at the repository's top (``data/``, ``notebooks/``, ``deploy/``, ``share/``); an
installed wheel carries the same folders inside the package, under ``calc/_shipped/`` (the mapping is in
``pyproject.toml``).  Nothing else is read, with one exception made at start-up: plotly's full ``plotly.min.js``,
copied from the installed plotly by ``deploy/voila.py`` into the template's static folder in a checkout, and
into a cache folder outside the package when the package is installed (site-packages may be read-only).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_SHIPPED = PACKAGE / "_shipped"

#: True in an installed wheel (the files are under calc/_shipped/, which pyproject.toml maps them to); False in
#: a checkout or the editable install ``make install`` makes, where they are the repository's own folders.
INSTALLED = _SHIPPED.is_dir()

#: The folder holding data/, notebooks/, deploy/ and share/.
ROOT = _SHIPPED if INSTALLED else PACKAGE.parent

DATA = ROOT / "data"
POLICIES = DATA / "policies"   # one YAML file per document, and stacking.yaml
SOURCES = DATA / "sources"     # the law as published: the texts every quote is checked against
SAMPLES = DATA / "samples"     # seeded synthetic inputs
NOTEBOOKS = ROOT / "notebooks"  # the Voila pages
DEPLOY = ROOT / "deploy"       # Voila's configuration
JUPYTER_PATH = ROOT / "share" / "jupyter"  # the Voila templates
