"""What is accepted, in one place: the command line, the Python loaders and the dashboards read these bounds.

Two kinds:

* **Value bounds** (constants): ceilings no real enterprise or reform reaches.  They keep every amount an
  exact ``int64`` number of fen with room to spare, so no sum, difference or product over a row can wrap
  around; sums over a population are taken in Python integers (:func:`calc.money.exact_sum`).  An input
  above a bound is a row/column/value error like any other bad cell.
* **Resource bounds** (:class:`Limits`): how large a file, a table, a cell or a YAML document may be before
  anything is allocated for it.  Each can be raised deliberately (``--limit rows=20000000`` on the command
  line, ``limits=Limits(max_rows=…)`` in Python); the dashboards use the tighter :data:`DASHBOARD`.

These are engineering bounds, not policy numbers: the policies' own amounts and thresholds are in ``data/``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace

KiB, MiB, GiB = 1024, 1024**2, 1024**3

# ------------------------------------------------------------------------------------------- value bounds
#
# Why these keep every per-row computation inside int64 (|x| < 2^63 ≈ 9.22 × 10^18), rule by rule:
#   money in, thresholds          ≤ 10^15 fen; a sum of three years' R&D ≤ 3 × 10^15; differences ≥ −3 × 10^15
#   count × amount per unit       ≤ MAX_COUNT × MAX_UNIT_AMOUNT_FEN = 10^17 = MAX_ITEM_FEN
#   steps × amount per step       the steps are first clamped to cap // amount + 1, so ≤ cap + amount ≤ 2 × 10^11
#   money × rate                  through calc.rules.base.mul_rate / ratio_at_least: int64 when the product is
#                                 provably small, Python integers otherwise; the floored result ≤ money (rate ≤ 100%)
#   an enterprise's total         ≤ number of items × MAX_ITEM_FEN (checked; 92 items would still fit)
# Sums over a population are never int64: calc.money.exact_sum or Python integers.

#: Any amount of money in an input, and any money threshold (or step) a reform sets: 10万亿元 (10^13 yuan), several
#: times the yearly revenue of the largest enterprise in China.  Sums of a few such amounts stay far inside int64.
MAX_MONEY_FEN = 10**15

#: An amount a reform pays per unit (per platform, project, person, step), as a fixed award or as a cap: 10亿元, more
#: than thirty times the largest such amount in the five texts (3000万元).  × MAX_COUNT units it is 10^17 fen.
MAX_UNIT_AMOUNT_FEN = 10**11

#: Any count in an input (members, staff, platforms, postdocs, projects) or a count a reform sets: one million.
MAX_COUNT = 1_000_000

#: No single item may pay one enterprise more than this (10^17 fen = 1万亿元); the bounds above make it
#: unreachable, and the engine checks it, so a future rule that could exceed it fails loudly instead of wrapping.
MAX_ITEM_FEN = 10**17

#: Dates: as-of dates, claim years, a reform's dates and a policy's validity lie in this range.
MIN_DATE, MAX_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

#: Rates a reform may set: a rate paid (50% of the national funding) at most 100%; a rate compared with (a
#: growth rate above 20%, a share of members) at most 1000%.  Rates are never negative.
MAX_PAID_RATE_PERCENT = 100
MAX_THRESHOLD_RATE_PERCENT = 1000

#: Precision of a rate or an award share: exact as written, as long as its lowest terms have a denominator of at
#: most 10^30 (28 decimals of a percent, e.g. 33.3333333333333333333333333333%; 1/3 itself is fine).  Products
#: of money and a rate are exact whatever the precision; the bound keeps each one a few machine words long.
MAX_RATE_DENOMINATOR = 10**30

#: A product computed in int64 (money × a rate's numerator …) is at most this, 2^61: a few such products can be
#: added or subtracted without wrapping.  A larger one is computed in Python integers (calc.rules.base).
MAX_INT64_PRODUCT = 2**61

#: Projection assumptions: yearly growth above −100% and at most +1000% (each Monte Carlo draw is clipped to
#: −100%…+1000%), its spread 0…1000%, 0 (none) to 100,000 Monte Carlo draws, at most 101 projected years, each
#: within the date range.  Projected R&D that would grow above MAX_MONEY_FEN is held at it (and counted).
MAX_GROWTH_PERCENT = 1000
MAX_DRAWS = 100_000
MAX_YEARS = MAX_DATE.year - MIN_DATE.year + 1


# ------------------------------------------------------------------------------------------- resource bounds

@dataclass(frozen=True)
class Limits:
    """Resource bounds of one read; the defaults are the command line's and the Python API's."""

    max_file_bytes: int = 2 * GiB           # a CSV or XLSX file as stored
    max_rows: int = 5_000_000               # data rows of a table
    max_columns: int = 1_000                # columns of a table
    max_cells: int = 60_000_000             # rows × columns (each cell read is a Python object: ~120 bytes,
    #                                        so 60 million cells take about 7 GB while a table is parsed)
    max_cell_chars: int = 10_000            # characters in one cell
    max_xlsx_unpacked_bytes: int = 1 * GiB  # every part of an XLSX unpacked, as its directory declares (its cells
    #                                        are held while read: memory up to several times this)
    max_xlsx_ratio: int = 200               # unpacked / packed size of one part (a zip bomb compresses far more)
    max_shared_strings_bytes: int = 512 * MiB  # the XLSX shared-strings part unpacked (held in memory at once)
    max_yaml_bytes: int = 1 * MiB           # a reform or policy YAML file

    def replace(self, **changes: int) -> "Limits":
        return replace(self, **changes)


#: The dashboards' uploads: 5 MiB (tornado drops a larger websocket message), 20,000 rows.
DASHBOARD = Limits(max_file_bytes=5 * MiB, max_rows=20_000, max_columns=200, max_cells=2_000_000, max_cell_chars=1_000,
                   max_xlsx_unpacked_bytes=100 * MiB, max_shared_strings_bytes=50 * MiB, max_yaml_bytes=256 * KiB)

DEFAULT = Limits()

#: Short names for ``--limit NAME=VALUE``.
LIMIT_NAMES = {f.name.removeprefix("max_").removesuffix("_bytes"): f.name for f in fields(Limits)}

_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "k": KiB, "kb": KiB, "kib": KiB, "m": MiB, "mb": MiB, "mib": MiB,
               "g": GiB, "gb": GiB, "gib": GiB}


def parse_limit(text: str, base: Limits = DEFAULT) -> Limits:
    """``rows=20000000`` or ``file=3GB`` → a :class:`Limits` with that bound changed; ValueError otherwise."""
    name, sep, value = str(text).partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in LIMIT_NAMES:
        raise ValueError(f"--limit wants NAME=VALUE with NAME one of {', '.join(LIMIT_NAMES)}; got {text!r}")
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"--limit {name}: {value!r} is not a whole number (sizes may end in KB, MB or GB)")
    number = int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
    if number <= 0 or number > 2**62:
        raise ValueError(f"--limit {name}: {value!r} must be above 0 and at most 2^62")
    return base.replace(**{LIMIT_NAMES[name]: number})


def size_text(n: int) -> str:
    """A byte count for people: 5.0 MB, 12 KB, 300 B."""
    if n >= GiB:
        return f"{n / GiB:.1f} GB"
    if n >= MiB:
        return f"{n / MiB:.1f} MB"
    if n >= KiB:
        return f"{n / KiB:.0f} KB"
    return f"{n} B"
