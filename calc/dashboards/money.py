"""The one money formatter of the pages and their reports: readable on the page, exact on hover and in files.

- :func:`short` — 万/亿 with at most two decimals (``549.38万元``, ``99.55亿元``; in English ``¥5.49m``,
  ``¥9.95bn``); amounts under 1万元 exactly (``1,850元``).  Rounding is half up on the integer fen, never
  through float.
- :func:`exact` — every yuan (``5,493,831元`` / ``¥5,493,831``), with fen when there are any: the hover text,
  and what downloads carry (as numbers, with the unit in the header).
- :func:`money_html` — the short text in a ``<span>`` whose ``title`` is the exact amount and whose
  ``data-yuan`` holds the whole yuan (tests and copy/paste read it).
- :func:`axis_unit` / :func:`scaled` — a chart's axis in the unit its bar labels use.
- :func:`plausible_fix` — a bare number far too small for what a field means (R&D of ``1850``, a cap of
  ``300``) gives the amount the user most likely meant (``1850万``) so that the page can ask
  "是否指1850万元？" with a one-click fix.  The threshold is a property of the page's wording, not of the law.
"""

from __future__ import annotations

import re
from typing import Any

from calc.dashboards.common import lang_of
from calc.dashboards.html import esc
from calc.rules.base import FEN_PER_YUAN

WAN = 10_000 * FEN_PER_YUAN                 # fen in 1万元
YI = 100_000_000 * FEN_PER_YUAN             # fen in 1亿元
MILLION = 1_000_000 * FEN_PER_YUAN
BILLION = 1_000_000_000 * FEN_PER_YUAN


def _rounded(fen: int, unit: int) -> str:
    """|fen| / unit, rounded half up to at most two decimals, trailing zeros dropped, thousands separated."""
    hundredths = (2 * fen * 100 + unit) // (2 * unit)   # half up, exact integers
    whole, frac = divmod(hundredths, 100)
    text = f"{whole:,}"
    if frac:
        text += f".{frac:02d}".rstrip("0")
    return text


def _fen(value: Any, unit: str) -> int:
    n = int(value)
    return n * FEN_PER_YUAN if unit == "yuan" else n


def short(amount: Any, lang: str = "zh", unit: str = "yuan") -> str:
    """An amount for reading (``amount`` in whole yuan, or fen with ``unit="fen"``); None → "—"."""
    if amount is None:
        return "—"
    try:
        fen = _fen(amount, unit)
    except (TypeError, ValueError):
        return "—"
    sign = "−" if fen < 0 else ""
    a = abs(fen)
    if lang_of(lang) == "zh":
        if a >= YI:
            return f"{sign}{_rounded(a, YI)}亿元"
        if a >= WAN:
            return f"{sign}{_rounded(a, WAN)}万元"
        return sign + exact(a, "zh", unit="fen")
    if a >= BILLION:
        return f"{sign}¥{_rounded(a, BILLION)}bn"
    if a >= MILLION:
        return f"{sign}¥{_rounded(a, MILLION)}m"
    return sign + exact(a, "en", unit="fen")


def exact(amount: Any, lang: str = "zh", unit: str = "yuan") -> str:
    """Every yuan (and fen when there are any): ``5,493,831元`` / ``¥5,493,831``."""
    if amount is None:
        return "—"
    fen = _fen(amount, unit)
    sign = "−" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    body = f"{yuan:,}" + (f".{cents:02d}" if cents else "")
    return f"{sign}{body}元" if lang_of(lang) == "zh" else f"{sign}¥{body}"


def signed(amount: Any, lang: str = "zh", unit: str = "yuan") -> str:
    """``+1.5万元`` / ``−300万元`` / ``0元``."""
    fen = _fen(amount, unit)
    return ("+" if fen > 0 else "") + short(fen, lang, unit="fen")


def money_html(amount: Any, lang: str = "zh", *, sign: bool = False, cls: str = "money") -> str:
    """The short text, the exact amount on hover (``title``) and in ``data-yuan``."""
    if amount is None:
        return "—"
    yuan = int(amount)
    shown = signed(yuan, lang) if sign else short(yuan, lang)
    return (f'<span class="{cls}" data-yuan="{yuan}" title="{esc(exact(yuan, lang))}">{esc(shown)}</span>')


# ---------------------------------------------------------------------------- charts

def axis_unit(values: Any, lang: str = "zh") -> tuple[int, str]:
    """(whole yuan per axis unit, the unit's words) for values in whole yuan: 亿元 / 万元 / 元 as the labels."""
    largest = max((abs(int(v)) for v in values), default=0)
    if lang_of(lang) == "zh":
        if largest >= YI // FEN_PER_YUAN:
            return 100_000_000, "亿元"
        if largest >= WAN // FEN_PER_YUAN:
            return 10_000, "万元"
        return 1, "元"
    if largest >= BILLION // FEN_PER_YUAN:
        return 1_000_000_000, "¥bn"
    if largest >= MILLION // FEN_PER_YUAN:
        return 1_000_000, "¥m"
    return 1, "¥"


def scaled(values: Any, per: int) -> list[float]:
    """Values (whole yuan) in axis units, for drawing only (labels and hover stay exact text)."""
    return [int(v) / per for v in values]


# ---------------------------------------------------------------------------- implausible amounts

_BARE_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def plausible_fix(typed: Any, fen: int | None, floor_fen: int = WAN) -> str | None:
    """The text the user most likely meant when a *bare* number reads as an implausibly small amount.

    ``1850`` in a field where any real amount is at least ``floor_fen`` (1万元 by default) → ``"1850万"``;
    anything written with a unit, commas, ``¥`` or 万/亿, zero, or an amount at or above the floor → None.
    """
    if not isinstance(typed, str) or fen is None or fen <= 0 or fen >= floor_fen:
        return None
    if not _BARE_NUMBER.match(typed):
        return None
    return typed.strip() + "万"
