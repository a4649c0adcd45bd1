"""厦门《若干措施》 (12 measures, as stated in the bureau's interpretation): enterprise supports with amounts.

Each function is named after what it computes and cites its measure; the
numbers are the parameters of the same name in data/policies/xiamen_sti_measures.yaml.
"""

from __future__ import annotations

import numpy as np

from calc.limits import MAX_INT64_PRODUCT, MAX_MONEY_FEN
from calc.rules.base import (
    pick,
    by_rating,
    code, declare_range, decide, truth,
    GRANTED, NEEDS_INPUT_ITEM, NO_REASONS, NOT_ELIGIBLE, Award, Col, Ctx, item, k_compare, k_greater, mul_rate,
    on_flag, per_count, ratio_at_least, reasons_worded,
)

P = "xiamen_sti_measures"

# R&D is divided by the step: a reform may set any step from one fen up to the money bound, never 0
declare_range(f"{P}.rd_step_subsidy.step", 1, MAX_MONEY_FEN, "a step (the R&D is divided by it)", "yuan")


@item(f"{P}.national_platform_award")
def national_platform_award(ctx: Ctx) -> Award:
    """措施2: 新获批国家级创新平台给予一次性3000万元奖励 — per platform."""
    return per_count(ctx, "new_national_platforms", "amount", "no_new_platform")


@item(f"{P}.intl_coop_base_award")
def intl_coop_base_award(ctx: Ctx) -> Award:
    """措施3: 新入选国家级国际科技合作基地、对台科技合作与交流基地给予一次性200万元奖励 — per base."""
    return per_count(ctx, "new_intl_coop_bases", "amount", "no_new_base")


@item(f"{P}.intl_coop_base_evaluation")
def intl_coop_base_evaluation(ctx: Ctx) -> Award:
    """措施3: 考核评估优良的分别给予不超过100万元、50万元奖励."""
    return by_rating(ctx, "intl_coop_base_rating", {"excellent": ctx.p("max_excellent"), "good": ctx.p("max_good")},
                     "rating_below_good")


@item(f"{P}.brics_project")
def brics_project(ctx: Ctx) -> Award:
    """措施3: 金砖创新合作项目给予最高300万元支持 — per project."""
    return per_count(ctx, "brics_projects", "max_per_project", "no_project")


@item(f"{P}.intergov_project_transfer")
def intergov_project_transfer(ctx: Ctx) -> Award:
    """措施3: “政府间国际科技创新合作”项目成果在厦转化落地,给予最高1000万元支持 — per project."""
    return per_count(ctx, "intergov_projects", "max_per_project", "no_project")


@item(f"{P}.incubator_award")
def incubator_award(ctx: Ctx) -> Award:
    """措施6: 科技型企业孵化器、加速器给予每年每家最高500万元奖励."""
    return per_count(ctx, "incubators", "max_per_year", "no_incubator")


@item(f"{P}.pilot_platform_subsidy")
def pilot_platform_subsidy(ctx: Ctx) -> Award:
    """措施6: 自主建设的国家级制造业中试平台,按设备投入情况给予最高3000万元补助 — per platform."""
    return per_count(ctx, "national_pilot_platforms", "max_per_platform", "no_pilot_platform")


@item(f"{P}.sme_innovation_project")
def sme_innovation_project(ctx: Ctx) -> Award:
    """措施7: 科技型中小企业创新项目给予最高100万元支持 — per project."""
    return per_count(ctx, "sme_innovation_projects", "max_per_project", "no_project")


def rd_growth(ctx: Ctx):
    rd = ctx.money("rd_expense")
    prev = ctx.money("rd_expense_prev")
    return rd, prev, rd.known & prev.known


@item(f"{P}.rd_step_subsidy")
def rd_step_subsidy(ctx: Ctx) -> Award:
    """措施7: 年度自主研发费用高于200万元且较上年实现增长的,每满200万元给予10万元补助,最高500万元.

    Kleene: R&D not above 200万 fails whatever last year was; growth is decided from the two years.  A reading
    that leaves no full step pays 0, which is not a grant (calc.entitlements)."""
    rd, prev, known = rd_growth(ctx)
    threshold, step, per_step, cap = ctx.p("threshold"), ctx.p("step"), ctx.p("amount_per_step"), ctx.p("cap")
    above = k_compare(rd, ">", threshold)  # 高于: strict
    grew = k_greater(rd, prev)  # 实现增长: strictly more than last year
    reading = ctx.option("reading")
    if reading == "literal":
        stepped = rd.values
    else:  # R&D is ≥ 0 (Ctx.money checks it), so the part stepped is held at 0 from below
        stepped = rd.values - (prev.values if reading == "increment" else threshold)
        np.maximum(stepped, 0, out=stepped)
    steps = stepped // step  # ≤ MAX_MONEY_FEN // step (step ≥ 1 fen)
    if (MAX_MONEY_FEN // step) * per_step <= MAX_INT64_PRODUCT:  # every product fits in int64 (checked in Python)
        uncapped = steps * per_step
    else:  # a tiny step: past cap // amount + 1 steps the award is the cap anyway, so the steps are clamped first
        uncapped = np.minimum(steps, cap // per_step + 1) * per_step if per_step > 0 else np.zeros_like(steps)
    capped = uncapped > cap if reasons_worded() else None  # whether the cap binds: for the reason alone
    amount = np.minimum(uncapped, cap, out=uncapped)
    ok, status, reason = decide(ctx, [(above, "rd_not_above_threshold"), (grew, "rd_not_grown")])
    if capped is not None:
        granted = pick(capped, code("rd_step_capped"), code(f"rd_step_granted:{reading}"))
        reason = pick(ok, granted, reason).astype(np.int16, copy=False)
    # on the literal reading R&D above the threshold holds at least one full step when the threshold is one
    positive = reading == "literal" and threshold >= step and per_step > 0 and cap > 0
    # steps and the amount stepped are shown by the granted reasons only (on the other rows they are not read)
    return Award(amount, status, reason, {"steps": steps, "stepped": stepped}, positive=positive)


def growth_above(ctx: Ctx, rd: Col, prev: Col, rate, zero_base: str) -> Col:
    """增长率超过 rate: (rd − prev) / prev > rate, exactly; decided from the two years' ranges.

    Growth is increasing in this year's R&D and decreasing in last year's, so the least growth is at (low rd,
    high prev) and the most at (high rd, low prev); from a zero base any increase counts (zero_base =
    any_increase) or none does (no_rate), and a blank last year may be 0 or not."""
    def ok(r, p):
        positive = ratio_at_least(r - p, np.maximum(p, 1), rate, strict=True) & (r > p)
        return np.where(p > 0, positive, (r > 0) if zero_base == "any_increase" else False)
    if rd.complete and prev.complete:
        # (r − p) / p > g  ⇔  r·q > p·(q + n) for g = n/q and p > 0 (no subtraction: both sides are ≥ 0)
        r, p = rd.values, prev.values
        grown = ratio_at_least(r, p, 1 + rate, strict=True, bound=MAX_MONEY_FEN)  # from p = 0: r > 0
        return truth(grown if zero_base == "any_increase" else grown & (p > 0))
    rlow, rhigh = rd.low_high()
    plow, phigh = prev.low_high()
    true = ok(rlow, phigh) & ok(rlow, plow)
    false = ~ok(rhigh, plow) & ~ok(rhigh, np.where(prev.known, plow, np.maximum(plow, 1)))
    known = true | false
    from calc.rules.base import _needs_of
    return Col(true & known, known, _needs_of([rd, prev], ~known))


@item(f"{P}.rd_growth_bonus")
def rd_growth_bonus(ctx: Ctx) -> Award:
    """措施7: 年度自主研发费用高于500万元且增长率超过20%的,给予最高50万元叠加奖励."""
    rd, prev, known = rd_growth(ctx)
    above = k_compare(rd, ">", ctx.p("threshold"))  # 高于: strict
    growth = growth_above(ctx, rd, prev, ctx.p("growth_rate"), ctx.option("zero_base"))
    ok, status, reason = decide(ctx, [(above, "rd_not_above_bonus_threshold"), (growth, "growth_not_above_rate")])
    reason = pick(ok, code("granted_fixed"), reason).astype(np.int16, copy=False)
    return Award(pick(ok, ctx.p("amount"), 0).astype(np.int64, copy=False), status, reason, cleared=True,
                 positive=ctx.p("amount") > 0)


JOINT_LABS = "joint_labs"  # how many joint laboratories (a count column; blank = one lab)


@item(f"{P}.joint_lab")
def joint_lab(ctx: Ctx) -> Award:
    """措施7: 共建联合实验室,按非财政资金投入的10%给予最高1000万元补助 — the cap per laboratory.

    With ``joint_labs`` given the cap is joint_labs × 1000万 (the labs together); blank, the row is one lab."""
    invest = ctx.money("joint_lab_investment")
    labs = ctx.count(JOINT_LABS)
    uncapped = mul_rate(invest.values, ctx.p("rate"), ctx.node.rounding, MAX_MONEY_FEN)
    has = Col(invest.values > 0, invest.known, invest.needs)
    conditions = [(has, "no_joint_lab_investment")]
    scalars = {"rate": (ctx.p("rate"), "ratio"), "cap": (ctx.p("cap"), "yuan")}
    if labs.known.any():
        lab_count = labs.values if labs.complete else np.where(labs.known, labs.values, 1)
        cap = lab_count * ctx.p("cap")  # ≤ MAX_COUNT × MAX_UNIT_AMOUNT_FEN = MAX_ITEM_FEN
        conditions.append((truth(lab_count > 0), "no_joint_lab_investment"))
        detail = {"uncapped": uncapped, "labs": lab_count}
    else:  # no count given anywhere: every row is one laboratory
        cap = ctx.p("cap")
        detail = {"uncapped": uncapped}
        scalars["labs"] = (1, "count")
    amount = np.minimum(uncapped, cap)
    ok, status, reason = decide(ctx, conditions)
    if reasons_worded():  # whether the cap binds: for the reason alone
        reason = pick(ok, pick(uncapped > cap, code("joint_lab_capped"), code("joint_lab_rate")), reason)
    # not granted: no investment or a blank one (held as 0) pays 0 at any rate, and no laboratory has a cap of 0
    return Award(amount, status, reason.astype(np.int16, copy=False), detail, scalars, cleared=True)


@item(f"{P}.scenario_project")
def scenario_project(ctx: Ctx) -> Award:
    """措施11: 科技创新应用场景项目,给予每个项目最高2000万元支持."""
    return per_count(ctx, "scenario_projects", "max_per_project", "no_project")


@item(f"{P}.tech_transaction")
def tech_transaction(ctx: Ctx) -> Award:
    """措施11: 产学研合作项目给予企业实际支付技术交易额最高50%的支持,每个项目最高100万元."""
    paid = ctx.money("tech_transaction_paid")
    uncapped = mul_rate(paid.values, ctx.p("max_rate"), ctx.node.rounding, MAX_MONEY_FEN)
    amount = np.minimum(uncapped, ctx.p("cap_per_project"))
    ok = paid.values > 0  # a blank is held as 0
    status = pick(ok, GRANTED, NOT_ELIGIBLE)
    reason = NO_REASONS
    if reasons_worded():  # whether the cap binds: for the reason alone
        reason = pick(ok, pick(uncapped > ctx.p("cap_per_project"), code("tech_capped"), code("tech_rate")),
                      code("no_tech_transaction"))
    if not paid.complete:
        status = pick(~paid.known, NEEDS_INPUT_ITEM, status)
        reason = pick(~paid.known, code("needs:tech_transaction_paid"), reason)
    return Award(amount, status.astype(np.int8, copy=False),
                 reason.astype(np.int16, copy=False), {"uncapped": uncapped},
                 {"rate": (ctx.p("max_rate"), "ratio"), "cap": (ctx.p("cap_per_project"), "yuan")},
                 cleared=True)  # not granted: nothing paid, or a blank held as 0, pays 0 at any rate


@item(f"{P}.hightech_transformation_award")
def hightech_transformation_award(ctx: Ctx) -> Award:
    """措施11: 企业高新技术成果转化项目,由各区给予连续2年、每年每家企业最高100万元奖励."""
    return on_flag(ctx, "hightech_transformation_project", ctx.p("max_per_year"), "no_transformation_project")


@item(f"{P}.postdoc_allowance")
def postdoc_allowance(ctx: Ctx) -> Award:
    """措施12: 对进站博士后给予最长2年、每人每年最高15万元生活补助 — one year, per postdoc."""
    return per_count(ctx, "postdocs_in_station", "max_per_person_year", "no_postdoc")
