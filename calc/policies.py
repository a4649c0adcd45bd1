"""Policies as data: load, validate and query ``data/policies/*.yaml``.

Every number a rule uses comes from here.  A parameter is written in the YAML as
the text of the law (``text: 200万元``); its value is parsed from that text, the
text must stand in the parameter's quote and the quote must stand in the source
document under ``data/sources`` (compared after Unicode NFKC and with white
space removed), so a number cannot drift from its article.

Parameters are dated: each has one or more versions with ``from``/``until``
dates (by default the policy's own validity), and are looked up for an as-of
date, the way OpenFisca does.  Reforms (overrides) are applied on the same tree.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from calc.money import MoneyError, parse_money

from calc.resources import POLICIES as POLICY_DIR, SOURCES as SOURCE_DIR

UNITS = ("yuan", "count", "ratio", "years", "date", "level", "terms", "month_day")
COMPARISONS = (">", ">=", "<", "<=", "==")
STRENGTHS = ("hard", "soft")
KINDS = ("formula", "fixed", "ceiling", "info")
ROUNDINGS = ("floor_yuan", "floor_fen", "none")
SCOPES = ("recognition", "talent_consortium")

POLICY_KEYS = {
    "id", "title", "title_en", "issuer", "document_number", "jurisdiction", "source",
    "issued", "in_force_from", "in_force_until", "validity", "supersedes", "notes",
    "criteria", "items", "manual_checks", "obligations",
}
VALIDITY_KEYS = {"article", "quote", "note", "assumption"}
NODE_KEYS_COMMON = {"title", "article", "quote", "parameters", "notes", "options"}
CRITERION_KEYS = NODE_KEYS_COMMON | {"strength", "scope", "applies_to"}
OBLIGATION_KEYS = NODE_KEYS_COMMON | {"applies_to"}
ITEM_KEYS = NODE_KEYS_COMMON | {
    "kind", "rounding", "per", "requires", "payer", "stacks_on", "exclusivity_group",
}
PARAMETER_KEYS = {"text", "unit", "comparison", "article", "quote", "values", "note", "value"}
VERSION_KEYS = {"text", "from", "until", "article", "quote", "value", "note"}
MANUAL_KEYS = {"id", "title", "article", "quote", "applies_to"}
OPTION_KEYS = {"default", "choices", "article", "quote", "note"}
GROUP_KEYS = {"members", "per", "rule", "tie_break", "reasoning", "policy", "article", "quote"}
STACKING_KEYS = {"item", "base", "policy", "article", "quote", "reasoning"}


class PolicyDataError(ValueError):
    """The policy data is malformed; the message names the file and the key."""


# --------------------------------------------------------------------------- text helpers

def normalise_text(text: str) -> str:
    """NFKC and no white space: how quotes are compared with the source."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return re.sub(r"\s+", "", text)


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _parse_count_text(text: str) -> int:
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"(\d+)\s*(个|個|家|名|人|项|項|次|家单位|个单位|年)?", t)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"([一二两三四五六七八九十])\s*(个|家|名|人|项|次|年)?", t)
    if m:
        return _CN_DIGITS[m.group(1)]
    raise PolicyDataError(f"cannot read {text!r} as a count")


def _parse_ratio_text(text: str) -> Fraction:
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", t)
    if not m:
        raise PolicyDataError(f"cannot read {text!r} as a percentage")
    return Fraction(m.group(1)) / 100


def parse_parameter_text(text: str, unit: str) -> Any:
    """The value a parameter's legal text states, in the engine's units.

    yuan -> int fen; count/years -> int; ratio -> Fraction; date -> datetime.date;
    level -> the text ("市级"); terms -> a tuple of the enumerated words.
    """
    if unit == "yuan":
        try:
            return parse_money(str(text))
        except MoneyError as exc:
            raise PolicyDataError(str(exc)) from exc
    if unit in ("count", "years"):
        return _parse_count_text(str(text))
    if unit == "ratio":
        return _parse_ratio_text(str(text))
    if unit == "date":
        return _parse_date(text)
    if unit == "level":
        return str(text)
    if unit == "month_day":  # a yearly deadline: "3月31日" -> (3, 31)
        m = re.fullmatch(r"(\d{1,2})月(?:(\d{1,2})日)?", unicodedata.normalize("NFKC", str(text)).strip())
        if not m:
            raise PolicyDataError(f"cannot read {text!r} as a day of the year")
        day = int(m.group(2)) if m.group(2) else None  # "3月": some day in March
        dt.date(2000, int(m.group(1)), day or 1)  # a real day (2000 is a leap year)
        return int(m.group(1)), day
    if unit == "terms":  # an enumeration in the text: "现代种业、数字经济" -> ("现代种业", "数字经济")
        return tuple(t for t in re.split(r"[、,，和及]", unicodedata.normalize("NFKC", str(text))) if t)
    raise PolicyDataError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    t = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", t)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    try:
        return dt.date.fromisoformat(t)
    except ValueError as exc:
        raise PolicyDataError(f"cannot read {value!r} as a date") from exc


def coerce_value(value: Any, unit: str) -> Any:
    """A value given by a user (a reform, an option) in the engine's units.

    Strings are read as legal text ("300万", "20%"); numbers are taken as they are
    for counts, as yuan for money and as a fraction for ratios (0.2 == 20%).
    """
    if isinstance(value, str):
        return parse_parameter_text(value, unit)
    if unit == "yuan":
        if isinstance(value, bool):
            raise PolicyDataError(f"{value!r} is not an amount of money")
        return parse_money(value)
    if unit in ("count", "years"):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise PolicyDataError(f"{value!r} is not a whole non-negative number")
        return int(value)
    if unit == "ratio":
        if isinstance(value, float):
            return Fraction(repr(value))
        return Fraction(value)
    if unit == "date":
        return _parse_date(value)
    return value


# --------------------------------------------------------------------------- model

@dataclass(frozen=True)
class Citation:
    policy_id: str
    article: str
    quote: str
    source: str = ""

    def short(self) -> str:
        return f"{self.article}：「{self.quote}」"


@dataclass(frozen=True)
class Version:
    value: Any
    text: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    citation: Citation

    def applies(self, as_of: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= as_of) and (
            self.valid_until is None or as_of <= self.valid_until
        )


@dataclass(frozen=True)
class Parameter:
    id: str
    unit: str
    comparison: str | None
    versions: tuple[Version, ...]
    note: str = ""

    def version_at(self, as_of: dt.date) -> Version | None:
        for version in reversed(self.versions):
            if version.applies(as_of):
                return version
        return None

    def value_at(self, as_of: dt.date) -> Any:
        version = self.version_at(as_of)
        return None if version is None else version.value

    @property
    def citation(self) -> Citation:
        return self.versions[-1].citation


@dataclass(frozen=True)
class Option:
    id: str
    default: str
    choices: Mapping[str, str]
    citation: Citation | None
    note: str = ""


@dataclass(frozen=True)
class Node:
    """A criterion or an item: one rule of one article."""

    id: str  # "<policy_id>.<name>"
    policy_id: str
    name: str
    title_zh: str
    title_en: str
    citation: Citation
    parameters: Mapping[str, Parameter]
    options: Mapping[str, Option]
    notes: str = ""
    # criteria
    strength: str = "hard"
    scope: str = "recognition"
    applies_to: str = ""
    # items
    kind: str = ""
    rounding: str = "none"
    per: str = ""
    requires: tuple[str, ...] = ()
    payer: str = ""
    stacks_on: str = ""
    exclusivity_group: str = ""


@dataclass(frozen=True)
class ManualCheck:
    id: str
    policy_id: str
    title_zh: str
    title_en: str
    citation: Citation
    applies_to: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    title_en: str
    issuer: str
    document_number: str | None
    jurisdiction: str
    source: str
    issued: dt.date | None
    in_force_from: dt.date
    in_force_until: dt.date | None
    validity: Citation
    validity_note: str
    validity_assumption: str
    supersedes: str | None
    criteria: Mapping[str, Node]
    items: Mapping[str, Node]
    manual_checks: tuple[ManualCheck, ...]
    notes: str = ""
    obligations: Mapping[str, Node] = field(default_factory=dict)  # deadlines, cycles, bans: stated, not computed

    def in_force(self, as_of: dt.date) -> bool:
        return self.in_force_from <= as_of and (self.in_force_until is None or as_of <= self.in_force_until)

    def validity_text(self) -> str:
        until = self.in_force_until.isoformat() if self.in_force_until else "—"
        return f"{self.in_force_from.isoformat()} – {until}"


@dataclass(frozen=True)
class ExclusivityGroup:
    id: str
    members: tuple[str, ...]  # item ids, in tie-break order
    per: str
    reasoning: str
    citation: Citation


@dataclass(frozen=True)
class Stacking:
    item: str
    base: str
    reasoning: str
    citation: Citation


@dataclass
class PolicySet:
    policies: dict[str, Policy]
    groups: dict[str, ExclusivityGroup]
    stackings: tuple[Stacking, ...]
    overrides: tuple[tuple[str, Any, dt.date | None, dt.date | None], ...] = ()
    switched_off: frozenset[str] = frozenset()  # item ids a reform turns off

    # ------------------------------------------------------------------ look-ups
    def node(self, node_id: str) -> Node:
        policy_id, _, name = node_id.partition(".")
        policy = self.policies.get(policy_id)
        if policy is not None:
            if name in policy.items:
                return policy.items[name]
            if name in policy.criteria:
                return policy.criteria[name]
        raise KeyError(f"no criterion or item {node_id!r}; nearest: {', '.join(self.nearest(node_id, self.node_ids()))}")

    def node_ids(self) -> list[str]:
        return [n.id for p in self.policies.values() for n in (*p.criteria.values(), *p.items.values())]

    def items(self) -> list[Node]:
        return [n for p in self.policies.values() for n in p.items.values()]

    def parameters(self) -> dict[str, Parameter]:
        return {
            prm.id: prm
            for p in self.policies.values()
            for n in (*p.criteria.values(), *p.items.values(), *p.obligations.values())
            for prm in n.parameters.values()
        }

    def parameter(self, parameter_id: str) -> Parameter:
        params = self.parameters()
        if parameter_id not in params:
            raise KeyError(
                f"unknown parameter {parameter_id!r}; nearest: {', '.join(self.nearest(parameter_id, params))}"
            )
        return params[parameter_id]

    def value(self, parameter_id: str, as_of: dt.date) -> Any:
        return self.parameter(parameter_id).value_at(as_of)

    def option_ids(self) -> dict[str, Option]:
        return {
            opt.id: opt
            for p in self.policies.values()
            for n in (*p.criteria.values(), *p.items.values())
            for opt in n.options.values()
        }

    @staticmethod
    def nearest(wanted: str, known: Iterable[str], n: int = 3) -> list[str]:
        return difflib.get_close_matches(wanted, list(known), n=n, cutoff=0.5) or sorted(known)[:n]

    # ------------------------------------------------------------------ reforms
    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[tuple]) -> "PolicySet":
        """A new set where the given parameters take other values (a reform).

        ``overrides`` maps parameter ids to values ("300万", 0.2, 5) or to dicts
        ``{"value": …, "from": date, "until": date}``.  Validation is all or nothing.
        """
        items = overrides.items() if isinstance(overrides, Mapping) else overrides
        params = self.parameters()
        errors: list[str] = []
        new_params: dict[str, Parameter] = {}
        for parameter_id, spec in items:
            if parameter_id not in params:
                errors.append(
                    f"unknown parameter {parameter_id!r}; nearest: {', '.join(self.nearest(parameter_id, params))}"
                )
                continue
            base = new_params.get(parameter_id, params[parameter_id])
            if isinstance(spec, Mapping):
                raw, start, end = spec.get("value"), spec.get("from"), spec.get("until")
            else:
                raw, start, end = spec, None, None
            try:
                value = coerce_value(raw, base.unit)
                start = _parse_date(start) if start is not None else None
                end = _parse_date(end) if end is not None else None
            except (PolicyDataError, MoneyError, ValueError, TypeError) as exc:
                errors.append(f"{parameter_id}: {exc}")
                continue
            policy = self.policies[parameter_id.split(".")[0]]
            if start and not policy.in_force(start) or end and not policy.in_force(end):
                errors.append(
                    f"{parameter_id}: dates {start}–{end} fall outside the policy's validity {policy.validity_text()}"
                )
                continue
            last = base.versions[-1]
            version = Version(
                value=value, text=str(raw), valid_from=start or last.valid_from,
                valid_until=end or last.valid_until,
                citation=Citation(last.citation.policy_id, "reform", f"{parameter_id} = {raw}"),
            )
            new_params[parameter_id] = replace(base, versions=(*base.versions, version))
        if errors:
            raise PolicyDataError("invalid reform:\n  " + "\n  ".join(errors))
        policies = {}
        for pid, policy in self.policies.items():
            def patch(nodes: Mapping[str, Node]) -> dict[str, Node]:
                out = {}
                for name, node in nodes.items():
                    changed = {k: new_params[p.id] for k, p in node.parameters.items() if p.id in new_params}
                    out[name] = replace(node, parameters={**node.parameters, **changed}) if changed else node
                return out
            policies[pid] = replace(policy, criteria=patch(policy.criteria), items=patch(policy.items))
        return PolicySet(policies, self.groups, self.stackings, self.overrides + tuple(
            (k, v, None, None) for k, v in items
        ), self.switched_off)

    def with_items_off(self, item_ids: Iterable[str]) -> "PolicySet":
        """A new set where these items pay nothing (a reform that switches them off)."""
        item_ids = list(item_ids)
        known = {n.id for n in self.items()}
        unknown = [i for i in item_ids if i not in known]
        if unknown:
            raise PolicyDataError("invalid reform:\n  " + "\n  ".join(
                f"unknown item {i!r}; nearest: {', '.join(self.nearest(i, known))}" for i in unknown))
        return replace(self, switched_off=self.switched_off | frozenset(item_ids))


# --------------------------------------------------------------------------- loading

@lru_cache(maxsize=None)
def _source_index(name: str) -> tuple[str, list[int], str] | None:
    """The source as compared (NFKC, no white space), with each compared character's place in the original."""
    if not (SOURCE_DIR / name).is_file():
        return None
    original = (SOURCE_DIR / name).read_text(encoding="utf-8")
    chars, places = [], []
    for i, ch in enumerate(original):
        for n in normalise_text(ch):
            chars.append(n)
            places.append(i)
    return "".join(chars), places, original


def _source_text(name: str) -> str | None:
    index = _source_index(name)
    return None if index is None else index[0]


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


def _read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)


def _check_keys(where: str, mapping: Mapping, allowed: set[str], required: Iterable[str] = ()) -> None:
    if not isinstance(mapping, Mapping):
        raise PolicyDataError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = {str(k) for k in mapping} - allowed
    if unknown:
        hints = [f"{k!r} (did you mean {difflib.get_close_matches(k, allowed, 1)})" for k in sorted(unknown)]
        raise PolicyDataError(f"{where}: unknown keys {', '.join(hints)}")
    missing = [k for k in required if mapping.get(k) in (None, "")]
    if missing:
        raise PolicyDataError(f"{where}: missing {', '.join(missing)}")


def _check_quote(where: str, quote: str, source: str, strict_sources: bool) -> str:
    """Check that ``quote`` stands in the source and return it in the source's own characters.

    Quotes may be typed with half-width punctuation; the citation shows the law's text exactly.
    Without the source files (and not strict) the quote is returned as typed.
    """
    index = _source_index(source)
    if index is None:
        if strict_sources:
            raise PolicyDataError(f"{where}: source file {source!r} not found in {SOURCE_DIR}")
        return str(quote)
    text, places, original = index
    wanted = normalise_text(quote)
    at = text.find(wanted)
    if at < 0:
        raise PolicyDataError(f"{where}: quote not found verbatim in {source}: {quote!r}")
    return original[places[at]:places[at + len(wanted) - 1] + 1]


def _title(raw: Any, where: str) -> tuple[str, str]:
    _check_keys(f"{where}.title", raw, {"zh", "en"}, ["zh", "en"])
    return str(raw["zh"]), str(raw["en"])


def _load_parameter(where: str, pid: str, raw: Mapping, node_cite: Citation, policy: dict, strict: bool) -> Parameter:
    _check_keys(where, raw, PARAMETER_KEYS, ["unit"])
    unit = raw["unit"]
    if unit not in UNITS:
        raise PolicyDataError(f"{where}: unknown unit {unit!r} (known: {', '.join(UNITS)})")
    comparison = raw.get("comparison")
    if comparison is not None and comparison not in COMPARISONS:
        raise PolicyDataError(f"{where}: comparison {comparison!r} not one of {COMPARISONS}")
    raw_versions = raw.get("values") or [{k: raw[k] for k in ("text", "value", "article", "quote") if k in raw}]
    versions = []
    for i, rv in enumerate(raw_versions):
        vwhere = f"{where}.values[{i}]" if "values" in raw else where
        _check_keys(vwhere, rv, VERSION_KEYS, ["text"])
        quote = rv.get("quote") or raw.get("quote") or node_cite.quote
        article = rv.get("article") or raw.get("article") or node_cite.article
        if normalise_text(rv["text"]) not in normalise_text(quote):
            raise PolicyDataError(f"{vwhere}: text {rv['text']!r} does not stand in its quote {quote!r}")
        verbatim = _check_quote(vwhere, quote, policy["source"], strict)
        value = parse_parameter_text(rv["text"], unit)
        if "value" in rv and coerce_value(rv["value"], unit) != value:
            raise PolicyDataError(f"{vwhere}: value {rv['value']!r} disagrees with its text {rv['text']!r}")
        start = _parse_date(rv["from"]) if rv.get("from") else policy["in_force_from"]
        end = _parse_date(rv["until"]) if rv.get("until") else policy["in_force_until"]
        if start and end and end < start:
            raise PolicyDataError(f"{vwhere}: until {end} is before from {start}")
        versions.append(Version(value, str(rv["text"]), start, end,
                                Citation(node_cite.policy_id, str(article), verbatim, policy["source"])))
    return Parameter(pid, unit, comparison, tuple(versions), str(raw.get("note", "")))


def _load_options(where: str, node_id: str, raw: Mapping | None, node_cite: Citation, policy: dict, strict: bool) -> dict:
    options = {}
    for name, spec in (raw or {}).items():
        owhere = f"{where}.options.{name}"
        _check_keys(owhere, spec, OPTION_KEYS, ["default", "choices"])
        if spec["default"] not in spec["choices"]:
            raise PolicyDataError(f"{owhere}: default {spec['default']!r} not among the choices")
        cite = None
        if spec.get("quote"):
            verbatim = _check_quote(owhere, spec["quote"], policy["source"], strict)
            cite = Citation(node_cite.policy_id, spec.get("article", node_cite.article), verbatim, policy["source"])
        options[name] = Option(f"{node_id}.{name}", str(spec["default"]),
                               {str(k): str(v) for k, v in spec["choices"].items()}, cite, str(spec.get("note", "")))
    return options


def _load_node(where: str, policy_id: str, name: str, raw: Mapping, allowed: set, policy: dict, strict: bool) -> Node:
    _check_keys(where, raw, allowed, ["title", "article", "quote"])
    title_zh, title_en = _title(raw["title"], where)
    verbatim = _check_quote(where, raw["quote"], policy["source"], strict)
    cite = Citation(policy_id, str(raw["article"]), verbatim, policy["source"])
    node_id = f"{policy_id}.{name}"
    params = {
        pname: _load_parameter(f"{where}.parameters.{pname}", f"{node_id}.{pname}", praw, cite, policy, strict)
        for pname, praw in (raw.get("parameters") or {}).items()
    }
    options = _load_options(where, node_id, raw.get("options"), cite, policy, strict)
    extra: dict[str, Any] = {}
    if "strength" in allowed:
        strength = raw.get("strength", "hard")
        if strength not in STRENGTHS:
            raise PolicyDataError(f"{where}: strength {strength!r} not one of {STRENGTHS}")
        scope = raw.get("scope", "recognition")
        if scope not in SCOPES:
            raise PolicyDataError(f"{where}: scope {scope!r} not one of {SCOPES}")
        extra.update(strength=strength, scope=scope, applies_to=str(raw.get("applies_to", "")))
    elif "kind" not in allowed:  # an obligation: stated, not computed
        extra.update(applies_to=str(raw.get("applies_to", "")))
    else:
        _check_keys(where, raw, allowed, ["kind", "rounding"])
        if raw["kind"] not in KINDS:
            raise PolicyDataError(f"{where}: kind {raw['kind']!r} not one of {KINDS}")
        if raw["rounding"] not in ROUNDINGS:
            raise PolicyDataError(f"{where}: rounding {raw['rounding']!r} not one of {ROUNDINGS}")
        extra.update(
            kind=raw["kind"], rounding=raw["rounding"], per=str(raw.get("per", "enterprise")),
            requires=tuple(raw.get("requires") or ()), payer=str(raw.get("payer", "")),
            stacks_on=str(raw.get("stacks_on", "")), exclusivity_group=str(raw.get("exclusivity_group", "")),
        )
    return Node(node_id, policy_id, name, title_zh, title_en, cite, params, options,
                notes=str(raw.get("notes", "")), **extra)


def load_policy_file(path: Path, strict_sources: bool = False) -> Policy:
    raw = _read_yaml(path.read_text(encoding="utf-8"))
    where = path.name
    _check_keys(where, raw, POLICY_KEYS, ["id", "title", "issuer", "source", "in_force_from", "validity"])
    if path.stem != raw["id"]:
        raise PolicyDataError(f"{where}: id {raw['id']!r} must match the file name")
    policy = dict(raw)
    policy["in_force_from"] = _parse_date(raw["in_force_from"])
    policy["in_force_until"] = _parse_date(raw["in_force_until"]) if raw.get("in_force_until") else None
    if policy["in_force_until"] and policy["in_force_until"] < policy["in_force_from"]:
        raise PolicyDataError(f"{where}: in_force_until before in_force_from")
    validity = raw["validity"]
    _check_keys(f"{where}.validity", validity, VALIDITY_KEYS, ["article", "quote"])
    validity_quote = _check_quote(f"{where}.validity", validity["quote"], raw["source"], strict_sources)
    pid = raw["id"]
    criteria = {
        name: _load_node(f"{where}.criteria.{name}", pid, name, node, CRITERION_KEYS, policy, strict_sources)
        for name, node in (raw.get("criteria") or {}).items()
    }
    items = {
        name: _load_node(f"{where}.items.{name}", pid, name, node, ITEM_KEYS, policy, strict_sources)
        for name, node in (raw.get("items") or {}).items()
    }
    obligations = {
        name: _load_node(f"{where}.obligations.{name}", pid, name, node, OBLIGATION_KEYS, policy, strict_sources)
        for name, node in (raw.get("obligations") or {}).items()
    }
    manual = []
    for i, m in enumerate(raw.get("manual_checks") or []):
        mwhere = f"{where}.manual_checks[{i}]"
        _check_keys(mwhere, m, MANUAL_KEYS, ["id", "title", "article", "quote"])
        manual_quote = _check_quote(mwhere, m["quote"], raw["source"], strict_sources)
        zh, en = _title(m["title"], mwhere)
        manual.append(ManualCheck(f"{pid}.{m['id']}", pid, zh, en,
                                  Citation(pid, str(m["article"]), manual_quote, raw["source"]),
                                  str(m.get("applies_to", ""))))
    return Policy(
        id=pid, title=str(raw["title"]), title_en=str(raw.get("title_en", "")), issuer=str(raw["issuer"]),
        document_number=raw.get("document_number"), jurisdiction=str(raw.get("jurisdiction", "")),
        source=str(raw["source"]), issued=_parse_date(raw["issued"]) if raw.get("issued") else None,
        in_force_from=policy["in_force_from"], in_force_until=policy["in_force_until"],
        validity=Citation(pid, str(validity["article"]), validity_quote, raw["source"]),
        validity_note=str(validity.get("note", "")), validity_assumption=str(validity.get("assumption", "")),
        supersedes=raw.get("supersedes"), criteria=criteria, items=items, manual_checks=tuple(manual),
        notes=str(raw.get("notes", "")), obligations=obligations,
    )


def _load_stacking(path: Path, policies: dict[str, Policy], strict: bool) -> tuple[dict, tuple]:
    raw = _read_yaml(path.read_text(encoding="utf-8"))
    _check_keys(path.name, raw, {"groups", "stacking", "notes"})
    item_ids = {n.id for p in policies.values() for n in p.items.values()}
    groups = {}
    for gid, g in (raw.get("groups") or {}).items():
        where = f"{path.name}.groups.{gid}"
        _check_keys(where, g, GROUP_KEYS, ["members", "policy", "article", "quote", "reasoning"])
        for member in g["members"]:
            if member not in item_ids:
                raise PolicyDataError(f"{where}: unknown item {member!r}")
        policy = policies[g["policy"]]
        group_quote = _check_quote(where, g["quote"], policy.source, strict)
        groups[gid] = ExclusivityGroup(gid, tuple(g["members"]), str(g.get("per", "event")), str(g["reasoning"]),
                                       Citation(policy.id, str(g["article"]), group_quote, policy.source))
    stackings = []
    for i, s in enumerate(raw.get("stacking") or []):
        where = f"{path.name}.stacking[{i}]"
        _check_keys(where, s, STACKING_KEYS, ["item", "base", "policy", "article", "quote"])
        for key in ("item", "base"):
            if s[key] not in item_ids:
                raise PolicyDataError(f"{where}: unknown item {s[key]!r}")
        policy = policies[s["policy"]]
        stack_quote = _check_quote(where, s["quote"], policy.source, strict)
        stackings.append(Stacking(s["item"], s["base"], str(s.get("reasoning", "")),
                                  Citation(policy.id, str(s["article"]), stack_quote, policy.source)))
    grouped = {m: gid for gid, g in groups.items() for m in g.members}
    for s in stackings:
        if s.item in grouped and grouped.get(s.item) == grouped.get(s.base):
            raise PolicyDataError(f"{path.name}: {s.item} stacks on {s.base} but both are in group {grouped[s.item]}")
    return groups, tuple(stackings)


def load_policies(directory: Path | str | None = None, strict_sources: bool = False) -> PolicySet:
    """Load and validate every policy file (and ``stacking.yaml``) in ``directory``."""
    directory = Path(directory) if directory else POLICY_DIR
    policies = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "stacking.yaml":
            continue
        policy = load_policy_file(path, strict_sources)
        policies[policy.id] = policy
    stacking_path = directory / "stacking.yaml"
    groups, stackings = _load_stacking(stacking_path, policies, strict_sources) if stacking_path.exists() else ({}, ())
    for policy in policies.values():
        for node in policy.items.values():
            if node.exclusivity_group and node.exclusivity_group not in groups:
                raise PolicyDataError(f"{node.id}: exclusivity_group {node.exclusivity_group!r} not in stacking.yaml")
            if node.exclusivity_group and node.id not in groups[node.exclusivity_group].members:
                raise PolicyDataError(f"{node.id}: not listed among the members of {node.exclusivity_group!r}")
    return PolicySet(policies, groups, stackings)


@lru_cache(maxsize=1)
def default_policies() -> PolicySet:
    return load_policies()
