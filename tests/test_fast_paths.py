"""The engine's fast paths give exactly what the general three-valued path gives.

Where every row of a column is known (a batch with every input given), the Kleene combinators skip the ranges
and the needs (calc.rules.base: Col.complete), the requirements met on every row skip the combination
(calc.entitlements._requirements), and the zero check counts instead of comparing.  The property: a table of
complete rows gives, row for row, the same amounts, statuses, reasons and 就高不重复 winners as the same rows
computed beside one blank row (whose blanks send every column down the general path).
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc import entitlements
from calc.allocator import LARGE_ROWS

from test_kleene import E_COUNTS, E_FLAGS, E_MONEY, enterprise

AS_OF = "2026-06-30"
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(fast, general, rows: int) -> None:
    for item_id, award in fast.awards.items():
        other = general.awards[item_id]
        assert (award.amount == other.amount[:rows]).all(), item_id
        assert (award.status == other.status[:rows]).all(), item_id
        assert (award.reason == other.reason[:rows]).all(), item_id
    for item_id, (members, winner) in fast.won_by.items():
        assert general.won_by[item_id][0] == members
        assert (winner == general.won_by[item_id][1][:rows]).all(), item_id


@PROPERTY
@given(st.lists(enterprise(), min_size=1, max_size=6))
def test_complete_columns_give_what_the_three_valued_path_gives(rows):
    complete = pd.DataFrame([{**r, "enterprise_id": f"E{i}"} for i, r in enumerate(rows)], dtype=object)
    blank = {"enterprise_id": "blank", **{c: None for c in complete.columns if c != "enterprise_id"}}
    with_blank = pd.concat([complete, pd.DataFrame([blank], dtype=object)], ignore_index=True)
    fast, general = entitlements(complete, as_of=AS_OF), entitlements(with_blank, as_of=AS_OF)
    assert fast.errors.empty and general.errors.empty
    _same(fast, general, len(rows))
    assert set(general.items()["status"][general.items()["enterprise_id"] == "blank"]) <= {
        "needs_input", "not_in_force", "not_eligible"}


@PROPERTY
@given(enterprise())
def test_requirements_met_on_every_row_give_what_mixed_rows_give(row):
    # every row in Xiamen and a member (requirements met throughout) vs the same rows beside one that is not
    met = {**row, "city": "xiamen", "consortium_member": True}
    unmet = {**row, "enterprise_id": "elsewhere", "city": "other", "consortium_member": False,
             "consortium_lead": False, "talent_consortium_lead": False}
    fast = entitlements(pd.DataFrame([met], dtype=object), as_of=AS_OF)
    general = entitlements(pd.DataFrame([met, unmet], dtype=object), as_of=AS_OF)
    _same(fast, general, 1)


def test_a_zero_grant_is_found_by_the_count():
    # 措施11: 50% of a technology transaction of 1 fen floors to 0 yuan: a zero is not a grant (not_eligible,
    # zero_amount), and a row beside it paying 50% × 100,000元 = 50,000元 stays granted
    frame = pd.DataFrame({"enterprise_id": ["tiny", "real"], "city": ["xiamen", "xiamen"],
                          "tech_transaction_paid": ["0.01", "100000"]})
    award = entitlements(frame, as_of=AS_OF, items=["xiamen_sti_measures.tech_transaction"]).items()
    tiny, real = award.iloc[0], award.iloc[1]
    assert (tiny["status"], tiny["amount_yuan"]) == ("not_eligible", 0)
    assert "为零" in tiny["reason"]
    assert (real["status"], real["amount_yuan"]) == ("granted", 50_000)


def test_columns_handed_to_rules_cannot_be_written_through():
    # the loaders' Int64 columns are read without a copy: a rule writing into one would change the caller's table
    frame = pd.DataFrame({"enterprise_id": ["a"], "city": ["xiamen"], "rd_expense": ["300万"],
                          "rd_expense_prev": ["100万"]})
    result = entitlements(frame, as_of=AS_OF, items=["xiamen_sti_measures.rd_step_subsidy"])
    from calc.policies import default_policies
    from calc.rules.base import Ctx
    ctx = Ctx(result.frame, default_policies(), result.as_of)
    values = ctx.money("rd_expense").values
    assert not values.flags.writeable
    assert int(result.frame["rd_expense"].iloc[0]) == 300 * 10_000 * 100  # fen, unchanged by the run


def test_the_allocator_is_tuned_only_for_large_tables_and_never_when_opted_out():
    import subprocess
    import sys
    probe = ("import calc.allocator as a; small = a.tune_for_rows(a.LARGE_ROWS - 1); "
             "print(small, a._state['tuned'] is None, a.tune_for_rows(a.LARGE_ROWS))")
    run = lambda env: subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                     env={**__import__("os").environ, **env}).stdout.split()
    small, untried, large = run({})
    assert (small, untried) == ("False", "True")  # below LARGE_ROWS nothing is tried
    import platform
    assert large == str(platform.libc_ver()[0] == "glibc")
    assert run({"CALC_MALLOC_TUNING": "0"})[2] == "False"
    # from a thread other than the main one (a Dask task, a caller's pool): never
    in_thread = ("import calc.allocator as a, threading; out = []; "
                 "t = threading.Thread(target=lambda: out.append(a.tune_for_rows(10**7))); t.start(); t.join(); "
                 "print(out[0], a._state['tuned'] is None)")
    assert subprocess.run([sys.executable, "-c", in_thread], capture_output=True, text=True,
                          check=True).stdout.split() == ["False", "True"]
    assert LARGE_ROWS > 10_000  # a dashboard's population (a few thousand) never tunes it


def _raw_awards(rows: list[dict], blanks: set[str]):
    """Each in-force rule's own Award (before the engine applies requirements), on the rows with ``blanks``
    blanked in every other row."""
    from calc.inputs import load_enterprises
    from calc.policies import default_policies
    from calc.rules.base import ITEMS, Ctx
    frame = pd.DataFrame([{**r, "enterprise_id": f"E{i}", **{b: None for b in blanks if i % 2}}
                          for i, r in enumerate(rows)], dtype=object)
    policies = default_policies()
    ctx = Ctx(load_enterprises(frame).frame, policies, pd.Timestamp(AS_OF).date())
    for node in policies.items():
        if node.kind != "info" and policies.policies[node.policy_id].in_force(ctx.as_of):
            yield node.id, ITEMS[node.id](ctx.for_node(node))


ROWS_AND_BLANKS = (st.lists(enterprise(), min_size=1, max_size=6),
                   st.sets(st.sampled_from(E_MONEY + E_COUNTS + E_FLAGS), max_size=4))


@PROPERTY
@given(*ROWS_AND_BLANKS)
def test_a_rule_that_says_its_amounts_are_cleared_pays_nothing_where_it_does_not_grant(rows, blanks):
    # Award.cleared lets the engine skip clearing the amounts; it must hold on every row, blanks included
    from calc.rules.base import GRANTED
    for item_id, award in _raw_awards(rows, blanks):
        if award.cleared:
            assert (award.amount[award.status != GRANTED] == 0).all(), item_id


@PROPERTY
@given(*ROWS_AND_BLANKS)
def test_a_rule_that_says_its_grants_are_positive_grants_no_zero(rows, blanks):
    # Award.positive lets the engine skip the zero check; it must hold on every row, blanks included
    from calc.rules.base import GRANTED
    for item_id, award in _raw_awards(rows, blanks):
        if award.positive:
            assert (award.amount[award.status == GRANTED] > 0).all(), item_id
