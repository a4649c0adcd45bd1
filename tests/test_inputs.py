"""Tests for calc.inputs: schema, header matching, parsing, error reporting, files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc.inputs import (
    CONSORTIUM_COLUMNS,
    ENTERPRISE_COLUMNS,
    KINDS,
    Column,
    InputError,
    ParsedInput,
    load_consortia,
    load_enterprises,
    write_templates,
)
from calc.money import format_money

ERROR_COLUMNS = ["input_row", "id", "column", "value", "message"]

# --------------------------------------------------------------------------- schema

ENTERPRISE_KINDS = {
    "enterprise_id": "id", "name": "text", "city": "category", "district": "text", "industry": "text",
    "size_band": "text", "consortium_member": "bool", "rd_expense": "money", "rd_expense_prev": "money",
    "national_funding": "money", "provincial_funding": "money", "municipal_funding": "money",
    "project_total_investment": "money", "joint_lab_investment": "money", "tech_transaction_paid": "money",
    "new_national_platforms": "count", "new_intl_coop_bases": "count", "postdocs_in_station": "count",
    "incubators": "count", "intl_coop_base_rating": "category", "brics_projects": "count",
    "intergov_projects": "count", "national_pilot_platforms": "count", "sme_innovation_projects": "count",
    "scenario_projects": "count", "hightech_transformation_project": "bool", "consortium_lead": "bool",
    "talent_consortium_lead": "bool", "major_projects": "count", "public_platforms_new": "count",
    "public_platform_rating": "category", "public_platform_upgrade_need": "bool", "double_hundred_hires": "count",
    "new_mechanism_recognised": "bool", "consortium_evaluation": "category", "claim_year": "count",
    "joint_labs": "count", "executive_host": "bool", "consortium_is_provincial_mfg_center": "bool",
}  # fmt: skip
CONSORTIUM_KINDS = {
    "consortium_id": "id", "name": "text", "jurisdiction": "category", "enterprises": "count",
    "universities": "count", "research_institutes": "count", "other_units": "count", "local_units": "count",
    "local_units_xiamen": "count", "local_units_liaoyang": "count", "local_units_qingdao": "count",
    "local_units_hainan": "count", "scale_or_hightech_enterprises": "count", "lead_type": "category", "lead_region": "category",
    "lead_revenue": "money", "lead_revenue_prev": "money", "lead_revenue_prev2": "money", "lead_rd": "money",
    "lead_rd_prev": "money", "lead_rd_prev2": "money", "lead_years_operating": "count",
    "lead_platform_level": "category", "lead_rd_staff": "count", "lead_other_consortia": "count",
    "lead_high_tech": "bool", "chief_scientist": "bool", "agreement_signed": "bool", "field": "text",
    "core_team_members": "count", "national_level_talents": "count", "city_b_talents": "count",
    "lead_regional_medical_center": "bool", "lead_is_provincial_mfg_center": "bool",
}  # fmt: skip


def test_schema_matches_spec() -> None:
    assert {c.name: c.kind for c in ENTERPRISE_COLUMNS} == ENTERPRISE_KINDS
    assert {c.name: c.kind for c in CONSORTIUM_COLUMNS} == CONSORTIUM_KINDS
    for cols in (ENTERPRISE_COLUMNS, CONSORTIUM_COLUMNS):
        assert all(c.kind in KINDS for c in cols)
        assert all(c.zh_aliases and c.description_zh and c.description_en for c in cols)
        assert [c.name for c in cols if c.required] == [cols[0].name]
    with pytest.raises(ValueError):
        Column("x", "float")


@pytest.mark.parametrize("columns", [ENTERPRISE_COLUMNS, CONSORTIUM_COLUMNS], ids=["enterprises", "consortia"])
def test_every_alias_resolves_to_its_column(columns: list[Column]) -> None:
    load = load_enterprises if columns is ENTERPRISE_COLUMNS else load_consortia
    id_name = columns[0].name
    for col in columns:
        for alias in (col.name, *col.zh_aliases):
            if col.name == id_name:
                parsed = load({alias: ["X1"]})
            else:
                parsed = load({id_name: ["X1"], alias: [None]})
            assert parsed.column_map[alias] == col.name, alias


# --------------------------------------------------------------------------- a small enterprise table


def test_chinese_headers_and_values() -> None:
    parsed = load_enterprises(
        {
            "企业编号": ["E001", "E002"],
            "企业名称": ["甲公司", " 乙公司 "],
            "所在城市": ["厦门市", "青島"],
            "是否创新联合体成员": ["是", "否"],
            "当年自主研发费用": ["1,234.56万", "0.58亿"],
            "上年自主研发费用": ["¥300,000", "５８００万元"],
            "进站博士后人数": ["3人", 0],
            "年度": ["2026年", 2025],
        }
    )
    assert parsed.errors.empty and parsed.unknown_columns == {}
    f = parsed.frame
    assert f["enterprise_id"].tolist() == ["E001", "E002"]
    assert f["name"].tolist() == ["甲公司", "乙公司"]
    assert f["city"].tolist() == ["xiamen", "qingdao"]
    assert f["consortium_member"].tolist() == [True, False]
    # 1,234.56万 = 12,345,600 yuan = 1,234,560,000 fen; 0.58亿 = 58,000,000 yuan = 5,800,000,000 fen
    assert f["rd_expense"].tolist() == [1_234_560_000, 5_800_000_000]
    # ¥300,000 = 30,000,000 fen; 5800万 = 58,000,000 yuan = 5,800,000,000 fen
    assert f["rd_expense_prev"].tolist() == [30_000_000, 5_800_000_000]
    assert f["postdocs_in_station"].tolist() == [3, 0]
    assert f["claim_year"].tolist() == [2026, 2025]
    assert f["input_row"].tolist() == [1, 2]


def test_output_dtypes_and_absent_columns() -> None:
    parsed = load_enterprises(pd.DataFrame({"enterprise_id": ["E1"], "rd_expense": [5]}))
    f = parsed.frame
    assert list(f.columns) == ["input_row", *ENTERPRISE_KINDS]
    expected = {"id": "string", "text": "string", "category": "string", "money": "Int64",
                "count": "Int64", "bool": "boolean"}  # fmt: skip
    for name, kind in ENTERPRISE_KINDS.items():
        assert str(f[name].dtype) == expected[kind], name
    assert f["rd_expense"].iloc[0] == 500  # 5 yuan
    assert f["national_funding"].isna().all()  # absent optional column -> <NA>
    assert f["consortium_member"].isna().all()
    assert f["city"].isna().all()


def test_original_index_kept() -> None:
    df = pd.DataFrame({"enterprise_id": ["A", "B", "C"], "rd_expense": ["1", "bad", "3"]}, index=[10, 20, 30])
    parsed = load_enterprises(df)
    assert list(parsed.frame.index) == [10, 30]
    assert parsed.frame["input_row"].tolist() == [1, 3]  # position in the table, not the index
    assert parsed.errors["input_row"].tolist() == [2]


# --------------------------------------------------------------------------- units in headers


@pytest.mark.parametrize(
    ("header", "cell", "fen"),
    [
        ("研发费用（万元）", 12.5, 12_500_000),  # 12.5万 = 125,000 yuan
        ("研发费用（万元）", "12.5", 12_500_000),
        ("rd_expense(万元)", 3, 3_000_000),  # 3万 = 30,000 yuan
        ("rd_expense_wan", "2", 2_000_000),
        ("RD Expense (万元)", "2", 2_000_000),
        ("研发费用(单位：万元)", "1", 1_000_000),
        ("rd_expense_yi", "0.5", 5_000_000_000),  # 0.5亿 = 50,000,000 yuan
        ("当年自主研发费用(亿元)", 1, 10_000_000_000),
        ("当年自主研发费用(元)", "300", 30_000),
        ("rd_expense_yuan", 300, 30_000),
        ("研发费用（万元）", "300000元", 30_000_000),  # a unit in the cell wins: 300,000 yuan
        ("研发费用（万元）", "0.1亿", 1_000_000_000),  # 0.1亿 = 10,000,000 yuan
    ],
)
def test_unit_bearing_headers(header: str, cell: object, fen: int) -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], header: [cell]})
    assert parsed.errors.empty, parsed.errors["message"].tolist()
    assert parsed.frame["rd_expense"].iloc[0] == fen
    assert parsed.column_map == {"enterprise_id": "enterprise_id", header: "rd_expense"}


def test_unit_precision_in_wan_column() -> None:
    # 1.23456万 = 12,345.6 yuan = 1,234,560 fen (fine); 0.0000001万 = 0.001 yuan (finer than a fen)
    parsed = load_enterprises({"enterprise_id": ["E1", "E2"], "研发费用（万元）": ["1.23456", "0.0000001"]})
    assert parsed.frame["rd_expense"].tolist() == [1_234_560]
    assert parsed.errors["input_row"].tolist() == [2]
    assert "more precise than one fen" in parsed.errors["message"].iloc[0]


def test_money_unit_on_non_money_column_is_refused() -> None:
    with pytest.raises(InputError, match="postdocs_in_station"):
        load_enterprises({"enterprise_id": ["E1"], "进站博士后人数（万元）": [3]})


def test_count_unit_in_header_is_ignored() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "进站博士后人数（人）": [3]})
    assert parsed.frame["postdocs_in_station"].tolist() == [3]


# --------------------------------------------------------------------------- unknown columns


def test_unknown_columns_reported_and_carried() -> None:
    parsed = load_enterprises(
        {"enterprise_id": ["E1", "E2"], "rd_expens": ["5万", "x"], "企业名": ["甲", "乙"], "备注": [1, None]}
    )
    assert parsed.unknown_columns == {"rd_expens": "rd_expense", "企业名": "name", "备注": None}
    f = parsed.frame
    assert f["rd_expens"].tolist() == ["5万", "x"]  # untouched, not parsed
    assert f["企业名"].tolist() == ["甲", "乙"]
    assert f["rd_expense"].isna().all()
    assert parsed.errors.empty  # unknown columns are not validated


def test_user_input_row_column_does_not_hide_ours() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "input_row": [99]})
    assert parsed.frame["input_row"].tolist() == [1]
    assert parsed.frame["input_row_given"].tolist() == [99]
    assert "input_row" in parsed.unknown_columns


# --------------------------------------------------------------------------- errors


def test_bad_cell_message_names_row_id_column_value() -> None:
    df = pd.DataFrame(
        {"enterprise_id": ["E001", "E002", "E003", "E004", "E005"], "rd_expense": ["1", "2", "3", "4", "12万x"]}
    )
    parsed = load_enterprises(df)
    assert list(parsed.errors.columns) == ERROR_COLUMNS
    err = parsed.errors.iloc[0].to_dict()
    assert err == {
        "input_row": 5,
        "id": "E005",
        "column": "rd_expense",
        "value": "12万x",
        "message": "row 5 (enterprise_id=E005), column 'rd_expense': cannot read '12万x' as an amount "
        "of money (expected e.g. 1,234.56万元, 0.58亿, ¥300,000)",
    }
    assert parsed.frame["enterprise_id"].tolist() == ["E001", "E002", "E003", "E004"]
    assert parsed.bad_row_count == 1


def test_several_bad_cells_in_one_row_use_the_users_headers() -> None:
    parsed = load_enterprises(
        {"企业编号": ["E1", "E2"], "所在城市": ["上海", "厦门"], "研发费用（万元）": ["-5", "1"], "是否创新联合体成员": ["maybe", "是"]}
    )
    errs = parsed.errors
    assert errs["input_row"].tolist() == [1, 1, 1]
    assert errs["column"].tolist() == ["所在城市", "研发费用（万元）", "是否创新联合体成员"]  # the user's order
    assert errs["value"].tolist() == ["上海", "-5", "maybe"]
    assert "not one of the allowed values: xiamen (厦门)" in errs["message"].iloc[0]
    assert "negative" in errs["message"].iloc[1]
    assert "yes/no" in errs["message"].iloc[2]
    assert parsed.frame["enterprise_id"].tolist() == ["E2"]
    assert parsed.bad_row_count == 1


def test_missing_id_value_is_a_row_error_without_id() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1", "  ", None], "rd_expense": [1, 2, None]})
    # row 2 has data but no id; row 3 is entirely empty and is skipped silently
    assert parsed.errors[["input_row", "id", "column"]].to_dict("records") == [
        {"input_row": 2, "id": None, "column": "enterprise_id"}
    ]
    assert parsed.errors["message"].iloc[0] == "row 2, column 'enterprise_id': a value is required"
    assert parsed.frame["enterprise_id"].tolist() == ["E1"]


def test_duplicate_ids_keep_first() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1", "E2", "E1", " E1 ", "E3"], "rd_expense": [1, 2, 3, 4, 5]})
    assert parsed.frame["enterprise_id"].tolist() == ["E1", "E2", "E3"]
    assert parsed.frame["rd_expense"].tolist() == [100, 200, 500]  # the first E1 (1 yuan) is kept
    assert parsed.errors["input_row"].tolist() == [3, 4]
    assert parsed.errors["value"].tolist() == ["E1", " E1 "]
    assert all("first used in row 1" in m for m in parsed.errors["message"])


def test_numeric_ids_from_spreadsheets() -> None:
    parsed = load_enterprises({"enterprise_id": [1001, 1002.0, "1003"]})
    assert parsed.frame["enterprise_id"].tolist() == ["1001", "1002", "1003"]


def test_funding_above_total_is_not_an_error() -> None:
    # 5万 + 5万 + 5万 = 15万 > 10万 total investment: the rules cap it, the loader keeps it
    parsed = load_enterprises(
        {"enterprise_id": ["E1"], "国家财政资金": ["5万"], "省级资助资金": ["5万"], "市级资助资金": ["5万"], "项目总投入": ["10万"]}
    )
    assert parsed.errors.empty
    assert parsed.frame["project_total_investment"].tolist() == [10_000_000]


@pytest.mark.parametrize(
    ("cell", "value"),
    [(True, True), ("true", True), ("TRUE", True), ("1", True), (1, True), ("yes", True), ("Y", True),
     ("是", True), ("√", True), ("ｙｅｓ", True), (False, False), ("false", False), ("0", False), (0, False),
     ("No", False), ("n", False), ("否", False), ("×", False), (1.0, True)],
)  # fmt: skip
def test_bool_spellings(cell: object, value: bool) -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "consortium_member": [cell]})
    assert parsed.frame["consortium_member"].tolist() == [value]


@pytest.mark.parametrize("cell", ["maybe", 2, "是的", "10", -1])
def test_bool_garbage(cell: object) -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "consortium_member": [cell]})
    assert parsed.frame.empty
    assert "as yes/no" in parsed.errors["message"].iloc[0]


def test_bool_missing_is_unknown_and_bool_dtype_vectorised() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1", "E2"], "consortium_member": [None, ""]})
    assert parsed.frame["consortium_member"].isna().all()
    parsed = load_enterprises(pd.DataFrame({"enterprise_id": ["E1", "E2"], "consortium_member": [True, False]}))
    assert parsed.frame["consortium_member"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("3", 3), ("３", 3), ("3人", 3), ("1,000", 1000), (3.0, 3), ("3.0", 3), (Decimal("4"), 4), ("2026年", 2026)],
)
def test_count_spellings(cell: object, value: int) -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "postdocs_in_station": [cell]})
    assert parsed.frame["postdocs_in_station"].tolist() == [value]


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [("2.5", "not a whole number"), (2.5, "not a whole number"), ("-1", "negative"), (-1, "negative"),
     ("abc", "as a whole number"), (True, "yes/no")],
)  # fmt: skip
def test_count_errors(cell: object, fragment: str) -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "postdocs_in_station": [cell]})
    assert parsed.frame.empty
    assert fragment in parsed.errors["message"].iloc[0]


def test_count_int_dtype_vectorised() -> None:
    parsed = load_enterprises(pd.DataFrame({"enterprise_id": ["E1", "E2"], "incubators": np.array([2, -3])}))
    assert parsed.frame["incubators"].tolist() == [2]
    assert "negative" in parsed.errors["message"].iloc[0]


@pytest.mark.parametrize(
    ("cell", "city"),
    [("厦门", "xiamen"), ("厦门市", "xiamen"), ("Xiamen", "xiamen"), (" XIAMEN ", "xiamen"), ("辽阳市", "liaoyang"),
     ("青岛", "qingdao"), ("青島市", "qingdao"), ("海南省", "hainan"), ("其他", "other"), ("other", "other")],
)  # fmt: skip
def test_city_aliases(cell: str, city: str) -> None:
    assert load_enterprises({"enterprise_id": ["E1"], "city": [cell]}).frame["city"].tolist() == [city]


def test_unknown_city_is_an_error_not_other() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "city": ["Shanghai"]})
    assert parsed.frame.empty
    msg = parsed.errors["message"].iloc[0]
    assert "'Shanghai' is not one of the allowed values" in msg
    assert "xiamen" in msg and "other" in msg


def test_consortium_categories() -> None:
    parsed = load_consortia(
        {
            "联合体编号": ["C1", "C2", "C3"],
            "所属地区": ["厦门", "辽阳市", "hainan"],
            "牵头单位类型": ["三甲医院", "高校", "省级制造业创新中心"],
            "牵头单位注册地": ["其他", "青岛", "海南"],
            "牵头单位平台级别": ["省部级", "无", "国家级"],
            "领域": ["生命健康", "Quantum Computing", "数字经济"],
        }
    )
    assert parsed.errors.empty
    f = parsed.frame
    assert f["jurisdiction"].tolist() == ["xiamen", "liaoyang", "hainan"]
    assert f["lead_type"].tolist() == ["hospital_3a", "university", "provincial_mfg_innovation_center"]
    assert f["lead_region"].tolist() == ["other", "qingdao", "hainan"]
    assert f["lead_platform_level"].tolist() == ["provincial", "none", "national"]
    assert f["field"].tolist() == ["life_health", "quantum computing", "digital_economy"]  # unknown text kept


def test_consortium_jurisdiction_has_no_other() -> None:
    parsed = load_consortia({"consortium_id": ["C1"], "jurisdiction": ["其他"]})
    assert parsed.frame.empty
    assert "not one of the allowed values" in parsed.errors["message"].iloc[0]


def test_impossible_consortium_combinations() -> None:
    parsed = load_consortia(
        {
            "consortium_id": ["C1", "C2", "C3", "C4", "C5"],
            "enterprises": [5, 5, 5, 3, None],
            "universities": [2, 2, None, 0, 1],
            "research_institutes": [1, 1, 1, 0, 1],
            "other_units": [0, 0, 0, 0, 0],
            # C1: 8 = 5+2+1+0 ok; C2: 9 > 8; C3: total unknown; C4: 3 ok; C5: total unknown
            "local_units": [8, 9, 99, 3, 99],
            # C4: 4 above-scale enterprises > 3 enterprises; C5: enterprises unknown
            "scale_or_hightech_enterprises": [5, 1, 1, 4, 7],
        }
    )
    assert parsed.frame["consortium_id"].tolist() == ["C1", "C3", "C5"]
    errs = parsed.errors
    assert errs[["input_row", "id", "column", "value"]].to_dict("records") == [
        {"input_row": 2, "id": "C2", "column": "local_units", "value": "9"},
        {"input_row": 4, "id": "C4", "column": "scale_or_hightech_enterprises", "value": "4"},
    ]
    assert "9 local units is more than the 8 members in total" in errs["message"].iloc[0]
    assert "4 above-scale or high-tech enterprises is more than the 3 member enterprises" in errs["message"].iloc[1]


def test_consortium_money_and_talent_columns() -> None:
    parsed = load_consortia(
        {
            "联合体编号": ["C1"],
            "牵头单位营业收入（亿元）": [1.5],  # 1.5亿 = 150,000,000 yuan
            "牵头单位上年营业收入": ["8000万"],  # 80,000,000 yuan
            "牵头单位研发投入": ["¥12,000,000"],
            "核心团队成员数": [10],
            "国家级人才数": ["2"],
            "是否设首席科学家": ["√"],
            "牵头单位是否省级制造业创新中心": ["否"],
        }
    )
    assert parsed.errors.empty
    row = parsed.frame.iloc[0]
    assert row["lead_revenue"] == 15_000_000_000
    assert row["lead_revenue_prev"] == 8_000_000_000
    assert row["lead_rd"] == 1_200_000_000
    assert (row["core_team_members"], row["national_level_talents"]) == (10, 2)
    assert bool(row["chief_scientist"]) is True and bool(row["lead_is_provincial_mfg_center"]) is False
    assert parsed.units == {"lead_revenue": "yi"}


# --------------------------------------------------------------------------- property: nothing is lost

_BAD_CELLS = {
    "rd_expense": st.sampled_from(["12万x", "-5", "0.001", "1.2e3", "abc", True]),
    "city": st.sampled_from(["上海", "Beijing", "厦门区"]),
    "consortium_member": st.sampled_from(["maybe", "2", 7]),
    "postdocs_in_station": st.sampled_from(["2.5", "-1", "many"]),
}


@st.composite
def _good_row(draw: st.DrawFn) -> dict:
    fen = draw(st.integers(min_value=0, max_value=10**15))
    style = draw(st.sampled_from(["zh", "en", "int"]))
    money: object = fen // 100 if style == "int" else format_money(fen, style)
    return {
        "rd_expense": money,
        "city": draw(st.sampled_from(["厦门", "qingdao", "青島市", "其他", None])),
        "consortium_member": draw(st.sampled_from(["是", "否", True, "N", None])),
        "postdocs_in_station": draw(st.sampled_from([0, "3", "12人", None])),
        "_fen": fen - fen % 100 if style == "int" else fen,
    }


@st.composite
def _bad_row(draw: st.DrawFn) -> dict:
    row = draw(_good_row())
    spoiled = draw(st.lists(st.sampled_from(sorted(_BAD_CELLS)), min_size=1, max_size=4, unique=True))
    for col in spoiled:
        row[col] = draw(_BAD_CELLS[col])
    row["_spoiled"] = sorted(spoiled)
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_good_row(), _bad_row()), min_size=1, max_size=25))
def test_mixed_rows_nothing_lost(rows: list[dict]) -> None:
    table = {"enterprise_id": [f"E{i}" for i in range(len(rows))]}
    for col in _BAD_CELLS:
        table[col] = [r[col] for r in rows]
    parsed = load_enterprises(pd.DataFrame(table, dtype=object))

    good = [i for i, r in enumerate(rows) if "_spoiled" not in r]
    bad = [i for i, r in enumerate(rows) if "_spoiled" in r]
    f = parsed.frame
    assert f["enterprise_id"].tolist() == [f"E{i}" for i in good]
    assert f["input_row"].tolist() == [i + 1 for i in good]
    assert f["rd_expense"].tolist() == [rows[i]["_fen"] for i in good]
    assert parsed.bad_row_count == len(bad)
    for i in bad:
        errs = parsed.errors[parsed.errors["input_row"] == i + 1]
        assert sorted(errs["column"]) == rows[i]["_spoiled"]
        assert (errs["id"] == f"E{i}").all()
        for _, e in errs.iterrows():
            assert e["value"] == str(rows[i][e["column"]])
            assert e["message"].startswith(f"row {i + 1} (enterprise_id=E{i}), column '{e['column']}': ")


# --------------------------------------------------------------------------- files


def test_csv_round_trip_with_bom_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "enterprises.csv"
    path.write_text(
        "企业编号,所在城市,研发费用（万元）,是否创新联合体成员,备注\n"
        "E1,厦门,12.5,是,first\n"
        "\n"  # a blank line still counts as a row of the user's table
        'E2,青岛,"1,234.56",否,\n'
        "E3,上海,abc,是,\n"
        ",,,,\n",
        encoding="utf-8-sig",
    )
    parsed = load_enterprises(path)
    f = parsed.frame
    assert f["enterprise_id"].tolist() == ["E1", "E2"]
    assert f["input_row"].tolist() == [1, 3]
    # 12.5万 = 125,000 yuan; 1,234.56万 = 12,345,600 yuan
    assert f["rd_expense"].tolist() == [12_500_000, 1_234_560_000]
    assert f["备注"].tolist() == ["first", ""]
    assert parsed.unknown_columns == {"备注": None}
    assert parsed.errors[["input_row", "column", "value"]].to_dict("records") == [
        {"input_row": 4, "column": "所在城市", "value": "上海"},
        {"input_row": 4, "column": "研发费用（万元）", "value": "abc"},
    ]


def test_csv_written_by_pandas_round_trips(tmp_path: Path) -> None:
    src = pd.DataFrame(
        {"enterprise_id": ["E1", "E2"], "rd_expense": ["1.5亿", "300000"], "new_national_platforms": [1, 0]}
    )
    path = tmp_path / "e.csv"
    src.to_csv(path, index=False)
    parsed = load_enterprises(str(path))
    assert parsed.frame["rd_expense"].tolist() == [15_000_000_000, 30_000_000]  # 1.5亿 yuan; 300,000 yuan
    assert parsed.frame["new_national_platforms"].tolist() == [1, 0]


def test_csv_gb18030_fallback(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("企业编号,当年自主研发费用\nE1,5万\n".encode("gb18030"))
    assert load_enterprises(path).frame["rd_expense"].tolist() == [5_000_000]


def test_xlsx_columns_are_named_by_their_letter_in_the_sheet(tmp_path: Path) -> None:
    # D is empty from top to bottom and is left out; the blank header of E still reads "(column E)", and a
    # header repeated in C and F is reported with those letters, not the positions among the columns kept
    path = tmp_path / "enterprises.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["企业编号", "所在城市", "当年自主研发费用", None, None])
    wb.active.append(["E1", "厦门", "300万", None, "note"])
    wb.save(path)
    assert load_enterprises(path).unknown_columns == {"(column E)": None}

    wb = openpyxl.Workbook()
    wb.active.append(["企业编号", "所在城市", "当年自主研发费用", None, None, "当年自主研发费用"])
    wb.active.append(["E1", "厦门", "300万", None, None, "200万"])
    wb.save(path)
    with pytest.raises(InputError, match=r"appears twice \(columns C and F\)"):
        load_enterprises(path)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "enterprises.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["企业编号", "所在城市", "当年自主研发费用", "rd_expense_prv", "是否创新联合体成员", "年度", None])
    ws.append(["E1", "厦门", 1234.56, "5万", True, 2026])  # numeric cell read exactly via repr
    ws.append([1002, "青岛", 300000, None, "否", 2026.0, None])
    ws.append([])  # blank row: skipped but counted
    ws.append(["E4", "hainan", "12万x", None, None, None, "note"])
    wb.save(path)

    parsed = load_enterprises(path)
    f = parsed.frame
    assert f["enterprise_id"].tolist() == ["E1", "1002"]
    assert f["rd_expense"].tolist() == [123_456, 30_000_000]  # 1234.56 yuan; 300,000 yuan
    assert f["consortium_member"].tolist() == [True, False]
    assert f["claim_year"].tolist() == [2026, 2026]
    assert parsed.unknown_columns == {"rd_expense_prv": "rd_expense_prev", "(column G)": None}
    assert parsed.errors[["input_row", "id", "column", "value"]].to_dict("records") == [
        {"input_row": 4, "id": "E4", "column": "当年自主研发费用", "value": "12万x"}
    ]
    # choosing the sheet explicitly, by name or position
    assert len(load_enterprises(path, sheet="数据").frame) == 2
    assert len(load_enterprises(path, sheet=0).frame) == 2
    with pytest.raises(InputError, match="no sheet 'nope'"):
        load_enterprises(path, sheet="nope")


def test_templates_written_and_reloadable(tmp_path: Path) -> None:
    paths = write_templates(tmp_path / "templates")
    assert [p.name for p in paths] == ["enterprises_template.xlsx", "consortia_template.xlsx"]
    for path, columns, load in zip(paths, (ENTERPRISE_COLUMNS, CONSORTIUM_COLUMNS), (load_enterprises, load_consortia)):
        wb = openpyxl.load_workbook(path)
        header = [c.value for c in wb.worksheets[0][1]]
        assert header == [c.name for c in columns]
        info = wb.worksheets[1]
        assert info.title.startswith("说明")
        rows = list(info.iter_rows(values_only=True))
        assert rows[0][:2] == ("column", "中文名称")
        assert [r[0] for r in rows[1:]] == [c.name for c in columns]
        assert [r[1] for r in rows[1:]] == [c.zh_aliases[0] for c in columns]
        parsed = load(path)
        assert isinstance(parsed, ParsedInput)
        assert parsed.frame.empty and parsed.errors.empty and parsed.unknown_columns == {}
        assert list(parsed.frame.columns) == ["input_row", *(c.name for c in columns)]
        assert set(parsed.column_map.values()) == {c.name for c in columns}


def test_single_workbook_template(tmp_path: Path) -> None:
    (path,) = write_templates(tmp_path / "both.xlsx")
    assert openpyxl.load_workbook(path).sheetnames[:1] == ["enterprises"]
    assert load_enterprises(path).frame.empty
    assert load_consortia(path).frame.empty  # picks the "consortia" sheet by name
    assert len(load_consortia(path).column_map) == len(CONSORTIUM_COLUMNS)


# --------------------------------------------------------------------------- unusable sources


def test_unusable_sources(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_enterprises(tmp_path / "missing.csv")
    (tmp_path / "e.xls").write_bytes(b"")
    with pytest.raises(InputError, match="unsupported file type '.xls'"):
        load_enterprises(tmp_path / "e.xls")
    with pytest.raises(InputError, match="cannot read a table from int"):
        load_enterprises(42)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        load_enterprises(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="sheet= only applies"):
        load_enterprises({"enterprise_id": ["E1"]}, sheet="x")


def test_missing_required_column() -> None:
    with pytest.raises(InputError, match=r"no 'enterprise_id' column \(企业编号\)"):
        load_enterprises({"name": ["甲"], "rd_expense": [1]})
    with pytest.raises(InputError, match="consortium_id"):
        load_consortia({"consortium_id_x": ["C1"]})


def test_two_headers_for_one_column() -> None:
    with pytest.raises(InputError, match="both mean 'rd_expense'"):
        load_enterprises({"enterprise_id": ["E1"], "rd_expense": [1], "当年自主研发费用": [2]})


def test_parsed_frame_cannot_be_loaded_again() -> None:
    parsed = load_enterprises({"enterprise_id": ["E1"], "rd_expense": [1]})
    with pytest.raises(InputError, match="already in fen"):
        load_enterprises(parsed.frame)


# --------------------------------------------------------------------------- ratio and date kinds


def test_ratio_and_date_parsers() -> None:
    from calc.inputs import _parse_date, _parse_ratio

    col = Column("share", "ratio")
    values, errs, missing = _parse_ratio(pd.Series(["20%", 0.2, "0.35", "", "abc", "-1%"], dtype=object), col, None)
    assert list(values[:3]) == [Decimal("0.20"), Decimal("0.2"), Decimal("0.35")]
    assert missing.tolist() == [False, False, False, True, False, False]
    assert [e is not None for e in errs] == [False, False, False, False, True, True]
    values, _, _ = _parse_ratio(pd.Series(["20"], dtype=object), col, "percent")  # header "比例(%)"
    assert values[0] == Decimal("0.20")

    col = Column("when", "date")
    values, errs, missing = _parse_date(pd.Series(["2026-03-31", "2026年3月1日", "nope", None], dtype=object), col, None)
    assert values[0] == np.datetime64("2026-03-31") and values[1] == np.datetime64("2026-03-01")
    assert errs[2] is not None and missing.tolist() == [False, False, False, True]


# --------------------------------------------------------------------------- performance


def test_million_rows_with_integer_money() -> None:
    # the speed of this path is measured in benchmarks/bench_load.py, never asserted here; this checks the
    # million-row column path rejects exactly the bad row and converts yuan to fen (× 100)
    n = 1_000_000
    rng = np.random.default_rng(0)
    money = [c.name for c in ENTERPRISE_COLUMNS if c.kind == "money"]
    df = pd.DataFrame({"enterprise_id": np.arange(n), "city": rng.choice(["xiamen", "厦门", "qingdao"], n)})
    for name in money:
        df[name] = rng.integers(0, 10**9, n)
    df.loc[7, "rd_expense"] = -1
    parsed = load_enterprises(df)
    assert len(parsed.frame) == n - 1
    assert parsed.errors["input_row"].tolist() == [8]
    assert parsed.frame["rd_expense"].iloc[0] == df["rd_expense"].iloc[0] * 100


# --------------------------------------------------------------------------- columns some items read


def test_talent_lead_who_is_not_the_consortium_lead_is_rejected() -> None:
    # 第十一条（六）「…的，同时作为“人才攻关联合体”」: the talent consortium is the recognised consortium itself, so a
    # talent lead (是) with consortium_lead 否 contradicts; 是/是 and 是/blank are accepted as given
    df = pd.DataFrame({"enterprise_id": ["a", "b", "c"], "consortium_member": ["是", "是", "是"],
                       "consortium_lead": ["否", "是", None], "talent_consortium_lead": ["是", "是", "是"]})
    parsed = load_enterprises(df)
    assert parsed.errors["input_row"].tolist() == [1]
    assert parsed.errors["column"].tolist() == ["consortium_lead"]
    assert "talent_consortium_lead is yes" in parsed.errors["message"].iloc[0]
    assert parsed.frame["enterprise_id"].tolist() == ["b", "c"]
    assert parsed.frame["consortium_lead"].isna().tolist() == [False, True]  # blank stays blank


def test_columns_read_by_single_items_are_parsed() -> None:
    # joint_labs a count (措施7 cap per laboratory), executive_host and consortium_is_provincial_mfg_center yes/no
    df = pd.DataFrame({"企业编号": ["a", "b"], "共建联合实验室数": ["2", "x"],
                       "是否常设执行机构依托单位": ["是", "否"], "所牵头联合体是否省级制造业创新中心": ["否", "是"]})
    parsed = load_enterprises(df)
    assert parsed.frame["joint_labs"].tolist() == [2]
    assert parsed.frame["executive_host"].tolist() == [True]
    assert parsed.frame["consortium_is_provincial_mfg_center"].tolist() == [False]
    assert parsed.errors[["input_row", "column", "value"]].values.tolist() == [[2, "共建联合实验室数", "x"]]


@pytest.mark.parametrize("local, rejected", [(4, False), (5, True)])
def test_local_units_of_a_jurisdiction_cannot_exceed_the_members(local, rejected) -> None:
    # 3 enterprises + 1 university + 0 + 0 = 4 members: 4 local to Hainan is possible, 5 is not
    df = pd.DataFrame({"consortium_id": ["k"], "enterprises": [3], "universities": [1], "research_institutes": [0],
                       "other_units": [0], "local_units_hainan": [local], "牵头单位是否国家区域医疗中心建设单位": ["是"]})
    parsed = load_consortia(df)
    assert (len(parsed.errors) == 1) is rejected
    if rejected:
        assert parsed.errors["column"].tolist() == ["local_units_hainan"]
        assert "5 local units is more than the 4 members" in parsed.errors["message"].iloc[0]
    else:
        assert parsed.frame["local_units_hainan"].tolist() == [4]
        assert parsed.frame["lead_regional_medical_center"].tolist() == [True]


# =========================================================================== files read once, as arrow columns


def test_gb18030_csv_behind_an_ascii_header(tmp_path: Path) -> None:
    # UTF-8 is taken on trust (no decoding pass before arrow's): arrow finds the GB18030 bytes in the cells, the
    # file is then checked whole and read as GB18030; the amounts and the city come through exactly
    path = tmp_path / "gb.csv"
    path.write_bytes('enterprise_id,city,rd_expense\nE1,厦门,"1,234.56万"\nE2,青岛,5\n'.encode("gb18030"))
    parsed = load_enterprises(path)
    assert parsed.ok and parsed.frame["city"].tolist() == ["xiamen", "qingdao"]
    assert parsed.frame["rd_expense"].tolist() == [1_234_560_000, 500]  # 1,234.56万元 = 12,345,600 元; 5 元


def test_csv_with_and_without_quotes_reads_as_pandas(tmp_path: Path) -> None:
    # a file without any double quote is cut into blocks at any line break; one with a line break inside a quoted
    # cell keeps it; both give the cells pandas gives
    plain = tmp_path / "plain.csv"
    plain.write_text("enterprise_id,name,rd_expense\n" + "".join(f"E{i},n{i},{i}\n" for i in range(1, 2001)),
                     encoding="utf-8")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('enterprise_id,name,rd_expense\nE1,"a\nb",1\nE2,"c,d",2\n', encoding="utf-8")
    for path in (plain, quoted):
        parsed = load_enterprises(path)
        want = pd.read_csv(path, dtype=str)
        assert parsed.ok and parsed.frame["name"].tolist() == want["name"].tolist()
        assert parsed.frame["rd_expense"].tolist() == [int(v) * 100 for v in want["rd_expense"]]


def test_parquet_columns_reach_the_loader_as_arrow_and_numpy(tmp_path: Path) -> None:
    # no Python object a cell between the Parquet reader and the loader: text arrow-backed, integers with gaps as
    # Int64, yes/no with gaps as boolean, decimals as arrow decimals; the load is the one of the same table in memory
    import pyarrow as pa
    import pyarrow.parquet as pq

    from calc.files import read_table_file

    table = pa.table({"enterprise_id": ["E1", "E2", "E3"], "city": ["厦门", None, "qingdao"],
                      "rd_expense": pa.array([Decimal("1.50"), None, Decimal(2)], pa.decimal128(10, 2)),
                      "incubators": pa.array([1, None, 3], pa.int64()),
                      "consortium_member": pa.array([True, None, False]),
                      "tech_transaction_paid": ["1,234.56万", "", None]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    raw, _ = read_table_file(path)
    assert not any(dtype == object for dtype in raw.dtypes), raw.dtypes
    from_file, in_memory = load_enterprises(path), load_enterprises(table.to_pandas())
    assert from_file.ok and in_memory.ok
    pd.testing.assert_frame_equal(from_file.frame, in_memory.frame)
    assert from_file.frame["rd_expense"].tolist() == [150, pd.NA, 200]  # 1.50 元 = 150 fen
    assert from_file.frame["tech_transaction_paid"].tolist() == [1_234_560_000, pd.NA, pd.NA]
