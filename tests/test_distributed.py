"""Dask (calc/distributed.py): the same calls partition by partition give the single-process results, row for row.

A small LocalCluster in the test process (threads, processes=False) for the Python API, and the command line's
``--workers 2`` (two worker processes) once.  The input is the 2,400-enterprise sample with bad rows put in
(rows 5 and 1,700: a unit the column cannot take, a negative amount; row 2,000 a duplicate of an id in the
same partition), so that the rejected rows, their row numbers and messages are compared too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")
import dask.dataframe as dd  # noqa: E402

import calc  # noqa: E402
from calc.distributed import MARKER, consortia_dataset, entitlements_dataset, local_client  # noqa: E402
from calc.outputs import long_table, wide_table  # noqa: E402
from test_outputs import plain  # noqa: E402 - categorical and string columns as Python objects

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"
SAMPLES = ROOT / "data" / "samples"




@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    table = pd.read_csv(SAMPLES / "population.csv", dtype=str, keep_default_na=False)
    table.loc[4, "rd_expense"] = "12万x"          # input row 5: not an amount
    table.loc[1699, "rd_expense_prev"] = "-5万"    # input row 1,700: negative
    table.loc[1999, "enterprise_id"] = table.loc[1950, "enterprise_id"]  # row 2,000 repeats row 1,951's id
    return table


@pytest.fixture(scope="module")
def dataset(raw, tmp_path_factory) -> Path:
    """The table as a partitioned Parquet dataset: 3 files, row groups of 300 rows."""
    folder = tmp_path_factory.mktemp("in") / "enterprises"
    folder.mkdir()
    for i, start in enumerate((0, 900, 1800)):
        raw.iloc[start:start + 900].to_parquet(folder / f"part.{i}.parquet", row_group_size=300, index=False)
    return folder


@pytest.fixture(scope="module")
def client():
    with local_client(2, processes=False, memory_limit=None) as c:
        yield c


@pytest.fixture(scope="module")
def single(raw):
    return calc.entitlements(raw, as_of=AS_OF)


@pytest.mark.parametrize("shape,rows,citations", [("long", "matter", "id"), ("long", "all", "inline"),
                                                  ("wide", "matter", "id")])
def test_a_dataset_on_dask_gives_the_single_process_table_and_errors(client, dataset, single, tmp_path, shape, rows,
                                                                     citations):
    out = tmp_path / "out"
    run = entitlements_dataset(dataset, out, as_of=AS_OF, shape=shape, rows=rows, citations=citations, client=client,
                               partition_rows=600)
    assert run.parts == 4  # files of 900, 900 and 600 rows in row groups of 300: 8 groups, batched two by two
    want = wide_table(single) if shape == "wide" else long_table(single, rows=rows, citations=citations)
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(plain(got), plain(want), check_dtype=False)
    # the same rows rejected, with the input's own row numbers and the same words
    pd.testing.assert_frame_equal(plain(run.errors), plain(single.errors), check_dtype=False)
    assert sorted(run.errors["input_row"].unique().tolist()) == [5, 1700, 2000]
    assert run.rows == len(single.frame) == 2400 - 3 and run.rejected_rows == 3
    totals = single.totals()
    assert run.sums["total_yuan"] == int(totals["total_yuan"].sum())
    assert (out / MARKER).is_file() and not list(tmp_path.glob(".out.*"))


def test_a_dask_dataframe_of_raw_cells_gives_the_same(client, raw, single, tmp_path):
    frame = dd.from_pandas(raw, npartitions=4)
    run = entitlements_dataset(frame, tmp_path / "out", as_of=AS_OF, client=client)
    assert run.parts == 4
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out")), plain(long_table(single)),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(plain(run.errors), plain(single.errors), check_dtype=False)


def test_consortia_on_dask_give_the_single_process_criteria_and_summary(client, tmp_path):
    raw = pd.read_csv(SAMPLES / "consortia.csv", dtype=str, keep_default_na=False)
    single = calc.assess_consortia(raw, as_of=AS_OF, jurisdictions="all")
    run = consortia_dataset(raw, tmp_path / "out", as_of=AS_OF, jurisdictions="all", client=client,
                            partition_rows=max(len(raw) // 3, 1))
    assert run.parts >= 3
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out" / "criteria")), plain(single.criteria("zh")),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out" / "summary")), plain(single.summary("zh")),
                                  check_dtype=False)


def test_a_folder_this_program_did_not_write_is_never_replaced(client, dataset, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("mine")
    with pytest.raises(calc.files.OutputError, match="did not write"):
        entitlements_dataset(dataset, theirs, as_of=AS_OF, client=client)
    assert [p.name for p in theirs.iterdir()] == ["keep.txt"]
    # a folder it wrote is replaced whole: no part of the previous run is left
    ours = tmp_path / "ours"
    entitlements_dataset(dataset, ours, as_of=AS_OF, client=client, partition_rows=300)
    assert len(list(ours.glob("part.*.parquet"))) == 8
    entitlements_dataset(dataset, ours, as_of=AS_OF, client=client, partition_rows=900)
    assert len(list(ours.glob("part.*.parquet"))) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_command_line_with_two_worker_processes_matches_the_single_process_run(raw, dataset, tmp_path):
    single_out, folder = tmp_path / "single.parquet", tmp_path / "dask_out"
    one = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(dataset), "--as-of", AS_OF, "--output",
                          str(single_out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    two = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(dataset), "--as-of", AS_OF, "--output",
                          str(folder), "--workers", "2", "--partition-rows", "900"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)  # rows rejected, the rest written
    assert "2397 enterprises computed in 3 partitions, 3 rejected" in two.stdout
    pd.testing.assert_frame_equal(plain(pd.read_parquet(folder)), plain(pd.read_parquet(single_out)), check_dtype=False)
    assert (tmp_path / "dask_out.errors.csv").read_bytes() == (tmp_path / "single.errors.csv").read_bytes()
    assert (tmp_path / "dask_out.citations.csv").read_bytes() == (tmp_path / "single.citations.csv").read_bytes()
    # the error lines on stderr are the same lines
    errors = lambda text: sorted(l for l in text.splitlines() if l.startswith("error:"))  # noqa: E731
    assert errors(two.stderr) == errors(one.stderr) and len(errors(one.stderr)) == 3


def test_unusable_dask_arguments_exit_2(dataset, tmp_path):
    for extra, message in ((["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
                           (["--workers", "0"], "--workers must be 1"),
                           (["--workers", "1", "--partition-rows", "0"], "--partition-rows")):
        done = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(dataset), "--as-of", AS_OF,
                               "--output", str(tmp_path / "o"), *extra], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 2 and message in done.stderr, (extra, done.stderr)
    done = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(dataset), "--as-of", AS_OF,
                           "--output", str(tmp_path / "o.csv"), "--workers", "1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "is a folder" in done.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.csv").exists()


def test_compare_on_dask_gives_the_single_process_items_budget_lines_and_enterprises(client, tmp_path):
    # a cap of 300万 on the R&D step subsidy, its reform scenario budgeted at 2亿 and ceilings counted at 80%:
    # the budget line's factor needs the whole population's claims, so it is summed first, then applied per part
    from calc.distributed import compare_dataset

    raw = pd.read_csv(SAMPLES / "population.csv", dtype=str, keep_default_na=False)
    reform = {"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}}
    budgets = {"xiamen_sti_measures.rd_step_subsidy": "2亿"}
    single = calc.compare(raw, [reform], as_of=AS_OF, budgets=budgets, award_share="80%")
    run = compare_dataset(raw, tmp_path / "out", [reform], as_of=AS_OF, budgets=budgets, award_share="80%",
                          client=client, partition_rows=700)
    pd.testing.assert_frame_equal(run.items, single.items, check_dtype=False)
    pd.testing.assert_frame_equal(run.budget_lines, single.budget_lines, check_dtype=False)
    line = run.budget_lines.iloc[0]  # paid + remainder is the budget, to the yuan
    assert line["prorated_yuan"] + line["remainder_yuan"] == 200_000_000
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out")), plain(single.enterprises),
                                  check_dtype=False)


def test_the_consortium_command_on_two_workers_writes_the_single_process_criteria_and_summary(tmp_path):
    source = SAMPLES / "consortia.csv"
    done = subprocess.run([sys.executable, "-m", "calc", "consortium", str(source), "--as-of", AS_OF,
                           "--jurisdiction", "all", "--workers", "2", "--partition-rows", "20", "--output",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    single = calc.assess_consortia(source, as_of=AS_OF, jurisdictions="all")
    n = len(single.inputs.frame)
    assert f"{n} consortia assessed in {-(-n // 20)} partitions, 0 rejected" in done.stdout
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out" / "criteria")), plain(single.criteria("zh")),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out" / "summary")), plain(single.summary("zh")),
                                  check_dtype=False)
    assert len(pd.read_csv(tmp_path / "out.errors.csv")) == 0
