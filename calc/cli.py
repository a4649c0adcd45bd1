"""``python -m calc …`` (also the ``subsidy-calc`` console script).

Exit status: 0 when every row computed; 1 when some rows were rejected (the
rest are still written, the errors go to stderr and into the output); 2 for
unusable arguments or files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from calc.eligibility import assess_consortia
from calc.entitlements import OptionError, entitlements
from calc.inputs import JURISDICTIONS, InputError, ParsedInput, load_consortia, load_enterprises, write_templates
from calc.policies import PolicyDataError, default_policies

EXIT_OK, EXIT_ROWS_REJECTED, EXIT_UNUSABLE = 0, 1, 2


class UsageError(Exception):
    pass


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")


def _options(pairs: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--option wants ID=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _output_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"--output must end in .csv or .xlsx, got {path.name!r}")
    return suffix[1:]


def _report_errors(parsed: ParsedInput) -> None:
    for message in parsed.errors["message"]:
        print(f"error: {message}", file=sys.stderr)
    for header, suggestion in parsed.unknown_columns.items():
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        print(f"warning: unknown column {header!r} carried through untouched{hint}", file=sys.stderr)


def _write(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """CSV: the first sheet, and the errors beside it as <name>.errors.csv; XLSX: every sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if _output_kind(path) == "csv":
        first = next(iter(sheets.values()))
        first.to_csv(path, index=False, encoding="utf-8-sig")
        errors = sheets.get("errors")
        errors_path = path.with_name(path.stem + ".errors.csv")
        if errors is not None and len(errors):
            errors.to_csv(errors_path, index=False, encoding="utf-8-sig")
        elif errors_path.exists():
            errors_path.unlink()
    else:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, table in sheets.items():
                table.to_excel(writer, sheet_name=name[:31], index=False)


def cmd_entitlements(args) -> int:
    parsed = load_enterprises(args.input)
    result = entitlements(parsed, as_of=args.as_of, options=_options(args.option))
    table = result.items(lang=args.lang)
    columns = ["enterprise_id", "policy_id", "item_id", "kind", "status", "amount_yuan", "counted", "reason",
               "citation", "title", "won_by"]
    _write(Path(args.output), {"items": table[columns], "totals": result.totals(), "errors": parsed.errors})
    _report_errors(parsed)
    totals = result.totals()
    print(f"{len(parsed.frame)} enterprises computed, {parsed.bad_row_count} rejected; "
          f"formula+fixed {int(totals['formula_fixed_yuan'].sum()):,} yuan, "
          f"ceilings {int(totals['ceiling_yuan'].sum()):,} yuan → {args.output}")
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def cmd_consortium(args) -> int:
    parsed = load_consortia(args.input)
    jurisdictions = None if args.jurisdiction is None else args.jurisdiction
    result = assess_consortia(parsed, as_of=args.as_of, jurisdictions=jurisdictions, options=_options(args.option))
    criteria = result.criteria(lang=args.lang)
    columns = ["consortium_id", "jurisdiction", "criterion_id", "result", "value", "threshold", "margin", "citation",
               "title", "strength", "scope"]
    summary = result.summary()
    _write(Path(args.output), {"criteria": criteria[columns], "summary": summary,
                               "manual_checks": result.manual_checks(args.lang), "errors": parsed.errors})
    if args.summary:
        _write(Path(args.summary), {"summary": summary})
    _report_errors(parsed)
    counts = summary["status"].value_counts().to_dict() if len(summary) else {}
    print(f"{len(parsed.frame)} consortia assessed, {parsed.bad_row_count} rejected; "
          + ", ".join(f"{k}: {v}" for k, v in counts.items()) + f" → {args.output}")
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def _budgets(pairs: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not value.strip():
            raise UsageError(f"--budget wants ITEM=AMOUNT (e.g. xiamen_sti_measures.rd_step_subsidy=2亿), got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _years(text: str | None) -> list[int] | None:
    if not text:
        return None
    start, _, end = text.partition("-")
    try:
        first, last = int(start), int(end or start)
    except ValueError:
        raise UsageError(f"--years wants YYYY or YYYY-YYYY, got {text!r}")
    if last < first:
        raise UsageError(f"--years {text!r} ends before it starts")
    return list(range(first, last + 1))


def cmd_budget(args) -> int:
    from calc.budget import compare, load_reform, project, reform_parameters
    from calc.budget_report import write_budget_workbook

    kind = _output_kind(Path(args.output))
    parsed = load_enterprises(args.input)
    reforms = [load_reform(path) for path in args.reform or ()]
    as_of = args.as_of or dt.date.today()
    comparison = compare(parsed, reforms, as_of, award_share=args.award_share, budgets=_budgets(args.budget),
                         options=_options(args.option))
    columns = ["item_id", "policy_id", "kind", "baseline_yuan", "reform_yuan", "change_yuan",
               "baseline_recipients", "reform_recipients", "award_share"]
    if "prorated_yuan" in comparison.items.columns:
        columns.insert(columns.index("award_share"), "prorated_yuan")
    if kind == "csv":
        _write(Path(args.output), {"items": comparison.items[columns], "errors": parsed.errors})
    else:
        projection = None
        if args.years or args.draws:
            projection = project(parsed, _years(args.years), reforms=reforms, rd_growth=args.growth,
                                 rd_growth_sd=args.growth_sd, draws=args.draws, seed=args.seed,
                                 award_share=args.award_share, options=_options(args.option))
        write_budget_workbook(args.output, comparison, reform_parameters(default_policies(), reforms, as_of),
                              projection)
    _report_errors(parsed)
    items = comparison.items
    print(f"{len(parsed.frame)} enterprises, {parsed.bad_row_count} rejected; baseline "
          f"{int(items['baseline_yuan'].sum()):,} yuan, reform {int(items['reform_yuan'].sum()):,} yuan, change "
          f"{int(items['change_yuan'].sum()):+,} yuan → {args.output}")
    for line in comparison.budget_lines.itertuples():
        print(f"budget {line.budget_line}: claims {line.claims_yuan:,} yuan, budget {line.budget_yuan:,} yuan, "
              f"factor {line.factor_exact}, paid {line.prorated_yuan:,} yuan, remainder {line.remainder_yuan:,} yuan")
    return EXIT_ROWS_REJECTED if len(parsed.errors) else EXIT_OK


def cmd_policies(args) -> int:
    policies = default_policies()
    as_of = args.as_of or dt.date.today()
    for policy in policies.policies.values():
        state = "in force" if policy.in_force(as_of) else "NOT in force"
        print(f"{policy.id}: {policy.title}")
        print(f"  {policy.issuer}; valid {policy.validity_text()} ({state} on {as_of}); "
              f"{policy.validity.short()}")
        if policy.validity_assumption:
            print(f"  assumption: {policy.validity_assumption.strip()}")
        for node in policy.criteria.values():
            print(f"  criterion {node.id} [{node.strength}] {node.title_zh} — {node.citation.short()}")
        for node in policy.items.values():
            print(f"  item {node.id} [{node.kind}] {node.title_zh} — {node.citation.short()}")
        for node in policy.obligations.values():
            print(f"  obligation {node.id} {node.title_zh} — {node.citation.short()}")
    return EXIT_OK


def cmd_template(args) -> int:
    for path in write_templates(args.directory):
        print(path)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m calc", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("entitlements", help="what each enterprise can claim, item by item")
    p.add_argument("input", help="enterprises table (.csv or .xlsx)")
    p.add_argument("--as-of", type=_date, default=None, help="date the policies are read at (default: today)")
    p.add_argument("--output", required=True, help="OUT.csv (one row per enterprise and item) or OUT.xlsx")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--option", action="append", metavar="ID=VALUE", help="a reading, e.g. "
                   "xiamen_sti_measures.rd_step_subsidy.reading=increment")
    p.set_defaults(run=cmd_entitlements)

    p = sub.add_parser("consortium", help="consortium eligibility, criterion by criterion")
    p.add_argument("input", help="consortia table (.csv or .xlsx)")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--jurisdiction", choices=("all", *JURISDICTIONS), default=None,
                   help="assess against this jurisdiction (default: each row's own)")
    p.add_argument("--output", required=True)
    p.add_argument("--summary", default=None, help="SUMMARY.csv: one row per consortium and jurisdiction")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--option", action="append", metavar="ID=VALUE")
    p.set_defaults(run=cmd_consortium)

    p = sub.add_parser("budget", help="baseline vs reform over a population; budgets, projection")
    p.add_argument("input", help="enterprises table (.csv or .xlsx)")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument("--reform", action="append", metavar="R.yaml", help="a reform (YAML or XLSX); repeat to stack")
    p.add_argument("--budget", action="append", metavar="ITEM=AMOUNT",
                   help="pro-rate an item (or ITEM+ITEM) to a budget, e.g. xiamen_sti_measures.rd_step_subsidy=2亿")
    p.add_argument("--award-share", default=None, help="share of each ceiling assumed awarded (default 100%%)")
    p.add_argument("--years", default=None, help="projection years for the XLSX, e.g. 2025-2028")
    p.add_argument("--growth", type=float, default=0.12, help="mean yearly R&D growth (default 0.12)")
    p.add_argument("--growth-sd", type=float, default=0.0, help="spread of R&D growth per enterprise and year")
    p.add_argument("--draws", type=int, default=0, help="Monte Carlo draws for P10/P50/P90 (XLSX)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True, help="OUT.csv (one row per item) or OUT.xlsx (the full report)")
    p.add_argument("--option", action="append", metavar="ID=VALUE")
    p.set_defaults(run=cmd_budget)

    p = sub.add_parser("policies", help="the policies, their validity and their items with citations")
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(run=cmd_policies)

    p = sub.add_parser("template", help="write blank XLSX input templates")
    p.add_argument("directory", nargs="?", default=".")
    p.set_defaults(run=cmd_template)

    from calc import serve

    p = sub.add_parser("serve", help="serve the dashboards (Voila) on 127.0.0.1")
    serve.add_arguments(p)
    p.set_defaults(run=serve.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (InputError, UsageError, PolicyDataError, OptionError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
