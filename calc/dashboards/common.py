"""What every page shares: the samples' folder, the languages, the default dates, the policies loaded once."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import calc
from calc.limits import MAX_DATE as LAST_DATE, MIN_DATE
from calc.policies import default_policies

SAMPLES = calc.SAMPLES
LANGS = ("zh", "en")
DEFAULT_AS_OF = dt.date(2026, 6, 30)    # every page opens on the same date
DEFAULT_ENTERPRISE = "E0003"            # a member and lead with seven granted items: a full first view
DEFAULT_CONSORTIUM = "C-XM-ELIGIBLE"
MAX_TEXT = 200                          # longest text accepted from a widget
MAX_DATE = (MIN_DATE, LAST_DATE)        # dates a page accepts (calc.limits)


@lru_cache(maxsize=1)
def policy_set():
    """The shipped policies, loaded once per kernel."""
    return default_policies()


def lang_of(lang: object) -> str:
    """``lang`` if it is one of :data:`LANGS`, else Chinese (a client can send anything)."""
    return lang if lang in LANGS else "zh"
