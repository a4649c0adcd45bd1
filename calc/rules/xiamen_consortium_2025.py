"""厦门市创新联合体管理办法 (2025): 第六条/第七条/第十一条 conditions and 第九至十二条、第十六条 supports.

Each function is named after what it computes and cites its article; the
numbers are the parameters of the same name in data/policies/xiamen_consortium_2025.yaml.
"""

from __future__ import annotations

import numpy as np

from calc.limits import MAX_MONEY_FEN
from calc.rules.base import (
    first_of, pick,
    by_rating,
    GRANTED, NEEDS_INPUT_ITEM, NOT_ELIGIBLE, Award, Check, Col, Ctx, all_members, apply_scope, check_from, code,
    criterion, decide, flag_check, item, k_and, k_not, k_or, k_sum, mul_rate,
    per_count, platform_at_least, reasons_worded, round_amount, threshold_check, truth, years_rd_test,
    declare_year_span,
)

P = "xiamen_consortium_2025"
declare_year_span(f"{P}.lead_rd.years")

ENTERPRISE_LEADS = ("enterprise", "provincial_mfg_innovation_center")
ALLOWED_LEADS = ENTERPRISE_LEADS + ("new_rd_institution", "hospital_3a", "hospital_other")
HOSPITAL_LEADS = ("hospital_3a", "hospital_other")
# 第六条（二）1's exception: a 国家区域医疗中心建设单位 may lead in life health without being 三甲 (a yes/no input
# column of the consortia table)
REGIONAL_CENTRE = "lead_regional_medical_center"
# enterprise columns only these items read: 第十二条（八） 常设执行机构依托单位, and
# 第十五条 whether the enterprise's consortium is a 省级制造业创新中心
EXECUTIVE_HOST = "executive_host"
PROVINCIAL_CENTRE = "consortium_is_provincial_mfg_center"


def other_members(ctx: Ctx) -> Col:
    """第六条（一） 其它单位: by default universities + research institutes + other units (the lead excluded when
    it is an enterprise, as it is counted among the enterprises); option ``counts`` = listed_only counts only the
    kinds the article lists (高等学校、科研院所; new R&D institutions and medical institutions are entered as
    research institutes), not generic ``other_units``."""
    parts = [ctx.count("universities"), ctx.count("research_institutes")]
    node = ctx.policies.node(f"{P}.member_other_units")
    option = node.options["counts"]
    if ctx.options.get(option.id, option.default) != "listed_only":
        parts.append(ctx.count("other_units"))
    return k_sum(*parts)


# ------------------------------------------------------------------------ 第六条（一）

@criterion(f"{P}.members_total")
def members_total(ctx: Ctx) -> Check:
    """第六条（一）: 7个(含)以上单位组成 — decided once the known members reach 7, whatever is blank."""
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

def _lead_is(ctx: Ctx, kinds) -> Col:
    lead = ctx.category("lead_type")
    return Col(np.isin(lead.values, list(kinds)), lead.known, lead.needs)


@criterion(f"{P}.lead_type")
def lead_type(ctx: Ctx) -> Check:
    """第二条: 产业龙头企业、新型研发机构或医疗卫生机构(生命健康领域)牵头."""
    field = ctx.category("field")
    life_health = Col(field.values == "life_health", field.known, field.needs)
    ok = k_and(_lead_is(ctx, ALLOWED_LEADS), k_or(k_not(_lead_is(ctx, HOSPITAL_LEADS)), life_health))
    return check_from(ctx, ok, value=ctx.category("lead_type").values, unit="text")


@criterion(f"{P}.lead_hospital_grade")
def lead_hospital_grade(ctx: Ctx) -> Check:
    """第六条（二）1: 生命健康领域若牵头单位为医疗机构,则要求为三甲医院(国家区域医疗中心建设单位,可以将输入医院的
    科技成果及资格资质作为申报条件,但在厦门应具备牵头实施条件) — a 三甲 hospital, or a 国家区域医疗中心建设单位
    (column lead_regional_medical_center; its Xiamen presence is lead_located_in_xiamen)."""
    centre = ctx.flag(REGIONAL_CENTRE)
    ok = k_or(_lead_is(ctx, ("hospital_3a",)), centre)
    return apply_scope(check_from(ctx, ok, value=ctx.category("lead_type").values, unit="text"),
                       _lead_is(ctx, HOSPITAL_LEADS))


@criterion(f"{P}.lead_located_in_xiamen")
def lead_located_in_xiamen(ctx: Ctx) -> Check:
    """第六条（二）1: 主要办公和研发场所在厦门市内."""
    region = ctx.category("lead_region")
    return check_from(ctx, Col(region.values == "xiamen", region.known, region.needs), value=region.values,
                      unit="text")


def enterprise_lead(ctx: Ctx) -> Col:
    """Leads the 第六条（二）1/3 enterprise tests apply to: enterprises (and provincial manufacturing innovation
    centres); a new R&D institution too under the option ``new_rd_institution`` = tested."""
    node = ctx.policies.node(f"{P}.lead_revenue")
    option = node.options["new_rd_institution"]
    kinds = ENTERPRISE_LEADS + (("new_rd_institution",) if ctx.options.get(option.id, option.default) == "tested"
                                else ())
    return _lead_is(ctx, kinds)


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
    """第六条（二）3: 近三个会计年度年均研发投入不低于2000万元或占同期销售收入总额的比例不低于3%.

    Kleene: an average already at 2000万 passes with revenue blank; a known share of 3% passes with the average
    undecided."""
    tri, rd, rev, years, shortfall = years_rd_test(ctx, "min_average", "min_ratio", per_year=True)
    check = check_from(
        ctx, tri,
        value=np.where(tri.known, rd // np.maximum(years, 1), 0),
        threshold=ctx.p("min_average"),
        shortfall=shortfall,
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
    """第十一条（六）: 3名市高层次B类以上人才 — by default counted from city_b_talents alone; option
    ``national_count`` = included adds the national-level talents (B类以上 read as every higher class)."""
    option = ctx.node.options["national_count"]
    col = ctx.count("city_b_talents")
    if ctx.options.get(option.id, option.default) == "included":
        col = k_sum(col, ctx.count("national_level_talents"))
    return threshold_check(ctx, col, "min")


# ======================================================================== supports (items)

@item(f"{P}.major_project_support")
def major_project_support(ctx: Ctx) -> Award:
    """第九条（一）: 市重大科技计划项目财政资金最高支持额度可达2000万元 — per approved project."""
    return per_count(ctx, "major_projects", "max_per_project", "no_major_project")


def _matching_room_col(ctx: Ctx, national: Col, provincial: Col, municipal: Col, total: Col, half: np.ndarray,
                       room: np.ndarray, amount: np.ndarray) -> Col:
    """第九条（二）'s "some room to match" with blanks: a zero is decided when the most room the blanks allow is
    already none (total known).  Blank provincial or municipal funding at 0 leaves the most room; a blank national
    funding n gives min(rate·n, R − n) with R = total − the other funding, at most rate·R / (1 + rate), reached at
    n = R / (1 + rate)."""
    rate, cap = ctx.p("rate"), ctx.p("cap")
    others_room = np.maximum(total.values - (provincial.values + municipal.values), 0)
    best_blank_national = mul_rate(others_room, rate / (1 + rate))
    most_when_known = np.minimum(np.minimum(half, cap), np.where(total.known, room, cap))
    most_when_blank = np.minimum(cap, np.where(total.known, best_blank_national, cap))
    most = round_amount(np.where(national.known, most_when_known, most_when_blank), ctx.node.rounding)
    given = national.known & provincial.known & municipal.known & total.known
    return Col(given & (amount > 0), given | (most == 0),
               {k: v for c in (national, total, provincial, municipal) for k, v in c.missing().items()})


@item(f"{P}.national_project_matching")
def national_project_matching(ctx: Ctx) -> Award:
    """第九条（二）: 国家财政资金投入的50%配套,最高不超过1000万元,国家、省、市资助金额之和不超过项目总投入.

    Kleene: no national funding (0) decides not_eligible whatever else is blank; a known total investment already
    used up by the known funding decides a zero (not a grant); otherwise every one of the four figures is needed.
    ``可``: the option ``kind`` (formula by default, ceiling switchable) says whether the result is the amount or
    its maximum (calc.entitlements applies it to the item's kind)."""
    national = ctx.money("national_funding")
    provincial = ctx.money("provincial_funding")
    municipal = ctx.money("municipal_funding")
    total = ctx.money("project_total_investment")
    rate, cap = ctx.p("rate"), ctx.p("cap")
    half = mul_rate(national.values, rate, bound=MAX_MONEY_FEN)  # ≤ the national funding (rate ≤ 100%)
    # room = max(total − national − provincial − municipal, 0): every amount is in 0 … MAX_MONEY_FEN (Ctx.money
    # checks it), so the sum of the three and the difference stay far inside int64; blank funding counted as 0
    # gives the most room there can be
    room = national.values + provincial.values
    room += municipal.values
    np.subtract(total.values, room, out=room)
    np.maximum(room, 0, out=room)
    capped = np.minimum(half, cap)
    amount = round_amount(np.minimum(capped, room), ctx.node.rounding, in_place=True)
    has_project = Col(national.values > 0, national.known, national.needs)
    given = national.complete and provincial.complete and municipal.complete and total.complete
    if given:  # every figure known on every row: a zero is a zero
        some_room = truth(amount > 0)
    else:
        some_room = _matching_room_col(ctx, national, provincial, municipal, total, half, room, amount)
    ok, status, reason = decide(ctx, [(has_project, "no_national_funding"), (some_room, "matching_no_room")])
    if reasons_worded():  # which limit binds: for the reason alone
        # where the room does not bind (room ≥ min(half, cap)), the cap binds exactly where half ≥ cap
        granted_reason = first_of([room < capped, half >= cap],
                                  [code("matching_total_investment_binds"), code("matching_cap_binds")],
                                  code("matching_rate"))
        reason = pick(ok, granted_reason, reason).astype(np.int16, copy=False)
    # some room: the amount is above 0; with every figure known the rows not granted have no national funding or
    # no room, so their amount is already 0 (a blank elsewhere is held as 0 and may leave an amount on an open row)
    return Award(amount.astype(np.int64, copy=False), status, reason, {"half": half, "room": room},
                 {"rate": (rate, "ratio"), "cap": (cap, "yuan")}, positive=True, cleared=given)


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
    return Award(pick(ok, ctx.p("max"), 0).astype(np.int64, copy=False), status, reason, cleared=True)


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
    # only the 常设执行机构依托单位 is paid: a member not hosting the executive body is not eligible, a blank
    # answer leaves the item open (column executive_host)
    recognised, host = ctx.flag("new_mechanism_recognised"), ctx.flag(EXECUTIVE_HOST)
    ok, status, reason = decide(ctx, [(recognised, "no_new_mechanism"), (host, "not_executive_host")])
    reason = pick(ok, code("granted_fixed"), reason).astype(np.int16, copy=False)
    return Award(pick(ok, ctx.p("amount"), 0).astype(np.int64, copy=False), status, reason, cleared=True)


@item(f"{P}.excellent_evaluation_award")
def excellent_evaluation_award(ctx: Ctx) -> Award:
    """第十六条: 评估等级为“优秀”的,一次性给予联合体牵头单位100万元奖励."""
    award = by_rating(ctx, "consortium_evaluation", {"excellent": ctx.p("amount")}, "evaluation_not_excellent")
    # 第十五条 省级制造业创新中心不参加市创新联合体评估: such a consortium is not evaluated, so it is not paid the
    # award (an evaluation grade given for it contradicts the article).  Blank: a grade was given, so it was
    # evaluated, which a provincial centre is not — nothing is missing.
    centre = ctx.flag(PROVINCIAL_CENTRE)
    excluded = centre.known & centre.values
    award.status = pick(excluded, NOT_ELIGIBLE, award.status).astype(np.int8, copy=False)
    award.reason = pick(excluded, code("provincial_centre_not_evaluated"), award.reason).astype(np.int16, copy=False)
    award.amount = pick(excluded, 0, award.amount).astype(np.int64, copy=False)
    return award
