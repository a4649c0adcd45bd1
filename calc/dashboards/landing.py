"""The landing page: the four dashboards, with one line on who each is for."""

from __future__ import annotations

from calc.dashboards.common import lang_of
from calc.dashboards.html import esc
from calc.dashboards.words import text, word


LANDING = [  # (page, its title's key); who it is for: the catalogs' landing section, by page
    ("enterprise.ipynb", "enterprise_title"),
    ("consortium.ipynb", "consortium_title"),
    ("budget.ipynb", "budget_title"),
    ("analyst.ipynb", "analyst_title"),
]


def landing_html(lang: str = "zh") -> str:
    lang = lang_of(lang)
    items = "".join(
        f'<li class="landing-item"><a class="landing-link" href="{esc(href)}">{esc(text(key, lang))}</a>'
        f'<div>{esc(word("landing", href.split(".")[0], lang))}</div></li>' for href, key in LANDING)
    return (f'<h2>{esc(text("landing_title", lang))}</h2><p>{esc(text("landing_intro", lang))}</p>'
            f'<ul class="landing">{items}</ul>')
