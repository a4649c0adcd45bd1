"""The column-speed paths of the loaders agree with the per-value reference, cell for cell.

The fast paths (calc.money._money_from_arrow and the float round trip, the arrow paths of calc.inputs) accept
only cells whose reading is certain and hand every other cell to the per-value reference.  These tests check
that claim: the same random cells are read through the fast path (an arrow-backed text column, a float64
column) and through the reference (calc.money.parse_money on each cell; or the same column made to take the
reference path by one extra cell of another type, which keeps it an object column), and must give the same
fen, the same missing cells and the same messages.  Boundary values (MAX_MONEY_FEN and one fen either side, in
each unit; MAX_COUNT and one either side) are drawn on purpose.

Also here: issue 12's contradiction at load time (a lead said not to be a consortium member).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calc.inputs import (
    _PY_SPACE,
    ENTERPRISE_COLUMNS,
    _maybe_duplicates,
    _parse_bool,
    _parse_category,
    _parse_count,
    _parse_id,
    _parse_text,
    _strictly_increasing,
    load_enterprises,
)
from calc.limits import MAX_COUNT, MAX_MONEY_FEN
from calc.money import (
    _FAST_CHUNK,
    FAST_MONEY_PATTERN,
    MoneyError,
    _money_from_arrow,
    parse_money,
    parse_money_column,
)

COL = {c.name: c for c in ENTERPRISE_COLUMNS}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNITS = {"yuan": 2, "wan": 6, "yi": 10}  # power of ten of fen per unit


# =========================================================================== helpers


def reference_money(cell: object, unit: str) -> tuple[int | None, str | None]:
    """(fen, message) of one cell as the per-value reference reads it; (None, None) when the cell is missing."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip()):
        return None, None
    try:
        return parse_money(cell, unit, allow_float=True), None
    except MoneyError as exc:
        return None, str(exc)


def column_money(series: pd.Series, unit: str) -> list[tuple[int | None, str | None]]:
    fen, errs = parse_money_column(series, unit)
    return [(None if pd.isna(f) else int(f), e) for f, e in zip(fen.tolist(), errs.tolist())]


def fen_text(fen: int, unit: str, style: int) -> str:
    """An exact spelling of ``fen`` in ``unit`` (bare number) or with a unit suffix."""
    power = UNITS[unit]
    whole, frac = divmod(fen, 10**power)
    number = f"{whole:,}" if style % 2 else str(whole)
    if frac:
        number += "." + str(frac).rjust(power, "0").rstrip("0")
    return ("¥" if style == 3 and unit == "yuan" else "") + number


def as_arrow(cells: list) -> pd.Series:
    return pd.Series(cells, dtype=pd.StringDtype("pyarrow"))


def via_reference(parser, cells: list, sentinel: object, *args) -> tuple[list, list, list]:
    """``parser`` on the cells plus one cell of another type: an object column, read value by value."""
    values, errs, missing = parser(pd.Series([*cells, sentinel], dtype=object), *args)
    return list(pd.array(values)[: len(cells)]), list(errs[: len(cells)]), list(missing[: len(cells)])


def via_fast(parser, cells: list, *args) -> tuple[list, list, list]:
    values, errs, missing = parser(as_arrow(cells), *args)
    return list(pd.array(values)), list(errs), list(missing)


def same(a: list, b: list) -> bool:
    """Equal cell for cell, a missing value (NA, NaN of a categorical) equal only to another."""
    return len(a) == len(b) and all(
        (pd.isna(x) and pd.isna(y)) or (not pd.isna(x) and not pd.isna(y) and x == y) for x, y in zip(a, b))


# =========================================================================== strategies

DIGITS = st.text("0123456789", min_size=1, max_size=18)
UNIT_WORDS = st.sampled_from(["", "元", "万", "万元", "亿", "亿元", "圆", "yuan", "RMB", "元元"])
JUNK = st.sampled_from(["", " ", ",", ".", "-", "¥", "￥", "e5", "１", "\u3000", "\t", "(", ")", "..", ",,", "万"])


@st.composite
def money_cells(draw) -> str:
    """Text cells: the fast grammar, its neighbours (a misplaced comma, a second dot, a sign, a space, full width),
    and amounts at the bound and one fen either side."""
    kind = draw(st.integers(0, 5))
    if kind == 0:  # at and around the bound, in a unit
        unit = draw(st.sampled_from(list(UNITS)))
        fen = MAX_MONEY_FEN + draw(st.sampled_from([-(10 ** UNITS[unit]), -1, 0, 1, 10 ** UNITS[unit]]))
        fen = max(fen, 0)
        text = fen_text(fen, unit, draw(st.integers(0, 3)))
        return text + {"yuan": "", "wan": "万", "yi": "亿"}[unit] if unit != "yuan" or draw(st.booleans()) else text
    if kind == 1:  # an exact amount written in one of the spellings
        unit = draw(st.sampled_from(list(UNITS)))
        fen = draw(st.integers(0, MAX_MONEY_FEN + 10))
        suffix = draw(st.sampled_from({"yuan": ["", "元"], "wan": ["万", "万元"], "yi": ["亿", "亿元"]}[unit]))
        return fen_text(fen, unit, draw(st.integers(0, 3))) + suffix
    if kind == 2:  # digits, a fraction of any length, a unit
        frac = draw(st.one_of(st.just(""), DIGITS.map(lambda d: "." + d[:12])))
        return draw(st.sampled_from(["", "¥"])) + draw(DIGITS) + frac + draw(UNIT_WORDS)
    if kind == 3:  # comma groups, right or wrong
        groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=6))
        return ",".join(groups) + draw(st.sampled_from(["", ".5", ".05", ".123"])) + draw(UNIT_WORDS)
    if kind == 4:  # near misses: junk put somewhere in a good cell
        base = fen_text(draw(st.integers(0, 10**12)), "yuan", draw(st.integers(0, 3)))
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(JUNK) + base[at:] + draw(UNIT_WORDS)
    return draw(st.text(st.sampled_from("0123456789,.¥万亿元 -e１"), max_size=14))


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(0, 10**15).map(lambda c: c / 100),  # yuan with cents
    st.integers(0, 10**11).map(lambda c: c / 10**6),  # wan with cents
    st.sampled_from([MAX_MONEY_FEN / 100, MAX_MONEY_FEN / 100 + 0.01, MAX_MONEY_FEN / 100 - 0.01, 1e13 + 0.002,
                     0.1, 0.001, 0.005, -0.0, -0.01, 5e-324, 2.5, 1e-7, 123456789.125]),
)


# =========================================================================== money


def test_python_whitespace_class_is_strs() -> None:
    # the class the RE2 patterns use for str.strip() must be exactly the characters str.isspace() names
    everything = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(_PY_SPACE) == everything


@SETTINGS
@given(st.lists(money_cells(), min_size=1, max_size=40), st.sampled_from(list(UNITS)))
@example(["1,234.56万", "0.58亿", "¥300,000", "300000元", "", "10000000000000", "10000000000000.01", "0.001"], "yuan")
@example(["100000", "100000.00000001", "0.000001", "99999.99999999"], "wan")
def test_text_money_fast_equals_reference(cells: list[str], unit: str) -> None:
    expected = [reference_money(c, unit) for c in cells]
    assert column_money(as_arrow(cells), unit) == expected
    assert column_money(pd.Series(cells, dtype=object), unit) == expected  # object column: converted to arrow
    assert column_money(pd.Series(cells, dtype=pd.ArrowDtype(pa.string())), unit) == expected
    assert column_money(pd.Series(cells, dtype=pd.StringDtype("python")), unit) == expected


HOSTILE_PIECES = ["0", "1", "9", "00", "123", "1234", ",", ",,", ".", "..", "¥", "￥", "万", "亿", "元", "万元", "亿元", "元元",
                  "圆", " ", "\u3000", "-", "e5", "１", "\u00a5\u00a5", "中", "\x87", "é", ",000", ",00", ".5", "000000"]


@SETTINGS
@given(st.lists(st.lists(st.sampled_from(HOSTILE_PIECES), max_size=8).map("".join), min_size=1, max_size=60),
       st.sampled_from(list(UNITS)), st.integers(0, 5))
@example(["1,234.56万", "¥1,234", "12,34", ",123", "1,2345", "1234,567", "1.", ".5", "1..2", "1,000.5,0", "¥万", "¥",
          "5万元", "5元元", "5万万", "¥¥5", "0.0000亿", "999999999999999999", "1000000000000000000", "1" * 61,
          "100,000,000,000.01亿", "10,000,000,000,000.00", "10,000,000,000,000.01"], "yuan", 0)
def test_money_kernel_accepts_only_the_grammar_and_reads_as_the_reference(cells: list[str], unit: str, skip: int) -> None:
    # the byte-level kernel (no regular expression, no Python per cell) accepts a cell only if it matches the fast
    # grammar's pattern, and reads it as parse_money does; every cell the pattern matches within 18 digits, the
    # fraction within one fen and the bound is accepted.  On a slice (the array starts inside its buffers).
    arr = pa.array(["x"] * skip + cells, pa.large_string()).slice(skip)
    fen, accepted, blank = _money_from_arrow(arr, {"yuan": 0, "wan": 4, "yi": 8}[unit])
    for cell, f, ok, b in zip(cells, fen.tolist(), accepted.tolist(), blank.tolist()):
        assert b == (cell == "")
        matched = re.fullmatch(FAST_MONEY_PATTERN.strip("^$"), cell) is not None
        if ok:
            assert matched and f == parse_money(cell, unit, allow_float=True), cell
        elif matched:  # refused only beyond int64's 18 digits, finer than a fen or above the bound: the reference's
            written = next((u for end, u in (("万元", "wan"), ("亿元", "yi"), ("万", "wan"), ("亿", "yi"), ("元", "yuan"))
                            if cell.endswith(end)), unit)
            number = re.sub(r"[^0-9.]", "", cell)
            whole, _, fraction = number.partition(".")
            digits = whole + fraction
            assert (len(digits) > 18 or len(fraction) > UNITS[written]
                    or int(digits) * 10 ** (UNITS[written] - len(fraction)) > MAX_MONEY_FEN), cell


def test_money_kernel_over_many_chunks() -> None:
    # a column longer than a chunk: read chunk by chunk, each chunk a slice of the same buffers
    cells = ["1,234.56万", "", "¥300,000", "0.58亿", "1.005", "12,34", "300000元"] * (_FAST_CHUNK // 3)
    fen, accepted, blank = _money_from_arrow(pa.array(cells, pa.string()), 0)
    want = {"1,234.56万": 1_234_560_000, "¥300,000": 30_000_000, "0.58亿": 5_800_000_000, "300000元": 30_000_000}
    assert fen.tolist() == [want.get(c, 0) for c in cells]
    assert accepted.tolist() == [c in want for c in cells] and blank.tolist() == [c == "" for c in cells]


@SETTINGS
@given(st.lists(money_cells(), min_size=2, max_size=30), st.integers(0, 29))
def test_text_money_from_a_slice_and_from_chunks(cells: list[str], cut: int) -> None:
    # an arrow array that starts inside its buffers (a slice), and one made of several chunks
    cut = min(cut, len(cells) - 1)
    series = as_arrow(["x", *cells]).iloc[1:].reset_index(drop=True)
    assert column_money(series, "yuan") == [reference_money(c, "yuan") for c in cells]
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([cells[:cut], cells[cut:]], pa.large_string())))
    assert column_money(chunked, "wan") == [reference_money(c, "wan") for c in cells]


@SETTINGS
@given(st.lists(FLOATS, min_size=1, max_size=40), st.sampled_from(list(UNITS)))
def test_float_money_fast_equals_reference(values: list[float], unit: str) -> None:
    # a float cell is accepted at once only when round(x × factor) / factor == x; any other goes to parse_money
    expected = [reference_money(v, unit) for v in values]
    assert column_money(pd.Series(values, dtype=np.float64), unit) == expected
    assert column_money(pd.Series(values, dtype="Float64"), unit) == [
        (None, None) if np.isnan(v) else e for v, e in zip(values, expected)]
    assert column_money(pd.Series(values, dtype=pd.ArrowDtype(pa.float64())), unit) == expected


@pytest.mark.parametrize("unit", list(UNITS))
def test_float_and_int_money_at_the_bound(unit: str) -> None:
    # MAX_MONEY_FEN = 10^15 fen; in `unit` that is 10^15 / 10^power units, exact as a float and as an int.
    top = MAX_MONEY_FEN // 10 ** UNITS[unit]
    fen, errs = parse_money_column(pd.Series([top, top + 1, top - 1], dtype="int64"), unit)
    assert fen.tolist()[0] == MAX_MONEY_FEN and pd.isna(fen.iloc[1]) and fen.tolist()[2] == MAX_MONEY_FEN - 10 ** UNITS[unit]
    assert "above the largest amount" in errs.iloc[1]
    one_fen = 1 / 10 ** UNITS[unit]  # one fen in `unit`
    floats = pd.Series([float(top), float(top) - one_fen * 100, one_fen, one_fen / 10], dtype=np.float64)
    assert column_money(floats, unit) == [reference_money(v, unit) for v in floats.tolist()]
    got = column_money(floats, unit)
    assert got[0] == (MAX_MONEY_FEN, None) and got[2] == (1, None) and "more precise than one fen" in got[3][1]


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from(
    [MAX_MONEY_FEN // 100, MAX_MONEY_FEN // 100 + 1, MAX_MONEY_FEN // 100 - 1, 0, -1])), min_size=1, max_size=30))
def test_int_money_fast_equals_reference(values: list[int | None]) -> None:
    expected = [reference_money(v, "yuan") for v in values]
    assert column_money(pd.Series(values, dtype="Int64"), "yuan") == expected
    assert column_money(pd.Series(values, dtype=pd.ArrowDtype(pa.int64())), "yuan") == expected
    present = [v for v in values if v is not None]
    if present:
        assert column_money(pd.Series(present, dtype=np.int64), "yuan") == [reference_money(v, "yuan") for v in present]


# =========================================================================== other kinds


COUNT_CELLS = st.one_of(
    st.integers(0, 2 * MAX_COUNT).map(str),
    st.sampled_from([str(MAX_COUNT), str(MAX_COUNT + 1), str(MAX_COUNT - 1), "0000003", "00000000003", "3个", "1,000",
                     "-1", "2.0", "2.5", "", " ", " 3", "３", "0"]),
    st.text(st.sampled_from("0123456789,.- 个人"), max_size=9),
)
TEXT_CELLS = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from("EA01 \t\u3000\x1f\x85\xa0é中ＡＢ\x00\u202e"), max_size=8),
    st.sampled_from(["E1", " E1", "E1 ", "Ｅ１", "e\u0301", "x" * 40, "", "   ", "厦门001", "廈門 A", "\uf900", "一\u3000",
                     "厦门\u200b1", "\u4e00", "\u9fff-1", "\ua000"]),
    st.text(st.sampled_from("AZ09 -厦门\u4e00\u9fff\uf900\u3000\u200b"), max_size=8),
)


@SETTINGS
@given(st.lists(COUNT_CELLS, min_size=1, max_size=30))
def test_count_fast_equals_reference(cells: list[str]) -> None:
    assert same(*[r[0] for r in (via_fast(_parse_count, cells, COL["incubators"], None),
                                 via_reference(_parse_count, cells, 7, COL["incubators"], None))])
    fast, ref = via_fast(_parse_count, cells, COL["incubators"], None), via_reference(
        _parse_count, cells, 7, COL["incubators"], None)
    assert fast[1:] == ref[1:]


@SETTINGS
@given(st.lists(st.one_of(st.floats(), st.sampled_from([float(MAX_COUNT), MAX_COUNT + 1.0, -0.0, 2.5])),
                min_size=1, max_size=30))
def test_float_count_fast_equals_reference(values: list[float]) -> None:
    fast = _parse_count(pd.Series(values, dtype=np.float64), COL["incubators"], None)
    ref = _parse_count(pd.Series([*values, "7"], dtype=object), COL["incubators"], None)
    assert same(list(fast[0]), list(ref[0][:-1]))
    assert list(fast[1]) == list(ref[1][:-1]) and list(fast[2]) == list(ref[2][:-1])


@SETTINGS
@given(st.lists(TEXT_CELLS, min_size=1, max_size=30), st.integers(1, 12))
def test_id_and_text_fast_equal_reference(cells: list[str], max_chars: int) -> None:
    for parser, col in ((_parse_id, COL["enterprise_id"]), (_parse_text, COL["name"])):
        fast = via_fast(parser, cells, col, None, max_chars)
        ref = via_reference(parser, cells, 7, col, None, max_chars)
        assert same(fast[0], ref[0]) and fast[1:] == ref[1:], (parser.__name__, cells)


@SETTINGS
@given(st.lists(st.sampled_from(["是", "否", "yes", "No", " 是 ", "1", "0", "maybe", "", "√", "×", "Ｙ"]),
                min_size=1, max_size=30))
def test_bool_and_category_fast_equal_reference(cells: list[str]) -> None:
    fast, ref = via_fast(_parse_bool, cells, COL["consortium_member"], None), via_reference(
        _parse_bool, cells, 2.5, COL["consortium_member"], None)
    assert same(fast[0], ref[0]) and fast[1:] == ref[1:]
    cities = [{"是": "厦门", "否": "qingdao", "yes": "XIAMEN"}.get(c, c) for c in cells]
    fast, ref = via_fast(_parse_category, cities, COL["city"], None), via_reference(
        _parse_category, cities, 2.5, COL["city"], None)
    assert same(fast[0], ref[0]) and fast[1:] == ref[1:]


def test_numeric_yes_no_columns() -> None:
    # 0 and 1 are read at once; 2 and -1 get the reference's message; NaN is missing
    values, errs, missing = _parse_bool(pd.Series([1, 0, 2, -1, np.nan]), COL["consortium_member"], None)
    assert list(values[:2]) == [True, False] and values[2:].isna().all()
    assert errs[2].startswith("cannot read '2' as yes/no") and errs[3].startswith("cannot read '-1' as yes/no")
    assert errs[4] is None and missing.tolist() == [False, False, False, False, True]


# =========================================================================== duplicates


@SETTINGS
@given(st.lists(st.text(max_size=20), min_size=2, max_size=40), st.data())
def test_duplicate_check_never_misses_a_duplicate(values: list[str], data) -> None:
    # sound: whenever two kept cells are equal, the check says "maybe"
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    kept = [v for v, k in zip(values, keep) if k]
    arr = pa.array(values, pa.large_string())
    if len(set(kept)) < len(kept):
        assert _maybe_duplicates(arr, keep)


def test_duplicate_found_among_many_rows() -> None:
    # above 100,000 rows the check first buckets the keys: a duplicate in the last row is still found
    n = 150_001
    ids = [f"91350200MA{i:08d}" for i in range(n - 1)] + ["91350200MA00000007"]
    parsed = load_enterprises(pd.DataFrame({"enterprise_id": ids}))
    assert len(parsed.frame) == n - 1
    assert parsed.errors["input_row"].tolist() == [n]
    assert "duplicate enterprise_id '91350200MA00000007' (first used in row 8)" in parsed.errors["message"].iloc[0]
    assert not _maybe_duplicates(pa.array(ids[:-1], pa.large_string()), np.ones(n - 1, dtype=bool))


@SETTINGS
@given(st.lists(st.text(st.sampled_from("E0129é中\x00"), max_size=6), min_size=2, max_size=40), st.data())
def test_ids_in_order_are_distinct_and_a_repeat_is_never_missed(values: list[str], data) -> None:
    # ids numbered in order (by length, then bytes) are proved distinct by comparing neighbours; the proof never
    # holds when two kept cells are equal, in order or not
    ordered = sorted(set(values), key=lambda v: (len(v.encode()), v.encode()))
    keep_all = np.ones(len(ordered), dtype=bool)
    assert _strictly_increasing(pa.array(ordered, pa.large_string()), keep_all)
    assert not _maybe_duplicates(pa.array(ordered, pa.large_string()), keep_all)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    kept = [v for v, k in zip(values, keep) if k]
    if len(set(kept)) < len(kept):
        assert not _strictly_increasing(pa.array(values, pa.string()), keep)
        assert _maybe_duplicates(pa.array(values, pa.string()), keep)


def test_numbered_ids_with_a_repeat_in_the_middle() -> None:
    # E1 … E12 in order, E7 again after E12 (in order by length, not by value): rejected on its row, the rest kept
    ids = [f"E{i}" for i in range(1, 13)] + ["E7"] + [f"E{i}" for i in range(13, 20)]
    assert _strictly_increasing(pa.array(ids[:12]), np.ones(12, dtype=bool))
    assert not _strictly_increasing(pa.array(ids), np.ones(len(ids), dtype=bool))
    parsed = load_enterprises(pd.DataFrame({"enterprise_id": ids}))
    assert parsed.errors["input_row"].tolist() == [13] and len(parsed.frame) == len(ids) - 1
    assert "duplicate enterprise_id 'E7' (first used in row 7)" in parsed.errors["message"].iloc[0]


def test_fast_frame_matches_object_frame() -> None:
    # the same table as arrow text and as Python objects (one int cell sends the object column to the reference)
    rows = {"enterprise_id": ["E1", " E2", "Ｅ3", "E4"], "city": ["厦门", "qingdao", "Xiamen ", "其它"],
            "rd_expense": ["1,234.56万", "¥300,000", "0.58亿", "1.005"], "incubators": ["3", "3个", "", "-1"],
            "consortium_member": ["是", "no", "", "maybe"]}
    fast = load_enterprises(pd.DataFrame(rows))
    slow = load_enterprises(pd.DataFrame({k: pd.Series([*v, 5], dtype=object) for k, v in rows.items()}))
    assert fast.errors.to_dict("records") == slow.errors[slow.errors["input_row"] < 5].to_dict("records")
    pd.testing.assert_frame_equal(fast.frame, slow.frame[slow.frame["input_row"] < 5], check_dtype=True)


# =========================================================================== issue 12: a lead is a member


def _lead_rows(member: list, lead: list, talent: list | None = None) -> pd.DataFrame:
    cols = {"enterprise_id": [f"E{i}" for i in range(1, len(member) + 1)], "consortium_member": member,
            "consortium_lead": lead}
    if talent is not None:
        cols["talent_consortium_lead"] = talent
    return pd.DataFrame(cols)


def test_lead_said_not_to_be_a_member_is_rejected() -> None:
    # 第十六条 pays the lead unit (牵头单位) and 第十一条（六） the talent consortium's lead: a lead is a member of its
    # consortium, so consortium_member=否 beside a lead=是 is a contradiction, rejected as a row error on the
    # member cell (its value shown), the other rows computed.
    parsed = load_enterprises(_lead_rows(["否", "否", "", "是", "否", "否"], ["是", "否", "是", "是", "", "是"],
                                         ["否", "是", "是", "否", "", "是"]))
    # row 2 (a talent lead said to be neither a member nor the consortium's lead) contradicts twice: the second
    # error is test_inputs.py's talent-lead check
    member_errors = parsed.errors[parsed.errors["column"] == "consortium_member"]
    assert parsed.errors[["input_row", "column"]].values.tolist() == [
        [1, "consortium_member"], [2, "consortium_member"], [2, "consortium_lead"], [6, "consortium_member"]]
    assert member_errors["value"].tolist() == ["否"] * 3
    msgs = member_errors["message"].tolist()
    assert msgs[0] == ("row 1 (enterprise_id=E1), column 'consortium_member': consortium_member is no, but "
                       "consortium_lead is yes: the lead unit of a consortium is always one of its members; correct "
                       "one of them")
    assert "but talent_consortium_lead is yes" in msgs[1]
    assert "but consortium_lead and talent_consortium_lead are yes" in msgs[2]
    # a lead whose membership is blank is kept as given (not derived), as is a lead that is a member
    kept = parsed.frame.set_index("enterprise_id")
    assert kept.index.tolist() == ["E3", "E4", "E5"]
    assert kept.loc["E3", "consortium_member"] is pd.NA and kept.loc["E3", "consortium_lead"]


def test_lead_check_needs_both_columns() -> None:
    # no consortium_member column: nothing to contradict; not a lead: any membership is fine
    assert load_enterprises(pd.DataFrame({"enterprise_id": ["E1"], "consortium_lead": ["是"]})).ok
    assert load_enterprises(_lead_rows([False, True, None], [False, False, None])).ok
    parsed = load_enterprises(_lead_rows([False], [True]))  # real booleans, as from Parquet
    assert parsed.errors["value"].tolist() == ["False"]


def test_unicode_normalisation_assumption() -> None:
    # the fast money grammar's characters are their own NFKC form and case fold (so parse_money's normalisation
    # leaves a matched cell unchanged); so is every CJK unified ideograph a fast identifier may hold
    for ch in "0123456789,.¥万亿元":
        assert unicodedata.normalize("NFKC", ch) == ch and ch.casefold() == ch and not ch.isspace()
    ideographs = "".join(chr(c) for c in range(0x4E00, 0xA000))
    assert unicodedata.normalize("NFKC", ideographs) == ideographs


def test_columns_parsed_in_threads_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # large tables parse their columns in threads; forced on a small table, the result is the serial one
    import calc.inputs as inputs

    rows = {"enterprise_id": [f"E{i}" for i in range(40)] + ["E3"], "city": ["厦门", "nowhere"] * 20 + ["qingdao"],
            "rd_expense": ["1,234.56万", "-5", "0.001", "¥300,000"] * 10 + [""],
            "incubators": list(range(41)), "consortium_member": ["是", "否", "", "maybe"] * 10 + ["是"],
            "consortium_lead": ["是"] * 41}
    serial = load_enterprises(pd.DataFrame(rows))
    monkeypatch.setattr(inputs, "THREADS_FROM_ROWS", 0)
    threaded = load_enterprises(pd.DataFrame(rows))
    pd.testing.assert_frame_equal(serial.frame, threaded.frame)
    pd.testing.assert_frame_equal(serial.errors, threaded.errors)
    assert len(serial.errors) > 40  # every kind of error is there: the comparison is not vacuous


DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10, max_value=10**13 + 1),
    st.sampled_from([Decimal(MAX_MONEY_FEN) / 100, Decimal(MAX_MONEY_FEN) / 100 + Decimal("0.01"),
                     Decimal(MAX_MONEY_FEN) / 100 - Decimal("0.01"), Decimal("0.001"), Decimal("1E+2"), Decimal("-0")]),
)


@SETTINGS
@given(st.lists(st.one_of(st.none(), DECIMALS), min_size=1, max_size=30), st.sampled_from(list(UNITS)))
def test_decimal_money_fast_equals_reference(values: list, unit: str) -> None:
    # a Parquet decimal column, as Decimal objects or arrow decimal128: unscaled integers read exactly
    expected = [reference_money(v, unit) for v in values]
    assert column_money(pd.Series(values, dtype=object), unit) == expected
    typed = pa.array(values, pa.decimal128(20, 3))
    got = column_money(pd.Series(pd.arrays.ArrowExtensionArray(typed)), unit)
    assert [g[0] for g in got] == [e[0] for e in expected]  # messages quote the value as arrow writes it (1.000)
    assert [g[1] is None for g in got] == [e[1] is None for e in expected]


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(-(2**70), 2**70)), min_size=1, max_size=30))
def test_object_integer_money_equals_reference(values: list) -> None:
    # Python ints with gaps (how a Parquet integer column with nulls may arrive), some beyond int64
    assert column_money(pd.Series(values, dtype=object), "wan") == [reference_money(v, "wan") for v in values]
