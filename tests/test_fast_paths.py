"""The engine's fast paths give exactly what the general three-valued path gives.

Where every row of a column is known (a batch with every input given), the Kleene combinators skip the ranges
and the needs (calc.rules.base: Col.complete), the requirements met on every row skip the combination
(calc.entitlements._requirements), and the zero check counts instead of comparing.  The property: a table of
complete rows gives, row for row, the same amounts, statuses, reasons and 就高不重复 winners as the same rows
computed beside one blank row (whose blanks send every column down the general path).
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calc import entitlements
from calc.allocator import LARGE_ROWS

from test_kleene import E_COUNTS, E_FLAGS, E_MONEY, enterprise

AS_OF = "2026-06-30"
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _probe(script: str, *args: str, env: dict | None = None) -> list[str]:
    """The words ``script`` prints, run in a fresh Python (the allocator's tuning and the engine's threads are
    per process); a failure shows the end of its stderr."""
    import os
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=600,
                         env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


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
    probe = ("import calc.allocator as a; small = a.tune_for_rows(a.LARGE_ROWS - 1); "
             "print(small, a._state['tuned'] is None, a.tune_for_rows(a.LARGE_ROWS))")
    small, untried, large = _probe(probe)
    assert (small, untried) == ("False", "True")  # below LARGE_ROWS nothing is tried
    import platform
    assert large == str(platform.libc_ver()[0] == "glibc")
    assert _probe(probe, env={"CALC_MALLOC_TUNING": "0"})[2] == "False"
    # from a thread other than the main one (a Dask task, a caller's pool): never
    in_thread = ("import calc.allocator as a, threading; out = []; "
                 "t = threading.Thread(target=lambda: out.append(a.tune_for_rows(10**7))); t.start(); t.join(); "
                 "print(out[0], a._state['tuned'] is None)")
    assert _probe(in_thread) == ["False", "True"]
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


THREADS_PROBE = r'''
import sys, platform
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
from test_kleene import E_COUNTS, E_FLAGS, E_MONEY
import calc, calc.allocator as allocator

rng = np.random.default_rng(20261202)
n = allocator.LARGE_ROWS + 17
blank = lambda: rng.random(n) < 0.15  # about one cell in seven left blank, in every column
table = {"enterprise_id": [f"E{i}" for i in range(n)],
         "city": pd.array(rng.choice(["xiamen", "xiamen", "xiamen", "other"], n), dtype=object)}
table["city"][blank()] = None
steps = np.array([0, 1, 199, 200, 201, 400, 500, 600, 1000, 2000, 30000]) * 10_000  # yuan, around the thresholds
for column in E_MONEY:
    table[column] = pd.array(rng.choice(steps, n) + rng.integers(0, 2, n), dtype="Int64")
    table[column][blank()] = pd.NA
for column in E_COUNTS:
    table[column] = pd.array(rng.integers(0, 3, n), dtype="Int64")
    table[column][blank()] = pd.NA
said = np.ones(n, dtype=bool)
for column in E_FLAGS:  # member, lead, talent lead: each only where the one before holds (the loader's rule)
    said = said & (rng.random(n) < 0.6) if column != "new_mechanism_recognised" else rng.random(n) < 0.5
    table[column] = pd.array(said, dtype="boolean")
    table[column][blank()] = pd.NA
parsed = calc.load_enterprises(pd.DataFrame(table))
assert parsed.errors.empty and len(parsed.frame) == n

threaded = calc.entitlements(parsed, as_of="2026-06-30")
used_threads = allocator.worker_pool() is not None
assert used_threads == (platform.libc_ver()[0] == "glibc"), used_threads  # the threads ran where they can
allocator.worker_pool = lambda: None  # the same run in the calling thread alone
alone = calc.entitlements(parsed, as_of="2026-06-30")

for item_id, award in alone.awards.items():
    other = threaded.awards[item_id]
    for part in ("amount", "status", "reason"):
        assert np.array_equal(getattr(award, part), getattr(other, part)), (item_id, part)
    assert award.detail.keys() == other.detail.keys(), item_id
    for key in award.detail:
        assert np.array_equal(award.detail[key], other.detail[key]), (item_id, key)
    assert award.scalars == other.scalars, item_id
assert alone.won_by.keys() == threaded.won_by.keys()
for item_id, (members, winner) in alone.won_by.items():
    assert threaded.won_by[item_id][0] == members and np.array_equal(threaded.won_by[item_id][1], winner)
granted = sum(int((a.status == 0).sum()) for a in alone.awards.values())
print("same", len(alone.awards), granted)
'''


def test_items_in_threads_give_exactly_what_one_thread_gives():
    # from LARGE_ROWS rows on the main thread the engine shares the items among the cores
    # (calc.allocator.worker_pool); the same table in one thread must give the same arrays, element for element,
    # on a table with blanks in every column and values at every threshold of the anchor's rules
    import os
    word, items, granted = _probe(THREADS_PROBE, os.path.dirname(__file__))
    assert word == "same" and int(items) >= 26 and int(granted) > 0


ERROR_PROBE = r'''
import sys
import pandas as pd
import calc
from calc.rules.base import InputBoundError
parsed = calc.load_enterprises(pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(int(sys.argv[1]))],
                                             "city": "xiamen", "rd_expense": 300 * 10_000,
                                             "tech_transaction_paid": 10_000, "national_funding": 1}))
# out of bounds in two columns read by different items, written past the loader: the error is the one the first
# of those items raises in the items' order, whether the items share the cores or not
parsed.frame["tech_transaction_paid"] = pd.array([-5] * len(parsed.frame), dtype="Int64")
parsed.frame["rd_expense"] = pd.array([10**18] * len(parsed.frame), dtype="Int64")
items = ["xiamen_sti_measures.tech_transaction", "xiamen_sti_measures.rd_step_subsidy"]
for _ in range(3):
    try:
        calc.entitlements(parsed, as_of="2026-06-30", items=items)
    except InputBoundError as error:
        print(str(error).split(":")[0])
'''


def test_an_error_in_threads_is_the_one_the_first_failing_item_raises():
    from calc.policies import default_policies
    order = [n.id for n in default_policies().items()]
    # the step subsidy comes before the tech transaction in the policies' order, so its column is named
    assert order.index("xiamen_sti_measures.rd_step_subsidy") < order.index("xiamen_sti_measures.tech_transaction")
    for rows in (3, LARGE_ROWS):  # one thread, then the items in threads
        assert _probe(ERROR_PROBE, str(rows)) == ["column", "rd_expense"] * 3, rows


@PROPERTY
@given(st.integers(min_value=1, max_value=600), st.integers(min_value=2, max_value=4),
       st.floats(min_value=0, max_value=1), st.integers(0, 2**32 - 1))
@example(n=600, k=2, density=0.1, seed=1)  # few rows contested: compared alone
@example(n=600, k=3, density=0.12, seed=3)  # few rows contested among three (lost to the second and the third)
@example(n=600, k=3, density=0.9, seed=2)  # most rows contested: every row
def test_highest_no_duplication_gives_the_first_highest_grant_whether_few_or_many_rows_are_contested(
        n, k, density, seed):
    # 就高不重复 (calc.entitlements._Exclusivity): where two or more members are granted, the first of the highest
    # amounts wins and the others are duplicates; the rows are compared alone when few are contested, every row
    # when many, and both must give this, leaving the members' own arrays as they were
    from types import SimpleNamespace

    import numpy as np
    from calc.entitlements import _Exclusivity
    from calc.rules.base import DUPLICATE, GRANTED, NOT_ELIGIBLE, Award, code
    rng = np.random.default_rng(seed)
    members = [f"m{i}" for i in range(k)]
    awards = {}
    for m in members:  # granted rows hold an amount above 0 (ties likely), the others 0: the engine's invariant
        granted = rng.random(n) < density
        amount = np.where(granted, rng.integers(1, 4, n) * 100, 0).astype(np.int64)
        status = np.where(granted, GRANTED, NOT_ELIGIBLE).astype(np.int8)
        awards[m] = Award(amount, status, rng.integers(0, 50, n).astype(np.int16))
    before = {m: (a.status.copy(), a.reason.copy()) for m, a in awards.items()}
    own = {m: (a.status, a.reason) for m, a in awards.items()}
    groups = SimpleNamespace(groups={"g": SimpleNamespace(members=members)})
    exclusivity = _Exclusivity(groups, members)
    exclusivity.resolve_ready(awards)
    amounts = np.stack([awards[m].amount for m in members])
    first_highest = amounts.argmax(axis=0)  # argmax takes the first of equal maxima
    for i, m in enumerate(members):
        old_status, old_reason = before[m]
        loses = (old_status == GRANTED) & (first_highest != i)
        assert np.array_equal(awards[m].status, np.where(loses, DUPLICATE, old_status)), m
        assert np.array_equal(awards[m].reason, np.where(loses, code("duplicate"), old_reason)), m
        assert np.array_equal(exclusivity.won_by[m][1], np.where(loses, first_highest, -1)), m
        assert exclusivity.won_by[m][0] == tuple(members)
        assert awards[m].status.dtype == np.int8 and awards[m].reason.dtype == np.int16
        assert np.array_equal(own[m][0], old_status) and np.array_equal(own[m][1], old_reason), m


FORK_PROBE = r'''
import os, platform, signal, sys
import numpy as np, pandas as pd
import calc, calc.allocator as allocator
n = allocator.LARGE_ROWS
table = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(n)], "city": "xiamen",
                      "rd_expense": np.arange(n) * 100, "rd_expense_prev": np.arange(n) * 90})
parsed = calc.load_enterprises(table)
parent = calc.entitlements(parsed, as_of="2026-06-30")  # the helper threads start here (glibc)
assert (allocator.worker_pool() is not None) == (platform.libc_ver()[0] == "glibc")
pid = os.fork()
if pid == 0:  # the child: the parent's helper thread is not there; a run must not wait for it
    signal.alarm(120)
    child = calc.entitlements(parsed, as_of="2026-06-30")
    same = all(np.array_equal(child.awards[i].amount, parent.awards[i].amount) for i in parent.awards)
    os._exit(0 if same else 1)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
'''


def test_a_forked_child_computes_without_its_parents_threads():
    # multiprocessing's default on Linux forks: a child inherits the pool's bookkeeping but not its thread (before
    # calc.allocator forgot it in the child, the child waited for that thread until killed)
    assert _probe(FORK_PROBE) == ["0"]  # the child finished (no alarm), with the parent's amounts


def test_a_run_from_another_thread_computes_in_that_thread_alone():
    # a Dask task or a caller's own pool: the engine's helper threads are for the main thread's large runs only
    probe = r'''
import threading
import numpy as np, pandas as pd
import calc, calc.allocator as allocator
n = allocator.LARGE_ROWS
parsed = calc.load_enterprises(pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(n)], "city": "xiamen",
                                             "rd_expense": np.arange(n) * 100}))
calc.entitlements(parsed, as_of="2026-06-30")  # on the main thread: tuned, and its helpers started (glibc)
used = []
original = calc.entitlements.__globals__["_run_shared"]
calc.entitlements.__globals__["_run_shared"] = lambda *a: used.append(threading.current_thread().name) or original(*a)
calc.entitlements(parsed, as_of="2026-06-30")
t = threading.Thread(target=lambda: calc.entitlements(parsed, as_of="2026-06-30"), name="task")
t.start(); t.join()
print(used == ([threading.main_thread().name] if allocator.worker_pool() else []))
'''
    assert _probe(probe) == ["True"]
