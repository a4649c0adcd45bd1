"""HTML pieces every page draws: escaped text, cards, tables, download links, the pages' CSS."""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd


def esc(value: Any) -> str:
    """A value as HTML text; a missing one (None, NaN, NA) as nothing."""
    missing = value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value))
    return html.escape("" if missing else str(value))


CHART_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def card_html(cls: str, label: str, value: str, *, yuan: int | None = None, note: str = "", attrs: str = "",
              title: str = "") -> str:
    """One headline card: label, value (``data-yuan`` carries an amount exactly, ``title`` the exact amount in
    words on hover), an optional note."""
    data = (f' data-yuan="{int(yuan)}"' if yuan is not None else "") + (f' title="{esc(title)}"' if title else "")
    return (f'<div class="dash-card {cls}"{attrs}><div class="dash-card-label">{esc(label)}</div>'
            f'<div class="dash-card-value"{data}>{esc(value)}</div>'
            + (f'<div class="dash-card-note">{esc(note)}</div>' if note else "") + "</div>")


def table_html(frame: pd.DataFrame, css: str = "") -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f'<table class="dash-table {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def download_link(data: bytes, filename: str, label: str) -> str:
    """An ``<a download>`` link carrying the file itself (no file is written on the server)."""
    mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if filename.endswith(".xlsx")
            else "application/octet-stream")
    payload = base64.b64encode(data).decode("ascii")
    return (f'<a class="w-download" download="{esc(filename)}" href="data:{mime};base64,{payload}">'
            f"⬇ {esc(label)}</a>")


CSS = """
<style>
.dash-cards{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}
.dash-card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:180px;background:#fafafa}
.dash-card-label{font-size:13px;color:#555}.dash-card-value{font-size:24px;font-weight:600}
.dash-card-note{font-size:11px;color:#777}
.dash-table{border-collapse:collapse;font-size:13px;width:100%}
.dash-table th,.dash-table td{border:1px solid #e0e0e0;padding:4px 6px;vertical-align:top;text-align:left}
.dash-table thead th{background:#f3f3f3}
.w-items tr.st-granted td.status{color:#1e7b34;font-weight:600}
.w-items tr.st-duplicate td.status{color:#a05a00;font-weight:600}
.w-items tr.st-needs_input td.status{color:#1a4fa0}
.w-items tr.st-not_eligible td,.w-items tr.st-not_in_force td{color:#777}
.cite{font-size:11px;color:#666}
.dash-error{color:#b3261e;background:#fde7e9;border:1px solid #f5c2c7;border-radius:6px;padding:6px 10px;margin:6px 0}
.dash-warn{color:#a05a00;background:#fff4e0;border-radius:6px;padding:6px 10px;margin:6px 0}
.mx-cell{position:relative}.mx-cell details summary{cursor:pointer}
.mx-cell .mx-detail{display:none;position:absolute;z-index:30;left:0;top:100%;width:280px;max-width:80vw;font-size:12px;
  background:#fff;color:#222;border:1px solid #c8c8c8;border-radius:6px;box-shadow:0 4px 14px rgba(0,0,0,.18);
  padding:8px 10px;text-align:left;white-space:normal}
.mx-cell:hover .mx-detail,.mx-cell details[open] .mx-detail,.mx-cell:focus-within .mx-detail{display:block}
.w-gaps .gap-block{border-left:3px solid #a05a00;padding-left:10px;margin:6px 0}.w-gaps h4{margin:6px 0 2px}
.w-gaps .gap-soft{color:#a05a00}.w-gaps .gap-missing{color:#1a4fa0}.w-gaps .gap-ok{color:#1e7b34;font-weight:600}
.mx-crit{font-weight:600}.mx-legend{padding:2px 6px;border-radius:4px;margin-right:4px;font-size:12px}
.mx-row{max-width:220px}.sup-dim{opacity:.55}.sup-block h4{margin:8px 0 2px}
.w-groups .lm-TabBar-tab{flex:0 0 auto!important;max-width:none!important;min-width:0!important}
.money-shown{font-size:12px;color:#1e7b34;padding-left:6px}.money-shown.bad{color:#b3261e}
.money-shown.ask{color:#a05a00;font-weight:600}
.w-fix button,.w-fix{font-size:12px}
.dash-note{color:#37474f;background:#eef3f7;border-radius:6px;padding:6px 10px;margin:6px 0;font-size:13px}
.dash-scroll{overflow-x:auto;max-width:100%}
.w-sec h4{margin:12px 0 4px}.w-sec-rest summary{cursor:pointer;margin:12px 0 4px;font-weight:600}
.w-sec-granted h4{color:#1e7b34}.w-sec-nearly h4{color:#a05a00}.w-sec-missing h4{color:#1a4fa0}
.w-items tr.st-not_applicable td{color:#9e9e9e}
.w-row{flex-wrap:wrap!important;row-gap:2px}
.w-main{flex-wrap:wrap!important;gap:16px}
.w-main>.w-col{flex:1 1 420px!important;min-width:0!important;max-width:100%}
.w-topics .widget-checkbox{width:auto!important}.w-topics{flex-wrap:wrap!important}
.w-section{border-left:3px solid #1f77b4;padding-left:10px;margin:6px 0}
.w-section h4{margin:6px 0}
@media (max-width:600px){
  .dash-card{min-width:0;flex:1 1 140px}.dash-card-value{font-size:20px}
  .w-row .widget-html:first-child{width:100%!important}
  .widget-text input,.widget-dropdown select{max-width:100%}
  .jp-OutputArea-output,.widget-vbox,.widget-hbox{max-width:100vw}
}
@media print{
  .w-no-print,.w-lang,.w-sample,.w-upload,.w-report,.w-batch{display:none!important}
}
</style>
"""
