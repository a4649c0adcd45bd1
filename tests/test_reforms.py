"""Reforms: every value range-checked by its parameter, every error at once, the flat form, and YAML that
cannot hurt (billion laughs, tags, deep nesting, wrong encodings, dates that do not exist, huge files).

A range error names the parameter, the value and the allowed range.  The hostile files are generated in a
temporary folder by each test.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tracemalloc
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
import yaml

from calc import PolicyDataError, default_policies, entitlements, load_policies
from calc.budget import apply_reforms, compare, load_reform
from calc.limits import MAX_COUNT, MAX_MONEY_FEN, MAX_UNIT_AMOUNT_FEN, Limits
from calc.policies import POLICY_DIR, load_policy_file, read_yaml_file

AS_OF = "2026-06-30"
ON = dt.date(2026, 6, 30)
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
JOINT_LAB = "xiamen_sti_measures.joint_lab"
POSTDOC = "xiamen_sti_measures.postdoc_allowance"
PLATFORM = "xiamen_consortium_2025.lead_platform.min_level"
RELAXED = "hainan_consortium_2022.lead_platform.relaxed_fields"
WAN = 10_000  # yuan
HANDFUL = pd.DataFrame([  # R&D and last year's: 600万 → 300万 cap; 360万 → 300万; 20万 stays
    {"enterprise_id": "E1", "city": "xiamen", "rd_expense": "1.2亿", "rd_expense_prev": "1亿"},
    {"enterprise_id": "E2", "city": "xiamen", "rd_expense": "7200万", "rd_expense_prev": "6000万"},
    {"enterprise_id": "E3", "city": "xiamen", "rd_expense": "480万", "rd_expense_prev": "400万"},
])


def refused(overrides, *messages):
    """The reform is refused, and the one message holds every expected part."""
    with pytest.raises(PolicyDataError) as excinfo:
        apply_reforms(default_policies(), [{"name": "r", "parameters": overrides}])
    text = str(excinfo.value)
    for message in messages:
        assert message in text, (message, text)
    assert "Traceback" not in text
    return text


def accepted(overrides):
    return apply_reforms(default_policies(), [{"name": "r", "parameters": overrides}])


# ---------------------------------------------------------------------------------------------- ranges per parameter

@pytest.mark.parametrize("parameter, value, allowed", [
    # a rate paid: 0% … 100%
    (f"{JOINT_LAB}.rate", -0.5, "a rate paid must be 0% to 100%"),
    (f"{JOINT_LAB}.rate", "-50%", "a rate paid must be 0% to 100%"),
    (f"{JOINT_LAB}.rate", "150%", "a rate paid must be 0% to 100%"),
    (f"{JOINT_LAB}.rate", "100.0000001%", "a rate paid must be 0% to 100%"),
    (f"{JOINT_LAB}.rate", 1.0e300, "a rate paid must be 0% to 100%"),
    # a step divides the R&D: one fen at least
    (f"{STEP}.step", 0, "a step (the R&D is divided by it) must be ¥0.01 to ¥10,000,000,000,000"),
    (f"{STEP}.step", "100000亿零", "cannot read"),
    # amounts an item pays: 0 … 10亿元
    (f"{STEP}.amount_per_step", 92233720368547758, "above the largest amount accepted"),
    (f"{STEP}.amount_per_step", 92233720368547758, "allowed: an amount an item pays (fixed, per unit or a cap), "
                                                   "¥0 to ¥1,000,000,000"),
    (f"{STEP}.amount_per_step", "1000000000.01", "¥1,000,000,000.01 is out of range"),
    (f"{STEP}.amount_per_step", "1000000000.01", "must be ¥0 to ¥1,000,000,000"),
    (f"{STEP}.cap", "-5万", "negative"),
    # thresholds: 0 … 10万亿元; a growth rate compared: 0 … 1000%
    (f"{STEP}.threshold", "1.0000001万", "more precise than one fen"),
    (f"{STEP}.threshold", "100001亿", "above the largest amount accepted"),
    (f"{STEP}.threshold", "100001亿", "allowed: an amount of money, ¥0 to ¥10,000,000,000,000"),
    (f"{BONUS}.growth_rate", "1000.01%", "a rate compared with must be 0% to 1000%"),
    # counts and spans
    ("xiamen_consortium_2025.members_total.min", MAX_COUNT + 1, "a count must be 0 to 1,000,000"),
    ("xiamen_consortium_2025.lead_rd.years", 4, "must be 1 to 3"),
    ("xiamen_consortium_2025.lead_rd.years", 0, "must be 1 to 3"),
    (f"{POSTDOC}.max_years", 102, "a number of years must be 0 to 101"),
    (f"{POSTDOC}.max_years", 1.5, "not a whole non-negative number"),
    (f"{POSTDOC}.max_years", True, "not a whole number"),
    # precision: a rate's lowest-terms denominator at most 10^30
    (f"{JOINT_LAB}.rate", "10.00000000000000000000000000001%", "more precise"),
    (f"{JOINT_LAB}.rate", float("nan"), "not a finite number"),
    # words
    (PLATFORM, "超级", "is not a platform level"),
    (PLATFORM, 5, "is not a platform level"),
    (RELAXED, 5, "not a list of words"),
    (RELAXED, {"a": 1}, "unknown keys a (known: value, from, until)"),
    (RELAXED, {"from": "2026-01-01"}, "no value given"),
])
def test_a_value_out_of_its_parameters_range_is_refused_with_the_parameter_value_and_range(parameter, value, allowed):
    text = refused({parameter: value}, parameter, allowed)
    if not isinstance(value, dict):  # a dated value's own problem is said instead
        shown = repr(value) if not isinstance(value, str) else value
        assert shown[:20] in text or str(value)[:20] in text, text  # the value as given


@pytest.mark.parametrize("parameter, value, exact", [
    (f"{JOINT_LAB}.rate", "100%", Fraction(1)),
    (f"{JOINT_LAB}.rate", 0, Fraction(0)),
    (f"{JOINT_LAB}.rate", "10.0000000000000000000000000001%", Fraction(10**28 * 10 + 1, 10**30)),
    (f"{STEP}.step", "0.01", 1),                                       # one fen
    (f"{STEP}.step", "100000亿", MAX_MONEY_FEN),                       # 10万亿元
    (f"{STEP}.amount_per_step", "10亿", MAX_UNIT_AMOUNT_FEN),
    (f"{STEP}.threshold", "100000亿", MAX_MONEY_FEN),
    (f"{BONUS}.growth_rate", "1000%", Fraction(10)),
    ("xiamen_consortium_2025.members_total.min", MAX_COUNT, MAX_COUNT),
    ("xiamen_consortium_2025.lead_rd.years", 1, 1),
    ("xiamen_consortium_2025.lead_rd.years", 3, 3),
    (PLATFORM, "省级", "省级"),
    (PLATFORM, "national", "national"),
    (RELAXED, ["现代种业"], ("现代种业",)),
    (RELAXED, "现代种业、数字经济", ("现代种业", "数字经济")),
])
def test_a_value_at_the_edge_of_its_range_is_accepted(parameter, value, exact):
    assert accepted({parameter: value}).value(parameter, ON) == exact


def test_a_level_set_by_a_reform_is_used_and_an_unknown_one_never_reaches_the_computation():
    # 第六条（二）2: 建有市级及以上创新平台 → reformed to 省级: a municipal platform no longer passes
    from calc import assess_consortia
    consortia = pd.DataFrame([{"consortium_id": "C", "jurisdiction": "xiamen", "lead_platform_level": "市级"}])
    base = assess_consortia(consortia, as_of=AS_OF).criteria("en").set_index("criterion_id")
    reformed = assess_consortia(consortia, as_of=AS_OF, policies=accepted({PLATFORM: "省级"})) \
        .criteria("en").set_index("criterion_id")
    assert base.loc["xiamen_consortium_2025.lead_platform", "result"] == "pass"
    assert reformed.loc["xiamen_consortium_2025.lead_platform", "result"] == "fail"


def test_a_negative_rate_no_longer_pays_negative_subsidies():
    # the case from the issue: joint_lab.rate −0.5 used to pay −50% of the investment
    with pytest.raises(PolicyDataError, match=re.escape(f"{JOINT_LAB}.rate = -0.5: -50% is out of range")):
        compare(pd.DataFrame([{"enterprise_id": "E", "city": "xiamen", "joint_lab_investment": "100万"}]),
                [{"name": "neg", "parameters": {f"{JOINT_LAB}.rate": -0.5}}], AS_OF)


def test_every_error_of_a_reform_is_reported_at_once():
    reform = {"name": "many", "parameters": {f"{JOINT_LAB}.rate": "150%", f"{STEP}.step": 0, f"{STEP}.capp": "1万",
                                             PLATFORM: "超级"},
              "switch_off": ["xiamen_sti_measures.nope"]}
    with pytest.raises(PolicyDataError) as excinfo:
        compare(HANDFUL, [reform], AS_OF)
    text = str(excinfo.value)
    for part in (f"{JOINT_LAB}.rate", f"{STEP}.step", f"nearest: {STEP}.cap", PLATFORM, "'xiamen_sti_measures.nope'"):
        assert part in text, (part, text)


def test_the_flat_form_is_the_same_reform():
    # 措施7 cap 500万 → 300万: E1 60 steps = 600万, capped 500万 → 300万; E2 36 steps = 360万 → 300万;
    # E3 2 steps = 20万, unchanged: −200万 − 60万 = −260万
    flat = compare(HANDFUL, [{"name": "flat", f"{STEP}.cap": "300万"}], AS_OF)
    wrapped = compare(HANDFUL, [{"name": "wrapped", "parameters": {f"{STEP}.cap": "300万"}}], AS_OF)
    pd.testing.assert_frame_equal(flat.items, wrapped.items)
    assert flat.items.set_index("item_id").loc[STEP, "change_yuan"] == -260 * WAN
    both = load_reform({"name": "both", "parameters": {f"{STEP}.cap": "300万"}, f"{BONUS}.amount": "40万",
                        "description": "d", "switch_off": []})
    assert dict(both.parameters) == {f"{STEP}.cap": "300万", f"{BONUS}.amount": "40万"}
    with pytest.raises(PolicyDataError, match="given twice"):
        load_reform({"parameters": {f"{STEP}.cap": "300万"}, f"{STEP}.cap": "200万"})
    with pytest.raises(PolicyDataError, match="unknown keys paramters"):
        load_reform({"paramters": {}})


def test_the_flat_form_in_a_yaml_file(tmp_path):
    path = tmp_path / "cap.yaml"
    path.write_text(f"name: cap 300万\n{STEP}.cap: 300万\n{STEP}.threshold:\n  value: 300万\n  from: 2026-01-01\n",
                    encoding="utf-8")
    reform = load_reform(path)
    assert reform.name == "cap 300万"
    assert dict(reform.parameters)[f"{STEP}.threshold"] == {"value": "300万", "from": dt.date(2026, 1, 1)}


def test_switch_off_takes_a_list_or_one_id_and_nothing_else():
    one = compare(HANDFUL, [{"name": "off", "switch_off": STEP}], AS_OF)
    assert one.items.set_index("item_id").loc[STEP, "reform_yuan"] == 0
    assert load_reform({"switch_off": STEP}).switch_off == (STEP,)  # one id, not its characters
    for bad in (5, {"a": 1}, [STEP, 5]):
        with pytest.raises(PolicyDataError, match="switch_off must be a list of item ids"):
            load_reform({"switch_off": bad})


@pytest.mark.parametrize("spec, message", [
    ({"value": "300万", "from": "2035-01-01"}, "from 2035-01-01 falls outside the policy's validity (from 2025-01-01 "
                                               "until 2027-12-31)"),
    ({"value": "300万", "until": "2024-01-01"}, "until 2024-01-01 falls outside"),
    ({"value": "300万", "from": "2026-02-30"}, "from '2026-02-30' is not a date"),
    ({"value": "300万", "from": "2027-01-01", "until": "2026-01-01"}, "until 2026-01-01 is before from 2027-01-01"),
    ({"value": "300万", "from": "9999-01-01"}, "outside the dates this calculator handles"),
    ({"value": "300万", "form": "2026-01-01"}, "unknown keys form"),
    ({"from": "2026-01-01"}, "no value given"),
])
def test_dated_overrides_say_what_is_wrong_in_words(spec, message):
    text = refused({f"{STEP}.cap": spec}, message)
    assert "None" not in text


def test_a_reform_on_an_open_ended_policy_says_it_has_no_end():
    text = refused({"qingdao_consortium_2025.academic_members.min": {"value": 3, "until": "2020-01-01"}},
                   "with no end date")
    assert "None" not in text


# ---------------------------------------------------------------------------------------------- hostile YAML

def billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join(f"*a{i - 1}" for _ in range(9)) + "]" for i in range(1, levels + 1)]
    lines.append(f"parameters: *a{levels}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly_and_with_little_memory(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(9), encoding="utf-8")  # 9^10 ≈ 3.5 × 10^9 strings if expanded
    assert path.stat().st_size < 1000
    tracemalloc.start()
    try:
        with pytest.raises(PolicyDataError, match=r"laughs.yaml, line 1: anchors \(&a0\) are not allowed"):
            load_reform(path)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 5 * 2**20  # expanded it would be billions of strings: refused before any expansion


def test_an_alias_alone_is_refused_too(tmp_path):
    path = tmp_path / "alias.yaml"
    path.write_text("name: x\nparameters: *nowhere\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match="alias.yaml"):
        load_reform(path)


@pytest.mark.parametrize("content, message", [
    ("name: [unclosed\n", r"bad.yaml, line \d+: not valid YAML"),
    ("name: x\n  bad: indent\n", r"bad.yaml, line 2: not valid YAML"),
    ("!!python/object:os.system {}\n", r"bad.yaml, line 1: tags \(tag:yaml.org,2002:python/object:os.system\)"),
    (f"name: x\nparameters:\n  {STEP}.cap: !!float 3\n", r"line 3: tags"),
    ("- a\n- b\n", "a reform is a mapping .* got a list"),
    ("just text\n", "a reform is a mapping .* got text"),
    ("42\n", "a reform is a mapping .* got a int"),
    (f"name: x\nparameters:\n  {STEP}.cap:\n    value: 300万\n    from: 2026-02-30\n",
     r"bad.yaml, line 5: 2026-02-30 is not a date"),
    (f"name: x\nparameters:\n  {JOINT_LAB}.rate: 1.0e+300\n", f"{JOINT_LAB}.rate = 1e\\+300: .* out of range"),
    (f"name: x\nparameters:\n  {STEP}.cap: 1{'0' * 5000}\n", "bad.yaml: .*"),
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
    ("parameters: [1, 2]\n", "parameters must map parameter ids to values, got a list"),
    ("name: {a: 1}\n", "name must be text"),
])
def test_hostile_or_broken_reform_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyDataError, match=message):
        apply_reforms(default_policies(), [path])


def test_a_reform_in_another_encoding_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(f"name: 研发上限\nparameters:\n  {STEP}.cap: 300万\n".encode("gbk"))
    with pytest.raises(PolicyDataError, match=r"gbk.yaml, line 1: not UTF-8 text \(it looks like GBK/GB18030"):
        load_reform(path)
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes("name: x\n".encode("utf-16"))
    with pytest.raises(PolicyDataError, match="UTF-16"):
        load_reform(utf16)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(f"name: 研发上限\n{STEP}.cap: 300万\n".encode("utf-8-sig"))  # a BOM is fine
    assert load_reform(bom).name == "研发上限"


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    depth = 200_000
    path.write_text("parameters: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match="deep.yaml, line 1: (nested|not valid YAML .*nesting depth)"):
        load_reform(path)
    just_over = tmp_path / "65.yaml"
    just_over.write_text("parameters: " + "[" * 64 + "]" * 64 + "\n", encoding="utf-8")  # 65 with the mapping
    with pytest.raises(PolicyDataError, match="65.yaml, line 1: nested more than 64 levels"):
        load_reform(just_over)
    at_bound = tmp_path / "64.yaml"
    at_bound.write_text(f"{STEP}.cap: " + "[" * 63 + "]" * 63 + "\n", encoding="utf-8")  # 64 levels: read
    assert load_reform(at_bound).name == "64"
    dicts = tmp_path / "deep_maps.yaml"
    dicts.write_text("a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match="nested"):
        load_reform(dicts)


def test_the_yaml_size_is_capped_and_the_cap_can_be_raised(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(f"name: big\ndescription: {'x' * (2 * 2**20)}\n{STEP}.cap: 300万\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match=r"big.yaml: larger than the 1.0 MB allowed for a reform file"):
        load_reform(path)
    assert load_reform(path, limits=Limits(max_yaml_bytes=3 * 2**20)).parameters == ((f"{STEP}.cap", "300万"),)
    small = tmp_path / "small.yaml"
    small.write_text("name: s\n", encoding="utf-8")
    with pytest.raises(PolicyDataError, match="larger than the 4 B allowed"):
        read_yaml_file(small, limits=Limits(max_yaml_bytes=4))


def test_a_missing_reform_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyDataError, match="reform file not found"):
        load_reform(tmp_path / "nope.yaml")
    with pytest.raises(PolicyDataError, match="a reform is a mapping, a YAML or XLSX file, or a Reform; got int"):
        load_reform(5)


# ---------------------------------------------------------------------------------------------- hostile policy files

@pytest.fixture()
def policy_dir(tmp_path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, folder)
    return folder


def test_a_copy_of_the_policies_loads(policy_dir):
    assert set(load_policies(policy_dir).policies) == set(default_policies().policies)


@pytest.mark.parametrize("content, message", [
    (billion_laughs(9), "anchors"),
    ("id: [" * 100 + "]" * 100, "nested more than"),
    ("id: x\nitems: !!python/object/apply:os.system ['true']\n", "tags"),
    ("- 1\n", "expected a mapping, got list"),
    ("id: evil\ntitle: t\nissuer: i\nsource: s\nin_force_from: 2026-02-30\nvalidity: {article: a, quote: q}\n",
     "line 5: 2026-02-30 is not a date"),
])
def test_hostile_policy_files_are_refused(policy_dir, content, message):
    (policy_dir / "evil.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(PolicyDataError, match=message):
        load_policies(policy_dir)


def test_a_policy_file_with_a_malformed_shape_names_the_file(policy_dir):
    raw = yaml.safe_load((policy_dir / "xiamen_sti_measures.yaml").read_text(encoding="utf-8"))
    raw["items"]["joint_lab"]["parameters"] = ["rate"]
    (policy_dir / "xiamen_sti_measures.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyDataError, match="xiamen_sti_measures.yaml.items.joint_lab.parameters: expected a mapping"):
        load_policies(policy_dir)


def test_a_policy_value_outside_the_bounds_is_refused_on_loading(policy_dir, tmp_path):
    # a policy of any directory is bounded like a reform: 2000亿 per step is above the 10亿 an item may pay
    raw = yaml.safe_load((policy_dir / "xiamen_sti_measures.yaml").read_text(encoding="utf-8"))
    raw["source"] = "not-shipped.txt"  # no source file and not strict: quotes are not checked, only the bounds
    node = raw["items"]["rd_step_subsidy"]
    node["quote"] = node["quote"] + "2000亿元"
    node["parameters"]["amount_per_step"] = {"text": "2000亿元", "unit": "yuan"}
    path = tmp_path / "xiamen_sti_measures.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyDataError, match=r"amount_per_step: ¥200,000,000,000 is out of range: an amount an item "
                                              r"pays \(fixed, per unit or a cap\) must be ¥0 to ¥1,000,000,000"):
        load_policy_file(path, strict_sources=False)
    # strict (the default): a policy whose law text is not in data/sources is refused
    with pytest.raises(PolicyDataError, match="source file 'not-shipped.txt' not found"):
        load_policy_file(path)


def test_a_missing_policy_directory_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyDataError, match="policy directory not found"):
        load_policies(tmp_path / "nope")


def test_the_law_itself_is_within_every_bound():
    # every parameter of every policy, at every version, lies within its allowed range
    for parameter in default_policies().parameters().values():
        allowed = parameter.allowed
        for version in parameter.versions:
            if allowed is not None:
                assert allowed.low <= version.value <= allowed.high, parameter.id
            assert parameter.coerce(version.text) == version.value, parameter.id


def test_the_identity_reform_of_every_parameter_changes_nothing():
    # every parameter given its own law text, flat: accepted, and the engine's results are the same
    every = {pid: p.versions[-1].text for pid, p in default_policies().parameters().items()}
    reformed = apply_reforms(default_policies(), [{"name": "identity", **every}])
    sample = "data/samples/enterprises.csv"
    pd.testing.assert_frame_equal(entitlements(sample, AS_OF).wide, entitlements(sample, AS_OF, policies=reformed).wide)


def test_a_deeply_nested_value_from_python_is_an_error_not_a_recursion_error():
    value: list = []
    for _ in range(100_000):  # far deeper than repr() or any recursion can follow
        value = [value]
    with pytest.raises(PolicyDataError, match=f"{STEP}.cap = a deeply nested list: .*not an amount of money"):
        apply_reforms(default_policies(), [{"name": "deep", f"{STEP}.cap": value}])
