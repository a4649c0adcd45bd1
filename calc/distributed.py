"""Beyond one machine: ``entitlements``, ``assess_consortia``, ``compare`` and the Monte Carlo projection
(``project``) partition by partition on Dask.

A province's or the country's enterprises do not fit one process comfortably; the same calls run here one
partition at a time on the workers of a ``dask.distributed`` cluster (a :class:`distributed.LocalCluster` of N
processes, or an existing cluster by its scheduler's address):

* the input is a partitioned Parquet dataset (a folder, as Dask or Spark write it), a Parquet file, a Dask
  DataFrame of raw cells, or any table the loaders take (read on the client, bounded, then split);
* the policies are shipped once to every worker (``Client.scatter(…, broadcast=True)``), not with every task;
* each task loads its partition with the same loader (:func:`calc.inputs.load_enterprises`), computes it with
  the same :func:`calc.entitlements.entitlements`, shapes it with :mod:`calc.outputs` and writes its own part
  ``part.NNNNN.parquet`` of the output folder: the results are never gathered on the client.  Only small
  things come back: counts, exact sums, the rejected rows.

Results are identical to the single-process run, row for row and cell for cell; the projection's random values
are keyed by each enterprise's input row (:data:`calc.budget.RANDOM_BLOCK_ROWS`), so its draws do not depend on
the partitioning either.  An id used in two partitions is found by a first pass over the id column (distinct ids
hashed into buckets, each bucket checked by one task: :func:`_duplicates`) and rejected with the loader's own
message.  One difference comes from splitting: the bounds of :class:`calc.limits.Limits` apply to what one
process holds (a CSV/XLSX input read on the client as a whole, each file of a Parquet dataset, each partition),
not to a dataset as a whole.  Row numbers in the errors are the input's own (each partition's offset added).

The output folder is written whole or not at all: the parts go to a hidden folder beside it, renamed into place
at the end, with a ``_calc_dataset.json`` describing the run (readers of Parquet datasets skip files starting
with ``_``); an existing output folder is replaced only if that file says this program wrote it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calc.files import InputError, OutputError, escape_controls, parquet_files, parquet_layout, read_parquet_part, \
    read_table_file, write_csv, write_parquet
from calc.limits import DEFAULT, Limits

MARKER = "_calc_dataset.json"
PARTITION_ROWS = 250_000

__all__ = ["local_client", "entitlements_dataset", "consortia_dataset", "compare_dataset", "project_dataset",
           "DatasetRun", "CompareRun", "ProjectionRun",
           "cli_entitlements", "cli_consortium", "cli_budget", "PARTITION_ROWS", "MARKER"]


def _dask():
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise InputError("running on Dask needs the dask extra: pip install 'sti-subsidy-calc[dask]'") from None
    return distributed


# ============================================================================================ the cluster

@contextlib.contextmanager
def local_client(workers: int | None = None, scheduler: str | None = None, *, processes: bool = True,
                 memory_limit: str | int | None = "auto", threads_per_worker: int = 1) -> Iterator[Any]:
    """A ``distributed.Client``: on the cluster at ``scheduler``, or on a :class:`LocalCluster` of ``workers``
    processes (one thread each: the engine uses numpy on whole columns, one core per worker); closed after.

    Ctrl-C stops the run in one line.  A terminal sends it to every process of its foreground group, the local
    workers too: they died mid-task, and the cluster's teardown was logged as errors by every process, 5 to 70
    lines of tracebacks (reproduced).  So:

    * the local workers do not stop on it: they are started while this process ignores it (a child inherits
      that), then their preload (:func:`dask_setup`) has it silence their logs instead.  The cost: a Ctrl-C in
      the two or three seconds the local cluster takes to start is not seen;
    * one while the client connects or while the cluster closes is held, and delivered after (interrupted
      there, a half-started cluster was left to distributed's exit hook, which failed on it: "AssertionError:
      Status.init");
    * one during the run silences this process's logs of distributed, tornado and asyncio until the cluster is
      closed (:func:`_quiet_when_interrupted`)."""
    distributed = _dask()
    cluster = client = None
    silenced: dict[str, int] = {}
    try:
        if scheduler:
            with _interrupts_held():
                client = distributed.Client(scheduler)
        else:
            preload = {"preload": [__name__]} if processes else {}
            with _on_interrupt(signal.SIG_IGN):  # and so by the workers it starts
                cluster = distributed.LocalCluster(n_workers=workers or 1, threads_per_worker=threads_per_worker,
                                                   processes=processes, memory_limit=memory_limit,
                                                   dashboard_address=":0", silence_logs=logging.ERROR, **preload)
                client = distributed.Client(cluster)
        STOP_ASKED.clear()
        with _quiet_when_interrupted(silenced):
            yield client
    finally:
        with _interrupts_held():
            try:
                for part in (client, cluster):
                    if part is not None:
                        part.close()
            finally:
                for name, level in silenced.items():
                    logging.getLogger(name).setLevel(level)
                STOP_ASKED.clear()  # asked of this run only: a later run on a client of the caller's is not stopped


#: the loggers a stop mid-run would fill: the cluster's teardown reads as errors to them
TEARDOWN_LOGGERS = ("distributed", "tornado", "asyncio")


def _silence_logs(levels: dict[str, int]) -> None:
    """Every logger of TEARDOWN_LOGGERS and below them above CRITICAL; their previous levels kept in ``levels``."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in TEARDOWN_LOGGERS]
    for name in {*TEARDOWN_LOGGERS, *names}:
        logger = logging.getLogger(name)
        levels.setdefault(name, logger.level)
        logger.setLevel(logging.CRITICAL + 1)


def dask_setup(worker: Any) -> None:  # noqa: ARG001 - distributed's preload hook, run as a worker process starts
    """A local worker does not stop on Ctrl-C (the command that started it stops the run and closes the cluster):
    it silences its logs instead, which would read the teardown as errors (see :func:`local_client`)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda signum, frame: _silence_logs({}))


@contextlib.contextmanager
def _quiet_when_interrupted(levels: dict[str, int]) -> Iterator[None]:
    """While the block runs, a Ctrl-C silences the teardown's loggers (previous levels in ``levels``) before it
    interrupts as Python does: the callbacks that log run on distributed's own thread at once.

    Where Python cannot raise the KeyboardInterrupt (it came in a finalizer, a Dask future's ``__del__``, or in a
    garbage collector's callback, distributed's ``GCDiagnosis``), it hands it to ``sys.unraisablehook``, which
    printed it with a traceback and dropped it, and the run went on to write its output (seen once in eight runs):
    during the block that hook lets such an interrupt go unprinted, and the run stops at its next look at
    STOP_ASKED (:func:`_stop_if_asked`)."""
    def interrupted(signum: int, frame: Any) -> None:  # noqa: ARG001
        _silence_logs(levels)
        STOP_ASKED.set()
        raise KeyboardInterrupt

    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if not (isinstance(info.exc_value, KeyboardInterrupt) and STOP_ASKED.is_set()):
            previous_hook(info)

    sys.unraisablehook = unraisable
    try:
        with _on_interrupt(interrupted):
            yield
    finally:
        sys.unraisablehook = previous_hook


#: set by a Ctrl-C during a run (:func:`_quiet_when_interrupted`), looked at by the run where an interrupt Python
#: could not raise would otherwise be lost
STOP_ASKED = threading.Event()


def _stop_if_asked() -> None:
    if STOP_ASKED.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C held while the block runs and delivered at its end, as it came, to the handler that was there."""
    caught: list[int] = []
    with _on_interrupt(lambda signum, frame: caught.append(signum)):
        yield
    if caught:
        signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def _on_interrupt(handler: Any) -> Iterator[None]:
    """Ctrl-C handled by ``handler`` (a function, or ``signal.SIG_IGN``: ignored, by this process and by the
    processes it starts meanwhile) while the block runs.  On the main thread only: elsewhere a signal's handler
    cannot be set, and nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ============================================================================================ one partition

@dataclass
class PartResult:
    index: int
    rows: int                  # enterprises (consortia) computed
    rejected_rows: int
    errors: pd.DataFrame
    sums: dict[str, int]
    peak_rss_bytes: int
    worker: str = ""
    unknown_columns: dict[str, str | None] = field(default_factory=dict)  # header -> nearest known column


def _part_result(index: int, parsed: Any, sums: dict[str, Any]) -> PartResult:
    return PartResult(index, len(parsed.frame), parsed.bad_row_count, parsed.errors, sums, _peak_rss(),
                      _worker_name(), dict(parsed.unknown_columns))


def _unknown_columns(results: Sequence[PartResult]) -> dict[str, str | None]:
    """The headers the schema does not know, over every partition (in partition order, each once)."""
    unknown: dict[str, str | None] = {}
    for r in results:
        for header, suggestion in r.unknown_columns.items():
            unknown.setdefault(header, suggestion)
    return unknown


_ROW = re.compile(r"^row (\d+)")
_FIRST = re.compile(r"\(first used in row (\d+)\)")


def _renumbered(errors: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A partition's errors with the input's own row numbers (the partition's offset added)."""
    if not len(errors) or not offset:
        return errors
    errors = errors.copy()
    errors["input_row"] = errors["input_row"] + offset
    errors["message"] = [_first_row(_ROW.sub(lambda m: f"row {int(m.group(1)) + offset}", msg, count=1),
                                    lambda row: row + offset)
                         for msg in errors["message"]]
    return errors


def _first_row(message: str, new: Callable[[int], int]) -> str:
    """A duplicate's message with its "(first used in row N)" — the last one: an id may hold the same words —
    renumbered by ``new``."""
    found = list(_FIRST.finditer(message))
    if not found:
        return message
    last = found[-1]
    return f"{message[:last.start()]}(first used in row {new(int(last.group(1)))}){message[last.end():]}"


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def _source_frame(source: Any, wanted: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """A partition's raw cells (only the columns whose header ``wanted`` accepts, when given)."""
    if isinstance(source, pd.DataFrame):
        return source if wanted is None else source[[c for c in source.columns if wanted(str(c).strip())]]
    pieces, names, described = source
    if wanted is not None:
        names = [n for n in names if n.strip() and wanted(n.strip())]
    return read_parquet_part([(Path(f), g) for f, g in pieces], names, described)


def _load_part(table: str, source: Any, offset: int, limits: Limits, dups: Mapping[str, Any] | None = None) -> Any:
    """A partition loaded by the single-process loader, its rows numbered as in the whole input, and the rows whose
    id an earlier partition uses rejected as the loader rejects a duplicate (see :func:`_duplicates`)."""
    from dataclasses import replace

    from calc.inputs import load_consortia, load_enterprises

    raw = _source_frame(source)
    parsed = (load_enterprises if table == "enterprises" else load_consortia)(raw, limits=limits)
    parsed.frame["input_row"] = parsed.frame["input_row"].to_numpy() + offset
    parsed = replace(parsed, errors=_renumbered(parsed.errors, offset))
    if dups and (dups["rows"] or dups["ids"]):
        parsed = _reject_duplicates(parsed, raw, table, offset, dups)
    return parsed


def _id_column(table: str) -> Any:
    from calc.inputs import TABLES

    return next(c for c in TABLES[table] if c.kind == "id" and c.required)


def _reject_duplicates(parsed: Any, raw: pd.DataFrame, table: str, offset: int, dups: Mapping[str, Any]) -> Any:
    """The rows of this partition whose id was first used in an earlier partition, rejected with the loader's own
    error ("duplicate enterprise_id 'X' (first used in row N); only the first row is kept", N the first row in
    the whole input); the loader's messages for repeats within the partition name that first row too."""
    from dataclasses import replace

    from calc.inputs import _error_piece, shown

    id_name = _id_column(table).name
    header = next((h for h, c in parsed.column_map.items() if c == id_name), id_name)
    errors = parsed.errors
    if len(errors) and dups["ids"]:  # repeats within the partition: the first use is in an earlier one
        firsts = dups["ids"]
        fix = (errors["column"] == header).to_numpy() & errors["id"].isin(list(firsts)).to_numpy() \
            & errors["message"].str.contains("(first used in row ", regex=False).to_numpy()
        if fix.any():
            errors = errors.copy()
            errors.loc[fix, "message"] = [_first_row(m, lambda _, first=firsts[i]: first)
                                          for i, m in zip(errors.loc[fix, "id"], errors.loc[fix, "message"])]
    frame = parsed.frame
    rows = frame["input_row"].to_numpy()
    hit = np.isin(rows, np.fromiter(dups["rows"], dtype=np.int64, count=len(dups["rows"])))
    if hit.any():
        position = {h: i for i, h in enumerate(raw.columns)}
        ids = frame[id_name].to_numpy(dtype=object)[hit]
        where = rows[hit] - offset - 1  # positions in the partition's raw cells
        messages = np.array([f"duplicate {id_name} {shown(v)} (first used in row {dups['rows'][int(r)]}); only the "
                             "first row is kept" for v, r in zip(ids, rows[hit])], dtype=object)
        piece = _error_piece(np.arange(len(ids)), rows[hit], pd.array(ids, dtype=object), id_name, header,
                             raw[header].to_numpy(dtype=object)[where], messages, position.get(header, 0) + 0.5)
        errors = errors.assign(_order=[position.get(c, 0) for c in errors["column"]]) if len(errors) else \
            errors.assign(_order=pd.Series([], dtype=float))
        errors = pd.concat([errors, piece], ignore_index=True)
        errors = errors.sort_values(["input_row", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
        frame = frame[~hit]
    return replace(parsed, frame=frame, errors=errors)


def _entitlement_part(source: Any, index: int, offset: int, policies: Any, settings: Mapping[str, Any],
                      dups: Mapping[str, Any] | None = None) -> PartResult:
    from calc.entitlements import entitlements
    from calc.money import exact_sum
    from calc.outputs import long_table, wide_table

    parsed = _load_part("enterprises", source, offset, settings["limits"], dups)
    result = entitlements(parsed, as_of=settings["as_of"], policies=policies, options=settings["options"])
    if settings["shape"] == "wide":
        table = wide_table(result)
    else:
        table = long_table(result, lang=settings["lang"], rows=settings["rows"], citations=settings["citations"])
    write_parquet(Path(settings["folder"]) / f"part.{index:05d}.parquet", table, make_folder=False)
    totals = result.totals()
    sums = {name: exact_sum(totals[name].to_numpy()) for name in ("formula_fixed_yuan", "ceiling_yuan", "total_yuan")}
    return _part_result(index, parsed, sums)


def _consortium_part(source: Any, index: int, offset: int, policies: Any, settings: Mapping[str, Any],
                     dups: Mapping[str, Any] | None = None) -> PartResult:
    from calc.eligibility import assess_consortia

    parsed = _load_part("consortia", source, offset, settings["limits"], dups)
    result = assess_consortia(parsed, as_of=settings["as_of"], jurisdictions=settings["jurisdictions"],
                              policies=policies, options=settings["options"])
    folder = Path(settings["folder"])
    write_parquet(folder / "criteria" / f"part.{index:05d}.parquet", result.criteria(lang=settings["lang"]),
                  make_folder=False)
    summary = result.summary(lang=settings["lang"])
    write_parquet(folder / "summary" / f"part.{index:05d}.parquet", summary, make_folder=False)
    counts = summary["status"].value_counts().to_dict() if len(summary) else {}
    return _part_result(index, parsed, {str(k): int(v) for k, v in counts.items()})


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


# ============================================================================================ planning

@dataclass
class _Plan:
    sources: list[Any]          # per partition: a pandas frame, a Dask future/delayed, or (pieces, names, described)
    offsets: list[int]          # rows of the input before each partition
    described: str


def _plan(client: Any, source: Any, partition_rows: int, limits: Limits, table: str) -> _Plan:
    """Partitions of the input, each with the number of input rows before it."""
    if _is_dask_frame(source):
        lengths = [int(n) for n in source.map_partitions(len).compute()]
        parts = client.compute(source.to_delayed())
        return _Plan(list(parts), list(np.cumsum([0, *lengths[:-1]])), "Dask DataFrame")
    if isinstance(source, (str, Path)) and (Path(source).is_dir() or Path(source).suffix.lower() == ".parquet"):
        path = Path(source)
        described = escape_controls(str(path))
        if not path.exists():
            raise InputError(f"file not found: {described}")
        files = parquet_files(path) if path.is_dir() else [path]
        names, groups = parquet_layout(files, described, limits, per_part=True)
        sources, offsets, offset = [], [], 0
        batch: list[tuple[Path, Any, int]] = []

        def flush() -> None:
            nonlocal offset
            if not batch:
                return
            pieces: dict[str, list[Any]] = {}  # row groups, or slices of them
            for f, g, _ in batch:
                pieces.setdefault(str(f), []).append(g)
            sources.append((list(pieces.items()), names, described))
            offsets.append(offset)
            offset += sum(n for *_, n in batch)
            batch.clear()

        for group in _split_groups(groups, partition_rows):  # in order, batched up to partition_rows
            if batch and sum(n for *_, n in batch) + group[2] > partition_rows:
                flush()
            batch.append(group)
        flush()
        return _Plan(sources, offsets, described)
    if isinstance(source, pd.DataFrame):
        frame, described = source, "DataFrame"
    elif isinstance(source, (str, Path)):
        from calc.inputs import TABLES, _match_header  # the loader's own sheet choice for a workbook

        id_col = next(c for c in TABLES[table] if c.kind == "id" and c.required)
        frame, described = read_table_file(source, limits=limits, sheet_names=(table,),
                                           prefer=lambda hs: any(_match_header(h, table, strict=False)[0] is id_col
                                                                 for h in hs))
    else:
        raise InputError(f"cannot run on Dask from {type(source).__name__}: pass a Dask DataFrame, a Parquet dataset "
                         "(folder) or file, a DataFrame, or the path of a .csv or .xlsx file")
    starts = list(range(0, max(len(frame), 1), partition_rows))
    return _Plan([frame.iloc[s:s + partition_rows].reset_index(drop=True) for s in starts], starts, described)


def _split_groups(groups: Sequence[tuple[Path, int, int]], partition_rows: int) -> Iterator[tuple[Path, Any, int]]:
    """Row groups as ``(file, row group, rows)``, each larger than ``partition_rows`` cut into slices of that many
    rows, ``(file, (row group, first row, end row), rows)``: a file written by pandas holds a row group of up to
    1,048,576 rows, and one partition of it left all workers but one idle."""
    for f, g, n in groups:
        if n <= partition_rows:
            yield f, g, n
            continue
        for start in range(0, n, partition_rows):
            end = min(n, start + partition_rows)
            yield f, (g, start, end), end - start


def _is_dask_frame(source: Any) -> bool:
    return type(source).__module__.startswith("dask") and hasattr(source, "to_delayed")


# ============================================================================================ ids across partitions

def _ids_part(source: Any, offset: int, table: str, limits: Limits, buckets: int,
              claim_year: bool) -> tuple[list[tuple[np.ndarray, np.ndarray]], int | None]:
    """The first pass of a run, on one partition: its id column (and claim year) read and loaded by the loader,
    each distinct id with its first input row, sent to a bucket by the id's hash; and the first claim year."""
    from calc.inputs import _match_header, load_consortia, load_enterprises

    wanted = {_id_column(table).name, "claim_year"} if claim_year else {_id_column(table).name}

    def matches(header: str) -> bool:
        try:
            column = _match_header(header, table, strict=False)[0]
        except InputError:
            return False
        return column is not None and column.name in wanted

    raw = _source_frame(source, matches)
    parsed = (load_enterprises if table == "enterprises" else load_consortia)(raw, limits=limits)
    ids = parsed.frame[_id_column(table).name].to_numpy(dtype=object)  # each id once: the loader keeps the first
    rows = parsed.frame["input_row"].to_numpy(dtype=np.int64) + offset
    which = (pd.util.hash_array(ids) % np.uint64(buckets)).astype(np.intp) if len(ids) else np.zeros(0, np.intp)
    out = [(ids[which == b], rows[which == b]) for b in range(buckets)]
    first_year = None
    if claim_year and "claim_year" in parsed.frame.columns:
        from calc.budget import first_claim_year

        first_year = first_claim_year(parsed.frame)
    return out, first_year


def _bucket(pieces: tuple, b: int) -> tuple[np.ndarray, np.ndarray]:
    return pieces[0][b]


def _bucket_duplicates(pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[Any, int, list[int]]]:
    """One bucket of every partition's ids: the ids used in more than one partition, each with its first input
    row and the rows that repeat it (exact: the ids themselves are compared, not their hashes)."""
    ids = np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, dtype=object)
    rows = np.concatenate([p[1] for p in pieces]) if pieces else np.zeros(0, dtype=np.int64)
    repeated = pd.Series(ids, dtype=object).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    table = pd.DataFrame({"id": ids[repeated], "row": rows[repeated]}).sort_values("row", kind="stable")
    return [(key, int(group["row"].iloc[0]), [int(r) for r in group["row"].iloc[1:]])
            for key, group in table.groupby("id", sort=False)]


def _duplicates(client: Any, plan: _Plan, table: str, limits: Limits,
                claim_year: bool = False) -> tuple[list[dict[str, dict]], int | None]:
    """Ids used in two partitions, found before any computation by a pass over the id column: each partition's
    distinct ids hashed into buckets, each bucket checked by one task, only the repeated ids coming back.  Per
    partition: ``{"rows": {input row: first row}, "ids": {id: first row}}`` for the ids an earlier partition
    used first; and the first claim year of the population (when ``claim_year``)."""
    from operator import getitem

    empty: list[dict[str, dict]] = [{"rows": {}, "ids": {}} for _ in plan.sources]
    # a table read by this process goes to the workers once, for both passes, and never inside a task's graph
    # (distributed warns of a graph over 10 MiB: a 100,000-row CSV on one partition made one)
    if any(isinstance(src, pd.DataFrame) for src in plan.sources):
        plan.sources[:] = client.scatter(list(plan.sources), hash=False)
    if len(plan.sources) < 2 and not claim_year:
        return empty, None  # one partition: the loader finds every repeat itself
    buckets = max(1, min(len(plan.sources), 64))
    parts = [client.submit(_ids_part, src, off, table, limits, buckets, claim_year, pure=False)
             for src, off in zip(plan.sources, plan.offsets)]
    years = client.gather([client.submit(getitem, p, 1, pure=False) for p in parts]) if claim_year else []
    found: list[tuple[Any, int, list[int]]] = []
    if len(plan.sources) > 1:
        checks = [client.submit(_bucket_duplicates, [client.submit(_bucket, p, b, pure=False) for p in parts],
                                pure=False) for b in range(buckets)]
        for result in client.gather(checks):
            found.extend(result)
    for p in parts:
        p.release()
    bounds = np.asarray(plan.offsets, dtype=np.int64)
    for key, first, repeats in found:
        home = int(np.searchsorted(bounds, first, side="left")) - 1  # rows offset+1 … belong to that partition
        for row in repeats:
            part = int(np.searchsorted(bounds, row, side="left")) - 1
            if part != home:
                empty[part]["rows"][row] = first
                empty[part]["ids"][key] = first
    given = [y for y in years if y is not None]
    return empty, (min(given) if given else None)


# ============================================================================================ the output folder

@contextlib.contextmanager
def _dataset_folder(folder: Path, marker: Mapping[str, Any], subfolders: Sequence[str] = ()) -> Iterator[Path]:
    """A hidden folder beside ``folder`` (with ``subfolders``) to write the parts into, renamed into place when the
    block succeeds; an existing ``folder`` is replaced only when this program wrote it (its ``_calc_dataset.json``).

    When the block fails or is interrupted, tasks may still be running on the workers: the folder is renamed
    before it is removed, so a part finished after that finds no folder to write into (the tasks never create it:
    ``make_folder=False``) instead of leaving a hidden folder with a part in it (reproduced on Ctrl-C)."""
    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise OutputError(f"--output {escape_controls(str(folder))} is a file, not a folder")
        if any(folder.iterdir()) and not (folder / MARKER).is_file():
            raise OutputError(f"--output {escape_controls(str(folder))} is a folder this program did not write (no "
                              f"{MARKER}): choose a new or empty folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for name in subfolders:
            (tmp / name).mkdir()
        yield tmp
        (tmp / MARKER).write_text(json.dumps(marker, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                                  encoding="utf-8")
        os.chmod(tmp, 0o755 & ~_umask())
        _stop_if_asked()  # the last moment a Ctrl-C leaves nothing written
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old / "dataset")
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        gone = tmp.with_name(tmp.name[:-len(".tmp")] + ".gone")
        with contextlib.suppress(OSError):
            os.replace(tmp, gone)
            tmp = gone
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ============================================================================================ runs

@dataclass
class DatasetRun:
    """What came back from a run: the folder, counts, exact sums, the rejected rows, and per worker the peak
    memory (resident set size, bytes) of its process."""

    folder: Path
    parts: int
    rows: int
    rejected_rows: int
    errors: pd.DataFrame
    sums: dict[str, int]
    peak_rss_by_worker: dict[str, int] = field(default_factory=dict)
    unknown_columns: dict[str, str | None] = field(default_factory=dict)  # header -> nearest known column


def _collect(futures: list, progress: Callable[[float], None] | None) -> list:
    """The partitions' results in partition order, each future released once read; the rest cancelled if one
    fails."""
    from distributed import as_completed

    results = []
    try:
        for future in as_completed(futures):
            _stop_if_asked()
            results.append(future.result())
            future.release()
            if progress is not None:
                progress(1 / max(len(futures), 1))
        _stop_if_asked()
    finally:
        for f in futures:
            f.cancel()
    return sorted(results, key=lambda r: r.index)


def _run(kind: str, client: Any, source: Any, folder: Path | str, settings: dict[str, Any], policies: Any,
         partition_rows: int, limits: Limits, progress: Callable[[float], None] | None) -> DatasetRun:

    from calc.policies import default_policies

    table = "enterprises" if kind == "entitlements" else "consortia"
    plan = _plan(client, source, partition_rows, limits, table)
    dups, _ = _duplicates(client, plan, table, limits)  # ids used in two partitions, before any computation
    policies = policies or default_policies()
    shipped = client.scatter(policies, broadcast=True, hash=False)  # once per worker, not per task
    marker = {"command": kind, "as_of": settings["as_of"].isoformat(), "parts": len(plan.sources),
              **{k: v for k, v in settings.items() if k in ("shape", "rows", "lang", "citations", "options",
                                                              "jurisdictions")}}
    work = _entitlement_part if kind == "entitlements" else _consortium_part
    results: list[PartResult] = []
    with _dataset_folder(Path(folder), marker, () if kind == "entitlements" else ("criteria", "summary")) as tmp:
        settings = {**settings, "folder": str(tmp), "limits": limits}
        futures = [client.submit(work, src, i, off, shipped, settings, dups[i], pure=False)
                   for i, (src, off) in enumerate(zip(plan.sources, plan.offsets))]
        plan.sources.clear()  # each partition's cells released once its task has read them
        results.extend(_collect(futures, progress))
        marker.update(rows=sum(r.rows for r in results), rejected_rows=sum(r.rejected_rows for r in results))
    errors = [r.errors for r in results if len(r.errors)]
    sums: dict[str, int] = {}
    for r in results:
        for k, v in r.sums.items():
            sums[k] = sums.get(k, 0) + v
    peaks: dict[str, int] = {}
    for r in results:
        peaks[r.worker] = max(peaks.get(r.worker, 0), r.peak_rss_bytes)
    from calc.inputs import _empty_errors

    return DatasetRun(Path(folder), len(results), sum(r.rows for r in results),
                      sum(r.rejected_rows for r in results),
                      pd.concat(errors, ignore_index=True) if errors else _empty_errors(), sums, peaks,
                      _unknown_columns(results))


def entitlements_dataset(source: Any, folder: Path | str, *, as_of: dt.date | str | None = None,
                         options: Mapping[str, str] | None = None, policies: Any = None, shape: str = "long",
                         rows: str = "matter", lang: str = "zh", citations: str = "id", client: Any = None,
                         workers: int | None = None, scheduler: str | None = None,
                         partition_rows: int = PARTITION_ROWS, limits: Limits = DEFAULT,
                         progress: Callable[[float], None] | None = None) -> DatasetRun:
    """``entitlements`` over ``source`` partition by partition, each part of the table (:mod:`calc.outputs`'s
    ``shape``, ``rows``, ``citations``) written to ``folder`` as ``part.NNNNN.parquet``; on ``client``, or on a
    cluster made for the call (``workers`` local processes, or the one at ``scheduler``)."""
    from calc.entitlements import _as_date, _check_options
    from calc.outputs import CITATIONS, ROWS, SHAPES
    from calc.policies import default_policies

    for name, value, allowed in (("shape", shape, SHAPES), ("rows", rows, ROWS), ("citations", citations, CITATIONS)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    as_of = _as_date(as_of)
    _check_options(policies or default_policies(), options)
    settings = {"as_of": as_of, "options": dict(options or {}), "shape": shape, "rows": rows, "lang": lang,
                "citations": citations}
    if client is not None:
        return _run("entitlements", client, source, folder, settings, policies, partition_rows, limits, progress)
    with local_client(workers, scheduler) as own:
        return _run("entitlements", own, source, folder, settings, policies, partition_rows, limits, progress)


def consortia_dataset(source: Any, folder: Path | str, *, as_of: dt.date | str | None = None,
                      jurisdictions: str | Sequence[str] | None = None, options: Mapping[str, str] | None = None,
                      policies: Any = None, lang: str = "zh", client: Any = None, workers: int | None = None,
                      scheduler: str | None = None, partition_rows: int = PARTITION_ROWS, limits: Limits = DEFAULT,
                      progress: Callable[[float], None] | None = None) -> DatasetRun:
    """``assess_consortia`` partition by partition: ``folder/criteria/`` and ``folder/summary/`` are two
    partitioned Parquet datasets (the criteria table and the summary of each part)."""
    from calc.entitlements import _as_date, _check_options
    from calc.policies import default_policies

    as_of = _as_date(as_of)
    _check_options(policies or default_policies(), options)
    settings = {"as_of": as_of, "options": dict(options or {}), "lang": lang, "jurisdictions": jurisdictions}
    if client is not None:
        return _run("consortia", client, source, folder, settings, policies, partition_rows, limits, progress)
    with local_client(workers, scheduler) as own:
        return _run("consortia", own, source, folder, settings, policies, partition_rows, limits, progress)


# ============================================================================================ the command line

def _report(run: Any, warn: Callable[[str], None]) -> None:
    """The rejected rows and the unknown headers of a run, on stderr as one process prints them."""
    from calc.inputs import unknown_column_warnings

    for message in run.errors["message"]:
        warn(f"error: {message}")
    for line in unknown_column_warnings(run.unknown_columns):
        warn(line)


def _partitions_text(n: int) -> str:
    return f"{n} partition" if n == 1 else f"{n} partitions"


def _cli_checks(args: Any, usage_error: type[Exception]) -> tuple[Path, int]:
    """The Dask arguments of a command, checked before any work: (output folder, rows per partition)."""
    output = Path(args.output)
    partition_rows = _dask_args(args, usage_error)
    if output.suffix and not output.is_dir():
        raise usage_error(f"with --workers or --scheduler, --output is a folder (a partitioned Parquet dataset), got "
                          f"{escape_controls(output.name)!r}")
    return output, partition_rows


def _dask_args(args: Any, usage_error: type[Exception]) -> int:
    """--workers, --scheduler and --partition-rows checked: the rows per partition."""
    if args.workers is not None and args.scheduler is not None:
        raise usage_error("give --workers N (a local cluster) or --scheduler ADDRESS (an existing one), not both")
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise usage_error(f"--workers must be 1 … 1024, got {args.workers}")
    partition_rows = PARTITION_ROWS if args.partition_rows is None else args.partition_rows
    if partition_rows < 1:
        raise usage_error(f"--partition-rows must be at least 1, got {partition_rows}")
    return partition_rows


def cli_consortium(args: Any, options: Mapping[str, str], *, say: Callable[[str], None],
                   warn: Callable[[str], None], usage_error: type[Exception], progress: Any = None) -> int:
    """``python -m calc consortium INPUT --workers N|--scheduler ADDRESS --output FOLDER``: FOLDER/criteria/ and
    FOLDER/summary/, the errors in FOLDER.errors.csv."""
    from calc.files import check_output_paths

    output, partition_rows = _cli_checks(args, usage_error)
    errors_file = output.with_name(output.name + ".errors.csv")
    check_output_paths([args.input], {"errors file": errors_file})
    if _identity(output) == _identity(Path(args.input)):
        raise OutputError(f"--output {escape_controls(str(output))} is the input: it would be overwritten")
    run = consortia_dataset(args.input, output, as_of=args.as_of or dt.date.today(), policies=args.policies,
                            jurisdictions=args.jurisdiction, options=options, lang=args.lang, workers=args.workers,
                            scheduler=args.scheduler, partition_rows=partition_rows, limits=args.limits,
                            progress=progress)
    write_csv(errors_file, run.errors)
    _report(run, warn)
    if not args.quiet:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(run.sums.items()))
        say(f"{run.rows} consortia assessed in {_partitions_text(run.parts)}, {run.rejected_rows} rejected; {counts} → "
            f"{args.output}/")
    return 1 if len(run.errors) else 0


def cli_entitlements(args: Any, options: Mapping[str, str], *, say: Callable[[str], None],
                     warn: Callable[[str], None], usage_error: type[Exception], progress: Any = None) -> int:
    """``python -m calc entitlements INPUT --workers N|--scheduler ADDRESS --output FOLDER``."""
    from calc.files import check_output_paths
    from calc.outputs import citations_table

    output, partition_rows = _cli_checks(args, usage_error)
    side = {"errors file": output.with_name(output.name + ".errors.csv"),
            "citations file": output.with_name(output.name + ".citations.csv")}
    check_output_paths([args.input], side)
    if _identity(output) == _identity(Path(args.input)):
        raise OutputError(f"--output {escape_controls(str(output))} is the input: it would be overwritten")
    as_of = args.as_of or dt.date.today()
    run = entitlements_dataset(args.input, output, as_of=as_of, options=options, policies=args.policies,
                               shape=args.shape, rows=args.rows,
                               lang=args.lang, citations=args.citations, workers=args.workers,
                               scheduler=args.scheduler, partition_rows=partition_rows, limits=args.limits,
                               progress=progress)
    write_csv(side["errors file"], run.errors)
    if not (args.shape == "long" and args.citations == "inline"):
        from calc.entitlements import EntitlementResult  # noqa: F401 - the citations need only the nodes
        policies = args.policies
        write_csv(side["citations file"], citations_table(_NodesOnly(policies, list(policies.items()))))
    _report(run, warn)
    if not args.quiet:
        say(f"{run.rows} enterprises computed in {_partitions_text(run.parts)}, {run.rejected_rows} rejected; "
            f"formula+fixed {run.sums.get('formula_fixed_yuan', 0):,} yuan, ceilings {run.sums.get('ceiling_yuan', 0):,} "
            f"yuan → {args.output}/")
    return 1 if len(run.errors) else 0


@dataclass
class _NodesOnly:
    policies: Any
    nodes: list[Any]


def _identity(path: Path) -> str:
    return os.path.realpath(path)


# ============================================================================================ budgets

def _compare_part(source: Any, index: int, offset: int, policies: Any, settings: Mapping[str, Any],
                  dups: Mapping[str, Any] | None = None) -> PartResult:
    """One partition of :func:`compare_dataset`: baseline and reform, the per-enterprise table written (with the
    pro-rated awards when the budget lines' factors are known), exact sums per item returned."""
    from calc.budget import FEN_PER_YUAN, compare, counted_amounts
    from calc.money import exact_sum

    parsed = _load_part("enterprises", source, offset, settings["limits"], dups)
    cmp = compare(parsed, settings["reforms"], settings["as_of"], policies=policies, award_share=settings["share"],
                  options=settings["options"])
    base = counted_amounts(cmp.baseline, cmp.award_share)
    new = counted_amounts(cmp.reform, cmp.award_share)
    sums: dict[str, int] = {}
    for item_id in base:
        sums[f"baseline_fen:{item_id}"] = exact_sum(base[item_id])
        sums[f"reform_fen:{item_id}"] = exact_sum(new[item_id])
        sums[f"baseline_recipients:{item_id}"] = int((base[item_id] > 0).sum())
        sums[f"reform_recipients:{item_id}"] = int((new[item_id] > 0).sum())
    lines = settings["lines"]  # [(key, members, budget, total claims or None)]
    enterprises = cmp.enterprises
    if lines:
        prorated = {i: new[i] // FEN_PER_YUAN for i in new}
        for key, members, budget, total in lines:
            stacked = np.concatenate([new[m] // FEN_PER_YUAN for m in members])
            sums[f"claims_yuan:{key}"] = exact_sum(stacked)
            if total is None:
                continue
            if total > budget:  # calc.budget.prorate with the whole population's claims: award × budget // claims
                stacked = (stacked.astype(object) * int(budget) // total).astype(np.int64)
            n = len(parsed.frame)
            for k, m in enumerate(members):
                prorated[m] = stacked[k * n:(k + 1) * n]
        if all(total is not None for *_, total in lines):
            for item_id, values in prorated.items():
                sums[f"prorated_yuan:{item_id}"] = exact_sum(values)
            row_sum = np.zeros(len(parsed.frame), dtype=object if len(prorated) > 90 else np.int64)
            for values in prorated.values():
                row_sum = row_sum + values
            enterprises = enterprises.copy()
            enterprises.insert(enterprises.columns.get_loc("outcome"), "prorated_yuan", row_sum)
    if settings.get("write", True):
        write_parquet(Path(settings["folder"]) / f"part.{index:05d}.parquet", enterprises, make_folder=False)
    return _part_result(index, parsed, sums)


@dataclass
class CompareRun:
    """A comparison run on Dask: ``items`` and ``budget_lines`` as :func:`calc.budget.compare` gives them (exact,
    identical), the per-enterprise table written to ``folder`` (partitioned Parquet; None: not written), the
    rejected rows."""

    folder: Path | None
    items: pd.DataFrame
    budget_lines: pd.DataFrame
    rows: int
    rejected_rows: int
    errors: pd.DataFrame
    peak_rss_by_worker: dict[str, int] = field(default_factory=dict)
    unknown_columns: dict[str, str | None] = field(default_factory=dict)  # header -> nearest known column


def compare_dataset(source: Any, folder: Path | str | None, reforms: Sequence[Any] = (), *,
                    as_of: dt.date | str | None = None, award_share: Any = None,
                    budgets: Mapping[str, Any] | None = None, options: Mapping[str, str] | None = None,
                    policies: Any = None, client: Any = None, workers: int | None = None, scheduler: str | None = None,
                    partition_rows: int = PARTITION_ROWS, limits: Limits = DEFAULT,
                    progress: Callable[[float], None] | None = None) -> CompareRun:
    """:func:`calc.budget.compare` partition by partition: baseline vs reform per item (exact sums), the
    per-enterprise table written as ``folder/part.NNNNN.parquet`` (not written when ``folder`` is None), budget
    lines pro-rated by the whole population's claims (a first pass sums the claims, a second writes the pro-rated
    awards)."""
    from calc.budget import checked_compare_args

    as_of, policies, share, lines, reforms = checked_compare_args(as_of, policies, award_share, budgets, options,
                                                                  reforms)
    settings = {"as_of": as_of, "options": dict(options or {}), "reforms": reforms, "share": share,
                "lines": [(key, tuple(members), budget, None) for key, members, budget in lines]}

    def run(c: Any) -> CompareRun:
        totals: dict[str, int] = {}
        if lines:  # first pass: the claims of each budget line over the whole population, nothing written
            first = _run_parts(c, source, settings | {"write": False}, policies, partition_rows, limits,
                               _share(progress, 0.5))
            for r in first[0]:
                for k, v in r.sums.items():
                    if k.startswith("claims_yuan:"):
                        totals[k.split(":", 1)[1]] = totals.get(k.split(":", 1)[1], 0) + v
            settings["lines"] = [(key, tuple(members), budget, totals.get(key, 0)) for key, members, budget in lines]
        marker = {"command": "compare", "as_of": as_of.isoformat(), "award_share": str(share),
                  "reforms": [getattr(r, "name", "") for r in reforms], "budgets": {k: b for k, _, b in lines}}
        step = _share(progress, 0.5 if lines else 1.0)
        if folder is None:
            results, _ = _run_parts(c, source, settings | {"write": False}, policies, partition_rows, limits, step)
            return _compare_result(None, results, policies, share, settings["lines"])
        with _dataset_folder(Path(folder), marker) as tmp:
            results, _ = _run_parts(c, source, settings | {"folder": str(tmp)}, policies, partition_rows, limits,
                                    step)
            marker.update(rows=sum(r.rows for r in results))
        return _compare_result(Path(folder), results, policies, share, settings["lines"])

    if client is not None:
        return run(client)
    with local_client(workers, scheduler) as own:
        return run(own)


def _share(progress: Callable[[float], None] | None, share: float) -> Callable[[float], None] | None:
    """A progress callback worth ``share`` of the whole."""
    return None if progress is None else (lambda fraction: progress(fraction * share))


def _run_parts(client: Any, source: Any, settings: dict[str, Any], policies: Any, partition_rows: int,
               limits: Limits, progress: Callable[[float], None] | None = None) -> tuple[list[PartResult], _Plan]:

    plan = _plan(client, source, partition_rows, limits, "enterprises")
    dups, _ = _duplicates(client, plan, "enterprises", limits)
    shipped = client.scatter(policies, broadcast=True, hash=False)
    settings = {**settings, "limits": limits}
    futures = [client.submit(_compare_part, src, i, off, shipped, settings, dups[i], pure=False)
               for i, (src, off) in enumerate(zip(plan.sources, plan.offsets))]
    plan.sources.clear()  # each partition's cells released once its task has read them
    return _collect(futures, progress), plan


def _compare_result(folder: Path | None, results: list[PartResult], policies: Any, share: Any,
                    lines: list[tuple]) -> CompareRun:
    from fractions import Fraction

    from calc.budget import FEN_PER_YUAN, _int_column
    from calc.inputs import _empty_errors

    sums: dict[str, int] = {}
    for r in results:
        for k, v in r.sums.items():
            sums[k] = sums.get(k, 0) + v
    nodes = list(policies.items())
    ids = [n.id for n in nodes]
    items = pd.DataFrame({
        "item_id": ids,
        "policy_id": [n.policy_id for n in nodes],
        "kind": [n.kind for n in nodes],
        "baseline_yuan": _int_column([sums.get(f"baseline_fen:{i}", 0) // FEN_PER_YUAN for i in ids]),
        "reform_yuan": _int_column([sums.get(f"reform_fen:{i}", 0) // FEN_PER_YUAN for i in ids]),
        "baseline_recipients": [sums.get(f"baseline_recipients:{i}", 0) for i in ids],
        "reform_recipients": [sums.get(f"reform_recipients:{i}", 0) for i in ids],
    })
    items.insert(5, "change_yuan", _int_column([int(r) - int(b) for r, b in zip(items["reform_yuan"],
                                                                                 items["baseline_yuan"])]))
    line_rows = []
    if lines:
        items["prorated_yuan"] = _int_column([sums.get(f"prorated_yuan:{i}", 0) for i in ids])
        for key, members, budget, total in lines:
            factor = Fraction(1) if total <= budget else Fraction(int(budget), total)
            paid = sum(sums.get(f"prorated_yuan:{m}", 0) for m in members)
            line_rows.append({"budget_line": key, "budget_yuan": budget, "claims_yuan": total, "factor": float(factor),
                              "factor_exact": str(factor), "prorated_yuan": paid,
                              "remainder_yuan": int(budget) - paid if total > budget else 0})
    items["award_share"] = [str(share) if n.kind == "ceiling" else "1" for n in nodes]
    errors = [r.errors for r in results if len(r.errors)]
    peaks: dict[str, int] = {}
    for r in results:
        peaks[r.worker] = max(peaks.get(r.worker, 0), r.peak_rss_bytes)
    return CompareRun(folder, items, pd.DataFrame(line_rows), sum(r.rows for r in results),
                      sum(r.rejected_rows for r in results),
                      pd.concat(errors, ignore_index=True) if errors else _empty_errors(), peaks,
                      _unknown_columns(results))


# ============================================================================================ the projection

def _projection_task(source: Any, index: int, offset: int, trees: Any, args: Mapping[str, Any],
                     settings: Mapping[str, Any], dups: Mapping[str, Any] | None = None) -> PartResult:
    """One partition of :func:`project_dataset`: loaded as in one process, projected with
    :func:`calc.budget.projection_part` (its random values keyed by the input rows, so the partitioning does not
    change them); the exact sums come back in ``sums["part"]``."""
    from calc.budget import projection_part

    parsed = _load_part("enterprises", source, offset, settings["limits"], dups)
    policies, reformed = trees
    part = projection_part(parsed.frame, args, policies, reformed, settings["options"],
                           chunk_rows=settings["chunk_rows"])
    return _part_result(index, parsed, {"part": part})


@dataclass
class ProjectionRun:
    """A projection run on Dask: ``projection`` as :func:`calc.budget.project` gives it for the same population and
    seed (identical), the rows computed and rejected, the rejected rows, and each worker's peak memory."""

    projection: Any
    parts: int
    rows: int
    rejected_rows: int
    errors: pd.DataFrame
    peak_rss_by_worker: dict[str, int] = field(default_factory=dict)
    unknown_columns: dict[str, str | None] = field(default_factory=dict)  # header -> nearest known column


def project_dataset(source: Any, years: Sequence[int] | None = None, *, reforms: Sequence[Any] = (),
                    policies: Any = None, rd_growth: Any = 0.12, rd_growth_sd: Any = 0.0, platform_rate: Any = 0.0,
                    draws: int = 0, seed: int = 0, award_share: Any = None, claim_date: Any = (12, 31),
                    options: Mapping[str, str] | None = None, client: Any = None, workers: int | None = None,
                    scheduler: str | None = None, partition_rows: int = PARTITION_ROWS, limits: Limits = DEFAULT,
                    chunk_rows: int = 1_000_000, progress: Callable[[float], None] | None = None) -> ProjectionRun:
    """:func:`calc.budget.project` partition by partition: each partition's yearly costs, recipients and Monte Carlo
    draws as exact sums in fen, added on the client and floored to the yuan once (the same numbers as one process
    for the same seed: the random values are keyed by each enterprise's input row, not by its partition).  The
    arguments are checked before any input is read; a first pass finds ids used in two partitions (and, when
    ``years`` is not given, the first claim year)."""
    from calc.budget import checked_projection, projection_merge, projection_years

    args, policies, reformed = checked_projection(years, reforms=reforms, policies=policies, rd_growth=rd_growth,
                                                  rd_growth_sd=rd_growth_sd, platform_rate=platform_rate,
                                                  draws=draws, seed=seed, award_share=award_share,
                                                  claim_date=claim_date, options=options)

    def run(c: Any) -> ProjectionRun:

        plan = _plan(c, source, partition_rows, limits, "enterprises")
        dups, first_year = _duplicates(c, plan, "enterprises", limits, claim_year=args["years"] is None)
        if args["years"] is None:
            args["years"] = projection_years(policies, first_year)
        trees = c.scatter((policies, reformed), broadcast=True, hash=False)
        settings = {"limits": limits, "options": dict(options or {}), "chunk_rows": chunk_rows}
        futures = [c.submit(_projection_task, src, i, off, trees, args, settings, dups[i], pure=False)
                   for i, (src, off) in enumerate(zip(plan.sources, plan.offsets))]
        plan.sources.clear()  # each partition's cells released once its task has read them
        results = _collect(futures, progress)
        projection = projection_merge([r.sums["part"] for r in results], args, policies)
        errors = [r.errors for r in results if len(r.errors)]
        peaks: dict[str, int] = {}
        for r in results:
            peaks[r.worker] = max(peaks.get(r.worker, 0), r.peak_rss_bytes)
        from calc.inputs import _empty_errors

        return ProjectionRun(projection, len(results), sum(r.rows for r in results),
                             sum(r.rejected_rows for r in results),
                             pd.concat(errors, ignore_index=True) if errors else _empty_errors(), peaks,
                             _unknown_columns(results))

    if client is not None:
        return run(client)
    with local_client(workers, scheduler) as own:
        return run(own)


# ============================================================================================ the budget command

def cli_budget(args: Any, options: Mapping[str, str], *, checked: Mapping[str, Any], say: Callable[[str], None],
               warn: Callable[[str], None], usage_error: type[Exception], progress: Any = None) -> int:
    """``python -m calc budget INPUT --workers N|--scheduler ADDRESS --output OUT.csv|FOLDER``: the items table
    (OUT.csv, the same bytes as one process writes; or FOLDER.items.csv beside FOLDER/, the per-enterprise table
    as a partitioned Parquet dataset), the rejected rows (OUT.errors.csv / FOLDER.errors.csv) and, with --years
    or --draws, the projection (OUT.projection.csv and OUT.projection_items.csv, as one process writes them).
    ``checked``: the budget arguments as calc.cli checked them."""
    from calc.budget import load_reform
    from calc.budget_report import budget_summary, items_table, projection_tables
    from calc.files import check_output_paths

    output = Path(args.output)
    partition_rows = _dask_args(args, usage_error)
    suffix = output.suffix.lower()
    if suffix == ".xlsx" or (suffix and suffix != ".csv" and not output.is_dir()):
        raise usage_error(f"with --workers or --scheduler, --output is OUT.csv (the items, the projection beside it) "
                          f"or a folder (the per-enterprise table as a partitioned Parquet dataset), got "
                          f"{escape_controls(output.name)!r}: the XLSX report holds a row per enterprise")
    folder = None if suffix == ".csv" else output
    name = output.stem if folder is None else output.name
    files = {"--output" if folder is None else "items file": output if folder is None
             else output.with_name(name + ".items.csv"), "errors file": output.with_name(name + ".errors.csv")}
    projecting = bool(checked["years"] or checked["draws"])
    if projecting:
        files["projection file"] = output.with_name(name + ".projection.csv")
        files["projection items file"] = output.with_name(name + ".projection_items.csv")
    reform_paths = [Path(p) for p in args.reform or ()]
    check_output_paths([args.input, *reform_paths], files)
    if folder is not None and _identity(folder) in {_identity(Path(p)) for p in [args.input, *reform_paths]}:
        raise OutputError(f"--output {escape_controls(str(output))} is an input: it would be overwritten")
    reforms = [load_reform(path, limits=args.limits) for path in reform_paths]
    as_of = args.as_of or dt.date.today()
    with local_client(args.workers, args.scheduler) as client:
        cmp = compare_dataset(args.input, folder, reforms, as_of=as_of, award_share=checked["award_share"],
                              budgets=checked["budgets"], options=options, policies=args.policies, client=client,
                              partition_rows=partition_rows, limits=args.limits,
                              progress=_share(progress, 0.5 if projecting else 1.0))
        run = None
        if projecting:
            run = project_dataset(args.input, checked["years"], reforms=reforms, policies=args.policies,
                                  rd_growth=checked["rd_growth"], rd_growth_sd=checked["rd_growth_sd"],
                                  draws=checked["draws"], seed=checked["seed"], award_share=checked["award_share"],
                                  options=options, client=client, partition_rows=partition_rows, limits=args.limits,
                                  progress=_share(progress, 0.5))
    paths = list(files.values())
    write_csv(paths[0], items_table(cmp.items))
    write_csv(paths[1], cmp.errors)
    if run is not None:
        tables = projection_tables(run.projection)
        write_csv(paths[2], tables["projection"])
        write_csv(paths[3], tables["projection_items"])
    _report(cmp, warn)
    for line in budget_summary(cmp.rows, cmp.rejected_rows, cmp.items, cmp.budget_lines, args.output):
        say(line)
    return 1 if len(cmp.errors) else 0
