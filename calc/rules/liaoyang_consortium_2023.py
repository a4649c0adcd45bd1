"""辽阳市创新联合体管理办法 (2023): 第六条、第七条、第九条、第十条 conditions.

Each function is named after what it computes and cites its article; the
numbers are the parameters of the same name in data/policies/liaoyang_consortium_2023.yaml.
The measures grant no money, so there are no items.
"""

from __future__ import annotations

import numpy as np

from calc.rules.base import (
    Check, Col, Ctx, all_members, apply_scope, ceil_mul_rate, check_from, criterion, flag_check, k_minus, k_share,
    platform_at_least, registered_lead_enterprise, threshold_check,
)

P = "liaoyang_consortium_2023"


def enterprise_lead(ctx: Ctx) -> Col:
    lead = ctx.category("lead_type")
    return Col(lead.values == "enterprise", lead.known, lead.needs)


# ------------------------------------------------------------------------ 第六条

@criterion(f"{P}.members_total")
def members_total(ctx: Ctx) -> Check:
    """第六条: 成员单位原则上不低于8家 — soft; the lead counted unless option lead_counted = exclude."""
    members = all_members(ctx)
    if ctx.option("lead_counted") == "exclude":
        members = k_minus(members, 1)
    return threshold_check(ctx, members, "min")


@criterion(f"{P}.agreement_signed")
def agreement_signed(ctx: Ctx) -> Check:
    """第六条、第九条: 牵头单位和成员单位…共同签署《辽阳市创新联合体组建协议》."""
    return flag_check(ctx, ctx.flag("agreement_signed"))


@criterion(f"{P}.chief_scientist")
def chief_scientist(ctx: Ctx) -> Check:
    """第六条、第十条: 应选聘至少一名…高层次人才作为创新联合体的首席专家."""
    return flag_check(ctx, ctx.flag("chief_scientist"))


# ------------------------------------------------------------------------ 第七条

@criterion(f"{P}.lead_registered_enterprise")
def lead_registered_enterprise(ctx: Ctx) -> Check:
    """第七条（一）: 牵头单位原则上应为注册在辽阳的…产业骨干、领军企业 — soft."""
    return registered_lead_enterprise(ctx, "liaoyang")


@criterion(f"{P}.lead_platform")
def lead_platform(ctx: Ctx) -> Check:
    """第七条（三）: 建有省级技术创新平台."""
    return platform_at_least(ctx)


@criterion(f"{P}.lead_rd_ratio")
def lead_rd_ratio(ctx: Ctx) -> Check:
    """第七条（三）: 年度研发投入原则上不低于销售收入的3% — soft, last fiscal year, exact.

    rd / revenue ≥ 3%  ⇔  rd × 100 ≥ revenue × 3 (integers in fen, no rounding).
    """
    rd = ctx.money("lead_rd")
    revenue = ctx.money("lead_revenue")
    rate = ctx.p("min_ratio")
    strict = ctx.comparison("min_ratio") == ">"
    # 0 revenue: 0 R&D is 3% of it (today's reading, option zero_revenue = passes) or there is no ratio to meet
    # (zero_revenue = fails)
    tri = k_share(rd, revenue, rate, strict, empty_passes=ctx.option("zero_revenue") == "passes",
                  part_of_whole=False)
    known = rd.known & revenue.known
    ratio = np.divide(rd.values, revenue.values, out=np.zeros(ctx.n), where=revenue.values > 0)
    needed = ceil_mul_rate(revenue.values, rate)  # ⌈3% × revenue⌉ in fen, exact whatever the rate's precision
    if strict:
        needed = needed + (needed * rate.denominator == revenue.values * rate.numerator)
    short = np.where(known & tri.known & ~tri.values, np.maximum(needed - rd.values, 0), 0)
    check = check_from(
        ctx, tri,
        value=np.where(known, ratio, 0.0),
        threshold=rate,
        shortfall=short,
        shortfall_unit="yuan",
        unit="ratio",
        detail={"rd": rd.values, "revenue": revenue.values, "rd_short_fen": short,
                "part": rd.values, "whole": revenue.values},
    )
    return apply_scope(check, enterprise_lead(ctx))
