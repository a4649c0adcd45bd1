"""厦门市创新联合体管理办法 (2025): 第六条/第七条/第十一条 conditions and 第九至十二条、第十六条 supports.

Each function is named after what it computes and cites its article; the
numbers are the parameters of the same name in data/policies/xiamen_consortium_2025.yaml.
"""

from __future__ import annotations

import numpy as np

from calc.rules.base import (
    first_of, pick,
    by_rating,
    GRANTED, NEEDS_INPUT_ITEM, NOT_ELIGIBLE, Award, Check, Col, Ctx, all_members, apply_scope, code, criterion,
    flag_check, item, mul_rate, on_flag, per_count, platform_at_least, ratio_at_least, results_from,
    round_amount, shortfall_to, three_year_rd, threshold_check, total_known, declare_year_span,
)

P = "xiamen_consortium_2025"
declare_year_span(f"{P}.lead_rd.years")

ENTERPRISE_LEADS = ("enterprise", "provincial_mfg_innovation_center")
ALLOWED_LEADS = ENTERPRISE_LEADS + ("new_rd_institution", "hospital_3a", "hospital_other")
HOSPITAL_LEADS = ("hospital_3a", "hospital_other")


def other_members(ctx: Ctx) -> Col:
    return total_known(ctx.count("universities"), ctx.count("research_institutes"), ctx.count("other_units"))


# ------------------------------------------------------------------------ 第六条（一）

@criterion(f"{P}.members_total")
def members_total(ctx: Ctx) -> Check:
    """第六条（一）: 7个(含)以上单位组成."""
    return threshold_check(ctx, all_members(ctx), "min")


@criterion(f"{P}.member_enterprises")
def member_enterprises(ctx: Ctx) -> Check:
    """第六条（一）: 其中企业不少于5个."""
    return threshold_check(ctx, ctx.count("enterprises"), "min")


@criterion(f"{P}.member_other_units")
def member_other_units(ctx: Ctx) -> Check:
    """第六条（一）: 其它单位不少于2个."""
    return threshold_check(ctx, other_members(ctx), "min")


# ------------------------------------------------------------------------ 第二条、第六条（二）

@criterion(f"{P}.lead_type")
def lead_type(ctx: Ctx) -> Check:
    """第二条: 产业龙头企业、新型研发机构或医疗卫生机构(生命健康领域)牵头."""
    lead = ctx.category("lead_type")
    field = ctx.category("field")
    hospital = np.isin(lead.values, HOSPITAL_LEADS)
    ok = np.isin(lead.values, ALLOWED_LEADS) & (~hospital | (field.values == "life_health"))
    known = lead.known & (~hospital | field.known)
    return Check(result=results_from(ok, known, ctx.node.strength), value=lead.values, unit="text")


@criterion(f"{P}.lead_hospital_grade")
def lead_hospital_grade(ctx: Ctx) -> Check:
    """第六条（二）1: 生命健康领域若牵头单位为医疗机构,则要求为三甲医院."""
    lead = ctx.category("lead_type")
    check = Check(result=results_from(lead.values == "hospital_3a", lead.known, ctx.node.strength),
                  value=lead.values, unit="text")
    return apply_scope(check, Col(np.isin(lead.values, HOSPITAL_LEADS), lead.known))


@criterion(f"{P}.lead_located_in_xiamen")
def lead_located_in_xiamen(ctx: Ctx) -> Check:
    """第六条（二）1: 主要办公和研发场所在厦门市内."""
    region = ctx.category("lead_region")
    return Check(result=results_from(region.values == "xiamen", region.known, ctx.node.strength),
                 value=region.values, unit="text")


def enterprise_lead(ctx: Ctx) -> Col:
    lead = ctx.category("lead_type")
    return Col(np.isin(lead.values, ENTERPRISE_LEADS), lead.known)


@criterion(f"{P}.lead_revenue")
def lead_revenue(ctx: Ctx) -> Check:
    """第六条（二）1: 年主营业务收入原则上应达到5亿元以上(含) — soft, enterprise leads."""
    check = threshold_check(ctx, ctx.money("lead_revenue"), "min", unit="yuan")
    return apply_scope(check, enterprise_lead(ctx))


@criterion(f"{P}.lead_platform")
def lead_platform(ctx: Ctx) -> Check:
    """第六条（二）2: 建有市级及以上创新平台."""
    return platform_at_least(ctx, "min_level")


@criterion(f"{P}.lead_rd")
def lead_rd(ctx: Ctx) -> Check:
    """第六条（二）3: 近三个会计年度年均研发投入不低于2000万元或占同期销售收入总额的比例不低于3%."""
    rd, rev, years, known = three_year_rd(ctx)
    average_ok = rd >= ctx.p("min_average") * years  # average ≥ X  ⇔  total ≥ X × years (exact)
    ratio_ok = (rev > 0) & ratio_at_least(rd, rev, ctx.p("min_ratio"))
    average = rd // np.maximum(years, 1)
    check = Check(
        result=results_from(average_ok | ratio_ok, known, ctx.node.strength),
        value=np.where(known, average, 0),
        threshold=ctx.p("min_average"),
        shortfall=np.where(known & ~(average_ok | ratio_ok),
                           shortfall_to(average, ">=", ctx.p("min_average")), 0),
        unit="yuan",
        detail={"rd_total": rd, "revenue_total": rev, "years": years},
    )
    return apply_scope(check, enterprise_lead(ctx))


@criterion(f"{P}.lead_single_consortium")
def lead_single_consortium(ctx: Ctx) -> Check:
    """第六条（二）4: 原则上一个单位仅限牵头组建一个创新联合体 — soft."""
    return threshold_check(ctx, ctx.count("lead_other_consortia"), "max_other_led")


# ------------------------------------------------------------------------ 第七条

@criterion(f"{P}.agreement_signed")
def agreement_signed(ctx: Ctx) -> Check:
    """第七条: 牵头单位与参与单位之间应签订合作协议."""
    return flag_check(ctx, ctx.flag("agreement_signed"))


@criterion(f"{P}.chief_scientist")
def chief_scientist(ctx: Ctx) -> Check:
    """第七条（二）: 建立首席科学家制度."""
    return flag_check(ctx, ctx.flag("chief_scientist"))


# ------------------------------------------------------------------------ 第十一条 talent consortium

@criterion(f"{P}.talent_core_team")
def talent_core_team(ctx: Ctx) -> Check:
    """第十一条（六）: 已集聚10名核心团队成员."""
    return threshold_check(ctx, ctx.count("core_team_members"), "min")


@criterion(f"{P}.talent_national")
def talent_national(ctx: Ctx) -> Check:
    """第十一条（六）: 有1名以上国家级人才."""
    return threshold_check(ctx, ctx.count("national_level_talents"), "min")


@criterion(f"{P}.talent_city_b")
def talent_city_b(ctx: Ctx) -> Check:
    """第十一条（六）: 3名市高层次B类以上人才."""
    return threshold_check(ctx, ctx.count("city_b_talents"), "min")


# ======================================================================== supports (items)

@item(f"{P}.major_project_support")
def major_project_support(ctx: Ctx) -> Award:
    """第九条（一）: 市重大科技计划项目财政资金最高支持额度可达2000万元 — per approved project."""
    return per_count(ctx, "major_projects", "max_per_project", "no_major_project")


@item(f"{P}.national_project_matching")
def national_project_matching(ctx: Ctx) -> Award:
    """第九条（二）: 国家财政资金投入的50%配套,最高不超过1000万元,国家、省、市资助金额之和不超过项目总投入."""
    national = ctx.money("national_funding")
    provincial = ctx.money("provincial_funding")
    municipal = ctx.money("municipal_funding")
    total = ctx.money("project_total_investment")
    half = mul_rate(national.values, ctx.p("rate"))  # ≤ the national funding (rate ≤ 100%)
    # room = max(total − national − provincial − municipal, 0), subtracting one at a time and stopping at 0: each
    # step is (a value ≥ 0) − (a value ≥ 0), which cannot wrap for any int64 amounts, bounded or not
    room = total.values
    for funding in (national, provincial, municipal):
        room = np.maximum(room - funding.values, 0)
    amount = round_amount(np.minimum(np.minimum(half, ctx.p("cap")), room), ctx.node.rounding)
    known = national.known & provincial.known & municipal.known & total.known
    has_project = national.known & (national.values > 0)
    status = pick(national.known & ~has_project, NOT_ELIGIBLE,
                      pick(~known, NEEDS_INPUT_ITEM, GRANTED))
    cap_binds = (half >= ctx.p("cap")) & (ctx.p("cap") <= room)
    reason = first_of(
        [national.known & ~has_project, ~national.known, ~total.known, ~(provincial.known & municipal.known),
         (room < np.minimum(half, ctx.p("cap"))), cap_binds],
        [code("no_national_funding"), code("needs:national_funding"), code("needs:project_total_investment"),
         code("needs:provincial_funding"), code("matching_total_investment_binds"), code("matching_cap_binds")], code("matching_rate"),
    )
    amount = pick(status == GRANTED, amount, 0)
    return Award(amount.astype(np.int64, copy=False), status.astype(np.int8, copy=False), reason.astype(np.int16, copy=False),
                 {"half": half, "room": room})


@item(f"{P}.national_platform_award")
def national_platform_award(ctx: Ctx) -> Award:
    """第十条（四）: 新获批国家级创新平台给予一次性3000万元奖励 — per platform."""
    return per_count(ctx, "new_national_platforms", "amount", "no_new_platform")


@item(f"{P}.public_platform_construction")
def public_platform_construction(ctx: Ctx) -> Award:
    """第十条（五）: 公共技术服务平台给予最高2000万元财政经费支持."""
    return per_count(ctx, "public_platforms_new", "max", "no_public_platform")


@item(f"{P}.public_platform_upgrade")
def public_platform_upgrade(ctx: Ctx) -> Award:
    """第十条（五）: 绩效考核优秀且有提升改造需求给予不超过500万元滚动支持."""
    excellent = ctx.is_in("public_platform_rating", ["excellent"])
    need = ctx.flag("public_platform_upgrade_need")
    ok = excellent.values & need.values & need.known
    known = excellent.known & (need.known | ~excellent.values)
    status = pick(~known, NEEDS_INPUT_ITEM, pick(ok, GRANTED, NOT_ELIGIBLE))
    reason = pick(~excellent.known, code("needs:public_platform_rating"),
                      pick(~known, code("needs:public_platform_upgrade_need"),
                               pick(ok, code("granted_fixed"), code("platform_not_excellent_or_no_need"))))
    return Award(pick(ok, ctx.p("max"), 0).astype(np.int64, copy=False), status, reason)


@item(f"{P}.public_platform_rating_award")
def public_platform_rating_award(ctx: Ctx) -> Award:
    """第十条（五）: 绩效考核优秀最高150万元、良好最高100万元奖励."""
    return by_rating(ctx, "public_platform_rating", {"excellent": ctx.p("max_excellent"), "good": ctx.p("max_good")},
                     "rating_below_good")


@item(f"{P}.double_hundred_post")
def double_hundred_post(ctx: Ctx) -> Award:
    """第十一条（六）: “人才攻关联合体”牵头单位“双百计划”特聘岗位,享受100万元资金补贴 — per hire."""
    return per_count(ctx, "double_hundred_hires", "amount_per_hire", "no_double_hundred_hire")


@item(f"{P}.new_mechanism_award")
def new_mechanism_award(ctx: Ctx) -> Award:
    """第十二条（八）: 成果转化效益显著的新机制、新模式,给予常设执行机构依托单位30万元奖励."""
    return on_flag(ctx, "new_mechanism_recognised", ctx.p("amount"), "no_new_mechanism")


@item(f"{P}.excellent_evaluation_award")
def excellent_evaluation_award(ctx: Ctx) -> Award:
    """第十六条: 评估等级为“优秀”的,一次性给予联合体牵头单位100万元奖励."""
    return by_rating(ctx, "consortium_evaluation", {"excellent": ctx.p("amount")}, "evaluation_not_excellent")
