"""Where the files the package ships live: the policies, the law's texts, the samples, the dashboards.

In a checkout they are at the repository's top (``data/``, ``notebooks/``, ``deploy/``, ``share/``); an
installed wheel carries the same folders inside the package, under ``calc/_shipped/``.  Nothing is read from
outside these two places.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_SHIPPED = PACKAGE / "_shipped"

#: The folder holding data/, notebooks/, deploy/ and share/.
ROOT = _SHIPPED if _SHIPPED.is_dir() else PACKAGE.parent

DATA = ROOT / "data"
POLICIES = DATA / "policies"   # one YAML file per document, and stacking.yaml
SOURCES = DATA / "sources"     # the law as published: the texts every quote is checked against
SAMPLES = DATA / "samples"     # seeded synthetic inputs
NOTEBOOKS = ROOT / "notebooks"  # the Voila pages
DEPLOY = ROOT / "deploy"       # Voila's configuration
JUPYTER_PATH = ROOT / "share" / "jupyter"  # the Voila templates
