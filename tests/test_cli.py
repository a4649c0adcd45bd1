"""The command line, as a user runs it: ``python -m calc …`` in a subprocess, on files in a temporary directory.

Exit status (README, calc/cli.py): 0 when every row computed; 1 when some rows were rejected (the rest are
still written, the errors go to stderr and to OUT.errors.csv, always written beside a CSV output, or the
``errors`` sheet); 2 for unusable arguments or files; 3 for an internal error.  Every amount below is worked
by hand from the quoted article.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pandas as pd

from calc import load_consortia, load_enterprises
from calc.inputs import CONSORTIUM_COLUMNS, ENTERPRISE_COLUMNS
from calc.policies import default_policies

ROOT = Path(__file__).resolve().parents[1]
STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
ITEM_COLUMNS = ["enterprise_id", "policy_id", "item_id", "kind", "status", "amount_yuan", "counted", "reason",
                "citation"]
CRITERIA_COLUMNS = ["consortium_id", "jurisdiction", "criterion_id", "result", "value", "threshold", "margin",
                    "citation"]
N_ITEMS = len(list(default_policies().items()))  # every item of every policy, one row each per enterprise


def calc_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calc", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def calc_cli_many(*runs: list) -> list[subprocess.CompletedProcess]:
    """Several independent runs side by side (each is its own process; this only saves wall time)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda args: calc_cli(*args), runs))


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"enterprise_id": str, "consortium_id": str, "id": str},
                       keep_default_na=False)


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for k, v in where.items():
        mask &= table[k] == v
    found = table[mask]
    assert len(found) == 1, (where, found)
    return found.iloc[0]


# 措施7: 企业年度自主研发费用高于200万元且较上年实现增长的,年度自主研发费用每满200万元给予10万元补助,最高500万元。
#        企业年度自主研发费用高于500万元且增长率超过20%的,给予最高50万元叠加奖励。
# E1 (厦门): 1,234.56万 > 200万 and > 1,000万 last year → ⌊12,345,600 / 2,000,000⌋ = 6 steps × 10万 = 600,000 yuan;
#            1,234.56万 > 500万 and growth 234.56 / 1000 = 23.456% > 20% → bonus 500,000 yuan (叠加, a ceiling)
# E2 (other city): the measures are Xiamen's (requires xiamen) → not eligible, 0
# E3 (厦门): exactly 200万 is not 高于200万 → not eligible, 0
ENTERPRISES = """
enterprise_id,city,rd_expense,rd_expense_prev
E1,厦门,"1,234.56万",1000万
E2,other,500万,100万
E3,xiamen,200万,100万
"""


def test_entitlements_csv_has_one_row_per_enterprise_and_item_and_the_hand_worked_amounts(tmp_path):
    # --rows all: every item of every enterprise; --citations inline: the article and its quote in every row
    out = tmp_path / "out.csv"
    done = calc_cli("entitlements", write_csv(tmp_path / "in.csv", ENTERPRISES), "--as-of", "2026-06-30",
                    "--output", out, "--lang", "en", "--rows", "all", "--citations", "inline")
    assert done.returncode == 0, done.stderr
    table = read_csv(out)
    assert set(ITEM_COLUMNS) <= set(table.columns)
    assert len(table) == 3 * N_ITEMS
    assert (table.groupby(["enterprise_id", "item_id"]).size() == 1).all()
    assert set(table["enterprise_id"]) == {"E1", "E2", "E3"}

    step = row(table, enterprise_id="E1", item_id=STEP)
    assert (step["status"], step["amount_yuan"], step["counted"]) == ("granted", 600_000, True)
    assert step["policy_id"] == "xiamen_sti_measures" and step["kind"] == "formula"
    assert "措施7" in step["citation"] and "每满200万元给予10万元补助" in step["citation"]
    assert "6" in step["reason"] and "¥600,000" in step["reason"]
    bonus = row(table, enterprise_id="E1", item_id=BONUS)
    assert (bonus["status"], bonus["amount_yuan"], bonus["counted"]) == ("granted", 500_000, True)
    e2 = row(table, enterprise_id="E2", item_id=STEP)
    assert (e2["status"], e2["amount_yuan"], e2["counted"]) == ("not_eligible", 0, False)
    assert "Xiamen" in e2["reason"]
    e3 = row(table, enterprise_id="E3", item_id=STEP)
    assert (e3["status"], e3["amount_yuan"]) == ("not_eligible", 0)
    # the errors file is always written beside a CSV output: here it holds its header and no row
    assert len(read_csv(tmp_path / "out.errors.csv")) == 0


def test_a_reading_option_changes_the_step_subsidy(tmp_path):
    # increment reading: steps of the increase only: 1,234.56万 − 1,000万 = 234.56万 → 1 full step of 200万 → 10万
    out = tmp_path / "out.csv"
    done = calc_cli("entitlements", write_csv(tmp_path / "in.csv", ENTERPRISES), "--as-of", "2026-06-30",
                    "--output", out, "--option", f"{STEP}.reading=increment")
    assert done.returncode == 0, done.stderr
    assert row(read_csv(out), enterprise_id="E1", item_id=STEP)["amount_yuan"] == 100_000


BAD_ROWS = """
enterprise_id,city,rd_expense,rd_expense_prev
E1,厦门,"1,234.56万",1000万
E2,厦门,12万x,100万
E3,xiamen,400万,100万
E4,xiamen,500万,-5万
"""


def test_bad_rows_exit_1_the_good_rows_are_written_and_the_errors_are_named(tmp_path):
    out = tmp_path / "out.csv"
    done = calc_cli("entitlements", write_csv(tmp_path / "in.csv", BAD_ROWS), "--as-of", "2026-06-30",
                    "--output", out, "--rows", "all")
    assert done.returncode == 1, done.stderr
    table = read_csv(out)
    assert set(table["enterprise_id"]) == {"E1", "E3"}
    assert len(table) == 2 * N_ITEMS
    assert row(table, enterprise_id="E1", item_id=STEP)["amount_yuan"] == 600_000
    # E3: 400万 → ⌊4,000,000 / 2,000,000⌋ = 2 steps → 200,000 yuan
    assert row(table, enterprise_id="E3", item_id=STEP)["amount_yuan"] == 200_000
    # stderr names the row, the column and the value of each bad cell
    lines = done.stderr.splitlines()
    assert any("row 2" in l and "rd_expense" in l and "12万x" in l for l in lines), done.stderr
    assert any("row 4" in l and "rd_expense_prev" in l and "-5万" in l for l in lines), done.stderr
    errors = read_csv(tmp_path / "out.errors.csv")
    assert list(errors.columns[:4]) == ["input_row", "id", "column", "value"]
    # "-5万" begins with "-": written as "'-5万" so that no spreadsheet reads it as a formula
    assert sorted(zip(errors["input_row"], errors["id"], errors["column"], errors["value"])) == [
        (2, "E2", "rd_expense", "12万x"), (4, "E4", "rd_expense_prev", "'-5万")]

    # a clean rerun to the same output leaves no stale errors behind: the errors file is rewritten, empty
    done = calc_cli("entitlements", write_csv(tmp_path / "good.csv", ENTERPRISES), "--as-of", "2026-06-30",
                    "--output", out)
    assert done.returncode == 0, done.stderr
    assert len(read_csv(tmp_path / "out.errors.csv")) == 0


def test_xlsx_output_has_items_totals_and_errors_sheets(tmp_path):
    out = tmp_path / "out.xlsx"
    done = calc_cli("entitlements", write_csv(tmp_path / "in.csv", BAD_ROWS), "--as-of", "2026-06-30",
                    "--output", out)
    assert done.returncode == 1, done.stderr
    assert {"items", "totals", "errors"} <= set(openpyxl.load_workbook(out, read_only=True).sheetnames)
    sheets = pd.read_excel(out, sheet_name=None, dtype={"enterprise_id": str, "id": str})
    items = sheets["items"]
    assert set(ITEM_COLUMNS) <= set(items.columns)
    assert row(items, enterprise_id="E1", item_id=STEP)["amount_yuan"] == 600_000
    # E1 totals: formula 600,000 (step) + ceiling 500,000 (growth bonus, 叠加); nothing else is known to apply
    totals = sheets["totals"].set_index("enterprise_id")
    assert set(totals.index) == {"E1", "E3"}
    assert tuple(totals.loc["E1", ["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]]) == (600_000, 500_000, 1_100_000)
    # E3: 2 steps = 200,000; 400万 is not above 500万, so no bonus
    assert tuple(totals.loc["E3", ["formula_fixed_yuan", "ceiling_yuan", "total_yuan"]]) == (200_000, 0, 200_000)
    errors = sheets["errors"]
    assert sorted(zip(errors["input_row"], errors["column"], errors["value"])) == [
        (2, "rd_expense", "12万x"), (4, "rd_expense_prev", "'-5万")]
    assert not (tmp_path / "out.errors.csv").exists()


def test_an_excel_file_with_chinese_headers_gives_the_same_amounts_as_the_english_csv(tmp_path):
    # the same three enterprises; the workbook has Chinese headers and amounts typed as numbers in 元
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业编号", "所在城市", "当年自主研发费用", "上年自主研发费用"])
    ws.append(["E1", "厦门", 12_345_600, 10_000_000])
    ws.append(["E2", "其他", 5_000_000, 1_000_000])
    ws.append(["E3", "厦门市", 2_000_000, 1_000_000])
    wb.save(tmp_path / "zh.xlsx")
    zh_out, en_out = tmp_path / "zh_out.csv", tmp_path / "en_out.csv"
    runs = calc_cli_many(["entitlements", tmp_path / "zh.xlsx", "--as-of", "2026-06-30", "--output", zh_out],
                         ["entitlements", write_csv(tmp_path / "en.csv", ENTERPRISES), "--as-of", "2026-06-30",
                          "--output", en_out])
    assert [done.returncode for done in runs] == [0, 0], [done.stderr for done in runs]
    keys = ["enterprise_id", "item_id", "status", "amount_yuan", "counted", "reason"]
    zh, en = read_csv(zh_out)[keys], read_csv(en_out)[keys]
    pd.testing.assert_frame_equal(zh, en)
    assert row(zh, enterprise_id="E1", item_id=STEP)["amount_yuan"] == 600_000


def unusable_cases(d: Path) -> dict[str, tuple[list, str]]:
    """name -> (arguments, what stderr must say); every output path is d/o.csv or d/o.txt."""
    good = write_csv(d / "in.csv", ENTERPRISES)
    return {
        "missing input file": (["entitlements", d / "nowhere.csv", "--output", d / "o.csv"], "file not found"),
        "input neither CSV nor XLSX": (["entitlements", write_csv(d / "in.txt", ENTERPRISES), "--output", d / "o.csv"],
                                       "unsupported file type"),
        "output neither CSV, Parquet nor XLSX": (["entitlements", good, "--output", d / "o.txt"],
                                                 ".csv, .parquet or .xlsx"),
        "month 13": (["entitlements", good, "--as-of", "2026-13-01", "--output", d / "o.csv"], "not a date"),
        "day/month/year": (["entitlements", good, "--as-of", "30/06/2026", "--output", d / "o.csv"], "not a date"),
        "policies, not a date": (["policies", "--as-of", "yesterday"], "not a date"),
        "unknown flag": (["entitlements", good, "--bogus", "1", "--output", d / "o.csv"], "unrecognized arguments"),
        "unknown reading option": (["entitlements", good, "--option", "no.such.option=1", "--output", d / "o.csv"],
                                   "unknown option"),
        "value the option does not offer": (["entitlements", good, "--option", f"{STEP}.reading=generous",
                                             "--output", d / "o.csv"], "choose one of"),
        "option without '='": (["entitlements", good, "--option", f"{STEP}.reading", "--output", d / "o.csv"],
                               "ID=VALUE"),
        "no enterprise_id column": (["entitlements", write_csv(d / "noid.csv", "city,rd_expense\n厦门,100万"),
                                     "--output", d / "o.csv"], "enterprise_id"),
        "no consortium_id column": (["consortium", write_csv(d / "noid_c.csv", "jurisdiction,enterprises\nxiamen,5"),
                                     "--output", d / "o.csv"], "consortium_id"),
        "unknown jurisdiction": (["consortium", write_csv(d / "c.csv", "consortium_id,jurisdiction\nC1,xiamen"),
                                  "--jurisdiction", "beijing", "--output", d / "o.csv"], "invalid choice"),
    }


def test_unusable_arguments_or_files_exit_2_with_a_clear_message(tmp_path):
    cases = unusable_cases(tmp_path)
    results = calc_cli_many(*(args for args, _ in cases.values()))
    wrong = [f"{name}: exit {done.returncode}, stderr {done.stderr!r}"
             for (name, (_, message)), done in zip(cases.items(), results)
             if done.returncode != 2 or message not in done.stderr or "Traceback" in done.stderr]
    assert not wrong, "\n".join(wrong)
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.txt").exists()


# ---------------------------------------------------------------------------------------------- consortia
# 厦门市创新联合体管理办法 第六条（一）: 7个(含)以上单位组成,其中企业不少于5个、其它单位不少于2个;
# 第六条（二）1 年主营业务收入原则上应达到5亿元以上(含); 2 建有市级及以上创新平台;
# 3 近三个会计年度年均研发投入经费不低于2000万元; 4 原则上一个单位仅限牵头组建一个创新联合体; 第七条 协议、首席科学家.
# X7: 5 enterprises + 1 university + 1 institute = 7 units ≥ 7, 5 ≥ 5 enterprises, 2 ≥ 2 others; an enterprise lead
#     in Xiamen with revenue 5亿 (≥ 5亿), a municipal platform, R&D 2000万 each year (average 2000万 ≥ 2000万),
#     leading no other consortium, agreement signed, chief scientist → eligible.
# X6: the same without the institute: 6 units, one short of 7 → members_total fails "还差1" (and 1 other unit
#     is one short of 2) → ineligible.
CONSORTIUM_HEADER = ("consortium_id,jurisdiction,enterprises,universities,research_institutes,other_units,local_units,"
                     "scale_or_hightech_enterprises,lead_type,lead_region,lead_revenue,lead_revenue_prev,"
                     "lead_revenue_prev2,lead_rd,lead_rd_prev,lead_rd_prev2,lead_years_operating,lead_platform_level,"
                     "lead_rd_staff,lead_other_consortia,chief_scientist,agreement_signed,field,core_team_members,"
                     "national_level_talents,city_b_talents")
X7 = "X7,厦门,5,1,1,0,5,3,企业,厦门,5亿,5亿,5亿,2000万,2000万,2000万,10,市级,30,0,是,是,其他,10,1,3"
X6 = "X6,厦门,5,1,0,0,5,3,企业,厦门,5亿,5亿,5亿,2000万,2000万,2000万,10,市级,30,0,是,是,其他,10,1,3"
# 辽阳市创新联合体管理办法 第六条 成员单位原则上不低于8家 (soft; the lead counted); 第七条（一）原则上注册在辽阳的企业;
# 第七条（三）建有省级技术创新平台, 年度研发投入原则上不低于销售收入的3%; 第九条 协议; 第十条 首席专家.
# L8: 6 + 1 + 1 = 8 units ≥ 8; an enterprise registered in Liaoyang; provincial platform; 1,500万 / 5亿 = 3% ≥ 3%
#     → eligible.  L7: 7 units, one short of 8 → soft fail "还差1" → eligible_with_exceptions.
L8 = "L8,辽阳,6,1,1,0,8,3,企业,辽阳,5亿,5亿,5亿,1500万,1500万,1500万,10,省级,30,0,是,是,其他,,,"
L7 = "L7,辽阳,5,1,1,0,7,3,企业,辽阳,5亿,5亿,5亿,1500万,1500万,1500万,10,省级,30,0,是,是,其他,,,"


def consortia_csv(path: Path, *rows: str) -> Path:
    return write_csv(path, "\n".join([CONSORTIUM_HEADER, *rows]))


def test_consortium_criteria_and_summary_worked_by_hand_against_xiamen_article_6(tmp_path):
    out, summary_path = tmp_path / "criteria.csv", tmp_path / "summary.csv"
    done = calc_cli("consortium", consortia_csv(tmp_path / "c.csv", X7, X6), "--as-of", "2026-06-30",
                    "--output", out, "--summary", summary_path)
    assert done.returncode == 0, done.stderr
    criteria = read_csv(out)
    assert set(CRITERIA_COLUMNS) <= set(criteria.columns)
    summary = read_csv(summary_path)
    assert {"consortium_id", "jurisdiction", "status"} <= set(summary.columns)
    # without --jurisdiction each row is assessed against its own jurisdiction only
    assert sorted(zip(summary["consortium_id"], summary["jurisdiction"], summary["status"])) == [
        ("X6", "xiamen", "ineligible"), ("X7", "xiamen", "eligible")]
    assert set(criteria["jurisdiction"]) == {"xiamen"}

    members = row(criteria, consortium_id="X7", criterion_id="xiamen_consortium_2025.members_total")
    assert (members["result"], members["value"], members["margin"]) == ("pass", "7", "")
    assert "7" in members["threshold"] and "第六条（一）" in members["citation"]
    members = row(criteria, consortium_id="X6", criterion_id="xiamen_consortium_2025.members_total")
    assert (members["result"], members["value"], members["margin"]) == ("fail", "6", "还差1")
    others = row(criteria, consortium_id="X6", criterion_id="xiamen_consortium_2025.member_other_units")
    assert (others["result"], others["margin"]) == ("fail", "还差1")
    revenue = row(criteria, consortium_id="X7", criterion_id="xiamen_consortium_2025.lead_revenue")
    assert revenue["result"] == "pass" and "5亿" in revenue["value"]


def test_consortium_margins_in_english(tmp_path):
    out = tmp_path / "criteria.csv"
    done = calc_cli("consortium", consortia_csv(tmp_path / "c.csv", X6), "--as-of", "2026-06-30", "--output", out,
                    "--lang", "en")
    assert done.returncode == 0, done.stderr
    members = row(read_csv(out), consortium_id="X6", criterion_id="xiamen_consortium_2025.members_total")
    assert (members["result"], members["margin"]) == ("fail", "1 more")


def test_jurisdiction_all_assesses_every_consortium_in_four_jurisdictions(tmp_path):
    # 2026-01-01: all four consortium policies are in force (Liaoyang until 2026-05-22, Xiamen from 2025-08-10)
    out, summary_path = tmp_path / "criteria.csv", tmp_path / "summary.csv"
    done = calc_cli("consortium", consortia_csv(tmp_path / "c.csv", X7, L8), "--as-of", "2026-01-01",
                    "--jurisdiction", "all", "--output", out, "--summary", summary_path)
    assert done.returncode == 0, done.stderr
    summary = read_csv(summary_path)
    assert len(summary) == 2 * 4
    for cid in ("X7", "L8"):
        assert sorted(summary.loc[summary["consortium_id"] == cid, "jurisdiction"]) == [
            "hainan", "liaoyang", "qingdao", "xiamen"]
    status = summary.set_index(["consortium_id", "jurisdiction"])["status"]
    assert status[("X7", "xiamen")] == "eligible" and status[("L8", "liaoyang")] == "eligible"
    # X7's lead is in Xiamen: Liaoyang's 第七条（一）注册在辽阳 is 原则上 (soft), but its platform is municipal and
    # 第七条（三）建有省级技术创新平台 is hard → ineligible in Liaoyang
    assert status[("X7", "liaoyang")] == "ineligible"
    assert set(read_csv(out)["jurisdiction"]) == {"hainan", "liaoyang", "qingdao", "xiamen"}


LIAOYANG_DATES = [
    ("2025-01-01", "eligible", "eligible_with_exceptions"),
    ("2026-05-22", "eligible", "eligible_with_exceptions"),  # the last day of 第二十七条's three years
    ("2026-05-23", "not_in_force", "not_in_force"),
    ("2026-11-23", "not_in_force", "not_in_force"),
]


def test_liaoyang_measures_ran_three_years_from_2023_05_23(tmp_path):
    # 第二十七条: 本办法自印发之日起实施,有效期三年 (issued 2023-05-23) → in force 2023-05-23 – 2026-05-22:
    # assessed on 2025-01-01 and 2026-05-22; not_in_force on 2026-05-23 and 2026-11-23
    source = consortia_csv(tmp_path / "c.csv", L8, L7)
    runs = calc_cli_many(*(["consortium", source, "--as-of", as_of, "--output", tmp_path / f"criteria_{as_of}.csv",
                            "--summary", tmp_path / f"summary_{as_of}.csv"] for as_of, _, _ in LIAOYANG_DATES))
    got, want = {}, {}
    for (as_of, l8, l7), done in zip(LIAOYANG_DATES, runs):
        want[as_of] = (0, "liaoyang", l8, l7)
        if done.returncode != 0:
            got[as_of] = (done.returncode, done.stderr.strip().splitlines()[-1:])
            continue
        summary = read_csv(tmp_path / f"summary_{as_of}.csv").set_index("consortium_id")
        assert summary.loc["L7", "jurisdiction"] == summary.loc["L8", "jurisdiction"]
        got[as_of] = (0, summary.loc["L8", "jurisdiction"], summary.loc["L8", "status"], summary.loc["L7", "status"])
        if l7 == "eligible_with_exceptions":
            members = row(read_csv(tmp_path / f"criteria_{as_of}.csv"), consortium_id="L7",
                          criterion_id="liaoyang_consortium_2023.members_total")
            assert (members["result"], members["margin"]) == ("soft_fail", "还差1")
    assert got == want


def test_a_bad_consortium_row_exits_1_and_the_good_rows_are_assessed(tmp_path):
    out, summary_path = tmp_path / "criteria.csv", tmp_path / "summary.csv"
    bad = X6.replace("X6,厦门,5,", "XB,厦门,五个,")
    done = calc_cli("consortium", consortia_csv(tmp_path / "c.csv", X7, bad), "--as-of", "2026-06-30",
                    "--output", out, "--summary", summary_path)
    assert done.returncode == 1, done.stderr
    assert any("row 2" in l and "enterprises" in l and "五个" in l for l in done.stderr.splitlines()), done.stderr
    assert list(read_csv(summary_path)["consortium_id"]) == ["X7"]
    errors = read_csv(tmp_path / "criteria.errors.csv")
    assert list(zip(errors["input_row"], errors["column"], errors["value"])) == [(2, "enterprises", "五个")]


# ---------------------------------------------------------------------------------------------- policies, template

def test_policies_lists_the_five_policies_and_which_are_in_force():
    done = calc_cli("policies", "--as-of", "2026-11-23")
    assert done.returncode == 0, done.stderr
    ids = ["hainan_consortium_2022", "liaoyang_consortium_2023", "qingdao_consortium_2025", "xiamen_consortium_2025",
           "xiamen_sti_measures"]
    heads = re.findall(r"^(\w+): ", done.stdout, flags=re.M)
    assert sorted(heads) == ids
    blocks = dict(zip(heads, re.split(r"^\w+: ", done.stdout, flags=re.M)[1:]))
    for pid in ids:
        state = re.search(r"\((NOT in force|in force) on 2026-11-23\)", blocks[pid])
        assert state, blocks[pid]
        # Liaoyang: 2023-05-23 – 2026-05-22 (第二十七条); the others run past 2026-11-23
        assert state.group(1) == ("NOT in force" if pid == "liaoyang_consortium_2023" else "in force"), pid
    assert "2023-05-23 – 2026-05-22" in blocks["liaoyang_consortium_2023"]
    assert "第二十七条" in blocks["liaoyang_consortium_2023"]


def fill(path: Path, sheet: str, values: dict) -> None:
    """Type one data row into a template, under the headers it already has."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    assert set(values) <= set(headers)
    ws.append([values.get(h) for h in headers])
    wb.save(path)


def test_templates_load_back_without_errors_and_compute_once_filled(tmp_path):
    done = calc_cli("template", tmp_path / "tpl")
    assert done.returncode == 0, done.stderr
    enterprises, consortia = tmp_path / "tpl" / "enterprises_template.xlsx", tmp_path / "tpl" / "consortia_template.xlsx"
    assert enterprises.exists() and consortia.exists()
    for path, loader, columns in ((enterprises, load_enterprises, ENTERPRISE_COLUMNS),
                                  (consortia, load_consortia, CONSORTIUM_COLUMNS)):
        parsed = loader(path)
        assert parsed.ok and len(parsed.frame) == 0 and not parsed.unknown_columns
        assert set(parsed.column_map.values()) == {c.name for c in columns}  # every schema column is a header

    # filled in: E1 of the hand-worked example → 600,000 yuan; X7 → eligible
    fill(enterprises, "enterprises", {"enterprise_id": "E1", "city": "厦门", "rd_expense": "1,234.56万",
                                      "rd_expense_prev": "1000万"})
    fill(consortia, "consortia", dict(zip(CONSORTIUM_HEADER.split(","), X7.split(","))))
    out, summary_path = tmp_path / "out.csv", tmp_path / "summary.csv"
    runs = calc_cli_many(["entitlements", enterprises, "--as-of", "2026-06-30", "--output", out],
                         ["consortium", consortia, "--as-of", "2026-06-30", "--output", tmp_path / "c.csv",
                          "--summary", summary_path])
    assert [done.returncode for done in runs] == [0, 0], [done.stderr for done in runs]
    assert row(read_csv(out), enterprise_id="E1", item_id=STEP)["amount_yuan"] == 600_000
    assert read_csv(summary_path)[["consortium_id", "status"]].values.tolist() == [["X7", "eligible"]]


# --------------------------------------------------------------------------- the dates the data assumes


def test_policy_dates_set_on_the_command_line_decide_what_is_in_force(tmp_path):
    # 若干措施 三、「自印发之日起实施，有效期3年」 gives no issue date; the data assumes 2025-01-01 – 2027-12-31.  An
    # enterprise with R&D 600万 (last year 400万): 600万 > 200万 and grown, 3 full steps of 200万 → 3 × 10万 = 30万
    # while 措施7 is in force.  Set to 2025-03-01..2028-02-29: on 2028-02-29 (its last day) it pays 30万; on
    # 2028-03-01 (the day after) nothing; with the data's dates, 2028-02-29 is already past 2027-12-31.
    src = write_csv(tmp_path / "e.csv", "enterprise_id,city,rd_expense,rd_expense_prev\nA,xiamen,600万,400万")
    dates = ("--policy-dates", "xiamen_sti_measures=2025-03-01..2028-02-29")
    runs = calc_cli_many(
        ["entitlements", src, "--as-of", "2028-02-29", *dates, "--rows", "all", "--output", tmp_path / "set_last.csv"],
        ["entitlements", src, "--as-of", "2028-03-01", *dates, "--rows", "all", "--output", tmp_path / "set_after.csv"],
        ["entitlements", src, "--as-of", "2028-02-29", "--rows", "all", "--output", tmp_path / "assumed.csv"],
    )
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    step = {name: row(read_csv(tmp_path / f"{name}.csv"), item_id=STEP) for name in ("set_last", "set_after", "assumed")}
    assert (step["set_last"]["status"], int(step["set_last"]["amount_yuan"])) == ("granted", 300_000)
    assert step["set_after"]["status"] == "not_in_force"
    assert step["assumed"]["status"] == "not_in_force"
    # dates set by the user are not an assumption: no warning; with the data's dates 2028-02-29 falls in the months
    # where the real issue date decides (the last day may fall from 2027-12-31 to 2028-12-30): warned
    assert "--policy-dates" not in runs[0].stderr
    assert "warning:" in runs[2].stderr and "xiamen_sti_measures=START..END" in runs[2].stderr


def test_assumed_dates_warn_only_in_the_uncertain_months(tmp_path):
    # the first day may fall from 2025-01-01 to 2025-12-31 (issued in 2025), the last from 2027-12-31 to 2028-12-30:
    # 2025-12-31 is inside, 2026-01-01 and 2027-12-30 outside, 2027-12-31 inside again
    src = write_csv(tmp_path / "e.csv", "enterprise_id,city,rd_expense\nA,xiamen,600万")
    days = ["2025-12-31", "2026-01-01", "2027-12-30", "2027-12-31"]
    runs = calc_cli_many(*[["entitlements", src, "--as-of", d, "--output", tmp_path / f"{d}.csv"] for d in days])
    warned = ["xiamen_sti_measures=START..END" in r.stderr for r in runs]
    assert warned == [True, False, False, True], [r.stderr for r in runs]


def test_policy_dates_that_cannot_be_used_exit_2(tmp_path):
    src = write_csv(tmp_path / "e.csv", "enterprise_id,city\nA,xiamen")
    runs = calc_cli_many(*[["entitlements", src, "--policy-dates", spec, "--output", tmp_path / "o.csv"] for spec in (
        "xiamen_sti_measures=2025-03-01..2024-02-29", "nope=2025-01-01..", "xiamen_sti_measures",
        "xiamen_sti_measures=2025-13-01..", "xiamen_sti_measures=1999-12-31..")])
    assert [r.returncode for r in runs] == [2] * 5
    assert "before" in runs[0].stderr and "unknown policy 'nope'" in runs[1].stderr
    assert "expected POLICY_ID=START..END" in runs[2].stderr
    assert all("Traceback" not in r.stderr for r in runs)
    assert not (tmp_path / "o.csv").exists()


INTERRUPT_PROBE = r'''
import os, signal, sys, time
sys.argv[:] = [sys.argv[1]]  # as Python sets it while it locates the module of `python -m calc`, or the script's path
sys.orig_argv[:] = [sys.executable, "-m", "calc"] if sys.argv[0] == "-m" else [sys.executable, sys.argv[0]]
import calc  # the command line's handler is set first thing, before the package's imports
os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while loading
time.sleep(10)
print("not interrupted")
'''


def test_ctrl_c_while_the_command_line_loads_ends_it_in_one_line(tmp_path):
    # Python's imports take about a second before calc.cli.main runs: a Ctrl-C there printed a 20–50-line
    # traceback and died of the signal (reproduced); now it ends like a Ctrl-C later does: one line, exit 130
    for argv0 in ("-m", str(tmp_path / "subsidy-calc")):
        done = subprocess.run([sys.executable, "-c", INTERRUPT_PROBE, argv0], capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
        assert (done.returncode, done.stderr, done.stdout) == (130, "interrupted; no output was replaced\n", ""), argv0
    # imported as a library (a notebook, a test), Ctrl-C stays Python's own KeyboardInterrupt
    done = subprocess.run([sys.executable, "-c", "import calc, signal; print(signal.getsignal(signal.SIGINT) is "
                           "signal.default_int_handler)"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.split() == ["True"]


def test_ctrl_c_during_a_run_writes_nothing_and_exits_130(tmp_path, monkeypatch, capsys):
    # the handler of calc/__init__.py is replaced by Python's own when main starts: a Ctrl-C in the middle of the
    # work is a KeyboardInterrupt that main turns into one line and 130, with no output written
    import importlib
    import signal

    import calc
    import calc.cli as cli

    loading = lambda signum, frame: None  # noqa: E731 - as `python -m calc` leaves it set
    monkeypatch.setattr(calc, "_interrupted_while_loading", loading, raising=False)
    monkeypatch.setattr(signal, "getsignal", lambda signum: loading)
    put_back = []
    monkeypatch.setattr(signal, "signal", lambda signum, handler: put_back.append((signum, handler)))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("calc.entitlements"), "entitlements", interrupted)
    out = tmp_path / "out.csv"
    code = cli.main(["entitlements", str(ROOT / "data" / "samples" / "enterprises.csv"), "--as-of", "2026-06-30",
                     "--output", str(out)])
    assert code == 130 and put_back == [(signal.SIGINT, signal.default_int_handler)]
    assert capsys.readouterr().err == "interrupted; no output was replaced\n"
    assert list(tmp_path.iterdir()) == []
