"""Rules-as-code calculator for Chinese S&T subsidy and innovation-consortium policies.

    import calc
    result = calc.entitlements(df, as_of="2026-06-30")      # what each enterprise can claim
    result.totals(); result.items(); result.explain("E001")
    check = calc.assess_consortia(df, jurisdictions="all")   # consortium eligibility in four jurisdictions
    check.summary(); check.criteria(); check.manual_checks()
    cmp = calc.compare(df, [{"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}}])
    cmp.items; cmp.enterprises; cmp.breakdown("district")       # baseline vs reform
"""


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
