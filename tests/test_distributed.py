"""Dask (calc/distributed.py): the same calls partition by partition give the single-process results, row for row.

A small LocalCluster in the test process (threads, processes=False) for the Python API, and the command line's
``--workers 2`` (two worker processes) once.  The input is the 2,400-enterprise sample with bad rows put in
(rows 5 and 1,700: a unit the column cannot take, a negative amount; row 2,000 a duplicate of an id in the
same partition; rows 1,301, 2,200 and 2,300 repeat ids first used in earlier partitions, row 2,300 with a
negative amount too), so that the rejected rows, their row numbers and messages are compared too.
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
from processes import children  # noqa: E402 - this machine's processes, read from /proc
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
    # ids used first in another partition (with 600-row partitions, or the dataset's 900-row files): row 1,301
    # repeats row 701's id (a space before it: the loader strips it); rows 2,200 and 2,300 repeat row 10's, the
    # second a repeat within its own partition too (its message names row 10, the first use in the whole input)
    table.loc[1300, "enterprise_id"] = " " + table.loc[700, "enterprise_id"]
    table.loc[2199, "enterprise_id"] = table.loc[9, "enterprise_id"]
    table.loc[2299, "enterprise_id"] = table.loc[9, "enterprise_id"]
    table.loc[2299, "rd_expense"] = "-3"
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
    assert sorted(run.errors["input_row"].unique().tolist()) == [5, 1301, 1700, 2000, 2200, 2300]
    assert run.rows == len(single.frame) == 2400 - 6 and run.rejected_rows == 6
    repeats = run.errors.loc[run.errors["input_row"].isin([1301, 2200, 2300]), "message"].tolist()
    assert [m.split(": ", 1)[1] for m in repeats[:3]] == [
        "duplicate enterprise_id 'XM00701' (first used in row 701); only the first row is kept",
        "duplicate enterprise_id 'XM00010' (first used in row 10); only the first row is kept",
        "duplicate enterprise_id 'XM00010' (first used in row 10); only the first row is kept"]
    assert "is negative" in repeats[3]  # row 2,300's own error, after its id's (the id column comes first)
    totals = single.totals()
    assert run.sums["total_yuan"] == int(totals["total_yuan"].sum())
    assert (out / MARKER).is_file() and not list(tmp_path.glob(".out.*"))


def test_a_table_read_here_is_sent_to_the_workers_not_inside_the_task_graph(client, raw, single, tmp_path):
    """A DataFrame (or a CSV the client reads) on one partition went to the workers inside the task's graph, and
    distributed warned "Sending large graph of size 15.10 MiB" on a 100,000-row CSV (seen with --workers 2). With
    the warning's threshold lowered below the sample's size, no such warning, and the same table."""
    import warnings

    import dask

    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "64kB"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("error", message="Sending large graph")
        for parts in (1, 4):  # one partition (no duplicate check across partitions) and several
            out = tmp_path / f"out{parts}"
            run = entitlements_dataset(raw, out, as_of=AS_OF, client=client,
                                       partition_rows=-(-len(raw) // parts))
            assert run.parts == parts
            pd.testing.assert_frame_equal(plain(pd.read_parquet(out)), plain(long_table(single)),
                                          check_dtype=False)


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


def test_a_row_group_larger_than_a_partition_is_split(client, raw, single, tmp_path):
    """pandas writes a Parquet file of up to 1,048,576 rows as one row group, and a row group was one partition:
    a 1,000,000-row file ran on one worker of two (seen: 1 partition, 23.6 s).  A group larger than
    partition_rows is cut into slices: 2,400 rows in one group and 600-row partitions are 4 partitions, 900-row
    ones 3 (900 + 900 + 600), with the single-process table, errors and row numbers."""
    source = tmp_path / "one_group.parquet"
    raw.to_parquet(source, index=False, row_group_size=len(raw))
    import pyarrow.parquet as pq

    assert pq.ParquetFile(source).metadata.num_row_groups == 1
    for partition_rows, parts in ((600, 4), (900, 3)):
        out = tmp_path / f"out{partition_rows}"
        run = entitlements_dataset(source, out, as_of=AS_OF, client=client, partition_rows=partition_rows)
        assert run.parts == parts
        pd.testing.assert_frame_equal(plain(pd.read_parquet(out)), plain(long_table(single)), check_dtype=False)
        pd.testing.assert_frame_equal(plain(run.errors), plain(single.errors), check_dtype=False)


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
    assert "2394 enterprises computed in 3 partitions, 6 rejected" in two.stdout
    pd.testing.assert_frame_equal(plain(pd.read_parquet(folder)), plain(pd.read_parquet(single_out)), check_dtype=False)
    assert (tmp_path / "dask_out.errors.csv").read_bytes() == (tmp_path / "single.errors.csv").read_bytes()
    assert (tmp_path / "dask_out.citations.csv").read_bytes() == (tmp_path / "single.citations.csv").read_bytes()
    # the error lines on stderr are the same lines
    errors = lambda text: sorted(l for l in text.splitlines() if l.startswith("error:"))  # noqa: E731
    assert errors(two.stderr) == errors(one.stderr) and len(errors(one.stderr)) == 7


def _workers_of(pid: int) -> list[int]:
    """The worker processes (multiprocessing's spawned children) of process ``pid``."""
    return children(pid, b"spawn_main")


def test_ctrl_c_at_the_terminal_during_a_run_on_worker_processes_ends_in_one_line(raw, tmp_path):
    """A terminal's Ctrl-C reaches the whole foreground process group, the local cluster's workers too: they died
    mid-task and logged "Failed to communicate with scheduler during heartbeat" with tracebacks (reproduced in
    one run of two), and the teardown was logged as errors.  The workers do not stop on it (started while the
    command ignores it, then silencing their logs on it; calc.distributed.local_client): the command alone stops,
    with its one line and exit 130, writes no output, and its workers end with the cluster."""
    import os
    import signal
    import time

    source = tmp_path / "in.parquet"
    pd.concat([raw] * 40, ignore_index=True).assign(  # 96,000 rows: a run that lasts while the signal comes
        enterprise_id=lambda f: [f"E{i:06d}" for i in range(len(f))]).to_parquet(source, index=False)
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "calc", "entitlements", str(source), "--as-of", AS_OF, "--output",
                            str(out), "--workers", "2", "--partition-rows", "8000"], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def interrupts(pid: int, field: str) -> bool:  # SigIgn: ignored, SigCgt: caught (/proc's signal masks)
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            return False
        mask = int(next(line for line in status if line.startswith(field + ":")).split()[1], 16)
        return bool(mask & (1 << (signal.SIGINT - 1)))

    deadline = time.monotonic() + 120  # both workers up with their preload's handler; the command's own back
    while not ((workers := _workers_of(run.pid)) and len(workers) == 2
               and all(interrupts(w, "SigCgt") for w in workers) and interrupts(run.pid, "SigCgt")):
        assert run.poll() is None and time.monotonic() < deadline, ("no two workers catching SIGINT", workers,
                                                                    run.poll())
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    stdout, stderr = run.communicate(timeout=120)
    assert (run.returncode, stderr, stdout) == (130, "interrupted; no output was replaced\n", "")
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_stop_asked_of_one_run_does_not_stop_the_next(client, dataset, tmp_path):
    """A Ctrl-C during a run on local_client sets calc.distributed.STOP_ASKED (the run looks at it where a
    KeyboardInterrupt could have been dropped); it is that run's alone: cleared when its cluster closes, so a
    later run on a client of the caller's own goes through."""
    import signal

    from calc.distributed import STOP_ASKED

    def interrupt_myself(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # as a Ctrl-C in the middle of the run would
        raise AssertionError("not interrupted")

    with pytest.raises(KeyboardInterrupt):
        with local_client(1, processes=False, memory_limit=None):
            interrupt_myself()
    assert not STOP_ASKED.is_set()
    run = entitlements_dataset(dataset, tmp_path / "out", as_of=AS_OF, client=client)
    assert (run.rows, run.rejected_rows) == (2394, 6)


def test_an_interrupt_python_cannot_raise_is_left_to_the_run(monkeypatch):
    """A Ctrl-C that comes in a finalizer or a garbage collector's callback cannot be raised there: Python hands it
    to sys.unraisablehook, which printed a traceback (distributed's GCDiagnosis, seen in CI) and dropped it.
    During a run that hook lets a KeyboardInterrupt go once a stop is asked (the run looks at STOP_ASKED), and
    passes on anything else."""
    from calc.distributed import STOP_ASKED, _quiet_when_interrupted

    seen: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: seen.append(type(info.exc_value).__name__))

    class Raises:
        def __init__(self, error: BaseException):
            self.error = error

        def __del__(self):
            raise self.error

    with _quiet_when_interrupted({}):
        Raises(KeyboardInterrupt())  # no stop asked: passed on
        STOP_ASKED.set()
        try:
            Raises(KeyboardInterrupt())  # the run's own: not printed
            Raises(ValueError("kept"))
        finally:
            STOP_ASKED.clear()
    Raises(KeyboardInterrupt())  # after the run: passed on
    assert seen == ["KeyboardInterrupt", "ValueError", "KeyboardInterrupt"]


def test_a_part_finished_after_its_run_stopped_writes_nothing(tmp_path):
    """A task still running when its run stops (Ctrl-C, another part's error) finishes after the run's hidden folder
    is removed: it used to create the folder again with its part in it (a hidden folder left beside the output,
    seen on Ctrl-C); the parts are written without creating folders, so it fails and leaves nothing."""
    from calc.files import write_parquet

    gone = tmp_path / ".out.abc.tmp"
    with pytest.raises(FileNotFoundError):
        write_parquet(gone / "part.00000.parquet", pd.DataFrame({"a": [1]}), make_folder=False)
    assert list(tmp_path.iterdir()) == []
    # and by default a writer makes its folder (the single-process outputs)
    assert write_parquet(gone / "part.00000.parquet", pd.DataFrame({"a": [1]})).is_file()


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


# ---------------------------------------------------------------------------------------------- ids and limits

def test_a_dataset_is_bounded_per_file_and_per_partition_not_as_a_whole(client, dataset, tmp_path):
    # --limit rows=N on Dask bounds what one process holds: each 900-row file of the dataset (and each partition),
    # not the 2,400 rows of the whole; at 899 the first file is refused before any work, naming it
    from calc.files import LimitError
    from calc.limits import DEFAULT

    run = entitlements_dataset(dataset, tmp_path / "ok", as_of=AS_OF, client=client, partition_rows=600,
                               limits=DEFAULT.replace(max_rows=900))
    assert run.rows + run.rejected_rows == 2400
    with pytest.raises(LimitError, match=r"part\.0\.parquet .*900 rows, above the limit of 899"):
        entitlements_dataset(dataset, tmp_path / "no", as_of=AS_OF, client=client, partition_rows=600,
                             limits=DEFAULT.replace(max_rows=899))
    assert not (tmp_path / "no").exists()


def test_an_id_repeated_in_every_partition_is_kept_once_whatever_the_partitioning(client, raw, tmp_path):
    # the same id in rows 1, 801, 1,601 and 2,400 (one per 600-row partition, and twice in the last 800-row one):
    # row 1 is kept, the three others rejected naming row 1, with 600-, 800- and 2,400-row partitions alike
    table = raw.copy()
    for i in (800, 1600, 2399):
        table.loc[i, "enterprise_id"] = table.loc[0, "enterprise_id"]
    single = calc.entitlements(table, as_of=AS_OF)
    for rows in (600, 800, 2400):
        run = entitlements_dataset(table, tmp_path / f"out{rows}", as_of=AS_OF, client=client, partition_rows=rows,
                                   shape="wide")
        pd.testing.assert_frame_equal(plain(run.errors), plain(single.errors), check_dtype=False)
        repeats = run.errors[run.errors["input_row"].isin([801, 1601, 2400])]
        assert len(repeats) == 3 and repeats["message"].str.contains(r"\(first used in row 1\)").all()
        pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / f"out{rows}")), plain(wide_table(single)),
                                      check_dtype=False)


# ---------------------------------------------------------------------------------------------- the projection

PROJECTION = dict(reforms=[{"name": "cap 300万", "parameters": {"xiamen_sti_measures.rd_step_subsidy.cap": "300万"}}],
                  rd_growth=0.12, rd_growth_sd=0.15, platform_rate=0.05, draws=25, seed=20261202, award_share="80%")


@pytest.fixture(scope="module")
def projected(raw):
    return calc.project(raw, [2026, 2027, 2028], **PROJECTION)


def _same_projection(got, want) -> None:
    for table in ("by_item", "by_year", "change"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(want, table))
    assert got.assumptions == want.assumptions


@pytest.mark.parametrize("partition_rows", [10**6, 700, 333])
def test_the_monte_carlo_projection_on_dask_is_the_single_process_one(client, raw, projected, partition_rows):
    # one partition, and 4 or 8 partitions whose bounds fall anywhere among the rows: the same costs, recipients,
    # P10/P50/P90 (of each scenario and of the change) to the yuan, and the same enterprise-years held at the
    # ceiling; the random values are keyed by the input rows, and each partition's sums are in fen until merged
    from calc.distributed import project_dataset

    run = project_dataset(raw, [2026, 2027, 2028], client=client, partition_rows=partition_rows, **PROJECTION)
    assert run.parts == -(-2400 // partition_rows)
    _same_projection(run.projection, projected)
    assert (run.rows, run.rejected_rows) == (2394, 6)
    drawn = projected.by_year.set_index(["year", "scenario"]).loc[(2027, "baseline")]
    assert drawn["p10_yuan"] < drawn["p50_yuan"] < drawn["p90_yuan"]  # the growth's spread reaches the cost


def test_the_projection_from_a_parquet_dataset_and_a_dask_dataframe_is_the_same(client, raw, dataset, projected):
    from calc.distributed import project_dataset

    _same_projection(project_dataset(dataset, [2026, 2027, 2028], client=client, partition_rows=600,
                                     **PROJECTION).projection, projected)
    _same_projection(project_dataset(dd.from_pandas(raw, npartitions=3), [2026, 2027, 2028], client=client,
                                     **PROJECTION).projection, projected)


def test_the_projection_s_default_years_come_from_the_whole_population(client, raw):
    # no years given: from the earliest claim year of all partitions to the policies' last year, as in one process
    from calc.distributed import project_dataset

    table = raw.copy()
    table["claim_year"] = "2027"
    table.loc[2100, "claim_year"] = "2026"  # in the last partition only
    single = calc.project(table, None, **PROJECTION)
    run = project_dataset(table, None, client=client, partition_rows=600, **PROJECTION)
    assert run.projection.years[0] == 2026 == single.years[0]
    _same_projection(run.projection, single)


# ---------------------------------------------------------------------------------------------- the budget command

def test_the_budget_command_on_two_workers_writes_the_single_process_files(raw, tmp_path):
    # the items (cost, recipients, a budget line pro-rated over the whole population), the rejected rows and the
    # projection with its Monte Carlo percentiles: the same bytes, the same lines on stdout and stderr
    source = tmp_path / "population.csv"
    raw.to_csv(source, index=False)
    reform = tmp_path / "reform.yaml"
    reform.write_text("name: cap 300万\nxiamen_sti_measures.rd_step_subsidy.cap: 300万\n", encoding="utf-8")
    common = ["budget", str(source), "--as-of", AS_OF, "--reform", str(reform), "--budget",
              "xiamen_sti_measures.rd_step_subsidy=2亿", "--award-share", "80%", "--years", "2026-2028", "--draws",
              "20", "--growth-sd", "0.15", "--seed", "5"]
    one = subprocess.run([sys.executable, "-m", "calc", *common, "--output", str(tmp_path / "one.csv")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    two = subprocess.run([sys.executable, "-m", "calc", *common, "--output", str(tmp_path / "two.csv"), "--workers",
                          "2", "--partition-rows", "700"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)  # rows rejected, the rest computed
    for suffix in (".csv", ".errors.csv", ".projection.csv", ".projection_items.csv"):
        assert (tmp_path / f"two{suffix}").read_bytes() == (tmp_path / f"one{suffix}").read_bytes(), suffix
    assert two.stdout.replace("two.csv", "one.csv") == one.stdout and two.stderr == one.stderr
    assert "2394 enterprises, 6 rejected" in two.stdout and "budget xiamen_sti_measures.rd_step_subsidy" in two.stdout
    projection = pd.read_csv(tmp_path / "two.projection.csv", encoding="utf-8-sig")
    assert projection["scenario"].tolist()[:3] == ["baseline", "reform", "change"]


def test_the_budget_command_on_dask_writes_the_enterprises_as_a_dataset_and_refuses_xlsx(raw, tmp_path):
    source = tmp_path / "population.csv"
    raw.to_csv(source, index=False)
    done = subprocess.run([sys.executable, "-m", "calc", "budget", str(source), "--as-of", AS_OF, "--output",
                           str(tmp_path / "out"), "--workers", "1", "--partition-rows", "1000"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    single = calc.compare(raw, [], as_of=AS_OF)
    pd.testing.assert_frame_equal(plain(pd.read_parquet(tmp_path / "out")), plain(single.enterprises),
                                  check_dtype=False)
    assert len(pd.read_csv(tmp_path / "out.items.csv", encoding="utf-8-sig")) == len(single.items)
    refused = subprocess.run([sys.executable, "-m", "calc", "budget", str(source), "--as-of", AS_OF, "--output",
                              str(tmp_path / "r.xlsx"), "--workers", "1"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "XLSX report holds a row per enterprise" in refused.stderr
    assert not (tmp_path / "r.xlsx").exists()


# ---------------------------------------------------------------------------------------------- warnings

def test_the_dask_commands_warn_of_assumed_dates_as_one_process_does(tmp_path):
    # 2028-06-30 falls in the months where the data's assumed end of the Xiamen measures (2027-12-31; the text
    # gives no issue date: its last day may be 2027-12-31 … 2028-12-30) decides: the same warning on stderr
    source = SAMPLES / "enterprises.csv"
    args = ["entitlements", str(source), "--as-of", "2028-06-30", "--quiet"]
    one = subprocess.run([sys.executable, "-m", "calc", *args, "--output", str(tmp_path / "one.parquet")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    two = subprocess.run([sys.executable, "-m", "calc", *args, "--output", str(tmp_path / "two"), "--workers", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    warnings = lambda text: [l for l in text.splitlines() if l.startswith("warning:")]  # noqa: E731
    assert one.returncode == two.returncode == 0, (one.stderr, two.stderr)
    assert warnings(two.stderr) == warnings(one.stderr)
    assert any("--policy-dates xiamen_sti_measures=START..END" in w for w in warnings(two.stderr))


def test_unknown_columns_are_warned_on_dask_as_in_one_process(raw, tmp_path):
    # a header the schema does not know is carried through and named on stderr, with the nearest known column;
    # on Dask as in one process (the warnings came from the single-process path only before)
    from calc.inputs import unknown_column_warnings
    table = raw.iloc[10:610].assign(rd_expens="1", 备注="x")  # past the bad row 5; a typo of rd_expense, a note
    folder = tmp_path / "in"
    folder.mkdir()
    table.iloc[:300].to_parquet(folder / "part.0.parquet", index=False)
    table.iloc[300:].to_parquet(folder / "part.1.parquet", index=False)
    expected = unknown_column_warnings(calc.load_enterprises(table).unknown_columns)
    assert expected == ["warning: unknown column 'rd_expens' carried through untouched (did you mean 'rd_expense'?)",
                        "warning: unknown column '备注' carried through untouched"]
    done = subprocess.run([sys.executable, "-m", "calc", "entitlements", str(folder), "--as-of", AS_OF, "--output",
                           str(tmp_path / "out"), "--workers", "1", "--partition-rows", "300"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [l for l in done.stderr.splitlines() if l.startswith("warning: unknown")] == expected
