"""Tests for calc.money: exact parsing of amounts into fen, and formatting."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.money import (
    MoneyError,
    fen_to_yuan_floor,
    format_money,
    parse_decimal,
    parse_money,
    parse_money_column,
    yuan_to_fen,
)

# --------------------------------------------------------------------------- parse_money: values


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        # 5亿 = 5 × 100,000,000 yuan = 500,000,000 yuan = 50,000,000,000 fen
        ("5亿", 50_000_000_000),
        ("5亿元", 50_000_000_000),
        # 2,000万 = 2,000 × 10,000 = 20,000,000 yuan = 2,000,000,000 fen
        ("2,000万元", 2_000_000_000),
        # 1,234.56万 = 1,234.56 × 10,000 = 12,345,600 yuan = 1,234,560,000 fen
        ("1,234.56万", 1_234_560_000),
        # ¥300,000 = 300,000 yuan = 30,000,000 fen
        ("¥300,000", 30_000_000),
        # full-width yen, 300,000.5 yuan = 30,000,050 fen
        ("￥300,000.5", 30_000_050),
        ("300000元", 30_000_000),
        ("RMB 300000", 30_000_000),
        ("rmb300000", 30_000_000),
        ("人民币5万元", 5_000_000),  # 5 × 10,000 = 50,000 yuan
        # full-width digits and dot: 0.58亿 = 0.58 × 100,000,000 = 58,000,000 yuan = 5,800,000,000 fen
        ("０.５８亿", 5_800_000_000),
        ("０．５８亿", 5_800_000_000),
        # full-width comma and ideographic spaces
        ("\u3000２，０００万元\u3000", 2_000_000_000),
        ("  12 万 ", 12_000_000),  # 12 × 10,000 = 120,000 yuan
        # 1.23456万 = 12,345.6 yuan = 1,234,560 fen (one decimal of yuan is fine)
        ("1.23456万", 1_234_560),
        ("0", 0),
        ("0.01", 1),
        ("12.34", 1_234),
    ],
)
def test_parse_money_strings(text: str, fen: int) -> None:
    assert parse_money(text) == fen


def test_parse_money_numbers() -> None:
    assert parse_money(5) == 500  # 5 yuan
    assert parse_money(np.int64(7)) == 700
    assert parse_money(Decimal("1234.56")) == 123_456
    assert parse_money(3.0) == 300  # integral float is exact
    # spreadsheet float read through its shortest repr: 1234.56 -> Decimal('1234.56')
    assert parse_money(1234.56, allow_float=True) == 123_456
    # 0.1 + 0.2 style trap: repr(0.3) == '0.3' -> 30 fen exactly
    assert parse_money(0.3, allow_float=True) == 30


@pytest.mark.parametrize(
    ("value", "unit", "fen"),
    [
        (5, "wan", 5_000_000),  # 5万 = 50,000 yuan
        ("12.5", "wan", 12_500_000),  # 12.5万 = 125,000 yuan
        ("0.58", "yi", 5_800_000_000),  # 0.58亿 = 58,000,000 yuan
        (2, "亿元", 20_000_000_000),  # unit given in Chinese
        ("300000元", "wan", 30_000_000),  # unit in the text overrides the column unit
        ("5万", "yi", 5_000_000),
        ("1亿", "wan", 10_000_000_000),
    ],
)
def test_parse_money_units(value: object, unit: str, fen: int) -> None:
    assert parse_money(value, unit) == fen


def test_equivalent_spellings() -> None:
    # 0.58亿 = 5800万 = 58,000,000 yuan
    assert parse_money("0.58亿") == parse_money("5800万") == parse_money("58,000,000") == parse_money("５８００万元")


# --------------------------------------------------------------------------- parse_money: errors


@pytest.mark.parametrize("text", ["-5万", "(5)", "（5万）", "−5", "－5"])
def test_negative_rejected(text: str) -> None:
    with pytest.raises(MoneyError, match="negative") as info:
        parse_money(text)
    assert text in str(info.value)  # the message quotes the value


@pytest.mark.parametrize("value", [-1, np.int64(-1), Decimal("-0.01"), -2.0])
def test_negative_numbers_rejected(value: object) -> None:
    with pytest.raises(MoneyError, match="negative"):
        parse_money(value)


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        ("0.001元", "yuan"),  # 0.1 fen
        ("0.001", "yuan"),
        ("1.2345", "yuan"),
        ("1.0000001万", "yuan"),  # 10,000.001 yuan = 1,000,000.1 fen
        ("0.00000000001", "yi"),  # 10^-11 亿 = 0.001 yuan = 0.1 fen
        (Decimal("0.005"), "yuan"),
        (0.001, "yuan"),
    ],
)
def test_precision_beyond_fen_rejected(value: object, unit: str) -> None:
    with pytest.raises(MoneyError, match="more precise than one fen"):
        parse_money(value, unit, allow_float=True)


def test_precision_boundary_accepted() -> None:
    # 0.0000000001亿 = 0.01 yuan = exactly 1 fen
    assert parse_money("0.0000000001亿") == 1
    # 1.000001万 = 10,000.01 yuan = 1,000,001 fen
    assert parse_money("1.000001万") == 1_000_001


@pytest.mark.parametrize(
    "text", ["abc", "5万亿", "1.2.3", "12万x", "", "   ", "-", "12,34", "1,2345", "5 5", "¥", "万", ".5", "5."]
)
def test_garbage_rejected(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_money(text)


def test_garbage_message_quotes_value_and_gives_examples() -> None:
    with pytest.raises(MoneyError) as info:
        parse_money("12万x")
    assert str(info.value) == (
        "cannot read '12万x' as an amount of money (expected e.g. 1,234.56万元, 0.58亿, ¥300,000)"
    )


@pytest.mark.parametrize("text", ["1.2e3", "1E5", "3e-2万"])
def test_scientific_notation_rejected(text: str) -> None:
    with pytest.raises(MoneyError, match="scientific notation"):
        parse_money(text)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_bool_rejected(value: object) -> None:
    with pytest.raises(MoneyError, match="yes/no"):
        parse_money(value)


def test_fractional_float_needs_permission() -> None:
    with pytest.raises(MoneyError, match="fractional float"):
        parse_money(1234.56)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity"), None])
def test_non_finite_and_missing_rejected(value: object) -> None:
    with pytest.raises(MoneyError):
        parse_money(value, allow_float=True)


def test_unknown_unit_rejected() -> None:
    with pytest.raises(ValueError, match="unknown money unit"):
        parse_money("5", "fen")


def test_too_large_rejected() -> None:
    # 10^12亿 = 10^20 yuan = 10^22 fen, beyond Int64 (≈ 9.2 × 10^18)
    with pytest.raises(MoneyError, match="above the largest amount accepted"):
        parse_money("1,000,000,000,000亿")


def test_the_money_ceiling_is_inclusive_at_10_trillion_yuan() -> None:
    # calc.limits.MAX_MONEY_FEN = 10^15 fen = 10^13 yuan = 10万亿元: accepted at the ceiling, refused one fen above
    assert parse_money("100000亿") == 10**15
    assert parse_money("10,000,000,000,000") == 10**15
    assert parse_money("10000000000000.00") == 10**15
    with pytest.raises(MoneyError, match="above the largest amount accepted"):
        parse_money("10000000000000.01")
    with pytest.raises(MoneyError, match="above the largest amount accepted"):
        parse_money(92233720368547758)  # the wrapping value of issue 11, in yuan
    fen, errors = parse_money_column(pd.Series([10**13, 10**13 + 1, 92233720368547758], dtype="int64"))
    assert fen.tolist() == [10**15, pd.NA, pd.NA]
    assert errors[0] is None and "above the largest amount" in errors[1] and "above the largest amount" in errors[2]


# --------------------------------------------------------------------------- parse_decimal


def test_parse_decimal() -> None:
    assert parse_decimal("1,234.5") == Decimal("1234.5")
    assert parse_decimal("０．２") == Decimal("0.2")
    assert parse_decimal(" －3 ") == Decimal("-3")
    assert parse_decimal(0.1) == Decimal("0.1")  # shortest repr, not 0.1000000000000000055…
    assert parse_decimal(7) == Decimal(7)
    for bad in ["1e3", "abc", "", "nan", True, None, float("inf")]:
        with pytest.raises(ValueError):
            parse_decimal(bad)


# --------------------------------------------------------------------------- format_money


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (0, "0元", "¥0"),
        (99_900, "999元", "¥999"),
        (1_234, "12.34元", "¥12.34"),
        (1_230, "12.30元", "¥12.30"),
        (999_999, "9,999.99元", "¥9,999.99"),
        # 2,000,000 yuan = 200万
        (200_000_000, "200万元", "¥2,000,000"),
        # 12,345,600 yuan = 1,234.56万
        (1_234_560_000, "1,234.56万元", "¥12,345,600"),
        # 12,345,000 yuan = 1,234.5万 (trailing zero trimmed)
        (1_234_500_000, "1,234.5万元", "¥12,345,000"),
        # 150,000,000 yuan = 1.5亿
        (15_000_000_000, "1.5亿元", "¥150,000,000"),
        # 123,456,789.01 yuan = 1.2345678901亿 (exact, every digit kept)
        (12_345_678_901, "1.2345678901亿元", "¥123,456,789.01"),
        (1_234_560_034, "1,234.560034万元", "¥12,345,600.34"),
    ],
)
def test_format_money(fen: int, zh: str, en: str) -> None:
    assert format_money(fen) == zh
    assert format_money(fen, "en") == en


def test_format_money_missing_and_types() -> None:
    assert format_money(None) == "—"
    assert format_money(pd.NA) == "—"
    assert format_money(float("nan")) == "—"
    assert format_money(np.int64(100)) == "1元"
    assert format_money(-500) == "-5元"
    with pytest.raises(TypeError):
        format_money(True)
    with pytest.raises(TypeError):
        format_money(1.5)
    with pytest.raises(ValueError):
        format_money(1, "fr")


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**15))  # 0 .. 10^13 yuan (the money ceiling), any fen
def test_format_parse_round_trip(fen: int) -> None:
    assert parse_money(format_money(fen)) == fen
    assert parse_money(format_money(fen, "en")) == fen


@given(st.integers(min_value=0, max_value=10**8), st.sampled_from(["yuan", "wan", "yi"]))
def test_units_scale_exactly(n: int, unit: str) -> None:
    # up to 10^8 亿 = 10^16 yuan = 10^18 fen; the ceiling is 10^15 fen (10万亿元), above it an error
    scale = {"yuan": 100, "wan": 1_000_000, "yi": 10_000_000_000}[unit]
    if n * scale <= 10**15:
        assert parse_money(str(n), unit) == n * scale
        assert parse_money(n, unit) == n * scale
    else:
        for value in (str(n), n):
            with pytest.raises(MoneyError, match="above the largest amount accepted"):
                parse_money(value, unit)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_decimal_yuan_with_cents(d: Decimal) -> None:
    # d yuan with at most 2 decimals is d × 100 fen exactly, as Decimal and as text
    expected = int(d * 100)
    assert parse_money(d) == expected
    assert parse_money(f"{d:,f}元") == expected


@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_sub_fen_always_rejected(d: Decimal) -> None:
    if d * 100 == (d * 100).to_integral_value():
        assert parse_money(f"{d:f}") == int(d * 100)
    else:
        with pytest.raises(MoneyError, match="more precise"):
            parse_money(f"{d:f}")


# --------------------------------------------------------------------------- parse_money_column


def test_column_mixed_objects() -> None:
    s = pd.Series(
        ["1万", None, "", "  ", "abc", True, 1, 1.5, "12", np.nan, pd.NA, "0.001", "-3"],
        index=list("abcdefghijklm"),
    )
    fen, errs = parse_money_column(s)
    assert str(fen.dtype) == "Int64"
    assert list(fen.index) == list("abcdefghijklm")
    expected = {"a": 1_000_000, "g": 100, "h": 150, "i": 1_200}  # 1万 = 10,000 yuan; 1; 1.5; 12
    for k in "abcdefghijklm":
        if k in expected:
            assert fen[k] == expected[k]
            assert errs[k] is None
        else:
            assert fen[k] is pd.NA
    assert [k for k in "abcdefghijklm" if errs[k] is not None] == ["e", "f", "l", "m"]  # missing cells are not errors
    assert "yes/no" in errs["f"]  # True is not 1 yuan
    assert "negative" in errs["m"]


def test_column_bool_and_int_not_confused() -> None:
    # 1 == True in Python; the parser must still reject True and accept 1.
    fen, errs = parse_money_column(pd.Series([1, True, 0, False], dtype=object))
    assert fen.tolist() == [100, pd.NA, 0, pd.NA]
    assert errs[0] is None and errs[2] is None
    assert "yes/no" in errs[1] and "yes/no" in errs[3]


def test_column_int_dtype_vectorised_with_unit() -> None:
    s = pd.Series([0, 5, -1, 12], dtype="int64")
    fen, errs = parse_money_column(s, unit="wan")
    assert fen.tolist() == [0, 5_000_000, pd.NA, 12_000_000]  # 5万 = 50,000 yuan
    assert errs.isna().tolist() == [True, True, False, True]
    assert "'-1' is negative" in errs[2]


def test_column_int_overflow_reported() -> None:
    # 10^15 亿 = 10^23 yuan: too large for Int64 fen
    fen, errs = parse_money_column(pd.Series([10**15, 1], dtype="int64"), unit="yi")
    assert fen.tolist() == [pd.NA, 10_000_000_000]
    assert "above the largest amount accepted" in errs[0]


def test_column_nullable_int_and_float() -> None:
    fen, errs = parse_money_column(pd.Series([1, None, 3], dtype="Int64"))
    assert fen.tolist() == [100, pd.NA, 300]
    assert errs.isna().all()
    # float column (e.g. from Excel): 2.5万 = 25,000 yuan; 0.001万 = 10 yuan; NaN is missing
    fen, errs = parse_money_column(pd.Series([1.0, np.nan, 2.5, 0.001, -1.0]), unit="wan")
    assert fen.tolist() == [1_000_000, pd.NA, 2_500_000, 1_000, pd.NA]
    assert errs.isna().tolist() == [True, True, True, True, False]


def test_column_bool_dtype_rejected() -> None:
    fen, errs = parse_money_column(pd.Series([True, False]))
    assert fen.isna().all()
    assert errs.notna().all()


def test_column_string_dtype() -> None:
    fen, errs = parse_money_column(pd.Series(["5亿", None, "1,234.56万"], dtype="string"))
    assert fen.tolist() == [50_000_000_000, pd.NA, 1_234_560_000]
    assert errs.isna().all()


def test_column_plain_digit_fast_path_respects_limits() -> None:
    # 15-digit number in 亿 would overflow Int64; must be an error, not a wrapped value
    fen, errs = parse_money_column(pd.Series(["999999999999999", "7"]), unit="yi")
    assert fen.tolist() == [pd.NA, 70_000_000_000]
    assert "above the largest amount accepted" in errs[0]


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**12).map(lambda f: ("good", f)),
            st.sampled_from(["abc", "-5", "1.2e3", "0.001", "5万亿"]).map(lambda t: ("bad", t)),
            st.sampled_from([None, "", " "]).map(lambda t: ("missing", t)),
        ),
        max_size=30,
    )
)
def test_column_property(cells: list[tuple[str, object]]) -> None:
    raw = [format_money(v) if k == "good" else v for k, v in cells]
    fen, errs = parse_money_column(pd.Series(raw, dtype=object))
    for i, (kind, v) in enumerate(cells):
        if kind == "good":
            assert fen[i] == v and errs[i] is None
        elif kind == "bad":
            assert fen[i] is pd.NA and isinstance(errs[i], str)
        else:
            assert fen[i] is pd.NA and errs[i] is None


def test_column_million_ints() -> None:
    # a million integers in 万 take the column path (its speed is in benchmarks/bench_load.py, not asserted here)
    s = pd.Series(np.arange(1_000_000, dtype=np.int64))
    fen, errs = parse_money_column(s, unit="wan")
    assert fen.iloc[999_999] == 999_999 * 1_000_000  # 999,999万 = 99.9999亿元 = 9,999,990,000元 = 999,999,000,000 fen
    assert errs.isna().all()


# --------------------------------------------------------------------------- helpers


def test_helpers() -> None:
    assert yuan_to_fen(12) == 1_200
    assert fen_to_yuan_floor(1_299) == 12
    with pytest.raises(TypeError):
        yuan_to_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fen_to_yuan_floor(True)
