"""calc.budget_dashboard: the budget dashboard's numbers, worked out by hand on four enterprises.

The four (all in Xiamen, R&D only, claims for 2026), under 措施7 (10万 per full 200万 of R&D above 200万 and
growing, at most 500万; a 叠加 bonus of up to 50万 when R&D > 500万 and growth > 20%):

    A  1,234.56万 on 1,000万   ⌊1,234.56 / 200⌋ = 6 steps → 60万; growth 23.456% > 20% → bonus 50万
    B  12,000万 on 10,000万    60 steps → 600万, capped 500万; growth exactly 20% is not above 20% → no bonus
    C  200万 on 100万          not above 200万 (高于 is strict) → nothing
    D  7,000万 on 5,000万      35 steps → 350万; growth 40% → bonus 50万

Baseline: formula 60 + 500 + 350 = 910万, ceilings 50 + 50 = 100万, total 1,010万, 3 recipients.
Cap 300万: B 300万, D 300万: formula 660万 + 100万 = 760万; change −250万; B −200万 and D −50万 lose.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

import calc
from calc.dashboards import budget as B, words as T, reports as R

STEP = "xiamen_sti_measures.rd_step_subsidy"
BONUS = "xiamen_sti_measures.rd_growth_bonus"
AS_OF = dt.date(2026, 12, 31)
WAN = 10_000
FOUR = (
    "enterprise_id,name,city,district,rd_expense,rd_expense_prev,consortium_member,claim_year\n"
    'A,甲,xiamen,思明区,"1,234.56万",1000万,否,2026\n'
    "B,乙,xiamen,湖里区,12000万,10000万,否,2026\n"
    "C,丙,xiamen,湖里区,200万,100万,否,2026\n"
    "D,丁,xiamen,集美区,7000万,5000万,否,2026\n"
)


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    path = tmp_path_factory.mktemp("pop") / "four.csv"
    path.write_text(FOUR, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def population(four):
    return calc.load_enterprises(four)


def law_values(as_of=AS_OF) -> dict[str, str]:
    return {p.parameter_id: p.law_text for item in B.editable_items(as_of) for p in item.parameters}


# ---------------------------------------------------------------------------- parameters seeded from data/

def test_every_editable_parameter_is_seeded_from_the_law_with_words_and_citation():
    rows = B.parameter_rows(AS_OF)
    cap = rows[f"{STEP}.cap"]
    assert (cap.law_text, cap.current, cap.unit) == ("500万元", "500万元", "yuan")
    assert "最高500万元" in cap.citation and cap.citation.startswith("措施7")
    assert rows[f"{BONUS}.growth_rate"].current == "20%"
    # every parameter the core can vary is offered, and each has a name in both languages
    assert set(rows) == set(calc.budget.editable_parameters(as_of=AS_OF)["parameter_id"])
    for row in rows.values():
        assert T.has_word("parameters", row.name), row.name
        assert re.search(r"[\u4e00-\u9fff]", T.parameter_words(row.name, "zh")), row.name
        assert not re.search(r"[\u4e00-\u9fff]", T.parameter_words(row.name, "en")), row.name


def test_every_budget_label_has_both_languages():
    zh, en = T.catalog("zh")["text"], T.catalog("en")["text"]
    for key in ("budget_intro", "card_baseline", "prorate_text", "chart_fan_title"):
        assert zh[key] and en[key], key
    assert T.text("budget_title", "en") == "Budget and scenario modelling"


def test_the_law_as_typed_is_no_reform():
    reform, readings, errors = B.scenario_reform(law_values(), {}, AS_OF)
    assert errors == {} and reform.parameters == () and reform.switch_off == ()
    # typed differently but the same value (3,000,000元 = 300万元… here 5,000,000元 = 500万元): still no change
    reform, readings, _ = B.scenario_reform({f"{STEP}.cap": "5,000,000元"}, {}, AS_OF)
    assert reform.parameters == () and readings[f"{STEP}.cap"].shown == "= 现行"


def test_changed_values_become_the_reform_as_typed_and_unreadable_ones_stop_it():
    values = law_values() | {f"{STEP}.cap": " 300万 ", f"{BONUS}.growth_rate": "15%"}
    reform, readings, errors = B.scenario_reform(values, {"xiamen_sti_measures.incubator_award": False}, AS_OF,
                                                 name="紧缩")
    assert errors == {}
    assert dict(reform.parameters) == {f"{STEP}.cap": "300万", f"{BONUS}.growth_rate": "15%"}
    assert reform.switch_off == ("xiamen_sti_measures.incubator_award",) and reform.name == "紧缩"
    assert readings[f"{STEP}.cap"].shown == "= 300万元"
    assert readings[f"{STEP}.cap"].value == 300 * WAN * 100  # fen

    # all or nothing: one unreadable value and the reform is not run (no override survives)
    values[f"{STEP}.step"] = "二百万"
    values[f"{BONUS}.amount"] = "-50万"
    reform, readings, errors = B.scenario_reform(values, {"xiamen_sti_measures.incubator_award": False}, AS_OF)
    assert reform.parameters == () and reform.switch_off == ()
    assert set(errors) == {f"{STEP}.step", f"{BONUS}.amount"}
    assert errors[f"{STEP}.step"].startswith("无法识别金额“二百万”")
    assert "负数" in errors[f"{BONUS}.amount"] and "-50万" in errors[f"{BONUS}.amount"]
    _, _, errors_en = B.scenario_reform(values, {}, AS_OF, lang="en")
    assert "negative" in errors_en[f"{BONUS}.amount"]
    # a percentage field wants a percentage; ids that are not editable parameters are ignored
    _, _, errors = B.scenario_reform({f"{BONUS}.growth_rate": "0.2", "os.system": "rm"}, {}, AS_OF)
    assert list(errors) == [f"{BONUS}.growth_rate"] and "百分比" in errors[f"{BONUS}.growth_rate"]


@pytest.mark.parametrize("typed, expected", [
    ("12%", Fraction(12, 100)), ("-5%", Fraction(-5, 100)), ("−5%", Fraction(-5, 100)), ("+3%", Fraction(3, 100)),
    ("０.５％", Fraction(5, 1000)), ("12.345%", Fraction(12345, 1000_00)),
])
def test_percentages_are_read_exactly(typed, expected):
    assert B.read_percent(typed) == (expected, None)


@pytest.mark.parametrize("typed", ["12", "abc", "", None, "5%%", "1e3%"])
def test_unreadable_percentages_say_so(typed):
    value, error = B.read_percent(typed)
    assert value is None and "无法识别比例" in error


def test_a_share_must_lie_between_0_and_100_percent():
    # at and beyond both ends
    assert B.read_percent("0%", lower=Fraction(0), upper=Fraction(1)) == (Fraction(0), None)
    assert B.read_percent("100%", lower=Fraction(0), upper=Fraction(1)) == (Fraction(1), None)
    assert B.read_percent("100.01%", lower=Fraction(0), upper=Fraction(1))[0] is None
    assert B.read_percent("-0.01%", lower=Fraction(0), upper=Fraction(1))[0] is None


def test_the_share_field_refuses_0_percent_and_reads_any_precision(population):
    # a share of 0% awards nothing: refused beside the field (the law's 100% is used meanwhile), never a crash
    view = B.compute_budget(population, law_values(), {}, as_of=AS_OF, share="0%")
    assert "award_share" in view.errors and "大于 0%" in view.errors["award_share"] and view.share == 1
    # 0.01% is the smallest share typed here: accepted
    assert "award_share" not in B.compute_budget(population, law_values(), {}, as_of=AS_OF, share="0.01%").errors
    # 33.3333333333% of each ceiling, exactly: the amounts stay ≥ 0 (it once wrapped to negative amounts)
    view = B.compute_budget(population, law_values(), {}, as_of=AS_OF, share="33.3333333333%")
    assert view.errors == {} and (view.comparison.items[["baseline_yuan", "reform_yuan"]] >= 0).all().all()


def test_a_parameter_above_its_bound_is_refused_beside_its_field(population):
    # a cap is an amount an item pays: at most 10亿 (calc.limits.MAX_UNIT_AMOUNT_FEN); 20亿 is refused, not a crash
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "20亿"}, {}, as_of=AS_OF)
    assert set(view.errors) == {f"{STEP}.cap"} and view.reform.parameters == ()
    assert (view.totals["baseline"], view.totals["reform"]) == (1010 * WAN, 1010 * WAN)
    assert B.compute_budget(population, law_values() | {f"{STEP}.cap": "10亿"}, {}, as_of=AS_OF).errors == {}


# ---------------------------------------------------------------------------- the comparison, by hand

def test_baseline_and_a_cap_of_300_wan(population):
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF)
    t = view.totals
    assert (t["baseline"], t["reform"], t["change"]) == (1010 * WAN, 760 * WAN, -250 * WAN)
    assert (t["baseline_recipients"], t["reform_recipients"]) == (3, 3)
    assert (t["gains"], t["loses"], t["unchanged"]) == (0, 2, 2)
    ent = view.comparison.enterprises.set_index("enterprise_id")["change_yuan"]
    assert ent.to_dict() == {"A": 0, "B": -200 * WAN, "C": 0, "D": -50 * WAN}

    cards = B.cards_html(view)
    assert 'data-yuan="10100000" title="10,100,000元">1,010万元' in cards and 'data-yuan="7600000" title="7,600,000元">760万元' in cards
    assert "−250万元" in cards and "-24.8%" in cards  # −250 / 1,010
    assert "3 → 3" in cards and "0 / 2 / 2" in cards
    # average per recipient: 1,010万 / 3 = 3,366,666 yuan (floored) → shown 336.67万元 (two decimals, half up);
    # 760万 / 3 = 2,533,333 → 253.33万元
    assert "336.67万元 → 253.33万元" in cards

    table = B.items_table(view).set_index("item_id")
    assert list(table.index) == [STEP, BONUS]  # only items that cost something
    assert table.loc[STEP].tolist()[2:] == ["910万元", "660万元", "−250万元", "3", "3"]
    assert table.loc[BONUS].tolist()[2:] == ["100万元", "100万元", "0元", "2", "2"]

    # what binds: B at the cap in both; D at the 300万 cap only in the reform; C below the threshold
    binding = B.binding_html(view)
    step_row = binding.split(f'data-item="{STEP}"')[1].split("</tr>")[0]
    assert step_row.count("<td>") == 7
    assert "<td>1</td><td>2</td><td>1</td><td>1</td><td>0</td><td>0</td>" in step_row

    winners = B.winners_html(view)
    assert winners.index("<td>B</td>") < winners.index("<td>D</td>")  # the largest loss first
    assert "w-b-gainers" not in winners


def test_an_award_share_scales_only_the_ceiling_items(population):
    # ceilings (the two 50万 bonuses) at 50%: 910万 + 2 × 25万 = 960万; the step subsidy (a formula) stays whole
    view = B.compute_budget(population, law_values(), {}, as_of=AS_OF, share="50%")
    assert view.totals["baseline"] == 960 * WAN and view.errors == {}
    assert "最高限额类按 50% 计入" in B.cards_html(view)
    bad = B.compute_budget(population, law_values(), {}, as_of=AS_OF, share="150%")
    assert "award_share" in bad.errors and bad.totals["baseline"] == 1010 * WAN  # shown at 100%, and said


def test_pro_rating_the_r_and_d_pair_to_a_budget(population):
    # claims under the 300万 cap: 660万 + 100万 = 760万 against a budget of 500万: factor 500/760 = 25/38;
    # each award × 25/38 floored: A 600,000 → 394,736 and 500,000 → 328,947; B 3,000,000 → 1,973,684;
    # D 1,973,684 and 328,947; paid 4,999,998, remainder 2 yuan
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF,
                            budget_line=B.R_AND_D_GROUP, budget="500万")
    line = view.comparison.budget_lines.iloc[0]
    assert (line.claims_yuan, line.budget_yuan, line.factor_exact, line.prorated_yuan, line.remainder_yuan) == (
        760 * WAN, 500 * WAN, "25/38", 4_999_998, 2)
    text = B.prorate_html(view)
    assert "系数 65.7895%（= 25/38）" in text and "核减后 4,999,998元" in text and "取整余额 2元" in text
    per = view.comparison.enterprises.set_index("enterprise_id")["prorated_yuan"].to_dict()
    assert per == {"A": 394_736 + 328_947, "B": 1_973_684, "C": 0, "D": 1_973_684 + 328_947}
    # a budget above the claims pays in full
    full = B.compute_budget(population, law_values(), {}, as_of=AS_OF, budget_line=STEP, budget="0.1亿")
    assert "全额支付（系数 1）" in B.prorate_html(full)
    # no budget typed: no line; an unreadable budget is said
    assert B.compute_budget(population, law_values(), {}, as_of=AS_OF, budget_line=STEP).budget_line == ""
    bad = B.compute_budget(population, law_values(), {}, as_of=AS_OF, budget_line=STEP, budget="很多")
    assert "budget" in bad.errors and bad.comparison.budget_lines.empty


def test_breakdown_by_district(population):
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF,
                            breakdown_by="district")
    table = B.breakdown_table(view).set_index("district")
    # 湖里区: B (500万 → 300万) and C (nothing); 集美区: D (400万 → 350万); 思明区: A (110万, unchanged)
    assert table.loc["湖里区", ["baseline_yuan", "reform_yuan", "losers"]].tolist() == [500 * WAN, 300 * WAN, 1]
    assert table.loc["集美区", ["baseline_yuan", "reform_yuan"]].tolist() == [400 * WAN, 350 * WAN]
    fig = B.breakdown_figure(view)
    # drawn in 万元, the unit of the bars' labels (the hover carries the exact yuan)
    assert fig["data"][0]["x"] == ["思明区", "湖里区", "集美区"] and fig["data"][1]["y"] == [110, 300, 350]
    assert fig["data"][1]["customdata"] == ["1,100,000元", "3,000,000元", "3,500,000元"]
    assert fig["layout"]["yaxis"]["title"]["text"] == "金额（万元）"
    assert [v for _, v in B.breakdown_choices(population)] == ["district", "city"]  # no industry or size given


def test_switching_an_item_off(population):
    view = B.compute_budget(population, law_values(), {BONUS: False}, as_of=AS_OF)
    assert (view.totals["baseline"], view.totals["reform"]) == (1010 * WAN, 910 * WAN)
    assert view.reform.switch_off == (BONUS,)


# ---------------------------------------------------------------------------- projection

def test_projection_settings_are_read_and_bounded():
    settings, errors = B.projection_settings("12%", "5%", "1%", 200, 7, "06-30")
    assert errors == {} and settings == {"rd_growth": 0.12, "rd_growth_sd": 0.05, "platform_rate": 0.01,
                                         "draws": 200, "seed": 7, "claim_date": (6, 30)}
    _, errors = B.projection_settings("twelve", "-5%", "1%", B.MAX_DRAWS + 1, 0, "12-31")
    assert set(errors) == {"growth", "growth_sd", "draws"}
    # growth must stay above −100% (−100% would leave no R&D at all); −99.99% is allowed
    _, errors = B.projection_settings("-100%")
    assert set(errors) == {"growth"} and "-100%" in errors["growth"]
    assert B.projection_settings("-99.99%")[1] == {}
    settings, _ = B.projection_settings(claim_date="02-30")  # not offered: the year end
    assert settings["claim_date"] == (12, 31)


def test_projection_by_hand(population):
    # 2027 with 10% growth and no spread: A 1,358.016万 (6 steps, 60万; 10% is no bonus), B 13,200万 (capped 500万),
    # C 220万 (above 200万 and grown: 1 step, 10万), D 7,700万 (38 steps, 380万) → 950万; under the 300万 cap
    # 60 + 300 + 10 + 300 = 670万.  2026 is the table itself (1,010万 / 760万).  2028: the measures end
    # 2027-12-31, so year-end claims get nothing.
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF)
    settings, errors = B.projection_settings("10%", "0%", "0%", 0, 0, "12-31")
    pv = B.compute_projection(population, view.reform, settings, view.share_text, errors=errors)
    got = pv.projection.by_year.set_index(["year", "scenario"])["cost_yuan"].to_dict()
    assert got == {(2026, "baseline"): 1010 * WAN, (2026, "reform"): 760 * WAN,
                   (2027, "baseline"): 950 * WAN, (2027, "reform"): 670 * WAN,
                   (2028, "baseline"): 0, (2028, "reform"): 0}
    # the chart is reform − baseline: 760 − 1,010 = −250万 (2026), 670 − 950 = −280万 (2027), 0 (2028)
    assert pv.projection.change.set_index("year")["change_yuan"].to_dict() == {2026: -250 * WAN, 2027: -280 * WAN,
                                                                               2028: 0}
    fig = B.fan_figure(pv)
    assert [t["name"] for t in fig["data"]] == ["改革−基线"]  # no draws: one line, no band
    assert fig["data"][0]["y"] == [-250, -280, 0] and fig["layout"]["yaxis"]["title"]["text"] == "金额（万元）"
    assert fig["data"][0]["text"] == ["−250万元", "−280万元", "0元"]
    # the measures end 2027-12-31 (and Xiamen's consortium measures 2028-08-09, before the 2028 claim date):
    # marked between 2027 and 2028
    assert fig["layout"]["meta"]["expiries"] == ["xiamen_consortium_2025", "xiamen_sti_measures"]
    assert {s["x0"] for s in fig["layout"]["shapes"]} == {2027.5}
    assert any("2027-12-31" in a["text"] for a in fig["layout"]["annotations"])


def test_the_fan_chart_has_bands_when_drawn_and_is_reproducible(population):
    view = B.compute_budget(population, law_values(), {}, as_of=AS_OF)
    settings, _ = B.projection_settings("12%", "5%", "0%", 50, 3, "12-31")
    first = B.compute_projection(population, view.reform, settings, view.share_text)
    again = B.compute_projection(population, view.reform, settings, view.share_text)
    pd.testing.assert_frame_equal(first.projection.by_year, again.projection.by_year)
    by_year = first.projection.by_year
    assert (by_year["p10_yuan"] <= by_year["p50_yuan"]).all() and (by_year["p50_yuan"] <= by_year["p90_yuan"]).all()
    names = [t.get("name") for t in B.fan_figure(first)["data"]]
    assert names == ["P10", "P10–P90", "改革−基线 P50"]
    # the reform is the law: every draw's change is 0, so the band is 0 (taken draw by draw, not P90 − P10)
    change = first.projection.change
    assert (change[["change_yuan", "p10_yuan", "p50_yuan", "p90_yuan"]] == 0).all().all()
    assert "P90" in B.projection_html(first)
    failed = B.compute_projection(population, view.reform, settings, "100%", errors={"growth": "bad"})
    assert failed.projection is None and "bad" in B.projection_html(failed) and B.fan_figure(failed)["data"] == []


# ---------------------------------------------------------------------------- reproduce and report

def test_the_reproduce_box_gives_the_page_s_numbers(four):
    population = calc.load_enterprises(four)
    values = law_values() | {f"{STEP}.cap": "300万", f"{BONUS}.amount": "40万"}
    view = B.compute_budget(population, values, {"xiamen_sti_measures.postdoc_allowance": False}, as_of=AS_OF,
                            share="80%", budget_line=B.R_AND_D_GROUP, budget="500万", name="cap 300万")
    settings, _ = B.projection_settings("10%", "3%", "0%", 20, 5, "12-31")
    pv = B.compute_projection(population, view.reform, settings, view.share_text)
    code = B.reproduce(view, B.population_code("upload", str(four)), AS_OF, pv)
    assert "'xiamen_sti_measures.rd_step_subsidy.cap': '300万'" in code and "award_share='80%'" in code
    namespace: dict = {}
    exec(compile(code, "<reproduce>", "exec"), namespace)  # as a user would run it
    pd.testing.assert_frame_equal(namespace["cmp"].items, view.comparison.items)
    pd.testing.assert_frame_equal(namespace["proj"].by_year, pv.projection.by_year)


def test_the_reproduce_box_names_the_sample_population():
    assert B.population_code("population") == 'calc.SAMPLES / "population.csv"'
    assert (calc.SAMPLES / "population.csv").exists()


def test_the_xlsx_report_holds_the_page_s_scenario(population):
    view = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF,
                            budget_line=STEP, budget="500万")
    settings, _ = B.projection_settings("10%", "0%", "0%", 0, 0, "12-31")
    pv = B.compute_projection(population, view.reform, settings, view.share_text)
    book = openpyxl.load_workbook(io.BytesIO(R.budget_report_xlsx(view, pv)))
    # Chinese sheet names and headers (units in the headers), the item's title beside its id
    totals = {r[0]: r for r in book["逐项汇总"].iter_rows(values_only=True)}
    header = list(totals["项目编号"])
    assert header[:2] == ["项目编号", "支持项目"]
    step = dict(zip(header, totals[STEP]))
    assert step["支持项目"] == "研发费用补助（每满200万元补10万元）"
    assert (step["基线（元）"], step["改革（元）"], step["变化（元）"]) == (910 * WAN, 660 * WAN, -250 * WAN)
    params = list(book["改革参数"].iter_rows(values_only=True))
    assert params[0][:7] == ("方案名称", "参数编号", "支持项目", "单位", "现行值", "改革值", "条文")
    assert params[1][1:6] == (f"{STEP}.cap", "研发费用补助（每满200万元补10万元）", "yuan", "500万元", "300万元")
    assert "最高500万元" in params[1][6]
    assert "多年预测" in book.sheetnames and book["多年预测"]._charts
    # reform − baseline per year, as the page's chart: −250万 (2026), −280万 (2027: 670万 − 950万 with 10% growth,
    # see test_projection_by_hand; this view pro-rates nothing there), 0 (2028)
    change = [r for r in book["改革相对基线"].iter_rows(values_only=True)]
    assert change[0][:2] == ("年度", "变化（元）")
    assert [r[:2] for r in change[1:]] == [(2026, -250 * WAN), (2027, -280 * WAN), (2028, 0)]
    outcomes = {r[-1] for r in list(book["企业增减"].iter_rows(values_only=True))[1:]}
    assert outcomes <= {"增加", "减少", "不变"}
    assert 'download="财政预算测算.xlsx"' in R.report_link(view, pv)
    # English with the language switch
    view_en = B.compute_budget(population, law_values() | {f"{STEP}.cap": "300万"}, {}, as_of=AS_OF, lang="en")
    book = openpyxl.load_workbook(io.BytesIO(R.budget_report_xlsx(view_en)))
    assert "totals" in book.sheetnames and list(book["totals"].iter_rows(values_only=True))[0][:3] == (
        "Item id", "Item", "Policy id")
    assert 'download="budget.xlsx"' in R.report_link(view_en)


# ---------------------------------------------------------------------------- the notebook's wiring, without a browser

@pytest.fixture(scope="module")
def page(four):
    """notebooks/budget.ipynb's cells run here (ipywidgets work without a browser); widgets set as a browser would."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()
    nb = nbformat.read(calc.resources.NOTEBOOKS / "budget.ipynb", as_version=4)
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "budget.ipynb", "exec"), ns)
    ns["got_file"]("four.csv", four.read_bytes() + "E,戊,xiamen,思明区,很多,100万,否,2026\n".encode())
    return ns


def test_the_notebook_recomputes_on_every_change(page):
    assert page["population_w"].value == "upload"
    assert "four.csv：4 家企业参与测算，1 行有误未计入" in page["population_msg"].value
    assert "无法识别金额“很多”" in page["population_errors"].value
    assert 'data-yuan="10100000"' in page["cards_w"].value
    page["params"][f"{STEP}.cap"].value = "300万"
    assert 'data-yuan="7600000" title="7,600,000元">760万元' in page["cards_w"].value
    assert f'<tr data-item="{STEP}"><td class="policy">厦门《若干措施》</td>' in page["items_w"].value
    assert '<td class="reform">660万元</td><td class="change">−250万元</td>' in page["items_w"].value
    assert "= 300万元" in page["param_shown"][f"{STEP}.cap"].value
    page["line_w"].value = B.R_AND_D_GROUP
    page["amount_w"].value = "500万"
    assert "核减后 4,999,998元" in page["prorate_w"].value
    assert "'xiamen_sti_measures.rd_step_subsidy.cap': '300万'" in page["reproduce_w"].value.replace("&#x27;", "'")
    assert 'data-year="2027" data-scenario="reform"' in page["projection_w"].value
    # an unreadable value: said beside the field and above the results, and the reform is not run
    page["params"][f"{STEP}.step"].value = "二百万"
    assert "无法识别金额“二百万”" in page["param_shown"][f"{STEP}.step"].value
    assert "w-b-errors" in page["errors_w"].value and 'data-yuan="10100000" title="10,100,000元">1,010万元' in page["cards_w"].value
    page["params"][f"{STEP}.step"].value = ""  # blank restores the law
    assert page["errors_w"].value == "" and 'data-yuan="7600000"' in page["cards_w"].value
    page["lang_w"].value = "en"
    assert "Baseline (the law)" in page["cards_w"].value and "¥7,600,000" in page["cards_w"].value
    page["reset"]()
    assert 'data-yuan="10100000" title="¥10,100,000">¥10.1m</div><div class="dash-card-note">ceiling' in page["cards_w"].value
    assert "−" not in page["cards_w"].value.split("w-b-change")[1].split("</div>")[1]
    page["lang_w"].value = "zh"
