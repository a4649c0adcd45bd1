"""``python -m calc serve``: the dashboards served by Voila from wherever the package is installed.

(To be written: see issue 11, point 2.)
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m calc serve``."""


def run(args: argparse.Namespace) -> int:
    """Serve the dashboards; returns the exit status."""
    raise NotImplementedError("python -m calc serve is not written yet")
