"""Files in and out, in one place: bounded reading, atomic writing, spreadsheet-safe cells, safe words.

Every face (the command line, the Python loaders, the dashboards' uploads and downloads) goes through here, so
the guarantees hold everywhere:

* **Bounded.** A CSV, XLSX or Parquet file is measured before it is parsed (size, lines, columns; for an XLSX
  the unpacked size of every part, the compression ratio, the shared strings and the sheet's declared
  dimension; for Parquet the rows, columns and cells its footer declares, and the column types) against
  :class:`calc.limits.Limits`; nothing is allocated from what a file merely declares.
* **Nothing lost.** An output is written to a temporary file in its own folder and renamed into place
  (:func:`atomic_output`), so a crash leaves the previous file untouched; :func:`check_output_paths` refuses,
  before any work, an output that is an input or another output (through ``..``, a symlink or a hard link).
* **No formulas.** Every text cell written (CSV or XLSX) that begins with ``= + - @``, a tab or a carriage
  return, or their full-width forms, is prefixed with ``'`` (OWASP's CSV-injection guidance); XLSX text
  cells are written as strings, never as formulas or links; integers beyond Excel's exact range (2^53) are
  written as text so they stay exact.
* **Safe words.** Control characters in a value are shown escaped (``\\x1b``), never written raw to a
  terminal, a CSV or an XLSX, and values quoted in messages are cut to a readable length.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from calc.limits import DEFAULT, Limits, size_text

__all__ = [
    "InputError", "LimitError", "OutputError", "cut", "shown", "escape_controls", "has_control", "safe_cell", "terminal_text",
    "read_table_file", "atomic_output", "check_output_paths", "write_csv", "write_xlsx", "write_parquet",
    "arrow_table", "safe_strings", "parquet_files", "parquet_layout", "read_parquet_part",
    "XLSX_MAX_ROWS", "XLSX_MAX_CELL_CHARS",
]


class InputError(Exception):
    """The source cannot be used at all (missing file, bad format, too large, missing required column…)."""


class LimitError(InputError):
    """A source above one of the :class:`calc.limits.Limits` bounds: ``bound`` is the limit's short name
    (``rows``, ``file``…), ``found`` what was found (None when reading stopped at the bound), ``limit`` the bound."""

    def __init__(self, message: str, bound: str, found: int | None, limit: int):
        super().__init__(message)
        self.bound, self.found, self.limit = bound, found, limit


class OutputError(Exception):
    """An output cannot be written as asked (it would overwrite an input, a cell does not fit XLSX…)."""


XLSX_MAX_ROWS = 1_048_576          # rows of an Excel sheet, the header included
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767       # characters of an Excel cell
EXACT_IN_EXCEL = 2**53             # Excel holds numbers as doubles: integers beyond this are written as text


# ============================================================================================ words

# C0 and C1 controls, and the invisible marks that reorder or hide text on a screen (bidi overrides, isolates,
# line/paragraph separators, zero-width no-break space): shown escaped, never raw.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``, ``\\u202e``)."""
    return _CONTROL.sub(_escape, text)


def has_control(text: str) -> str | None:
    """The first control character of ``text`` as an escape (``\\x00``), or None."""
    m = _CONTROL.search(text)
    return _escape(m) if m else None


def cut(value: Any, limit: int = 60) -> str:
    """A value as written in a message: escaped, and cut to ``limit`` characters with its full length said."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return f"{escape_controls(text[:limit])}… ({len(text):,} characters)"
    return escape_controls(text)


def shown(value: Any, limit: int = 60) -> str:
    """A value as quoted in a message: ``'…'`` around :func:`cut`."""
    return f"'{cut(value, limit)}'"


def terminal_text(text: str) -> str:
    """A line for the terminal: control characters escaped (a newline is kept between lines)."""
    return "\n".join(escape_controls(line) for line in str(text).split("\n"))


_FORMULA_START = re.compile(r"^[\s\u3000]*[=+\-@＝＋－＠]|^[\t\r\n]")


def safe_cell(text: str) -> str:
    """A text cell as written to a CSV or an XLSX: tabs and line breaks as spaces, other controls escaped,
    and a leading ``'`` where a spreadsheet could read the text as a formula (``= + - @``, a tab or a
    carriage return at the start, also after spaces, also in full width)."""
    if _CONTROL.search(text):
        text = escape_controls(text.replace("\t", " ").replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    if _FORMULA_START.match(text):
        return "'" + text
    return text


def _safe_text_values(values: np.ndarray) -> np.ndarray:
    """``safe_cell`` over an object array of str/None, once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not len(uniques):
        return values
    cleaned = np.empty(len(uniques) + 1, dtype=object)
    cleaned[:-1] = [safe_cell(u) if isinstance(u, str) else _plain(u) for u in uniques]
    cleaned[-1] = None
    return cleaned[codes]


def _plain(value: Any) -> Any:
    """A non-text cell value of an object column as a writer takes it (exact: big ints, Decimal, Fraction as text)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        v = int(value)
        return v if abs(v) <= EXACT_IN_EXCEL else str(v)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_cell(str(value))


# ============================================================================================ reading

def read_table_file(path: Path | str, *, sheet: Any = None, limits: Limits = DEFAULT,
                    prefer: Callable[[Sequence[str]], bool] | None = None,
                    sheet_names: Sequence[str] = ()) -> tuple[pd.DataFrame, str]:
    """Read a .csv or .xlsx file into a frame of raw cells (str, or the XLSX's numbers and dates), bounded.

    The header is the first non-empty row, taken as written (a duplicated header is an error, an empty one is
    named ``(column C)``).  For an XLSX without ``sheet``, the sheet read is the first whose name is in
    ``sheet_names``, else the first whose header ``prefer`` accepts, else the first sheet.  Returns the frame
    and a description of what was read (the path, and the sheet for an XLSX).
    """
    path = Path(path)
    described = escape_controls(str(path))
    if not path.exists():
        raise InputError(f"file not found: {described}")
    if path.is_dir():
        if sheet is not None:
            raise InputError("a sheet can only be chosen in an .xlsx file")
        return _read_parquet(parquet_files(path), described, limits), described
    if not path.is_file():
        raise InputError(f"{described} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".parquet"):
        raise InputError(f"unsupported file type '{escape_controls(path.suffix)}' for {described}: "
                         "use .csv (UTF-8 or GB18030), .xlsx or .parquet")
    if suffix == ".parquet":
        if sheet is not None:
            raise InputError("a sheet can only be chosen in an .xlsx file")
        return _read_parquet([path], described, limits), described
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise LimitError(f"{described} is {size_text(size)}, above the limit of {size_text(limits.max_file_bytes)} "
                         "(raise it with --limit file=…, or limits=Limits(max_file_bytes=…))",
                         "file", size, limits.max_file_bytes)
    if suffix == ".csv":
        if sheet is not None:
            raise InputError("a sheet can only be chosen in an .xlsx file")
        return _read_csv(path, described, limits), described
    return _read_xlsx(path, described, sheet, limits, prefer, sheet_names)


def parquet_files(folder: Path | str) -> list[Path]:
    """The ``.parquet`` files of a partitioned dataset (a folder), in name order (subfolders too, as written by
    Dask or Spark: ``year=2026/part.0.parquet``); files and folders whose name starts with ``_`` or ``.`` are
    not data.  A folder without one is an :class:`InputError`."""
    folder = Path(folder)
    described = escape_controls(str(folder))
    files = sorted(p for p in folder.rglob("*.parquet")
                   if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts))
    if not files:
        raise InputError(f"{described} is a folder without .parquet files: give a .csv, .xlsx or .parquet file, or "
                         "a folder holding a partitioned Parquet dataset")
    return files


# Arrow types a table of inputs may hold: numbers, booleans, text, dates; nested or binary columns are refused
def _plain_arrow_type(t: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return _plain_arrow_type(t.value_type)
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t) or pa.types.is_decimal(t) or pa.types.is_null(t)
            or pa.types.is_date(t) or pa.types.is_timestamp(t))


def parquet_layout(files: Sequence[Path], described: str, limits: Limits,
                   per_part: bool = False) -> tuple[list[str], list[tuple[Path, int, int]]]:
    """What the footers of Parquet files declare, checked against ``limits`` before any data is read: the column
    names (the same in every file, of plain types, the header checked as a CSV's) and every row group as
    ``(file, row group, rows)``.  The file size, rows and cells bound the whole (``per_part=False``) or each
    file (``per_part=True``, the Dask path, where a partition is what one worker holds)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sizes = [f.stat().st_size for f in files]
    for size, what in ([(max(sizes, default=0), "a file of " + described)] if per_part else [(sum(sizes), described)]):
        if size > limits.max_file_bytes:
            raise LimitError(f"{what} is {size_text(size)}, above the limit of {size_text(limits.max_file_bytes)} "
                             "(raise it with --limit file=…, or limits=Limits(max_file_bytes=…))",
                             "file", size, limits.max_file_bytes)
    schema, rows, groups = None, 0, []
    for f in files:
        try:
            meta = pq.read_metadata(f)
            file_schema = meta.schema.to_arrow_schema()
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"cannot read {escape_controls(str(f))} as Parquet: {escape_controls(str(exc))}") from None
        names = [n for n in file_schema.names if n != "__index_level_0__"]
        if len(names) > limits.max_columns:
            raise LimitError(f"{described} has {len(names):,} columns, above the limit of {limits.max_columns:,} "
                             + _limit_hint("columns"), "columns", len(names), limits.max_columns)
        if schema is None:
            schema = file_schema
        elif [n for n in schema.names if n != "__index_level_0__"] != names:
            raise InputError(f"{escape_controls(str(f))} has other columns than {escape_controls(str(files[0]))}: "
                             "every file of a dataset must have the same columns")
        rows = meta.num_rows if per_part else rows + meta.num_rows
        if rows > limits.max_rows or rows * len(names) > limits.max_cells:
            where = f"{escape_controls(str(f))} (in {described})" if per_part else described
            if rows > limits.max_rows:
                raise LimitError(f"{where} has {'more than ' if f != files[-1] and not per_part else ''}{rows:,} rows, "
                                 f"above the limit of {limits.max_rows:,} " + _limit_hint("rows"), "rows", rows,
                                 limits.max_rows)
            raise LimitError(f"{where} has {len(names):,} columns × {rows:,} rows = {rows * len(names):,} cells, above "
                             f"the limit of {limits.max_cells:,} " + _limit_hint("cells"), "cells",
                             rows * len(names), limits.max_cells)
        groups.extend((f, g, meta.row_group(g).num_rows) for g in range(meta.num_row_groups))
    names = [n for n in schema.names if n != "__index_level_0__"]
    header = _check_header(list(names), described, limits)
    for name in names:
        t = schema.field(name).type
        if not _plain_arrow_type(t):
            raise InputError(f"{described}: column {shown(name)} is of Parquet type {escape_controls(str(t))}; a table "
                             "of inputs holds numbers, text, yes/no and dates")
    return names, groups


def read_parquet_part(pieces: Sequence[tuple[Path, Sequence[int | tuple[int, int, int]]]], names: Sequence[str],
                      described: str) -> pd.DataFrame:
    """Row groups of Parquet files, ``[(file, [row group, …]), …]``, as a frame of raw cells, the columns ``names``
    under their checked headers; a row group may be given as ``(row group, first row, end row)``: those of its
    rows (the group is read, then sliced).  Columns stay arrow or numpy, never a Python object a cell: text as
    pandas' own ``str`` (arrow-backed, NaN where missing, as a CSV is read), integers as numpy (``Int64`` with
    gaps, exact), booleans as ``boolean``, decimals as arrow decimals, floats as float64; dates as Python dates."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def read(file: Path | str, groups: Sequence[int | tuple[int, int, int]]) -> list:
        source = pq.ParquetFile(file)
        if all(isinstance(g, int) for g in groups):
            return [source.read_row_groups(list(groups), columns=list(names))]
        return [source.read_row_groups([g], columns=list(names)) if isinstance(g, int)
                else source.read_row_group(g[0], columns=list(names)).slice(g[1], g[2] - g[1]) for g in groups]

    try:
        tables = [t for f, g in pieces for t in read(f, g)]
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"cannot read {described} as Parquet: {escape_controls(str(exc))}") from None
    header = [n if n.strip() else f"(column {_column_letter(i)})" for i, n in enumerate(names)]
    header = [h.strip() for h in header]
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    columns = {}
    for i, name in enumerate(header):
        column = table.column(i)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        t = column.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            # the loaders name an over-long cell; arrow's buffers are kept (no Python string a cell)
            columns[name] = pd.Series(pd.arrays.ArrowStringArray(column), dtype=text)
        elif pa.types.is_integer(t) and column.null_count:
            columns[name] = column.to_pandas(types_mapper={t: pd.api.types.pandas_dtype(
                f"{'U' if pa.types.is_unsigned_integer(t) else ''}Int{t.bit_width}")}.get)
        elif pa.types.is_boolean(t) and column.null_count:
            columns[name] = column.to_pandas(types_mapper={t: pd.BooleanDtype()}.get)
        elif pa.types.is_decimal(t):
            columns[name] = pd.Series(pd.arrays.ArrowExtensionArray(column))
        else:  # numbers and booleans without gaps as numpy; dates as Python dates; an all-null column as objects
            columns[name] = column.to_pandas(date_as_object=True)
    frame = pd.DataFrame(columns)
    frame.columns = header
    return frame


def _read_parquet(files: Sequence[Path], described: str, limits: Limits) -> pd.DataFrame:
    """One Parquet file or the files of a dataset, bounded by what their footers declare (:func:`parquet_layout`)."""
    names, groups = parquet_layout(files, described, limits)
    pieces: dict[Path, list[int]] = {}
    for f, g, _ in groups:
        pieces.setdefault(f, []).append(g)
    if not pieces:
        pieces = {files[0]: []}
    return read_parquet_part(list(pieces.items()), names, described)


def _limit_hint(name: str) -> str:
    return f"(raise it with --limit {name}=…)"


def _check_header(header: list[str], described: str, limits: Limits,
                  positions: Sequence[int] | None = None) -> list[str]:
    """The column names, checked; a blank header is named by its column's letter.  ``positions``: each header's
    column in the sheet (0 for A), where columns with neither a header nor a value were left out before."""
    if len(header) > limits.max_columns:
        raise LimitError(f"{described} has {len(header):,} columns, above the limit of {limits.max_columns:,} "
                         + _limit_hint("columns"), "columns", len(header), limits.max_columns)
    names = []
    first_at: dict[str, str] = {}
    for i, h in enumerate(header):
        letter = _column_letter(i if positions is None else positions[i])
        name = "" if h is None else (h if isinstance(h, str) else _cell_text(h)).strip()
        if len(name) > limits.max_cell_chars:
            raise InputError(f"{described}: the header of column {letter} is {len(name):,} characters "
                             f"long (at most {limits.max_cell_chars:,})")
        if not name:
            name = f"(column {letter})"
        if name in first_at:
            raise InputError(f"{described}: the column header {shown(name)} appears twice (columns "
                             f"{first_at[name]} and {letter}); keep only one")
        first_at[name] = letter
        names.append(name)
    return names


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _count_lines(path: Path, limits: Limits) -> tuple[int, bool, bool]:
    """(number of line breaks, whether the whole file was read, whether it holds a double quote), reading the file
    in blocks; stops once past the row limit."""
    lines, quoted = 0, False
    with path.open("rb") as fh:
        while True:
            block = fh.read(16 * 1024 * 1024)
            if not block:
                return lines, True, quoted
            lines += block.count(b"\n")
            quoted = quoted or b'"' in block
            if lines > limits.max_rows + 1:
                return lines, not fh.read(1), True


def _csv_header(path: Path, encoding: str, described: str) -> tuple[list[str] | None, int]:
    """The first row with something in it, and the blank rows above it."""
    header, blank_lines = None, 0
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            for row in csv.reader(fh):
                if any(cell.strip() for cell in row):
                    header = row
                    break
                blank_lines += 1
    except csv.Error as exc:
        raise InputError(f"cannot read {described} as CSV: {escape_controls(str(exc))}") from None
    return header, blank_lines


def _read_csv(path: Path, described: str, limits: Limits) -> pd.DataFrame:
    lines, complete, quoted = _count_lines(path, limits)
    if lines - 1 > limits.max_rows:  # the header and a final line break: lines ≥ data rows
        counted = f"{lines - 1:,} lines below its header" if complete else f"more than {limits.max_rows:,} lines"
        raise LimitError(f"{described} has {counted}, above the limit of {limits.max_rows:,} rows "
                         + _limit_hint("rows"), "rows", lines - 1 if complete else None, limits.max_rows)
    # UTF-8 is taken on trust until a reader finds a byte that is not (arrow checks every cell it reads): the
    # file is decoded once, by arrow, not once more beforehand; only then is the whole file checked (GB18030?)
    encoding, checked = "utf-8-sig", False
    _refuse_utf16(path)
    while True:
        try:
            header, blank_lines = _csv_header(path, encoding, described)
        except UnicodeDecodeError:
            encoding, checked = _csv_encoding(path), True
            continue
        if header is None:
            if not checked:
                encoding, checked = _csv_encoding(path), True
            raise InputError(f"{described} is empty (no header row)")
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "semicolons" if ";" in header[0] else "tabs"
            raise InputError(f"{described}: the header is one column, {shown(header[0])}, with {separator} inside: "
                             "save the file as comma-separated CSV")
        names = _check_header(header, described, limits)
        cells = max(lines - 1, 0) * len(names)
        if cells > limits.max_cells:
            raise LimitError(f"{described} has {len(names):,} columns × {lines - 1:,} lines = {cells:,} cells, above "
                             f"the limit of {limits.max_cells:,} " + _limit_hint("cells"), "cells", cells,
                             limits.max_cells)
        frame = _read_csv_arrow(path, encoding, blank_lines + 1, names, quoted)
        if frame is not None:
            return frame
        if checked:
            break
        found, checked = _csv_encoding(path), True
        if found == encoding:
            break
        encoding = found
    try:  # what Arrow would not parse (a ragged row …): pandas, whose messages name the line
        frame = pd.read_csv(path, encoding=encoding, header=None, skiprows=blank_lines + 1, names=names, dtype=str,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False, index_col=False)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {described} as CSV: {escape_controls(str(exc).strip())}") from None
    return frame


def _read_csv_arrow(path: Path, encoding: str, skip: int, names: list[str], quoted: bool = True) -> pd.DataFrame | None:
    """The cells below the header as text (``""`` where empty, blank lines kept as empty rows, as pandas reads
    them with ``skip_blank_lines=False``), read by Arrow's multi-threaded CSV reader into Arrow-backed strings;
    None when Arrow cannot parse the file (a row with more or fewer cells than the header, a byte that is not
    UTF-8 …).  A file without a double quote has no line break inside a cell: arrow then cuts its blocks at any
    line break (``newlines_in_values=False``, about half the reader's time)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=[f"c{i}" for i in range(len(names))],
                                           encoding="utf8" if encoding == "utf-8-sig" else encoding,
                                           block_size=16 * 1024 * 1024),
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(names))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own "str": what pd.read_csv(dtype=str) gives
    frame = table.to_pandas(types_mapper=lambda t: text if pa.types.is_string(t) or pa.types.is_large_string(t)
                            else None)
    frame.columns = names
    return frame


def _refuse_utf16(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"cannot read {escape_controls(str(path))}: it is UTF-16 text; save it as UTF-8 CSV")


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030 (Excel on Chinese Windows), else an error: the
    whole file decoded."""
    _refuse_utf16(path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open("r", encoding=encoding, newline="") as fh:
                while fh.read(16 * 1024 * 1024):
                    pass
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"cannot read {escape_controls(str(path))}: not UTF-8 or GB18030 text")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


def _check_xlsx_package(path: Path, described: str, limits: Limits) -> None:
    """Refuse, before openpyxl parses anything, what is not a plain .xlsx or would unpack too large."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        raise InputError(f"{described} is a password-protected (encrypted) workbook or an old .xls file: "
                         "save it from Excel as an .xlsx without a password")
    if not head.startswith(b"PK"):
        raise InputError(f"cannot open {described} as an .xlsx workbook: it is not an .xlsx (zip) file")
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"cannot open {described} as an .xlsx workbook: {escape_controls(str(exc))}") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_xlsx_unpacked_bytes:
        raise LimitError(f"{described} unpacks to {size_text(unpacked)}, above the limit of "
                         f"{size_text(limits.max_xlsx_unpacked_bytes)} " + _limit_hint("xlsx_unpacked"),
                         "xlsx_unpacked", unpacked, limits.max_xlsx_unpacked_bytes)
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_xlsx_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise LimitError(f"{described}: the part {shown(info.filename)} unpacks {ratio:,} times its packed "
                             f"size (at most {limits.max_xlsx_ratio:,}): refused as a zip bomb " + _limit_hint("xlsx_ratio"),
                             "xlsx_ratio", ratio, limits.max_xlsx_ratio)
        if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > limits.max_shared_strings_bytes:
            raise LimitError(f"{described}: its shared strings unpack to {size_text(info.file_size)}, above the "
                             f"limit of {size_text(limits.max_shared_strings_bytes)} " + _limit_hint("shared_strings"),
                             "shared_strings", info.file_size, limits.max_shared_strings_bytes)


def _declared_size(ws: Any) -> tuple[int | None, int | None]:
    """The (rows, columns) a read-only sheet's <dimension> declares, read from the part's first bytes."""
    try:
        with ws.parent._archive.open(ws._worksheet_path) as fh:  # noqa: SLF001 - openpyxl keeps no public handle
            head = fh.read(4096)
    except Exception:  # noqa: BLE001 - no dimension to check, the row-by-row bounds still hold
        return None, None
    m = _DIMENSION.search(head)
    if not m:
        return None, None
    col = m.group(3) or m.group(1)
    row = m.group(4) or m.group(2)
    columns = 0
    for ch in (col or b"").decode():
        columns = columns * 26 + ord(ch) - 64
    return (int(row) if row else None), (columns or None)


def _read_xlsx(path: Path, described: str, sheet: Any, limits: Limits,
               prefer: Callable[[Sequence[str]], bool] | None, sheet_names: Sequence[str]) -> tuple[pd.DataFrame, str]:
    from openpyxl import load_workbook

    _check_xlsx_package(path, described, limits)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InputError(f"cannot open {described} as an .xlsx workbook: {escape_controls(str(exc)) or type(exc).__name__}") from None
    try:
        ws = _choose_sheet(wb, described, sheet, limits, prefer, sheet_names)
        where = f"{described}, sheet {shown(ws.title)}"
        others = [shown(n) for n in wb.sheetnames if n != ws.title]
        if others:
            where += f" (other sheets: {', '.join(others)})"
        rows, columns = _declared_size(ws)
        if rows is not None and rows - 1 > limits.max_rows:
            raise LimitError(f"{where} declares {rows:,} rows, above the limit of {limits.max_rows:,} data rows "
                             + _limit_hint("rows"), "rows", rows - 1, limits.max_rows)
        if columns is not None and columns > limits.max_columns:
            raise LimitError(f"{where} declares {columns:,} columns, above the limit of {limits.max_columns:,} "
                             + _limit_hint("columns"), "columns", columns, limits.max_columns)
        data = _sheet_rows(wb, ws, where, limits)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken part inside the zip
        raise InputError(f"cannot read {described}: {escape_controls(str(exc)) or type(exc).__name__}") from None
    finally:
        wb.close()
    start = next((i for i, r in enumerate(data) if any(_present(c) for c in r)), None)
    if start is None:
        raise InputError(f"{where} is empty (no header row)")
    header_row = list(data[start])
    body = data[start + 1:]
    columns = list(itertools.zip_longest(*body))  # the rows turned into columns, blanks None
    width = max(len(header_row), len(columns))
    header_row += [None] * (width - len(header_row))
    columns += [(None,) * len(body)] * (width - len(columns))
    # columns with neither a header nor a value are the edge of the sheet, not data
    used = [i for i in range(width) if _present(header_row[i]) or any(map(_present, columns[i]))]
    names = _check_header([header_row[i] for i in used], where, limits, positions=used)
    frame = pd.DataFrame({j: _object_array(columns[i]) for j, i in enumerate(used)}, dtype=object)
    frame.columns = names
    return frame, where


def _object_array(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)  # filled, not np.array(values): a value is never unpacked
    array[:] = values
    return array


def _choose_sheet(wb: Any, described: str, sheet: Any, limits: Limits,
                  prefer: Callable[[Sequence[str]], bool] | None, sheet_names: Sequence[str]) -> Any:
    listing = ", ".join(shown(n) for n in wb.sheetnames)
    if sheet is not None:
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(wb.worksheets):
                raise InputError(f"{described} has no sheet number {sheet} (sheets: {listing})")
            return wb.worksheets[sheet]
        if str(sheet) not in wb.sheetnames:
            raise InputError(f"{described} has no sheet {shown(str(sheet))} (sheets: {listing})")
        return wb[str(sheet)]
    worksheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")]
    if not worksheets:
        raise InputError(f"{described} has no worksheet (sheets: {listing})")
    wanted = {_fold(n) for n in sheet_names}
    for ws in worksheets:
        if _fold(ws.title) in wanted:
            return ws
    if prefer is not None and len(worksheets) > 1:
        for ws in worksheets:
            if prefer(_first_row(ws, limits)):
                return ws
    return worksheets[0]


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


def _first_row(ws: Any, limits: Limits) -> list[str]:
    """The first non-empty row of a sheet, as text, reading at most a few rows and columns."""
    for i, row in enumerate(ws.iter_rows(values_only=True, max_row=20)):
        cells = [str(c) for c in row[: limits.max_columns] if _present(c)]
        if cells:
            return cells
        if i >= 19:
            break
    return []


def _sheet_rows(wb: Any, ws: Any, where: str, limits: Limits) -> list[tuple]:
    """The rows of a read-only sheet as openpyxl's values, read by calc.xlsx_rows (bounded as they come); the
    workbook gives the shared strings, the date styles and the date system."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    from calc.xlsx_rows import read_rows

    epoch = wb.epoch
    with wb._archive.open(ws._worksheet_path) as source:  # noqa: SLF001 - openpyxl keeps no public handle
        return read_rows(source, where, shared_strings=ws._shared_strings,  # noqa: SLF001
                         date_styles=wb._date_formats, timedelta_styles=wb._timedelta_formats,  # noqa: SLF001
                         to_date=lambda value, timedelta: from_excel(value, epoch, timedelta=timedelta),
                         from_iso=from_ISO8601, max_rows=limits.max_rows, max_columns=limits.max_columns,
                         max_cells=limits.max_cells)


def _present(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return bool(v.strip())
    if isinstance(v, float) and math.isnan(v):
        return False
    return True


# ============================================================================================ writing

def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """A path as compared: resolved through symlinks and ``..``; and (device, inode) when it exists."""
    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
        return resolved, (st.st_dev, st.st_ino)
    except OSError:
        return resolved, None


def check_output_paths(inputs: Sequence[Path | str], outputs: Mapping[str, Path | str]) -> None:
    """Refuse, before any work, an output that is an input or another output, or an existing folder.

    ``outputs`` maps a name for messages (``--output``, ``errors file``) to its path.
    """
    seen: dict[Any, str] = {}
    for path in inputs:
        resolved, inode = _identity(Path(path))
        seen[resolved] = seen[inode] = f"the input {escape_controls(str(path))}"
    for name, path in outputs.items():
        resolved, inode = _identity(Path(path))
        clash = seen.get(resolved) or (seen.get(inode) if inode else None)
        if clash:
            raise OutputError(f"{name} {escape_controls(str(path))} is {clash}: it would be overwritten; "
                              "choose another file")
        if Path(resolved).is_dir():
            raise OutputError(f"{name} {escape_controls(str(path))} is a folder, not a file")
        seen[resolved] = f"the {name} {escape_controls(str(path))}"
        if inode:
            seen[inode] = seen[resolved]


@contextlib.contextmanager
def atomic_output(path: Path | str, *, make_folder: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` at once, on failure it is removed.

    The folder is created if needed, unless ``make_folder`` is false: then a folder that is gone (a Dask run's
    hidden folder, removed when the run stopped) fails the write instead of coming back with a part in it.  A
    crash (even a kill) leaves the previous ``path`` as it was; at worst a hidden ``.<name>.*.tmp`` file stays
    beside it.
    """
    path = Path(path)
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644 & ~_umask())
        os.replace(tmp_path, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if exc.filename is None:  # the writers' own (Arrow's, a full disk): named by the file it was writing
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# safe_cell's two triggers as RE2 patterns, for Arrow's vectorised regex: a string matching neither is written as
# it is; one matching either goes through safe_cell itself.  Python's \s (str.isspace) is \pZ plus the ASCII
# separators and \x85, so every string safe_cell would change matches (a superset; tests/test_outputs.py checks it).
_RE2_FORMULA = r"^[\pZ\t\n\x0b\x0c\r\x1c-\x1f\x{85}]*[=+\-@\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}]"
_RE2_CONTROL = r"[\x00-\x1f\x7f-\x{9f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2028}\x{2029}\x{2066}-\x{2069}\x{feff}]"


def safe_strings(array: Any) -> Any:
    """An Arrow string array (or chunked array, or dictionary array: its dictionary) with :func:`safe_cell`
    applied: one vectorised regex pass finds the few cells that need it, only those go through Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([safe_strings(c) for c in array.chunks], type=array.type)
    if pa.types.is_dictionary(array.type):
        return pa.DictionaryArray.from_arrays(array.indices, safe_strings(array.dictionary))
    if len(array) == 0:
        return array
    needs = pc.or_(pc.match_substring_regex(array, _RE2_FORMULA), pc.match_substring_regex(array, _RE2_CONTROL))
    needs = pc.fill_null(needs, False)
    if not pc.any(needs).as_py():
        return array
    fixed = pa.array([safe_cell(v) for v in pc.filter(array, needs).to_pylist()], type=array.type)
    return pc.replace_with_mask(array, needs, fixed)


def _arrow_column(series: pd.Series) -> Any:
    """One column as an Arrow array, text made safe; exact integers beyond int64 (Python ints) as text."""
    import pyarrow as pa

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        codes = series.cat.codes.to_numpy()
        if pd.api.types.infer_dtype(categories, skipna=True) not in ("string", "empty"):
            categories = pd.Index([_plain_text(v) for v in categories], dtype=object)
        values = pa.array(np.asarray(categories, dtype=object), type=pa.string())
        indices = pa.array(codes.astype(np.int32), mask=codes < 0)
        return pa.DictionaryArray.from_arrays(indices, safe_strings(values))
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return pa.array(series, from_pandas=True)
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return pa.array(values, mask=~np.isfinite(values))
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" or (
            isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                  or pa.types.is_large_string(dtype.pyarrow_dtype))):
        return safe_strings(pa.chunked_array(series.array.__arrow_array__()))  # Arrow-backed text: no copy
    values = series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return safe_strings(pa.array(values, type=pa.string(), from_pandas=True))
    # mixed or other objects (exact sums as Python ints, Decimals, dates): as text, once per distinct value
    return pa.array(_mixed_as_text(values), type=pa.string())


def _plain_text(value: Any) -> str | None:
    """A cell of a mixed column as its text in a CSV (None for a missing value)."""
    v = _plain(value)
    return None if v is None else str(v)


def _mixed_as_text(values: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[:-1] = [_plain_text(u) for u in uniques]
    texts[-1] = None
    return _safe_text_values(texts[codes])


def arrow_table(frame: pd.DataFrame) -> Any:
    """A frame as an Arrow table for the CSV and Parquet writers: headers and text cells made spreadsheet-safe
    (vectorised), categoricals kept as dictionaries, missing values as nulls, no index."""
    import pyarrow as pa

    arrays = [_arrow_column(series) for _, series in frame.items()]
    return pa.Table.from_arrays(arrays, names=[safe_cell(str(c)) for c in frame.columns])


CSV_BATCH_ROWS = 262_144


def write_csv(path: Path | str, frame: pd.DataFrame | Any, *, progress: Callable[[int], None] | None = None) -> Path:
    """A table as UTF-8 CSV (with a byte-order mark, so Excel reads the Chinese), atomically, cells made safe.

    Written by Arrow's CSV writer (text quoted, ``true``/``false``, missing values empty), in batches; ``frame``
    may already be an Arrow table from :func:`arrow_table`.  ``progress(rows)`` is called after each batch."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    table = frame if isinstance(frame, pa.Table) else arrow_table(frame)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write("\ufeff".encode("utf-8"))
            with pacsv.CSVWriter(fh, table.schema) as writer:
                if table.num_rows == 0:
                    writer.write_table(table)
                for start in range(0, table.num_rows, CSV_BATCH_ROWS):
                    part = table.slice(start, CSV_BATCH_ROWS)
                    writer.write_table(part)
                    if progress is not None:
                        progress(part.num_rows)
    return path


def write_parquet(path: Path | str, frame: pd.DataFrame | Any, *, progress: Callable[[int], None] | None = None,
                  make_folder: bool = True) -> Path:
    """A table as a Parquet file, atomically, cells made safe as in a CSV (zstd, dictionaries kept; the bytes depend
    only on the table and pyarrow's version); ``make_folder`` as in :func:`atomic_output`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = frame if isinstance(frame, pa.Table) else arrow_table(frame)
    with atomic_output(path, make_folder=make_folder) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_048_576, store_schema=False)
    if progress is not None:
        progress(table.num_rows)
    return path


def write_xlsx(target: Path | str | BinaryIO, sheets: Mapping[str, pd.DataFrame], *,
               decorate: Callable[[Any, dict[str, Any], Mapping[str, pd.DataFrame]], None] | None = None,
               created: Any = None) -> None:
    """Tables as sheets of an XLSX (xlsxwriter), atomically when ``target`` is a path.

    Text is written as text (never a formula, a link or a number), made safe; integers as numbers (as text
    beyond 2^53, so they stay exact); missing values as empty cells.  A sheet longer than Excel's 1,048,576
    rows or a text longer than 32,767 characters is an :class:`OutputError`, raised before anything is
    written.  ``decorate(book, worksheets, sheets)`` may add formats and charts after the cells are written.
    ``created`` (a datetime) is the workbook's creation date; with it, the same sheets give the same bytes
    (xlsxwriter dates the zip entries 1980-01-01 and otherwise stamps the workbook with the current time).
    """
    import xlsxwriter

    prepared = {}
    for name, frame in sheets.items():
        if len(frame) + 1 > XLSX_MAX_ROWS:
            raise OutputError(f"the {name} sheet would have {len(frame) + 1:,} rows; an Excel sheet holds "
                              f"{XLSX_MAX_ROWS:,}: write .csv instead")
        if len(frame.columns) > XLSX_MAX_COLUMNS:
            raise OutputError(f"the {name} sheet would have {len(frame.columns):,} columns; Excel holds {XLSX_MAX_COLUMNS:,}")
        prepared[name] = [_xlsx_column(name, frame, c) for c in frame.columns]

    def write(out: Any) -> None:
        book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "nan_inf_to_errors": False,
                                         "constant_memory": not isinstance(out, io.BytesIO),
                                         "in_memory": isinstance(out, io.BytesIO)})
        if created is not None:
            book.set_properties({"created": created})
        bold = book.add_format({"bold": True})
        worksheets = {}
        for name, frame in sheets.items():
            ws = book.add_worksheet(_sheet_name(name))
            worksheets[name] = ws
            columns = prepared[name]
            for j, (header, values) in enumerate(zip(frame.columns, columns)):
                ws.set_column(j, j, _width(str(header), values))
            ws.write_row(0, 0, [safe_cell(str(c)) for c in frame.columns], bold)
            for r, row in enumerate(zip(*columns), start=1):
                for j, v in enumerate(row):
                    if v is None:
                        continue
                    if isinstance(v, str):
                        ws.write_string(r, j, v)
                    elif isinstance(v, bool):
                        ws.write_boolean(r, j, v)
                    else:
                        ws.write_number(r, j, v)
            ws.freeze_panes(1, 0)
        if decorate is not None:
            decorate(book, worksheets, sheets)
        book.close()

    if isinstance(target, (str, Path)):
        with atomic_output(Path(target)) as tmp:
            write(str(tmp))
    else:
        buffer = io.BytesIO()
        write(buffer)
        target.write(buffer.getvalue())


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"


def _width(header: str, values: list) -> float:
    sample = [len(v) if isinstance(v, str) else len(str(v)) for v in values[:200] if v is not None]
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header)
    return float(min(max([wide, *sample, 6]) + 2, 60))


def _xlsx_column(sheet: str, frame: pd.DataFrame, column: Any) -> list:
    """One column as Python values for xlsxwriter: str (safe), int/float, bool, or None."""
    series = frame[column]
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return [None if v is pd.NA or v is None else bool(v) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(dtype):
        values = series.to_numpy(dtype=object, na_value=None)
        big = series.abs().max() if len(series) and series.notna().any() else 0
        if big is not pd.NA and big <= EXACT_IN_EXCEL:
            return [None if v is None else int(v) for v in values]
        return [_plain(v) for v in values]
    if pd.api.types.is_float_dtype(dtype):
        return [float(v) if math.isfinite(v) else None for v in series.to_numpy(dtype=np.float64, na_value=np.nan)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return [None if pd.isna(v) else v.isoformat() for v in series.tolist()]
    values = _safe_text_values(series.to_numpy(dtype=object, na_value=None))
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    if longest > XLSX_MAX_CELL_CHARS:
        r = next(i for i, v in enumerate(values) if isinstance(v, str) and len(v) > XLSX_MAX_CELL_CHARS)
        raise OutputError(f"the {sheet} sheet, row {r + 2}, column {shown(str(column))} holds {longest:,} characters; "
                          f"an Excel cell holds {XLSX_MAX_CELL_CHARS:,}: write .csv instead")
    return list(values)


# ============================================================================================ XLSX at column speed

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _join(*parts: Any) -> Any:
    """Arrow's element-wise concatenation of text arrays and literals (large strings; a null part makes a null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*[pa.scalar(x, pa.large_string()) if isinstance(x, str) else x for x in parts],
                                       pa.scalar("", pa.large_string()))


def _xml_text(array: Any) -> Any:
    """Arrow text with the three XML specials escaped (control characters are already escaped by safe_cell)."""
    import pyarrow.compute as pc

    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        array = pc.replace_substring(array, raw, escaped)
    return array


def _xlsx_cells(sheet: str, header: str, column: Any, letter: str, rows: Any) -> Any:
    """One column's cells as XML (large strings, one per row): ``<c r="B7" t="…">…</c>``; a missing value is an
    empty cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(column)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    t = column.type
    ref = _join(f'<c r="{letter}', rows, "")
    inline = lambda text: _join(  # noqa: E731
        ref, '" t="inlineStr"><is><t xml:space="preserve">', _xml_text(text), "</t></is></c>", "")
    if pa.types.is_dictionary(t):  # the cells of each distinct value once, then taken
        values = column.dictionary.cast(pa.large_string())
        _check_cell_chars(sheet, header, column.dictionary, column.indices)
        texts = _xml_text(values).take(column.indices)
        cells = _join(ref, '" t="inlineStr"><is><t xml:space="preserve">', texts,
                                            "</t></is></c>", "")
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        _check_cell_chars(sheet, header, column, None)
        cells = inline(column.cast(pa.large_string()))
    elif pa.types.is_boolean(t):
        cells = _join(ref, '" t="b"><v>', pc.if_else(column, pa.scalar("1", pa.large_string()), pa.scalar("0", pa.large_string())), "</v></c>", "")
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        text = column.cast(pa.large_string())
        cells = _join(ref, '"><v>', text, "</v></c>", "")
        if pa.types.is_integer(t) and n:
            wide = column.cast(pa.int64()) if column.type != pa.uint64() else column
            big = pc.or_(pc.greater(wide, EXACT_IN_EXCEL), pc.less(wide, -EXACT_IN_EXCEL))
            if pc.any(big).as_py():  # beyond what Excel holds exactly: as text
                cells = pc.if_else(pc.fill_null(big, False), inline(text), cells)
    else:
        cells = inline(column.cast(pa.large_string()))
    return pc.fill_null(cells.cast(pa.large_string()), pa.scalar("", pa.large_string()))


def _check_cell_chars(sheet: str, header: str, values: Any, indices: Any) -> None:
    import pyarrow.compute as pc

    if not len(values):
        return
    lengths = pc.utf8_length(values)
    longest = pc.max(lengths).as_py() or 0
    if longest > XLSX_MAX_CELL_CHARS:
        too_long = np.flatnonzero(pc.fill_null(pc.greater(lengths, XLSX_MAX_CELL_CHARS), False).to_numpy(
            zero_copy_only=False))
        r = int(too_long[0]) if indices is None else int(np.flatnonzero(np.isin(
            indices.to_numpy(zero_copy_only=False), too_long))[0])
        raise OutputError(f"the {sheet} sheet, row {r + 2}, column {shown(header)} holds {longest:,} characters; "
                          f"an Excel cell holds {XLSX_MAX_CELL_CHARS:,}: write .csv instead")


def _column_width(header: str, column: Any) -> float:
    import pyarrow as pa
    import pyarrow.compute as pc

    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header)
    sample = column.slice(0, 200)
    if isinstance(sample, pa.ChunkedArray):
        sample = sample.combine_chunks()
    if pa.types.is_dictionary(sample.type):
        sample = sample.dictionary_decode()
    longest = pc.max(pc.utf8_length(sample.cast(pa.string()))).as_py() if len(sample) else 0
    return float(min(max(wide, longest or 0, 6) + 2, 60))


def write_xlsx_fast(path: Path | str, sheets: Mapping[str, pd.DataFrame], *, created: Any = None,
                    progress: Callable[[int], None] | None = None) -> Path:
    """Tables as sheets of an XLSX, the sheet XML built whole columns at a time by Arrow (no Python per cell), with
    :func:`write_xlsx`'s promises: atomic, text made safe and written as text (inline strings, never a formula),
    integers beyond 2^53 as text, missing values as empty cells, a bold frozen header, a sheet longer than
    Excel's or a cell longer than 32,767 characters refused before anything is written.  Byte-reproducible:
    zip entries dated 1980-01-01, the workbook dated ``created``.  No charts (see :func:`write_xlsx`).
    ``progress(rows)`` after each block of rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    path = Path(path)
    for name, frame in sheets.items():
        if len(frame) + 1 > XLSX_MAX_ROWS:
            raise OutputError(f"the {name} sheet would have {len(frame) + 1:,} rows; an Excel sheet holds "
                              f"{XLSX_MAX_ROWS:,}: write .csv instead")
        if len(frame.columns) > XLSX_MAX_COLUMNS:
            raise OutputError(f"the {name} sheet would have {len(frame.columns):,} columns; Excel holds "
                              f"{XLSX_MAX_COLUMNS:,}")
    tables = {name: arrow_table(frame) for name, frame in sheets.items()}
    names: list[str] = []
    for name in tables:
        candidate, k = _sheet_name(name), 1
        while candidate.casefold() in {n.casefold() for n in names}:
            k += 1
            candidate = f"{_sheet_name(name)[:28]}_{k}"
        names.append(candidate)
    stamp = (created or dt_epoch()).strftime("%Y-%m-%dT%H:%M:%SZ")
    block = 200_000

    def entry(zf: zipfile.ZipFile, arcname: str) -> Any:
        info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return zf.open(info, "w", force_zip64=True)

    with atomic_output(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            overrides = "".join(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(names)))
            parts = {
                "[Content_Types].xml":
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                    'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sheet.main+xml"/>' + overrides +
                    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                    'spreadsheetml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/'
                    'vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
                "_rels/.rels":
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
                    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                    'metadata/core-properties" Target="docProps/core.xml"/>'
                    f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
                    '</Relationships>',
                "docProps/app.xml":
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/extended-properties"><Application>sti-subsidy-calc'
                    '</Application></Properties>',
                "docProps/core.xml":
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://'
                    'schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/'
                    'elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
                    'XMLSchema-instance"><dc:creator>sti-subsidy-calc</dc:creator><dcterms:created xsi:type="'
                    f'dcterms:W3CDTF">{stamp}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}'
                    '</dcterms:modified></cp:coreProperties>',
                "xl/workbook.xml":
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN_NS}" '
                    f'xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews><sheets>'
                    + "".join(f'<sheet name="{_xml_attr(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                              for i, n in enumerate(names)) + "</sheets></workbook>",
                "xl/_rels/workbook.xml.rels":
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
                    + "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL_NS}/worksheet" '
                              f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
                    + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                    "</Relationships>",
                "xl/styles.xml": _XLSX_STYLES,
            }
            for arcname, text in parts.items():
                with entry(zf, arcname) as fh:
                    fh.write(text.encode("utf-8"))
            for i, (name, table) in enumerate(tables.items()):
                headers = [str(c) for c in sheets[name].columns]
                letters = [_column_letter(j) for j in range(table.num_columns)]
                last = f"{letters[-1]}{table.num_rows + 1}" if letters else "A1"
                cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{_column_width(h, table.column(j))}" '
                               'customWidth="1"/>' for j, h in enumerate(headers))
                head = "".join(f'<c r="{letters[j]}1" t="inlineStr" s="1"><is><t xml:space="preserve">'
                               f'{_xml_attr(safe_cell(h))}</t></is></c>' for j, h in enumerate(headers))
                with entry(zf, f"xl/worksheets/sheet{i + 1}.xml") as fh:
                    fh.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}" '
                              f'xmlns:r="{_REL_NS}"><dimension ref="A1:{last}"/><sheetViews><sheetView '
                              'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                              'state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                              + (f"<cols>{cols}</cols>" if cols else "")
                              + f'<sheetData><row r="1">{head}</row>').encode("utf-8"))
                    for start in range(0, table.num_rows, block):
                        part = table.slice(start, block)
                        rows = pa.array(np.arange(start + 2, start + 2 + part.num_rows).astype(str), pa.large_string())
                        cells = [_xlsx_cells(name, headers[j], part.column(j), letters[j], rows)
                                 for j in range(part.num_columns)]
                        xml = _join('<row r="', rows, '">', *cells, "</row>", "")
                        fh.write(_string_bytes(xml))
                        if progress is not None:
                            progress(part.num_rows)
                    fh.write(b"</sheetData></worksheet>")
    return path


def dt_epoch() -> Any:
    import datetime as _dt

    return _dt.datetime(2000, 1, 1)


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _string_bytes(array: Any) -> bytes:
    """The concatenated UTF-8 bytes of an Arrow large-string array without nulls (its data buffer, sliced)."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        return b"".join(_string_bytes(c) for c in array.chunks)
    if not len(array):
        return b""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    return array.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]
