"""海南省创新联合体建设实施方案 (2022): 四(二)、四(三)、五(一) conditions.

Each function is named after what it computes and cites its article; the
numbers are the parameters of the same name in data/policies/hainan_consortium_2022.yaml.
The plan grants no money, so there are no items.

四(三) ends 「现代种业、数字经济等领域可根据实际情况适当降低相关条件」: every 四(三) criterion passes its
result through :func:`relax_for_field`, governed by the option ``field_relaxation`` and the parameter
``relaxed_fields`` of ``lead_platform``.
"""

from __future__ import annotations

import numpy as np

from calc.rules.base import (
    FAIL, NEEDS_INPUT, SOFT_FAIL, Check, Ctx, all_members, check_from, criterion, flag_check, platform_at_least,
    registered_lead_enterprise, share_check, threshold_check, years_rd_test, declare_year_span,
)

P = "hainan_consortium_2022"
declare_year_span(f"{P}.lead_rd.years")

# the words of 四(三)'s last sentence and the input's field ids
FIELD_OF_TERM = {"现代种业": "seed_industry", "种业": "seed_industry", "数字经济": "digital_economy"}
RELAXATION_HOST = f"{P}.lead_platform"


# ------------------------------------------------------------------------ helpers

def relax_for_field(ctx: Ctx, check: Check, registration: bool = False) -> Check:
    """四(三): 现代种业、数字经济等领域可根据实际情况适当降低相关条件.

    With field_relaxation = soft, a hard ``fail`` of a 四(三) criterion becomes ``soft_fail`` when the
    consortium's field is one of relaxed_fields; an unknown field leaves such a fail undecided (needs_input).
    The Hainan-registration condition (``registration=True``) is relaxed only with soft_incl_registration.
    """
    host = ctx.policies.node(RELAXATION_HOST)
    option = host.options["field_relaxation"]
    chosen = ctx.options.get(option.id, option.default)
    if chosen not in option.choices:
        raise ValueError(f"option {option.id} = {chosen!r}; choose one of {', '.join(option.choices)}")
    if chosen == "none" or (registration and chosen != "soft_incl_registration"):
        return check
    terms = host.parameters["relaxed_fields"].value_at(ctx.as_of) or ()
    fields = [FIELD_OF_TERM.get(t, t.lower()) for t in terms]
    field = ctx.category("field")
    relaxed_field = np.isin(field.values, fields)
    failed = check.result == FAIL
    undecided = check.result == NEEDS_INPUT  # it may still fail: then the field decides too, so it is named
    result = np.where(failed & field.known & relaxed_field, SOFT_FAIL,
                      np.where(failed & ~field.known, NEEDS_INPUT, check.result))
    check.detail["relaxed"] = failed & field.known & relaxed_field
    check.result = result.astype(np.int8)
    opened = (failed | undecided) & ~field.known
    if opened.any():
        check.missing = {**check.missing, "field": check.missing.get("field", np.zeros(len(opened), bool)) | opened}
    return check


# ------------------------------------------------------------------------ 四(二) membership

@criterion(f"{P}.members_total")
def members_total(ctx: Ctx) -> Check:
    """四(二): 多个独立法人单位组成，原则上不少于10个 — soft, the lead counted."""
    return threshold_check(ctx, all_members(ctx), "min")


@criterion(f"{P}.local_share")
def local_share(ctx: Ctx) -> Check:
    """四(二): 需在我省注册或驻琼单位比例不低于50% — local_units_here / all members, exact."""
    return share_check(ctx, ctx.count("local_units_here"), all_members(ctx))


@criterion(f"{P}.member_enterprise_share")
def member_enterprise_share(ctx: Ctx) -> Check:
    """四(二): 成员单位中企业数量不低于50% — enterprises / all members, exact."""
    return share_check(ctx, ctx.count("enterprises"), all_members(ctx))


@criterion(f"{P}.scale_or_hightech_share")
def scale_or_hightech_share(ctx: Ctx) -> Check:
    """四(二): （其中规上企业或高新技术企业原则上不低于20%） — soft; base per option (enterprises by default)."""
    base = ctx.count("enterprises") if ctx.option("base") == "enterprises" else all_members(ctx)
    return share_check(ctx, ctx.count("scale_or_hightech_enterprises"), base)


@criterion(f"{P}.lead_single_consortium")
def lead_single_consortium(ctx: Ctx) -> Check:
    """四(二): 原则上一个牵头单位仅限牵头组建一个创新联合体 — soft, other consortia led < 1."""
    return threshold_check(ctx, ctx.count("lead_other_consortia"), "max_other_led")


# ------------------------------------------------------------------------ 四(三) the lead unit

@criterion(f"{P}.lead_registered_enterprise")
def lead_registered_enterprise(ctx: Ctx) -> Check:
    """四(三)1: 在海南省内注册的独立法人企业 (五(一)1: 牵头单位为我省注册的行业龙头骨干企业)."""
    return relax_for_field(ctx, registered_lead_enterprise(ctx, "hainan"), registration=True)


@criterion(f"{P}.lead_revenue")
def lead_revenue(ctx: Ctx) -> Check:
    """四(三)1: 年主营业务收入原则上应达到5亿元以上 — soft, ≥."""
    return relax_for_field(ctx, threshold_check(ctx, ctx.money("lead_revenue"), "min", unit="yuan"))


@criterion(f"{P}.lead_rd_staff")
def lead_rd_staff(ctx: Ctx) -> Check:
    """四(三)2: 专职研发人员原则上应达到20人以上 — soft, ≥."""
    return relax_for_field(ctx, threshold_check(ctx, ctx.count("lead_rd_staff"), "min"))


@criterion(f"{P}.lead_platform")
def lead_platform(ctx: Ctx) -> Check:
    """四(三)2: 建有省部级及以上的…科技创新平台 — hard, relaxable in 现代种业、数字经济."""
    return relax_for_field(ctx, platform_at_least(ctx))


@criterion(f"{P}.lead_rd")
def lead_rd(ctx: Ctx) -> Check:
    """四(三)3: 近三个会计年度…研究开发费用总额不低于2000万元或占同期销售收入总额的比例原则上不低于4%.

    Totals, not averages: total R&D ≥ 2000万, or total R&D / total revenue ≥ 4% (revenue > 0).
    Failing both is soft_fail (strength soft: the 4% branch is 原则上).
    """
    tri, rd, rev, years, shortfall = years_rd_test(ctx, "min_total", "min_ratio", per_year=False)
    check = check_from(
        ctx, tri,
        value=np.where(tri.known, rd, 0),
        threshold=ctx.p("min_total"),
        shortfall=shortfall,
        unit="yuan",
        detail={"rd_total": rd, "revenue_total": rev, "years": years},
    )
    return relax_for_field(ctx, check)


# ------------------------------------------------------------------------ 五(一) agreement and chief expert

@criterion(f"{P}.agreement_signed")
def agreement_signed(ctx: Ctx) -> Check:
    """五(一)2: 牵头单位与成员单位共同签署具有法律约束力的《创新联合体组建协议》."""
    return flag_check(ctx, ctx.flag("agreement_signed"))


@criterion(f"{P}.chief_scientist")
def chief_scientist(ctx: Ctx) -> Check:
    """五(一)3: 牵头单位应选聘…首席专家."""
    return flag_check(ctx, ctx.flag("chief_scientist"))
