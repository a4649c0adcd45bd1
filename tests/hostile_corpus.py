"""A corpus of hostile inputs and arguments, and what each must give: ``python tests/hostile_corpus.py DIR``
writes the files into DIR and lists the cases; ``tests/test_hostile.py`` runs every case through the command
line (and the files through the Python loaders) and checks the promises of README "Limits and guarantees":
the exit code, no traceback, the inputs unchanged, no output cell a formula or beginning with an unescaped
``= + - @``, no control character written raw, and no amount negative or wrapped.

Each case is a command line with the exit code it must give (0 computed, 1 rows rejected, 2 unusable) and a
piece of the message it must print.  The files are built here, byte by byte where a library would refuse to
write them (XLSX parts with a lying dimension, a shared string that unpacks to 200 MB, an encrypted workbook).
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

STEP = "xiamen_sti_measures.rd_step_subsidy"
AS_OF = "2026-06-30"


@dataclass
class Case:
    name: str
    args: list[str]
    exit: int
    message: str = ""                      # a piece of stdout + stderr the run must print
    inputs: list[Path] = field(default_factory=list)     # files that must be byte-identical afterwards
    outputs: list[Path] = field(default_factory=list)    # files that must (exit 0/1) or must not (exit 2) appear
    absent: list[Path] = field(default_factory=list)     # paths that must not exist afterwards


# ------------------------------------------------------------------------------------------------ XLSX by hand

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/xl/workbook.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                  '{overrides}</Types>')
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _cell(ref: str, value: str) -> str:
    if value.startswith("#s"):  # a shared string by index
        return f'<c r="{ref}" t="s"><v>{value[2:]}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet_xml(rows: list[list[str]], dimension: str | None = None) -> str:
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'


def _package(z: zipfile.ZipFile, sheet_names: list[str], shared_strings: bool) -> None:
    """The parts every workbook has: content types, relationships, the workbook and its sheets' list."""
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
                        for i in range(1, len(sheet_names) + 1))
    if shared_strings:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/>'
    z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides=overrides))
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
               'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
               f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_R}>'
               "<sheets>" + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                                    for i, n in enumerate(sheet_names, start=1)) + "</sheets></workbook>")
    z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
               'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                         for i in range(1, len(sheet_names) + 1))
               + (f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                  if shared_strings else "") + "</Relationships>")


def write_xlsx_parts(path: Path, sheets: dict[str, str], shared_strings: str | None = None) -> Path:
    """An XLSX written part by part: ``sheets`` maps a sheet name to its XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _package(z, list(sheets), shared_strings is not None)
        for i, xml in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        if shared_strings is not None:
            z.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def _streamed(z: zipfile.ZipFile, name: str, head: bytes, block: bytes, megabytes: int, tail: bytes) -> None:
    """A part of ``megabytes`` MB of ``block`` between ``head`` and ``tail``, streamed (never held in memory)."""
    with z.open(name, "w", force_zip64=True) as fh:
        fh.write(head)
        for _ in range(megabytes * 1024 * 1024 // len(block)):
            fh.write(block)
        fh.write(tail)


def shared_string_bomb(path: Path, megabytes: int = 200) -> Path:
    """One shared string of ``megabytes`` MB of 'A', used as an enterprise id: ~200 KB packed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _package(z, ["enterprises"], shared_strings=True)
        rows = [["enterprise_id", "city", "rd_expense"]] + [["#s0", "xiamen", "300万"] for _ in range(50)]
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(rows))
        _streamed(z, "xl/sharedStrings.xml",
                  f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} count="1" uniqueCount="1"><si><t>'
                  .encode(), b"A" * (1024 * 1024), megabytes, b"</t></si></sst>")
    return path


def zip_bomb(path: Path, megabytes: int = 300) -> Path:
    """A sheet whose XML is ``megabytes`` MB of empty rows: a few hundred KB packed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _package(z, ["enterprises"], shared_strings=False)
        _streamed(z, "xl/worksheets/sheet1.xml",
                  f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'
                  '<row r="1"><c r="A1" t="inlineStr"><is><t>enterprise_id</t></is></c></row>'.encode(),
                  b"<row/>" * (1024 * 1024 // 6), megabytes, b"</sheetData></worksheet>")
    return path


# ------------------------------------------------------------------------------------------------ the corpus

INJECTIONS = ['=HYPERLINK("http://example.com/x","click")', "+E2", "=1+1", "=cmd|' /C calc'!A0", "@SUM(A1)",
              "-2+3", "\t=1+1", "\r=1+1", "＝1+1", "  =1+1", "＠SUM(A1)"]


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def make_corpus(d: Path) -> list[Case]:
    """Write the corpus into the folder ``d`` and return its cases."""
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    out = d / "out"
    out.mkdir(exist_ok=True)
    cases: list[Case] = []

    def entitlements(name: str, path: Path, exit: int, message: str = "", *extra: str, xlsx: bool = True) -> None:
        for suffix in ("csv", "xlsx") if xlsx else ("csv",):
            target = out / f"{name}.{suffix}"
            produced = [target] + ([out / f"{name}.errors.csv"] if suffix == "csv" else [])
            cases.append(Case(f"entitlements {name} → {suffix}", ["entitlements", str(path), "--as-of", AS_OF,
                              "--output", str(target), *extra], exit, message, [path], produced))

    # -- formulas in every kind of text cell, and as bad values echoed in the errors
    lines = ["enterprise_id,name,city,district,rd_expense,rd_expense_prev"]
    for i, inj in enumerate(INJECTIONS):
        lines.append(",".join([_quote(inj if i % 2 == 0 else f"ID{i}"), _quote(inj), "厦门", _quote(inj),
                               "300万" if i % 3 else _quote(inj), "100万"]))
    entitlements("injection", _csv(d / "injection.csv", "\n".join(lines) + "\n"), 1, "row 1")
    # -- control characters: in a name (kept, escaped on output), in an id (the row is rejected)
    entitlements("controls", _csv(d / "controls.csv",
                 'enterprise_id,name,city,district,rd_expense,rd_expense_prev\n'
                 'C1,"Acme\x1b[31m red\x07",厦门,"思明\r\n区",300万,100万\n'
                 'C\x1b2,ok,厦门,,300万,100万\n'
                 'C3\u202e,bidi,厦门,,300万,100万\n'
                 'C4,"tab\tname",厦门,"\x00",300万,100万\n'), 1, "control character")
    # -- a 1 MB id (rejected, echoed cut) beside a good row
    entitlements("long_id", _csv(d / "long_id.csv", "enterprise_id,city,rd_expense,rd_expense_prev\n"
                 + "X" * 1_048_576 + ",厦门,300万,100万\nOK,厦门,300万,100万\n"), 1, "1,048,576 characters")
    # -- unusable files
    entitlements("duplicate_header", _csv(d / "duplicate_header.csv",
                 "enterprise_id,rd_expense,enterprise_id\nE1,300万,E2\n"), 2, "appears twice")
    entitlements("wrong_unit", _csv(d / "wrong_unit.csv",
                 "enterprise_id,城市,研发费用(千元)\nE1,厦门,3000\n"), 2, "is not a unit of 'rd_expense'")
    entitlements("utf16", _csv(d / "utf16.csv", "enterprise_id,rd_expense\nE1,300万\n", "utf-16"), 2, "UTF-16")
    binary = d / "binary.csv"
    binary.write_bytes(b"enterprise_id\n\x80\x81\xff\xfe\xfd\n")
    entitlements("binary", binary, 2, "not UTF-8 or GB18030")
    entitlements("empty", _csv(d / "empty.csv", ""), 2, "empty")
    entitlements("no_id_column", _csv(d / "no_id_column.csv", "city,rd_expense\n厦门,300万\n"), 2,
                 "no 'enterprise_id' column")
    entitlements("many_columns", _csv(d / "many_columns.csv",
                 ",".join(["enterprise_id"] + [f"c{i}" for i in range(1_000)]) + "\nE1" + "," * 1_000 + "\n"), 2,
                 "above the limit of 1,000")
    entitlements("over_row_limit", _csv(d / "over_row_limit.csv",
                 "enterprise_id,rd_expense\n" + "".join(f"E{i},1万\n" for i in range(11))), 2, "above the limit of 10",
                 "--limit", "rows=10")
    entitlements("over_cell_limit", _csv(d / "over_cell_limit.csv",
                 "enterprise_id,rd_expense,city\n" + "".join(f"E{i},1万,厦门\n" for i in range(4))), 2,
                 "12 cells, above the limit of 10", "--limit", "cells=10")
    entitlements("semicolons", _csv(d / "semicolons.csv", "enterprise_id;rd_expense\nE1;1万\n"), 2,
                 "semicolons inside")
    entitlements("blank_lines_before_the_header", _csv(d / "blank_lines_before_the_header.csv",
                 "\n,,\nenterprise_id,city,rd_expense,rd_expense_prev\nB1,厦门,300万,100万\n"), 0,
                 "1 enterprises computed")
    entitlements("ragged", _csv(d / "ragged.csv", "enterprise_id,rd_expense\nE1,1万\nE2,2万,extra,cells\n"), 2,
                 "cannot read")
    # -- well-formed but edge files
    entitlements("header_only", _csv(d / "header_only.csv", "enterprise_id,rd_expense\n"), 0, "0 enterprises")
    entitlements("blank_rows", _csv(d / "blank_rows.csv", "enterprise_id,rd_expense\n,\n , \n\n"), 0, "0 enterprises")
    entitlements("gbk", _csv(d / "gbk.csv", "企业编号,所在城市,当年自主研发费用,上年自主研发费用\nG1,厦门,300万,100万\n",
                             "gb18030"), 0, "1 enterprises computed")
    # -- amounts and counts above the bounds, and values that once wrapped
    entitlements("money_huge", _csv(d / "money_huge.csv",
                 "enterprise_id,city,rd_expense,rd_expense_prev\n"
                 "M1,厦门,92233720368547758,100万\nM2,厦门,1e400,100万\nM3,厦门,inf,100万\nM4,厦门,NaN,100万\n"
                 "M5,厦门,-5万,100万\nM6,厦门,100001亿,100万\nM7,厦门,100000亿,100万\n"), 1, "above the largest amount")
    entitlements("counts_huge", _csv(d / "counts_huge.csv",
                 "enterprise_id,city,new_national_platforms,postdocs_in_station\n"
                 "N1,厦门,1000001,1\nN2,厦门,-1,1\nN3,厦门,1.5,1\nN4,厦门,1000000,1000000\n"), 1, "too large for a count")
    entitlements("funding_wrap", _csv(d / "funding_wrap.csv",
                 "enterprise_id,city,national_funding,provincial_funding,municipal_funding,project_total_investment\n"
                 "F1,厦门,2000万,92233720368547758,92233720368547758,1亿\n"
                 "F2,厦门,2000万,0,0,1亿\n"), 1, "above the largest amount")
    # -- XLSX attacks
    entitlements("dimension_bomb", write_xlsx_parts(d / "dimension_bomb.xlsx", {"enterprises": sheet_xml(
                 [["enterprise_id", "city"], ["E1", "xiamen"]], dimension="A1:XFD1048576")}), 2, "declares 16,384 columns")
    entitlements("shared_string_bomb", shared_string_bomb(d / "shared_string_bomb.xlsx"), 2, "zip bomb")
    entitlements("zip_bomb", zip_bomb(d / "zip_bomb.xlsx"), 2, "zip bomb")
    encrypted = d / "encrypted.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    entitlements("encrypted", encrypted, 2, "password-protected")
    not_zip = d / "not_zip.xlsx"
    not_zip.write_bytes(b"enterprise_id,rd_expense\nE1,1\n")
    entitlements("not_zip", not_zip, 2, "not an .xlsx")
    entitlements("second_sheet", write_xlsx_parts(d / "second_sheet.xlsx", {
        "readme": sheet_xml([["这份表格的说明"], ["数据在第二张表"]]),
        "Sheet2": sheet_xml([["enterprise_id", "city", "rd_expense", "rd_expense_prev"],
                             ["S1", "xiamen", "300万", "100万"]])}), 0, "1 enterprises computed")
    entitlements("xlsx_injection_and_controls", write_xlsx_parts(d / "xlsx_injection_and_controls.xlsx", {
        "enterprises": sheet_xml([["enterprise_id", "name", "city", "rd_expense", "rd_expense_prev"],
                                  # XML forbids C0 controls but for tab and line breaks; C1 ones (U+009B is the
                                  # 8-bit "ESC [") and bidi overrides get through
                                  ["=1+1", "\u009b31mred\r\nname", "xiamen", "300万", "100万"],
                                  ["X\u009b2", "csi id", "xiamen", "300万", "100万"],
                                  ["Y\u202e3", "bidi id", "xiamen", "300万", "100万"],
                                  ["+E2", "=HYPERLINK(&quot;http://example.com&quot;)", "xiamen", "=1+1", "100万"]])}),
                 1, "control character")
    # a 40,000-character id is accepted with a raised cell bound, but cannot go into an XLSX cell (32,767)
    long_id = _csv(d / "long_id_40k.csv", "enterprise_id,city\n" + "名" * 40_000 + ",厦门\n")
    cases.append(Case("entitlements 40,000-character id → xlsx", ["entitlements", str(long_id), "--as-of", AS_OF,
                      "--output", str(out / "long_id_40k.xlsx"), "--limit", "cell_chars=100000"], 2,
                      "an Excel cell holds 32,767", [long_id], [out / "long_id_40k.xlsx"]))
    entitlements("long_id_40k_csv", long_id, 0, "1 enterprises computed", "--limit", "cell_chars=100000", xlsx=False)

    # -- consortia: every row rejected, header only, blank rows (the default jurisdiction once crashed here)
    for name, text, exit in (("all_rejected", "consortium_id,jurisdiction,enterprises\nC1,xiamen,-1\nC2,xiamen,many\n", 1),
                             ("header_only", "consortium_id,jurisdiction,enterprises\n", 0),
                             ("blank_rows", "consortium_id,jurisdiction,enterprises\n,,\n,,\n", 0)):
        path = _csv(d / f"consortia_{name}.csv", text)
        target, summary = out / f"consortia_{name}.csv", out / f"consortia_{name}.summary.csv"
        cases.append(Case(f"consortium {name}", ["consortium", str(path), "--as-of", AS_OF, "--output", str(target),
                          "--summary", str(summary)], exit, "consortia assessed", [path],
                          [target, out / f"consortia_{name}.errors.csv", summary]))

    # -- outputs that would overwrite an input or each other (refused before any work)
    good = _csv(d / "good.csv", "enterprise_id,city,rd_expense,rd_expense_prev\nE1,厦门,1234.56万,1000万\n")
    (d / "sub").mkdir(exist_ok=True)
    link = d / "link.csv"
    if not link.exists():
        link.symlink_to(good)
    hard = d / "hard.csv"
    if not hard.exists():
        hard.hardlink_to(good)
    good_xlsx = write_xlsx_parts(d / "good.xlsx", {"enterprises": sheet_xml(
        [["enterprise_id", "city", "rd_expense", "rd_expense_prev"], ["E1", "xiamen", "300万", "100万"]])})
    for name, target in (("itself", good), ("through ./", d / "." / "good.csv"), ("through ..", d / "sub" / ".." / "good.csv"),
                         ("through a symlink", link), ("through a hard link", hard)):
        cases.append(Case(f"output is the input {name}", ["entitlements", str(good), "--as-of", AS_OF, "--output",
                          str(target)], 2, "it would be overwritten", [good, link, hard]))
    cases.append(Case("xlsx output is the xlsx input", ["entitlements", str(good_xlsx), "--as-of", AS_OF, "--output",
                      str(good_xlsx)], 2, "it would be overwritten", [good_xlsx]))
    errors_named = _csv(d / "r.errors.csv", "enterprise_id,city,rd_expense\nR1,厦门,300万\n")
    cases.append(Case("input is the errors file of the output", ["entitlements", str(errors_named), "--as-of", AS_OF,
                      "--output", str(d / "r.csv")], 2, "it would be overwritten", [errors_named], absent=[d / "r.csv"]))
    consortia_good = _csv(d / "consortia_good.csv", "consortium_id,jurisdiction,enterprises\nC1,xiamen,5\n")
    cases.append(Case("summary is the output", ["consortium", str(consortia_good), "--as-of", AS_OF, "--output",
                      str(out / "same.csv"), "--summary", str(out / "same.csv")], 2, "it would be overwritten",
                      [consortia_good], absent=[out / "same.csv"]))
    cases.append(Case("output is a folder", ["entitlements", str(good), "--as-of", AS_OF, "--output", str(d / "sub")],
                      2, "is a folder: a partitioned Parquet dataset is written with --workers", [good]))
    cases.append(Case("output of an unknown type", ["entitlements", str(good), "--as-of", AS_OF, "--output",
                      str(d / "newdir" / "x.txt")], 2, "must end in .csv, .parquet or .xlsx", [good],
                      absent=[d / "newdir"]))
    cases.append(Case("no policy in force", ["entitlements", str(good), "--as-of", "2035-01-01", "--output",
                      str(out / "future.csv")], 0, "no policy is in force on 2035-01-01", [good],
                      [out / "future.csv"]))
    cases.append(Case("as-of beyond the dates handled", ["entitlements", str(good), "--as-of", "9999-01-01",
                      "--output", str(out / "far.csv")], 2, "outside", [good], absent=[out / "far.csv"]))
    cases.append(Case("a limit that is not a limit", ["entitlements", str(good), "--output", str(out / "lim.csv"),
                      "--limit", "rows=lots"], 2, "--limit", [good], absent=[out / "lim.csv"]))

    # -- budget arguments (checked before any work)
    budget_out = out / "budget_args.csv"
    for name, extra in (  # each refused with a message naming its flag
        ("budget not money", ["--budget", f"{STEP}=abc"]),
        ("budget negative", ["--budget", f"{STEP}=-5万"]),
        ("budget unknown item", ["--budget", "no.such.item=5万"]),
        ("award share above 100%", ["--award-share", "150%"]),
        ("award share zero", ["--award-share", "0%"]),
        ("award share not a number", ["--award-share", "lots"]),
        ("years beyond 9999", ["--years", "9999-10000"]),
        ("years 0-1", ["--years", "0-1"]),
        ("growth nan", ["--growth", "nan"]),
        ("growth inf", ["--growth", "inf"]),
        ("growth -100%", ["--growth", "-1"]),
        ("draws negative", ["--draws", "-5"]),
        ("draws too many", ["--draws", "100000000"]),
        ("growth spread negative", ["--growth-sd", "-1"]),
    ):
        cases.append(Case(name, ["budget", str(good), "--as-of", AS_OF, "--output", str(budget_out), *extra], 2,
                          extra[0], [good], absent=[budget_out]))
    # an award share of any precision is exact: 33.3333333333% of each ceiling item, floored to the yuan
    cases.append(Case("award share 33.3333333333%", ["budget", str(good), "--as-of", AS_OF, "--output",
                      str(out / "share.csv"), "--award-share", "33.3333333333%"], 0, "baseline", [good],
                      [out / "share.csv"]))
    # 4,000 enterprises, each with 1,000,000 new national platforms: 4,000 × 10^6 × 3000万元 = 1.2 × 10^17 yuan,
    # beyond int64 in fen: the sums must be exact
    platforms = _csv(d / "platforms.csv", "enterprise_id,city,new_national_platforms\n"
                     + "".join(f"P{i},厦门,1000000\n" for i in range(4_000)))
    cases.append(Case("4,000 × a million platforms", ["budget", str(platforms), "--as-of", AS_OF, "--output",
                      str(out / "platforms_budget.csv")], 0, "baseline 120,000,000,000,000,000 yuan", [platforms],
                      [out / "platforms_budget.csv"]))

    # -- reform files
    reforms = {
        "billion_laughs": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)),
        "python_object": "parameters: !!python/object/apply:os.system ['echo pwned']\n",
        "invalid_yaml": "parameters: [unclosed\n  - : :\n",
        "top_level_list": "- a\n- b\n",
        "top_level_string": "just a string\n",
        "bad_date": f"parameters:\n  {STEP}.cap:\n    value: 300万\n    from: 2026-02-30\n",
        "huge_rate": "parameters:\n  xiamen_sti_measures.joint_lab.rate: 1.0e+300\n",
        "negative_rate": "parameters:\n  xiamen_sti_measures.joint_lab.rate: -0.5\n",
        "rate_150": "parameters:\n  xiamen_sti_measures.joint_lab.rate: 150%\n",
        "step_zero": f"parameters:\n  {STEP}.step: 0\n",
        "amount_overflow": f"parameters:\n  {STEP}.amount_per_step: 92233720368547758\n",
    }
    for name, text in reforms.items():
        path = d / f"reform_{name}.yaml"
        path.write_text(text, encoding="utf-8")
        cases.append(Case(f"reform {name}", ["budget", str(good), "--as-of", AS_OF, "--reform", str(path),
                          "--output", str(out / f"reform_{name}.csv")], 2, "", [good, path],
                          absent=[out / f"reform_{name}.csv"]))
    gbk = d / "reform_gbk.yaml"
    gbk.write_bytes(f"name: 上限三百万\nparameters:\n  {STEP}.cap: 300万\n".encode("gbk"))
    cases.append(Case("reform gbk", ["budget", str(good), "--as-of", AS_OF, "--reform", str(gbk), "--output",
                      str(out / "reform_gbk.csv")], 2, "UTF-8", [good, gbk], absent=[out / "reform_gbk.csv"]))
    reform_bomb = write_xlsx_parts(d / "reform_dimension_bomb.xlsx", {"reform": sheet_xml(
        [["parameter_id", "value"], [f"{STEP}.cap", "300万"]], dimension="A1:B1048576")})
    cases.append(Case("reform sheet with a lying dimension", ["budget", str(good), "--as-of", AS_OF, "--reform",
                      str(reform_bomb), "--output", str(out / "reform_bomb.csv")], 2, "declares 1,048,576 rows",
                      [good, reform_bomb], absent=[out / "reform_bomb.csv"]))
    reform_sheet = write_xlsx_parts(d / "reform_sheet.xlsx", {
        "notes": sheet_xml([["说明"], ["改革参数在第二张表"]]),
        "Sheet2": sheet_xml([["parameter_id", "value"], [f"{STEP}.cap", "=1+1"]])})
    cases.append(Case("reform sheet with a formula as a value", ["budget", str(good), "--as-of", AS_OF, "--reform",
                      str(reform_sheet), "--output", str(out / "reform_sheet.csv")], 2, "=1+1", [good, reform_sheet],
                      absent=[out / "reform_sheet.csv"]))
    flat = d / "reform_flat.yaml"
    flat.write_text(f"{STEP}.cap: 300万\n", encoding="utf-8")
    cases.append(Case("reform in the flat form", ["budget", str(good), "--as-of", AS_OF, "--reform", str(flat),
                      "--output", str(out / "reform_flat.csv")], 0, "baseline", [good, flat], [out / "reform_flat.csv"]))
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile_corpus.py DIR")
    for case in make_corpus(Path(sys.argv[1])):
        print(f"{case.exit}  {case.name}: python -m calc {' '.join(case.args)}"[:300])
