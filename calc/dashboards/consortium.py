"""The 创新联合体资格自测 (consortium checker) page: one consortium against the four jurisdictions.

``compute_consortium`` assesses it and builds the criteria × jurisdiction matrix, the overall status per
jurisdiction and the supports each would open; ``*_html`` draw them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

import calc
from calc import explain
from calc.dashboards.common import DEFAULT_AS_OF, lang_of, policy_set
from calc.dashboards.forms import _one_row, clean_values, errors_table, parse_date_field
from calc.dashboards.html import card_html, esc
from calc.dashboards.words import has_word, jurisdiction_label, option_label, text, word
from calc.explain import OVERALL_LABELS, RESULT_LABELS
from calc.eligibility import consortium_supports
from calc.inputs import JURISDICTIONS


@dataclass
class ConsortiumView:
    lang: str
    as_of: dt.date
    matrix: pd.DataFrame          # rows: criterion name; columns: jurisdictions; cells: Cell
    row_labels: dict[str, str]
    overall: dict[str, dict]      # jurisdiction -> {"status", "label", "in_force", "talent", "talent_label"}
    supports: dict[str, list[dict]]
    manual: pd.DataFrame
    field_errors: dict[str, str]
    row_errors: pd.DataFrame


@dataclass
class Cell:
    state: str                    # pass | soft_fail | fail | needs_input | not_applicable | not_in_force | absent
    result: str = ""              # the criterion's own result (also when the policy is not in force)
    label: str = ""
    title: str = ""
    value: str = ""
    threshold: str = ""
    margin: str = ""
    citation: str = ""
    soft: bool = False


CELL_COLOURS = {
    "pass": ("#e6f4ea", "#1e7b34"), "soft_fail": ("#fff4e0", "#a05a00"), "fail": ("#fde7e9", "#b3261e"),
    "needs_input": ("#e8f0fe", "#1a4fa0"), "not_in_force": ("#eeeeee", "#616161"),
    "not_applicable": ("#f7f7f7", "#757575"), "absent": ("#ffffff", "#9e9e9e"),
}


OVERALL_COLOURS = {
    "eligible": CELL_COLOURS["pass"], "eligible_with_exceptions": CELL_COLOURS["soft_fail"],
    "ineligible": CELL_COLOURS["fail"], "incomplete": CELL_COLOURS["needs_input"],
    "not_in_force": CELL_COLOURS["not_in_force"],
}


def cell_label(state: str, lang: str = "zh") -> str:
    if state == "absent":
        return text("absent", lang)
    if state == "not_in_force":
        return text("policy_not_in_force", lang)
    return explain.pick(RESULT_LABELS[state], lang_of(lang))


def compute_consortium(values: Mapping[str, Any], as_of: Any = DEFAULT_AS_OF, lang: str = "zh",
                       consortium_id: str = "C-DASHBOARD") -> ConsortiumView:
    """One consortium against the four jurisdictions, from the widgets' values."""
    lang = lang_of(lang)
    as_of = parse_date_field(as_of)
    row, field_errors = clean_values("consortia", values, lang)
    if row.get("jurisdiction") is None:
        row["jurisdiction"] = "xiamen"
    # what-if across the four: the local members are counted for whichever jurisdiction is checked
    for j in JURISDICTIONS:
        row[f"local_units_{j}"] = row.get("local_units")
    check = calc.assess_consortia(_one_row("consortia", row, consortium_id), as_of=as_of, jurisdictions="all",
                                  policies=policy_set())
    return consortium_view(check, lang, field_errors)


def consortium_view(check, lang: str = "zh", field_errors: Mapping[str, str] | None = None) -> ConsortiumView:
    lang = lang_of(lang)
    as_of = check.as_of
    in_force = {a.jurisdiction: a.policy.in_force(as_of) for a in check.assessments}
    crit = check.criteria(lang)
    if len(check.inputs.frame):
        ident = check.inputs.frame["consortium_id"].iloc[0]
        crit = crit[crit["consortium_id"] == ident]
    # rows in the order the jurisdictions are listed (Xiamen, the fullest, first)
    crit = crit.assign(_j=crit["jurisdiction"].map({j: i for i, j in enumerate(JURISDICTIONS)}))
    crit = crit.sort_values("_j", kind="stable").drop(columns="_j")
    strengths = {}
    order: list[str] = []
    labels: dict[str, str] = {}
    cells: dict[tuple[str, str], Cell] = {}
    for r in crit.itertuples(index=False):
        name = r.criterion_id.split(".", 1)[1]
        key = name if r.scope == "recognition" else f"{name}"
        if key not in labels:
            order.append(key)
            labels[key] = word("shared_rows", key, lang) if has_word("shared_rows", key) else r.title
        strengths[key] = r.strength
        state = r.result if in_force.get(r.jurisdiction, True) else "not_in_force"
        cells[(key, r.jurisdiction)] = Cell(
            state=state, result=r.result, label=cell_label(state, lang), title=r.title,
            value=option_label(r.value, lang) if has_word("options", r.value) else r.value,
            threshold=r.threshold, margin=r.margin, citation=r.citation, soft=r.strength == "soft")
    # recognition criteria first (in the order the jurisdictions list them), talent-consortium ones last
    talent = set(crit.loc[crit["scope"] != "recognition", "criterion_id"].str.split(".", n=1).str[1])
    order = [k for k in order if k not in talent] + [k for k in order if k in talent]
    matrix = pd.DataFrame(
        [[cells.get((k, j), Cell("absent", label=cell_label("absent", lang))) for j in JURISDICTIONS] for k in order],
        index=order, columns=list(JURISDICTIONS), dtype=object)

    summary = check.summary(lang)
    overall = {}
    for r in summary.itertuples(index=False):
        talent_status = r.talent_consortium or ""
        overall[r.jurisdiction] = {
            "status": r.status, "label": explain.pick(OVERALL_LABELS[r.status], lang),
            "in_force": in_force.get(r.jurisdiction, True),
            "talent": talent_status,
            "talent_label": explain.pick(OVERALL_LABELS[talent_status], lang) if talent_status else "",
        }
    return ConsortiumView(lang, as_of, matrix, labels, overall, supports(as_of, lang), check.manual_checks(lang),
                          dict(field_errors or {}), errors_table(check.errors, lang, "consortia"))


def supports(as_of: dt.date, lang: str = "zh") -> dict[str, list[dict]]:
    """Per jurisdiction: the supports its consortium policy opens, amounts where the policy gives them, and the
    ones it states without an amount — the core's list and words (:func:`calc.eligibility.consortium_supports`,
    from the policies' data files)."""
    return consortium_supports(as_of, lang_of(lang), policies=policy_set())


def _cell_html(cell: Cell, j: str, key: str, lang: str) -> str:
    bg, fg = CELL_COLOURS[cell.state]
    if cell.state == "absent":
        return (f'<td class="mx-cell mx-absent" data-j="{j}" data-c="{esc(key)}" data-state="absent" '
                f'style="background:{bg};color:{fg}">—</td>')
    detail = [(text("value", lang), cell.value), (text("threshold", lang), cell.threshold),
              (text("margin", lang), cell.margin), (text("citation", lang), cell.citation)]
    if cell.state == "not_in_force":
        detail.insert(0, (text("col_status", lang), explain.pick(RESULT_LABELS[cell.result], lang)))
    if cell.soft:
        detail.append(("", text("strength_soft", lang)))
    tip = "\n".join(f"{k}：{v}" if k else v for k, v in detail if v)
    body = "".join(f"<div><b>{esc(k)}</b>{'：' if k else ''}{esc(v)}</div>" for k, v in detail if v)
    short = cell.label + (f" · {cell.value}" if cell.value and cell.state != "not_in_force" else "")
    return (f'<td class="mx-cell mx-{cell.state}" data-j="{j}" data-c="{esc(key)}" data-state="{cell.state}" '
            f'aria-label="{esc(tip)}" style="background:{bg};color:{fg}"><details><summary>{esc(short)}</summary>'
            f'<div class="mx-detail"><div class="mx-crit">{esc(cell.title)}</div>{body}</div></details></td>')


def matrix_html(view: ConsortiumView) -> str:
    lang = view.lang
    head = f"<th>{esc(text('col_criterion', lang))}</th>" + "".join(
        f'<th data-j="{j}">{esc(jurisdiction_label(j, lang))}</th>' for j in JURISDICTIONS)
    rows = []
    for key in view.matrix.index:
        cells = "".join(_cell_html(view.matrix.at[key, j], j, key, lang) for j in JURISDICTIONS)
        rows.append(f'<tr data-c="{esc(key)}"><th class="mx-row">{esc(view.row_labels[key])}</th>{cells}</tr>')
    overall = []
    for j in JURISDICTIONS:
        o = view.overall.get(j)
        if not o:
            overall.append("<td></td>")
            continue
        bg, fg = OVERALL_COLOURS[o["status"]]
        talent = (f'<div class="mx-talent">{esc(text("talent_status", lang))}：{esc(o["talent_label"])}</div>'
                  if o["talent"] else "")
        overall.append(f'<td class="mx-overall ov-{o["status"]}" data-j="{j}" data-status="{o["status"]}" '
                       f'style="background:{bg};color:{fg}"><b>{esc(o["label"])}</b>{talent}</td>')
    foot = f'<tr class="mx-overall-row"><th>{esc(text("overall", lang))}</th>{"".join(overall)}</tr>'
    legend = " ".join(
        f'<span class="mx-legend" style="background:{CELL_COLOURS[s][0]};color:{CELL_COLOURS[s][1]}">'
        f"{esc(cell_label(s, lang))}</span>"
        for s in ("pass", "soft_fail", "fail", "needs_input", "not_in_force", "not_applicable", "absent"))
    return (f'<div class="w-matrix"><table class="dash-table mx"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}{foot}</tbody></table>'
            f'<div class="mx-legend-row">{esc(text("legend", lang))}：{legend}</div></div>')


def overall_html(view: ConsortiumView) -> str:
    lang = view.lang
    cards = []
    for j in JURISDICTIONS:
        o = view.overall.get(j)
        if not o:
            continue
        bg, fg = OVERALL_COLOURS[o["status"]]
        cards.append(card_html("ov-card", jurisdiction_label(j, lang), o["label"],
                               attrs=f' data-j="{j}" data-status="{o["status"]}" style="background:{bg};color:{fg}"'))
    return f'<div class="dash-cards w-overall">{"".join(cards)}</div>'


def supports_html(view: ConsortiumView) -> str:
    lang = view.lang
    parts = []
    for j in JURISDICTIONS:
        o = view.overall.get(j, {})
        dim = o.get("status") in ("ineligible", "not_in_force")
        items = "".join(
            f'<li data-id="{esc(s.get("id", ""))}"><b>{esc(s["title"])}</b> — {esc(s["amount"])} '
            f'<span class="sup-kind">({esc(s["kind"])})</span>'
            + (f'<div class="sup-relation">{esc(s["relation"])}</div>' if s.get("relation") else "")
            + f'<div class="cite">{esc(s["citation"])}</div></li>' for s in view.supports.get(j, []))
        parts.append(f'<div class="sup-block{" sup-dim" if dim else ""}" data-j="{j}"><h4>{esc(jurisdiction_label(j, lang))}'
                     f' <small>{esc(o.get("label", ""))}</small></h4><ul>{items}</ul></div>')
    return f'<div class="w-supports">{"".join(parts)}</div>'


def manual_html(view: ConsortiumView) -> str:
    lang = view.lang
    parts = []
    for j in JURISDICTIONS:
        rows = view.manual[view.manual["jurisdiction"] == j]
        if not len(rows):
            continue
        lis = "".join(f'<li>{esc(r.title)} <span class="cite">{esc(r.citation)}</span></li>'
                      for r in rows.itertuples(index=False))
        parts.append(f"<div><b>{esc(jurisdiction_label(j, lang))}</b><ul>{lis}</ul></div>")
    return f'<div class="w-manual">{"".join(parts)}</div>'


# ============================================================================ gap list

_COUNT = re.compile(r"(?:还差|超出|short by |over by )?\s*([\d,]+)")


def _count_gap(cell: Cell) -> int | None:
    """How many units a count criterion is short (or over) by: from the core's margin ("还差2", "超出1")."""
    m = _COUNT.search(str(cell.margin or ""))
    return int(m.group(1).replace(",", "")) if m else None


def gap_list(view: ConsortiumView) -> list[dict[str, Any]]:
    """Per jurisdiction in force and not yet eligible, ranked (fewest changes first, hard conditions before
    soft ones): what fails and the smallest change that would fix it, in words.

    Each entry: jurisdiction, status, label, and ``fixes`` — criterion key, soft or not, the sentence.  The
    amounts and counts are the core's margins (integer arithmetic there); only the wording is made here."""
    lang = view.lang
    out = []
    for j in JURISDICTIONS:
        o = view.overall.get(j)
        if not o or not o.get("in_force", True) or o["status"] == "eligible":
            continue
        fixes = []
        missing = 0
        for key in view.matrix.index:
            if key.startswith("talent_"):
                continue  # the talent consortium has its own status; the gap list is about recognition
            cell = view.matrix.at[key, j]
            if cell.state == "needs_input":
                missing += 1
            if cell.state not in ("fail", "soft_fail"):
                continue
            n = _count_gap(cell)
            threshold = re.sub(r"^[<>]=?\s*", "", str(cell.threshold or ""))
            sentence = word("fixes", key, lang, default="") or text("fix_default", lang, title=cell.title,
                                                                       margin=cell.margin or threshold)
            sentence = sentence.format(n=n if n is not None else "", margin=cell.margin, threshold=threshold,
                                       title=cell.title, value=cell.value)
            if cell.state == "soft_fail":
                sentence += text("fix_soft", lang)
            fixes.append({"key": key, "soft": cell.state == "soft_fail", "text": sentence, "n": n})
        fixes = _merge_member_counts(fixes, lang)
        fixes.sort(key=lambda f: f["soft"])  # hard conditions first
        out.append({"jurisdiction": j, "status": o["status"], "label": o["label"], "fixes": fixes,
                    "missing": missing})
    out.sort(key=lambda g: (len([f for f in g["fixes"] if not f["soft"]]), len(g["fixes"]), g["missing"]))
    return out


def gaps_html(view: ConsortiumView) -> str:
    lang = view.lang
    gaps = gap_list(view)
    eligible = [j for j in JURISDICTIONS if view.overall.get(j, {}).get("status") == "eligible"]
    parts = []
    if eligible:
        parts.append(f'<div class="gap-ok">{esc(text("gap_eligible", lang, names="、".join(jurisdiction_label(j, lang) for j in eligible)))}</div>')
    for rank, g in enumerate(gaps, start=1):
        items = "".join(f'<li class="gap-fix{" gap-soft" if f["soft"] else ""}" data-c="{esc(f["key"])}">{esc(f["text"])}</li>'
                        for f in g["fixes"])
        if g["missing"]:
            items += f'<li class="gap-missing">{esc(text("gap_missing", lang, n=g["missing"]))}</li>'
        parts.append(f'<div class="gap-block" data-j="{g["jurisdiction"]}" data-rank="{rank}" data-status="{g["status"]}">'
                     f'<h4>{rank}. {esc(jurisdiction_label(g["jurisdiction"], lang))} <small>{esc(g["label"])}</small></h4>'
                     f"<ol>{items}</ol></div>")
    if not parts:
        return ""
    return f'<div class="w-gaps"><h3>{esc(text("gaps_title", lang))}</h3>{"".join(parts)}</div>'


#: member-count criteria whose members also count toward the members in total
PART_COUNTS = ("member_enterprises", "academic_members", "member_other_units", "upstream_downstream_enterprises")


def _merge_member_counts(fixes: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The smallest change, not the sum of the changes: members added for a part (enterprises, universities and
    institutes, …) also count toward the members in total, so "1 more member" and "1 more enterprise" is one
    enterprise, and "3 more members" with "1 more enterprise" is that enterprise and 2 members of any kind."""
    total = next((f for f in fixes if f["key"] == "members_total" and f.get("n")), None)
    parts = [f for f in fixes if f["key"] in PART_COUNTS and f.get("n")]
    if total is None or not parts:
        return fixes
    rest = total["n"] - sum(f["n"] for f in parts)
    out = []
    for f in fixes:
        if f is total:
            if rest > 0:
                out.append(dict(f, n=rest, text=word("fixes", "members_total_more", lang).format(n=rest)
                                + (text("fix_soft", lang) if f["soft"] else "")))
            continue
        if f in parts and rest <= 0:
            f = dict(f, text=f["text"] + text("fix_also_total", lang))
        out.append(f)
    return out
