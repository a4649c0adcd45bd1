"""The pages' words: one catalog per language (``words/zh.yaml``, ``words/en.yaml``), read once per kernel.

A translator edits the YAML files only.  Sections: ``text`` (labels, with ``{placeholders}``), ``options``
(choices of the fields), ``policy_short``, ``shared_rows`` (the consortium matrix's rows), ``landing``,
``upload`` (upload errors), ``parameters``, ``scenarios``, ``outcomes``, ``columns``, ``populations``,
and in Chinese ``messages``: patterns of the core's English input errors with their Chinese wording.
Statuses, results, kinds and reasons come from :mod:`calc.explain` and the core.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from calc.dashboards.common import LANGS, lang_of, policy_set

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, Any]:
    """The catalog of ``lang`` (zh or en), parsed once."""
    raw = resources.files("calc.dashboards").joinpath("words", f"{lang_of(lang)}.yaml").read_text("utf-8")
    return yaml.load(raw, Loader=_Loader)


def word(section: str, key: Any, lang: str = "zh", default: str | None = None) -> str:
    """One entry of a catalog section; a missing key gives ``default`` (or the key itself)."""
    value = catalog(lang_of(lang)).get(section, {}).get(str(key))
    if value is None:
        return str(key) if default is None else default
    return value


def has_word(section: str, key: Any) -> bool:
    return str(key) in catalog("zh").get(section, {})


def text(key: str, lang: str = "zh", **fields: Any) -> str:
    """A label of the pages in ``lang`` (zh or en), with ``{fields}`` filled in."""
    words = catalog(lang_of(lang))["text"][key]
    return words.format(**fields) if fields else words


def option_label(value: Any, lang: str = "zh") -> str:
    if value is None:
        return text("unknown", lang)
    if value is True:
        return text("yes", lang)
    if value is False:
        return text("no", lang)
    return word("options", value, lang)


def jurisdiction_label(j: str, lang: str = "zh") -> str:
    return text(f"jurisdiction_{j}", lang)


def policy_title(policy_id: str, lang: str = "zh") -> str:
    p = policy_set().policies[policy_id]
    return p.title if lang_of(lang) == "zh" else p.title_en


def policy_short(policy_id: str, lang: str = "zh") -> str:
    return word("policy_short", policy_id, lang)


def parameter_words(name: str, lang: str = "zh") -> str:
    return word("parameters", name, lang)


_CELL_PREFIX = re.compile(r"^row \d+(?: \(.*?\))?, column '.*?': ")


@lru_cache(maxsize=1)
def _messages() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(m["match"]), m["say"]) for m in catalog("zh").get("messages", [])]


def translate_message(message: str, lang: str = "zh") -> str:
    """An input error of the core (written in English) in the user's language; unknown ones stay as given.

    The "row 3 (enterprise_id=E3), column '…': " prefix is dropped: the error table has those columns."""
    message = _CELL_PREFIX.sub("", message, count=1)
    if lang_of(lang) == "en":
        return message
    for pattern, zh in _messages():
        m = pattern.match(message)
        if m:
            return m.expand(zh)
    return message
