"""The input fields of the estimator and the checker, and what the widgets sent, validated.

Any client can set any widget to any value: every field is read again here (money with
:func:`calc.money.parse_money`, Decimal → fen, never float; counts, yes/no, choices, dates) and a bad value is
reported beside its field and treated as unknown.  Also the sample rows a page can load, and the blank form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from calc import explain
from calc.dashboards.common import DEFAULT_AS_OF, MAX_DATE, MAX_TEXT, SAMPLES, lang_of
from calc.dashboards.html import esc
from calc.dashboards.words import option_label, text, translate_message
from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS, MAX_COUNT, load_table
from calc.money import MoneyError, format_money, parse_money
from calc.policies import normalise_text
from calc.rules.base import FEN_PER_YUAN


COLUMNS = {("enterprises", c.name): c for c in ENTERPRISE_COLUMNS} | {("consortia", c.name): c for c in CONSORTIUM_COLUMNS}


ENTERPRISE_GROUPS: list[tuple[str, list[str]]] = [
    ("basic", ["name", "city"]),            # always asked
    ("rd", ["rd_expense", "rd_expense_prev"]),
    ("national", ["national_funding", "provincial_funding", "municipal_funding", "project_total_investment",
                  "major_projects"]),
    ("platforms", ["new_national_platforms", "national_pilot_platforms", "joint_lab_investment", "joint_labs",
                   "public_platforms_new", "public_platform_rating", "public_platform_upgrade_need"]),
    ("cooperation", ["tech_transaction_paid", "new_intl_coop_bases", "intl_coop_base_rating", "brics_projects",
                     "intergov_projects", "sme_innovation_projects", "scenario_projects",
                     "hightech_transformation_project"]),
    ("talent", ["postdocs_in_station", "double_hundred_hires"]),
    ("incubation", ["incubators"]),
    ("consortium", ["consortium_member", "consortium_lead", "talent_consortium_lead", "new_mechanism_recognised",
                    "executive_host", "consortium_evaluation", "consortium_is_provincial_mfg_center"]),
]
#: the guided estimator's first question: which of these apply (every group but the basic one)
TOPICS = tuple(g for g, _ in ENTERPRISE_GROUPS if g != "basic")

# columns no enterprise item reads: not shown as fields (batch files may still carry them)
ENTERPRISE_NOT_SHOWN = ("enterprise_id", "district", "industry", "size_band", "claim_year")


CONSORTIUM_GROUPS: list[tuple[str, list[str]]] = [
    ("members", ["enterprises", "universities", "research_institutes", "other_units", "local_units",
                 "scale_or_hightech_enterprises"]),
    ("lead", ["lead_type", "lead_region", "lead_years_operating", "lead_platform_level", "lead_rd_staff",
              "lead_other_consortia", "lead_high_tech", "lead_is_provincial_mfg_center",
              "lead_regional_medical_center"]),
    ("lead_money", ["lead_revenue", "lead_revenue_prev", "lead_revenue_prev2", "lead_rd", "lead_rd_prev",
                    "lead_rd_prev2"]),
    ("organisation", ["name", "jurisdiction", "field", "chief_scientist", "agreement_signed"]),
    ("talent_consortium", ["core_team_members", "national_level_talents", "city_b_talents"]),
]


# the page checks one consortium against every jurisdiction as a what-if: its local members count for whichever
# is checked (compute_consortium), so the per-jurisdiction local counts are not fields (batch files may carry them)
CONSORTIUM_NOT_SHOWN = ("consortium_id", "local_units_xiamen", "local_units_liaoyang", "local_units_qingdao",
                        "local_units_hainan")


@dataclass(frozen=True)
class Field:
    """One input field of a dashboard: the schema column, its widget kind and its choices."""

    table: str
    name: str
    kind: str               # money | count | bool | category | text
    choices: tuple = ()     # canonical values of a category (None = unknown comes first)

    @property
    def column(self):
        return COLUMNS[(self.table, self.name)]


def fields(table: str) -> list[tuple[str, list[Field]]]:
    """The input fields of ``table`` ("enterprises" or "consortia") in their groups."""
    groups = ENTERPRISE_GROUPS if table == "enterprises" else CONSORTIUM_GROUPS
    out = []
    for group, names in groups:
        row = []
        for name in names:
            col = COLUMNS[(table, name)]
            kind = "category" if col.allowed and col.kind in ("category", "text") else col.kind
            row.append(Field(table, name, kind, tuple(col.allowed) if kind == "category" else ()))
        out.append((group, row))
    return out


def field_label(f: Field | str, lang: str = "zh", table: str = "enterprises") -> str:
    col = f.column if isinstance(f, Field) else COLUMNS[(table, f)]
    if lang_of(lang) == "zh":
        return col.zh_aliases[0] if col.zh_aliases else col.name
    table = f.table if isinstance(f, Field) else table
    words = explain.COLUMN_WORDS.get(col.name) if table == "enterprises" else None
    if words:  # explain's words where it has them
        return words[1][:1].upper() + words[1][1:]
    return re.sub(r"\s*(\(.*\)|:.*)$", "", col.description_en) or col.name


#: a dropdown's "unknown" choice: "" rather than None, which ipywidgets takes for "nothing selected" (an empty box)
UNKNOWN = ""


def choices(f: Field, lang: str = "zh") -> list[tuple[str, Any]]:
    """(label, value) pairs for a dropdown; unknown (:data:`UNKNOWN`) first."""
    if f.kind == "bool":
        values: Iterable[Any] = (True, False)
    else:
        values = f.choices
    return [(option_label(None, lang), UNKNOWN)] + [(option_label(v, lang), v) for v in values]


@dataclass
class MoneyField:
    fen: int | None
    error: str | None = None

    def shown(self, lang: str = "zh") -> str:
        """What the page shows beside the field: the parsed amount, the error, or 'unknown'."""
        if self.error:
            return "⚠ " + self.error
        if self.fen is None:
            return text("unknown", lang)
        return "= " + format_money(self.fen, lang_of(lang))


def parse_money_field(value: Any, lang: str = "zh") -> MoneyField:
    """Read a money widget's text exactly (Decimal → fen); blank is unknown."""
    if value is None:
        return MoneyField(None)
    if not isinstance(value, str):
        return MoneyField(None, translate_message(f"cannot read '{value}' as an amount of money", lang))
    if not value.strip():
        return MoneyField(None)
    if len(value) > MAX_TEXT:
        return MoneyField(None, translate_message(f"cannot read '{value[:20]}…' as an amount of money", lang))
    try:
        return MoneyField(parse_money(value, "yuan"))
    except MoneyError as exc:
        return MoneyField(None, translate_message(str(exc), lang))


_COUNT_TEXT = re.compile(r"^\s*(?:\d{1,3}(?:,\d{3})+|\d+)\s*$")


def parse_count_field(value: Any, lang: str = "zh") -> tuple[int | None, str | None]:
    """A count typed into a text field: a whole number ≥ 0 (commas allowed), blank = unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, translate_message(f"'{value}' is not a whole number", lang)
    if isinstance(value, (int, np.integer)):
        n = int(value)
    elif isinstance(value, str) and len(value) <= 20 and _COUNT_TEXT.match(normalise_text(value)):
        n = int(normalise_text(value).replace(",", "").strip())
    else:
        shown = value[:20] if isinstance(value, str) else value
        return None, translate_message(f"'{shown}' is not a whole number", lang)
    if n < 0:
        return None, translate_message(f"'{n}' is negative; a count must be zero or more", lang)
    if n > MAX_COUNT:
        return None, translate_message(f"'{n}' is too large for a count (at most {MAX_COUNT:,})", lang)
    return n, None


def parse_date_field(value: Any, default: dt.date = DEFAULT_AS_OF) -> dt.date:
    """A DatePicker's value (a date, or an ISO string from a client); anything else gives ``default``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return default
    if isinstance(value, dt.date) and MAX_DATE[0] <= value <= MAX_DATE[1]:
        return value
    return default


def clean_values(table: str, values: Mapping[str, Any], lang: str = "zh") -> tuple[dict[str, Any], dict[str, str]]:
    """Validate what the widgets sent: (one input row for the core, errors by field name).

    A field with a bad value is reported and left blank (unknown) in the row; unknown keys are ignored.
    """
    row: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for _, group in fields(table):
        for f in group:
            v = values.get(f.name)
            if f.kind == "money":
                m = parse_money_field(v, lang)
                if m.error:
                    errors[f.name] = m.error
                # the core reads the amount again from the exact yuan value (integer fen / 100 as text)
                row[f.name] = None if m.fen is None else _fen_text(m.fen)
            elif f.kind == "count":
                n, err = parse_count_field(v, lang)
                if err:
                    errors[f.name] = err
                row[f.name] = n
            elif f.kind == "bool":
                if v is None or v == UNKNOWN or isinstance(v, bool):
                    row[f.name] = None if v == UNKNOWN else v
                else:
                    errors[f.name] = translate_message(f"cannot read '{str(v)[:20]}' as yes/no", lang)
                    row[f.name] = None
            elif f.kind == "category":
                if v is None or v == UNKNOWN or v in f.choices:
                    row[f.name] = None if v == UNKNOWN else v
                else:
                    errors[f.name] = translate_message(
                        f"'{str(v)[:20]}' is not one of the allowed values: {', '.join(f.choices)}", lang)
                    row[f.name] = None
            else:  # text
                if v is None or (isinstance(v, str) and len(v) <= MAX_TEXT):
                    row[f.name] = v.strip() if isinstance(v, str) and v.strip() else None
                else:
                    errors[f.name] = text("input_errors", lang)
                    row[f.name] = None
    return row, errors


def _fen_text(fen: int) -> str:
    yuan, cents = divmod(int(fen), FEN_PER_YUAN)
    return f"{yuan}.{cents:02d}" if cents else str(yuan)


def _one_row(table: str, row: Mapping[str, Any], ident: str) -> pd.DataFrame:
    id_col = "enterprise_id" if table == "enterprises" else "consortium_id"
    data = {id_col: [ident]}
    for k, v in row.items():
        data[k] = pd.array([v], dtype=object)
    return pd.DataFrame(data)


def errors_table(errors: pd.DataFrame, lang: str = "zh", table: str = "enterprises") -> pd.DataFrame:
    """The core's rejected-row errors with translated headers and messages."""
    out = pd.DataFrame({
        text("col_row", lang): errors["input_row"].to_numpy(),
        text("col_id", lang): errors["id"].to_numpy(dtype=object),
        text("col_column", lang): errors["column"].to_numpy(dtype=object),
        text("col_value", lang): errors["value"].to_numpy(dtype=object),
        text("col_message", lang): [translate_message(str(m), lang) for m in errors["message"]],
    })
    return out


def field_errors_html(errors: Mapping[str, str], lang: str = "zh", table: str = "enterprises") -> str:
    if not errors:
        return ""
    lis = "".join(f"<li><b>{esc(field_label(k, lang, table))}</b>：{esc(v)}</li>" for k, v in errors.items())
    return f'<div class="dash-error w-field-errors"><b>{esc(text("input_errors", lang))}</b><ul>{lis}</ul></div>'


@lru_cache(maxsize=2)
def _sample_table(table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = "enterprises.csv" if table == "enterprises" else "consortia.csv"
    raw = pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False)
    parsed = load_table(raw, table).frame
    return raw, parsed


def sample_ids(table: str) -> list[tuple[str, str]]:
    """(label, id) of every sample row: the id and the name."""
    raw, _ = _sample_table(table)
    id_col = "enterprise_id" if table == "enterprises" else "consortium_id"
    return [(f"{i} · {n}" if n else i, i) for i, n in zip(raw[id_col], raw["name"])]


def sample_values(table: str, ident: str) -> dict[str, Any]:
    """The widget values of one sample row: money and counts as the text written, yes/no and choices as values."""
    raw, parsed = _sample_table(table)
    id_col = "enterprise_id" if table == "enterprises" else "consortium_id"
    hit = np.flatnonzero(raw[id_col].to_numpy() == ident)
    if not len(hit):
        raise KeyError(f"no sample {ident!r}")
    r = raw.iloc[hit[0]]
    p = parsed.loc[parsed[id_col] == ident].iloc[0]
    out: dict[str, Any] = {}
    for _, group in fields(table):
        for f in group:
            if f.kind in ("money", "count"):
                out[f.name] = str(r.get(f.name, "")).strip()
            elif f.kind == "bool":
                v = p[f.name]
                out[f.name] = None if pd.isna(v) else bool(v)
            elif f.kind == "category":
                v = p[f.name]
                if pd.isna(v):
                    out[f.name] = None
                elif v in f.choices:
                    out[f.name] = str(v)
                else:  # free text of a text column with named values (a field such as 新材料): "other"
                    out[f.name] = "other" if "other" in f.choices else None
            else:
                v = r.get(f.name, "")
                out[f.name] = str(v) if v else None
    return out


def blank_values(table: str) -> dict[str, Any]:
    """Every field empty: text fields "", dropdowns :data:`UNKNOWN` (a widget holds neither None)."""
    return {f.name: "" for _, g in fields(table) for f in g}


def none_value(f: Field) -> Any:
    """What "does not apply" means for a field: 0, no, or the category's "none" (unknown if it has none)."""
    if f.kind in ("money", "count"):
        return "0"
    if f.kind == "bool":
        return False
    if f.kind == "category":
        return "none" if "none" in f.choices else None
    return None


def topics_of(values: Mapping[str, Any]) -> list[str]:
    """The topics a set of widget values says something about (a field neither blank, 0 nor no)."""
    out = []
    for group, group_fields in fields("enterprises"):
        if group not in TOPICS:
            continue
        for f in group_fields:
            v = values.get(f.name)
            if v is None or v is False or (isinstance(v, str) and v.strip() in ("", "0", "none")) or v == "none":
                continue
            out.append(group)
            break
    return out


def guided_values(values: Mapping[str, Any], topics: Iterable[str]) -> dict[str, Any]:
    """The values the core reads: a topic the user said does not apply is "none" in every field."""
    chosen = set(topics)
    out = dict(values)
    for group, group_fields in fields("enterprises"):
        if group in TOPICS and group not in chosen:
            for f in group_fields:
                out[f.name] = none_value(f)
    return out


def money_note(value: Any, lang: str = "zh") -> tuple[str, str | None]:
    """Beside a money field: (HTML of what was read, the fix to offer or None).

    A bare number too small for any real amount of its kind (``1850`` → 1,850元) is not silently yuan: the
    note asks "是否指1850万元？" and the page offers a one-click fix (the returned text, ``"1850万"``)."""
    from calc.dashboards.money import plausible_fix, short

    m = parse_money_field(value, lang)
    fix = None if m.error else plausible_fix(value, m.fen)
    cls = "money-shown bad" if m.error else ("money-shown ask" if fix else "money-shown")
    note = esc(m.shown(lang))
    if fix:
        meant = parse_money(fix, "yuan")
        note += " · " + esc(text("did_you_mean", lang, amount=f"{fix}元" if lang_of(lang) == "zh"
                                 else f"{fix} ({short(meant, lang, unit='fen')})"))
    return f'<span class="{cls}">{note}</span>', fix
