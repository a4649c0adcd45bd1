"""Everything the Voila dashboards compute, so that the notebooks hold only widgets, layout and charts.

- **Words.** ``text(key, lang)`` for every label of the pages; ``field_label``/``option_label`` for input
  fields and their choices; statuses, results, kinds and reasons come from :mod:`calc.explain` and the core.
- **Enterprise estimator.** ``clean_values`` validates what the widgets sent (any client can send anything),
  ``compute_enterprise`` runs the core on that one row and returns an :class:`EnterpriseView`: totals,
  the composition for the chart, every item with status, amount, kind, reason, the item that won a
  就高不重复 group and the quoted article, and the core's next-step hints.  ``*_html`` render the parts.
- **Batch.** ``load_upload`` turns uploaded bytes into a parsed table with readable, bounded errors
  (size, rows, type, broken files, missing columns); ``compute_batch`` and ``batch_report_xlsx``.
- **Consortium checker.** ``compute_consortium`` assesses one consortium against all four jurisdictions and
  builds the criteria × jurisdiction matrix, the overall status per jurisdiction and the supports each
  jurisdiction would open.

Money typed into a widget is parsed with :func:`calc.money.parse_money` (Decimal → fen), never float.
"""

from __future__ import annotations

import sys

# Lighter kernel start-up: plotly imports nbformat → jsonschema, which imports the optional rfc3987_syntax and
# builds its IRI grammar at import (1.7 s of every dashboard kernel's start on this machine).  Nothing here
# validates IRIs, so that optional checker is left out of the dashboards' processes.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import datetime as dt
import html
import io
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

import calc
from calc import explain
from calc.explain import KIND_LABELS, OVERALL_LABELS, RESULT_LABELS, STATUS_LABELS
from calc.files import InputError, LimitError, write_xlsx
from calc.limits import DASHBOARD, MAX_DATE as LAST_DATE, MIN_DATE, Limits, size_text
from calc.hints import next_steps
from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS, JURISDICTIONS, MAX_COUNT, load_table
from calc.money import MoneyError, exact_sum, format_money, parse_money
from calc.policies import default_policies, normalise_text
from calc.rules.base import FEN_PER_YUAN, GRANTED

SAMPLES = calc.SAMPLES
LANGS = ("zh", "en")
DEFAULT_AS_OF = dt.date(2026, 6, 30)
DEFAULT_ENTERPRISE = "E0003"        # a member and lead with seven granted items: a full first view
DEFAULT_CONSORTIUM = "C-XM-ELIGIBLE"

MAX_UPLOAD_BYTES = DASHBOARD.max_file_bytes  # checked in the browser (upload widget) and again here
MAX_BATCH_ROWS = DASHBOARD.max_rows         # every bound of an upload: calc.limits.DASHBOARD
MAX_TEXT = 200                              # longest text accepted from a widget
MAX_DATE = (MIN_DATE, LAST_DATE)
SHOWN_BATCH_ROWS = 200                      # rows of the batch table drawn in the page

# ============================================================================ words

TEXT: dict[str, tuple[str, str]] = {
    "enterprise_title": ("企业补贴测算", "Enterprise entitlement estimator"),
    "enterprise_intro": ("按企业台账填写（留空表示未知，0 表示没有），结果随输入即时更新。金额可写 1,234.56万、0.58亿、¥300,000。",
                         "Fill in the enterprise's records (blank = unknown, 0 = none); results update on every change. "
                         "Amounts may be written 1,234.56万, 0.58亿, ¥300,000."),
    "consortium_title": ("创新联合体资格自测", "Innovation consortium eligibility checker"),
    "consortium_intro": ("填写成员构成和牵头单位数据，同时对照厦门、辽阳、青岛、海南四地的认定条件。",
                         "Enter the membership and the lead unit's figures; the consortium is checked against the "
                         "conditions of Xiamen, Liaoyang, Qingdao and Hainan at once."),
    "lang": ("语言", "Language"),
    "as_of": ("测算日期", "As of"),
    "sample": ("示例数据", "Sample"),
    "sample_blank": ("（空白表单）", "(blank form)"),
    "group_basic": ("基本情况与联合体身份", "Enterprise and consortium role"),
    "group_rd": ("研发投入", "R&D"),
    "group_national": ("国家及市级科技项目", "National and municipal projects"),
    "group_platforms": ("创新平台", "Platforms"),
    "group_cooperation": ("合作与成果转化", "Cooperation and transfer"),
    "group_talent": ("人才与博士后", "Talent and postdocs"),
    "group_incubation": ("孵化载体", "Incubation"),
    "group_members": ("成员构成", "Membership"),
    "group_lead": ("牵头单位", "Lead unit"),
    "group_lead_money": ("牵头单位营收与研发（近三年）", "Lead unit revenue and R&D (three years)"),
    "group_organisation": ("组织与领域", "Organisation and field"),
    "group_talent_consortium": ("人才攻关联合体（厦门第十一条）", "Talent consortium (Xiamen art. 11)"),
    "total_firm": ("公式及定额合计", "Formula and fixed total"),
    "total_ceiling": ("最高限额合计", "Ceiling total (up to)"),
    "total_all": ("合计", "Total"),
    "total_firm_note": ("按公式或定额确定的金额", "amounts set by a formula or a fixed sum"),
    "total_ceiling_note": ("择优/酌定的最高额度", "maxima awarded on merit"),
    "chart_title": ("补贴构成（按政策和项目，计入部分）", "Composition by policy and item (counted)"),
    "chart_axis": ("金额（元）", "Amount (yuan)"),
    "chart_empty": ("暂无可享受的资金支持", "No monetary support counted yet"),
    "firm": ("公式/定额", "formula / fixed"),
    "ceiling": ("最高限额", "ceiling"),
    "items_title": ("逐项结果", "Every item"),
    "col_policy": ("政策", "Policy"),
    "col_item": ("支持项目", "Item"),
    "col_status": ("状态", "Status"),
    "col_amount": ("金额", "Amount"),
    "col_kind": ("类型", "Kind"),
    "col_reason": ("原因", "Reason"),
    "col_won_by": ("就高不重复：计入项", "就高不重复: counted instead"),
    "col_citation": ("条文（原文）", "Article (original text)"),
    "hints_title": ("下一步", "Next steps"),
    "no_hints": ("暂无可提示的下一步", "No next step to suggest"),
    "input_errors": ("输入有误（该项按未知处理）", "Input errors (the field is treated as unknown)"),
    "unknown": ("未知", "unknown"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "money_placeholder": ("如 1,234.56万", "e.g. 1,234.56万"),
    "count_placeholder": ("留空＝未知", "blank = unknown"),
    "batch_title": ("批量测算（上传 CSV/XLSX）", "Batch (upload a CSV/XLSX)"),
    "batch_help": ("每行一家企业，表头可用中文或英文（见 README 的输入列表）。文件上限 {size}、{rows} 行。",
                   "One enterprise per row, Chinese or English headers (see the README's input columns). "
                   "Up to {size} and {rows} rows."),
    "upload": ("选择文件", "Choose file"),
    "download": ("下载 XLSX 报告", "Download the XLSX report"),
    "prepare_report": ("生成 XLSX 报告", "Prepare the XLSX report"),
    "batch_summary": ("{name}：{ok} 行已测算，{bad} 行有误", "{name}: {ok} rows computed, {bad} rows rejected"),
    "batch_results": ("测算结果", "Results"),
    "batch_shown": ("（显示前 {n} 行，完整结果见报告）", "(first {n} rows shown; the report has all)"),
    "batch_errors": ("有误的行（未测算）", "Rejected rows (not computed)"),
    "batch_unknown_columns": ("未识别的列（已忽略）：{cols}", "Unknown columns (ignored): {cols}"),
    "batch_none": ("尚未上传文件", "No file uploaded yet"),
    "batch_chart_title": ("批量合计（按项目，计入部分）", "Batch total by item (counted)"),
    "col_enterprise_id": ("企业编号", "Enterprise"),
    "col_name": ("企业名称", "Name"),
    "col_granted": ("可享受项数", "Items granted"),
    "col_row": ("行号", "Row"),
    "col_id": ("编号", "Id"),
    "col_column": ("列", "Column"),
    "col_value": ("填写值", "Value"),
    "col_message": ("问题", "Problem"),
    "matrix_title": ("认定条件 × 地区", "Criteria × jurisdiction"),
    "matrix_help": ("点击单元格查看数值、门槛、差距与条文；鼠标悬停亦可查看。", "Click a cell for the value, threshold, margin "
                    "and article; hovering shows them too."),
    "col_criterion": ("条件", "Criterion"),
    "overall": ("总体结论", "Overall"),
    "talent_status": ("人才攻关联合体", "Talent consortium"),
    "absent": ("该地无此条件", "not a condition here"),
    "value": ("填报值", "Value"),
    "threshold": ("门槛", "Threshold"),
    "margin": ("差距", "Margin"),
    "citation": ("条文", "Article"),
    "strength_soft": ("原则上（软性）条件", "in-principle (soft) condition"),
    "supports_title": ("可获支持", "Supports it would open"),
    "supports_no_amount": ("政策未规定金额", "the policy states no amount"),
    "supports_if": ("（认定后）", "(once recognised)"),
    "manual_title": ("需人工核实（无法由数据判断）", "To check by hand (no input can show it)"),
    "jurisdiction_xiamen": ("厦门", "Xiamen"),
    "jurisdiction_liaoyang": ("辽阳", "Liaoyang"),
    "jurisdiction_qingdao": ("青岛", "Qingdao"),
    "jurisdiction_hainan": ("海南", "Hainan"),
    "local_note": ("“本地成员单位数”按所对照地区计（假设在该地申报）。",
                   "“Local members” are counted for each jurisdiction checked (as if applying there)."),
    "legend": ("图例", "Legend"),
    "policy_not_in_force": ("政策不在有效期", "policy not in force"),
    "landing_title": ("科技政策补贴测算 · 仪表盘", "S&T subsidy calculator · dashboards"),
}

OPTION_WORDS: dict[str, tuple[str, str]] = {
    "xiamen": ("厦门", "Xiamen"), "liaoyang": ("辽阳", "Liaoyang"), "qingdao": ("青岛", "Qingdao"),
    "hainan": ("海南", "Hainan"), "other": ("其他", "other"),
    "excellent": ("优秀", "excellent"), "good": ("良好", "good"), "pass": ("合格", "pass"),
    "fail": ("不合格", "fail"), "none": ("无", "none"),
    "enterprise": ("企业", "enterprise"), "hospital_3a": ("三甲医院", "class-3A hospital"),
    "hospital_other": ("其他医院", "other hospital"), "new_rd_institution": ("新型研发机构", "new R&D institution"),
    "university": ("高校", "university"), "research_institute": ("科研院所", "research institute"),
    "provincial_mfg_innovation_center": ("省级制造业创新中心", "provincial manufacturing innovation centre"),
    "municipal": ("市级", "municipal"), "provincial": ("省级（含省部级）", "provincial"), "national": ("国家级", "national"),
    "life_health": ("生命健康", "life & health"), "seed_industry": ("现代种业", "seed industry"),
    "digital_economy": ("数字经济", "digital economy"),
}  # fmt: skip


def text(key: str, lang: str = "zh", **fields: Any) -> str:
    """A label of the pages in ``lang`` (zh or en), with ``{fields}`` filled in."""
    words = explain.pick(TEXT[key], _lang(lang))
    return words.format(**fields) if fields else words


def _lang(lang: Any) -> str:
    return lang if lang in LANGS else "zh"


def option_label(value: Any, lang: str = "zh") -> str:
    if value is None:
        return text("unknown", lang)
    if value is True:
        return text("yes", lang)
    if value is False:
        return text("no", lang)
    return explain.pick(OPTION_WORDS.get(str(value), (str(value), str(value))), _lang(lang))


def jurisdiction_label(j: str, lang: str = "zh") -> str:
    return text(f"jurisdiction_{j}", lang)


# ============================================================================ fields

COLUMNS = {("enterprises", c.name): c for c in ENTERPRISE_COLUMNS} | {("consortia", c.name): c for c in CONSORTIUM_COLUMNS}

ENTERPRISE_GROUPS: list[tuple[str, list[str]]] = [
    ("rd", ["rd_expense", "rd_expense_prev"]),
    ("national", ["national_funding", "provincial_funding", "municipal_funding", "project_total_investment",
                  "major_projects"]),
    ("platforms", ["new_national_platforms", "national_pilot_platforms", "joint_lab_investment",
                   "public_platforms_new", "public_platform_rating", "public_platform_upgrade_need"]),
    ("cooperation", ["tech_transaction_paid", "new_intl_coop_bases", "intl_coop_base_rating", "brics_projects",
                     "intergov_projects", "sme_innovation_projects", "scenario_projects",
                     "hightech_transformation_project"]),
    ("talent", ["postdocs_in_station", "double_hundred_hires"]),
    ("incubation", ["incubators"]),
    ("basic", ["name", "city", "consortium_member", "consortium_lead", "talent_consortium_lead",
               "new_mechanism_recognised", "consortium_evaluation"]),
]
# columns no enterprise item reads: not shown as fields (batch files may still carry them)
ENTERPRISE_NOT_SHOWN = ("enterprise_id", "district", "industry", "size_band", "claim_year")

CONSORTIUM_GROUPS: list[tuple[str, list[str]]] = [
    ("members", ["enterprises", "universities", "research_institutes", "other_units", "local_units",
                 "scale_or_hightech_enterprises"]),
    ("lead", ["lead_type", "lead_region", "lead_years_operating", "lead_platform_level", "lead_rd_staff",
              "lead_other_consortia", "lead_high_tech", "lead_is_provincial_mfg_center"]),
    ("lead_money", ["lead_revenue", "lead_revenue_prev", "lead_revenue_prev2", "lead_rd", "lead_rd_prev",
                    "lead_rd_prev2"]),
    ("organisation", ["name", "jurisdiction", "field", "chief_scientist", "agreement_signed"]),
    ("talent_consortium", ["core_team_members", "national_level_talents", "city_b_talents"]),
]
CONSORTIUM_NOT_SHOWN = ("consortium_id",)


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
    if _lang(lang) == "zh":
        return col.zh_aliases[0] if col.zh_aliases else col.name
    table = f.table if isinstance(f, Field) else table
    words = explain.COLUMN_WORDS.get(col.name) if table == "enterprises" else None
    if words:  # explain's words where it has them
        return words[1][:1].upper() + words[1][1:]
    return re.sub(r"\s*(\(.*\)|:.*)$", "", col.description_en) or col.name


def choices(f: Field, lang: str = "zh") -> list[tuple[str, Any]]:
    """(label, value) pairs for a dropdown; None (unknown) first."""
    if f.kind == "bool":
        values: Iterable[Any] = (None, True, False)
    else:
        values = (None, *f.choices)
    return [(option_label(v, lang), v) for v in values]


# ============================================================================ validating widget values

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
        return "= " + format_money(self.fen, _lang(lang))


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
                if v is None or isinstance(v, bool):
                    row[f.name] = v
                else:
                    errors[f.name] = translate_message(f"cannot read '{str(v)[:20]}' as yes/no", lang)
                    row[f.name] = None
            elif f.kind == "category":
                if v is None or v in f.choices:
                    row[f.name] = v
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


# ============================================================================ messages

_MESSAGES: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in [
    (r"^cannot read '(.*)' as an amount of money(?: \(too long\))?.*$", "无法识别金额“\\1”（可写：1,234.56万元、0.58亿、¥300,000）"),
    (r"^'(.*)' is negative; amounts of money must be zero or more$", "金额“\\1”为负数，金额不能小于零"),
    (r"^'(.*)' is more precise than one fen.*$", "金额“\\1”精确到分以下，请先四舍五入到分"),
    (r"^'(.*)' uses scientific notation.*$", "“\\1”使用了科学计数法，请写出完整金额（如 1200 或 0.58亿）"),
    (r"^'(.*)' is above the largest amount accepted.*$", "金额“\\1”超过可接受的最大金额（10万亿元）"),
    (r"^'(.*)' is not a finite amount of money$", "“\\1”不是有效金额"),
    (r"^an empty value is not an amount of money$", "金额为空"),
    (r"^a value is required$", "必填项为空"),
    (r"^duplicate \w+ '(.*)' \(first used in row (\d+)\); only the first row is kept$",
     "编号“\\1”重复（首次出现在第\\2行），只保留第一行"),
    (r"^'(.*)' is not a whole number$", "“\\1”不是整数"),
    (r"^'(.*)' is negative; a count must be zero or more$", "“\\1”为负数，数量不能小于零"),
    (r"^'(.*)' is too large for a count \(at most (.*)\)$", "“\\1”过大（数量最多\\2）"),
    (r"^cannot read '(.*)' as a whole number.*$", "无法将“\\1”识别为整数（如 3 或 2026）"),
    (r"^'(.*)' is a yes/no value, not a count$", "“\\1”是是/否值，不是数量"),
    (r"^'(.*)' is a yes/no value, not an amount of money$", "“\\1”是是/否值，不是金额"),
    (r"^cannot read '(.*)' as yes/no.*$", "无法将“\\1”识别为是/否（可填：是/否、yes/no、1/0、√/×）"),
    (r"^'(.*)' is not one of the allowed values: (.*)$", "“\\1”不是可选值之一：\\2"),
    (r"^(\d+) local units is more than the (\d+) members in total.*$", "本地单位数\\1多于成员单位总数\\2"),
    (r"^(\d+) above-scale or high-tech enterprises is more than the (\d+) member enterprises$",
     "规上或高新技术企业数\\1多于企业成员数\\2"),
    (r"^.* has no '(\w+)' column \((.*)\), which is required; found columns: (.*)$",
     "文件缺少必需的列“\\2”（\\1）。文件中的列：\\3"),
    (r"^.*: columns '(.*)' and '(.*)' both mean '(\w+)' \((.*)\); keep only one$", "列“\\1”和“\\2”都表示“\\4”，请只保留一列"),
    (r"^.* is empty \(no header row\)$", "文件为空（没有表头行）"),
    (r"^cannot read .*: not UTF-8 text.*$", "无法读取文件：不是 UTF-8 或 GB18030 编码的文本"),
    (r"^cannot read .* as CSV: (.*)$", "无法按 CSV 读取文件：\\1"),
    (r"^cannot open .* as an \.xlsx workbook.*$", "无法按 .xlsx 工作簿打开文件（文件可能已损坏）"),
    (r"^.* is a password-protected \(encrypted\) workbook or an old \.xls file.*$",
     "文件受密码保护（已加密）或是旧版 .xls 文件：请在 Excel 中另存为不带密码的 .xlsx"),
    (r"^.*: the column header '(.*)' appears twice \(columns (\w+) and (\w+)\); keep only one$",
     "表头“\\1”出现了两次（第\\2列和第\\3列），请只保留一列"),
    (r"^column header '(.*)': '(.*)' is not a unit of '\w+' \((.*?)\), which takes .*$",
     "表头“\\1”中的“\\2”不是“\\3”可用的单位：请改用元、万元或亿元，或换算数值"),
    (r"^the cell holds ([\d,]+) characters \(at most ([\d,]+)\); shorten it$", "单元格有\\1个字符（最多\\2个），请缩短"),
    (r"^'(.*)' contains a control character \((.*)\); an identifier must be plain text.*$",
     "编号“\\1”含有控制字符（\\2），编号只能是普通文字"),
    (r"^a \w+ is not a single value.*$", "单元格不是单个数值或文字"),
    (r"^.* unpacks ([\d,]+) times its packed size.*$", "文件中的某一部分解压后是压缩大小的\\1倍，疑为压缩炸弹，已拒绝"),
    (r"^.* (?:has|declares) ([\d,]+) columns, above the limit of ([\d,]+).*$", "文件有\\1列，超过\\2列的上限"),
    (r"^cannot read .*: it is UTF-16 text.*$", "文件是 UTF-16 编码：请另存为 UTF-8 编码的 CSV"),
    (r"^(.*) is out of range: .* must be (.*) to (.*)$", "“\\1”超出允许范围（\\2 至 \\3）"),
    (r"^.* (?:has|have) .*cells, above the limit of ([\d,]+).*$", "文件的单元格数超过 \\1 的上限。请拆分后分批上传。"),
]]


_CELL_PREFIX = re.compile(r"^row \d+(?: \(.*?\))?, column '.*?': ")


def translate_message(message: str, lang: str = "zh") -> str:
    """An input error of the core (written in English) in the user's language; unknown ones stay as given.

    The "row 3 (enterprise_id=E3), column '…': " prefix is dropped: the error table has those columns."""
    message = _CELL_PREFIX.sub("", message, count=1)
    if _lang(lang) == "en":
        return message
    for pattern, zh in _MESSAGES:
        m = pattern.match(message)
        if m:
            return m.expand(zh)
    return message


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


# ============================================================================ enterprise estimator

@dataclass
class EnterpriseView:
    lang: str
    as_of: dt.date
    totals: dict[str, int]              # formula_fixed_yuan, ceiling_yuan, total_yuan
    items: pd.DataFrame                 # one row per item, in display order (see ITEM_COLUMNS)
    composition: pd.DataFrame           # counted items with an amount: policy, item, group, amount_yuan
    hints: list[str]
    field_errors: dict[str, str]
    row_errors: pd.DataFrame

    def total_text(self, key: str) -> str:
        return format_money(self.totals[key] * FEN_PER_YUAN, self.lang)


STATUS_ORDER = {"granted": 0, "duplicate": 1, "needs_input": 2, "not_eligible": 3, "not_in_force": 4}


@lru_cache(maxsize=1)
def _policies():
    return default_policies()


def policy_title(policy_id: str, lang: str = "zh") -> str:
    p = _policies().policies[policy_id]
    return p.title if _lang(lang) == "zh" else p.title_en


POLICY_SHORT = {
    "xiamen_sti_measures": ("厦门《若干措施》", "Xiamen 12 measures"),
    "xiamen_consortium_2025": ("厦门创新联合体办法", "Xiamen consortium measures"),
    "liaoyang_consortium_2023": ("辽阳创新联合体办法", "Liaoyang consortium measures"),
    "qingdao_consortium_2025": ("青岛创新联合体指引", "Qingdao consortium guidelines"),
    "hainan_consortium_2022": ("海南创新联合体方案", "Hainan consortium plan"),
}


def policy_short(policy_id: str, lang: str = "zh") -> str:
    return explain.pick(POLICY_SHORT.get(policy_id, (policy_id, policy_id)), _lang(lang))


def compute_enterprise(values: Mapping[str, Any], as_of: Any = DEFAULT_AS_OF, lang: str = "zh",
                       enterprise_id: str = "E-DASHBOARD") -> EnterpriseView:
    """Everything the estimator shows for one enterprise, from the widgets' values."""
    lang = _lang(lang)
    as_of = parse_date_field(as_of)
    row, field_errors = clean_values("enterprises", values, lang)
    result = calc.entitlements(_one_row("enterprises", row, enterprise_id), as_of=as_of, policies=_policies())
    return enterprise_view(result, lang, field_errors)


def enterprise_view(result, lang: str = "zh", field_errors: Mapping[str, str] | None = None) -> EnterpriseView:
    """The view of the first enterprise of an entitlement result."""
    lang = _lang(lang)
    if len(result.frame) == 0:
        items = pd.DataFrame(columns=ITEM_COLUMNS)
        return EnterpriseView(lang, result.as_of, {"formula_fixed_yuan": 0, "ceiling_yuan": 0, "total_yuan": 0},
                              items, pd.DataFrame(columns=["policy", "item", "group", "amount_yuan"]), [],
                              dict(field_errors or {}), errors_table(result.errors, lang))
    ident = result.frame["enterprise_id"].iloc[0]
    totals = {k: int(v) for k, v in result.totals().iloc[0].items() if k != "enterprise_id"}
    raw = result.items(lang, [ident])
    items = item_rows(raw, lang)
    hints = next_steps(result, lang)
    return EnterpriseView(lang, result.as_of, totals, items, composition(raw, lang),
                          [str(m) for m in hints["message"]], dict(field_errors or {}),
                          errors_table(result.errors, lang))


ITEM_COLUMNS = ["item_id", "policy", "item", "status", "status_label", "amount_yuan", "amount", "kind",
                "kind_label", "reason", "won_by", "won_by_label", "citation"]


def item_rows(raw: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The core's long table for one enterprise, in words, in display order (granted first, then lost to
    就高不重复, then missing inputs, then the rest)."""
    pol = _policies()
    out = pd.DataFrame({
        "item_id": raw["item_id"].to_numpy(dtype=object),
        "policy": [policy_short(p, lang) for p in raw["policy_id"]],
        "item": raw["title"].to_numpy(dtype=object),
        "status": raw["status"].to_numpy(dtype=object),
        "status_label": [explain.pick(STATUS_LABELS[s], lang) for s in raw["status"]],
        "amount_yuan": raw["amount_yuan"].to_numpy(dtype=np.int64),
        "amount": [format_money(int(a) * FEN_PER_YUAN, lang) if s in ("granted", "duplicate") and a else "—"
                   for a, s in zip(raw["amount_yuan"], raw["status"])],
        "kind": raw["kind"].to_numpy(dtype=object),
        "kind_label": [explain.pick(KIND_LABELS[k], lang) for k in raw["kind"]],
        "reason": raw["reason"].to_numpy(dtype=object),
        "won_by": raw["won_by"].to_numpy(dtype=object),
        "won_by_label": [_item_title(pol, w, lang) for w in raw["won_by"]],
        "citation": raw["citation"].to_numpy(dtype=object),
    })
    order = out["status"].map(STATUS_ORDER).fillna(9)
    out = out.assign(_o=order, _a=-out["amount_yuan"]).sort_values(["_o", "_a", "item_id"], kind="stable")
    return out.drop(columns=["_o", "_a"]).reset_index(drop=True)


def _item_title(pol, item_id: str, lang: str) -> str:
    if not item_id:
        return ""
    node = pol.node(item_id)
    return f"{policy_short(node.policy_id, lang)} · {node.title_zh if lang == 'zh' else node.title_en}"


def composition(raw: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Counted items with an amount, for the chart: policy, item, group (firm / ceiling), amount in yuan."""
    counted = raw[raw["counted"].to_numpy(dtype=bool) & (raw["amount_yuan"].to_numpy() > 0)]
    out = pd.DataFrame({
        "policy": [policy_short(p, lang) for p in counted["policy_id"]],
        "item": counted["title"].to_numpy(dtype=object),
        "group": np.where(counted["kind"].to_numpy(dtype=object) == "ceiling", "ceiling", "firm"),
        "amount_yuan": counted["amount_yuan"].to_numpy(dtype=np.int64),
    })
    return out.sort_values(["policy", "amount_yuan"], ascending=[True, False], kind="stable").reset_index(drop=True)


def chart_traces(comp: pd.DataFrame, lang: str = "zh") -> list[dict[str, Any]]:
    """Two horizontal bar traces (formula/fixed, ceiling) on a policy › item axis, as plotly JSON.

    Always two traces (possibly empty), so the legend and colours stay put while the data change."""
    lang = _lang(lang)
    traces = []
    for group, color in (("firm", "#1f77b4"), ("ceiling", "#ff9f1c")):
        part = comp[comp["group"] == group]
        traces.append({
            "type": "bar", "orientation": "h", "textposition": "auto",
            "name": text(group, lang),
            "y": [part["policy"].tolist(), part["item"].tolist()],
            "x": [int(a) for a in part["amount_yuan"]],
            "text": [format_money(int(a) * FEN_PER_YUAN, lang) for a in part["amount_yuan"]],
            "hovertemplate": "%{y}<br>%{text}<extra></extra>",
            "marker": {"color": color},
        })
    return traces


def figure(comp: pd.DataFrame, title_key: str, lang: str = "zh") -> dict[str, Any]:
    """The composition chart as plotly JSON, for :class:`calc.widgets.Chart`."""
    return {"data": chart_traces(comp, lang), "layout": chart_layout(title_key, lang, len(comp))}


CHART_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def chart_layout(title_key: str, lang: str = "zh", rows: int = 1) -> dict[str, Any]:
    return {
        "title": {"text": text(title_key, lang), "x": 0.01, "xanchor": "left"},
        "barmode": "stack",
        "font": {"family": CHART_FONT, "size": 13},
        "height": max(260, 90 + 34 * rows),
        "margin": {"l": 10, "r": 20, "t": 50, "b": 40},
        "xaxis": {"title": {"text": text("chart_axis", lang)}, "tickformat": ",d"},
        "yaxis": {"automargin": True, "autorange": "reversed"},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
    }


# ---------------------------------------------------------------------------- html

def _e(value: Any) -> str:
    """A value as HTML text; a missing one (None, NaN, NA) as nothing."""
    missing = value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value))
    return html.escape("" if missing else str(value))


def card_html(cls: str, label: str, value: str, *, yuan: int | None = None, note: str = "", attrs: str = "") -> str:
    """One headline card: label, value (``data-yuan`` carries an amount exactly), an optional note."""
    data = f' data-yuan="{int(yuan)}"' if yuan is not None else ""
    return (f'<div class="dash-card {cls}"{attrs}><div class="dash-card-label">{_e(label)}</div>'
            f'<div class="dash-card-value"{data}>{_e(value)}</div>'
            + (f'<div class="dash-card-note">{_e(note)}</div>' if note else "") + "</div>")


def totals_html(view: EnterpriseView) -> str:
    lang = view.lang
    cards = [
        ("w-total-firm", "total_firm", "formula_fixed_yuan", "total_firm_note"),
        ("w-total-ceiling", "total_ceiling", "ceiling_yuan", "total_ceiling_note"),
        ("w-total-all", "total_all", "total_yuan", None),
    ]
    parts = [card_html(cls, text(label, lang), view.total_text(key), yuan=view.totals[key],
                       note=text(note, lang) if note else "") for cls, label, key, note in cards]
    return f'<div class="dash-cards">{"".join(parts)}</div>'


def items_html(view: EnterpriseView) -> str:
    lang = view.lang
    head = "".join(f"<th>{_e(text(k, lang))}</th>" for k in
                   ("col_policy", "col_item", "col_status", "col_amount", "col_kind", "col_reason", "col_won_by",
                    "col_citation"))
    rows = []
    for r in view.items.itertuples(index=False):
        rows.append(
            f'<tr class="st-{_e(r.status)}" data-item="{_e(r.item_id)}">'
            f"<td>{_e(r.policy)}</td><td>{_e(r.item)}</td>"
            f'<td class="status">{_e(r.status_label)}</td><td class="amount">{_e(r.amount)}</td>'
            f"<td>{_e(r.kind_label)}</td><td>{_e(r.reason)}</td><td>{_e(r.won_by_label)}</td>"
            f'<td class="cite">{_e(r.citation)}</td></tr>')
    return f'<table class="dash-table w-items"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def hints_html(view: EnterpriseView) -> str:
    lang = view.lang
    if not view.hints:
        return f'<div class="w-hints"><i>{_e(text("no_hints", lang))}</i></div>'
    lis = "".join(f"<li>{_e(h)}</li>" for h in view.hints)
    return f'<div class="w-hints"><ul>{lis}</ul></div>'


def field_errors_html(errors: Mapping[str, str], lang: str = "zh", table: str = "enterprises") -> str:
    if not errors:
        return ""
    lis = "".join(f"<li><b>{_e(field_label(k, lang, table))}</b>：{_e(v)}</li>" for k, v in errors.items())
    return f'<div class="dash-error w-field-errors"><b>{_e(text("input_errors", lang))}</b><ul>{lis}</ul></div>'


def table_html(frame: pd.DataFrame, css: str = "") -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f'<table class="dash-table {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ============================================================================ samples

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
    return {f.name: ("" if f.kind in ("money", "count") else None) for _, g in fields(table) for f in g}


# ============================================================================ batch

class UploadError(Exception):
    """An upload that cannot be used; ``message(lang)`` says why in words."""

    MESSAGES = {
        "too_big": ("文件过大：{size}，上限为 {limit}。请拆分后分批上传。",
                    "The file is too large: {size}; the limit is {limit}. Split it and upload the parts."),
        "too_many_rows": ("文件有 {rows:,} 行，上限为 {limit:,} 行。请拆分后分批上传。",
                          "The file has {rows:,} rows; the limit is {limit:,}. Split it and upload the parts."),
        "too_many_rows_over": ("文件超过 {limit:,} 行的上限。请拆分后分批上传。",
                               "The file has more than {limit:,} rows, the limit. Split it and upload the parts."),
        "type": ("不支持的文件类型“{name}”：请上传 .csv（UTF-8 或 GB18030）或 .xlsx 文件。",
                 "Unsupported file type “{name}”: upload a .csv (UTF-8 or GB18030) or .xlsx file."),
        "empty": ("文件“{name}”是空的。", "The file “{name}” is empty."),
        "broken": ("无法读取文件“{name}”：文件已损坏或格式不对（{detail}）。",
                   "Cannot read “{name}”: the file is broken or not in the format its name says ({detail})."),
        "input": ("文件“{name}”无法使用：{detail}", "The file “{name}” cannot be used: {detail}"),
        "no_rows": ("文件“{name}”没有数据行。", "The file “{name}” has no data rows."),
    }

    def __init__(self, key: str, **fields: Any):
        super().__init__(key)
        self.key = key
        self.fields = fields

    def message(self, lang: str = "zh") -> str:
        fields = dict(self.fields)
        detail = fields.get("detail")
        if detail is not None:
            fields["detail"] = translate_message(str(detail), lang)
        return explain.pick(self.MESSAGES[self.key], _lang(lang)).format(**fields)

    def __str__(self) -> str:
        return self.message("en")


def load_upload(name: Any, data: Any, table: str = "enterprises", *, max_bytes: int | None = None,
                max_rows: int | None = None, limits: Limits = DASHBOARD):
    """Parse an uploaded file (bytes) into a ParsedInput, or raise :class:`UploadError` with a readable reason.

    Every bound is ``limits`` (:data:`calc.limits.DASHBOARD`, the same reader as the command line's);
    ``max_bytes`` / ``max_rows`` change those two."""
    limits = limits.replace(**{k: v for k, v in (("max_file_bytes", max_bytes), ("max_rows", max_rows)) if v})
    name = str(name or "upload")[:120]
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UploadError("broken", name=name, detail="no file content")
    data = bytes(data)
    if len(data) > limits.max_file_bytes:
        raise UploadError("too_big", size=size_text(len(data)), limit=size_text(limits.max_file_bytes))
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UploadError("type", name=name)
    if not data.strip():
        raise UploadError("empty", name=name)
    with tempfile.TemporaryDirectory(prefix="dash-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            parsed = load_table(str(path), table, limits=limits)
        except LimitError as exc:
            if exc.bound == "rows":
                raise UploadError("too_many_rows" if exc.found else "too_many_rows_over", rows=exc.found,
                                  limit=exc.limit) from None
            if exc.bound in ("file", "xlsx_unpacked", "shared_strings"):
                raise UploadError("too_big", size=size_text(exc.found), limit=size_text(exc.limit)) from None
            raise UploadError("input", name=name, detail=str(exc).replace(str(path), name)) from None
        except InputError as exc:
            raise UploadError("input", name=name, detail=str(exc).replace(str(path), name)) from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is a broken file to the user
            raise UploadError("broken", name=name, detail=type(exc).__name__) from None
    if len(parsed.frame) + parsed.bad_row_count == 0:
        raise UploadError("no_rows", name=name)
    return parsed


@dataclass
class BatchView:
    lang: str
    name: str
    result: Any                       # EntitlementResult
    table: pd.DataFrame               # per enterprise, in words
    errors: pd.DataFrame              # rejected rows, in words
    by_item: pd.DataFrame             # counted totals per item: policy, item, group, amount_yuan
    unknown_columns: list[str]

    def summary(self) -> str:
        return text("batch_summary", self.lang, name=self.name, ok=len(self.result.frame),
                    bad=self.result.inputs.bad_row_count)


def compute_batch(parsed, as_of: Any = DEFAULT_AS_OF, lang: str = "zh", name: str = "") -> BatchView:
    """Entitlements for every good row of an uploaded table (vectorised), and what the page shows."""
    lang = _lang(lang)
    result = calc.entitlements(parsed, as_of=parse_date_field(as_of), policies=_policies())
    return batch_view(result, lang, name)


def batch_view(result, lang: str = "zh", name: str = "") -> BatchView:
    lang = _lang(lang)
    totals = result.totals()
    granted = np.zeros(len(result.frame), dtype=np.int64)
    rows = []
    for node in result.nodes:
        award = result.awards[node.id]
        counted = award.status == GRANTED
        granted += counted & (node.kind != "info")
        amount = exact_sum(award.amount[counted]) // FEN_PER_YUAN
        if amount:
            rows.append((policy_short(node.policy_id, lang), node.title_zh if lang == "zh" else node.title_en,
                         "ceiling" if node.kind == "ceiling" else "firm", amount))
    by_item = pd.DataFrame(rows, columns=["policy", "item", "group", "amount_yuan"])
    by_item = by_item.sort_values(["policy", "amount_yuan"], ascending=[True, False], kind="stable")
    by_item = by_item.reset_index(drop=True)
    names = result.frame["name"].to_numpy(dtype=object) if "name" in result.frame.columns else None
    table = pd.DataFrame({
        text("col_enterprise_id", lang): totals["enterprise_id"].to_numpy(dtype=object),
        text("col_name", lang): ["" if v is None or v is pd.NA else v for v in names] if names is not None else "",
        text("total_firm", lang): totals["formula_fixed_yuan"].to_numpy(),
        text("total_ceiling", lang): totals["ceiling_yuan"].to_numpy(),
        text("total_all", lang): totals["total_yuan"].to_numpy(),
        text("col_granted", lang): granted,
    })
    unknown = [str(c) for c in result.inputs.unknown_columns]
    return BatchView(lang, name, result, table, errors_table(result.errors, lang), by_item, unknown)


def batch_html(view: BatchView, limit: int = SHOWN_BATCH_ROWS) -> str:
    """The first ``limit`` rows, money in words."""
    lang = view.lang
    shown = view.table.head(limit).copy()
    for key in ("total_firm", "total_ceiling", "total_all"):
        col = text(key, lang)
        shown[col] = [format_money(int(v) * FEN_PER_YUAN, lang) for v in shown[col]]
    note = text("batch_shown", lang, n=limit) if len(view.table) > limit else ""
    return (f'<div class="w-batch-results"><b>{_e(text("batch_results", lang))}</b> {_e(note)}'
            + table_html(shown, "w-batch-table") + "</div>")


def batch_errors_html(view: BatchView) -> str:
    lang = view.lang
    parts = []
    if view.unknown_columns:
        parts.append(f'<div class="dash-warn">{_e(text("batch_unknown_columns", lang, cols="、".join(view.unknown_columns)))}</div>')
    if len(view.errors):
        parts.append(f'<div class="dash-error w-batch-errors"><b>{_e(text("batch_errors", lang))}</b>'
                     + table_html(view.errors.head(SHOWN_BATCH_ROWS)) + "</div>")
    return "".join(parts)


def batch_report_xlsx(view: BatchView) -> bytes:
    """The XLSX report: totals per enterprise, every item (amount and status) per enterprise, errors."""
    lang = view.lang
    result = view.result
    wide = result.wide
    pol = _policies()
    columns: dict[str, Any] = {text("col_enterprise_id", lang): wide["enterprise_id"].to_numpy(dtype=object)}
    for node in result.nodes:
        title = f"{policy_short(node.policy_id, lang)} · {node.title_zh if lang == 'zh' else node.title_en}"
        status = wide[f"{node.id}:status"]
        columns[title] = wide[node.id].to_numpy()
        columns[f"{title} · {text('col_status', lang)}"] = status.cat.rename_categories(
            [explain.pick(STATUS_LABELS[s], lang) for s in status.cat.categories]).astype(object).to_numpy()
    items = pd.DataFrame(columns)
    about = pd.DataFrame({
        "": [text("as_of", lang), text("batch_summary", lang, name=view.name, ok=len(result.frame),
                                       bad=result.inputs.bad_row_count)]
            + [policy_title(pid, lang) for pid in pol.policies],
        " ": [result.as_of.isoformat(), ""] + [pol.policies[pid].validity_text() for pid in pol.policies],
    })
    buffer = io.BytesIO()
    names = ("totals", "items", "errors", "about") if lang == "en" else ("汇总", "逐项", "错误", "说明")
    write_xlsx(buffer, dict(zip(names, (view.table, items, view.errors, about))))
    return buffer.getvalue()


# ============================================================================ consortium checker

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


# criteria several jurisdictions share, named for the row (each cell shows its own jurisdiction's title)
SHARED_ROWS = {
    "members_total": ("成员单位总数", "Member units in total"),
    "lead_single_consortium": ("牵头单位仅牵头一个联合体", "Lead leads one consortium only"),
    "lead_registered_enterprise": ("牵头单位为本地注册企业", "Lead is an enterprise registered locally"),
    "lead_revenue": ("牵头单位年主营业务收入", "Lead's annual main business revenue"),
    "lead_platform": ("牵头单位创新平台级别", "Lead's innovation platform level"),
    "lead_rd": ("牵头单位近三年研发投入", "Lead's R&D over three years"),
    "agreement_signed": ("签订组建（合作）协议", "Formation agreement signed"),
    "chief_scientist": ("首席科学家（专家）", "Chief scientist (expert)"),
}


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
    return explain.pick(RESULT_LABELS[state], _lang(lang))


def compute_consortium(values: Mapping[str, Any], as_of: Any = DEFAULT_AS_OF, lang: str = "zh",
                       consortium_id: str = "C-DASHBOARD") -> ConsortiumView:
    """One consortium against the four jurisdictions, from the widgets' values."""
    lang = _lang(lang)
    as_of = parse_date_field(as_of)
    row, field_errors = clean_values("consortia", values, lang)
    if row.get("jurisdiction") is None:
        row["jurisdiction"] = "xiamen"
    # what-if across the four: the local members are counted for whichever jurisdiction is checked
    for j in JURISDICTIONS:
        row[f"local_units_{j}"] = row.get("local_units")
    check = calc.assess_consortia(_one_row("consortia", row, consortium_id), as_of=as_of, jurisdictions="all",
                                  policies=_policies())
    return consortium_view(check, lang, field_errors)


def consortium_view(check, lang: str = "zh", field_errors: Mapping[str, str] | None = None) -> ConsortiumView:
    lang = _lang(lang)
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
            labels[key] = explain.pick(SHARED_ROWS[key], lang) if key in SHARED_ROWS else r.title
        strengths[key] = r.strength
        state = r.result if in_force.get(r.jurisdiction, True) else "not_in_force"
        cells[(key, r.jurisdiction)] = Cell(
            state=state, result=r.result, label=cell_label(state, lang), title=r.title,
            value=option_label(r.value, lang) if r.value in OPTION_WORDS else r.value,
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


# supports without amounts: the articles as written (verified against data/sources by the tests)
SUPPORT_ARTICLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "liaoyang": ("liaoyang_consortium_2023", "第十八条", (
        "支持创新联合体“出题”并承担市重大科技专项、重点研发项目",
        "优先推荐省级技术创新平台,支持创新联合体及其核心成员单位组建技术创新中心、中试基地、新型研发机构等创新平台",
        "对创新联合体内部产生的创新创业载体,优先认定为市级孵化载体",
        "支持创新联合体引进或培育一流创新人才和团队,优先按照相关人才政策给予支持",
        "对创新联合体核心成员单位融资需求,市“科技贷”优先给予支持。",
    )),
    "qingdao": ("qingdao_consortium_2025", "六、支持措施", (
        "在科技示范工程、關鍵技術攻關示范類項目上予以支持。推薦申報國家、省級重點研發計劃項目。",
        "組建或參與建設青島市級以上重點實驗室、技術創新中心、新型研發機構、概念驗證平臺等創新平臺。",
        "通過青島市產業領軍人才計劃等政策予以支持",
        "對技術創新度高、行業帶動性強、示范效果好的應用場景建設,擇優給予政策支持。",
    )),
    "hainan": ("hainan_consortium_2022", "七、支持措施", (
        "支持创新联合体申报和承担省级科技专项项目。",
        "支持创新联合体内形成稳定合作关系的成员单位组建或参与建设省级重点实验室、技术创新中心、工程技术研究中心、中试研究基地等创新平台。",
        "对创新联合体内部设立的创新创业载体，优先认定为省级众创空间、孵化器、星创天地，享受相应支持政策。",
    )),
}


def supports(as_of: dt.date, lang: str = "zh") -> dict[str, list[dict]]:
    """Per jurisdiction: the supports its consortium policy opens, with amounts where the policy gives them."""
    lang = _lang(lang)
    pol = _policies()
    out: dict[str, list[dict]] = {j: [] for j in JURISDICTIONS}
    for p in pol.policies.values():
        if not p.criteria or p.jurisdiction not in out:
            continue
        for node in p.items.values():
            amounts = []
            for prm in node.parameters.values():
                version = prm.version_at(as_of) or (prm.versions[0] if prm.versions else None)
                if version is not None and prm.unit in ("yuan", "ratio"):
                    amounts.append(version.text)
            out[p.jurisdiction].append({
                "title": node.title_zh if lang == "zh" else node.title_en,
                "kind": explain.pick(KIND_LABELS[node.kind], lang),
                "amount": "、".join(amounts) if amounts else text("supports_no_amount", lang),
                "citation": f"{p.title} {node.citation.short()}",
            })
    for j, (pid, article, quotes) in SUPPORT_ARTICLES.items():
        title = pol.policies[pid].title
        for q in quotes:
            out[j].append({"title": q, "kind": explain.pick(KIND_LABELS["info"], lang),
                           "amount": text("supports_no_amount", lang), "citation": f"{title} {article}"})
    return out


def _cell_html(cell: Cell, j: str, key: str, lang: str) -> str:
    bg, fg = CELL_COLOURS[cell.state]
    if cell.state == "absent":
        return (f'<td class="mx-cell mx-absent" data-j="{j}" data-c="{_e(key)}" data-state="absent" '
                f'style="background:{bg};color:{fg}">—</td>')
    detail = [(text("value", lang), cell.value), (text("threshold", lang), cell.threshold),
              (text("margin", lang), cell.margin), (text("citation", lang), cell.citation)]
    if cell.state == "not_in_force":
        detail.insert(0, (text("col_status", lang), explain.pick(RESULT_LABELS[cell.result], lang)))
    if cell.soft:
        detail.append(("", text("strength_soft", lang)))
    tip = "\n".join(f"{k}：{v}" if k else v for k, v in detail if v)
    body = "".join(f"<div><b>{_e(k)}</b>{'：' if k else ''}{_e(v)}</div>" for k, v in detail if v)
    short = cell.label + (f" · {cell.value}" if cell.value and cell.state != "not_in_force" else "")
    return (f'<td class="mx-cell mx-{cell.state}" data-j="{j}" data-c="{_e(key)}" data-state="{cell.state}" '
            f'title="{_e(tip)}" style="background:{bg};color:{fg}"><details><summary>{_e(short)}</summary>'
            f'<div class="mx-detail"><div class="mx-crit">{_e(cell.title)}</div>{body}</div></details></td>')


def matrix_html(view: ConsortiumView) -> str:
    lang = view.lang
    head = f"<th>{_e(text('col_criterion', lang))}</th>" + "".join(
        f'<th data-j="{j}">{_e(jurisdiction_label(j, lang))}</th>' for j in JURISDICTIONS)
    rows = []
    for key in view.matrix.index:
        cells = "".join(_cell_html(view.matrix.at[key, j], j, key, lang) for j in JURISDICTIONS)
        rows.append(f'<tr data-c="{_e(key)}"><th class="mx-row">{_e(view.row_labels[key])}</th>{cells}</tr>')
    overall = []
    for j in JURISDICTIONS:
        o = view.overall.get(j)
        if not o:
            overall.append("<td></td>")
            continue
        bg, fg = OVERALL_COLOURS[o["status"]]
        talent = (f'<div class="mx-talent">{_e(text("talent_status", lang))}：{_e(o["talent_label"])}</div>'
                  if o["talent"] else "")
        overall.append(f'<td class="mx-overall ov-{o["status"]}" data-j="{j}" data-status="{o["status"]}" '
                       f'style="background:{bg};color:{fg}"><b>{_e(o["label"])}</b>{talent}</td>')
    foot = f'<tr class="mx-overall-row"><th>{_e(text("overall", lang))}</th>{"".join(overall)}</tr>'
    legend = " ".join(
        f'<span class="mx-legend" style="background:{CELL_COLOURS[s][0]};color:{CELL_COLOURS[s][1]}">'
        f"{_e(cell_label(s, lang))}</span>"
        for s in ("pass", "soft_fail", "fail", "needs_input", "not_in_force", "not_applicable", "absent"))
    return (f'<div class="w-matrix"><table class="dash-table mx"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}{foot}</tbody></table>'
            f'<div class="mx-legend-row">{_e(text("legend", lang))}：{legend}</div></div>')


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
            f'<li><b>{_e(s["title"])}</b> — {_e(s["amount"])} <span class="sup-kind">({_e(s["kind"])})</span>'
            f'<div class="cite">{_e(s["citation"])}</div></li>' for s in view.supports.get(j, []))
        parts.append(f'<div class="sup-block{" sup-dim" if dim else ""}" data-j="{j}"><h4>{_e(jurisdiction_label(j, lang))}'
                     f' <small>{_e(o.get("label", ""))}</small></h4><ul>{items}</ul></div>')
    return f'<div class="w-supports">{"".join(parts)}</div>'


def manual_html(view: ConsortiumView) -> str:
    lang = view.lang
    parts = []
    for j in JURISDICTIONS:
        rows = view.manual[view.manual["jurisdiction"] == j]
        if not len(rows):
            continue
        lis = "".join(f'<li>{_e(r.title)} <span class="cite">{_e(r.citation)}</span></li>'
                      for r in rows.itertuples(index=False))
        parts.append(f"<div><b>{_e(jurisdiction_label(j, lang))}</b><ul>{lis}</ul></div>")
    return f'<div class="w-manual">{"".join(parts)}</div>'


# ============================================================================ page style

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
.mx-cell details summary{cursor:pointer}.mx-detail{font-size:12px;margin-top:4px}
.mx-crit{font-weight:600}.mx-legend{padding:2px 6px;border-radius:4px;margin-right:4px;font-size:12px}
.mx-row{max-width:220px}.sup-dim{opacity:.55}.sup-block h4{margin:8px 0 2px}
.w-groups .lm-TabBar-tab{flex:0 0 auto!important;max-width:none!important;min-width:0!important}
.money-shown{font-size:12px;color:#1e7b34;padding-left:6px}.money-shown.bad{color:#b3261e}
</style>
"""


def download_link(data: bytes, filename: str, label: str) -> str:
    """An ``<a download>`` link carrying the file itself (no file is written on the server)."""
    import base64

    mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if filename.endswith(".xlsx")
            else "application/octet-stream")
    payload = base64.b64encode(data).decode("ascii")
    return (f'<a class="w-download" download="{_e(filename)}" href="data:{mime};base64,{payload}">'
            f"⬇ {_e(label)}</a>")


LANDING = [
    ("enterprise.ipynb", "enterprise_title",
     ("企业及其财务、研发负责人：按台账填写，估算可申领的每一项补贴、金额和依据，也可上传表格批量测算。",
      "Enterprises and their finance or R&D staff: fill in the records, see every subsidy you can claim, "
      "how much and why; or upload a table for a batch.")),
    ("consortium.ipynb", "consortium_title",
     ("拟牵头组建创新联合体的单位：对照厦门、辽阳、青岛、海南的认定条件逐条自测，看差距和可获支持。",
      "Units planning to lead an innovation consortium: check each condition of Xiamen, Liaoyang, Qingdao "
      "and Hainan, the margins and the supports it would open.")),
    ("budget.ipynb", "budget_title",
     ("财政部门和科技主管部门：对一批企业比较现行政策与调整参数后的成本、受益企业和增减，按预算比例核减，做多年预测。",
      "Finance officers: compare the law with changed parameters over a population of enterprises — cost, "
      "recipients, winners and losers, pro-rating to a budget, a projection over the years.")),
    ("analyst.ipynb", "analyst_title",
     ("分析师和开发者：用 pandas 和 plotly 对整张样本表计算、分组、作图、解释单行、比较四地（也可在 Jupyter 中打开运行）。",
      "Analysts and developers: compute, group, plot, explain one row and compare jurisdictions over whole "
      "tables with pandas and plotly (also runs in plain Jupyter).")),
]
TEXT["analyst_title"] = ("分析师笔记", "Analyst notebook")
TEXT["budget_title"] = ("财政预算测算", "Budget and scenario modelling")
TEXT["landing_intro"] = ("厦门、辽阳、青岛、海南科技政策的规则代码化测算：每个数字都可追溯到政策原文。",
                         "Rules as code for the S&T policies of Xiamen, Liaoyang, Qingdao and Hainan: every number "
                         "traces to a quote of the law.")


def landing_html(lang: str = "zh") -> str:
    lang = _lang(lang)
    items = "".join(
        f'<li class="landing-item"><a class="landing-link" href="{_e(href)}">{_e(text(key, lang))}</a>'
        f"<div>{_e(explain.pick(who, lang))}</div></li>" for href, key, who in LANDING)
    return (f'<h2>{_e(text("landing_title", lang))}</h2><p>{_e(text("landing_intro", lang))}</p>'
            f'<ul class="landing">{items}</ul>')
