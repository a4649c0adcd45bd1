"""``python -m calc …`` (also the ``subsidy-calc`` console script).

Exit status: 0 when every row computed; 1 when some rows were rejected (the rest are still written, the
errors go to stderr and into the output); 2 for unusable arguments or files (nothing is computed or written);
3 for an internal error (a one-line message; the traceback with ``--debug``); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import signal
import threading
import traceback
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from calc.files import InputError, OutputError, check_output_paths, terminal_text, write_csv, write_parquet, \
    write_xlsx, write_xlsx_fast, XLSX_MAX_ROWS
from calc.inputs import unknown_column_warnings
from calc.limits import DEFAULT, MAX_DATE, MAX_DRAWS, MIN_DATE, Limits, parse_limit
from calc.money import MoneyError, exact_sum
from calc.policies import PolicyDataError, default_policies

EXIT_OK, EXIT_ROWS_REJECTED, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """An argument that cannot be used: exit 2 before any work."""


# ----------------------------------------------------------------------------------------- talking

def _say(text: str) -> None:
    """A line on stdout, control characters escaped."""
    print(terminal_text(text))


def _warn(text: str) -> None:
    """A line on stderr, control characters escaped."""
    print(terminal_text(text), file=sys.stderr)


# ----------------------------------------------------------------------------------------- arguments

def _date(text: str) -> dt.date:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {terminal_text(repr(text))}") from None
    if not MIN_DATE <= value <= MAX_DATE:
        raise argparse.ArgumentTypeError(f"{value} is outside {MIN_DATE} … {MAX_DATE}")
    return value


def _options(pairs: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--option wants ID=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _checked_options(pairs: Sequence[str] | None) -> dict[str, str]:
    from calc.entitlements import OptionError, _check_options

    options = _options(pairs)
    try:
        _check_options(default_policies(), options)
    except OptionError as exc:
        raise UsageError(str(exc)) from None
    return options


def _policy_set(pairs: Sequence[str] | None):
    """The policies, with the dates set by ``--policy-dates ID=START..END`` (END may be left out: no end)."""
    policies = default_policies()
    for pair in pairs or ():
        policy_id, sep, span = pair.partition("=")
        start, dots, end = span.partition("..")
        if not sep or not dots or not start.strip():
            raise UsageError(f"--policy-dates {terminal_text(pair)!r}: expected POLICY_ID=START..END, e.g. "
                             "xiamen_sti_measures=2025-03-01..2028-02-29 (END may be left out: no end date)")
        try:
            policies = policies.with_validity(policy_id.strip(), start.strip(), end.strip() or None)
        except PolicyDataError as exc:
            raise UsageError(f"--policy-dates: {exc}") from None
    return policies


def _warn_assumptions(policies, as_of: dt.date, policy_ids: Sequence[str]) -> None:
    """The dates the data assumes, where the as-of date falls in the months where they decide the result."""
    for assumption in policies.assumptions(as_of):
        if assumption.policy_id in policy_ids and assumption.uncertain:
            _warn(f"warning: {assumption.text_en}; set the dates with --policy-dates {assumption.policy_id}=START..END")


def _limits(pairs: Sequence[str] | None) -> Limits:
    limits = DEFAULT
    for pair in pairs or ():
        try:
            limits = parse_limit(pair, limits)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return limits


OUTPUT_KINDS = (".csv", ".xlsx")
ENTITLEMENT_KINDS = (".csv", ".parquet", ".xlsx")


def _output_kind(path: Path, flag: str = "--output", kinds: Sequence[str] = OUTPUT_KINDS) -> str:
    suffix = path.suffix.lower()
    if suffix not in kinds:
        allowed = ", ".join(kinds[:-1]) + " or " + kinds[-1]
        raise UsageError(f"{flag} must end in {allowed}, got {path.name!r}")
    return suffix[1:]


def _errors_path(path: Path) -> Path:
    return path.with_name(path.stem + ".errors.csv")


def _citations_path(path: Path) -> Path:
    return path.with_name(path.stem + ".citations.csv")


def _outputs(output: Path, kinds: Sequence[str] = OUTPUT_KINDS, citations: bool = False,
             **others: Path | None) -> dict[str, Path]:
    """Every file a run will write, by the name its messages use: the output, its errors file (CSV and Parquet
    outputs), its citations file (when asked), others."""
    files = {"--output": output}
    if _output_kind(output, kinds=kinds) in ("csv", "parquet"):
        files["errors file"] = _errors_path(output)
        if citations:
            files["citations file"] = _citations_path(output)
    for flag, path in others.items():
        if path is not None:
            files[f"--{flag}"] = path
    return files


def _budget_args(args) -> dict[str, Any]:
    """The budget command's arguments, each checked by the core's own validator before any file is read."""
    from calc.budget import check_projection_args, parse_award_share, parse_budgets
    from calc.entitlements import OptionError

    def checked(flag: str, check, *values, **named):
        try:
            return check(*values, **named)
        except OptionError as exc:
            raise UsageError(f"{flag}: {exc}") from None

    draws = checked("--draws", check_projection_args, draws=args.draws)["draws"]
    spread = checked("--growth-sd", check_projection_args, rd_growth_sd=args.growth_sd)["rd_growth_sd"]
    if draws and not spread:  # R&D growth is the only thing drawn: without a spread every draw is the same
        _warn(f"warning: --draws {draws} with --growth-sd 0: every draw is the same, so P10 = P50 = P90; give the "
              "spread of R&D growth, e.g. --growth-sd 0.15")
    return {
        "budgets": checked("--budget", parse_budgets, list(args.budget or ())),
        "award_share": checked("--award-share", parse_award_share, args.award_share),
        "years": checked("--years", check_projection_args, years=args.years)["years"],
        "rd_growth": checked("--growth", check_projection_args, rd_growth=args.growth)["rd_growth"],
        "rd_growth_sd": spread,
        "draws": draws,
        "seed": checked("--seed", check_projection_args, seed=args.seed)["seed"],
    }


# ----------------------------------------------------------------------------------------- reading and writing

def _load(loader, args) -> Any:
    return loader(args.input, sheet=args.sheet, limits=args.limits)


def _report_errors(parsed) -> None:
    for message in parsed.errors["message"]:
        _warn(f"error: {message}")
    for line in unknown_column_warnings(parsed.unknown_columns):
        _warn(line)


def _write(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """CSV: the first sheet, and the errors (always, empty when none) beside it as <name>.errors.csv;
    XLSX: every sheet.  Each file is written whole or not at all."""
    if _output_kind(path) == "csv":
        write_csv(path, next(iter(sheets.values())))
        if "errors" in sheets:
            write_csv(_errors_path(path), sheets["errors"])
    else:
        write_xlsx(path, sheets)


def _check_fits_xlsx(path: Path, rows: int, what: str) -> None:
    """An XLSX output that would not fit one Excel sheet is refused (not split), before it is written."""
    if path.suffix.lower() == ".xlsx" and rows + 1 > XLSX_MAX_ROWS:
        raise OutputError(f"the {what} would take {rows:,} rows; an Excel sheet holds {XLSX_MAX_ROWS - 1:,} below "
                          f"its header: write {path.with_suffix('.csv').name} or {path.with_suffix('.parquet').name} "
                          "instead (or --shape wide, one row per enterprise)")


def _warn_if_nothing_in_force(as_of: dt.date, policy_ids: Sequence[str], policy_set) -> None:
    """The warnings a run's date calls for: assumed dates that decide (see _warn_assumptions), no policy in force."""
    _warn_assumptions(policy_set, as_of, policy_ids)
    policies = policy_set.policies
    in_force = [p for p in policy_ids if policies[p].in_force(as_of)]
    if policy_ids and not in_force:
        spans = "; ".join(f"{p} {policies[p].validity_text()}" for p in policy_ids)
        _warn(f"warning: no policy is in force on {as_of}: every item reads 'not in force' ({spans})")


# ----------------------------------------------------------------------------------------- commands

ITEM_COLUMNS = ["enterprise_id", "policy_id", "item_id", "kind", "status", "amount_yuan", "counted", "reason",
                "citation", "title", "won_by"]
CRITERIA_COLUMNS = ["consortium_id", "jurisdiction", "criterion_id", "result", "value", "threshold", "margin",
                    "citation", "title", "strength", "scope"]


#: seconds a run must last before its progress bar appears (CALC_PROGRESS_DELAY overrides it, for tests)
PROGRESS_DELAY = 2.0
BAR_COLUMNS, BAR_ROWS = 80, 24  # the size the bar assumes on a terminal that reports none


def _terminal_columns(stream) -> int:
    """The width the terminal behind ``stream`` reports (0 when it reports none or is not a terminal)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


class Progress:
    """A progress bar on stderr, in percent of the run, shown once a run has lasted :data:`PROGRESS_DELAY`
    seconds; silent when stderr is not a terminal or with ``--quiet``.  ``stage(name, share)`` starts a stage
    worth ``share`` percent; ``step(fraction)`` advances within it."""

    def __init__(self, quiet: bool):
        from tqdm import tqdm

        delay = float(os.environ.get("CALC_PROGRESS_DELAY", PROGRESS_DELAY))
        disabled = quiet or not sys.stderr.isatty()
        # a terminal that reports no size (a pseudo-terminal not sized yet: `docker exec -t`, `script`) is taken as
        # BAR_COLUMNS × BAR_ROWS: in the 0 × 0 it reports, tqdm draws nothing at all
        sized = not disabled and _terminal_columns(sys.stderr) > 0
        self.bar = tqdm(total=100, delay=delay, disable=disabled, file=sys.stderr, leave=False, dynamic_ncols=sized,
                        ncols=None if sized else BAR_COLUMNS, nrows=None if sized else BAR_ROWS,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}")
        self.done, self.share, self.stage_start = 0.0, 0.0, 0.0
        self.timings: list[tuple[str, float]] = []  # (stage, start time): CALC_TIMINGS=1 prints them at the end

    def stage(self, name: str, share: float) -> None:
        import time

        self.timings.append((name, time.perf_counter()))
        self._to(self.stage_start + self.share)
        self.stage_start, self.share = self.done, share
        self.bar.set_description_str(name, refresh=False)

    def step(self, fraction: float) -> None:
        self._to(min(self.stage_start + self.share, self.done + self.share * fraction))

    def _to(self, value: float) -> None:
        value = min(value, 100.0)
        if value > self.done:
            self.bar.update(value - self.done)
            self.done = value

    def close(self) -> None:
        import time

        self.bar.close()
        if os.environ.get("CALC_TIMINGS") and self.timings:
            marks = self.timings + [("", time.perf_counter())]
            _warn("timings: " + ", ".join(f"{name} {end - start:.2f} s" for (name, start), (_, end)
                                           in zip(marks, marks[1:])))


def _entitlement_sheets(result, args, output: Path, progress: Progress) -> dict[str, pd.DataFrame]:
    from calc.outputs import citations_table, long_row_count, long_table, wide_table

    kind = output.suffix.lower()
    if args.shape == "wide":
        progress.stage("table", 20)
        sheets = {"entitlements": wide_table(result)}
    else:
        if kind == ".xlsx" and args.rows == "matter":
            _check_fits_xlsx(output, long_row_count(result, "matter"), "items table (the rows that matter)")
        progress.stage("reasons", 40)
        n = max(len(result.nodes), 1)
        table = long_table(result, lang=args.lang, rows=args.rows, citations=args.citations,
                           progress=lambda k: progress.step(k / n))
        sheets = {"items": table}
        if kind == ".xlsx":
            sheets["totals"] = result.totals()
    if not (args.shape == "long" and args.citations == "inline"):
        sheets["citations"] = citations_table(result)
    sheets["errors"] = result.errors
    return sheets


def _write_entitlements(path: Path, sheets: dict[str, pd.DataFrame], progress: Progress, created: dt.datetime) -> None:
    """CSV / Parquet: the first table, and beside it the errors (always, empty when none) and the citations
    (when a table of them is written) as CSV; XLSX: every table as a sheet."""
    kind = path.suffix.lower()
    first = next(iter(sheets.values()))
    rows = max(len(first), 1)
    progress.stage("writing", 100 - progress.done)
    if kind == ".xlsx":
        write_xlsx_fast(path, sheets, created=created, progress=lambda k: progress.step(k / rows))
        return
    writer = write_parquet if kind == ".parquet" else write_csv
    writer(path, first, progress=lambda k: progress.step(k / rows))
    write_csv(_errors_path(path), sheets["errors"])
    if "citations" in sheets:
        write_csv(_citations_path(path), sheets["citations"])


def _on_dask(command: str, args, options: dict[str, str], policy_ids: Sequence[str], **extra: Any) -> int:
    """A command run partition by partition (``--workers`` / ``--scheduler``): calc.distributed's own CLI part,
    with this module's words, usage errors and progress bar; then the run date's warnings, as in one process."""
    from calc import distributed as dist

    progress = Progress(getattr(args, "quiet", False))
    try:
        progress.stage("partitions", 100)
        code = getattr(dist, command)(args, options, say=_say, warn=_warn, usage_error=UsageError,
                                      progress=progress.step, **extra)
    finally:
        progress.close()
    _warn_if_nothing_in_force(args.as_of or dt.date.today(), policy_ids, args.policies)
    return code


def _item_policy_ids(policies) -> list[str]:
    return sorted({n.policy_id for n in policies.items()})


def cmd_entitlements(args) -> int:
    from calc.entitlements import entitlements
    from calc.inputs import load_enterprises

    output = Path(args.output)
    options = _checked_options(args.option)
    if args.workers is not None or args.scheduler is not None:
        return _on_dask("cli_entitlements", args, options, _item_policy_ids(args.policies))
    if output.is_dir() or not output.suffix:
        raise UsageError(f"--output {terminal_text(str(output))!r} is a folder: a partitioned Parquet dataset is "
                         "written with --workers N or --scheduler ADDRESS; otherwise --output must end in .csv, "
                         ".parquet or .xlsx")
    with_citations = not (args.shape == "long" and args.citations == "inline")
    check_output_paths([args.input], _outputs(output, ENTITLEMENT_KINDS, citations=with_citations))
    as_of = args.as_of or dt.date.today()
    progress = Progress(args.quiet)
    try:
        progress.stage("reading", 30)
        parsed = _load(load_enterprises, args)
        policies = args.policies
        if output.suffix.lower() == ".xlsx":  # what is known before any computation
            n_items = len(policies.items())
            if args.shape == "wide":
                _check_fits_xlsx(output, len(parsed.frame), "entitlements sheet")
            elif args.rows == "all":
                _check_fits_xlsx(output, len(parsed.frame) * n_items, "items table")
        progress.stage("computing", 10)
        result = entitlements(parsed, as_of=as_of, options=options, policies=policies)
        sheets = _entitlement_sheets(result, args, output, progress)
        _write_entitlements(output, sheets, progress, dt.datetime.combine(as_of, dt.time()))
        totals = result.totals()
    finally:
        progress.close()
    _report_errors(parsed)
    _warn_if_nothing_in_force(as_of, sorted({n.policy_id for n in policies.items()}), policies)
    if not args.quiet:
        _say(f"{len(parsed.frame)} enterprises computed, {parsed.bad_row_count} rejected; "
             f"formula+fixed {exact_sum(totals['formula_fixed_yuan'].to_numpy()):,} yuan, "
             f"ceilings {exact_sum(totals['ceiling_yuan'].to_numpy()):,} yuan → {args.output}")
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def cmd_consortium(args) -> int:
    from calc.eligibility import assess_consortia
    from calc.inputs import load_consortia

    output = Path(args.output)
    summary_path = Path(args.summary) if args.summary else None
    options = _checked_options(args.option)
    if args.workers is not None or args.scheduler is not None:
        if summary_path is not None:
            raise UsageError("with --workers or --scheduler the summary is written inside the output folder "
                             "(OUT/summary/): leave out --summary")
        return _on_dask("cli_consortium", args, options,
                        sorted(p.id for p in args.policies.policies.values() if p.criteria))
    if summary_path is not None:
        _output_kind(summary_path, "--summary")
    check_output_paths([args.input], _outputs(output, summary=summary_path))
    as_of = args.as_of or dt.date.today()
    parsed = _load(load_consortia, args)
    result = assess_consortia(parsed, as_of=as_of, jurisdictions=args.jurisdiction, options=options,
                              policies=args.policies)
    criteria = result.criteria(lang=args.lang).reindex(columns=CRITERIA_COLUMNS)
    _check_fits_xlsx(output, len(criteria), "criteria table")
    summary = result.summary()
    _write(output, {"criteria": criteria, "summary": summary,
                    "manual_checks": result.manual_checks(args.lang), "errors": parsed.errors})
    if summary_path is not None:
        _write(summary_path, {"summary": summary})
    _report_errors(parsed)
    _warn_if_nothing_in_force(as_of, sorted(p.id for p in args.policies.policies.values() if p.criteria),
                              args.policies)
    counts = summary["status"].value_counts().to_dict() if len(summary) else {}
    if not args.quiet:
        _say(f"{len(parsed.frame)} consortia assessed, {parsed.bad_row_count} rejected; "
             + ", ".join(f"{k}: {v}" for k, v in counts.items()) + f" → {args.output}")
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def cmd_budget(args) -> int:
    from calc.budget import compare, load_reform, project, reform_parameters
    from calc.budget_report import budget_summary, items_table, projection_tables, write_budget_workbook
    from calc.inputs import load_enterprises

    output = Path(args.output)
    options = _checked_options(args.option)
    checked = _budget_args(args)
    if args.workers is not None or args.scheduler is not None:
        return _on_dask("cli_budget", args, options, _item_policy_ids(args.policies), checked=checked)
    kind = _output_kind(output)
    projecting = bool(checked["years"] or checked["draws"])
    beside = {"projection": output.with_name(output.stem + ".projection.csv"),
              "projection items": output.with_name(output.stem + ".projection_items.csv")}
    reform_paths = [Path(p) for p in args.reform or ()]
    check_output_paths([args.input, *reform_paths],
                       _outputs(output, **(beside if projecting and kind == "csv" else {})))
    reforms = [load_reform(path, limits=args.limits) for path in reform_paths]
    as_of = args.as_of or dt.date.today()
    parsed = _load(load_enterprises, args)
    _check_fits_xlsx(output, len(parsed.frame), "enterprises sheet")
    comparison = compare(parsed, reforms, as_of, award_share=checked["award_share"], budgets=checked["budgets"],
                         options=options, policies=args.policies)
    projection = None
    if projecting:
        projection = project(parsed, checked["years"], reforms=reforms, rd_growth=checked["rd_growth"],
                             rd_growth_sd=checked["rd_growth_sd"], draws=checked["draws"], seed=checked["seed"],
                             award_share=checked["award_share"], options=options, policies=args.policies)
    if kind == "csv":
        _write(output, {"items": items_table(comparison.items), "errors": parsed.errors})
        if projection is not None:  # beside OUT.csv, as the Dask run writes them
            tables = projection_tables(projection)
            write_csv(beside["projection"], tables["projection"])
            write_csv(beside["projection items"], tables["projection_items"])
    else:
        write_budget_workbook(output, comparison, reform_parameters(args.policies, reforms, as_of), projection)
    _report_errors(parsed)
    _warn_if_nothing_in_force(as_of, sorted({n.policy_id for n in args.policies.items()}), args.policies)
    for line in budget_summary(len(parsed.frame), parsed.bad_row_count, comparison.items, comparison.budget_lines,
                               args.output):
        _say(line)
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def cmd_policies(args) -> int:
    policies = args.policies
    as_of = args.as_of or dt.date.today()
    assumed = {a.policy_id: a for a in policies.assumptions(as_of)}
    for policy in policies.policies.values():
        state = "in force" if policy.in_force(as_of) else "NOT in force"
        _say(f"{policy.id}: {policy.title}")
        _say(f"  {policy.issuer}; valid {policy.validity_text()} ({state} on {as_of}); "
             f"{policy.validity.short()}")
        if policy.id in assumed:  # the data's assumed dates, or the dates set with --policy-dates
            _say(f"  {'dates set' if assumed[policy.id].set_by_user else 'assumption'}: {assumed[policy.id].text_en}")
        for node in policy.criteria.values():
            _say(f"  criterion {node.id} [{node.strength}] {node.title_zh} — {node.citation.short()}")
        for node in policy.items.values():
            _say(f"  item {node.id} [{node.kind}] {node.title_zh} — {node.citation.short()}")
        for node in policy.obligations.values():
            _say(f"  obligation {node.id} {node.title_zh} — {node.citation.short()}")
    if not any(p.in_force(as_of) for p in policies.policies.values()):
        _warn(f"warning: no policy is in force on {as_of}")
    return EXIT_OK


def cmd_template(args) -> int:
    from calc.inputs import TABLES, write_templates

    target = Path(args.directory)
    paths = [target] if target.suffix.lower() == ".xlsx" else [target / f"{t}_template.xlsx" for t in TABLES]
    if target.exists() and not target.is_dir() and target.suffix.lower() != ".xlsx":
        raise UsageError(f"template wants a folder or a path ending in .xlsx, got {str(target)!r}")
    existing = [p for p in paths if p.exists()]
    if existing and not args.force:
        raise UsageError(f"{', '.join(map(str, existing))} already exist{'s' if len(existing) == 1 else ''}: a filled-in "
                         "template would be lost; choose another folder or pass --force to replace")
    for path in write_templates(target):
        _say(str(path))
    return EXIT_OK


# ----------------------------------------------------------------------------------------- parser

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: usage, then one line, exit 2
        self.print_usage(sys.stderr)
        _warn(f"{self.prog}: error: {message}")
        raise SystemExit(EXIT_UNUSABLE)


def _reading(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("input", help=f"{what} table: .csv, .xlsx or .parquet, or a folder of .parquet files (a "
                   "partitioned dataset)")
    p.add_argument("--sheet", default=None, help="the XLSX sheet to read (default: the one named after the table, "
                   "else the first whose header has the id column)")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE", default=None,
                   help="raise a bound deliberately, e.g. rows=20000000 or file=4GB "
                        "(names: file, rows, columns, cells, cell_chars, xlsx_unpacked, xlsx_ratio, shared_strings, "
                        "yaml)")


#: --partition-rows, and how the bounds of --limit apply on Dask
PARTITION_HELP = ("with Dask: rows per partition when the input is one file (default 250000). On Dask the bounds of "
                  "--limit apply to what one process holds: a .csv/.xlsx input whole (the client reads it), each file "
                  "of a Parquet dataset, and each partition; a dataset as a whole has no row bound. Ids stay unique "
                  "over the whole input: a repeat in another partition is rejected as in one process")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m calc", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    debug = argparse.ArgumentParser(add_help=False)  # --debug also after the command
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    dates = argparse.ArgumentParser(add_help=False)
    dates.add_argument("--policy-dates", action="append", metavar="ID=START..END", default=None,
                       help="set a policy's dates where the text gives none, e.g. xiamen_sti_measures=2025-03-01.."
                            "2028-02-29 (若干措施 三、「自印发之日起实施，有效期3年」: the data assumes 2025-01-01..2027-12-31)")

    p = sub.add_parser("entitlements", parents=[debug, dates], help="what each enterprise can claim, item by item")
    _reading(p, "enterprises")
    p.add_argument("--as-of", type=_date, default=None, help="date the policies are read at (default: today)")
    p.add_argument("--output", required=True, help="OUT.csv, OUT.parquet (errors beside it in OUT.errors.csv, "
                   "citations in OUT.citations.csv), OUT.xlsx (a sheet each), or a folder (a partitioned Parquet "
                   "dataset, with --workers or --scheduler)")
    p.add_argument("--shape", choices=("long", "wide"), default="long", help="long: one row per enterprise and item, "
                   "with reasons (default); wide: one row per enterprise, a column per item amount and status code")
    p.add_argument("--rows", choices=("matter", "all"), default="matter", help="the long table's rows: those that "
                   "matter (granted, lost to 就高不重复, or not granted where the enterprise gave something for the "
                   "item; default) or all")
    p.add_argument("--citations", choices=("id", "inline"), default="id", help="id: a citation id per row and a "
                   "table of citations (a sheet, or OUT.citations.csv; default); inline: the article and quote "
                   "in every row")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--option", action="append", metavar="ID=VALUE", help="a reading, e.g. "
                   "xiamen_sti_measures.rd_step_subsidy.reading=increment")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line (errors and "
                   "warnings still on stderr)")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="run on Dask: a local cluster of N "
                   "worker processes (needs the dask extra); the output is a folder (partitioned Parquet)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="run on an existing Dask cluster, e.g. "
                   "tcp://10.0.0.5:8786; the input and the output folder must be reachable from the workers")
    p.add_argument("--partition-rows", type=int, default=None, metavar="N", help=PARTITION_HELP)
    p.set_defaults(run=cmd_entitlements)

    p = sub.add_parser("consortium", parents=[debug, dates], help="consortium eligibility, criterion by criterion")
    _reading(p, "consortia")
    p.add_argument("--as-of", type=_date, default=None)
    from calc.inputs import JURISDICTIONS

    p.add_argument("--jurisdiction", choices=("all", *JURISDICTIONS), default=None,
                   help="assess against this jurisdiction (default: each row's own)")
    p.add_argument("--output", required=True)
    p.add_argument("--summary", default=None, help="SUMMARY.csv: one row per consortium and jurisdiction")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--option", action="append", metavar="ID=VALUE")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="run on Dask: a local cluster of N "
                   "worker processes; the output is a folder holding criteria/ and summary/ (partitioned Parquet)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="run on an existing Dask cluster")
    p.add_argument("--partition-rows", type=int, default=None, metavar="N", help=PARTITION_HELP)
    p.set_defaults(run=cmd_consortium)

    p = sub.add_parser("budget", parents=[debug, dates], help="baseline vs reform over a population; budgets, projection")
    _reading(p, "enterprises")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--reform", action="append", metavar="R.yaml", help="a reform (YAML or XLSX); repeat to stack")
    p.add_argument("--budget", action="append", metavar="ITEM=AMOUNT",
                   help="pro-rate an item (or ITEM+ITEM) to a budget, e.g. xiamen_sti_measures.rd_step_subsidy=2亿")
    p.add_argument("--award-share", default=None, help="share of each ceiling assumed awarded, in (0, 100%%] "
                   "(default 100%%)")
    p.add_argument("--years", default=None, help="projection years, e.g. 2025-2028: a sheet of OUT.xlsx, or "
                   "OUT.projection.csv (per year; with --draws P10/P50/P90) and OUT.projection_items.csv beside OUT.csv")
    p.add_argument("--growth", default="0.12", help="mean yearly R&D growth, above -1 (default 0.12)")
    p.add_argument("--growth-sd", default="0", help="spread of R&D growth per enterprise and year (≥ 0)")
    p.add_argument("--draws", type=int, default=0, help=f"Monte Carlo draws for P10/P50/P90 (0 … {MAX_DRAWS:,}); "
                   "each enterprise's draws keyed by the seed and its input row: the same on one process and on Dask")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True, help="OUT.csv (one row per item) or OUT.xlsx (the full report); with "
                   "--workers or --scheduler, OUT.csv or a folder (the per-enterprise table, partitioned Parquet; "
                   "the items in FOLDER.items.csv)")
    p.add_argument("--option", action="append", metavar="ID=VALUE")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="run on Dask: a local cluster of N "
                   "worker processes (needs the dask extra); the cost and the projection partition by partition")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="run on an existing Dask cluster, e.g. "
                   "tcp://10.0.0.5:8786; the input and the outputs must be reachable from the workers")
    p.add_argument("--partition-rows", type=int, default=None, metavar="N", help=PARTITION_HELP)
    p.set_defaults(run=cmd_budget)

    p = sub.add_parser("policies", parents=[debug, dates], help="the policies, their validity and their items with citations")
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(run=cmd_policies)

    p = sub.add_parser("template", parents=[debug], help="write blank XLSX input templates")
    p.add_argument("directory", nargs="?", default=".")
    p.add_argument("--force", action="store_true", help="replace templates that already exist")
    p.set_defaults(run=cmd_template)

    from calc import serve

    p = sub.add_parser("serve", parents=[debug], help="serve the dashboards (Voila) on 127.0.0.1")
    serve.add_arguments(p)
    p.set_defaults(run=serve.run)
    return parser


def _usable_errors() -> tuple[type[Exception], ...]:
    """The errors that mean "this input or argument cannot be used" (exit 2), as opposed to a bug (exit 3)."""
    from calc.entitlements import OptionError

    return InputError, OutputError, UsageError, PolicyDataError, MoneyError, OptionError


def main(argv: Sequence[str] | None = None) -> int:
    import calc

    loading = getattr(calc, "_interrupted_while_loading", None)
    if loading is not None and threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is loading:  # Python's own Ctrl-C again (calc/__init__.py)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:  # Ctrl-C while the commands load
        _warn("interrupted; no output was replaced")
        return EXIT_INTERRUPTED
    try:
        if hasattr(args, "limit"):
            args.limits = _limits(args.limit)
        if hasattr(args, "policy_dates"):
            args.policies = _policy_set(args.policy_dates)
        return args.run(args)
    except _usable_errors() as exc:
        _warn(f"error: {exc}")
        return EXIT_UNUSABLE
    except BrokenPipeError:  # stdout closed early (`… | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a folder that cannot be written, a full disk: the environment, not a bug
        _warn(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _warn("interrupted; no output was replaced")
        return EXIT_INTERRUPTED
    except MemoryError:
        _warn("internal error: out of memory (split the input, or lower the bounds raised with --limit)")
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the promise: one line, an exit code of its own
        if args.debug:
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        _warn(f"internal error: {type(exc).__name__}: {first} (run with --debug for the traceback; please report it)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
