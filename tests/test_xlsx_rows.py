"""calc.xlsx_rows: a worksheet's cells read by expat give exactly the values openpyxl's read-only mode gives, bounded
as they come, and what cannot be read is refused naming the sheet and the cell."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import MAC_EPOCH

from calc.files import InputError, LimitError, _sheet_rows, read_table_file
from calc.limits import DEFAULT, Limits
from calc.xlsx_rows import read_rows
from hostile_corpus import write_xlsx_parts

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _trimmed(row) -> tuple:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return tuple(row)


def both_readings(path: Path, limits: Limits = DEFAULT) -> tuple[list[tuple], list[tuple]]:
    """(openpyxl's read-only rows, calc.xlsx_rows' rows) of the first sheet, trailing blanks trimmed."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ours = [_trimmed(r) for r in _sheet_rows(wb, ws, "the sheet", limits)]
        ws.reset_dimensions()
        theirs = [_trimmed(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    while theirs and not theirs[-1]:  # openpyxl gives no row for trailing blank rows either way
        theirs.pop()
    while ours and not ours[-1]:
        ours.pop()
    return theirs, ours


def sheet(rows: str, prefix: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{prefix}worksheet {NS.replace("xmlns=", f"xmlns:{prefix[:-1]}=") if prefix else NS}>'
            f"<{prefix}sheetData>{rows}</{prefix}sheetData></{prefix}worksheet>")


def test_every_kind_of_cell_reads_as_openpyxl_reads_it(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "big", "decimal", "text", "date", "moment", "clock", "span", "flag", "blank", "tail"])
    ws.append(["E1", 2**63 - 1, 0.58, "1,234.56万", dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 12, 30),
               dt.time(8, 15), dt.timedelta(hours=30), True, None, "  "])
    ws.append(["E2", 12345678901234567, 1e-7, "  spaced  ", dt.date(1900, 3, 1), dt.datetime(2099, 12, 31, 23, 59),
               dt.time(0, 0, 1), dt.timedelta(days=2), False, None, "x"])
    ws["C4"] = -0.0
    ws["A6"] = "after a blank row"
    path = tmp_path / "kinds.xlsx"
    wb.save(path)
    theirs, ours = both_readings(path)
    assert ours == theirs
    # the values themselves, so the comparison cannot pass on two empty readings
    assert ours[1][:5] == ("E1", float(2**63 - 1), 0.58, "1,234.56万", dt.datetime(2025, 3, 1))  # openpyxl wrote a float
    assert ours[1][7] == dt.timedelta(hours=30) and ours[1][8] is True
    assert ours[4] == () and ours[5] == ("after a blank row",)


def test_the_1904_date_system_is_the_workbooks(tmp_path):
    wb = openpyxl.Workbook()
    wb.epoch = MAC_EPOCH
    wb.active.append(["when"])
    wb.active.append([dt.date(2026, 6, 30)])
    path = tmp_path / "mac.xlsx"
    wb.save(path)
    theirs, ours = both_readings(path)
    assert ours == theirs == [("when",), (dt.datetime(2026, 6, 30),)]


def test_shared_strings_rich_text_errors_and_formula_text_read_as_openpyxl(tmp_path):
    strings = (f'<sst {NS} count="3" uniqueCount="3"><si><t>enterprise_id</t></si>'
               '<si><r><t>厦门</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 公司</t></r>'
               '<rPh sb="0" eb="1"><t>アモイ</t></rPh></si><si><t/></si></sst>')
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>rich</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>err</t></is></c><c r="D1" t="inlineStr"><is><t>f</t></is></c></row>'
            '<row r="2"><c r="A2" t="s"><v>1</v></c>'
            '<c r="B2" t="inlineStr"><is><r><t>a</t></r><r><t xml:space="preserve"> b</t></r>'
            '<rPh sb="0" eb="1"><t>reading</t></rPh></is></c>'
            '<c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="str"><f>A2&amp;"x"</f><v>厦门 公司x</v></c></row>'
            '<row r="3"><c t="s"><v>2</v></c><c s="0"/><c><v>7</v></c><c t="b"><v>1</v></c></row>'
            '<row r="4"><c r="A4"><v>12345678901234567890123</v></c><c r="B4"><v>1.5E3</v></c></row>')
    path = write_xlsx_parts(tmp_path / "shared.xlsx", {"s": sheet(rows)}, shared_strings=strings)
    theirs, ours = both_readings(path)
    assert ours == theirs
    assert ours[1] == ("厦门 公司", "a b", "#N/A", "厦门 公司x")  # rich runs joined, phonetic runs left out
    assert ours[2] == ("", None, 7, True)  # cells without a reference follow the one before
    assert ours[3] == (12345678901234567890123, 1500.0)  # a whole number is an int, exact however long


def test_a_prefixed_worksheet_reads_as_an_unprefixed_one(tmp_path):
    rows = '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c></x:row>' \
           '<x:row r="2"><x:c r="A2"><x:v>42</x:v></x:c></x:row>'
    path = write_xlsx_parts(tmp_path / "prefixed.xlsx", {"s": sheet(rows, prefix="x:")})
    theirs, ours = both_readings(path)
    assert ours == [("id",), (42,)]


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).filter(
    lambda t: not t.startswith("="))  # openpyxl writes text that starts with = as a formula
_VALUE = st.one_of(
    st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(), _TEXT,
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=st.lists(st.lists(_VALUE, max_size=8), min_size=1, max_size=12))
def test_any_grid_openpyxl_writes_reads_the_same_both_ways(tmp_path, grid):
    wb = openpyxl.Workbook()
    for row in grid:
        wb.active.append(row)
    path = tmp_path / "grid.xlsx"
    wb.save(path)
    theirs, ours = both_readings(path)
    assert ours == theirs


@pytest.mark.parametrize("rows, said", [
    ('<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>', "row 1 comes after row 2"),
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>', "row 1 comes after row 1"),
    ('<row r="one"><c r="A1"><v>1</v></c></row>', "a row numbered 'one'"),
    ('<row r="0"><c r="A1"><v>1</v></c></row>', "a row numbered '0'"),
    ('<row r="1"><c r="1A"><v>1</v></c></row>', "a cell referenced '1A'"),
    ('<row r="1"><c r="XFE1"><v>1</v></c></row>', "a cell referenced 'XFE1'"),
    ('<row r="1"><c r="B1"><v>1,5</v></c></row>', "cell 'B1' holds '1,5', which is not a number"),
    ('<row r="1"><c r="C1" t="s"><v>7</v></c></row>', "cell 'C1' refers to shared string '7'"),
    ('<row r="1"><c r="A1" t="b"><v>yes</v></c></row>', "cell 'A1' holds 'yes' as a boolean"),
    ('<row r="1"><c r="A1" t="d"><v>soon</v></c></row>', "cell 'A1' holds 'soon' as a date"),
    ('<c r="A1"><v>1</v></c>', "a cell outside a row"),
])
def test_what_cannot_be_read_is_refused_naming_the_cell(tmp_path, rows, said):
    path = write_xlsx_parts(tmp_path / "bad.xlsx", {"enterprises": sheet(rows)})
    with pytest.raises(InputError) as error:
        read_table_file(path)
    assert said in str(error.value) and "sheet 'enterprises'" in str(error.value)


def test_a_doctype_is_refused_before_any_entity_is_expanded(tmp_path):
    laughs = ('<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
              + f']>\n<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
              "</sheetData></worksheet>")
    # the workbook's own opening (openpyxl through defusedxml) refuses it first …
    path = write_xlsx_parts(tmp_path / "laughs.xlsx", {"enterprises": laughs})
    with pytest.raises(InputError, match="cannot open"):
        read_table_file(path)
    # … and the rows' reader refuses it too, on its own
    with pytest.raises(InputError, match="DOCTYPE"):
        read_rows(io.BytesIO(laughs.encode()), "the sheet", shared_strings=[], date_styles=(), timedelta_styles=(),
                  to_date=None, from_iso=None, max_rows=10, max_columns=10, max_cells=100)


def test_a_row_number_far_ahead_is_refused_without_making_the_rows_between(tmp_path):
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>2</v></c></row>'
    path = write_xlsx_parts(tmp_path / "far.xlsx", {"enterprises": sheet(rows)})
    with pytest.raises(LimitError) as error:
        read_table_file(path, limits=Limits(max_rows=10))
    assert error.value.bound == "rows" and "more than 10 data rows" in str(error.value)
    # at the bound itself: row 11 is the 10th data row below the header, and is read
    path = write_xlsx_parts(tmp_path / "at.xlsx", {"enterprises": sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="11"><c r="A11"><v>2</v></c></row>')})
    frame, _ = read_table_file(path, limits=Limits(max_rows=10))
    assert len(frame) == 10 and frame["id"].iloc[-1] == 2


def test_columns_past_the_limit_count_only_where_they_hold_a_value(tmp_path):
    # 3 columns allowed: a styled blank and a space in column E are the sheet's edge; a value in D is a 4th column
    edge = '<row r="1"><c r="A1"><v>1</v></c><c r="E1" t="inlineStr"><is><t> </t></is></c><c r="F1" s="1"/></row>'
    path = write_xlsx_parts(tmp_path / "edge.xlsx", {"enterprises": sheet(edge)})
    assert both_readings(path, Limits(max_columns=3))[1] == [(1,)]
    over = '<row r="1"><c r="A1"><v>1</v></c><c r="D1"><v>4</v></c></row>'
    path = write_xlsx_parts(tmp_path / "over.xlsx", {"enterprises": sheet(over)})
    with pytest.raises(LimitError) as error:
        read_table_file(path, limits=Limits(max_columns=3))
    assert error.value.bound == "columns" and error.value.found == 4
    at = '<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c></row>'
    path = write_xlsx_parts(tmp_path / "at.xlsx", {"enterprises": sheet(at)})
    assert both_readings(path, Limits(max_columns=3))[1] == [(1, None, 3)]


def test_the_cells_bound_adds_up_the_rows_widths(tmp_path):
    # rows of widths 3 and 2: 5 cells; a bound of 5 reads them, a bound of 4 refuses
    rows = '<row r="1"><c r="C1"><v>1</v></c></row><row r="2"><c r="B2"><v>2</v></c></row>'
    path = write_xlsx_parts(tmp_path / "cells.xlsx", {"enterprises": sheet(rows)})
    assert both_readings(path, Limits(max_cells=5))[1] == [(None, None, 1), (None, 2)]
    with pytest.raises(LimitError) as error:
        both_readings(path, Limits(max_cells=4))
    assert error.value.bound == "cells"


def test_a_long_text_is_read_whole_in_linear_time(tmp_path):
    # 8 MB in one inline string and in one <v>: expat hands them over in 64 KB pieces, joined once
    long = "厦" * 4_000_000
    rows = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
            f'<row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c><c r="B2" t="str"><v>{long}</v></c></row>')
    path = write_xlsx_parts(tmp_path / "long.xlsx", {"enterprises": sheet(rows)})
    theirs, ours = both_readings(path)
    assert ours == theirs and ours[1] == (long, long)


@pytest.mark.parametrize("rows", [
    '<row r="1"><c r="A1"><v><v>1</v>2</v></c></row>',  # a <v> in a <v>
    '<row r="1"><c r="A1"><c r="B1"><v>1</v></c></c></row>',  # a cell in a cell
    '<row r="1"><row r="2"><c r="A2"><v>1</v></c></row></row>',  # a row in a row
])
def test_nesting_no_sheet_has_gives_an_input_error_or_values_never_a_crash(tmp_path, rows):
    path = write_xlsx_parts(tmp_path / "nested.xlsx", {"enterprises": sheet(rows)})
    try:
        read_table_file(path)
    except InputError as error:
        assert "nested.xlsx" in str(error)
