"""The policy data: it loads, every number traces to a quote of the law, and no policy number lives in Python."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tokenize
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

import calc.resources
import calc.rules  # noqa: F401
from calc.policies import (
    POLICY_DIR, SOURCE_DIR, PolicyDataError, load_policies, load_policy_file, normalise_text, parse_parameter_text,
)
from calc.resources import SOURCES
from calc.rules.base import CRITERIA, ITEMS

ROOT = Path(__file__).resolve().parent.parent
POLICY_IDS = {
    "xiamen_consortium_2025", "xiamen_sti_measures", "liaoyang_consortium_2023",
    "qingdao_consortium_2025", "hainan_consortium_2022",
}


@pytest.fixture(scope="module")
def policies():
    # strict: the source texts must be there and every quote must stand in them
    return load_policies(strict_sources=True)


def _recorded_checksums() -> dict[str, str]:
    """data/sources/SHA256SUMS (``sha256sum`` format: hash, two spaces, name)."""
    recorded = {}
    for line in (SOURCES / "SHA256SUMS").read_text(encoding="ascii").splitlines():
        digest, sep, name = line.partition("  ")
        assert sep and re.fullmatch(r"[0-9a-f]{64}", digest), f"malformed SHA256SUMS line: {line!r}"
        recorded[name] = digest
    return recorded


def test_the_sources_are_in_the_repository():
    # the law the data is checked against travels with the data: calc.resources.SOURCES is data/sources in a
    # checkout (calc/_shipped/data/sources in an installed wheel), never a folder beside the repository
    assert SOURCE_DIR == SOURCES and SOURCES.is_dir()
    assert SOURCES in (ROOT / "data" / "sources", calc.resources.PACKAGE / "_shipped" / "data" / "sources")


def test_the_sources_match_their_recorded_checksums():
    recorded = _recorded_checksums()
    assert set(recorded) == {p.name for p in SOURCES.glob("*.txt")}, "a text added or removed without SHA256SUMS"
    for name, digest in recorded.items():
        actual = hashlib.sha256((SOURCES / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} differs from its SHA-256 in data/sources/SHA256SUMS"


def test_every_source_has_its_provenance_recorded(policies):
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    recorded = _recorded_checksums()
    assert {p.source for p in policies.policies.values()} == set(recorded)  # every text is used, every source kept
    for name, digest in recorded.items():
        assert f"### `{name}`" in readme, f"{name} has no provenance section in data/sources/README.md"
        assert f"| `{name}` | `{digest}` |" in readme, f"the README's checksum of {name} differs from SHA256SUMS"
    for policy in policies.policies.values():
        section = readme.split(f"### `{policy.source}`")[1].split("\n### ")[0]
        assert f"`{policy.id}`" in section and policy.issuer.split("（")[0] in section, policy.id


def test_every_policy_file_loads_strictly(policies):
    assert set(policies.policies) <= POLICY_IDS
    assert {"xiamen_consortium_2025", "xiamen_sti_measures"} <= set(policies.policies)


def test_every_quote_stands_in_its_source(policies):
    for policy in policies.policies.values():
        text = normalise_text((SOURCES / policy.source).read_text(encoding="utf-8"))
        assert normalise_text(policy.validity.quote) in text
        for node in (*policy.criteria.values(), *policy.items.values()):
            assert normalise_text(node.citation.quote) in text, node.id
            for prm in node.parameters.values():
                for version in prm.versions:
                    assert normalise_text(version.citation.quote) in text, prm.id
                    # the parameter's own text stands in its quote, and its value is that text's
                    assert normalise_text(version.text) in normalise_text(version.citation.quote), prm.id
                    assert parse_parameter_text(version.text, prm.unit) == version.value


def test_every_rule_has_data_and_every_datum_has_a_rule(policies):
    criteria = {n.id for p in policies.policies.values() for n in p.criteria.values()}
    items = {n.id for p in policies.policies.values() for n in p.items.values() if n.kind != "info"}
    assert criteria == set(CRITERIA)
    assert items == set(ITEMS)


def test_parameter_values_are_the_laws_numbers(policies):
    as_of = dt.date(2026, 6, 30)
    # 措施7: 每满200万元给予10万元补助,最高500万元 — money in fen (1 yuan = 100 fen)
    assert policies.value("xiamen_sti_measures.rd_step_subsidy.step", as_of) == 2_000_000 * 100
    assert policies.value("xiamen_sti_measures.rd_step_subsidy.amount_per_step", as_of) == 100_000 * 100
    assert policies.value("xiamen_sti_measures.rd_step_subsidy.cap", as_of) == 5_000_000 * 100
    assert policies.value("xiamen_sti_measures.rd_growth_bonus.growth_rate", as_of) == Fraction(1, 5)
    # 第九条（二）: 50%, 最高不超过1000万元
    assert policies.value("xiamen_consortium_2025.national_project_matching.rate", as_of) == Fraction(1, 2)
    assert policies.value("xiamen_consortium_2025.national_project_matching.cap", as_of) == 10_000_000 * 100
    # 第六条（二）1: 5亿元以上(含) is inclusive
    prm = policies.parameter("xiamen_consortium_2025.lead_revenue.min")
    assert prm.value_at(as_of) == 500_000_000 * 100 and prm.comparison == ">="
    # 高于200万元 is strict
    assert policies.parameter("xiamen_sti_measures.rd_step_subsidy.threshold").comparison == ">"


def test_parameters_apply_only_within_their_dates(policies):
    # 第十八条: 2025-08-10 for 3 years → last day 2028-08-09
    cap = policies.parameter("xiamen_consortium_2025.national_project_matching.cap")
    assert cap.value_at(dt.date(2025, 8, 9)) is None
    assert cap.value_at(dt.date(2025, 8, 10)) == 1_000_000_000
    assert cap.value_at(dt.date(2028, 8, 9)) == 1_000_000_000
    assert cap.value_at(dt.date(2028, 8, 10)) is None
    policy = policies.policies["xiamen_consortium_2025"]
    assert policy.in_force(dt.date(2028, 8, 9)) and not policy.in_force(dt.date(2028, 8, 10))


def test_exclusivity_and_stacking_are_data(policies):
    group = policies.groups["national_platform_award"]
    assert set(group.members) == {"xiamen_sti_measures.national_platform_award",
                                  "xiamen_consortium_2025.national_platform_award"}
    assert "就高不重复" in group.citation.quote
    (stack,) = [s for s in policies.stackings if s.item == "xiamen_sti_measures.rd_growth_bonus"]
    assert stack.base == "xiamen_sti_measures.rd_step_subsidy" and "叠加" in stack.citation.quote


# ------------------------------------------------------------------------------- validation errors

def _write_policy(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load((POLICY_DIR / "xiamen_sti_measures.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "xiamen_sti_measures.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["items"]["joint_lab"].update(colour="red"), "unknown keys 'colour'"),
    (lambda r: r["items"]["joint_lab"].pop("quote"), "missing quote"),
    (lambda r: r["items"]["joint_lab"].update(quote="按非财政资金投入的20%给予最高1000万元补助"), "not found verbatim"),
    (lambda r: r["items"]["joint_lab"]["parameters"]["rate"].update(text="20%"), "does not stand in its quote"),
    (lambda r: r["items"]["joint_lab"]["parameters"]["rate"].update(unit="furlongs"), "unknown unit"),
    (lambda r: r["items"]["joint_lab"]["parameters"]["rate"].update(value=0.2), "disagrees with its text"),
    (lambda r: r.update(in_force_until="2024-01-01"), "in_force_until before in_force_from"),
    (lambda r: r.update(in_force_from="2025-13-45"), "cannot read"),
    (lambda r: r["items"]["joint_lab"].update(kind="bonus"), "kind 'bonus'"),
])
def test_malformed_policy_data_is_an_error(tmp_path, mutate, message):
    path = _write_policy(tmp_path, mutate)
    with pytest.raises(PolicyDataError, match=re.escape(message)):
        load_policy_file(path, strict_sources=True)


# ------------------------------------------------------------------------------- no numbers in Python

RULE_FILES = sorted((ROOT / "calc" / "rules").glob("*.py")) + [
    ROOT / "calc" / name for name in ("entitlements.py", "eligibility.py", "explain.py")
]
ALLOWED_LITERALS = {0, 1}  # identities
# units, each declared once, and the engineering threshold of 就高不重复 (when few contested rows are gathered):
# not policy numbers; and the display precision of a percentage (digits shown): not policy numbers either
UNIT_CONSTANTS = ("FEN_PER_YUAN = 100", "PERCENT = 100", "FEW_ROWS_IN = ", "MAX_PERCENT_DIGITS = ",
                  "PERCENT_DECIMALS = ", "DECIMAL_BASE = 10")


def _numeric_literals(path: Path):
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for tok in tokens:
        if tok.type == tokenize.NUMBER:
            yield tok.start[0], tok.string, tok.line.strip()


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_no_policy_number_is_written_in_the_rules(path):
    offenders = []
    for line_no, literal, line in _numeric_literals(path):
        value = eval(literal)  # a numeric literal token
        if value in ALLOWED_LITERALS or line.startswith(UNIT_CONSTANTS):
            continue
        offenders.append(f"{path.name}:{line_no}: {line}")
    assert not offenders, "numbers belong in data/policies:\n" + "\n".join(offenders)


def test_no_amount_or_rate_is_written_in_any_python_string():
    """String literals in the rules carry no amounts; docstrings may quote the law (Catala style), never compute."""
    pattern = re.compile(r"\d+(\.\d+)?\s*(万|亿|%|元)")
    offenders = []
    for path in RULE_FILES:
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            is_docstring = tok.string.startswith(('"""', "'''"))
            if tok.type == tokenize.STRING and not is_docstring and pattern.search(tok.string):
                offenders.append(f"{path.name}:{tok.start[0]}: {tok.string}")
    assert not offenders, "amounts belong in data/policies:\n" + "\n".join(offenders)


def test_deadlines_cycles_and_bans_are_data_too(policies):
    on = dt.date(2026, 6, 30)
    # 第十四条: 于每年3月31日前 … 报送; 第十五条: 每3年开展一次考核评估; 第十七条: 三年内,不得牵头组建
    assert policies.value("xiamen_consortium_2025.annual_report.due", on) == (3, 31)
    assert policies.value("xiamen_consortium_2025.evaluation_cycle.every_years", on) == 3
    assert policies.value("xiamen_consortium_2025.ban_after_revocation.years", on) == 3
    # 海南 七(一): 项目成员单位中创新联合体成员单位必须占比50%以上 — 以上 includes 50% itself
    share = policies.parameter("hainan_consortium_2022.project_member_share.min_share")
    assert share.value_at(on) == Fraction(1, 2) and share.comparison == ">="
    # 辽阳 第二十二条: 每年3月 (a month, no day)
    assert policies.value("liaoyang_consortium_2023.annual_report.due", dt.date(2024, 1, 1)) == (3, None)
    # 措施10: 每年统筹不少于100亿元 (fen)
    assert policies.value("xiamen_sti_measures.fiscal_sti_funds.min_per_year", on) == 100 * 10**8 * 100


@pytest.mark.parametrize("text, value", [("3月31日", (3, 31)), ("12月31日", (12, 31)), ("3月", (3, None))])
def test_yearly_deadlines_parse(text, value):
    assert parse_parameter_text(text, "month_day") == value


@pytest.mark.parametrize("text", ["2月30日", "13月", "三月"])
def test_impossible_deadlines_are_errors(text):
    with pytest.raises((PolicyDataError, ValueError)):
        parse_parameter_text(text, "month_day")


def test_a_folder_without_policy_files_is_an_error_not_an_empty_calculator(tmp_path):
    # an install that lost its data/ once printed nothing and exited 0: now it says what is missing
    with pytest.raises(PolicyDataError, match="no policy file"):
        load_policies(tmp_path)
    with pytest.raises(PolicyDataError, match="policy directory not found"):
        load_policies(tmp_path / "absent")
