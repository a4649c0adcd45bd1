"""Words: every status, result, reason and margin in Chinese and English, in one place.

Rules return short reason keys (``"rd_not_grown"``, ``"needs:rd_expense"``); this
module turns them into sentences with the row's own numbers.  Templates name
their fields: a parameter of the item (``{threshold}``), an input column
(``{rd_expense}``), the amount (``{amount}``) or a detail the rule computed
(``{steps}``).  No number of a policy is written here: they come from the data.
"""

from __future__ import annotations

import string
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from calc.money import format_money

LANGS = ("zh", "en")
PERCENT = 100

STATUS_LABELS = {
    "granted": ("可享受", "granted"),
    "not_eligible": ("不符合", "not eligible"),
    "needs_input": ("需补充信息", "needs input"),
    "duplicate": ("就高不重复（未计入）", "duplicate (not counted)"),
    "not_in_force": ("政策不在有效期", "not in force"),
}
RESULT_LABELS = {
    "pass": ("符合", "pass"),
    "fail": ("不符合", "fail"),
    "soft_fail": ("原则上要求未达到", "soft fail (in-principle condition)"),
    "needs_input": ("需补充信息", "needs input"),
    "not_applicable": ("不适用", "not applicable"),
}
OVERALL_LABELS = {
    "eligible": ("符合条件", "eligible"),
    "eligible_with_exceptions": ("基本符合（原则上条件有例外）", "eligible with exceptions"),
    "ineligible": ("不符合条件", "ineligible"),
    "incomplete": ("信息不全", "incomplete"),
    "not_in_force": ("政策不在有效期", "not in force"),
    "not_applicable": ("不适用（未填写人才数据）", "not applicable (no talent data given)"),
}
KIND_LABELS = {
    "formula": ("按公式计算", "formula"),
    "fixed": ("定额", "fixed"),
    "ceiling": ("最高限额（择优/酌定）", "ceiling (up to)"),
    "info": ("非资金支持", "information"),
}

# input columns in words (for "needs:<column>" reasons and tables)
COLUMN_WORDS = {
    "city": ("所在城市", "city"),
    "consortium_member": ("是否创新联合体成员", "consortium membership"),
    "consortium_lead": ("是否创新联合体牵头单位", "consortium lead"),
    "talent_consortium_lead": ("是否“人才攻关联合体”牵头单位", "talent consortium lead"),
    "rd_expense": ("当年自主研发费用", "this year's R&D expense"),
    "rd_expense_prev": ("上年自主研发费用", "last year's R&D expense"),
    "national_funding": ("国家财政资金", "national fiscal funding"),
    "provincial_funding": ("省级资助资金", "provincial funding"),
    "municipal_funding": ("市级资助资金", "municipal funding"),
    "project_total_investment": ("项目总投入", "project total investment"),
    "joint_lab_investment": ("联合实验室非财政资金投入", "non-fiscal joint-lab investment"),
    "tech_transaction_paid": ("实际支付技术交易额", "technology transaction amount paid"),
    "new_national_platforms": ("新获批国家级创新平台数", "new national platforms"),
    "new_intl_coop_bases": ("新入选国家级合作基地数", "new national cooperation bases"),
    "intl_coop_base_rating": ("合作基地考核评估等级", "cooperation base rating"),
    "brics_projects": ("金砖创新合作项目数", "BRICS cooperation projects"),
    "intergov_projects": ("政府间国际合作项目成果转化数", "intergovernmental projects transferred"),
    "incubators": ("孵化器、加速器数", "incubators and accelerators"),
    "national_pilot_platforms": ("国家级制造业中试平台数", "national manufacturing pilot platforms"),
    "sme_innovation_projects": ("科技型中小企业创新项目数", "technology SME innovation projects"),
    "scenario_projects": ("应用场景项目数", "application scenario projects"),
    "hightech_transformation_project": ("高新技术成果转化项目", "high-tech transformation project"),
    "postdocs_in_station": ("进站博士后人数", "postdocs in station"),
    "major_projects": ("市重大科技计划项目数", "municipal major projects"),
    "public_platforms_new": ("新建公共技术服务平台数", "new public technology platforms"),
    "public_platform_rating": ("公共技术服务平台绩效等级", "public platform rating"),
    "public_platform_upgrade_need": ("平台提升改造需求", "platform upgrade need"),
    "double_hundred_hires": ("“双百计划”特聘岗位引进人数", "Double-Hundred hires"),
    "new_mechanism_recognised": ("新机制新模式获认定", "new mechanism recognised"),
    "consortium_evaluation": ("联合体评估等级", "consortium evaluation grade"),
    "executive_host": ("是否联合体常设执行机构依托单位", "host of the consortium's standing executive body"),
    "consortium_is_provincial_mfg_center": ("所在联合体是否省级制造业创新中心",
                                            "consortium is a provincial manufacturing innovation centre"),
    "joint_labs": ("联合实验室个数", "number of joint laboratories"),
    # consortium columns
    "enterprises": ("企业成员数", "member enterprises"),
    "universities": ("高等学校数", "universities"),
    "research_institutes": ("科研院所数", "research institutes"),
    "other_units": ("其他单位数", "other units"),
    "local_units": ("本地成员单位数", "members registered locally"),
    "local_units_here": ("在本地注册或驻本地的成员单位数", "members registered or based in the jurisdiction"),
    "local_units_hainan": ("在海南注册或驻琼的成员单位数", "members registered or based in Hainan"),
    "local_units_xiamen": ("在厦门注册的成员单位数", "members registered in Xiamen"),
    "local_units_liaoyang": ("在辽阳注册的成员单位数", "members registered in Liaoyang"),
    "local_units_qingdao": ("在青岛注册的成员单位数", "members registered in Qingdao"),
    "scale_or_hightech_enterprises": ("规上或高新技术企业数", "above-scale or high-tech enterprises"),
    "lead_type": ("牵头单位类型", "lead's type"),
    "lead_region": ("牵头单位注册地", "lead's place of registration"),
    "lead_platform_level": ("牵头单位平台级别", "lead's platform level"),
    "field": ("所属领域", "field"),
    "lead_revenue": ("牵头单位上年销售收入", "lead's revenue last year"),
    "lead_revenue_prev": ("牵头单位前年销售收入", "lead's revenue the year before"),
    "lead_revenue_prev2": ("牵头单位大前年销售收入", "lead's revenue three years ago"),
    "lead_rd": ("牵头单位上年研发投入", "lead's R&D last year"),
    "lead_rd_prev": ("牵头单位前年研发投入", "lead's R&D the year before"),
    "lead_rd_prev2": ("牵头单位大前年研发投入", "lead's R&D three years ago"),
    "lead_years_operating": ("牵头单位实际经营年数", "years the lead has operated"),
    "lead_rd_staff": ("牵头单位专职研发人员数", "lead's full-time R&D staff"),
    "lead_other_consortia": ("牵头单位另牵头的联合体数", "other consortia the lead leads"),
    "lead_regional_medical_center": ("牵头医院是否国家区域医疗中心建设单位",
                                     "lead hospital is a national regional medical centre under construction"),
    "agreement_signed": ("是否签订协议", "agreement signed"),
    "chief_scientist": ("是否设首席科学家/专家", "chief scientist appointed"),
    "core_team_members": ("核心团队成员数", "core team members"),
    "national_level_talents": ("国家级人才数", "national-level talents"),
    "city_b_talents": ("市高层次B类以上人才数", "city class-B-or-above talents"),
}
# several years' figures named at once: "近三年销售收入"
COLUMN_GROUPS = (
    (("lead_revenue", "lead_revenue_prev", "lead_revenue_prev2"), ("近三年销售收入", "the last three years' revenue")),
    (("lead_rd", "lead_rd_prev", "lead_rd_prev2"), ("近三年研发投入", "the last three years' R&D")),
)

REASONS: dict[str, tuple[str, str]] = {
    # engine
    "not_in_force": ("政策有效期为{validity}，测算日{as_of}不在有效期内",
                     "the policy is in force {validity}; {as_of} is outside"),
    "requires:xiamen": ("仅适用于厦门市企业", "applies to Xiamen enterprises only"),
    "requires:consortium_member": ("仅适用于厦门市创新联合体成员单位", "for members of a Xiamen innovation consortium only"),
    "requires:consortium_lead": ("仅适用于创新联合体牵头单位", "for the lead unit of a consortium only"),
    "requires:talent_consortium_lead": ("仅适用于“人才攻关联合体”牵头单位", "for the lead of a talent consortium only"),
    "info": ("可享受该项支持，政策未规定金额", "support without a stated amount"),
    "switched_off": ("该项在测算方案中已停用", "switched off by the reform"),
    "duplicate": ("与{won_by_source}“{won_by}”属同类支持，按{clause}只计较高者",
                  "the same support as “{won_by}” ({won_by_source}): only the higher counts under {clause}"),
    "zero_amount": ("按规定计算金额为零，不构成补助", "the computed amount is 0: not a grant"),
    "contradiction:lead_not_member": ("输入矛盾：填写为牵头单位，但“是否创新联合体成员”为否；牵头单位即成员单位，请核对",
                                      "contradictory input: a lead unit marked as not a consortium member (a lead is a "
                                      "member); please check"),
    "contradiction:talent_lead_not_member": ("输入矛盾：填写为“人才攻关联合体”牵头单位，但“是否创新联合体成员”为否，请核对",
                                             "contradictory input: a talent consortium lead marked as not a consortium "
                                             "member; please check"),
    "contradiction:talent_lead_not_lead": ("输入矛盾：“人才攻关联合体”即该创新联合体（第十一条（六）“同时作为”），其牵头单位"
                                           "应为联合体牵头单位，但“是否创新联合体牵头单位”为否，请核对",
                                           "contradictory input: the talent consortium is the consortium itself "
                                           "(第十一条（六） 同时作为), so its lead is the consortium's lead, but "
                                           "consortium lead is no; please check"),
    # generic
    "granted_per_count": ("{count}项 × 每项{unit} = {award}", "{count} × {unit} each = {award}"),
    "granted_per_count:ceiling": ("{count}项 × 每项最高{unit} = 最高{award}",
                                  "{count} × up to {unit} each = up to {award}"),
    "granted_fixed": ("符合条件：{award}", "eligible: {award}"),
    "granted_fixed:ceiling": ("符合条件：最高{award}", "eligible: up to {award}"),
    "granted_by_rating": ("按评估等级：{award}", "by rating: {award}"),
    "granted_by_rating:ceiling": ("按评估等级：最高{award}", "by rating: up to {award}"),
    "rating_below_good": ("评估等级未达到良好", "rating below good"),
    "no_project": ("无相关项目", "no such project"),
    # xiamen_consortium_2025
    "no_major_project": ("无获立项的市重大科技计划项目", "no approved municipal major project"),
    "no_new_platform": ("无新获批国家级创新平台", "no newly approved national platform"),
    "no_public_platform": ("无新建公共技术服务平台", "no new public technology platform"),
    "platform_not_excellent_or_no_need": ("平台绩效非优秀或无提升改造需求", "platform not rated excellent or no upgrade need"),
    "no_double_hundred_hire": ("未通过“双百计划”特聘岗位引进人才", "no Double-Hundred hire"),
    "no_new_mechanism": ("新机制、新模式未获认定", "no recognised new mechanism"),
    "evaluation_not_excellent": ("评估等级非“优秀”", "evaluation not excellent"),
    "no_national_funding": ("未承担获国家财政资金的国家科技重大项目", "no national project with national funding"),
    "matching_rate": ("国家财政资金{national_funding} × {rate} = {award}（按公式计算）",
                      "national funding {national_funding} × {rate} = {award} (computed by the formula)"),
    "matching_rate:ceiling": ("国家财政资金{national_funding} × {rate} = 最高{award}（“可…予以配套”按最高额理解）",
                              "national funding {national_funding} × {rate} = up to {award} (可: read as a maximum)"),
    "matching_cap_binds": ("国家财政资金{national_funding} × {rate} = {half}，超过上限，按上限{cap}",
                           "national funding {national_funding} × {rate} = {half}, above the cap: {cap}"),
    "matching_cap_binds:ceiling": ("国家财政资金{national_funding} × {rate} = {half}，超过上限，最高{cap}（“可”按最高额理解）",
                                   "national funding {national_funding} × {rate} = {half}, above the cap: up to {cap} (可: a maximum)"),
    "matching_total_investment_binds": (
        "受“国家、省、市资助金额之和不超过项目总投入”限制：{project_total_investment} − 已有资助 = {award}",
        "limited by national + provincial + municipal ≤ total investment {project_total_investment}: {award}"),
    "matching_total_investment_binds:ceiling": (
        "受“国家、省、市资助金额之和不超过项目总投入”限制：{project_total_investment} − 已有资助 = 最高{award}",
        "limited by national + provincial + municipal ≤ total investment {project_total_investment}: up to {award}"),
    "matching_no_room": ("可配套金额为零：国家、省、市资助之和已达项目总投入{project_total_investment}，或配套不足一元",
                         "nothing to match: the funding already reaches the total investment "
                         "{project_total_investment}, or the matching is below 1 yuan"),
    "not_executive_host": ("奖励给予联合体常设执行机构依托单位，本单位不是依托单位",
                           "paid to the host of the consortium's standing executive body, which this unit is not"),
    "provincial_centre_not_evaluated": ("省级制造业创新中心不参加市创新联合体评估（第十五条），不适用评估优秀奖励",
                                        "a provincial manufacturing innovation centre is not evaluated (第十五条): "
                                        "no evaluation award"),
    # xiamen_sti_measures
    "no_new_base": ("无新入选国家级合作基地", "no newly selected national cooperation base"),
    "no_incubator": ("无孵化器、加速器", "no incubator or accelerator"),
    "no_pilot_platform": ("无国家级制造业中试平台", "no national manufacturing pilot platform"),
    "no_postdoc": ("无进站博士后", "no postdoc in station"),
    "no_transformation_project": ("无高新技术成果转化项目", "no high-tech transformation project"),
    "rd_not_above_threshold": ("年度自主研发费用{rd_expense}未高于{threshold}", "R&D {rd_expense} is not above {threshold}"),
    "rd_not_grown": ("年度自主研发费用{rd_expense}未较上年{rd_expense_prev}增长",
                     "R&D {rd_expense} did not grow on last year's {rd_expense_prev}"),
    "rd_step_granted:literal": ("研发费用{rd_expense}每满{step}补{amount_per_step}：{steps}档 × {amount_per_step} = {award}",
                                "{steps} full steps of {step} in R&D {rd_expense} × {amount_per_step} = {award}"),
    "rd_step_granted:increment": ("研发费用增量{stepped}（{rd_expense_prev} → {rd_expense}）每满{step}补{amount_per_step}："
                                  "{steps}档 × {amount_per_step} = {award}",
                                  "{steps} full steps of {step} in the increase {stepped} ({rd_expense_prev} → "
                                  "{rd_expense}) × {amount_per_step} = {award}"),
    "rd_step_granted:above_threshold": ("研发费用超过{threshold}的部分{stepped}每满{step}补{amount_per_step}："
                                        "{steps}档 × {amount_per_step} = {award}",
                                        "{steps} full steps of {step} in the part above {threshold} ({stepped}) × "
                                        "{amount_per_step} = {award}"),
    "rd_step_capped": ("研发费用{rd_expense}每满{step}补{amount_per_step}：{steps}档超过上限，按上限{cap}",
                       "{steps} full steps of {step} in R&D {rd_expense} exceed the cap: {cap}"),
    "rd_not_above_bonus_threshold": ("年度自主研发费用{rd_expense}未高于{threshold}", "R&D {rd_expense} is not above {threshold}"),
    "growth_not_above_rate": ("研发费用增长率未超过{growth_rate}（上年{rd_expense_prev}，当年{rd_expense}）",
                              "R&D growth is not above {growth_rate} ({rd_expense_prev} → {rd_expense})"),
    "no_joint_lab_investment": ("无联合实验室非财政资金投入", "no non-fiscal joint-lab investment"),
    "no_tech_transaction": ("无实际支付的技术交易额", "no technology transaction paid"),
    "rate_applied": ("按比例计算：{award}", "by the rate: {award}"),
    "rate_capped": ("按比例计算超过上限，按上限：{award}", "the rate's result exceeds the cap: {award}"),
    "joint_lab_rate": ("非财政资金投入{joint_lab_investment} × {rate} = {award}",
                       "non-fiscal investment {joint_lab_investment} × {rate} = {award}"),
    "joint_lab_capped": ("非财政资金投入{joint_lab_investment} × {rate} = {uncapped}，超过上限（{labs}个实验室 × 每个最高{cap}），"
                         "按上限{award}",
                         "non-fiscal investment {joint_lab_investment} × {rate} = {uncapped}, above the cap ({labs} "
                         "lab(s) × up to {cap}): {award}"),
    "tech_rate": ("实际支付技术交易额{tech_transaction_paid} × {rate} = {award}",
                  "technology paid {tech_transaction_paid} × {rate} = {award}"),
    "tech_rate:ceiling": ("实际支付技术交易额{tech_transaction_paid} × 最高{rate} = 最高{award}",
                          "technology paid {tech_transaction_paid} × up to {rate} = up to {award}"),
    "tech_capped": ("实际支付技术交易额{tech_transaction_paid} × {rate} = {uncapped}，超过每个项目上限，按{award}",
                    "technology paid {tech_transaction_paid} × {rate} = {uncapped}, above the cap per project: {award}"),
    "tech_capped:ceiling": ("实际支付技术交易额{tech_transaction_paid} × 最高{rate} = {uncapped}，超过每个项目上限，最高{award}",
                            "technology paid {tech_transaction_paid} × up to {rate} = {uncapped}, above the cap per "
                            "project: up to {award}"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def column_words(column: str, lang: str) -> str:
    return pick(COLUMN_WORDS.get(column, (column, column)), lang)


def format_value(value: Any, unit: str, lang: str = "zh", threshold: Any = None) -> str:
    """One value in the user's terms: money as 万/亿, ratios as % (two decimals, more where needed to tell the
    value from ``threshold``), counts as plain numbers."""
    if value is None:
        return "—"
    if unit == "yuan":
        return format_money(int(value), lang)
    if unit == "ratio":
        return format_percent(value, threshold)
    if unit == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (np.integer, int)):
        return f"{int(value):,}"
    if isinstance(value, tuple):
        return "、".join(value)
    return str(value)


MAX_PERCENT_DIGITS = 12  # display precision: digits after the point a share may need
PERCENT_DECIMALS = 2  # display precision: a share's usual digits (85.71%)
DECIMAL_BASE = 10


def format_percent(value: Any, threshold: Any = None) -> str:
    """A share as a percentage: exact when it has few digits (3%, 12.5%), else rounded to two decimals (85.71%);
    more digits while the rounded text would equal the threshold it is compared with (2.99999999%, not 3%)."""
    try:
        exact = Fraction(value) if not isinstance(value, float) else Fraction(repr(value))
    except (TypeError, ValueError):
        return str(value)
    pct = exact * PERCENT
    goal = Fraction(threshold) * PERCENT if threshold is not None else None
    for digits in range(0, MAX_PERCENT_DIGITS + 1):
        scaled = pct * DECIMAL_BASE ** digits
        if scaled.denominator == 1:
            return _decimal_text(scaled.numerator, digits) + "%"
        if digits < PERCENT_DECIMALS:
            continue
        rounded = round(scaled)
        if goal is None or pct == goal or Fraction(rounded, DECIMAL_BASE ** digits) != goal:
            return _decimal_text(rounded, digits) + "%"
    return _decimal_text(round(pct * DECIMAL_BASE ** MAX_PERCENT_DIGITS), MAX_PERCENT_DIGITS) + "%"


def _decimal_text(scaled: int, digits: int) -> str:
    sign, whole = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(digits + 1, "0")
    return f"{sign}{whole[:-digits]}.{whole[-digits:]}" if digits else f"{sign}{whole}"


def needs_words(columns: list[str], lang: str) -> str:
    """"需补充：近三年销售收入、牵头单位实际经营年数" — the inputs that would decide, years of a series grouped."""
    names, rest = [], list(columns)
    for group, words in COLUMN_GROUPS:
        if any(c in rest for c in group):
            names.append(pick(words, lang))
            rest = [c for c in rest if c not in group]
    names = [column_words(c, lang) for c in columns if c in rest] + names
    return ("需补充：" if lang == "zh" else "needs input: ") + ("、" if lang == "zh" else ", ").join(names)


def reason_template(key: str, lang: str, kind: str = "") -> str:
    """The template of a reason key; a ceiling item (最高/择优) takes the key's ``:ceiling`` wording when it has one."""
    if key.startswith("needs:"):
        return needs_words(key.split(":", 1)[1].split("+"), lang)
    if kind == "ceiling" and f"{key}:ceiling" in REASONS:
        return pick(REASONS[f"{key}:ceiling"], lang)
    if key not in REASONS:
        return key
    return pick(REASONS[key], lang)


def cases(columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct combinations of several equally long columns: (case of each row, first row of each
    case), cases in order of first appearance.  Words are then rendered once per case and mapped onto the rows."""
    import pandas as pd

    case = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object),
                                      use_na_sentinel=False)
        case = pd.factorize(case * max(len(uniques), 1) + codes)[0]
    _, first = np.unique(case, return_index=True)
    order = np.argsort(first)
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[case], first[order]


def render_cases(columns: list, word) -> np.ndarray:
    """``word(i)`` for the first row ``i`` of each distinct case of ``columns``, mapped onto every row."""
    if len(columns[0]) == 0:
        return np.empty(0, dtype=object)
    case, first = cases(columns)
    texts = np.empty(len(first), dtype=object)
    for j, i in enumerate(first):
        texts[j] = word(int(i))
    return texts[case]


def format_distinct(values: np.ndarray, fmt) -> np.ndarray:
    """``fmt(v)`` for each value, computed once per distinct value (object array of strings)."""
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object), use_na_sentinel=False)
    return np.asarray([fmt(u) for u in uniques] + [""], dtype=object)[codes]


def render_columns(template: str, scalars: Mapping[str, Any], columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """The template filled for ``n`` rows at once: ``columns`` hold each row's words for a field, ``scalars`` the
    words every row shares; a field in neither shows as '—' (as :func:`render`).  The literal pieces and the
    columns are joined column-wise, not by formatting one string at a time."""
    parts = list(string.Formatter().parse(template))
    if any(spec or conversion for _, _, spec, conversion in parts):  # no template uses them; keep the exact meaning
        return np.asarray([render(template, {**scalars, **{k: v[i] for k, v in columns.items()}})
                           for i in range(n)], dtype=object)
    out = np.full(n, "", dtype=object)
    literal_run = ""
    for literal, name, _, _ in parts:
        literal_run += literal
        if name is None:
            continue
        if name in columns:
            if literal_run:
                out = out + literal_run
                literal_run = ""
            out = out + columns[name]
        else:
            literal_run += str(scalars.get(name, "—"))
    if literal_run:
        out = out + literal_run
    return out


def template_fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a template; a field with no value shows as '—' rather than failing."""
    return string.Formatter().vformat(template, (), _Defaulting(fields))


class _Defaulting(dict):
    def __init__(self, fields: Mapping[str, Any]):
        super().__init__(fields)

    def __missing__(self, key: str) -> str:
        return "—"
