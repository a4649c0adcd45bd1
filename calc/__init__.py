"""Rules-as-code calculator for Chinese S&T subsidy and innovation-consortium policies.

    import calc
    result = calc.entitlements(df, as_of="2026-06-30")      # what each enterprise can claim
    result.totals(); result.items(); result.explain("E001")
    check = calc.assess_consortia(df, jurisdictions="all")   # consortium eligibility in four jurisdictions
    check.summary(); check.criteria(); check.manual_checks()
    cmp = calc.compare(df, [{"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}}])
    cmp.items; cmp.enterprises; cmp.breakdown("district")       # baseline vs reform
"""


def _started_as_the_command_line() -> bool:
    """``python -m calc`` while Python locates it (argv[0] is "-m" until then), or the ``subsidy-calc`` script."""
    import os
    import sys

    orig = list(getattr(sys, "orig_argv", []))
    located = sys.argv[:1] == ["-m"] and any(a == "-m" and b == "calc" for a, b in zip(orig, orig[1:]))
    return located or os.path.basename(sys.argv[0] if sys.argv else "") == "subsidy-calc"


if _started_as_the_command_line():
    # Ctrl-C while the command line loads (about a second of imports) ends it quietly, as it does later
    # (calc.cli.main puts Python's own handler back first thing)
    import signal as _signal

    def _interrupted_while_loading(signum, frame):  # noqa: ARG001
        import os
        import sys

        sys.stderr.write("interrupted; no output was replaced\n")
        sys.stderr.flush()
        os._exit(130)

    _signal.signal(_signal.SIGINT, _interrupted_while_loading)

from calc.budget import Comparison, Projection, Reform, cliffs, compare, load_reform, project, prorate, sensitivity
from calc.eligibility import EligibilityResult, assess_consortia
from calc.entitlements import EntitlementResult, OptionError, entitlements
from calc.inputs import InputError, load_consortia, load_enterprises, write_templates
from calc.money import MoneyError, format_money, parse_money
from calc.policies import PolicyDataError, default_policies, load_policies

from calc.resources import SAMPLES  # the sample tables (data/samples)

__all__ = [
    "SAMPLES",
    "Comparison", "Projection", "Reform", "cliffs", "compare", "load_reform", "project", "prorate", "sensitivity",
    "EligibilityResult", "EntitlementResult", "InputError", "MoneyError", "OptionError", "PolicyDataError",
    "assess_consortia", "default_policies", "entitlements", "format_money", "load_consortia",
    "load_enterprises", "load_policies", "parse_money", "write_templates",
]
