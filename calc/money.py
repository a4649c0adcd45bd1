"""Exact money handling: parse user-entered amounts into integer fen, format them back.

Money never passes through binary floating point arithmetic.  Every amount is
parsed with :class:`decimal.Decimal` and stored as an ``int`` number of **fen**
(1 yuan = 100 fen).  Columns of amounts are pandas nullable ``Int64`` series.

Accepted spellings (after Unicode NFKC normalisation, so full-width digits,
``，`` ``．`` ``￥`` and ideographic spaces all work)::

    5亿  5亿元  2,000万元  1,234.56万  ¥300,000  ￥300,000.5  300000元
    RMB 300000  人民币5万元  ０.５８亿  "  12 万 "

A unit written in the text (元 / 万 / 万元 / 亿 / 亿元) overrides the ``unit``
argument, which only says what a *bare* number means (e.g. because the column
header reads ``研发费用（万元）``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from calc.files import shown as _quoted
from calc.limits import MAX_MONEY_FEN

__all__ = [
    "MoneyError",
    "UNITS",
    "UNIT_LABELS_ZH",
    "FEN_PER_YUAN",
    "MAX_FEN",
    "normalize_unit",
    "parse_money",
    "parse_money_column",
    "parse_decimal",
    "format_money",
    "yuan_to_fen",
    "fen_to_yuan_floor",
    "exact_sum",
]

FEN_PER_YUAN = 100
#: The largest amount accepted anywhere (``calc.limits.MAX_MONEY_FEN``: 10万亿元); far inside int64.
MAX_FEN = MAX_MONEY_FEN

#: Power of ten of yuan per unit.
UNITS: dict[str, int] = {"yuan": 0, "wan": 4, "yi": 8}
UNIT_LABELS_ZH: dict[str, str] = {"yuan": "元", "wan": "万元", "yi": "亿元"}

# Spellings of a unit, as written in a string or a column header (lower case, NFKC).
_UNIT_SPELLINGS: dict[str, str] = {
    "元": "yuan",
    "圆": "yuan",
    "yuan": "yuan",
    "rmb": "yuan",
    "cny": "yuan",
    "万": "wan",
    "万元": "wan",
    "wan": "wan",
    "亿": "yi",
    "亿元": "yi",
    "yi": "yi",
}

# Context big enough that scaling a (length-limited) decimal by 10**10 is exact.
_CTX = Context(prec=200, traps=[InvalidOperation])
_MAX_TEXT_LEN = 60

_EXAMPLES = "expected e.g. 1,234.56万元, 0.58亿, ¥300,000"

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONEY_RE = re.compile(
    r"^(?P<prefix>¥|rmb|cny|人民币)?"
    rf"(?P<num>{_NUMBER})"
    r"(?P<suffix>亿元|亿|万元|万|元|圆|yuan|rmb|cny)?$"
)
_PLAIN_DECIMAL_RE = re.compile(rf"^[+-]?{_NUMBER}$")
_SCI_RE = re.compile(r"\d\s*e\s*[+-]?\s*\d")
_WS_RE = re.compile(r"\s+")
_SPLIT_DIGITS_RE = re.compile(r"[0-9.,]\s+[0-9.,]")  # "5 5": a typo, not one number


class MoneyError(ValueError):
    """An amount of money could not be read exactly."""


def normalize_unit(unit: str) -> str:
    """Return the canonical unit name ("yuan", "wan" or "yi") for any spelling."""
    key = unicodedata.normalize("NFKC", str(unit)).strip().casefold()
    if key in UNITS:
        return key
    if key in _UNIT_SPELLINGS:
        return _UNIT_SPELLINGS[key]
    raise ValueError(f"unknown money unit {unit!r}; use 'yuan' (元), 'wan' (万元) or 'yi' (亿元)")


def _shown(value: Any) -> str:
    """How a value is quoted in an error message (escaped, cut if long)."""
    if isinstance(value, (float, np.floating)) and math.isfinite(float(value)):
        return _quoted(str(_float_to_decimal(value)))
    return _quoted(value if isinstance(value, str) else str(value))


def _decimal_to_fen(amount: Decimal, power: int, original: Any) -> int:
    """Scale ``amount`` (in units of 10**power yuan) to whole fen, exactly."""
    if not amount.is_finite():
        raise MoneyError(f"{_shown(original)} is not a finite amount of money")
    if amount < 0:
        raise MoneyError(f"{_shown(original)} is negative; amounts of money must be zero or more")
    fen = amount.scaleb(power + 2, context=_CTX)
    if fen != fen.to_integral_value(context=_CTX):
        raise MoneyError(
            f"{_shown(original)} is more precise than one fen (0.01 yuan); "
            "round it to whole fen first"
        )
    if fen > MAX_FEN:
        raise MoneyError(f"{_shown(original)} is above the largest amount accepted (10万亿元, "
                         f"{MAX_FEN // FEN_PER_YUAN:,} yuan)")
    return int(fen)


def _float_to_decimal(value: Any) -> Decimal:
    """Shortest round-tripping decimal of a float (never arithmetic on the float)."""
    if isinstance(value, float):  # includes np.float64
        return Decimal(repr(float(value)))
    return Decimal(str(value))  # np.float32/np.float16: numpy's shortest repr for that width


def _normalize_text(text: str) -> str:
    return _WS_RE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def parse_money(value: Any, unit: str = "yuan", *, allow_float: bool = False) -> int:
    """Parse one amount of money and return it as an ``int`` number of fen.

    ``unit`` is the unit of a bare number ("yuan", "wan" or "yi"); a unit written
    in a string overrides it.  Floats are accepted only when integral, unless
    ``allow_float=True`` (the value came from a spreadsheet cell): then the float
    is read through its shortest ``repr`` (1234.56 -> Decimal('1234.56')).

    Missing values (None, NaN, "") are *not* handled here: they raise
    :class:`MoneyError`; :func:`parse_money_column` treats them as missing.
    """
    power = UNITS[normalize_unit(unit)]

    if value is None or value is pd.NA or value is pd.NaT:
        raise MoneyError("a missing value is not an amount of money")
    if isinstance(value, (bool, np.bool_)):
        raise MoneyError(f"{value!r} is a yes/no value, not an amount of money")
    if isinstance(value, (int, np.integer)):
        return _decimal_to_fen(Decimal(int(value)), power, value)
    if isinstance(value, Decimal):
        return _decimal_to_fen(value, power, value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise MoneyError(f"{_shown(value)} is not a finite amount of money")
        if not allow_float and not float(value).is_integer():
            raise MoneyError(
                f"{_shown(value)} is a fractional float; pass the amount as a string or "
                "Decimal (e.g. '1234.56') so it stays exact"
            )
        return _decimal_to_fen(_float_to_decimal(value), power, value)
    if not isinstance(value, str):
        raise MoneyError(
            f"cannot read {_shown(value)} ({type(value).__name__}) as an amount of money ({_EXAMPLES})"
        )
    return _parse_money_text(value, power)


def _parse_money_text(value: str, power: int) -> int:
    if _SPLIT_DIGITS_RE.search(unicodedata.normalize("NFKC", value)):
        raise MoneyError(f"cannot read {_shown(value)} as an amount of money ({_EXAMPLES})")
    text = _normalize_text(value)
    if not text:
        raise MoneyError("an empty value is not an amount of money")
    if len(text) > _MAX_TEXT_LEN:
        raise MoneyError(f"cannot read {_shown(value)} as an amount of money (too long)")
    if _SCI_RE.search(text):
        raise MoneyError(
            f"{_shown(value)} uses scientific notation; write the amount out in full "
            "(e.g. 1200 or 0.58亿)"
        )
    if text[0] in "-\u2212" or (text.startswith("(") and text.endswith(")") and len(text) > 2):
        inner = text.lstrip("-\u2212").strip("()")
        if _MONEY_RE.match(inner):
            raise MoneyError(
                f"{_shown(value)} is negative; amounts of money must be zero or more"
            )
    m = _MONEY_RE.match(text)
    if not m:
        raise MoneyError(f"cannot read {_shown(value)} as an amount of money ({_EXAMPLES})")
    suffix = m.group("suffix")
    if suffix is not None:  # a unit in the text overrides the column's unit
        power = UNITS[_UNIT_SPELLINGS[suffix]]
    amount = Decimal(m.group("num").replace(",", ""))
    return _decimal_to_fen(amount, power, value)


def parse_decimal(text: Any) -> Decimal:
    """Parse a plain number exactly (NFKC, spaces and thousands commas removed).

    Accepts int, Decimal, str ("1,234.5", "－3", "０.２") and floats (through their
    shortest repr).  Scientific notation, NaN and infinities raise ``ValueError``.
    """
    if isinstance(text, (bool, np.bool_)) or text is None:
        raise ValueError(f"cannot read {text!r} as a number")
    if isinstance(text, (int, np.integer)):
        return Decimal(int(text))
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise ValueError(f"{text!r} is not a finite number")
        return text
    if isinstance(text, (float, np.floating)):
        if not math.isfinite(float(text)):
            raise ValueError(f"{float(text)!r} is not a finite number")
        return _float_to_decimal(text)
    if not isinstance(text, str):
        raise ValueError(f"cannot read {text!r} as a number")
    s = _WS_RE.sub("", unicodedata.normalize("NFKC", text)).replace("\u2212", "-")
    if not _PLAIN_DECIMAL_RE.match(s):
        raise ValueError(f"cannot read '{text}' as a number")
    return Decimal(s.replace(",", ""))


# --------------------------------------------------------------------------- columns


def _is_int_dtype(dtype: Any) -> bool:
    return pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def parse_money_column(series: pd.Series, unit: str = "yuan") -> tuple[pd.Series, pd.Series]:
    """Parse a column of amounts.

    Returns ``(fen, errors)``: an ``Int64`` series of fen (``<NA>`` where the cell
    is missing or bad) and an object series of error messages (``None`` where the
    cell is fine or missing), both on ``series.index``.  Missing cells are None,
    NaN, pd.NA and empty / whitespace-only strings.  Integer, float and decimal
    columns are converted by array arithmetic (a float only when exact to the
    fen by a round trip); text by a vectorised grammar on its arrow array
    (``¥``, comma groups, a fraction, 元/万/万元/亿/亿元).  Every other cell is
    parsed by :func:`parse_money`, once per distinct value: the values and
    messages are parse_money's whichever path read a cell.
    """
    fen, valid, errs = _parse_money_array(series, unit)
    errs = errs if errs.flags.writeable else errs.copy()
    out = pd.Series(pd.arrays.IntegerArray(fen, ~valid), index=series.index, name=series.name)
    err_series = pd.Series(errs, index=series.index, name=series.name, dtype=object)
    return out, err_series


def _new_errs(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


_NO_ERRORS: list[np.ndarray] = [np.full(0, None, dtype=object)]


def no_errors(n: int) -> np.ndarray:
    """A read-only object array of ``n`` None: the errors of a column without any, shared (not allocated and
    scanned again for every column of a large table; ``is`` tells it apart)."""
    errs = _NO_ERRORS[0]
    if len(errs) != n:  # (another thread may replace the cached one meanwhile: this call still returns n entries)
        errs = np.full(n, None, dtype=object)
        errs.flags.writeable = False
        _NO_ERRORS[0] = errs
    return errs


def factorize_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``pd.factorize`` of an object array of cells that may hold unhashable things (a list, a dict, an array).

    Returns (codes, uniques, errors): cells that are not single values get code -1 and an error message.
    """
    try:
        codes, uniques = pd.factorize(values)
        return codes, uniques, _new_errs(len(values))
    except TypeError:
        pass
    errs = _new_errs(len(values))
    single = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        try:
            hash(v)
        except TypeError:
            single[i] = False
            errs[i] = f"a {type(v).__name__} is not a single value; a cell holds one number or one text"
    codes = np.full(len(values), -1, dtype=np.intp)
    sub_codes, uniques = pd.factorize(values[single])
    codes[single] = sub_codes
    return codes, uniques, errs


def _parse_money_array(series: pd.Series, unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Core of :func:`parse_money_column`: (fen int64, valid bool, errors object)."""
    power = UNITS[normalize_unit(unit)]
    factor = 10 ** (power + 2)
    n = len(series)
    dtype = series.dtype

    if _is_int_dtype(dtype):
        na = None if isinstance(dtype, np.dtype) else series.isna().to_numpy()  # numpy integers are never NA
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            raw_u = series.to_numpy(dtype=np.uint64, na_value=0)
            out = raw_u > np.uint64(MAX_FEN // factor)
            raw = np.where(out, 0, raw_u).astype(np.int64)
        else:
            raw = series.to_numpy(dtype=np.int64, na_value=0)
            out = (raw < 0) | (raw > MAX_FEN // factor)
        good = ~out if na is None else ~out & ~na
        fen = raw * factor if good.all() else np.where(good, raw, 0) * factor
        bad = np.flatnonzero(out if na is None else out & ~na)
        if not len(bad):
            return fen, good, no_errors(n)
        # negative or too large: the reference's message, once per distinct value
        errs = _new_errs(n)
        _parse_by_uniques(series.iloc[bad].to_numpy(dtype=object), bad, unit, fen, good, errs, allow_float=False)
        return fen, good, errs

    fen = np.zeros(n, dtype=np.int64)
    valid = np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(dtype):
        errs = _new_errs(n)
        na = series.isna().to_numpy()
        flags = series.to_numpy(dtype=bool, na_value=False)
        errs[~na] = np.where(flags[~na], "True is a yes/no value, not an amount of money",
                             "False is a yes/no value, not an amount of money")
        return fen, valid, errs

    if pd.api.types.is_float_dtype(dtype):
        # Every float dtype is read through its float64 value (float32 and Float64/ArrowDtype too), as before.
        # A cell is exact to the fen when c = round(x × factor) divided back gives x again: IEEE division is
        # correctly rounded, so x is the double nearest c / factor, and below MAX_FEN one fen is wider than x's
        # rounding interval, so the shortest repr of x (what parse_money reads) is that decimal, c fen exactly.
        # Any other cell (NaN aside) goes to the reference for its value or its message.
        arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
        na = np.isnan(arr)
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = np.round(arr * factor)
            exact = ~na & (arr >= 0) & (scaled <= MAX_FEN) & (scaled / factor == arr)
        fen = np.where(exact, scaled, 0).astype(np.int64)
        valid = exact
        rest = np.flatnonzero(~na & ~exact)
        if not len(rest):
            return fen, valid, no_errors(n)
        errs = _new_errs(n)
        _parse_by_uniques(arr[rest].astype(object), rest, unit, fen, valid, errs, allow_float=True)
        return fen, valid, errs

    text = arrow_text(series)
    if text is not None:
        # text money: the vectorised grammar reads the plain cells; the reference the rest, once per distinct value
        got, accepted, blank = _money_from_arrow(text, power)
        fen = np.where(accepted, got, 0)
        valid = accepted
        rest = np.flatnonzero(~accepted & ~blank)
        if not len(rest):
            return fen, valid, no_errors(n)
        pa = _pa()[0]
        values = np.empty(len(rest), dtype=object)
        values[:] = text.take(pa.array(rest, type=pa.int64())).to_pylist()
        errs = _new_errs(n)
        _parse_by_uniques(values, rest, unit, fen, valid, errs, allow_float=True)
        return fen, valid, errs

    values = series.to_numpy(dtype=object) if dtype == object else None
    kind = pd.api.types.infer_dtype(values, skipna=True) if values is not None else None
    if kind == "integer":  # Python ints (a Parquet or XLSX column of integers with gaps): as a nullable int64
        try:
            return _parse_money_array(pd.Series(pd.array(values, dtype="Int64"), index=series.index), unit)
        except (OverflowError, TypeError, ValueError):
            pass  # beyond int64: each cell to the reference
    decimals = _decimal_arrow(series, values if kind == "decimal" else None)
    if decimals is not None:
        got, accepted = _money_from_decimal(decimals, power)
        fen, valid = np.where(accepted, got, 0), accepted
        rest = np.flatnonzero(~accepted & ~decimals.is_null().to_numpy(zero_copy_only=False))
        if not len(rest):
            return fen, valid, no_errors(n)
        errs = _new_errs(n)
        _parse_by_uniques(series.iloc[rest].to_numpy(dtype=object), rest, unit, fen, valid, errs, allow_float=True)
        return fen, valid, errs

    errs = _new_errs(n)
    values = series.to_numpy(dtype=object)
    na = pd.isna(values)
    idx = np.flatnonzero(~na)
    if len(idx):
        _parse_by_uniques(values[idx], idx, unit, fen, valid, errs, allow_float=True)
    return fen, valid, errs


_DIGITS_ONLY = re.compile(r"^\s*[0-9]{1,15}\s*$", re.ASCII)


def _parse_by_uniques(
    values: np.ndarray,
    positions: np.ndarray,
    unit: str,
    fen: np.ndarray,
    valid: np.ndarray,
    errs: np.ndarray,
    *,
    allow_float: bool,
) -> None:
    """Parse ``values`` (non-NA objects) once per distinct value, writing into the outputs."""
    power = UNITS[normalize_unit(unit)]
    factor = 10 ** (power + 2)
    # Bools compare equal to 1/0, so they must not share a hash bucket with ints.
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        is_bool = np.zeros(len(values), dtype=bool)
    else:
        is_bool = np.fromiter(
            (isinstance(v, (bool, np.bool_)) for v in values), dtype=bool, count=len(values)
        )
    for group in (np.flatnonzero(~is_bool), np.flatnonzero(is_bool)):
        if not len(group):
            continue
        codes, uniques, cell_errs = factorize_cells(values[group])
        m = len(uniques)
        u_fen = np.zeros(m + 1, dtype=np.int64)  # the last entry is code -1: a cell that is not a single value
        u_valid = np.zeros(m + 1, dtype=bool)
        u_err = _new_errs(m + 1)
        u_missing = np.zeros(m + 1, dtype=bool)
        for j, v in enumerate(uniques):
            if isinstance(v, str):
                if not v.strip():
                    u_missing[j] = True
                    continue
                if _DIGITS_ONLY.match(v):  # fast path: plain whole number in `unit`
                    whole = int(v) * factor
                    if whole <= MAX_FEN:
                        u_fen[j] = whole
                        u_valid[j] = True
                        continue
            try:
                u_fen[j] = parse_money(v, unit, allow_float=allow_float)
                u_valid[j] = True
            except MoneyError as exc:
                u_err[j] = str(exc)
        pos = positions[group]
        fen[pos] = u_fen[codes]
        valid[pos] = u_valid[codes]
        errs[pos] = np.where(codes < 0, cell_errs, u_err[codes])


# --------------------------------------------------------------------------- column speed
#
# The fast paths below never decide anything the per-value reference (parse_money) would decide differently: each
# accepts only cells whose reading is certain (a strict subset of what parse_money accepts, checked by a
# vectorised grammar or an exact round trip) and hands every other cell, valid or not, to the reference, once per
# distinct value.  So the values and the error messages are the reference's by construction; tests/
# test_inputs_fast.py checks the two against each other on random cells.

#: Text money the vectorised kernel reads without Python: ``¥``? digits (or comma-grouped digits), an optional
#: fraction, an optional unit (亿元 亿 万元 万 元).  Nothing NFKC, case folding or removing white space would change,
#: no sign, no exponent: exactly the cells where parse_money's normalisation is the identity.  (What
#: :func:`_money_chunk` checks byte by byte; tests/test_inputs_fast.py holds this pattern against it.)
FAST_MONEY_PATTERN = r"^(?:¥)?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:亿元|亿|万元|万|元)?$"
_WAN, _YI, _YUAN = (int.from_bytes(ch.encode(), "little") for ch in "万亿元")
_FAST_DIGITS = 18  # at most 18 digits (commas and dot aside) a cell: below 10**18, parsed in int64
_FAST_CHUNK = 1 << 15  # cells a chunk (its working arrays stay in the cache: 2^17 is 1.7× slower)
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_FAST_MAX_BYTES = _MAX_TEXT_LEN  # bytes ≥ characters: a cell of at most 60 bytes is at most 60 characters


def _pa():
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


def arrow_text(series: pd.Series, *, convert: bool = True) -> Any:
    """The column as one pyarrow ``string`` or ``large_string`` array when every cell is text or missing, else
    None.

    An arrow-backed column (pandas' ``str``/``string[pyarrow]``, ``pd.ArrowDtype(pa.string())``) is taken without
    copying; python-stored strings and object columns of ``str`` are converted once (``convert=False``: None for
    those).  Missing cells (None, NaN, pd.NA) are nulls.
    """
    try:
        pa, pc = _pa()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype)
        and (pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
             or pa.types.is_string_view(dtype.pyarrow_dtype))
    ):
        if not convert and isinstance(dtype, pd.StringDtype) and dtype.storage != "pyarrow":
            return None
        arr = pa.array(series.array)
    elif dtype == object and convert:
        values = series.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            return None
        try:
            arr = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    else:
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not (pa.types.is_large_string(arr.type) or pa.types.is_string(arr.type)):
        arr = arr.cast(pa.large_string())  # string_view
    return arr


def _offsets(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets (int64) of every cell of a ``string`` or ``large_string`` array in its data
    buffer."""
    pa = _pa()[0]
    width = np.int32 if pa.types.is_string(arr.type) else np.int64
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset: arr.offset + len(arr) + 1]
    return offsets[:-1].astype(np.int64, copy=False), offsets[1:].astype(np.int64, copy=False)


def _data(arr: Any) -> np.ndarray:
    buf = arr.buffers()[2]
    return np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, dtype=np.uint8)


def _substring_ints(arr: Any, starts: np.ndarray, ends: np.ndarray, ok: np.ndarray, strip_commas: bool) -> np.ndarray:
    """int64 of the digits at bytes [starts, ends) of ``arr``'s data buffer where ``ok`` (0 elsewhere), parsed by
    arrow; ``starts`` and ``ends`` must not decrease from one entry to the next (cells in their order).

    The substrings are a view of the same data buffer: an array of 2m cells whose even cells are the wanted
    ranges and odd cells (null) the gaps between them, so nothing is copied before the parse.
    """
    pa, pc = _pa()
    m = len(starts)
    if not m or not ok.any():
        return np.zeros(m, dtype=np.int64)
    # a range not wanted is empty (and null), placed where the last wanted one ended: offsets never decrease
    held = np.maximum.accumulate(np.where(ok, ends, 0))
    offs = np.empty(2 * m + 1, dtype=np.int64)
    offs[0:2 * m:2] = np.where(ok, starts, held)
    offs[1:2 * m:2] = held
    offs[2 * m] = held[-1]
    valid = np.zeros(2 * m, dtype=bool)
    valid[0::2] = ok
    bitmap = np.packbits(valid, bitorder="little")
    view = pa.LargeStringArray.from_buffers(2 * m, pa.py_buffer(offs), arr.buffers()[2], pa.py_buffer(bitmap))
    if strip_commas:
        view = pc.replace_substring(view, ",", "")
    parsed = pc.cast(view, pa.int64())
    values = np.frombuffer(parsed.buffers()[1], dtype=np.int64)[parsed.offset: parsed.offset + 2 * m]
    return np.where(ok, values[0::2], 0)


def _decimal_arrow(series: pd.Series, values: np.ndarray | None) -> Any:
    """The column as a pyarrow decimal128 array (an ArrowDtype decimal column; an object column of Decimal when
    ``values`` is given), else None."""
    pa = _pa()[0]
    dtype = series.dtype
    try:
        if isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype):
            arr = pa.array(series.array)
        elif values is not None:
            arr = pa.array(values, from_pandas=True)
        else:
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_decimal128(arr.type) else None


def _money_from_decimal(arr: Any, power: int) -> tuple[np.ndarray, np.ndarray]:
    """(fen, accepted) of a decimal128 array: a value fitting in int64 as an unscaled integer, not negative, exact
    to the fen and at most MAX_FEN is read by integer arithmetic; every other cell is for the reference."""
    n = len(arr)
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset: 2 * (arr.offset + n)]
    lo, hi = words[0::2], words[1::2]  # little-endian 128-bit two's complement
    ok = (hi == (lo >> 63)) & (lo >= 0)  # fits in int64, not negative
    if arr.null_count:
        ok &= ~arr.is_null().to_numpy(zero_copy_only=False)
    shift = power + 2 - arr.type.scale  # fen = unscaled × 10**shift
    if shift >= 0:
        if shift > 18:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        ok &= lo <= MAX_FEN // _POW10[shift]
        fen = np.where(ok, lo, 0) * _POW10[shift]
    else:
        if -shift > 18:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        ok &= lo % _POW10[-shift] == 0
        fen = np.where(ok, lo // _POW10[-shift], 0)
        ok &= fen <= MAX_FEN
    return np.where(ok, fen, 0), ok


def _money_from_arrow(arr: Any, power: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised reading of the cells of ``arr`` in the fast grammar.

    Returns (fen int64, accepted bool, blank bool): ``accepted`` cells are read exactly as parse_money reads them;
    ``blank`` cells are null or empty (missing); every other cell is for the reference.  Whole columns, chunk by
    chunk (the working arrays of a chunk stay in the processor's cache).
    """
    n = len(arr)
    if n <= _FAST_CHUNK:
        return _money_chunk(arr, power)
    fen = np.empty(n, dtype=np.int64)
    accepted = np.empty(n, dtype=bool)
    blank = np.empty(n, dtype=bool)
    for i in range(0, n, _FAST_CHUNK):
        part = slice(i, i + _FAST_CHUNK)
        fen[part], accepted[part], blank[part] = _money_chunk(arr.slice(i, _FAST_CHUNK), power)
    return fen, accepted, blank


def _money_chunk(arr: Any, power: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_money_from_arrow` of one chunk.  No regular expression and no Python step per cell:

    1. the affixes by their bytes: ``¥`` (C2 A5) first; 万 亿 元 (three UTF-8 bytes each), 万元 or 亿元 last;
    2. the commas and dots by position: each found in the data buffer and given its cell; a cell is refused with
       two dots, a dot first or last in its number, more decimals than fen, or a comma not 4k bytes before the dot
       (or the end) or with more than 3 digits before the first comma;
    3. the number of each accepted cell is its bytes without affixes, commas and dot: those bytes (one copy of the
       data buffer without commas and dots) are checked to be ASCII digits and parsed by arrow as int64, at most 18
       digits a cell, then scaled to fen (× 10^(unit + 2 − decimals)) and bounded by MAX_FEN.
    """
    pa, pc = _pa()
    n = len(arr)
    starts, ends = _offsets(arr)
    nbytes = ends - starts
    blank = nbytes == 0
    if arr.null_count:
        blank |= arr.is_null().to_numpy(zero_copy_only=False)
    fen = np.zeros(n, dtype=np.int64)
    cand = ~blank & (nbytes <= _FAST_MAX_BYTES)
    if not n or not cand.any():
        return fen, np.zeros(n, dtype=bool), blank
    lo = int(starts[0])
    data = _data(arr)[lo: int(ends[-1])]
    st, en = (starts - lo, ends - lo) if lo else (starts, ends)
    padded = np.zeros(len(data) + 8, dtype=np.uint8)  # reads a few bytes past a cell's end never leave the array
    padded[: len(data)] = data
    ok = cand.copy()
    # 1. affixes: ¥ before (C2 A5), a unit after (万 E4 B8 87, 亿 E4 BA BF, 元 E5 85 83; 万元 and 亿元)
    s0, prefix, suffix = st, None, None  # prefix: where each ¥ starts; suffix: where each unit ends (3 bytes, 6 bytes)
    rows = np.flatnonzero(cand & (padded[st] == 0xC2))
    if len(rows):
        rows = rows[(padded[st[rows] + 1] == 0xA5) & (nbytes[rows] >= 3)]
        s0 = st.copy()
        s0[rows] += 2
        prefix = st[rows]
    e0, row_power = en, np.full(n, power, dtype=np.int64)
    rows = np.flatnonzero(cand & (padded[en - 1] >= 0x80))  # en - 1 is -1 only for an empty cell (not a candidate)
    rows = rows[en[rows] - s0[rows] >= 4]
    if len(rows):
        code = _utf8_code(padded, en[rows] - 3)
        unit = np.full(len(rows), -1, dtype=np.int64)
        unit[code == _WAN] = 4
        unit[code == _YI] = 8
        unit[code == _YUAN] = 0
        two = np.flatnonzero((unit == 0) & (en[rows] - s0[rows] >= 7))
        suffix = 3 * (unit >= 0)
        if len(two):
            before = _utf8_code(padded, en[rows[two]] - 6)
            both = (before == _WAN) | (before == _YI)
            unit[two[both]] = np.where(before[both] == _WAN, 4, 8)
            suffix[two[both]] = 6
        has = unit >= 0
        rows, unit, suffix = rows[has], unit[has], suffix[has]
        e0 = en.copy()
        e0[rows] -= suffix
        row_power[rows] = unit
        suffix = (en[rows], en[rows[suffix == 6]])
    # 2. commas and dots, each with its cell (offsets are contiguous: every byte of the window is in one cell)
    marked = (data | 2) == 0x2E  # 0x2C ',' and 0x2E '.', and no other byte
    marks = np.flatnonzero(marked)
    frac = np.zeros(n, dtype=np.int64)
    per_cell = None
    if len(marks):
        cell = np.searchsorted(st, marks, side="right") - 1
        is_dot = data[marks] == 0x2E
        per_cell = np.bincount(cell, minlength=n)
        int_end = e0
        d_cell, d_pos = cell[is_dot], marks[is_dot]
        if len(d_cell):
            twice = d_cell[1:][d_cell[1:] == d_cell[:-1]]  # a second dot
            d_frac = e0[d_cell] - d_pos - 1
            bad = (d_pos <= s0[d_cell]) | (d_frac < 1) | (d_frac > row_power[d_cell] + 2)
            ok[d_cell[bad]] = False
            ok[twice] = False
            frac[d_cell] = d_frac
            int_end = e0.copy()
            int_end[d_cell] = d_pos
        c_cell, c_pos = cell[~is_dot], marks[~is_dot]
        if len(c_cell):
            end = int_end[c_cell]
            bad = (c_pos <= s0[c_cell]) | (c_pos >= end) | ((end - c_pos) % 4 != 0)
            ok[c_cell[bad]] = False
            first = np.flatnonzero(np.r_[True, c_cell[1:] != c_cell[:-1]])  # each cell's commas are consecutive
            cells = c_cell[first]
            count = np.diff(np.r_[first, len(c_cell)])
            lead = int_end[cells] - s0[cells] - 4 * count  # digits before the first comma
            ok[cells[(lead < 1) | (lead > 3)]] = False
    # 3. the digits: the data without affixes, commas and dots holds each cell's number, one string a cell
    keep = ~marked
    if prefix is not None:
        keep[prefix] = False
        keep[prefix + 1] = False
    if suffix is not None:
        for k in (1, 2, 3):
            keep[suffix[0] - k] = False
        for k in (4, 5, 6):
            keep[suffix[1] - k] = False
    packed = data[keep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nbytes - (0 if per_cell is None else per_cell) - (s0 - st) - (en - e0), out=offsets[1:])
    digits = offsets[1:] - offsets[:-1]
    ok &= (digits >= 1) & (digits <= _FAST_DIGITS)
    junk = np.flatnonzero((packed - np.uint8(0x30)) > 9)  # bytes that are not ASCII digits
    if len(junk):
        ok[np.searchsorted(offsets, junk, side="right") - 1] = False
    if not ok.any():
        return fen, ok, blank
    parsed = pc.cast(pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(packed),
                                                      pa.py_buffer(np.packbits(ok, bitorder="little"))), pa.int64())
    number = np.frombuffer(parsed.buffers()[1], dtype=np.int64)[parsed.offset: parsed.offset + n]
    scale = _POW10.take(np.where(ok, row_power + 2 - frac, 0))
    ok &= number <= MAX_FEN // scale
    np.multiply(number, scale, out=fen, where=ok)
    return fen, ok, blank


def _utf8_code(padded: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The three bytes at ``at`` … ``at + 2`` as one number (b0 | b1 << 8 | b2 << 16)."""
    return (padded[at].astype(np.int32) | padded[at + 1].astype(np.int32) << 8
            | padded[at + 2].astype(np.int32) << 16)


# --------------------------------------------------------------------------- formatting


def _as_int_fen(fen: Any) -> int:
    if isinstance(fen, (bool, np.bool_)):
        raise TypeError(f"{fen!r} is not an amount in fen")
    if isinstance(fen, (int, np.integer)):
        return int(fen)
    if isinstance(fen, Decimal) and fen == fen.to_integral_value():
        return int(fen)
    if isinstance(fen, (float, np.floating)) and float(fen).is_integer():
        return int(fen)
    raise TypeError(f"{fen!r} is not a whole number of fen")


def _group(digits: str) -> str:
    return f"{int(digits):,}"


def _scaled(amount: int, power: int) -> str:
    """``amount / 10**power`` written exactly, grouped, trailing zeros trimmed."""
    whole, frac = divmod(amount, 10**power)
    text = f"{whole:,}"
    if frac:
        text += "." + str(frac).rjust(power, "0").rstrip("0")
    return text


def format_money(fen: Any, lang: str = "zh") -> str:
    """Format an amount of fen for people.

    zh: ``1.5亿元`` (≥ 1亿), ``1,234.56万元`` (≥ 1万), ``999元`` / ``12.34元``.
    en: ``¥12,345,600`` (``.34`` cents shown only when nonzero).
    None / NA -> "—".  Exact (integer arithmetic), never float.
    """
    if fen is None or fen is pd.NA or (isinstance(fen, float) and math.isnan(fen)):
        return "—"
    value = _as_int_fen(fen)
    sign = "-" if value < 0 else ""
    a = abs(value)
    if lang == "zh":
        if a >= 10**10:  # ≥ 1亿元
            return f"{sign}{_scaled(a, 10)}亿元"
        if a >= 10**6:  # ≥ 1万元
            return f"{sign}{_scaled(a, 6)}万元"
        yuan, cents = divmod(a, 100)
        return f"{sign}{yuan:,}" + (f".{cents:02d}" if cents else "") + "元"
    if lang == "en":
        yuan, cents = divmod(a, 100)
        return f"{sign}¥{yuan:,}" + (f".{cents:02d}" if cents else "")
    raise ValueError(f"unknown language {lang!r}; use 'zh' or 'en'")


def yuan_to_fen(yuan: int) -> int:
    """Whole yuan to fen."""
    if isinstance(yuan, (bool, np.bool_)) or not isinstance(yuan, (int, np.integer)):
        raise TypeError(f"yuan_to_fen needs an int, got {yuan!r}")
    return int(yuan) * FEN_PER_YUAN


def fen_to_yuan_floor(fen: int) -> int:
    """Fen to whole yuan, rounding down."""
    if isinstance(fen, (bool, np.bool_)) or not isinstance(fen, (int, np.integer)):
        raise TypeError(f"fen_to_yuan_floor needs an int, got {fen!r}")
    return int(fen) // FEN_PER_YUAN


# --------------------------------------------------------------------------- sums


def exact_sum(values: Any, axis: int | None = None) -> Any:
    """The sum of an integer array as Python integers: never wraps, whatever the length or the values.

    Each int64 is split into its high and low 32 bits; each half is summed in int64 (exact for up to 2^31
    values), and the halves are joined as Python integers.  ``axis=None`` gives an ``int``; an axis gives an
    object array of ``int``.  Vectorised: as fast as two numpy sums.
    """
    array = np.asarray(values)
    if array.dtype == object:
        return sum(int(v) for v in array.ravel()) if axis is None else np.sum(array, axis=axis)
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"exact_sum needs integers, got {array.dtype}")
    array = array.astype(np.int64, copy=False)
    high = np.right_shift(array, 32)            # floor division by 2^32, also for negatives
    low = np.bitwise_and(array, 0xFFFFFFFF)     # 0 <= low < 2^32
    if axis is None:
        return (int(high.sum()) << 32) + int(low.sum())
    highs, lows = high.sum(axis=axis), low.sum(axis=axis)
    out = np.empty(highs.shape, dtype=object)
    flat = out.reshape(-1)
    for i, (h, lo) in enumerate(zip(highs.reshape(-1).tolist(), lows.reshape(-1).tolist())):
        flat[i] = (h << 32) + lo
    return out
