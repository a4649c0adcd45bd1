"""What it would take to get more: the R&D for the next 10万 step, the growth for the 叠加 bonus, a cap reached.

``next_steps(result)`` reads an :class:`~calc.entitlements.EntitlementResult` and
returns one row per enterprise and hint, with the amount still needed (in yuan)
and a sentence in the chosen language.  Every number comes from the parameters
in force on the result's as-of date; the arithmetic is exact (integer fen).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calc import explain
from calc.entitlements import EntitlementResult
from calc.rules.base import FEN_PER_YUAN, GRANTED, Ctx, code

STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
MATCH = "xiamen_consortium_2025.national_project_matching"

HINTS = {
    "rd_next_step": ("再增加研发费用{needed}（达到{target}），研发费用补助可增加{gain}",
                     "{needed} more R&D (to {target}) raises the R&D step subsidy by {gain}"),
    "rd_to_qualify": ("研发费用需达到{target}（还差{needed}）且高于上年，方可获得研发费用补助",
                      "R&D must reach {target} ({needed} more) and exceed last year's to earn the step subsidy"),
    "rd_cap_reached": ("研发费用补助已达上限{cap}", "the R&D step subsidy is at its cap of {cap}"),
    "bonus_to_qualify": ("研发费用需达到{target}（还差{needed}），即高于{threshold}且增长率超过{rate}，可获最高{amount}叠加奖励",
                         "R&D of {target} ({needed} more) — above {threshold} and growth above {rate} — earns the "
                         "bonus of up to {amount}"),
    "matching_cap_reached": ("国家项目配套已达上限{cap}", "national project matching is at its cap of {cap}"),
}


def _ceil_to_yuan(fen: np.ndarray) -> np.ndarray:
    return -(-fen // FEN_PER_YUAN) * FEN_PER_YUAN


def next_steps(result: EntitlementResult, lang: str = "zh") -> pd.DataFrame:
    """Hints for every enterprise where one applies (vectorised; sentences only for the rows returned)."""
    policies, as_of, frame = result.policies, result.as_of, result.frame
    ctx = Ctx(frame, policies, as_of)
    rows: list[pd.DataFrame] = []
    ids = frame["enterprise_id"].to_numpy()

    def emit(mask: np.ndarray, key: str, item_id: str, needed: np.ndarray | None, fields: dict):
        where = np.flatnonzero(mask)
        if not len(where):
            return
        template = explain.pick(HINTS[key], lang)
        sentences = []
        for i in where:
            values = {k: (explain.format_value(int(v[i]), "yuan", lang) if isinstance(v, np.ndarray) else v)
                      for k, v in fields.items()}
            sentences.append(explain.render(template, values))
        rows.append(pd.DataFrame({
            "enterprise_id": ids[where], "item_id": item_id, "hint": key,
            "needed_yuan": (needed[where] // FEN_PER_YUAN) if needed is not None else 0,
            "message": sentences,
        }, index=frame.index[where]))

    def live(item_id: str) -> bool:
        # an item whose policy is not in force on the as-of date has no parameters then: no hint to give
        if item_id not in result.awards:
            return False
        node = policies.node(item_id)
        return (policies.policies[node.policy_id].in_force(as_of)
                and all(prm.version_at(as_of) is not None for prm in node.parameters.values()))

    if live(STEP):
        node = policies.node(STEP)
        c = ctx.for_node(node)
        step, per_step, cap, threshold = c.p("step"), c.p("amount_per_step"), c.p("cap"), c.p("threshold")
        rd, prev = c.money("rd_expense"), c.money("rd_expense_prev")
        award = result.awards[STEP]
        granted = award.status == GRANTED
        at_cap = granted & (award.amount >= cap)
        if c.option("reading") == "literal":
            target = (rd.values // step + 1) * step
            emit(granted & ~at_cap, "rd_next_step", STEP, target - rd.values,
                 {"needed": target - rd.values, "target": target, "gain": np.full(len(frame), per_step)})
        emit(at_cap, "rd_cap_reached", STEP, None, {"cap": explain.format_value(cap, "yuan", lang)})
        # not eligible: the smallest whole-yuan R&D strictly above both the threshold and last year's
        short = np.isin(award.reason, [code("rd_not_above_threshold"), code("rd_not_grown")])
        target = _ceil_to_yuan(np.maximum(threshold, prev.values) + 1)
        emit(short, "rd_to_qualify", STEP, target - rd.values, {"needed": target - rd.values, "target": target})

    if live(BONUS):
        node = policies.node(BONUS)
        c = ctx.for_node(node)
        threshold, rate, amount = c.p("threshold"), c.p("growth_rate"), c.p("amount")
        rd, prev = c.money("rd_expense"), c.money("rd_expense_prev")
        award = result.awards[BONUS]
        missing = np.isin(award.reason, [code("rd_not_above_bonus_threshold"), code("growth_not_above_rate")]) \
            & (prev.values > 0)
        # growth above the rate: rd > prev × (1 + rate), i.e. the least whole yuan strictly above it
        growth_floor = (prev.values * (rate.denominator + rate.numerator)) // rate.denominator
        target = _ceil_to_yuan(np.maximum(threshold, growth_floor) + 1)
        emit(missing, "bonus_to_qualify", BONUS, target - rd.values,
             {"needed": target - rd.values, "target": target,
              "threshold": explain.format_value(threshold, "yuan", lang),
              "rate": explain.format_value(rate, "ratio", lang), "amount": explain.format_value(amount, "yuan", lang)})

    if live(MATCH):
        c = ctx.for_node(policies.node(MATCH))
        cap = c.p("cap")
        award = result.awards[MATCH]
        emit((award.status == GRANTED) & (award.amount >= cap), "matching_cap_reached", MATCH, None,
             {"cap": explain.format_value(cap, "yuan", lang)})

    if not rows:
        return pd.DataFrame(columns=["enterprise_id", "item_id", "hint", "needed_yuan", "message"])
    return pd.concat(rows).sort_index(kind="stable").reset_index(drop=True)
