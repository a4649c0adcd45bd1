"""The output shapes (calc/outputs.py), the fast writers and Parquet in/out (calc/files.py), and the command line's
--shape / --rows / --citations, Parquet outputs, byte-reproducible files and the progress bar.

Hand-worked cases, from the quoted articles:

措施2 (xiamen_sti_measures.national_platform_award) and 第十条（四） (xiamen_consortium_2025.national_platform_award):
「…国家级创新平台,给予一次性3000万元奖励。」 both pay 3000万 per new national platform; the consortium measures'
item also requires membership of a consortium.  就高不重复 counts one; a tie goes to the consortium measures' item.
  P1 厦门, member, 1 platform: consortium item granted 30,000,000; 措施2 item lost to it (duplicate, won_by names it);
     the two info items of the consortium measures (第九条（三）, 第十二条（七）) are granted to a member (0 yuan).
  P2 厦门, membership unknown, 1 platform: 措施2 granted 30,000,000; consortium item needs input (it was given a
     platform, so the row is kept).
  P3 厦门, member, 0 platforms: 0 is nothing given, so neither platform row is kept; the two info items are granted.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given as hypothesis_given, settings, strategies as st

import calc
from calc.files import InputError, LimitError, read_table_file, safe_cell, safe_strings, write_csv, write_parquet
from calc.limits import Limits
from calc.outputs import (LONG_COLUMNS, STATUS_CODES, citation_ids, citations_table, given, item_inputs,
                          kept_rows, long_row_count, long_table, wide_table)

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
PLATFORM_STI = "xiamen_sti_measures.national_platform_award"
PLATFORM_CONSORTIUM = "xiamen_consortium_2025.national_platform_award"
INFO = {"xiamen_consortium_2025.first_set_equipment", "xiamen_consortium_2025.financing_support"}

PLATFORMS = pd.DataFrame({
    "enterprise_id": ["P1", "P2", "P3"],
    "city": ["厦门", "厦门", "厦门"],
    "consortium_member": ["是", None, "是"],
    "new_national_platforms": ["1", "1", "0"],
})

# test_cli's three: E1 (厦门) 1,234.56万 on 1,000万 → 6 steps = 600,000 + bonus 500,000; E2 (other city) not
# eligible; E3 exactly 200万, not 高于200万 → not eligible.  Each gave R&D figures, so both R&D items are kept.
RD = pd.DataFrame({
    "enterprise_id": ["E1", "E2", "E3"],
    "city": ["厦门", "other", "xiamen"],
    "rd_expense": ["1,234.56万", "500万", "200万"],
    "rd_expense_prev": ["1000万", "100万", "100万"],
})


def rows_of(table: pd.DataFrame) -> set[tuple]:
    return {(r.enterprise_id, r.item_id, r.status, r.amount_yuan) for r in table.itertuples()}


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical and string columns as Python objects, for comparing tables however they were stored."""
    out = frame.reset_index(drop=True)
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype) or out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


# ------------------------------------------------------------------------------------------ the long table

def test_the_rows_that_matter_worked_by_hand_for_the_platform_awards():
    result = calc.entitlements(PLATFORMS, as_of=AS_OF)
    table = long_table(result, lang="en")
    assert list(table.columns) == LONG_COLUMNS
    assert rows_of(table) == {
        ("P1", PLATFORM_CONSORTIUM, "granted", 30_000_000), ("P1", PLATFORM_STI, "duplicate", 30_000_000),
        *(("P1", i, "granted", 0) for i in INFO),
        ("P2", PLATFORM_CONSORTIUM, "needs_input", 0), ("P2", PLATFORM_STI, "granted", 30_000_000),
        *(("P3", i, "granted", 0) for i in INFO),
    }
    lost = table[(table.enterprise_id == "P1") & (table.item_id == PLATFORM_STI)].iloc[0]
    assert lost["won_by"] == PLATFORM_CONSORTIUM and not lost["counted"]
    assert table[table.status == "granted"]["counted"].all()
    # enterprise by enterprise, in the input's order
    assert list(dict.fromkeys(table["enterprise_id"])) == ["P1", "P2", "P3"]
    assert long_row_count(result) == len(table) == 8


def test_the_rows_that_matter_for_the_rd_items_and_every_row_with_rows_all():
    result = calc.entitlements(RD, as_of=AS_OF)
    table = long_table(result, lang="en")
    assert rows_of(table) == {("E1", STEP, "granted", 600_000), ("E1", BONUS, "granted", 500_000),
                              ("E2", STEP, "not_eligible", 0), ("E2", BONUS, "not_eligible", 0),
                              ("E3", STEP, "not_eligible", 0), ("E3", BONUS, "not_eligible", 0)}
    everything = long_table(result, lang="en", rows="all")
    assert len(everything) == 3 * len(result.nodes) == long_row_count(result, "all")
    # the kept rows are exactly the rows of the full table that are granted, lost, or given something
    assert set(map(tuple, table[["enterprise_id", "item_id"]].to_numpy())) <= \
        set(map(tuple, everything[["enterprise_id", "item_id"]].to_numpy()))


def test_every_row_with_inline_citations_is_the_engines_own_long_table():
    result = calc.entitlements(ROOT / "data" / "samples" / "population.csv", as_of=AS_OF)
    ours = plain(long_table(result, lang="zh", rows="all", citations="inline"))
    theirs = plain(result.items(lang="zh"))[LONG_COLUMNS]
    pd.testing.assert_frame_equal(ours[LONG_COLUMNS], theirs, check_dtype=False)


def test_rows_that_matter_on_the_sample_are_granted_lost_or_given_something():
    result = calc.entitlements(ROOT / "data" / "samples" / "population.csv", as_of=AS_OF)
    table = long_table(result)
    inputs = item_inputs(result)
    position = {e: i for i, e in enumerate(result.frame["enterprise_id"])}
    for item_id, part in table.groupby("item_id", observed=True):
        rows = np.asarray([position[e] for e in part["enterprise_id"]])
        kept = kept_rows(result, item_id)
        assert np.array_equal(np.sort(rows), kept)
        status = result.awards[item_id].status[rows]
        loose = ~np.isin(status, [0, 3])  # neither granted nor duplicate: must have been given something
        assert given(result.frame.iloc[rows[loose]], inputs[item_id]).all(), item_id
    # and nothing granted or lost is dropped
    n_granted_or_lost = sum(int(np.isin(a.status, [0, 3]).sum()) for a in result.awards.values())
    assert (table["status"].isin(["granted", "duplicate"])).sum() == n_granted_or_lost


def test_an_items_inputs_are_the_columns_its_rule_reads_without_the_requirements():
    result = calc.entitlements(RD, as_of=AS_OF)
    inputs = item_inputs(result)
    assert inputs[STEP] == ("rd_expense", "rd_expense_prev")
    assert inputs[PLATFORM_STI] == ("new_national_platforms",)
    assert all(not inputs[i] for i in INFO)  # info items read nothing
    assert not any("city" in cols or "consortium_member" in cols for cols in inputs.values())


def test_given_counts_zero_no_and_none_as_nothing():
    frame = calc.load_enterprises(pd.DataFrame({
        "enterprise_id": ["A", "B", "C", "D", "E"],
        "new_national_platforms": ["0", "2", None, None, None],
        "hightech_transformation_project": [None, None, "否", "是", None],
        "intl_coop_base_rating": [None, None, None, None, "none"],
    })).frame
    assert given(frame, ["new_national_platforms"]).tolist() == [False, True, False, False, False]
    assert given(frame, ["hightech_transformation_project"]).tolist() == [False, False, False, True, False]
    assert given(frame, ["intl_coop_base_rating"]).tolist() == [False] * 5
    frame2 = calc.load_enterprises(pd.DataFrame({"enterprise_id": ["A"], "intl_coop_base_rating": ["good"]})).frame
    assert given(frame2, ["intl_coop_base_rating"]).tolist() == [True]


def test_citation_ids_point_into_the_citations_table_whose_quotes_are_the_items_own():
    result = calc.entitlements(RD, as_of=AS_OF)
    table = citations_table(result)
    assert table["citation_id"].is_unique
    ids = citation_ids(result)
    by_id = table.set_index("citation_id")
    for node in result.nodes:
        row = by_id.loc[ids[node.id]]
        assert row["quote"] == node.citation.quote and row["article"] == node.citation.article
        assert node.id in row["items"].split()
        assert row["quote"] in result.citation(node.id)
    long = long_table(result)
    assert set(long["citation"].astype(str)) <= set(table["citation_id"])


# ------------------------------------------------------------------------------------------ the wide table

def test_the_wide_table_one_row_per_enterprise_with_status_codes_and_totals():
    result = calc.entitlements(RD, as_of=AS_OF)
    wide = wide_table(result).set_index("enterprise_id")
    assert len(wide) == 3
    assert wide.loc["E1", STEP] == 600_000 and wide.loc["E1", f"{STEP}:status"] == STATUS_CODES["granted"] == "G"
    assert wide.loc["E1", BONUS] == 500_000
    assert wide.loc["E2", f"{STEP}:status"] == "N" and wide.loc["E3", STEP] == 0
    # E1: formula 600,000 + ceiling 500,000
    assert tuple(wide.loc["E1", ["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]]) == (600_000, 500_000, 1_100_000)
    # the codes are the long table's statuses, one to one
    every = long_table(result, rows="all")
    for r in every.itertuples():
        assert wide.loc[r.enterprise_id, f"{r.item_id}:status"] == STATUS_CODES[r.status]
        assert wide.loc[r.enterprise_id, r.item_id] == r.amount_yuan


# ------------------------------------------------------------------------------------------ safe cells, writers

SPACES = "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace())


@settings(max_examples=300, deadline=None)
@hypothesis_given(st.lists(st.one_of(
    st.text(), st.text(alphabet=st.sampled_from(list("=+-@＝＋－＠'\t\r\n\x1b\u202e\u200b\x85a中 " + SPACES)), max_size=6),
    st.none()), max_size=20))
def test_the_vectorised_safe_cells_are_safe_cell_itself(values):
    array = pa.array(values, type=pa.string())
    assert safe_strings(array).to_pylist() == [None if v is None else safe_cell(v) for v in values]


def test_the_csv_writer_keeps_exact_integers_text_and_blanks(tmp_path):
    frame = pd.DataFrame({
        "big": pd.Series([2**70, 5, None], dtype=object),
        "dec": pd.Series([Decimal("1.50"), None, Decimal("2")], dtype=object),
        "text": ["=1+1", "\x1b[31m", None],
        "n": np.array([1, 2, 3], dtype=np.int64),
        "f": [0.5, np.nan, np.inf],
        "b": [True, False, True],
        "cat": pd.Categorical(["-x", None, "y"]),
    })
    path = write_csv(tmp_path / "t.csv", frame)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["big"].tolist() == [str(2**70), "5", ""]
    assert back["dec"].tolist() == ["1.50", "", "2"]
    assert back["text"].tolist() == ["'=1+1", "\\x1b[31m", ""]
    assert back["n"].tolist() == ["1", "2", "3"]
    assert back["f"].tolist() == ["0.5", "", ""]
    assert back["b"].tolist() == ["true", "false", "true"]
    assert back["cat"].tolist() == ["'-x", "", "y"]


def test_parquet_written_safe_and_read_back_through_the_loader(tmp_path):
    frame = pd.DataFrame({"enterprise_id": ["=E1", "E2"], "amount": np.array([1, 2], dtype=np.int64)})
    path = write_parquet(tmp_path / "t.parquet", frame)
    assert pq.read_table(path).column("enterprise_id").to_pylist() == ["'=E1", "E2"]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]  # no temporary file left


# ------------------------------------------------------------------------------------------ Parquet in

def test_a_parquet_input_gives_what_the_same_csv_gives(tmp_path):
    # numbers in a Parquet file are yuan, as in an XLSX: 12,345,600 yuan = 1,234.56万
    table = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3"], "city": ["厦门", "other", "xiamen"],
                          "rd_expense": [12_345_600, 5_000_000, 2_000_000],
                          "rd_expense_prev": [10_000_000, 1_000_000, 1_000_000]})
    table.to_parquet(tmp_path / "in.parquet")
    from_parquet = calc.entitlements(str(tmp_path / "in.parquet"), as_of=AS_OF)
    from_frame = calc.entitlements(RD, as_of=AS_OF)
    pd.testing.assert_frame_equal(wide_table(from_parquet), wide_table(from_frame))


def test_a_parquet_dataset_folder_is_read_in_name_order(tmp_path):
    folder = tmp_path / "ds"
    (folder / "year=2026").mkdir(parents=True)
    pd.DataFrame({"enterprise_id": ["B1"], "rd_expense": [1]}).to_parquet(folder / "year=2026" / "part.1.parquet")
    pd.DataFrame({"enterprise_id": ["A1", "A2"], "rd_expense": [2, 3]}).to_parquet(folder / "part.0.parquet")
    (folder / "_SUCCESS").write_text("")
    pd.DataFrame({"x": [1]}).to_parquet(folder / "_metadata.parquet")  # not data: starts with _
    frame, _ = read_table_file(folder)
    assert frame["enterprise_id"].tolist() == ["A1", "A2", "B1"]


def test_parquet_bounds_are_checked_from_the_footer_before_any_data_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.parquet"
    pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(1000)], "rd_expense": np.arange(1000)}).to_parquet(path)
    import calc.files

    def never(*args, **kwargs):
        raise AssertionError("data read before the bounds were checked")

    monkeypatch.setattr(calc.files, "read_parquet_part", never)
    with pytest.raises(LimitError, match="1,000 rows, above the limit of 999") as caught:
        read_table_file(path, limits=Limits(max_rows=999))
    assert caught.value.bound == "rows"
    with pytest.raises(LimitError, match="cells"):
        read_table_file(path, limits=Limits(max_cells=1999))
    with pytest.raises(LimitError, match="columns"):
        read_table_file(path, limits=Limits(max_columns=1))


def test_a_nested_or_broken_parquet_is_named_not_a_crash(tmp_path):
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"enterprise_id": ["E1"], "tags": pa.array([[1, 2]])}), nested)
    with pytest.raises(InputError, match="column 'tags' is of Parquet type list"):
        read_table_file(nested)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cannot read .* as Parquet"):
        read_table_file(broken)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="folder without .parquet files"):
        read_table_file(empty)


# ------------------------------------------------------------------------------------------ the command line

def calc_cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calc", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=300, **kwargs)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix,extra", [(".csv", []), (".parquet", []), (".xlsx", []),
                                          (".csv", ["--shape", "wide"]), (".parquet", ["--shape", "wide"])])
def test_the_same_input_gives_byte_identical_outputs(tmp_path, suffix, extra):
    source = ROOT / "data" / "samples" / "population.csv"
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    for out in (first, second):
        done = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", out, *extra)
        assert done.returncode == 0, done.stderr
    assert digest(first) == digest(second)
    if suffix != ".xlsx":
        for side in (".errors.csv", ".citations.csv"):
            assert digest(first.with_name("a" + side)) == digest(second.with_name("b" + side))


def test_csv_parquet_and_xlsx_hold_the_same_long_table(tmp_path):
    source = ROOT / "data" / "samples" / "population.csv"
    for suffix in (".csv", ".parquet", ".xlsx"):
        done = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", tmp_path / f"o{suffix}")
        assert done.returncode == 0, done.stderr
    csv = pd.read_csv(tmp_path / "o.csv", encoding="utf-8-sig", dtype={"enterprise_id": str}, keep_default_na=False)
    parquet = pd.read_parquet(tmp_path / "o.parquet")
    xlsx = pd.read_excel(tmp_path / "o.xlsx", sheet_name=None, dtype={"enterprise_id": str})
    assert {"items", "totals", "citations", "errors"} <= set(xlsx)
    want = plain(long_table(calc.entitlements(source, as_of=AS_OF)))
    for got in (csv, parquet, xlsx["items"].fillna("")):
        got = plain(got)
        assert got["enterprise_id"].tolist() == want["enterprise_id"].tolist()
        assert got["item_id"].tolist() == want["item_id"].tolist()
        assert got["amount_yuan"].astype(int).tolist() == want["amount_yuan"].tolist()
        assert got["status"].tolist() == want["status"].tolist()
        assert got["reason"].tolist() == want["reason"].tolist()
    citations = pd.read_csv(tmp_path / "o.citations.csv", encoding="utf-8-sig")
    assert set(csv["citation"]) <= set(citations["citation_id"])


def test_inline_citations_write_no_citations_file(tmp_path):
    source = tmp_path / "in.csv"
    RD.to_csv(source, index=False)
    done = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", tmp_path / "o.csv", "--citations", "inline")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "o.citations.csv").exists()
    table = pd.read_csv(tmp_path / "o.csv", encoding="utf-8-sig")
    assert table["citation"].str.contains("措施7").all()


def test_an_xlsx_that_would_not_fit_one_sheet_is_refused_before_any_work(tmp_path):
    # 40,330 enterprises × 26 items = 1,048,580 rows > 1,048,575 below the header: refused, nothing written
    n = -(-1_048_576 // 26)
    source = tmp_path / "many.csv"
    source.write_text("enterprise_id,city\n" + "".join(f"M{i},厦门\n" for i in range(n)), encoding="utf-8")
    done = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", tmp_path / "o.xlsx", "--rows", "all")
    assert done.returncode == 2, done.stderr
    assert "an Excel sheet holds 1,048,575" in done.stderr and "o.csv" in done.stderr
    assert not (tmp_path / "o.xlsx").exists()


def test_quiet_prints_no_summary(tmp_path):
    source = tmp_path / "in.csv"
    RD.to_csv(source, index=False)
    loud = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", tmp_path / "a.csv")
    quiet = calc_cli("entitlements", source, "--as-of", AS_OF, "--output", tmp_path / "b.csv", "--quiet")
    assert loud.returncode == quiet.returncode == 0
    assert "3 enterprises computed" in loud.stdout and quiet.stdout == ""
    assert "%|" not in loud.stderr  # stderr is not a terminal here: no bar


def _run_on_a_terminal(args: list[str], env: dict[str, str], columns: int = 100) -> tuple[int, str]:
    """Run the command with stderr (and stdout) on a pseudo-terminal ``columns`` wide (0: one that reports no size);
    return its exit status and what it printed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if columns else 0, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "calc", *args], cwd=ROOT, stdout=follower, stderr=follower,
                            env=env)
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return proc.returncode, out.decode("utf-8", "replace")


def test_a_progress_bar_on_a_terminal_after_the_delay_and_never_with_quiet(tmp_path):
    source = tmp_path / "in.csv"
    RD.to_csv(source, index=False)
    env = {**os.environ, "CALC_PROGRESS_DELAY": "0"}  # the bar's 2-second delay lowered for the test
    code, shown = _run_on_a_terminal(["entitlements", str(source), "--as-of", AS_OF, "--output",
                                      str(tmp_path / "a.csv")], env)
    assert code == 0 and "%|" in shown and "3 enterprises computed" in shown, shown
    code, shown = _run_on_a_terminal(["entitlements", str(source), "--as-of", AS_OF, "--output",
                                      str(tmp_path / "b.csv"), "--quiet"], env)
    assert code == 0 and "%|" not in shown and shown.strip() == "", shown
    # with the default delay a run this short shows no bar at all
    code, shown = _run_on_a_terminal(["entitlements", str(source), "--as-of", AS_OF, "--output",
                                      str(tmp_path / "c.csv")], {**os.environ, "CALC_PROGRESS_DELAY": "30"})
    assert code == 0 and "%|" not in shown and "3 enterprises computed" in shown, shown


def test_a_terminal_that_reports_no_width_still_gets_the_bar(tmp_path):
    """A pseudo-terminal not sized yet (0 × 0: `docker exec -t`, `script`) reports no width; tqdm draws nothing
    in 0 columns, so the bar takes calc.cli.BAR_COLUMNS there."""
    from calc.cli import BAR_COLUMNS

    source = tmp_path / "in.csv"
    RD.to_csv(source, index=False)
    code, shown = _run_on_a_terminal(["entitlements", str(source), "--as-of", AS_OF, "--output",
                                      str(tmp_path / "a.csv")], {**os.environ, "CALC_PROGRESS_DELAY": "0"}, columns=0)
    bars = [line for line in shown.replace("\r", "\n").splitlines() if "%|" in line]
    assert code == 0 and bars and "3 enterprises computed" in shown, shown
    assert max(len(line) for line in bars) == BAR_COLUMNS  # tqdm fills the width it is given


# ------------------------------------------------------------------------------------------ the column-speed XLSX

def test_the_column_speed_xlsx_holds_the_cells_safe_exact_and_typed(tmp_path):
    import openpyxl

    from calc.files import write_xlsx_fast

    frame = pd.DataFrame({
        "=id": ["=HYPERLINK(\"x\")", "a & <b>", None, "\x1b[2J", "  spaced  "],
        "n": np.array([1, 2**53 + 1, -(2**60), 0, 7], dtype=np.int64),  # beyond 2^53: text, to stay exact
        "f": [0.5, np.nan, np.inf, 2.25, -1.0],
        "b": [True, False, True, False, True],
        "cat": pd.Categorical(["x", None, "-y", "x", "x"]),
    })
    path = write_xlsx_fast(tmp_path / "t.xlsx", {"items": frame, "empty": frame.iloc[:0]})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["items", "empty"]
    ws = book["items"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["'=id", "n", "f", "b", "cat"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "a & <b>", None, "\\x1b[2J", "  spaced  "]
    assert [r[1] for r in rows[1:]] == [1, str(2**53 + 1), str(-(2**60)), 0, 7]
    assert [r[2] for r in rows[1:]] == [0.5, None, None, 2.25, -1]
    assert [r[3] for r in rows[1:]] == [True, False, True, False, True]
    assert [r[4] for r in rows[1:]] == ["x", None, "'-y", "x", "x"]
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)  # never a formula
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert [[c.value for c in r] for r in book["empty"].iter_rows()] == [["'=id", "n", "f", "b", "cat"]]
    # the same sheets, the same bytes
    again = write_xlsx_fast(tmp_path / "u.xlsx", {"items": frame, "empty": frame.iloc[:0]})
    assert digest(path) == digest(again)


def test_the_column_speed_xlsx_refuses_a_cell_excel_cannot_hold_before_writing(tmp_path):
    from calc.files import OutputError, write_xlsx_fast

    frame = pd.DataFrame({"reason": ["short", "x" * 32_768]})
    with pytest.raises(OutputError, match="row 3, column 'reason' holds 32,768 characters"):
        write_xlsx_fast(tmp_path / "t.xlsx", {"items": frame})
    assert not list(tmp_path.iterdir())
