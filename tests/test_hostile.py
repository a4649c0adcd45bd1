"""The hostile corpus (tests/hostile_corpus.py) through every command and loader, and the promises that must
hold whatever the input (README "Limits and guarantees"):

* the exit code says what happened (0 computed, 1 rows rejected, 2 unusable input), with a clear message and
  never a traceback;
* no input is changed, and a refused run writes nothing;
* no output cell is a formula, begins with an unescaped ``= + - @`` (or a tab or a carriage return), or holds a
  raw control character;
* no amount is negative or wrapped.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc import cli
from calc.files import InputError, safe_cell, write_csv, write_xlsx
from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS, load_consortia, load_enterprises
from hostile_corpus import AS_OF, Case, make_corpus

ROOT = Path(__file__).resolve().parents[1]
TRIGGER = re.compile(r"^[\s\u3000]*[=+\-@＝＋－＠]")
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
AMOUNT_COLUMN = re.compile(r"(^amount_yuan$|_yuan$)")
SIGNED_COLUMNS = {"change_yuan"}  # a reform's change may be negative; every other amount is ≥ 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[Case, int, str, dict]]:
    """Every case of the corpus run once through the command line: (case, exit code, what it said, the inputs'
    digests before the run)."""
    runs = []
    for case in make_corpus(tmp_path_factory.mktemp("hostile")):
        before = {p: digest(p) for p in case.inputs}
        code, said = run_cli(case.args)
        runs.append((case, code, said, before))
    return runs


def run_cli(args: list[str]) -> tuple[int, str]:
    """``python -m calc ARGS`` in this process: (exit code, stdout + stderr)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = cli.main(args)
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    return code, out.getvalue()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def text_cell_problem(value: str) -> str | None:
    if TRIGGER.match(value) and not value.startswith("'"):
        return "begins like a formula"
    if value[:1] in ("\t", "\r"):
        return "begins with a tab or carriage return"
    if RAW_CONTROL.search(value):
        return "holds a raw control character"
    return None


def output_problems(path: Path) -> list[str]:
    """Every cell of a CSV or XLSX output that breaks a promise."""
    problems = []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        sheets = {"": rows}
    else:
        book = openpyxl.load_workbook(path)
        sheets = {}
        for ws in book.worksheets:
            sheets[ws.title] = [[c.value for c in row] for row in ws.iter_rows()]
            problems += [f"{ws.title}!{c.coordinate} is a formula" for row in ws.iter_rows() for c in row
                         if c.data_type == "f"]
    for sheet, rows in sheets.items():
        if not rows:
            continue
        header = [str(h) for h in rows[0]]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                where = f"{path.name}:{sheet} row {r + 1} column {header[c] if c < len(header) else c}"
                if isinstance(value, str) and value:
                    problem = text_cell_problem(value)
                    if problem:
                        problems.append(f"{where} {problem}: {value[:40]!r}")
                if r and c < len(header) and AMOUNT_COLUMN.search(header[c]) and header[c] not in SIGNED_COLUMNS:
                    if value not in (None, "") and (int(value) < 0 or int(value) > 10**20):
                        problems.append(f"{where} amount out of range: {value!r}")
    return problems


def test_every_hostile_case_gives_its_exit_code_a_clear_message_and_keeps_every_promise(corpus):
    failures = []
    for case, code, said, before in corpus:
        wrong = []
        if code != case.exit:
            wrong.append(f"exit {code}, wanted {case.exit}")
        if case.message and case.message not in said:
            wrong.append(f"message {case.message!r} missing")
        if "Traceback" in said or "internal error" in said:
            wrong.append("a traceback or an internal error")
        if RAW_CONTROL.search(said):
            wrong.append("a raw control character on the terminal")
        if any(len(line) > 2_000 for line in said.splitlines()):
            wrong.append("a line of more than 2,000 characters on the terminal")
        wrong += [f"input {p.name} changed" for p, h in before.items() if digest(p) != h]
        for path in case.outputs:
            if case.exit == 2:
                if path.exists():
                    wrong.append(f"{path.name} written by a refused run")
            elif not path.exists():
                wrong.append(f"{path.name} not written")
            else:
                wrong += output_problems(path)
        wrong += [f"{p} exists" for p in case.absent if p.exists()]
        if wrong:
            failures.append(f"{case.name}: {'; '.join(wrong)}\n    {said.strip()[:500]}")
    assert not failures, "\n".join(failures)


def test_the_corpus_hand_worked_amounts(corpus):
    """The amounts of the corpus's valid rows, worked by hand, exact beyond int64 where they must be."""
    out = next(c for c, *_ in corpus if c.name == "4,000 × a million platforms").outputs[0]
    items = pd.read_csv(out, dtype=str).set_index("item_id")
    # 措施2: 新获批国家级创新平台给予一次性3000万元奖励: 4,000 × 1,000,000 × 30,000,000 = 1.2 × 10^17 yuan
    assert int(items.loc["xiamen_sti_measures.national_platform_award", "baseline_yuan"]) == 120_000_000_000_000_000
    # a long id is rejected with its value cut, the good row beside it computed (措施7: 300万 → 1 step = 10万)
    errors = pd.read_csv(out.parent / "long_id.errors.csv", dtype=str)
    assert errors["value"].str.len().max() < 300 and "1,048,576 characters" in errors["value"][0]
    table = pd.read_csv(out.parent / "long_id.csv", dtype=str)
    assert table.loc[table["item_id"] == "xiamen_sti_measures.rd_step_subsidy", "amount_yuan"].tolist() == ["100000"]
    # the injected ids come out neutralised, and the row with "=1+1" as its R&D is named in the errors
    injection = pd.read_csv(out.parent / "injection.csv", dtype=str, keep_default_na=False)
    assert {"'=1+1", "'@SUM(A1)", "ID1"} <= set(injection["enterprise_id"])
    injection_errors = pd.read_csv(out.parent / "injection.errors.csv", dtype=str, keep_default_na=False)
    # rows 1, 4, 7, 10 give an injection as R&D (every third row): named with their neutralised id and value;
    # "\t=1+1" and "＝1+1" read as the id "=1+1" (spaces stripped, NFKC), a duplicate of row 3's
    money = injection_errors[injection_errors["column"] == "rd_expense"]
    assert money["input_row"].tolist() == ["1", "4", "7", "10"]
    duplicates = injection_errors[injection_errors["column"] == "enterprise_id"]
    assert duplicates["input_row"].tolist() == ["7", "9", "11"]
    assert injection_errors["id"][0] == "'=HYPERLINK(\"http://example.com/x\",\"click\")"
    assert injection_errors["value"][0] == "'=HYPERLINK(\"http://example.com/x\",\"click\")"
    assert "\\x09=1+1" in set(injection_errors["value"])  # a tab at the start is shown escaped, not written raw
    assert all(text_cell_problem(v) is None for v in injection_errors["value"])
    # the future: every item not in force, said in the output as well as on stderr
    future = pd.read_csv(out.parent / "future.csv", dtype=str)
    assert set(future["status"]) == {"not_in_force"}


@pytest.mark.parametrize("loader,columns", [(load_enterprises, ENTERPRISE_COLUMNS), (load_consortia, CONSORTIUM_COLUMNS)])
def test_the_python_loaders_take_every_corpus_file_or_raise_input_error(corpus, loader, columns):
    files = sorted({p for case, *_ in corpus for p in case.inputs if p.suffix in (".csv", ".xlsx")})
    for path in files:
        try:
            parsed = loader(path)
        except InputError:
            continue
        # every data row is either kept or named in the errors (blank rows are neither)
        kept = set(parsed.frame["input_row"])
        rejected = set(parsed.errors["input_row"])
        assert not kept & rejected, path.name


def test_a_writer_killed_midway_leaves_the_previous_output_intact(tmp_path):
    # 40,000 enterprises → 40,000 × 26 item rows: several seconds of writing, long enough to be killed in
    rows = "".join(f"K{i},厦门,{300 + i % 700}万,100万\n" for i in range(40_000))
    source = tmp_path / "big.csv"
    source.write_text("enterprise_id,city,rd_expense,rd_expense_prev\n" + rows, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("the previous output\n", encoding="utf-8")
    before = digest(out)
    proc = subprocess.Popen([sys.executable, "-m", "calc", "entitlements", str(source), "--as-of", AS_OF,
                             "--output", str(out), "--rows", "all"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120

    def writing() -> bool:  # the temporary output holds its first bytes: the writer is midway
        return any(p.stat().st_size > 0 for p in tmp_path.glob(".out.csv.*.tmp"))

    while not writing() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert proc.poll() is None, "the run ended before its temporary output appeared"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert digest(out) == before  # the previous output, byte for byte
    assert out.read_text(encoding="utf-8") == "the previous output\n"
    # and a run that finishes replaces it whole
    done = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(source), "--as-of", AS_OF, "--output",
                           str(out), "--rows", "all"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out, usecols=["enterprise_id"])) == 40_000 * 26


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")

    class FullDisk:  # the CSV writer writes half a file, then the disk is full
        def __init__(self, sink, schema):
            self.sink = sink

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write_table(self, table):
            self.sink.write(b"half a fi")
            raise OSError(28, "No space left on device")

    import pyarrow.csv

    monkeypatch.setattr(pyarrow.csv, "CSVWriter", FullDisk)
    with pytest.raises(OSError) as raised:
        write_csv(out, pd.DataFrame({"a": ["x"]}))
    # the writer's error names no file: it is named by the one written (the command line prints both)
    assert (raised.value.strerror, raised.value.filename) == ("No space left on device", str(out))
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # the temporary file is gone too


def test_an_internal_error_is_one_line_with_its_own_exit_code_and_the_traceback_only_with_debug(tmp_path, monkeypatch):
    source = tmp_path / "e.csv"
    source.write_text("enterprise_id,city,rd_expense\nE1,厦门,300万\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nwith a second line")

    monkeypatch.setattr(sys.modules["calc.entitlements"], "entitlements", broken)
    code, said = run_cli(["entitlements", str(source), "--output", str(tmp_path / "o.csv")])
    assert code == 3
    assert said.strip().splitlines() == ["internal error: RuntimeError: a bug (run with --debug for the traceback; "
                                         "please report it)"]
    code, said = run_cli(["entitlements", str(source), "--output", str(tmp_path / "o.csv"), "--debug"])
    assert code == 3 and "Traceback" in said and "RuntimeError: a bug" in said
    assert not (tmp_path / "o.csv").exists()


# ------------------------------------------------------------------------------------------------ properties

CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=1+1", "+E2", "-5万", "@x", "\t=1", "1,234.56万", "0.58亿", "是", "否", "厦门", "优秀", "",
                     "92233720368547758", "1e400", "nan", "inf", "-0", "１２３", "3家", "\x1b[2J", "\u202e"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)


def load_drawn_table(data, loader, columns):
    """A table of 1–4 rows with a valid id and up to 8 schema columns of arbitrary cells, loaded.

    Whatever the cells, each row is kept or named in the errors (never both), and nothing raises."""
    n = data.draw(st.integers(min_value=1, max_value=4))
    names = data.draw(st.lists(st.sampled_from([c.name for c in columns]), min_size=1, max_size=8, unique=True))
    id_name = next(c.name for c in columns if c.kind == "id")
    table = {id_name: [f"ID{i}" for i in range(n)]}
    for name in names:
        table[name] = data.draw(st.lists(CELL, min_size=n, max_size=n))
    parsed = loader(pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in table.items()}))
    kept, rejected = set(parsed.frame["input_row"]), set(parsed.errors["input_row"])
    assert not kept & rejected and kept | rejected <= set(range(1, n + 1))
    return parsed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_arbitrary_cells_in_every_column_are_computed_or_named_never_a_crash(data):
    from calc.entitlements import entitlements

    parsed = load_drawn_table(data, load_enterprises, ENTERPRISE_COLUMNS)
    result = entitlements(parsed, as_of=AS_OF)
    totals = result.totals()
    assert (totals[["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]] >= 0).all().all()
    for node in result.nodes:
        assert (result.awards[node.id].amount >= 0).all(), node.id


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_arbitrary_cells_in_every_consortium_column_are_assessed_or_named_never_a_crash(data):
    from calc.eligibility import assess_consortia

    parsed = load_drawn_table(data, load_consortia, CONSORTIUM_COLUMNS)
    summary = assess_consortia(parsed, as_of=AS_OF, jurisdictions="all").summary()
    assert len(summary) == 4 * len(parsed.frame)  # every kept consortium, in each of the four jurisdictions


@given(st.text())
def test_a_safe_cell_never_begins_like_a_formula_nor_holds_a_control_character(text):
    safe = safe_cell(text)
    assert text_cell_problem(safe) is None
    if not RAW_CONTROL.search(text) and not any(ch in text for ch in "\t\r\n\x85\u200b\u200c\u200d\u200e\u200f\u2028\u2029\ufeff"):
        assert safe in (text, "'" + text)  # only the apostrophe is added to plain text
    else:
        assert len(safe) >= len(text)  # control characters are shown escaped, not dropped


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=5), st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=5))
def test_arbitrary_text_and_numbers_written_to_csv_and_xlsx_stay_safe_and_exact(tmp_path_factory, texts, numbers):
    n = min(len(texts), len(numbers))
    frame = pd.DataFrame({"text": pd.Series(texts[:n], dtype=object), "amount_yuan": np.array(numbers[:n], dtype=np.int64)})
    d = tmp_path_factory.mktemp("w")
    write_csv(d / "o.csv", frame.assign(amount_yuan=frame["amount_yuan"].abs() // 2))
    write_xlsx(d / "o.xlsx", {"s": frame.assign(amount_yuan=frame["amount_yuan"].abs() // 2)})
    assert not output_problems(d / "o.csv") and not output_problems(d / "o.xlsx")
    # integers beyond 2^53 are written as text in the XLSX, so they stay exact
    book = openpyxl.load_workbook(d / "o.xlsx")
    values = [row[1] for row in book["s"].iter_rows(min_row=2, values_only=True)]
    assert [int(v) for v in values] == (frame["amount_yuan"].abs() // 2).tolist()
