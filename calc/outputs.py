"""The output shapes of ``entitlements``: the wide table, the long table and the table of citations.

* **Wide** (:func:`wide_table`): one row per enterprise; per item its amount in yuan (``<item_id>``) and its
  status as a one-letter code (``<item_id>:status``, :data:`STATUS_CODES`); then the totals.  The fast shape:
  a million enterprises in a few seconds.
* **Long** (:func:`long_table`): one row per enterprise and item, with the status, the amount, the reason in
  words and the citation.  By default (``rows="matter"``) it keeps the rows that matter to the reader
  (:func:`kept_rows`): an item granted, an item lost to 就高不重复 (``duplicate``), and an item not granted
  (not eligible, needing input, not in force) *where the enterprise gave something for that item*;
  ``rows="all"`` keeps every row.
* **Citations** (:func:`citations_table`): one row per cited article.  The long table's ``citation`` column
  holds its id (``<policy_id>:<article>``) unless ``citations="inline"``, which writes the document, the
  article and the quote in every row.

"Gave something for an item" is decided from the item's own input columns (:func:`item_inputs`): the columns
its rule reads, found by running the rule once on a one-row table and recording every column it asks for (so
the list follows the rules as they are written, and the reading options chosen).  The columns of the item's
requirements (city, consortium membership …) are not among them: every enterprise gives its city.  A value
counts as given when it is known and not nothing: an amount or count above 0, a yes, a rating other than
``none``.  A reason is worded only for the rows kept (``EntitlementResult.reasons``).

Every function here is deterministic: the same input gives the same rows in the same order, so the files
written from them are byte-identical from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from calc.rules.base import ITEMS, STATUSES, Ctx

SHAPES = ("wide", "long")
ROWS = ("matter", "all")
CITATIONS = ("id", "inline")

#: the one-letter status codes of the wide table
STATUS_CODES: Mapping[str, str] = {"granted": "G", "not_eligible": "N", "needs_input": "I", "duplicate": "D",
                                   "not_in_force": "X"}
_CODE_OF = np.asarray([STATUS_CODES[s] for s in STATUSES], dtype=object)
_GRANTED, _DUPLICATE = STATUSES.index("granted"), STATUSES.index("duplicate")

#: the long table's columns, in order
LONG_COLUMNS = ["enterprise_id", "policy_id", "item_id", "kind", "status", "amount_yuan", "counted", "reason",
                "citation", "title", "won_by"]
TOTAL_COLUMNS = ["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]
CITATION_COLUMNS = ["citation_id", "policy_id", "document", "article", "quote", "items"]

# values that mean "nothing given" for a category column (the ratings' "none")
_NOTHING_WORDS = ("none", "")

_INPUTS_CACHE: dict[tuple, dict[str, tuple[str, ...]]] = {}


class _Recorder(Ctx):
    """A Ctx that notes the name of every column a rule asks for."""

    def _series(self, name: str):
        self.seen.add(name)
        return super()._series(name)


def item_inputs(result: Any) -> dict[str, tuple[str, ...]]:
    """Item id → the input columns its rule reads (sorted), under the result's options; once per process."""
    from calc.inputs import load_enterprises

    options = tuple(sorted((getattr(result, "options", None) or {}).items()))
    key = (id(result.policies), tuple(n.id for n in result.nodes), options, result.as_of)
    if key not in _INPUTS_CACHE:
        one = load_enterprises(pd.DataFrame({"enterprise_id": ["_"]})).frame
        found = {}
        for node in result.nodes:
            policy = result.policies.policies[node.policy_id]
            # a policy not in force on the as-of date is traced on its first day (its parameters have values then)
            on = result.as_of if policy.in_force(result.as_of) else policy.in_force_from
            ctx = _Recorder(one, result.policies, on, dict(options), {})
            ctx.node, ctx.seen = node, set()
            if node.kind != "info" and node.id in ITEMS:
                try:
                    ITEMS[node.id](ctx)
                except Exception:  # noqa: BLE001 - a rule that cannot run on one empty row: the columns seen so far
                    pass
            found[node.id] = tuple(sorted(ctx.seen))
        if len(_INPUTS_CACHE) > 64:
            _INPUTS_CACHE.clear()
        _INPUTS_CACHE[key] = found
    return _INPUTS_CACHE[key]


def given(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> np.ndarray:
    """Rows where at least one of ``columns`` holds something: known, and not 0 / no / ``none``."""
    out = np.zeros(len(frame), dtype=bool)
    for name in columns:
        if name not in frame.columns:
            continue
        s = frame[name]
        known = s.notna().to_numpy()
        dtype = s.dtype
        if pd.api.types.is_bool_dtype(dtype):
            something = s.fillna(False).to_numpy(dtype=bool)
        elif pd.api.types.is_numeric_dtype(dtype):
            something = known & (s.fillna(0).to_numpy() != 0)
        else:  # categories and text: anything but the word for nothing
            if isinstance(dtype, pd.CategoricalDtype):
                cats = np.asarray(dtype.categories, dtype=object)
                empty = np.isin(cats, _NOTHING_WORDS)
                codes = s.cat.codes.to_numpy()
                something = (codes >= 0) & ~np.append(empty, True)[codes]
            else:
                values = s.to_numpy(dtype=object, na_value="")
                something = known & ~np.isin(values, _NOTHING_WORDS)
        out |= something
    return out


def kept_rows(result: Any, item_id: str, rows: str = "matter", inputs: Mapping[str, tuple[str, ...]] | None = None,
              given_cache: dict | None = None) -> np.ndarray:
    """Positions of the enterprises whose row of item ``item_id`` the long table keeps (see the module doc)."""
    status = result.awards[item_id].status
    if rows == "all":
        return np.arange(len(status))
    if rows != "matter":
        raise ValueError(f"rows must be one of {', '.join(ROWS)}, got {rows!r}")
    inputs = inputs if inputs is not None else item_inputs(result)
    columns = inputs.get(item_id, ())
    cache = given_cache if given_cache is not None else {}
    if columns not in cache:
        cache[columns] = given(result.frame, columns)
    keep = (status == _GRANTED) | (status == _DUPLICATE) | cache[columns]
    return np.flatnonzero(keep)


def _group_of(result: Any, item_id: str) -> Any:
    """The 就高不重复 group an item belongs to, or None."""
    for group in result.policies.groups.values():
        if item_id in group.members:
            return group
    return None


def _cited(result: Any) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(item id → its citation, item id → its group's citation or None), a citation as (policy, article, quote)."""
    items, groups = {}, {}
    for node in result.nodes:
        c = node.citation
        items[node.id] = (node.policy_id, c.article, c.quote)
        group = _group_of(result, node.id)
        groups[node.id] = (group.citation.policy_id, group.citation.article, group.citation.quote) if group else None
    return items, groups


def _citation_registry(result: Any) -> dict[tuple, str]:
    """Every citation of the long table → its id, ``<policy_id>:<article>`` (``#2``, ``#3`` … when one article
    is quoted in two places), in the order of the policy files: each item's article, then (for a row lost to
    就高不重复) the clause of its group."""
    items, groups = _cited(result)
    ids: dict[tuple, str] = {}
    taken: set[str] = set()
    for node in result.nodes:
        for key in (items[node.id], groups[node.id]):
            if key is None or key in ids:
                continue
            base = f"{key[0]}:{key[1]}"
            cid, k = base, 1
            while cid in taken:
                k += 1
                cid = f"{base}#{k}"
            taken.add(cid)
            ids[key] = cid
    return ids


def citation_ids(result: Any) -> dict[str, str]:
    """Item id → the citation id of its article (a row lost to 就高不重复 cites its group's clause instead)."""
    registry = _citation_registry(result)
    items, _ = _cited(result)
    return {item_id: registry[key] for item_id, key in items.items()}


def citations_table(result: Any) -> pd.DataFrame:
    """One row per citation id: the policy, the document's title, the article, the quote and the items citing it
    (the clause of a 就高不重复 group lists the group's members)."""
    registry = _citation_registry(result)
    items, groups = _cited(result)
    citing: dict[tuple, list[str]] = {key: [] for key in registry}
    for node in result.nodes:
        citing[items[node.id]].append(node.id)
        if groups[node.id] is not None:
            citing[groups[node.id]].append(node.id)
    rows = [{"citation_id": cid, "policy_id": key[0], "document": result.policies.policies[key[0]].title,
             "article": key[1], "quote": key[2], "items": " ".join(dict.fromkeys(citing[key]))}
            for key, cid in registry.items()]
    return pd.DataFrame(rows, columns=CITATION_COLUMNS)


def wide_table(result: Any) -> pd.DataFrame:
    """One row per enterprise: ``enterprise_id``, per item ``<item_id>`` (yuan) and ``<item_id>:status`` (a code of
    :data:`STATUS_CODES`, categorical), then ``formula_fixed_yuan``, ``ceiling_yuan``, ``total_yuan``."""
    codes = pd.CategoricalDtype(list(STATUS_CODES.values()))
    columns: dict[str, Any] = {"enterprise_id": result.frame["enterprise_id"].array}
    for node in result.nodes:
        award = result.awards[node.id]
        columns[node.id] = award.amount // 100
        columns[f"{node.id}:status"] = pd.Categorical.from_codes(award.status.astype(np.int8, copy=False), dtype=codes)
    totals = result.totals()
    for name in TOTAL_COLUMNS:
        columns[name] = totals[name].to_numpy()
    return pd.DataFrame(columns)


def long_table(result: Any, *, lang: str = "zh", rows: str = "matter", citations: str = "id",
               progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """One row per enterprise and item kept (see :func:`kept_rows`), in the order of the input and then of the
    policy files; columns :data:`LONG_COLUMNS`.  Text columns that repeat (ids of policies and items, kinds,
    statuses, titles, citations, winners) are categorical.  ``progress(1)`` is called after each item."""
    if rows not in ROWS:
        raise ValueError(f"rows must be one of {', '.join(ROWS)}, got {rows!r}")
    if citations not in CITATIONS:
        raise ValueError(f"citations must be one of {', '.join(CITATIONS)}, got {citations!r}")
    nodes = result.nodes
    inputs = item_inputs(result) if rows == "matter" else {}
    cache: dict = {}
    positions, node_codes, status, amount, reasons, winners, cites = [], [], [], [], [], [], []
    citation_names, citation_code = _row_citations(result, citations)
    winner_names = [""] + [n.id for n in nodes]
    winner_code = {name: i for i, name in enumerate(winner_names)}
    for k, node in enumerate(nodes):
        award = result.awards[node.id]
        kept = kept_rows(result, node.id, rows, inputs, cache)
        positions.append(kept)
        node_codes.append(np.full(len(kept), k, dtype=np.int16))
        status.append(award.status[kept].astype(np.int8, copy=False))
        amount.append(award.amount[kept] // 100)
        reasons.append(np.asarray(result.reasons(node.id, kept, lang), dtype=object) if len(kept)
                       else np.empty(0, dtype=object))
        won = np.zeros(len(kept), dtype=np.int16)
        if node.id in result.won_by:
            members, winner = result.won_by[node.id]
            member_codes = np.asarray([0] + [winner_code.get(m, 0) for m in members], dtype=np.int16)
            won = member_codes[winner[kept].astype(np.int16) + 1]
        winners.append(won)
        item_code, group_code = citation_code[node.id]
        cites.append(np.where(award.status[kept] == _DUPLICATE, group_code, item_code).astype(np.int16))
        if progress is not None:
            progress(1)
    if not nodes:
        return pd.DataFrame(columns=LONG_COLUMNS)
    position = np.concatenate(positions)
    order = np.argsort(position, kind="stable")  # enterprise by enterprise; within one, the policies' order
    position = position[order]
    node_code = np.concatenate(node_codes)[order]
    status_code = np.concatenate(status)[order]
    policy_ids = list(dict.fromkeys(n.policy_id for n in nodes))
    policy_code = np.asarray([policy_ids.index(n.policy_id) for n in nodes], dtype=np.int16)
    kinds = list(dict.fromkeys(n.kind for n in nodes))
    kind_code = np.asarray([kinds.index(n.kind) for n in nodes], dtype=np.int16)
    titles = [n.title_zh if lang == "zh" else n.title_en for n in nodes]
    title_names = list(dict.fromkeys(titles))
    title_code = np.asarray([title_names.index(t) for t in titles], dtype=np.int16)

    def categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))

    ids = result.frame["enterprise_id"]
    ids = ids.array.take(position) if isinstance(ids.dtype, pd.StringDtype) else ids.to_numpy()[position]
    return pd.DataFrame({
        "enterprise_id": ids,
        "policy_id": categorical(policy_code[node_code], policy_ids),
        "item_id": categorical(node_code, [n.id for n in nodes]),
        "kind": categorical(kind_code[node_code], kinds),
        "status": categorical(status_code, list(STATUSES)),
        "amount_yuan": np.concatenate(amount)[order],
        "counted": status_code == _GRANTED,
        "reason": np.concatenate(reasons)[order],
        "citation": categorical(np.concatenate(cites)[order], citation_names),
        "title": categorical(title_code[node_code], title_names),
        "won_by": categorical(np.concatenate(winners)[order], winner_names),
    })


def _row_citations(result: Any, citations: str) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """The citations' names (ids, or the text in full) and, per item, the codes of its own and its group's."""
    registry = _citation_registry(result)
    items, groups = _cited(result)
    if citations == "id":
        text = registry
    else:
        text = {key: f"{result.policies.policies[key[0]].title} {key[1]}：「{key[2]}」" for key in registry}
    names = list(dict.fromkeys(text.values()))
    codes = {}
    for node in result.nodes:
        own = names.index(text[items[node.id]])
        group = groups[node.id]
        codes[node.id] = (own, names.index(text[group]) if group is not None else own)
    return names, codes


def long_row_count(result: Any, rows: str = "matter") -> int:
    """How many rows :func:`long_table` would have, without wording a reason."""
    if rows == "all":
        return len(result.frame) * len(result.nodes)
    inputs, cache = item_inputs(result), {}
    return sum(len(kept_rows(result, n.id, rows, inputs, cache)) for n in result.nodes)
