"""Input tables: schema, header matching, parsing and validation.

Two tables are read: **enterprises** (one row per enterprise and claim year) and
**consortia** (one row per innovation consortium).  The schema is data
(:data:`ENTERPRISE_COLUMNS`, :data:`CONSORTIUM_COLUMNS`); the loaders
:func:`load_enterprises` and :func:`load_consortia` accept a DataFrame, a dict of
lists, or a path to a ``.csv`` / ``.xlsx`` file and return a :class:`ParsedInput`.

Nothing is lost: every cell that cannot be read is reported in
``ParsedInput.errors`` (row, id, column, raw value, message) and its row is
left out of ``ParsedInput.frame``; every other row comes through.  Unknown
columns are reported with the closest known name and carried through untouched.

Stored types in ``frame``: money -> ``Int64`` fen; count -> ``Int64``;
bool -> ``boolean``; id / text -> ``string`` (arrow-backed); category ->
``category`` over the allowed values; ratio -> object (``decimal.Decimal``);
date -> ``datetime64[ns]``.  Missing -> ``<NA>``.

Speed: whole columns, never a Python step per cell.  Numeric columns (numpy,
nullable, arrow) are read by array arithmetic; text columns as arrow arrays
(pandas' ``str`` dtype, a CSV or Parquet read by arrow): plain ids and text
are kept as given, yes/no and categories are read once per distinct value
(``dictionary_encode``), money and counts through a vectorised grammar.  Any
cell a fast path is not certain of goes to the per-value reference
(``parse_money``, ``_count_value``, …) once per distinct value, so values and
messages are the same whichever path read a cell (tests/test_inputs_fast.py).
Tables of ``THREADS_FROM_ROWS`` rows or more parse their columns in threads.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .files import InputError, LimitError, atomic_output, cut, escape_controls, has_control, read_table_file, shown
from .limits import DEFAULT, MAX_COUNT, Limits
from .money import (
    _data,
    _float_to_decimal,
    _offsets,
    _pa,
    _parse_money_array,
    _substring_ints,
    arrow_text,
    factorize_cells,
    no_errors,
    parse_decimal,
)

__all__ = [
    "KINDS",
    "Column",
    "ENTERPRISE_COLUMNS",
    "CONSORTIUM_COLUMNS",
    "TABLES",
    "InputError",
    "ParsedInput",
    "load_enterprises",
    "load_consortia",
    "load_table",
    "write_templates",
    "parse_bool",
]

KINDS = ("id", "text", "money", "count", "bool", "category", "ratio", "date")
ERROR_COLUMNS = ["input_row", "id", "column", "value", "message"]
PARSED_ATTR = "calc_parsed_table"


# =========================================================================== schema


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``allowed`` lists the canonical values of a ``category`` column (unknown
    values are errors); ``value_aliases`` maps other spellings (any case, full-
    or half-width) to a canonical value.  A ``text`` column with
    ``value_aliases`` is normalised through them but accepts any text.
    """

    name: str
    kind: str
    zh_aliases: tuple[str, ...] = ()
    required: bool = False
    description_zh: str = ""
    description_en: str = ""
    allowed: tuple[str, ...] = ()
    value_aliases: Mapping[str, str] = field(default_factory=dict)
    unique: bool = False
    aliases: tuple[str, ...] = ()  # extra English spellings of the header

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")

    @property
    def label_zh(self) -> str:
        return self.zh_aliases[0] if self.zh_aliases else self.name


def _m(name: str, zh: tuple[str, ...], dzh: str, den: str) -> Column:
    return Column(name, "money", zh, description_zh=dzh, description_en=den)


def _n(name: str, zh: tuple[str, ...], dzh: str, den: str) -> Column:
    return Column(name, "count", zh, description_zh=dzh, description_en=den)


def _b(name: str, zh: tuple[str, ...], dzh: str, den: str) -> Column:
    return Column(name, "bool", zh, description_zh=dzh, description_en=den)


def _t(name: str, zh: tuple[str, ...], dzh: str, den: str) -> Column:
    return Column(name, "text", zh, description_zh=dzh, description_en=den)


REGION_ALIASES: dict[str, str] = {
    "厦门": "xiamen", "厦门市": "xiamen", "廈門": "xiamen", "廈門市": "xiamen", "amoy": "xiamen",
    "辽阳": "liaoyang", "辽阳市": "liaoyang", "遼陽": "liaoyang", "遼陽市": "liaoyang",
    "青岛": "qingdao", "青岛市": "qingdao", "青島": "qingdao", "青島市": "qingdao",
    "海南": "hainan", "海南省": "hainan",
    "其他": "other", "其它": "other",
}  # fmt: skip
JURISDICTIONS = ("xiamen", "liaoyang", "qingdao", "hainan")

LEAD_TYPE_ALIASES: dict[str, str] = {
    "企业": "enterprise",
    "三甲医院": "hospital_3a", "三级甲等医院": "hospital_3a",
    "医院": "hospital_other", "其他医院": "hospital_other", "非三甲医院": "hospital_other",
    "新型研发机构": "new_rd_institution",
    "高校": "university", "高等院校": "university", "高等学校": "university", "大学": "university",
    "科研院所": "research_institute", "科研机构": "research_institute",
    "省级制造业创新中心": "provincial_mfg_innovation_center",
    "其他": "other", "其它": "other",
}  # fmt: skip
PLATFORM_LEVEL_ALIASES: dict[str, str] = {
    "无": "none", "没有": "none",
    "市级": "municipal",
    "省级": "provincial", "省部级": "provincial",
    "国家级": "national",
}  # fmt: skip
RATINGS = ("excellent", "good", "pass", "fail", "none")
RATING_ALIASES: dict[str, str] = {
    "优秀": "excellent", "优": "excellent", "良好": "good", "良": "good", "合格": "pass",
    "不合格": "fail", "无": "none", "未评估": "none",
}  # fmt: skip
FIELD_ALIASES: dict[str, str] = {
    "生命健康": "life_health", "现代种业": "seed_industry", "种业": "seed_industry",
    "数字经济": "digital_economy", "其他": "other", "其它": "other",
}  # fmt: skip


ENTERPRISE_COLUMNS: list[Column] = [
    Column("enterprise_id", "id", ("企业编号", "企业代码", "企业ID"), required=True, unique=True,
           description_zh="企业唯一编号（必填，不可重复）",
           description_en="Unique enterprise identifier (required, no duplicates)"),
    _t("name", ("企业名称", "名称", "单位名称"), "企业名称", "Enterprise name"),
    Column("city", "category", ("所在城市", "城市", "所在地"),
           allowed=(*JURISDICTIONS, "other"), value_aliases=REGION_ALIASES,
           description_zh="所在城市：厦门/辽阳/青岛/海南/其他",
           description_en="City: xiamen, liaoyang, qingdao, hainan or other"),
    _t("district", ("所在区", "所在区县", "区县", "区"), "所在区（县）", "District"),
    _t("industry", ("所属行业", "行业"), "所属行业", "Industry"),
    _t("size_band", ("企业规模", "规模"), "企业规模档次", "Enterprise size band"),
    _b("consortium_member", ("是否创新联合体成员", "创新联合体成员"),
       "是否为创新联合体成员（是/否）", "Member of an innovation consortium (yes/no)"),
    _m("rd_expense", ("当年自主研发费用", "年度自主研发费用", "自主研发费用", "研发费用", "当年研发费用"),
       "当年自主研发费用", "Own R&D expense in the claim year"),
    _m("rd_expense_prev", ("上年自主研发费用", "上年度自主研发费用", "上年研发费用"),
       "上年自主研发费用", "Own R&D expense in the previous year"),
    _m("national_funding", ("国家财政资金", "国家级财政资金", "国家资助资金"),
       "项目获得的国家财政资金", "National fiscal funding received for the project"),
    _m("provincial_funding", ("省级资助资金", "省级财政资金", "省级资助"),
       "项目获得的省级资助资金", "Provincial funding received for the project"),
    _m("municipal_funding", ("市级资助资金", "市级财政资金", "市级资助"),
       "项目获得的市级资助资金（不含本次配套）",
       "Municipal funding received (excluding the matching grant itself)"),
    _m("project_total_investment", ("项目总投入", "项目总投资"),
       "项目总投入", "Total project investment"),
    _m("joint_lab_investment", ("联合实验室非财政资金投入", "联合实验室投入"),
       "联合实验室非财政资金投入", "Non-fiscal investment in the joint laboratory"),
    _m("tech_transaction_paid", ("实际支付技术交易额", "技术交易额", "实际支付技术合同交易额"),
       "实际支付的技术交易额", "Technology transaction amount actually paid"),
    _n("new_national_platforms", ("新获批国家级创新平台数", "国家级创新平台数"),
       "新获批国家级创新平台数", "Newly approved national innovation platforms"),
    _n("new_intl_coop_bases",
       ("新入选国家级国际科技合作基地数", "新入选国家级国际科技合作基地/对台科技合作与交流基地数",
        "国际科技合作基地数"),
       "新入选国家级国际科技合作基地/对台科技合作与交流基地数",
       "Newly selected national international (or cross-Strait) S&T cooperation bases"),
    _n("postdocs_in_station", ("进站博士后人数", "在站博士后人数", "博士后人数"),
       "进站博士后人数", "Postdocs entering the station"),
    _n("incubators", ("科技型企业孵化器、加速器数", "科技型企业孵化器数", "孵化器、加速器数", "孵化器数"),
       "科技型企业孵化器、加速器数", "S&T enterprise incubators and accelerators"),
    Column("intl_coop_base_rating", "category", ("合作基地考核评估等级", "国际合作基地考核等级"),
           allowed=RATINGS, value_aliases=RATING_ALIASES,
           description_zh="国家级合作基地考核评估等级：优秀/良好/合格/不合格/无",
           description_en="Cooperation base evaluation: excellent, good, pass, fail or none"),
    _n("brics_projects", ("金砖创新合作项目数", "金砖项目数"),
       "获支持的金砖创新合作项目数", "BRICS innovation cooperation projects"),
    _n("intergov_projects", ("政府间国际科技创新合作项目成果转化数", "政府间合作项目数"),
       "“政府间国际科技创新合作”项目成果在厦转化数", "Intergovernmental S&T cooperation projects transferred to Xiamen"),
    _n("national_pilot_platforms", ("国家级制造业中试平台数", "中试平台数"),
       "企业自主建设的国家级制造业中试平台数", "Self-built national manufacturing pilot platforms"),
    _n("sme_innovation_projects", ("科技型中小企业创新项目数", "中小企业创新项目数"),
       "科技型中小企业创新项目数", "Technology SME innovation projects"),
    _n("scenario_projects", ("科技创新应用场景项目数", "应用场景项目数"),
       "科技创新应用场景项目数", "S&T innovation application scenario projects"),
    _b("hightech_transformation_project", ("高新技术成果转化项目", "是否有高新技术成果转化项目"),
       "是否有高新技术成果转化项目（是/否）", "Has a high-tech results transformation project (yes/no)"),
    _b("consortium_lead", ("是否创新联合体牵头单位", "联合体牵头单位"),
       "是否为创新联合体牵头单位（是/否）", "Lead unit of an innovation consortium (yes/no)"),
    _b("talent_consortium_lead", ("是否人才攻关联合体牵头单位", "人才攻关联合体牵头单位"),
       "是否为“人才攻关联合体”牵头单位（是/否）", "Lead of a talent consortium (yes/no)"),
    _n("major_projects", ("市重大科技计划项目数", "重大科技计划项目数"),
       "获立项的市重大科技计划项目数", "Approved municipal major S&T projects"),
    _n("public_platforms_new", ("新建公共技术服务平台数", "公共技术服务平台数"),
       "新策划建设的公共技术服务平台数", "New public technology service platforms"),
    Column("public_platform_rating", "category", ("公共技术服务平台绩效等级", "平台绩效等级"),
           allowed=RATINGS, value_aliases=RATING_ALIASES,
           description_zh="公共技术服务平台绩效考核等级：优秀/良好/合格/不合格/无",
           description_en="Public platform performance rating: excellent, good, pass, fail or none"),
    _b("public_platform_upgrade_need", ("平台提升改造需求", "是否有提升改造需求"),
       "平台是否有提升改造需求（是/否）", "The platform needs an upgrade (yes/no)"),
    _n("double_hundred_hires", ("双百计划特聘岗位引进人数", "双百计划引进人数"),
       "通过“双百计划”特聘岗位引进的人才数", "Talents hired on Double-Hundred posts"),
    _b("new_mechanism_recognised", ("新机制新模式获认定", "运行新机制获认定"),
       "成果转化新机制、新模式是否获认定（是/否）", "New operating mechanism recognised (yes/no)"),
    Column("consortium_evaluation", "category", ("联合体评估等级", "创新联合体评估等级"),
           allowed=("excellent", "pass", "fail", "none"), value_aliases=RATING_ALIASES,
           description_zh="创新联合体三年评估等级：优秀/合格/不合格/无",
           description_en="Consortium three-yearly evaluation: excellent, pass, fail or none"),
    _n("claim_year", ("年度", "申报年度", "年份"), "申报年度，如 2026", "Claim year, e.g. 2026"),
    # columns that only some items read (措施7's cap is per laboratory; 第十二条（八） pays the 依托单位 only;
    # 第十五条: a 省级制造业创新中心 takes no part in the evaluation, so no evaluation award)
    _n("joint_labs", ("共建联合实验室数", "联合实验室数"), "共建联合实验室个数（措施7：补助上限按每个实验室计；空白按1个）",
       "Joint laboratories built (measure 7: the cap is per laboratory; blank counts as one)"),
    _b("executive_host", ("是否常设执行机构依托单位", "常设执行机构依托单位"),
       "是否为联合体常设执行机构依托单位（是/否，第十二条（八））",
       "Hosts the consortium's standing executive body (yes/no, article 12 (8))"),
    _b("consortium_is_provincial_mfg_center", ("所牵头联合体是否省级制造业创新中心", "联合体是否省级制造业创新中心"),
       "所在（牵头）联合体是否为省级制造业创新中心（是/否，第十五条：不参加市评估）",
       "The consortium is a provincial manufacturing innovation centre (yes/no, article 15: not evaluated)"),
]  # fmt: skip

CONSORTIUM_COLUMNS: list[Column] = [
    Column("consortium_id", "id", ("联合体编号", "创新联合体编号", "联合体ID"), required=True, unique=True,
           description_zh="创新联合体唯一编号（必填，不可重复）",
           description_en="Unique consortium identifier (required, no duplicates)"),
    _t("name", ("联合体名称", "创新联合体名称", "名称"), "创新联合体名称", "Consortium name"),
    Column("jurisdiction", "category", ("所属地区", "申报地区", "地区"),
           allowed=JURISDICTIONS, value_aliases=REGION_ALIASES,
           description_zh="所属地区（适用政策）：厦门/辽阳/青岛/海南",
           description_en="Jurisdiction whose policy applies: xiamen, liaoyang, qingdao or hainan"),
    _n("enterprises", ("企业成员数", "企业数"), "成员中企业数", "Member enterprises"),
    _n("universities", ("高校数", "高校成员数"), "成员中高校数", "Member universities"),
    _n("research_institutes", ("科研院所数", "科研院所成员数"), "成员中科研院所数", "Member research institutes"),
    _n("other_units", ("其他单位数", "其他成员单位数"), "其他成员单位数", "Other member units"),
    _n("local_units", ("本地单位数", "本地成员单位数"), "注册在本地（联合体所属地）的成员单位数",
       "Members registered locally (in the consortium's own jurisdiction)"),
    # members local to a given jurisdiction, for assessing a consortium against another jurisdiction than its own
    # (calc.eligibility._local_units_here): local_units is never assumed local to another place
    _n("local_units_xiamen", ("注册在厦门的成员单位数", "厦门本地单位数"), "注册在厦门的成员单位数",
       "Members registered in Xiamen"),
    _n("local_units_liaoyang", ("注册在辽阳的成员单位数", "辽阳本地单位数"), "注册在辽阳的成员单位数",
       "Members registered in Liaoyang"),
    _n("local_units_qingdao", ("注册在青岛的成员单位数", "青岛本地单位数"), "注册在青岛的成员单位数",
       "Members registered in Qingdao"),
    _n("local_units_hainan", ("在海南注册或驻琼的成员单位数", "海南本地单位数"), "在海南注册或驻琼的成员单位数",
       "Members registered or based in Hainan"),
    _n("scale_or_hightech_enterprises", ("规上或高新技术企业数", "规上企业或高新技术企业数"),
       "成员中规模以上企业或高新技术企业数", "Member enterprises that are above-scale or high-tech"),
    Column("lead_type", "category", ("牵头单位类型",),
           allowed=("enterprise", "hospital_3a", "hospital_other", "new_rd_institution", "university",
                    "research_institute", "provincial_mfg_innovation_center", "other"),
           value_aliases=LEAD_TYPE_ALIASES,
           description_zh="牵头单位类型：企业/三甲医院/其他医院/新型研发机构/高校/科研院所/省级制造业创新中心/其他",
           description_en="Lead unit type"),
    Column("lead_region", "category", ("牵头单位注册地", "牵头单位所在地"),
           allowed=(*JURISDICTIONS, "other"), value_aliases=REGION_ALIASES,
           description_zh="牵头单位注册地：厦门/辽阳/青岛/海南/其他",
           description_en="Where the lead unit is registered"),
    _m("lead_revenue", ("牵头单位营业收入", "牵头单位当年营业收入"),
       "牵头单位当年营业收入", "Lead unit revenue, claim year"),
    _m("lead_revenue_prev", ("牵头单位上年营业收入",), "牵头单位上年营业收入", "Lead unit revenue, previous year"),
    _m("lead_revenue_prev2", ("牵头单位前年营业收入", "牵头单位上上年营业收入"),
       "牵头单位前年营业收入", "Lead unit revenue, two years before"),
    _m("lead_rd", ("牵头单位研发投入", "牵头单位研发费用", "牵头单位当年研发投入"),
       "牵头单位当年研发投入", "Lead unit R&D spending, claim year"),
    _m("lead_rd_prev", ("牵头单位上年研发投入", "牵头单位上年研发费用"),
       "牵头单位上年研发投入", "Lead unit R&D spending, previous year"),
    _m("lead_rd_prev2", ("牵头单位前年研发投入", "牵头单位前年研发费用", "牵头单位上上年研发投入"),
       "牵头单位前年研发投入", "Lead unit R&D spending, two years before"),
    _n("lead_years_operating", ("牵头单位成立年限", "牵头单位运营年限"),
       "牵头单位成立（运营）年限", "Years the lead unit has operated"),
    Column("lead_platform_level", "category", ("牵头单位平台级别", "牵头单位创新平台级别"),
           allowed=("none", "municipal", "provincial", "national"), value_aliases=PLATFORM_LEVEL_ALIASES,
           description_zh="牵头单位最高创新平台级别：无/市级/省级（含省部级）/国家级",
           description_en="Highest innovation platform level of the lead unit (provincial includes 省部级)"),
    _n("lead_rd_staff", ("牵头单位研发人员数",), "牵头单位研发人员数", "R&D staff of the lead unit"),
    _n("lead_other_consortia", ("牵头单位牵头其他联合体数", "牵头其他联合体数"),
       "牵头单位同时牵头的其他创新联合体数", "Other consortia the lead unit also leads"),
    _b("lead_high_tech", ("牵头单位是否高新技术企业", "牵头单位高新技术企业"),
       "牵头单位是否为高新技术企业（是/否）", "Lead unit is a high-tech enterprise (yes/no)"),
    _b("chief_scientist", ("是否设首席科学家", "首席科学家"), "是否设立首席科学家（是/否）",
       "Has a chief scientist (yes/no)"),
    _b("agreement_signed", ("是否签订合作协议", "签订合作协议"), "是否签订合作协议（是/否）",
       "Cooperation agreement signed (yes/no)"),
    Column("field", "text", ("领域", "所属领域", "技术领域"),
           allowed=("life_health", "seed_industry", "digital_economy", "other"), value_aliases=FIELD_ALIASES,
           description_zh="所属领域：生命健康/现代种业/数字经济/其他（其他文字原样保留）",
           description_en="Field: life_health, seed_industry, digital_economy, other (other text kept, lower-cased)"),
    _n("core_team_members", ("核心团队成员数", "核心团队人数"), "核心团队成员数（第十一条）",
       "Core team members (article 11)"),
    _n("national_level_talents", ("国家级人才数", "国家级人才人数"), "国家级人才数（第十一条）",
       "National-level talents in the team (article 11)"),
    _n("city_b_talents", ("市B类以上人才数", "B类以上人才数", "市B类人才数"), "市B类及以上人才数（第十一条）",
       "City class-B-or-above talents in the team (article 11)"),
    _b("lead_regional_medical_center", ("牵头单位是否国家区域医疗中心建设单位",),
       "牵头单位是否为国家区域医疗中心建设单位（是/否，第六条（二）1）",
       "Lead unit is a national regional medical centre under construction (yes/no, article 6 (2) 1)"),
    _b("lead_is_provincial_mfg_center", ("牵头单位是否省级制造业创新中心",),
       "牵头单位是否为省级制造业创新中心（是/否）", "Lead unit is a provincial manufacturing innovation centre"),
]  # fmt: skip

TABLES: dict[str, list[Column]] = {"enterprises": ENTERPRISE_COLUMNS, "consortia": CONSORTIUM_COLUMNS}


# =========================================================================== results


@dataclass
class ParsedInput:
    """Result of loading a table.

    frame: good rows only, canonical column names (every schema column present),
        original index kept, plus ``input_row`` (1-based data row in the user's
        table) and unknown columns carried through as given.
    errors: one line per bad cell: input_row, id, column (the user's header),
        value (raw cell as text), message.
    unknown_columns: user header -> closest known column name (or None).
    """

    frame: pd.DataFrame
    errors: pd.DataFrame
    unknown_columns: dict[str, str | None]
    table: str = ""
    column_map: dict[str, str] = field(default_factory=dict)  # user header -> canonical name
    units: dict[str, str] = field(default_factory=dict)  # canonical money column -> unit of bare numbers

    @property
    def bad_row_count(self) -> int:
        return int(self.errors["input_row"].nunique()) if len(self.errors) else 0

    @property
    def ok(self) -> bool:
        return not len(self.errors)


def unknown_column_warnings(unknown_columns: dict[str, str | None]) -> list[str]:
    """A warning line for each header the schema does not know, with the nearest known column when there is one
    (the command line prints them, in one process or on Dask)."""
    return [f"warning: unknown column {header!r} carried through untouched"
            + (f" (did you mean {suggestion!r}?)" if suggestion else "")
            for header, suggestion in unknown_columns.items()]


# =========================================================================== header matching


def _key(text: str) -> str:
    """Header comparison key: NFKC, case-folded, without spaces, '_' and '-'."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(text)).casefold())


_HEADER_UNIT_RE = re.compile(r"^(?P<base>.+?)[(\[](?:单位[:：]?)?(?P<unit>[^()\[\]]+)[)\]]$")
_HEADER_SUFFIX_RE = re.compile(r"^(?P<base>.+?)[_\s\-](?P<unit>yuan|wan|yi)$")
_MONEY_UNITS = {"元": "yuan", "圆": "yuan", "yuan": "yuan", "rmb": "yuan", "cny": "yuan",
                "万元": "wan", "万": "wan", "wan": "wan", "亿元": "yi", "亿": "yi", "yi": "yi"}  # fmt: skip
_COUNT_UNITS = {"个", "人", "名", "家", "项", "年", "所", "位", "次", "件"}
_RATIO_UNITS = {"%": "percent", "百分比": "percent"}


def _header_index(columns: list[Column]) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for col in columns:
        for spelling in (col.name, *col.aliases, *col.zh_aliases):
            k = _key(spelling)
            other = index.get(k)
            if other is not None and other.name != col.name:
                raise AssertionError(f"header alias {spelling!r} used by {other.name} and {col.name}")
            index[k] = col
    return index


_HEADER_INDEX = {table: _header_index(cols) for table, cols in TABLES.items()}


def _match_header(header: str, table: str, strict: bool = True) -> tuple[Column | None, str | None]:
    """Return (column, unit) for a user header; unit is a money unit, 'percent' or None.

    A header naming a known column with a unit that column cannot take (``研发费用(千元)``, ``企业数(万元)``) is
    an :class:`InputError` (when ``strict``): read as an unknown column it would silently leave every value out.
    """
    index = _HEADER_INDEX[table]
    norm = unicodedata.normalize("NFKC", str(header)).strip().casefold()
    if _key(norm) in index:
        return index[_key(norm)], None
    for pattern in (_HEADER_UNIT_RE, _HEADER_SUFFIX_RE):
        m = pattern.match(norm)
        if not m:
            continue
        col = index.get(_key(m.group("base")))
        if col is None:
            continue
        unit_text = re.sub(r"\s+", "", m.group("unit"))
        if col.kind == "money" and unit_text in _MONEY_UNITS:
            return col, _MONEY_UNITS[unit_text]
        if col.kind == "ratio" and unit_text in _RATIO_UNITS:
            return col, "percent"
        if col.kind in ("count", "bool", "text", "category", "id", "date") and unit_text in _COUNT_UNITS:
            return col, None
        looks_like_unit = unit_text in _MONEY_UNITS or unit_text in _RATIO_UNITS or col.kind in ("money", "count", "ratio")
        if strict and looks_like_unit:
            takes = {"money": "元, 万元 or 亿元 (yuan, wan, yi)", "count": "a count word such as 个, 家, 人, 项",
                     "ratio": "%"}.get(col.kind, "no unit")
            raise InputError(
                f"column header {shown(str(header))}: {shown(m.group('unit'))} is not a unit of '{col.name}' "
                f"({col.label_zh}), which takes {takes}; rename the header (e.g. '{col.label_zh}') or convert the values"
            )
    return None, None


def _suggest(header: str, table: str) -> str | None:
    index = _HEADER_INDEX[table]
    k = _key(header)
    m = _HEADER_UNIT_RE.match(unicodedata.normalize("NFKC", str(header)).strip().casefold())
    candidates = [k] + ([_key(m.group("base"))] if m else [])
    best: tuple[float, str] | None = None
    for cand in candidates:
        for match in difflib.get_close_matches(cand, list(index), n=1, cutoff=0.6):
            score = difflib.SequenceMatcher(None, cand, match).ratio()
            if best is None or score > best[0]:
                best = (score, index[match].name)
    return best[1] if best else None


# =========================================================================== cell parsers
#
# Every parser takes a Series and returns (values, errors, missing):
#   values  - an ExtensionArray / ndarray of the stored dtype (NA where missing or bad)
#   errors  - object ndarray of message fragments (None where fine)
#   missing - bool ndarray (cell is empty)

_MISSING = object()


#: Tables of at least this many rows have their columns parsed in threads (at most _MAX_THREADS, one per core).
THREADS_FROM_ROWS = 100_000
_MAX_THREADS = 4

RAW_VALUE_CHARS = 200  # a bad value is echoed in the errors' `value` column up to this many characters


def _raw_value(v: Any) -> str:
    """A raw cell as the errors' ``value`` column shows it: escaped, and cut with its length said if long."""
    return cut(_raw_text(v), RAW_VALUE_CHARS)


def _raw_text(v: Any) -> str:
    """A raw cell as text ("" when missing)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return _num_text(v)


def _map_uniques(
    series: pd.Series, func: Callable[[Any], Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``func`` once per distinct non-NA value.

    ``func`` returns the parsed value, ``_MISSING`` for a blank cell, or raises
    ``ValueError`` whose message becomes the error.  Returns (results object
    array, errors object array, missing bool array).  An arrow-backed text
    column is made distinct by arrow (``dictionary_encode``), without a Python
    object per cell.
    """
    arr = arrow_text(series, convert=False)
    if arr is not None:
        idx, u_res, u_err, u_miss = _arrow_uniques(arr, func)
        return u_res[idx], u_err[idx], u_miss[idx]
    return _map_values(series.to_numpy(dtype=object), func)


def _apply_uniques(uniques: Any, func: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``func`` over distinct values: (results, errors, missing), each with one more entry (missing) at the end."""
    u_res = np.full(len(uniques) + 1, None, dtype=object)
    u_err = np.full(len(uniques) + 1, None, dtype=object)
    u_miss = np.zeros(len(uniques) + 1, dtype=bool)
    u_miss[-1] = True
    for j, v in enumerate(uniques):
        if isinstance(v, str) and not v.strip():
            u_miss[j] = True
            continue
        try:
            r = func(v)
        except ValueError as exc:
            u_err[j] = str(exc)
            continue
        if r is _MISSING:
            u_miss[j] = True
        else:
            u_res[j] = r
    return u_res, u_err, u_miss


def _arrow_uniques(arr: Any, func: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(index of each cell's distinct value, -1 where null; and ``_apply_uniques`` of the distinct values)."""
    pc = _pa()[1]
    encoded = pc.dictionary_encode(arr)
    idx = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    u_res, u_err, u_miss = _apply_uniques(encoded.dictionary.to_pylist(), func)
    return idx, u_res, u_err, u_miss


def _map_values(values: np.ndarray, func: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_map_uniques` over an object array of cells."""
    n = len(values)
    missing = np.asarray(pd.isna(values), dtype=bool) if n else np.zeros(0, dtype=bool)
    results = np.full(n, None, dtype=object)
    errs = np.full(n, None, dtype=object)
    idx = np.flatnonzero(~missing)
    if not len(idx):
        return results, errs, missing
    sub = values[idx]
    if pd.api.types.infer_dtype(sub, skipna=False) in ("string", "empty"):
        is_bool = np.zeros(len(sub), dtype=bool)
    else:
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in sub), dtype=bool, count=len(sub))
    for group in (np.flatnonzero(~is_bool), np.flatnonzero(is_bool)):
        if not len(group):
            continue
        codes, uniques, cell_errs = factorize_cells(sub[group])
        # the last entry is code -1: a cell that is not a single value (a list, a dict)
        u_res, u_err, u_miss = _apply_uniques(uniques, func)
        u_miss[-1] = False
        pos = idx[group]
        results[pos] = u_res[codes]
        errs[pos] = np.where(codes < 0, cell_errs, u_err[codes])
        missing[pos] = u_miss[codes]
    return results, errs, missing


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip()


def _num_text(v: Any) -> str:
    """Text of a number cell (Excel gives ints/floats for codes like 350200)."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        d = _float_to_decimal(v)
        if not d.is_finite():
            return str(float(v))  # inf, -inf, nan
        return str(int(d)) if d == d.to_integral_value() else str(d)
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    return str(v)


def _strings(results: np.ndarray, ok: np.ndarray) -> Any:
    """A ``string`` column (arrow-backed, ``<NA>`` where missing) of ``results`` where ``ok``."""
    pa = _pa()[0]
    out = np.full(len(results), None, dtype=object)
    out[ok] = results[ok]
    return pd.arrays.ArrowStringArray(pa.array(out, type=pa.large_string(), from_pandas=True))


def _text_problem(text: str, max_chars: int, identifier: bool) -> str | None:
    """Why a text cell cannot be kept (too long; a control character in an identifier), or None."""
    if len(text) > max_chars:
        return f"the cell holds {len(text):,} characters (at most {max_chars:,}); shorten it"
    if identifier:
        control = has_control(text)
        if control:
            return (f"{shown(text)} contains a control character ({control}); an identifier must be plain text "
                    "without control characters")
    return None


# =========================================================================== column speed
#
# Text columns arrive as arrow strings (pandas' ``str`` dtype, a CSV, Parquet): the helpers below work on the arrow
# array itself.  Each accepts only the cells whose reading is certain (printable ASCII ids, text without white
# space at either end, plain digits) and hands every other cell to the per-value reference above, once per
# distinct value, so values and messages are the reference's.

#: Every character ``str.strip()`` removes (``str.isspace``), as an RE2 class; tests check it against Python.
_PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
             "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_RE2_SPACE = "".join(f"\\x{{{ord(c):x}}}" for c in _PY_SPACE)
#: A text cell that ``strip()`` leaves as it is, and not empty.
_UNSTRIPPED_RE = f"(?s)^[^{_RE2_SPACE}](?:.*[^{_RE2_SPACE}])?$"
#: An identifier of printable ASCII and CJK unified ideographs (U+4E00–U+9FFF, none of which NFKC changes or
#: composes), no space at either end: the per-value reader (NFKC, strip, no control character) keeps it as it is.
_CJK_ID_RE = r"^[\x21-\x7e\x{4e00}-\x{9fff}](?:[\x20-\x7e\x{4e00}-\x{9fff}]*[\x21-\x7e\x{4e00}-\x{9fff}])?$"
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[ord(c) for c in _PY_SPACE if ord(c) < 0x80]] = True


def _pa_take_pylist(arr: Any, positions: np.ndarray) -> np.ndarray:
    """The cells of ``arr`` at ``positions`` as an object array of Python values (None for null)."""
    pa = _pa()[0]
    out = np.empty(len(positions), dtype=object)
    out[:] = arr.take(pa.array(positions, type=pa.int64())).to_pylist()
    return out


def _null_mask(arr: Any) -> np.ndarray:
    return arr.is_null().to_numpy(zero_copy_only=False)


def _plain_text(arr: Any, identifier: bool, max_chars: int) -> np.ndarray:
    """Cells ``strip()`` (and, for an identifier, NFKC) leaves unchanged, not empty, short enough, and (for an
    identifier) printable ASCII: kept as they are, no Python needed."""
    pa, pc = _pa()
    n = len(arr)
    starts, ends = _offsets(arr)
    nbytes = ends - starts
    ok = ~_null_mask(arr) & (nbytes > 0) & (nbytes <= max_chars)
    if not ok.any():
        return ok
    data = _data(arr)
    first = data[np.where(ok, starts, 0)]
    last = data[np.where(ok, ends - 1, 0)]
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), False).to_numpy(zero_copy_only=False)
    if identifier:
        # printable ASCII only: no control character (C0, DEL), no space at either end
        plain = ok & ascii_ & (first > 0x20) & (first < 0x7F) & (last > 0x20) & (last < 0x7F)
        control = (data < 0x20) | (data == 0x7F)
        if control.any():
            plain &= ~_rows_with(control, starts, ends)
        wide = ok & ~ascii_
        if wide.any():  # printable ASCII and CJK unified ideographs (厦门001): NFKC and strip leave them as they are
            idx = np.flatnonzero(wide)
            sub = arr.take(pa.array(idx, type=pa.int64()))
            plain[idx] = pc.fill_null(pc.match_substring_regex(sub, _CJK_ID_RE), False).to_numpy(zero_copy_only=False)
        return plain
    a = ok & ascii_
    a &= ~_ASCII_SPACE[first] & ~_ASCII_SPACE[last]
    wide = ok & ~ascii_
    if wide.any():
        idx = np.flatnonzero(wide)
        sub = arr.take(pa.array(idx, type=pa.int64()))
        wide[idx] = pc.fill_null(pc.match_substring_regex(sub, _UNSTRIPPED_RE), False).to_numpy(zero_copy_only=False)
    return a | wide


def _rows_with(byte_mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Rows whose bytes [start, end) include one marked in ``byte_mask``."""
    count = np.concatenate(([0], np.cumsum(byte_mask, dtype=np.int64)))
    return count[ends] > count[starts]


def _arrow_strings(arr: Any, identifier: bool, max_chars: int,
                   one: Callable[[Any], Any]) -> tuple[Any, np.ndarray, np.ndarray]:
    """An id or text column from arrow: plain cells kept as they are (no copy), the rest read by ``one`` once per
    distinct value (as :func:`_map_uniques` would)."""
    pa, pc = _pa()
    n = len(arr)
    plain = _plain_text(arr, identifier, max_chars)
    null = _null_mask(arr)
    missing = null.copy()
    rest = np.flatnonzero(~plain & ~null)
    out = arr
    errs = np.full(n, None, dtype=object) if len(rest) else no_errors(n)
    if len(rest):
        res, e, miss = _map_values(_pa_take_pylist(arr, rest), one)
        errs[rest] = e
        missing[rest] = miss
        keep = np.equal(e, None) & ~miss
        mask = np.zeros(n, dtype=bool)
        mask[rest] = True
        replacement = pa.array(np.where(keep, res, None), type=arr.type, from_pandas=True)
        out = pc.replace_with_mask(arr, pa.array(mask), replacement)
    return pd.arrays.ArrowStringArray(out), errs, missing


def _maybe_duplicates(values: Any, keep: np.ndarray) -> bool:
    """Whether the cells of an arrow-backed string column where ``keep`` may hold a value twice.

    Each cell's bytes are read eight at a time as unsigned words (of its first 64 bytes) and mixed with its length
    into one uint64: a cell of at most 8 bytes is its own key exactly, a longer one a hash.  Distinct keys prove
    the values distinct; equal keys (a duplicate, a collision, a long shared prefix) send the caller to the exact
    check.  Vectorised: one gather per eight bytes of the longest cell.
    """
    pa = _pa()[0]
    arr = pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_large_string(arr.type) or pa.types.is_string(arr.type)):
        arr = arr.cast(pa.large_string())
    keep = keep & ~_null_mask(arr)
    if _strictly_increasing(arr, keep):
        return False
    starts, ends = _offsets(arr)
    starts, lengths = starts[keep], (ends - starts)[keep]
    if len(lengths) < 2:
        return False
    data = _data(arr)
    lo = int(starts.min())
    padded = np.zeros(int(ends[keep].max()) - lo + 8, dtype=np.uint8)
    padded[: len(padded) - 8] = data[lo: lo + len(padded) - 8]
    words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))  # a word at every byte
    at = starts - lo
    key = lengths.astype(np.uint64)
    with np.errstate(over="ignore"):
        for k in range((min(int(lengths.max()), 64) + 7) // 8):
            word = words[np.minimum(at + 8 * k, len(words) - 1)]
            bits = np.clip(lengths - 8 * k, 0, 8).astype(np.uint64) * np.uint64(8)
            mask = np.where(bits >= 64, np.uint64(0xFFFFFFFFFFFFFFFF),
                            (np.uint64(1) << np.minimum(bits, np.uint64(63))) - np.uint64(1))
            key = (key ^ (word & mask)) * np.uint64(0x9E3779B97F4A7C15)
    if len(key) > 100_000:  # only keys that share a bucket of their top bits can be equal: a hash table for those
        bits = min(24, max(16, int(len(key) * 4).bit_length()))
        bucket = (key >> np.uint64(64 - bits)).astype(np.intp)
        key = key[np.bincount(bucket, minlength=1 << bits)[bucket] > 1]
    return bool(pd.Series(key).duplicated().any())


def _strictly_increasing(arr: Any, keep: np.ndarray) -> bool:
    """Whether the cells of ``arr`` where ``keep`` are in strictly increasing order by (length, bytes): then no two
    are equal.  A table numbered in order (E1, E2, … E10, …; 0001, 0002, …) is proved distinct by comparing
    neighbours (arrow's comparison, no copy, no hashing)."""
    pa, pc = _pa()
    sub = arr if keep.all() else arr.filter(pa.array(keep))
    m = len(sub)
    if m < 2:
        return True
    starts, ends = _offsets(sub)
    longer = np.diff(ends - starts)
    if (longer < 0).any():
        return False
    later = pc.fill_null(pc.greater(sub.slice(1), sub.slice(0, m - 1)), False).to_numpy(zero_copy_only=False)
    return bool(((longer > 0) | later).all())


def _parse_id(series: pd.Series, col: Column, unit: str | None,
              max_chars: int = DEFAULT.max_cell_chars) -> tuple[Any, np.ndarray, np.ndarray]:
    n = len(series)
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        pa = _pa()[0]
        missing = series.isna().to_numpy()
        text = pa.Array.from_pandas(series).cast(pa.large_string())  # str(int), at arrow speed
        return pd.arrays.ArrowStringArray(text), no_errors(n), missing

    def one(v: Any) -> Any:
        if isinstance(v, (bool, np.bool_)):
            raise ValueError(f"{shown(v)} is a yes/no value, not an identifier")
        if isinstance(v, str):
            t = _nfkc(v)
        elif isinstance(v, (float, np.floating)) and not float(v).is_integer():
            raise ValueError(f"{shown(_raw_text(v))} is not usable as an identifier (write it as text)")
        else:
            t = _num_text(v)
        problem = _text_problem(t, max_chars, identifier=True)
        if problem:
            raise ValueError(problem)
        return t if t else _MISSING

    arr = arrow_text(series)
    if arr is not None:
        return _arrow_strings(arr, True, max_chars, one)
    res, errs, missing = _map_uniques(series, one)
    ok = ~missing & np.equal(errs, None)
    return _strings(res, ok), errs, missing


def _parse_text(series: pd.Series, col: Column, unit: str | None,
                max_chars: int = DEFAULT.max_cell_chars) -> tuple[Any, np.ndarray, np.ndarray]:
    aliases = {_key(k): v for k, v in col.value_aliases.items()}
    for v in col.allowed:
        aliases.setdefault(_key(v), v)

    def one(v: Any) -> Any:
        t = v.strip() if isinstance(v, str) else _num_text(v)
        if not t:
            return _MISSING
        problem = _text_problem(t, max_chars, identifier=False)
        if problem:
            raise ValueError(problem)
        if col.value_aliases:
            k = _key(t)
            return aliases.get(k, unicodedata.normalize("NFKC", t).strip().casefold())
        return t

    if not col.value_aliases:
        arr = arrow_text(series)
        if arr is not None:
            return _arrow_strings(arr, False, max_chars, one)
    res, errs, missing = _map_uniques(series, one)
    ok = ~missing & np.equal(errs, None)
    return _strings(res, ok), errs, missing


def _parse_category(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    aliases = {_key(k): v for k, v in col.value_aliases.items() if v in col.allowed}
    for v in col.allowed:
        aliases[_key(v)] = v
    first_zh: dict[str, str] = {}
    for k, v in col.value_aliases.items():
        if not k.isascii():
            first_zh.setdefault(v, k)
    allowed_text = ", ".join(f"{v} ({first_zh[v]})" if v in first_zh else v for v in col.allowed)

    def one(v: Any) -> Any:
        t = v if isinstance(v, str) else _num_text(v)
        if not t.strip():
            return _MISSING
        found = aliases.get(_key(t))
        if found is None:
            raise ValueError(f"{shown(t)} is not one of the allowed values: {allowed_text}")
        return found

    arr = arrow_text(series, convert=False)
    if arr is not None:  # codes straight from the distinct values: no Python object per cell
        idx, u_res, u_err, u_miss = _arrow_uniques(arr, one)
        position = {v: i for i, v in enumerate(col.allowed)}
        u_code = np.array([position.get(r, -1) if r is not None else -1 for r in u_res], dtype=np.int8)
        codes = u_code[idx]
        return pd.Categorical.from_codes(codes, categories=list(col.allowed)), u_err[idx], u_miss[idx]
    res, errs, missing = _map_uniques(series, one)
    ok = ~missing & np.equal(errs, None)
    # a Categorical over the allowed values: rules compare integer codes, not strings
    return pd.Categorical(np.where(ok, res, None), categories=list(col.allowed)), errs, missing


def _parse_money_cells(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    fen, valid, errs = _parse_money_array(series, unit or "yuan")
    missing = ~valid if errs is no_errors(len(series)) else ~valid & np.equal(errs, None)
    return pd.arrays.IntegerArray(fen, ~valid), errs, missing


_COUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?$", re.ASCII)
_COUNT_SUFFIX_RE = re.compile(r"[个人名家项年所位次件]$")


def _count_value(v: Any) -> int:
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{shown(v)} is a yes/no value, not a count")
    if isinstance(v, (int, np.integer)):
        n = int(v)
    elif isinstance(v, (float, np.floating, Decimal)):
        d = _float_to_decimal(v) if not isinstance(v, Decimal) else v
        if not d.is_finite() or d != d.to_integral_value():
            raise ValueError(f"{shown(_raw_text(v))} is not a whole number")
        n = int(d)
    elif isinstance(v, str):
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", v))
        t = _COUNT_SUFFIX_RE.sub("", t)
        if t.startswith(("-", "\u2212")) and _COUNT_RE.match(t[1:]):
            raise ValueError(f"{shown(v)} is negative; a count must be zero or more")
        if not _COUNT_RE.match(t):
            if re.fullmatch(r"[0-9,]*\.[0-9]+", t):
                raise ValueError(f"{shown(v)} is not a whole number")
            raise ValueError(f"cannot read {shown(v)} as a whole number (expected e.g. 3 or 2026)")
        n = int(Decimal(t.replace(",", "")))
    else:
        raise ValueError(f"cannot read {shown(_raw_text(v))} ({type(v).__name__}) as a whole number")
    if n < 0:
        raise ValueError(f"{shown(_raw_text(v))} is negative; a count must be zero or more")
    if n > MAX_COUNT:
        raise ValueError(f"{shown(_raw_text(v))} is too large for a count (at most {MAX_COUNT:,})")
    return n


def _parse_count(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    n = len(series)
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            raw_u = series.to_numpy(dtype=np.uint64, na_value=0)
            too_large = raw_u > np.uint64(MAX_COUNT)
            raw = np.where(too_large, 0, raw_u).astype(np.int64)
            negative = np.zeros(n, dtype=bool)
        else:
            raw = np.array(series.to_numpy(dtype=np.int64, na_value=0))  # a copy: the frame never shares the input's
            negative, too_large = raw < 0, raw > MAX_COUNT
        bad = (negative | too_large) & ~missing
        errs = np.full(n, None, dtype=object) if bad.any() else no_errors(n)
        for i in np.flatnonzero(bad):
            errs[i] = (f"'{series.iloc[i]}' is negative; a count must be zero or more" if negative[i] else
                       f"'{series.iloc[i]}' is too large for a count (at most {MAX_COUNT:,})")
        return pd.arrays.IntegerArray(raw, missing | bad), errs, missing
    vals = np.zeros(n, dtype=np.int64)
    fast = np.zeros(n, dtype=bool)  # cells read without Python: whole floats, plain digits
    missing = np.zeros(n, dtype=bool)
    if pd.api.types.is_float_dtype(dtype):  # read through float64, as the reference reads each float
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        with np.errstate(invalid="ignore"):
            fast = ~missing & (x >= 0) & (x <= MAX_COUNT) & (np.floor(x) == x)
        vals[fast] = x[fast].astype(np.int64)
    else:
        arr = arrow_text(series)
        if arr is not None:
            starts, ends = _offsets(arr)
            missing = _null_mask(arr)
            fast = ~missing & (ends - starts <= 7) & _pa()[1].fill_null(_pa()[1].ascii_is_decimal(arr), False).to_numpy(
                zero_copy_only=False)
            vals = _substring_ints(arr, starts, ends, fast, strip_commas=False)
            fast &= vals <= MAX_COUNT
        else:
            res, errs, missing = _map_uniques(series, _count_value)
            ok = ~missing & np.equal(errs, None)
            if ok.any():
                vals[ok] = res[ok].astype(np.int64)
            return pd.arrays.IntegerArray(vals, ~ok), errs, missing
    # every other cell: the reference, once per distinct value (its value or its message)
    errs = np.full(n, None, dtype=object)
    rest = np.flatnonzero(~fast & ~missing)
    ok = fast.copy()
    if len(rest):
        res, e, miss = _map_values(series.iloc[rest].to_numpy(dtype=object), _count_value)
        errs[rest] = e
        missing[rest] = miss
        good = np.equal(e, None) & ~miss
        vals[rest[good]] = res[good].astype(np.int64)
        ok[rest[good]] = True
    return pd.arrays.IntegerArray(np.where(ok, vals, 0), ~ok), errs, missing


_TRUE = {"true", "t", "yes", "y", "1", "是", "√", "✓", "✔", "对", "有"}
_FALSE = {"false", "f", "no", "n", "0", "否", "×", "✗", "✘", "无"}


def parse_bool(v: Any) -> bool:
    """Read a yes/no cell: true/false/1/0/yes/no/是/否/Y/N/√/× (any case); ValueError otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float, np.floating, Decimal)) and v in (0, 1):
        return bool(v == 1)
    if isinstance(v, str):
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)).casefold()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
    raise ValueError(f"cannot read {shown(_raw_text(v))} as yes/no (expected 是/否, yes/no, true/false, 1/0, √/×)")


def _parse_bool(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    n = len(series)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        vals = np.array(series.to_numpy(dtype=bool, na_value=False))  # a copy: the frame never shares the input's
        return pd.arrays.BooleanArray(vals, missing), no_errors(n), missing
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):  # 0 and 1 read at once; any other number gets the reference's message
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        ok = (x == 0) | (x == 1)
        errs = np.full(n, None, dtype=object)
        rest = np.flatnonzero(~ok & ~missing)
        if len(rest):
            _, errs[rest], _ = _map_values(series.iloc[rest].to_numpy(dtype=object), parse_bool)
        return pd.arrays.BooleanArray(x == 1, ~ok), errs, missing
    arr = arrow_text(series, convert=False)
    if arr is not None:
        idx, u_res, u_err, u_miss = _arrow_uniques(arr, parse_bool)
        u_val = np.array([r is True for r in u_res], dtype=bool)
        u_ok = np.equal(u_err, None) & ~u_miss
        return pd.arrays.BooleanArray(u_val[idx], ~u_ok[idx]), u_err[idx], u_miss[idx]
    res, errs, missing = _map_uniques(series, parse_bool)
    ok = ~missing & np.equal(errs, None)
    vals = np.zeros(n, dtype=bool)
    if ok.any():
        vals[ok] = res[ok].astype(bool)
    return pd.arrays.BooleanArray(vals, ~ok), errs, missing


def _ratio_value(v: Any, percent: bool) -> Decimal:
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{shown(v)} is a yes/no value, not a ratio")
    if isinstance(v, str):
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", v))
        is_pct = t.endswith("%")
        try:
            d = parse_decimal(t[:-1] if is_pct else t)
        except ValueError:
            raise ValueError(f"cannot read {shown(v)} as a ratio (expected e.g. 20% or 0.2)") from None
        if is_pct or percent:
            d = d.scaleb(-2)
    else:
        try:
            d = parse_decimal(v)
        except ValueError:
            raise ValueError(f"cannot read {shown(_raw_text(v))} as a ratio (expected e.g. 20% or 0.2)") from None
        if percent:
            d = d.scaleb(-2)
    if d < 0:
        raise ValueError(f"{shown(_raw_text(v))} is negative; a ratio must be zero or more")
    return d


def _parse_ratio(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    percent = unit == "percent"
    res, errs, missing = _map_uniques(series, lambda v: _ratio_value(v, percent))
    ok = ~missing & np.equal(errs, None)
    out = np.full(len(series), pd.NA, dtype=object)
    out[ok] = res[ok]
    return out, errs, missing


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _date_value(v: Any) -> pd.Timestamp:
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        return pd.Timestamp(v)
    if isinstance(v, str):
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", v))
        for fmt in _DATE_FORMATS:
            try:
                return pd.Timestamp(_dt.datetime.strptime(t, fmt))
            except ValueError:
                continue
    raise ValueError(f"cannot read {shown(_raw_text(v))} as a date (expected e.g. 2026-03-31 or 2026年3月31日)")


def _parse_date(series: pd.Series, col: Column, unit: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    res, errs, missing = _map_uniques(series, _date_value)
    ok = ~missing & np.equal(errs, None)
    out = np.full(len(series), pd.NaT, dtype=object)
    out[ok] = res[ok]
    return pd.to_datetime(pd.Series(out, dtype=object)).to_numpy(dtype="datetime64[ns]"), errs, missing


_PARSERS: dict[str, Callable[..., tuple[Any, np.ndarray, np.ndarray]]] = {
    "id": _parse_id,
    "text": _parse_text,
    "category": _parse_category,
    "money": _parse_money_cells,
    "count": _parse_count,
    "bool": _parse_bool,
    "ratio": _parse_ratio,
    "date": _parse_date,
}

def _empty_column(kind: str, n: int) -> Any:
    """An all-missing column of the stored dtype for ``kind``."""
    if kind == "ratio":
        return np.full(n, pd.NA, dtype=object)
    if kind == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind in ("money", "count"):
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if kind == "bool":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    pa = _pa()[0]
    return pd.arrays.ArrowStringArray(pa.nulls(n, pa.large_string()))


# =========================================================================== reading sources


def _read_source(source: Any, sheet: Any, table: str, limits: Limits) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Return (raw frame, input_row numbers, description of the source)."""
    if isinstance(source, pd.DataFrame):
        if source.attrs.get(PARSED_ATTR):
            raise InputError(
                "this DataFrame is the output of a loader (money already in fen); "
                "pass the original table instead of ParsedInput.frame"
            )
        if sheet is not None:
            raise InputError("sheet= only applies to .xlsx files")
        names = [str(c) for c in source.columns]
        if len(set(names)) < len(names):
            dups = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"the table has duplicate column names: {', '.join(map(shown, dups))}")
        frame = source.copy(deep=False)
        frame.columns = names
        described = "DataFrame"
    elif isinstance(source, Mapping):
        if sheet is not None:
            raise InputError("sheet= only applies to .xlsx files")
        try:
            frame = pd.DataFrame(dict(source))
        except (ValueError, TypeError) as exc:
            raise InputError(f"cannot build a table from the dict: {escape_controls(str(exc))}") from None
        frame.columns = [str(c) for c in frame.columns]
        described = "dict"
    elif isinstance(source, (str, Path)):
        id_col = next(c for c in TABLES[table] if c.kind == "id" and c.required)

        def has_id_column(headers: Any) -> bool:
            return any(_match_header(h, table, strict=False)[0] is id_col for h in headers)

        frame, described = read_table_file(source, sheet=sheet, limits=limits, prefer=has_id_column,
                                           sheet_names=(table,))
    else:
        raise InputError(
            f"cannot read a table from {type(source).__name__}: pass a DataFrame, a dict of lists, "
            "or the path of a .csv or .xlsx file"
        )
    if len(frame) > limits.max_rows:
        raise LimitError(f"{described} has {len(frame):,} rows, above the limit of {limits.max_rows:,} "
                         "(raise it with limits=Limits(max_rows=…) or --limit rows=…)", "rows", len(frame),
                         limits.max_rows)
    if len(frame) * len(frame.columns) > limits.max_cells:
        raise LimitError(f"{described} has {len(frame) * len(frame.columns):,} cells, above the limit of "
                         f"{limits.max_cells:,} (raise it with limits=Limits(max_cells=…) or --limit cells=…)", "cells",
                         len(frame) * len(frame.columns), limits.max_cells)
    if len(frame.columns) > limits.max_columns:
        raise LimitError(f"{described} has {len(frame.columns):,} columns, above the limit of {limits.max_columns:,} "
                         "(raise it with limits=Limits(max_columns=…) or --limit columns=…)", "columns",
                         len(frame.columns), limits.max_columns)
    return frame, np.arange(1, len(frame) + 1, dtype=np.int64), described


def _cell_present(v: Any) -> bool:
    if v is None or v is pd.NA:
        return False
    if isinstance(v, float) and np.isnan(v):
        return False
    if isinstance(v, str) and not v.strip():
        return False
    return True


# =========================================================================== loading


def load_table(source: Any, table: str, *, sheet: Any = None, limits: Limits = DEFAULT) -> ParsedInput:
    """Load ``table`` ("enterprises" or "consortia") from ``source``; see module docstring.

    ``limits`` bounds the file, the table and its cells (:class:`calc.limits.Limits`).
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; use one of {', '.join(TABLES)}")
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a calc.limits.Limits, got {type(limits).__name__}")
    columns = TABLES[table]
    raw, input_rows, described = _read_source(source, sheet, table, limits)
    n = len(raw)

    # ---- headers
    column_map: dict[str, str] = {}
    units: dict[str, str] = {}
    header_of: dict[str, str] = {}
    unknown: dict[str, str | None] = {}
    for header in raw.columns:
        if header == "input_row":
            unknown[header] = None
            continue
        col, unit = _match_header(header, table)
        if col is None:
            if header.startswith("(column ") and not any(_cell_present(v) for v in raw[header]):
                continue  # an empty headerless column (a trailing comma on every line)
            unknown[header] = _suggest(header, table)
            continue
        if col.name in header_of:
            raise InputError(
                f"{described}: columns {shown(header_of[col.name])} and {shown(header)} both mean "
                f"'{col.name}' ({col.label_zh}); keep only one"
            )
        header_of[col.name] = header
        column_map[header] = col.name
        if unit is not None:
            units[col.name] = unit
    for col in columns:
        if col.required and col.name not in header_of:
            found = [shown(str(c), 40) for c in raw.columns[:30]] + (["…"] if len(raw.columns) > 30 else [])
            raise InputError(
                f"{described} has no '{col.name}' column ({col.label_zh}), which is required; "
                f"found columns: {', '.join(found) or '(none)'}"
            )

    # ---- cells
    out: dict[str, Any] = {"input_row": input_rows}
    err_cols: list[tuple[str, str, np.ndarray, pd.Series]] = []  # (canonical, header, errs, raw)
    all_missing = np.ones(n, dtype=bool)

    def parse(col: Column) -> tuple[Any, np.ndarray, np.ndarray]:
        series = raw[header_of[col.name]]
        if col.kind in ("id", "text"):
            return _PARSERS[col.kind](series, col, units.get(col.name), limits.max_cell_chars)
        return _PARSERS[col.kind](series, col, units.get(col.name))

    given = [col for col in columns if col.name in header_of]
    workers = min(len(given), os.cpu_count() or 1, _MAX_THREADS)
    if n >= THREADS_FROM_ROWS and workers > 1:
        # columns are independent, and their heavy steps (arrow kernels, numpy on whole columns) release the GIL
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parsed = dict(zip((c.name for c in given), pool.map(parse, given)))
    else:
        parsed = {col.name: parse(col) for col in given}
    for col in columns:
        header = header_of.get(col.name)
        if header is None:
            out[col.name] = _empty_column(col.kind, n)
            continue
        series = raw[header]
        values, errs, missing = parsed.pop(col.name)
        out[col.name] = values
        all_missing &= missing
        if col.required:
            errs = errs.copy()
            errs[missing] = "a value is required"
        err_cols.append((col.name, header, errs, series))
    for header in unknown:
        values = raw[header].to_numpy(dtype=object)
        all_missing &= ~np.fromiter((_cell_present(v) for v in values), dtype=bool, count=n)

    frame = pd.DataFrame(out, index=raw.index, copy=False)  # every column is a new array (or immutable arrow)
    for header in unknown:
        # carried through untouched; a user column called "input_row" must not hide ours
        frame[header if header not in frame.columns else f"{header}_given"] = raw[header].array

    # ---- ids: readable value for messages, and duplicates
    id_col = next(c for c in columns if c.kind == "id" and c.required)
    ids = frame[id_col.name]
    row_errors: list[tuple[np.ndarray, str, str, np.ndarray]] = []  # (positions, canonical, header, messages)
    for col in columns:
        if col.unique and col.name in header_of:
            s = frame[col.name]
            keep = ~all_missing & s.notna().to_numpy()
            source_col = raw[header_of[col.name]]
            dup = np.zeros(n, dtype=bool)
            if pd.api.types.is_integer_dtype(source_col.dtype) and not pd.api.types.is_bool_dtype(source_col.dtype):
                keys = pd.Series(source_col.to_numpy(dtype=np.int64, na_value=0))  # str(int) is one-to-one
                dup[keep] = keys[keep].duplicated(keep="first").to_numpy()
            elif isinstance(s.array, pd.arrays.ArrowStringArray) and not _maybe_duplicates(s.array, keep):
                pass  # every kept value distinct, proved without a Python object per cell
            else:
                keys = pd.Series(s.to_numpy(dtype=object), dtype=object)
                dup[keep] = keys[keep].duplicated(keep="first").to_numpy()
            if dup.any():
                first_row = (
                    pd.Series(input_rows[keep], index=s[keep].to_numpy())
                    .groupby(level=0)
                    .first()
                )
                pos = np.flatnonzero(dup)
                vals = s.to_numpy(dtype=object)[pos]
                msgs = np.array(
                    [f"duplicate {col.name} {shown(v)} (first used in row {first_row[v]}); "
                     "only the first row is kept" for v in vals],
                    dtype=object,
                )  # fmt: skip
                row_errors.append((pos, col.name, header_of[col.name], msgs))

    row_errors.extend(_combination_errors(table, frame, header_of))

    # ---- collect errors
    ids_array = ids.array
    pieces: list[pd.DataFrame] = []
    bad = np.zeros(n, dtype=bool)
    position = {h: i for i, h in enumerate(raw.columns)}
    order = {name: position[h] for name, h in header_of.items()}
    for name, header, errs, series in err_cols:
        if errs is no_errors(n):
            continue
        mask = ~np.equal(errs, None) & ~all_missing
        if not mask.any():
            continue
        pos = np.flatnonzero(mask)
        bad[pos] = True
        raw_vals = series.to_numpy(dtype=object)[pos]
        pieces.append(_error_piece(pos, input_rows, ids_array, id_col.name, header, raw_vals, errs[pos], order[name]))
    for pos, name, header, msgs in row_errors:
        real = ~all_missing[pos]
        pos, msgs = pos[real], msgs[real]
        if not len(pos):
            continue
        bad[pos] = True
        raw_vals = raw[header].to_numpy(dtype=object)[pos]
        pieces.append(_error_piece(pos, input_rows, ids_array, id_col.name, header, raw_vals, msgs, order[name] + 0.5))
    if pieces:
        errors = pd.concat(pieces, ignore_index=True)
        errors = errors.sort_values(["input_row", "_order"], kind="stable").drop(columns="_order")
        errors = errors.reset_index(drop=True)
    else:
        errors = _empty_errors()

    keep_rows = ~bad & ~all_missing
    frame = frame[keep_rows] if not keep_rows.all() else frame
    frame.attrs[PARSED_ATTR] = table
    return ParsedInput(
        frame=frame,
        errors=errors,
        unknown_columns=unknown,
        table=table,
        column_map=column_map,
        units=units,
    )


def _empty_errors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "input_row": pd.Series([], dtype="int64"),
            "id": pd.Series([], dtype=object),
            "column": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=object),
            "message": pd.Series([], dtype=object),
        }
    )


def _error_piece(
    pos: np.ndarray,
    input_rows: np.ndarray,
    ids: Any,
    id_name: str,
    header: str,
    raw_vals: np.ndarray,
    msgs: np.ndarray,
    order: float,
) -> pd.DataFrame:
    rows = input_rows[pos]
    row_ids = [None if (v is None or v is pd.NA) else str(v) for v in ids.take(pos).to_numpy(dtype=object)]
    texts = [_raw_value(v) for v in raw_vals]
    column = shown(header)
    messages = [
        f"row {r}" + (f" ({id_name}={cut(i)})" if i is not None else "") + f", column {column}: {m}"
        for r, i, m in zip(rows, row_ids, msgs)
    ]
    return pd.DataFrame(
        {
            "input_row": rows.astype("int64"),
            "id": pd.Series(row_ids, dtype=object),
            "column": header,
            "value": pd.Series(texts, dtype=object),
            "message": pd.Series(messages, dtype=object),
            "_order": order,
        }
    )


def _ints(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=np.int64, na_value=0)


def _combination_errors(
    table: str, frame: pd.DataFrame, header_of: dict[str, str]
) -> list[tuple[np.ndarray, str, str, np.ndarray]]:
    """Row errors for impossible combinations of (individually valid) values."""
    found: list[tuple[np.ndarray, str, str, np.ndarray]] = []
    if table == "enterprises":
        # A consortium's lead unit is one of its members (牵头单位必然是联合体成员): a lead (of a consortium or of a
        # talent consortium) said explicitly not to be a member is a contradiction, not a reading to choose; paying
        # the lead's supports (第十六条, 第十一条（六）) on it would pay on an impossible row.  A lead whose
        # membership is blank is fine and left as given: membership is not derived here.
        leads = [c for c in ("consortium_lead", "talent_consortium_lead") if c in header_of]
        if "consortium_member" in header_of and leads:
            not_member = frame["consortium_member"].eq(False).fillna(False).to_numpy(dtype=bool)
            lead_of = {c: frame[c].eq(True).fillna(False).to_numpy(dtype=bool) for c in leads}
            bad = not_member & np.logical_or.reduce(list(lead_of.values()))
            if bad.any():
                pos = np.flatnonzero(bad)
                msgs = np.array(
                    [f"consortium_member is no, but {' and '.join(c for c in leads if lead_of[c][i])} "
                     f"{'is' if sum(lead_of[c][i] for c in leads) == 1 else 'are'} yes: the lead unit of a "
                     "consortium is always one of its members; correct one of them" for i in pos],
                    dtype=object,
                )
                found.append((pos, "consortium_member", header_of["consortium_member"], msgs))
        # 第十一条（六）「…的，同时作为“人才攻关联合体”」: the talent consortium is the consortium itself, so its lead is
        # the consortium's lead; a talent lead said explicitly not to be a consortium lead is a contradiction
        if "talent_consortium_lead" in header_of and "consortium_lead" in header_of:
            bad = (frame["talent_consortium_lead"].eq(True) & frame["consortium_lead"].eq(False)) \
                .fillna(False).to_numpy(dtype=bool)
            if bad.any():
                pos = np.flatnonzero(bad)
                msgs = np.full(len(pos), "consortium_lead is no, but talent_consortium_lead is yes: a talent "
                               "consortium is a recognised consortium (第十一条（六） 同时作为), led by its lead; "
                               "correct one of them", dtype=object)
                found.append((pos, "consortium_lead", header_of["consortium_lead"], msgs))
        return found
    if table != "consortia":
        return found
    members = ["enterprises", "universities", "research_institutes", "other_units"]
    total = sum(frame[c].astype("Int64") for c in members)  # <NA> when any part is unknown
    for local in ("local_units", *(f"local_units_{j}" for j in JURISDICTIONS)):
        if local not in header_of:
            continue
        over = (frame[local] > total).fillna(False).to_numpy(dtype=bool)
        if over.any():
            pos = np.flatnonzero(over)
            msgs = np.array(
                [f"{lu} local units is more than the {t} members in total "
                 "(enterprises + universities + research_institutes + other_units)"
                 for lu, t in zip(_ints(frame[local])[pos], _ints(total)[pos])],
                dtype=object,
            )  # fmt: skip
            found.append((pos, local, header_of[local], msgs))
    if "scale_or_hightech_enterprises" in header_of:
        over = (frame["scale_or_hightech_enterprises"] > frame["enterprises"]).fillna(False).to_numpy(dtype=bool)
        if over.any():
            pos = np.flatnonzero(over)
            msgs = np.array(
                [f"{s} above-scale or high-tech enterprises is more than the {e} member enterprises"
                 for s, e in zip(_ints(frame["scale_or_hightech_enterprises"])[pos],
                                 _ints(frame["enterprises"])[pos])],
                dtype=object,
            )  # fmt: skip
            found.append((pos, "scale_or_hightech_enterprises", header_of["scale_or_hightech_enterprises"], msgs))
    return found


def load_enterprises(source: Any, *, sheet: Any = None, limits: Limits = DEFAULT) -> ParsedInput:
    """Load the enterprises table (see :data:`ENTERPRISE_COLUMNS`)."""
    return load_table(source, "enterprises", sheet=sheet, limits=limits)


def load_consortia(source: Any, *, sheet: Any = None, limits: Limits = DEFAULT) -> ParsedInput:
    """Load the consortia table (see :data:`CONSORTIUM_COLUMNS`)."""
    return load_table(source, "consortia", sheet=sheet, limits=limits)


# =========================================================================== templates

_KIND_ZH = {
    "id": "编号", "text": "文字", "money": "金额", "count": "非负整数", "bool": "是/否",
    "category": "选项", "ratio": "比例", "date": "日期",
}  # fmt: skip


def _unit_text(col: Column) -> str:
    if col.kind == "money":
        return "元（表头可写“(万元)”或“(亿元)”改变单位；单元格可写 1,234.56万元、0.58亿）"
    if col.kind == "ratio":
        return "比例（20% 或 0.2）"
    return ""


def _write_table_sheets(wb: Any, table: str, first: bool) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    columns = TABLES[table]
    ws = wb.active if first else wb.create_sheet()
    ws.title = table
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.font = Font(bold=True)
        note = f"{col.label_zh}（{_KIND_ZH[col.kind]}{'，必填' if col.required else ''}）\n{col.description_zh}"
        cell.comment = Comment(note, "calc")
        ws.column_dimensions[cell.column_letter].width = max(12, len(col.name) + 2)
    ws.freeze_panes = "A2"

    info = wb.create_sheet(f"说明 {table}")
    info.append(["column", "中文名称", "其他中文表头", "kind", "类型", "unit / 单位", "required",
                 "allowed values", "说明", "description"])  # fmt: skip
    for cell in info[1]:
        cell.font = Font(bold=True)
    for col in columns:
        info.append([
            col.name, col.label_zh, "、".join(col.zh_aliases[1:]), col.kind, _KIND_ZH[col.kind],
            _unit_text(col), "yes" if col.required else "", ", ".join(col.allowed),
            col.description_zh, col.description_en,
        ])  # fmt: skip


def write_templates(path_or_dir: str | Path) -> list[Path]:
    """Write blank XLSX templates and return their paths.

    A directory (created if needed) gets ``enterprises_template.xlsx`` and
    ``consortia_template.xlsx``; a path ending in ``.xlsx`` gets one workbook
    holding both tables.  Each table sheet has one header row of English column
    names (with Chinese notes as cell comments); a "说明 <table>" sheet lists the
    Chinese names, kind, unit and description of every column.  The loaders read
    the sheet named after the table, so templates load back unchanged.
    """
    from openpyxl import Workbook

    target = Path(path_or_dir)
    written: list[Path] = []
    if target.suffix.lower() == ".xlsx":
        wb = Workbook()
        for i, table in enumerate(TABLES):
            _write_table_sheets(wb, table, first=(i == 0))
        with atomic_output(target) as tmp:
            wb.save(tmp)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        wb = Workbook()
        _write_table_sheets(wb, table, first=True)
        path = target / f"{table}_template.xlsx"
        with atomic_output(path) as tmp:
            wb.save(tmp)
        written.append(path)
    return written

