"""The cells of one worksheet of an .xlsx, read by expat straight into rows of values, bounded as they come.

openpyxl opens the workbook (its sheets, shared strings, date styles and date system); this module reads the
sheet's cells, which is where openpyxl's read-only mode spends its time (an object per XML element and a dict per
cell: about 85,000 cells a second here, 15 s for 100,000 enterprises of 14 columns).  The values are the ones
openpyxl gives with ``data_only=True`` (its ``worksheet/_reader.py``): a number written without a point or an
exponent is an int (exact, however long), any other a float; a number in a date style is a date, time or
timedelta (``from_excel``, in the workbook's 1900 or 1904 system); a shared or inline string is its text (rich
runs joined, phonetic runs left out); a boolean is a bool; an error (``#N/A``) and a formula's text result are
their text; a formula gives its cached value.

What differs, on purpose: rows out of order or a cell that cannot be read (a bad reference, a number that is not
one, a shared string that does not exist) is an InputError naming the cell, where openpyxl dropped the row or
raised a bare ValueError; a worksheet with a DOCTYPE is refused (an .xlsx never has one: it is how entity bombs
and external entities come in).

Bounds (calc.limits.Limits), checked while reading, before anything is allocated for them: the data rows (a row
number far ahead is refused without making the rows between), the columns of a row (a value past the limit; blank
or styled cells beyond it do not count) and the cells (the rows' widths added up).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from typing import IO, Any

from xml.parsers import expat

from calc.files import XLSX_MAX_COLUMNS, InputError, LimitError, shown
from calc.files import _limit_hint as limit_hint, _present as present  # the bounds' wording, shared

ROW, CELL, VALUE, INLINE, TEXT, PHONETIC = "row", "c", "v", "is", "t", "rPh"  # SpreadsheetML's local names
CHUNK = 1 << 20  # bytes of the (unzipped) part parsed at a time
DIGITS = "0123456789"
_LETTERS = re.compile(r"[A-Z]{1,3}")


class _Refused(Exception):
    """Raised inside expat's handlers; turned into an InputError (expat adds nothing to it)."""


class _Sheet:
    """expat's handlers: the cell being read, the row being built and the rows so far."""

    def __init__(self, where: str, shared_strings: Sequence[str], date_styles: Collection[int],
                 timedelta_styles: Collection[int], to_date: Callable[..., Any], from_iso: Callable[[str], Any],
                 max_rows: int, max_columns: int, max_cells: int):
        self.where, self.strings = where, shared_strings
        self.date_styles, self.timedelta_styles = frozenset(date_styles), frozenset(timedelta_styles)
        self.to_date, self.from_iso = to_date, from_iso
        self.max_rows, self.max_columns, self.max_cells = max_rows, max_columns, max_cells
        self.rows: list[tuple] = []
        self.cells = 0  # the widths of the rows so far
        self.row_number = 0  # the sheet's number of the row being read (1-based)
        self.row: dict[int, Any] | None = None  # column number -> value, for the row being read
        self.column = 0
        self.columns: dict[str, int] = {}  # a reference's letters -> its column number, as met
        self.kind = self.style = self.reference = None  # the cell being read: its t, s and r
        self.text: str | None = None  # the text being collected (a <v>, or an inline string's <t>): its first piece
        self.more: list[str] | None = None  # and the pieces after it
        self.value: str | None = None  # the cell's <v> text once closed
        self.inline: list[str] | None = None  # an inline string's pieces once <is> is open
        self.phonetic = 0  # inside an <rPh> (its text is a reading aid, not the cell's)

    # ------------------------------------------------------------------ expat's handlers
    # Names come as written: a document that puts SpreadsheetML under a prefix (x:c) is read by local name
    # (_local); namespace processing would cost a third of the reading for what no workbook needs.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == CELL:
            if self.row is None:
                raise _Refused(f"{self.where}: a cell outside a row")
            self.reference = reference = attrs.get("r")
            if reference:
                self.column = self.columns.get(reference.rstrip(DIGITS)) or self._cell_column(reference)
            else:
                self.column += 1
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.value = self.inline = None
        elif name == VALUE:
            self.text, self.more = "", None
        elif name == TEXT:
            if self.inline is not None and not self.phonetic:
                self.text, self.more = "", None
        elif name == ROW:
            self._start_row(attrs.get("r"))
        elif name == INLINE:
            self.inline = []
        elif name == PHONETIC:
            self.phonetic += 1
        elif ":" in name:
            self.start(_local(name), attrs)

    def end(self, name: str) -> None:
        if name == VALUE:
            if self.text is not None:  # (None only in a <v> nested in a <v>, which no sheet has)
                self.value, self.text = self._collected(), None
        elif name == CELL:
            self._end_cell()
        elif name == TEXT:
            if self.text is not None and self.inline is not None:
                self.inline.append(self._collected())
            self.text = None
        elif name == ROW:
            self._end_row()
        elif name == PHONETIC:
            self.phonetic -= 1
        elif ":" in name:
            self.end(_local(name))

    def characters(self, data: str) -> None:
        if self.text is None:
            return
        if not self.text:  # the first piece (expat never hands over an empty one): as a rule the only one
            self.text = data
        elif self.more is None:  # a long text comes in many: kept apart and joined once (+= copies each time)
            self.more = [data]
        else:
            self.more.append(data)

    def _collected(self) -> str:
        return self.text if self.more is None else self.text + "".join(self.more)

    # ------------------------------------------------------------------ rows and cells
    def _start_row(self, r: str | None) -> None:
        if r is None:
            number = self.row_number + 1
        else:
            number = _row_number(r)
            if number is None or number < 1:
                raise _Refused(f"{self.where}: a row numbered {shown(r)}, not a row number")
            if number <= self.row_number:
                raise _Refused(f"{self.where}: row {number:,} comes after row {self.row_number:,} (the rows are "
                               "out of order: save the workbook again from Excel)")
        if number - 1 > self.max_rows:  # the header row and max_rows data rows are allowed
            raise LimitError(f"{self.where} has more than {self.max_rows:,} data rows " + limit_hint("rows"),
                             "rows", None, self.max_rows)
        self.rows.extend(() for _ in range(number - 1 - len(self.rows)))  # blank rows the sheet leaves out
        self.row_number, self.row, self.column = number, {}, 0

    def _cell_column(self, reference: str) -> int:
        # the row is the <row>'s (as openpyxl reads it); the reference gives the column
        letters = reference.rstrip(DIGITS)
        column = 0
        if _LETTERS.fullmatch(letters) and reference[len(letters):].isdigit():
            for ch in letters:
                column = column * 26 + ord(ch) - 64
        if not 1 <= column <= XLSX_MAX_COLUMNS:  # past Excel's last column, XFD: not a cell
            raise _Refused(f"{self.where}: a cell referenced {shown(reference)} in row {self.row_number:,}, "
                           "which is not a cell reference")
        if len(self.columns) < XLSX_MAX_COLUMNS:
            self.columns[letters] = column
        return column

    def _end_cell(self) -> None:
        kind = self.kind
        if kind == "inlineStr":
            value = "".join(self.inline) if self.inline is not None else None
        else:
            text = self.value
            if not text:
                return
            if kind == "n":
                value = self._number(text)
            elif kind == "s":
                value = self._shared(text)
            elif kind == "b":
                value = self._boolean(text)
            elif kind == "d":
                value = self._iso_date(text)
            else:  # "str" (a formula's text), "e" (an error such as #N/A) and any other: the text as written
                value = text
        if value is not None:
            self.row[self.column] = value

    def _where(self) -> str:
        return f"{self.where}, cell {shown(self.reference)}" if self.reference else \
            f"{self.where}, row {self.row_number:,} column {self.column:,}"

    def _number(self, text: str) -> Any:
        try:
            number = float(text) if ("." in text or "e" in text or "E" in text) else int(text)
        except ValueError:
            raise _Refused(f"{self._where()} holds {shown(text)}, which is not a number") from None
        if self.style is not None and self.style.isdigit() and int(self.style) in self.date_styles:
            try:
                return self.to_date(number, timedelta=int(self.style) in self.timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"  # as openpyxl: a date out of the range of dates reads as an error
        return number

    def _shared(self, text: str) -> str:
        index = int(text) if text.isdigit() else -1
        if not 0 <= index < len(self.strings):
            raise _Refused(f"{self._where()} refers to shared string {shown(text)}, which the workbook does not "
                           f"have (it has {len(self.strings):,})")
        return self.strings[index]

    def _boolean(self, text: str) -> bool:
        if text.strip() not in ("0", "1"):
            raise _Refused(f"{self._where()} holds {shown(text)} as a boolean (0 or 1)")
        return text.strip() == "1"

    def _iso_date(self, text: str) -> Any:
        try:
            return self.from_iso(text)
        except (ValueError, TypeError, OverflowError):
            raise _Refused(f"{self._where()} holds {shown(text)} as a date, which is not one") from None

    def _end_row(self) -> None:
        row, self.row = self.row, None
        if not row:
            self.rows.append(())
            return
        width = max(row)
        if width > self.max_columns:
            # blank values past the limit (styled cells, spaces) do not count
            last = max((c for c, v in row.items() if present(v)), default=0)
            if last > self.max_columns:
                raise LimitError(f"{self.where}: row {len(self.rows) + 1} has {last:,} columns, above the limit of "
                                 f"{self.max_columns:,} " + limit_hint("columns"), "columns", last, self.max_columns)
            row = {c: v for c, v in row.items() if c <= last}
            width = last
        self.cells += width
        if self.cells > self.max_cells:
            raise LimitError(f"{self.where} has more than {self.max_cells:,} cells " + limit_hint("cells"),
                             "cells", None, self.max_cells)
        self.rows.append(tuple(map(row.get, range(1, width + 1))))


def _row_number(r: str) -> int | None:
    """A row's ``r``: a whole number (openpyxl also takes ``5.0``)."""
    try:
        return int(r)
    except ValueError:
        try:
            number = float(r)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None


def _local(name: str) -> str:
    """x:c -> c (the prefix is not looked up: no other vocabulary in a worksheet's rows uses these names)."""
    return name.rpartition(":")[2]


def _refuse_declarations(*_: Any) -> None:
    raise _Refused("declares a DOCTYPE or entities, which a worksheet never does: refused")


def read_rows(source: IO[bytes], where: str, *, shared_strings: Sequence[str], date_styles: Collection[int],
              timedelta_styles: Collection[int], to_date: Callable[..., Any], from_iso: Callable[[str], Any],
              max_rows: int, max_columns: int, max_cells: int) -> list[tuple]:
    """The rows of a worksheet part (``source``, the unzipped XML), each a tuple of values up to its last value;
    a row the sheet leaves out or holds no value is ``()``.  ``to_date(number, timedelta=…)`` turns a serial in a
    date style into a date (openpyxl's ``from_excel`` in the workbook's date system), ``from_iso`` reads a cell of
    type ``d``.  InputError (LimitError for a bound) names the sheet and the cell."""
    sheet = _Sheet(where, shared_strings, date_styles, timedelta_styles, to_date, from_iso,
                   max_rows, max_columns, max_cells)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = sheet.start
    parser.EndElementHandler = sheet.end
    parser.CharacterDataHandler = sheet.characters
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.ExternalEntityRefHandler = _refuse_declarations
    try:
        while chunk := source.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused as refused:
        message = str(refused)
        raise InputError(message if message.startswith(where) else f"{where} {message}") from None
    except expat.ExpatError as error:
        raise InputError(f"{where} is not a readable worksheet: {expat.ErrorString(error.code)} at line "
                         f"{error.lineno}, column {error.offset}") from None
    return sheet.rows
