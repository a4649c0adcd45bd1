"""青島市創新聯合體組建工作指引 (青科字〔2025〕5號): 三(二)、三(三)、四(一)、五(四) conditions.

Each function is named after what it computes and cites its article; the
numbers are the parameters of the same name in data/policies/qingdao_consortium_2025.yaml.
The guideline grants no money, so there are no items.
"""

from __future__ import annotations

import numpy as np

from calc.rules.base import (
    Check, Col, Ctx, check_from, criterion, flag_check, k_compare, k_if, k_minus, k_sum, registered_lead_enterprise,
    shortfall_to,
)

P = "qingdao_consortium_2025"


def besides_lead_check(ctx: Ctx, col: Col, lead_types: tuple[str, ...], param: str = "min") -> Check:
    """Members of a kind the lead 聯動/聯合, not counting the lead itself when it is of that kind.

    ``col`` counts the kind with the lead included; the count besides the lead is ``col − 1`` when
    lead_type ∈ ``lead_types``.  With lead_type unknown the result is known when both readings agree.
    """
    lead = ctx.category("lead_type")
    lead_is_kind = Col(np.isin(lead.values, list(lead_types)), lead.known, lead.needs)
    threshold, comparison = ctx.p(param), ctx.comparison(param)
    option = ctx.node.options.get("lead_counted")
    if option is not None and ctx.options.get(option.id, option.default) == "include":  # the lead counted among the members it joins
        tri = k_compare(col, comparison, threshold)
        others = col
    else:
        without = k_minus(col, 1)
        tri = k_if(lead_is_kind, k_compare(without, comparison, threshold), k_compare(col, comparison, threshold))
        others = Col(np.where(lead_is_kind.known & lead_is_kind.values, without.values, col.values), col.known)
    low = others.low_high()[0]
    return check_from(
        ctx, tri,
        value=np.where(tri.known, low, 0),
        threshold=threshold,
        shortfall=np.where(tri.known & ~tri.values & col.known, shortfall_to(low, comparison, threshold), 0),
        unit="count",
        detail={"counted_with_lead": col.values},
    )


# ------------------------------------------------------------------------ 三(二)

@criterion(f"{P}.upstream_downstream_enterprises")
def upstream_downstream_enterprises(ctx: Ctx) -> Check:
    """三(二): 聯動產業鏈上下游企業原則上不少于3家 — soft; an enterprise lead is not one of them."""
    return besides_lead_check(ctx, ctx.count("enterprises"), ("enterprise",))


@criterion(f"{P}.academic_members")
def academic_members(ctx: Ctx) -> Check:
    """三(二): 聯合相關領域高校院所原則上不少于2家 — soft; universities + research institutes."""
    col = k_sum(ctx.count("universities"), ctx.count("research_institutes"))
    return besides_lead_check(ctx, col, ("university", "research_institute"))


# ------------------------------------------------------------------------ 三(三), 五(四)

@criterion(f"{P}.agreement_signed")
def agreement_signed(ctx: Ctx) -> Check:
    """三(三): 創新聯合體各成員單位要簽訂組建協議."""
    return flag_check(ctx, ctx.flag("agreement_signed"))


@criterion(f"{P}.chief_scientist")
def chief_scientist(ctx: Ctx) -> Check:
    """五(四): 選聘…首席專家,引領創新聯合體高效運行."""
    return flag_check(ctx, ctx.flag("chief_scientist"))


# ------------------------------------------------------------------------ 四(一)

@criterion(f"{P}.lead_registered_enterprise")
def lead_registered_enterprise(ctx: Ctx) -> Check:
    """四(一)1: 牽頭單位須為我市獨立注冊的創新領軍企業 — hard."""
    return registered_lead_enterprise(ctx, "qingdao")
