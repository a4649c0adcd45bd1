"""Shareable scenarios: a page's inputs as a URL query string, and a query string read back — validated like any
input, since anyone can write any link.

The pages' kernels are preheated (they run before any browser asks for them), so the query string is not
read at start-up: the page's :class:`calc.dashboards.links.ShareLink` sends ``location.search`` once the page is drawn,
and the page applies what :func:`read_form` / :func:`read_budget` accept.  Anything else is named in
``errors`` (shown on the page) and ignored: a link can never set a widget to a value it could not hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from calc.dashboards.common import LANGS, MAX_DATE, MAX_TEXT
from calc.dashboards.forms import TOPICS, fields

MAX_QUERY = 8_000          # longest query string read (a page's state is far shorter)
MAX_KEYS = 200


def _date(value: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day if MAX_DATE[0] <= day <= MAX_DATE[1] else None


def _pairs(query: Any) -> tuple[list[tuple[str, str]], list[str]]:
    if not isinstance(query, str):
        return [], ["query"]
    query = query.lstrip("?")
    if len(query) > MAX_QUERY:
        return [], [f"query ({len(query):,} characters, at most {MAX_QUERY:,})"]
    try:
        pairs = parse_qsl(query, keep_blank_values=False, strict_parsing=False, max_num_fields=MAX_KEYS)
    except ValueError:
        return [], ["query (too many parameters)"]
    return pairs, []


def form_query(table: str, values: Mapping[str, Any], *, as_of: dt.date, lang: str,
               topics: Iterable[str] | None = None) -> str:
    """The estimator's or the checker's state as a query string: language, date, topics, every field given."""
    out: list[tuple[str, str]] = [("lang", lang), ("as_of", as_of.isoformat())]
    if topics is not None:
        out.append(("topics", ",".join(t for t in TOPICS if t in set(topics))))
    for _, group in fields(table):
        for f in group:
            v = values.get(f.name)
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            out.append((f.name, ("1" if v else "0") if f.kind == "bool" else str(v)))
    return urlencode(out)


def read_form(table: str, query: Any) -> dict[str, Any]:
    """``{"values", "topics", "as_of", "lang", "errors"}`` from a query string; only what is valid is kept."""
    pairs, errors = _pairs(query)
    known = {f.name: f for _, group in fields(table) for f in group}
    out: dict[str, Any] = {"values": {}, "topics": None, "as_of": None, "lang": None, "errors": errors}
    for key, value in pairs:
        if key == "lang":
            if value in LANGS:
                out["lang"] = value
            else:
                errors.append(f"lang={value[:20]}")
        elif key == "as_of":
            day = _date(value)
            if day is None:
                errors.append(f"as_of={value[:20]}")
            out["as_of"] = day or out["as_of"]
        elif key == "topics" and table == "enterprises":
            chosen = [t for t in value.split(",") if t]
            bad = [t for t in chosen if t not in TOPICS]
            if bad:
                errors.append(f"topics={','.join(bad)[:40]}")
            out["topics"] = [t for t in chosen if t in TOPICS]
        elif key in known:
            f = known[key]
            if f.kind == "bool":
                if value in ("1", "0"):
                    out["values"][key] = value == "1"
                else:
                    errors.append(f"{key}={value[:20]}")
            elif f.kind == "category":
                if value in f.choices:
                    out["values"][key] = value
                else:
                    errors.append(f"{key}={value[:20]}")
            elif len(value) <= MAX_TEXT:  # money, count, text: read and checked by the page like typing
                out["values"][key] = value
            else:
                errors.append(f"{key}=({len(value)} characters)")
        else:
            errors.append(key[:40])
    return out


BUDGET_SETTINGS = ("share", "line", "budget", "name", "by", "growth", "growth_sd", "platform_rate", "draws", "seed",
                   "claim")


def budget_query(*, as_of: dt.date, lang: str, parameters: Mapping[str, str], off: Iterable[str],
                 settings: Mapping[str, Any]) -> str:
    """The budget page's reform and settings: only the parameters typed differently from the law."""
    out: list[tuple[str, str]] = [("lang", lang), ("as_of", as_of.isoformat())]
    out += [(f"p.{k}", str(v)) for k, v in parameters.items()]
    off = sorted(off)
    if off:
        out.append(("off", ",".join(off)))
    out += [(k, str(settings[k])) for k in BUDGET_SETTINGS if settings.get(k) not in (None, "")]
    return urlencode(out)


def read_budget(query: Any, parameter_ids: Iterable[str], item_ids: Iterable[str],
                choices: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """``{"parameters", "off", "settings", "as_of", "lang", "errors"}``; ``choices`` holds the allowed values of
    the dropdown settings (line, by, claim)."""
    pairs, errors = _pairs(query)
    ids, items = set(parameter_ids), set(item_ids)
    out: dict[str, Any] = {"parameters": {}, "off": [], "settings": {}, "as_of": None, "lang": None, "errors": errors}
    for key, value in pairs:
        if key == "lang" and value in LANGS:
            out["lang"] = value
        elif key == "as_of" and _date(value):
            out["as_of"] = _date(value)
        elif key.startswith("p.") and key[2:] in ids and len(value) <= MAX_TEXT:
            out["parameters"][key[2:]] = value
        elif key == "off":
            chosen = [i for i in value.split(",") if i]
            out["off"] = [i for i in chosen if i in items]
            if len(out["off"]) != len(chosen):
                errors.append("off=" + ",".join(i for i in chosen if i not in items)[:40])
        elif key in ("line", "by", "claim"):
            if value in set(choices.get(key, ())):
                out["settings"][key] = value
            else:
                errors.append(f"{key}={value[:40]}")
        elif key == "draws" or key == "seed":
            if value.isdigit() and len(value) <= 10:
                out["settings"][key] = int(value)
            else:
                errors.append(f"{key}={value[:20]}")
        elif key in BUDGET_SETTINGS and len(value) <= MAX_TEXT:
            out["settings"][key] = value
        else:
            errors.append(f"{key[:40]}={value[:20]}")
    return out
