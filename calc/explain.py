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
}

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
    "duplicate": ("与“{won_by}”属同类支持，按就高不重复只计较高者", "same support as “{won_by}”: only the higher counts (就高不重复)"),
    # generic
    "granted_per_count": ("{count}项 × 每项{unit_amount} = {amount}", "{count} × {unit_amount} = {amount}"),
    "granted_fixed": ("符合条件：{amount}", "eligible: {amount}"),
    "granted_by_rating": ("按评估等级：{amount}", "by rating: {amount}"),
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
    "matching_rate": ("国家财政资金{national_funding} × {rate} = {amount}", "{rate} of national funding {national_funding} = {amount}"),
    "matching_cap_binds": ("国家财政资金{national_funding} × {rate}超过上限，按上限{cap}", "{rate} of {national_funding} exceeds the cap: {cap}"),
    "matching_total_investment_binds": (
        "受“国家、省、市资助金额之和不超过项目总投入”限制：{project_total_investment} − 已有资助 = {amount}",
        "limited by national + provincial + municipal ≤ total investment {project_total_investment}: {amount}"),
    # xiamen_sti_measures
    "no_new_base": ("无新入选国家级合作基地", "no newly selected national cooperation base"),
    "no_incubator": ("无孵化器、加速器", "no incubator or accelerator"),
    "no_pilot_platform": ("无国家级制造业中试平台", "no national manufacturing pilot platform"),
    "no_postdoc": ("无进站博士后", "no postdoc in station"),
    "no_transformation_project": ("无高新技术成果转化项目", "no high-tech transformation project"),
    "rd_not_above_threshold": ("年度自主研发费用{rd_expense}未高于{threshold}", "R&D {rd_expense} is not above {threshold}"),
    "rd_not_grown": ("年度自主研发费用{rd_expense}未较上年{rd_expense_prev}增长",
                     "R&D {rd_expense} did not grow on last year's {rd_expense_prev}"),
    "rd_step_granted:literal": ("研发费用{rd_expense}每满{step}补{amount_per_step}：{steps}档 = {amount}",
                                "{steps} full steps of {step} in R&D {rd_expense} × {amount_per_step} = {amount}"),
    "rd_step_granted:increment": ("研发费用增量{stepped}（{rd_expense_prev} → {rd_expense}）每满{step}补{amount_per_step}："
                                  "{steps}档 = {amount}",
                                  "{steps} full steps of {step} in the increase {stepped} ({rd_expense_prev} → "
                                  "{rd_expense}) × {amount_per_step} = {amount}"),
    "rd_step_granted:above_threshold": ("研发费用超过{threshold}的部分{stepped}每满{step}补{amount_per_step}：{steps}档 = {amount}",
                                        "{steps} full steps of {step} in the part above {threshold} ({stepped}) × "
                                        "{amount_per_step} = {amount}"),
    "rd_step_capped": ("{steps}档超过上限，按上限{cap}", "{steps} steps exceed the cap: {cap}"),
    "rd_not_above_bonus_threshold": ("年度自主研发费用{rd_expense}未高于{threshold}", "R&D {rd_expense} is not above {threshold}"),
    "growth_not_above_rate": ("研发费用增长率未超过{growth_rate}（上年{rd_expense_prev}，当年{rd_expense}）",
                              "R&D growth is not above {growth_rate} ({rd_expense_prev} → {rd_expense})"),
    "no_joint_lab_investment": ("无联合实验室非财政资金投入", "no non-fiscal joint-lab investment"),
    "no_tech_transaction": ("无实际支付的技术交易额", "no technology transaction paid"),
    "rate_applied": ("按比例计算：{amount}", "by the rate: {amount}"),
    "rate_capped": ("按比例计算超过上限，按上限：{amount}", "the rate's result exceeds the cap: {amount}"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def column_words(column: str, lang: str) -> str:
    return pick(COLUMN_WORDS.get(column, (column, column)), lang)


def format_value(value: Any, unit: str, lang: str = "zh") -> str:
    """One value in the user's terms: money as 万/亿, ratios as %, counts as plain numbers."""
    if value is None:
        return "—"
    if unit == "yuan":
        return format_money(int(value), lang)
    if unit == "ratio":
        pct = Fraction(value) * PERCENT
        return f"{float(pct):g}%" if pct.denominator != 1 else f"{pct.numerator}%"
    if unit == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (np.integer, int)):
        return f"{int(value):,}"
    if isinstance(value, tuple):
        return "、".join(value)
    return str(value)


def reason_template(key: str, lang: str) -> str:
    if key.startswith("needs:"):
        column = key.split(":", 1)[1]
        return ("缺少输入：" if lang == "zh" else "missing input: ") + column_words(column, lang)
    if key not in REASONS:
        return key
    return pick(REASONS[key], lang)


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
