"""The printable estimate (测算单) of the estimator and the consortium checker: one self-contained HTML document
with its own print stylesheet (the browser's "Save as PDF"), offered as a download and opened for printing.

It holds what was entered, every result with its amount, article and quote, the totals, the as-of date, the
policies' assumptions (dates assumed where the text gives none, policies not in force) and a disclaimer
that the figures are an estimate.  Amounts: the readable form with the exact yuan beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

import numpy as np

from calc.dashboards.common import lang_of
from calc.dashboards.forms import fields, field_label, option_label, parse_money_field
from calc.dashboards.html import esc
from calc.dashboards.money import exact, short
from calc.dashboards.notes import assumptions, not_in_force
from calc.dashboards.words import jurisdiction_label, policy_short, text

PRINT_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;color:#111;margin:24px;
  font-size:13px;line-height:1.45}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top;
  text-align:left}th{background:#f0f0f0}td.num{white-space:nowrap}.quote{font-size:11px;color:#444}
.meta{color:#333}.totals td{font-weight:600}.disclaimer{margin-top:18px;padding:8px;border:1px solid #999;font-size:12px}
.muted{color:#666}
@page{size:A4;margin:14mm}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}.no-print{display:none}}
"""


def _document(title: str, body: str, lang: str) -> str:
    html_lang = "zh-CN" if lang_of(lang) == "zh" else "en"
    return (f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{PRINT_CSS}</style></head><body>{body}</body></html>")


def _money_cell(yuan: int, lang: str) -> str:
    return f'<td class="num" data-yuan="{int(yuan)}">{esc(short(int(yuan), lang))}<br><span class="muted">{esc(exact(int(yuan), lang))}</span></td>'


def _inputs_table(table: str, values: Mapping[str, Any], lang: str, groups: Iterable[str] | None = None) -> str:
    rows = []
    chosen = None if groups is None else set(groups)
    for group, group_fields in fields(table):
        if chosen is not None and group not in chosen:
            continue
        for f in group_fields:
            v = values.get(f.name)
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            if f.kind == "money":
                m = parse_money_field(v, lang)
                shown = f"{v}（= {exact(m.fen, lang, unit='fen')}）" if m.fen is not None else str(v)
            elif f.kind in ("bool", "category"):
                shown = option_label(v, lang)
            else:
                shown = str(v)
            rows.append(f"<tr><th>{esc(field_label(f, lang))}</th><td>{esc(shown)}</td></tr>")
    return f'<table class="inputs">{"".join(rows)}</table>' if rows else f'<p class="muted">{esc(text("unknown", lang))}</p>'


def _notes(as_of: dt.date, lang: str, policy_ids: Iterable[str]) -> str:
    ids = list(policy_ids)
    lines = [s for pid, s in assumptions(lang, as_of) if pid in ids]
    out = not_in_force(as_of, ids)
    if out:
        lines.append(text("not_in_force_note", lang, date=as_of.isoformat(), names="、".join(policy_short(p, lang) for p in out)))
    return "".join(f"<li>{esc(s)}</li>" for s in lines)


def _footer(lang: str) -> str:
    return f'<div class="disclaimer"><b>{esc(text("disclaimer_title", lang))}</b>：{esc(text("disclaimer", lang))}</div>'


ENTERPRISE_POLICIES = ("xiamen_sti_measures", "xiamen_consortium_2025")


def enterprise_sheet(view: Any, values: Mapping[str, Any], lang: str, topics: Iterable[str] | None = None) -> str:
    """The estimator's 测算单 for one enterprise (``view``: :class:`~calc.dashboards.enterprise.EnterpriseView`)."""
    lang = lang_of(lang)
    groups = None if topics is None else ["basic", *topics]
    status = view.items["status"].to_numpy(dtype=object)
    counted = view.items[np.isin(status, ("granted", "duplicate"))]
    rows = "".join(
        f'<tr data-item="{esc(r.item_id)}"><td>{esc(r.policy)}</td><td>{esc(r.item)}</td><td>{esc(r.status_label)}</td>'
        + (_money_cell(r.amount_yuan, lang) if r.status == "granted" else "<td>—</td>")
        + f'<td>{esc(r.reason)}<div class="quote">{esc(r.citation)}</div></td></tr>'
        for r in counted.itertuples(index=False))
    others = view.items[~np.isin(status, ("granted", "duplicate"))]
    other_rows = "".join(
        f"<tr><td>{esc(r.policy)}</td><td>{esc(r.item)}</td><td>{esc(r.status_label)}</td><td>{esc(r.reason)}</td></tr>"
        for r in others.itertuples(index=False))
    totals = "".join(f"<tr><th>{esc(text(label, lang))}</th>{_money_cell(view.totals[key], lang)}</tr>"
                     for label, key in (("total_firm", "formula_fixed_yuan"), ("total_ceiling", "ceiling_yuan"),
                                        ("total_all", "total_yuan")))
    hints = "".join(f"<li>{esc(h)}</li>" for h in view.hints)
    title = text("sheet_enterprise_title", lang)
    body = (f"<h1>{esc(title)}</h1>"
            f'<p class="meta">{esc(text("as_of", lang))}：<b class="as-of">{view.as_of.isoformat()}</b></p>'
            f"<h2>{esc(text('sheet_inputs', lang))}</h2>{_inputs_table('enterprises', values, lang, groups)}"
            f"<h2>{esc(text('sheet_totals', lang))}</h2><table class=\"totals\">{totals}</table>"
            f"<h2>{esc(text('granted_title', lang))}</h2>"
            f"<table><thead><tr><th>{esc(text('col_policy', lang))}</th><th>{esc(text('col_item', lang))}</th>"
            f"<th>{esc(text('col_status', lang))}</th><th>{esc(text('col_amount', lang))}</th>"
            f"<th>{esc(text('sheet_basis', lang))}</th></tr></thead><tbody>{rows}</tbody></table>"
            + (f"<h2>{esc(text('hints_title', lang))}</h2><ul>{hints}</ul>" if hints else "")
            + (f"<h2>{esc(text('sheet_others', lang))}</h2><table><tbody>{other_rows}</tbody></table>" if other_rows else "")
            + f"<h2>{esc(text('sheet_assumptions', lang))}</h2><ul class=\"assumptions\">{_notes(view.as_of, lang, ENTERPRISE_POLICIES)}</ul>"
            + _footer(lang))
    return _document(title, body, lang)


def consortium_sheet(view: Any, values: Mapping[str, Any], lang: str) -> str:
    """The checker's 测算单 (``view``: :class:`~calc.dashboards.consortium.ConsortiumView`)."""
    from calc.dashboards.consortium import gap_list
    from calc.inputs import JURISDICTIONS

    lang = lang_of(lang)
    overall = "".join(f'<tr data-j="{j}"><th>{esc(jurisdiction_label(j, lang))}</th><td>{esc(view.overall[j]["label"])}</td></tr>'
                      for j in JURISDICTIONS if j in view.overall)
    gaps = "".join(f"<li><b>{esc(jurisdiction_label(g['jurisdiction'], lang))}</b>：" + "；".join(esc(f["text"]) for f in g["fixes"])
                   + "</li>" for g in gap_list(view) if g["fixes"])
    crit_rows = []
    for key in view.matrix.index:
        for j in JURISDICTIONS:
            cell = view.matrix.at[key, j]
            if cell.state == "absent":
                continue
            crit_rows.append(f"<tr><td>{esc(jurisdiction_label(j, lang))}</td><td>{esc(cell.title)}</td><td>{esc(cell.label)}</td>"
                             f"<td>{esc(cell.value)}</td><td>{esc(cell.threshold)}</td><td>{esc(cell.margin)}</td>"
                             f'<td class="quote">{esc(cell.citation)}</td></tr>')
    supports = "".join(f"<li><b>{esc(jurisdiction_label(j, lang))}</b>：{esc(s['title'])} — {esc(s['amount'])}"
                       f'<div class="quote">{esc(s["citation"])}</div></li>'
                       for j in JURISDICTIONS for s in view.supports.get(j, [])
                       if view.overall.get(j, {}).get("status") not in ("ineligible", "not_in_force"))
    from calc.dashboards.notes import consortium_policies

    title = text("sheet_consortium_title", lang)
    heads = "".join(f"<th>{esc(text(k, lang))}</th>" for k in
                    ("sheet_jurisdiction", "col_criterion", "col_status", "value", "threshold", "margin", "citation"))
    body = (f"<h1>{esc(title)}</h1>"
            f'<p class="meta">{esc(text("as_of", lang))}：<b class="as-of">{view.as_of.isoformat()}</b></p>'
            f"<h2>{esc(text('sheet_inputs', lang))}</h2>{_inputs_table('consortia', values, lang)}"
            f"<h2>{esc(text('overall', lang))}</h2><table class=\"overall\">{overall}</table>"
            + (f"<h2>{esc(text('gaps_title', lang))}</h2><ol>{gaps}</ol>" if gaps else "")
            + f"<h2>{esc(text('matrix_title', lang))}</h2><table><thead><tr>{heads}</tr></thead><tbody>{''.join(crit_rows)}</tbody></table>"
            + (f"<h2>{esc(text('supports_title', lang))}</h2><ul>{supports}</ul>" if supports else "")
            + f"<h2>{esc(text('sheet_assumptions', lang))}</h2><ul class=\"assumptions\">{_notes(view.as_of, lang, consortium_policies())}</ul>"
            + _footer(lang))
    return _document(title, body, lang)


def sheet_name(kind: str, as_of: dt.date, lang: str) -> str:
    stem = {"enterprise": ("企业补贴测算单", "entitlement-estimate"), "consortium": ("联合体自测单", "consortium-check")}[kind]
    return f"{stem[0] if lang_of(lang) == 'zh' else stem[1]}-{as_of.isoformat()}.html"


def download_html_link(document: str, filename: str, label: str) -> str:
    import base64

    payload = base64.b64encode(document.encode("utf-8")).decode("ascii")
    return (f'<a class="w-sheet-download" download="{esc(filename)}" href="data:text/html;charset=utf-8;base64,{payload}">'
            f"⬇ {esc(label)}</a>")
