"""The pages' wiring, without a browser: each notebook's cells run here (ipywidgets work without a front-end) and
widgets are set as a browser would set them.  Values are worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
import re

import nbformat
import pytest

import calc
from calc.dashboards import budget as B, consortium as C, enterprise as E

WAN = 10_000


def run_notebook(name: str) -> dict:
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()
    nb = nbformat.read(calc.resources.NOTEBOOKS / name, as_version=4)
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, name, "exec"), ns)
    return ns


def yuan_of(html: str, cls: str) -> int:
    m = re.search(rf'{cls}"><div class="dash-card-label">[^<]*</div><div class="dash-card-value" data-yuan="(-?\d+)"', html)
    assert m, html[:400]
    return int(m.group(1))


@pytest.fixture()
def ent():
    return run_notebook("enterprise.ipynb")


@pytest.fixture()
def con():
    return run_notebook("consortium.ipynb")


@pytest.fixture(scope="module")
def bud():
    return run_notebook("budget.ipynb")


# ---------------------------------------------------------------------------- enterprise estimator

def test_enterprise_opens_on_the_sample_and_the_blank_form_clears_everything(ent):
    # E0003 as of 2026-06-30: 705万 formula/fixed + 550万 ceiling = 1,255万
    assert yuan_of(ent["cards_w"].value, "w-total-all") == 1255 * WAN
    assert ent["topic_w"]["rd"].value is True
    ent["sample_w"].value = ""
    for name, w in ent["inputs"].items():
        assert w.value in ("", None), (name, w.value)
    assert not any(w.value for w in ent["topic_w"].values())
    assert yuan_of(ent["cards_w"].value, "w-total-all") == 0
    assert ent["chart"].figure["data"][0]["x"] == [] and ent["page_error_w"].value == ""
    assert 'data-n' not in ent["items_w"].value.split("w-sec-rest")[0].split("w-sec-granted")[1]  # nothing granted
    # the form is usable afterwards: R&D 1,234.56万 on 1,000万 in Xiamen → 6 steps = 60万 + the 叠加 bonus 50万
    ent["topic_w"]["rd"].value = True
    ent["inputs"]["city"].value = "xiamen"
    ent["inputs"]["rd_expense_prev"].value = "1000万"
    ent["inputs"]["rd_expense"].value = "1,234.56万"
    assert yuan_of(ent["cards_w"].value, "w-total-all") == 110 * WAN


def test_enterprise_guided_topics_make_the_rest_not_applicable(ent):
    ent["sample_w"].value = ""
    ent["topic_w"]["rd"].value = True
    ent["inputs"]["city"].value = "xiamen"
    # only the R&D questions are shown; the other sections are hidden
    assert ent["sections"]["rd"].layout.display == "" and ent["sections"]["talent"].layout.display == "none"
    items = ent["items_w"].value
    # R&D unknown: the two R&D items need input; nothing else is "needs input" (the rest does not apply)
    missing = items.split("w-sec-missing")[1].split("</table>")[0]
    assert missing.count("<tr class=") == 2 and "rd_step_subsidy" in missing and "rd_growth_bonus" in missing
    assert "不适用" in items.split("w-sec-rest")[1]


def test_enterprise_any_as_of_date_then_an_edit_updates(ent):
    for day in (dt.date(2000, 1, 1), dt.date(2029, 1, 1), dt.date(2100, 12, 31)):
        ent["as_of_w"].value = day
        assert ent["page_error_w"].value == ""
        assert yuan_of(ent["cards_w"].value, "w-total-all") == 0  # no enterprise policy in force then
        assert "w-in-force" in ent["in_force_w"].value
    ent["inputs"]["rd_expense"].value = "2,500万"
    assert "= 2,500万元" in ent["shown"]["rd_expense"].value  # the edit is read, not ignored
    ent["as_of_w"].value = dt.date(2026, 6, 30)
    # E0003 with R&D 2,500万 (last year's unchanged): the page recomputes, no stale total
    assert yuan_of(ent["cards_w"].value, "w-total-all") == E.compute_enterprise(
        {n: w.value for n, w in ent["inputs"].items()}, dt.date(2026, 6, 30), "zh",
        topics=[t for t, w in ent["topic_w"].items() if w.value]).totals["total_yuan"]


def test_enterprise_a_failing_callback_is_shown_logged_and_survived(ent, monkeypatch, capfd):
    def boom(*args, **kwargs):
        raise RuntimeError("forced failure")

    monkeypatch.setattr(E, "compute_enterprise", boom)
    ent["inputs"]["rd_expense"].value = "3000万"
    banner = ent["page_error_w"].value
    assert "w-page-error" in banner and ent["guard"].errors[-1] in banner and "出错了" in banner
    assert "w-stale" in ent["cards_w"].value and ent["items_w"].value == ""  # no stale figures left
    err = capfd.readouterr().err
    assert "RuntimeError: forced failure" in err and f"ref={ent['guard'].errors[-1]}" in err
    monkeypatch.undo()
    ent["inputs"]["rd_expense"].value = "3000万"  # the same value: no change event; another one
    ent["inputs"]["rd_expense"].value = "3,000万"
    assert ent["page_error_w"].value == "" and "w-stale" not in ent["cards_w"].value
    # every callback of the page is guarded
    for name in ("refresh", "load_sample", "relabel", "got_file", "upload_error", "make_report"):
        assert ent[name].__wrapped__, name


def test_enterprise_implausible_money_asks_and_fixes(ent):
    ent["inputs"]["rd_expense"].value = "1850"
    note = ent["shown"]["rd_expense"].value
    assert "= 1,850元" in note and "是否指1850万元？" in note and "ask" in note
    fix = ent["fixes"]["rd_expense"]
    assert fix.layout.display == "" and fix.description == "改为 1850万"
    fix.click()
    assert ent["inputs"]["rd_expense"].value == "1850万"
    assert "= 1,850万元" in ent["shown"]["rd_expense"].value and ent["fixes"]["rd_expense"].layout.display == "none"
    # at the floor, with a unit or with separators: no question
    for typed in ("10000", "1850元", "1,850"):
        ent["inputs"]["rd_expense"].value = typed
        assert "是否指" not in ent["shown"]["rd_expense"].value, typed


# ---------------------------------------------------------------------------- consortium checker

def test_consortium_blank_form_clears_every_field_and_result(con):
    assert 'data-j="xiamen" data-status="eligible"' in con["overall_w"].value  # C-XM-ELIGIBLE
    con["sample_w"].value = ""
    for name, w in con["inputs"].items():
        assert w.value in ("", None), (name, w.value)
    # nothing known: no jurisdiction is eligible, nothing passes on leftover values
    assert 'data-status="eligible"' not in con["overall_w"].value
    assert 'data-state="pass"' not in con["matrix_w"].value.split("members_total")[1].split("</tr>")[0]


def test_consortium_gap_list_worked_by_hand(con):
    # C-XM-EDGE-6-MEMBERS as of 2026-03-31 (all four in force): 4 enterprises + 1 university + 1 institute = 6.
    # Xiamen (第六条) needs ≥ 7 members and ≥ 5 enterprises (hard): one more enterprise does both.
    # Liaoyang needs ≥ 8 (原则上): two more.  Hainan ≥ 10 (原则上): four more; its lead must be registered in Hainan.
    con["as_of_w"].value = dt.date(2026, 3, 31)
    con["sample_w"].value = "C-XM-EDGE-6-MEMBERS"
    gaps = {g["jurisdiction"]: g for g in C.gap_list(con["state"]["view"])}
    # one more enterprise is the smallest change: it is also the seventh member
    assert [f["text"] for f in gaps["xiamen"]["fixes"]] == ["再增加1家企业成员，成员单位总数随之达标"]
    assert "再增加2家成员单位（原则上条件）" in [f["text"] for f in gaps["liaoyang"]["fixes"]]
    assert "再增加4家成员单位（原则上条件）" in [f["text"] for f in gaps["hainan"]["fixes"]]
    # ranked: Liaoyang (soft conditions only) before the jurisdictions with hard failures
    html = con["gaps_w"].value
    assert html.index('data-j="liaoyang"') < html.index('data-j="xiamen"') and 'data-rank="1"' in html
    # revenue: C-XM-SOFT-REVENUE-3.2YI, 3.2亿 against 5亿 (原则上): 差1.8亿元
    con["sample_w"].value = "C-XM-SOFT-REVENUE-3.2YI"
    xiamen = {g["jurisdiction"]: g for g in C.gap_list(con["state"]["view"])}["xiamen"]
    assert [f["text"] for f in xiamen["fixes"]] == ["牵头单位营业收入差1.8亿元（原则上条件）"]


def test_consortium_dates_failures_and_money_prompt(con, monkeypatch, capfd):
    for day in (dt.date(2000, 1, 1), dt.date(2100, 12, 31)):
        con["as_of_w"].value = day
        assert con["page_error_w"].value == "" and "w-in-force" in con["in_force_w"].value
        assert 'data-status="eligible"' not in con["overall_w"].value
    con["as_of_w"].value = dt.date(2026, 6, 30)
    monkeypatch.setattr(C, "compute_consortium", lambda *a, **k: 1 / 0)
    con["inputs"]["enterprises"].value = "9"
    assert "w-page-error" in con["page_error_w"].value and "w-stale" in con["overall_w"].value
    assert con["matrix_w"].value == "" and "ZeroDivisionError" in capfd.readouterr().err
    monkeypatch.undo()
    con["inputs"]["enterprises"].value = "10"
    assert con["page_error_w"].value == "" and "mx-cell" in con["matrix_w"].value
    con["inputs"]["lead_revenue"].value = "3200"
    assert "是否指3200万元？" in con["shown"]["lead_revenue"].value
    con["fixes"]["lead_revenue"].click()
    assert con["inputs"]["lead_revenue"].value == "3200万"


# ---------------------------------------------------------------------------- budget page

STEP = "xiamen_sti_measures.rd_step_subsidy"


def test_budget_population_is_the_2400_drawn_enterprises(bud):
    assert B.SAMPLE_POPULATIONS == {"population": "population.csv"}
    frame = B.sample_population("population").frame
    assert len(frame) == 2400 and not frame["enterprise_id"].str.startswith("E-EDGE").any()
    assert set(frame["city"].astype(str)) == {"xiamen"}
    assert "2,400 家企业参与测算" in bud["population_msg"].value
    assert bud["as_of_w"].value == dt.date(2026, 6, 30)  # the same default as the other pages


def test_budget_every_date_a_failure_and_the_cap_typed_as_300(bud, monkeypatch, capfd):
    for day in (dt.date(2000, 1, 1), dt.date(2100, 12, 31)):
        bud["as_of_w"].value = day
        assert bud["page_error_w"].value == "", day
        assert yuan_of(bud["cards_w"].value, "w-b-baseline") == 0 and "w-in-force" in bud["in_force_w"].value
    bud["as_of_w"].value = dt.date(2026, 6, 30)
    baseline = yuan_of(bud["cards_w"].value, "w-b-baseline")
    assert baseline > 0
    monkeypatch.setattr(B, "compute_budget", lambda *a, **k: {}["policy_id"])
    bud["share_w"].value = "90%"
    assert "w-page-error" in bud["page_error_w"].value and "w-stale" in bud["cards_w"].value
    assert bud["reproduce_w"].value == "" and "KeyError" in capfd.readouterr().err
    monkeypatch.undo()
    bud["share_w"].value = "100%"
    assert bud["page_error_w"].value == "" and yuan_of(bud["cards_w"].value, "w-b-baseline") == baseline
    # a cap typed "300" is 300元: not silent — the note asks, one click makes it 300万
    bud["params"][f"{STEP}.cap"].value = "300"
    assert "是否指300万元？" in bud["param_shown"][f"{STEP}.cap"].value
    fix = bud["param_fix"][f"{STEP}.cap"]
    assert fix.layout.display == "" and fix.description == "改为 300万"
    fix.click()
    assert bud["params"][f"{STEP}.cap"].value == "300万"
    assert "是否指" not in bud["param_shown"][f"{STEP}.cap"].value
    bud["reset"]()


def test_budget_pro_rated_card_and_copy_button(bud):
    bud["line_w"].value = B.R_AND_D_GROUP
    bud["amount_w"].value = "5000万"
    cards = bud["cards_w"].value
    reform = yuan_of(cards, "w-b-reform")
    paid = yuan_of(cards, "w-b-prorated")
    line = bud["state"]["view"].comparison.budget_lines.iloc[0]
    # after pro-rating, the reform costs what it claims minus what the R&D line could not pay
    assert paid == reform - int(line["claims_yuan"]) + int(line["prorated_yuan"])
    assert int(line["prorated_yuan"]) <= 5000 * WAN
    assert bud["copy_w"].text and bud["copy_w"].text in bud["reproduce_w"].value.replace("&#x27;", "'").replace(
        "&quot;", '"')
    bud["amount_w"].value = ""
    assert "w-b-prorated" not in bud["cards_w"].value


# ---------------------------------------------------------------------------- the printable estimate (测算单)

def test_enterprise_printable_estimate(ent):
    ent["sheet_btn"].click()
    doc = ent["print_w"].html
    assert doc.startswith("<!DOCTYPE html>") and "@media print" in doc and "@page" in doc
    assert '<b class="as-of">2026-06-30</b>' in doc
    # E0003: totals 705万 + 550万 = 1,255万 (exact beside the readable amount)
    assert 'data-yuan="12550000">1,255万元<br><span class="muted">12,550,000元</span>' in doc
    # each item: amount, the working and the article's quote; 1,170万 × 50% = 585万 national matching
    assert 'data-yuan="5850000">585万元' in doc and "1,170万元 × 50% = 585万元" in doc
    assert "第九条（二）：「对企业承担的国家科技重大项目,可按国家财政资金投入的50%予以配套支持" in doc
    # the inputs as entered, the assumed dates of the 若干措施 and the disclaimer
    assert "当年自主研发费用" in doc
    assert "2025-01-01 – 2027-12-31" in doc
    assert "本测算为根据政策原文和所填数据所作的估算" in doc
    assert 'download="企业补贴测算单-2026-06-30.html"' in ent["sheet_link"].value
    # a change makes the sheet stale: it is withdrawn until asked for again
    ent["inputs"]["rd_expense"].value = "100万"
    assert ent["print_w"].html == "" and ent["sheet_link"].value == ""
    ent["lang_w"].value = "en"
    ent["sheet_btn"].click()
    assert "Entitlement estimate" in ent["print_w"].html and "This is an estimate" in ent["print_w"].html


def test_consortium_printable_check(con):
    con["as_of_w"].value = dt.date(2026, 3, 31)
    con["sample_w"].value = "C-XM-EDGE-6-MEMBERS"
    con["sheet_btn"].click()
    doc = con["print_w"].html
    assert '<b class="as-of">2026-03-31</b>' in doc and "创新联合体资格自测单" in doc
    assert "再增加1家企业成员，成员单位总数随之达标" in doc and "再增加2家成员单位（原则上条件）" in doc
    assert "成员单位总数" in doc and "@media print" in doc and "本测算为根据政策原文" in doc


# ---------------------------------------------------------------------------- shareable scenarios (URL)

def open_with(ns: dict, query: str) -> None:
    """What the browser's ShareLink sends once the page is drawn."""
    ns["url_w"]._message(None, {"type": "open", "query": query})


def test_enterprise_link_reproduces_the_page(ent):
    ent["sample_w"].value = ""
    ent["topic_w"]["rd"].value = True
    ent["inputs"]["city"].value = "xiamen"
    ent["inputs"]["rd_expense_prev"].value = "1000万"
    ent["inputs"]["rd_expense"].value = "1,234.56万"
    ent["as_of_w"].value = dt.date(2026, 3, 31)
    query = ent["url_w"].query
    assert "topics=rd" in query and "as_of=2026-03-31" in query and "rd_expense=1%2C234.56%E4%B8%87" in query
    other = run_notebook("enterprise.ipynb")
    open_with(other, query)
    assert {n: w.value for n, w in other["inputs"].items()} == {n: w.value for n, w in ent["inputs"].items()}
    assert other["as_of_w"].value == dt.date(2026, 3, 31) and other["topic_w"]["rd"].value is True
    # 60万 + 50万, the same cards
    assert yuan_of(other["cards_w"].value, "w-total-all") == yuan_of(ent["cards_w"].value, "w-total-all") == 110 * WAN
    assert other["items_w"].value == ent["items_w"].value and other["link_errors_w"].value == ""
    open_with(other, "city=tokyo")  # only the first view's link is applied
    assert other["inputs"]["city"].value == "xiamen"


def test_copy_link_is_answered_with_the_inputs_as_they_are_now(ent):
    """"copy link" asks the kernel (calc.dashboards.links.ShareLink): the answer carries a value set just before
    the click (the field's change reaches the kernel before the click's question), never the query of before."""
    sent = []
    ent["url_w"].send = lambda content, buffers=None: sent.append(content)
    before = ent["url_w"].query
    ent["inputs"]["rd_expense"].value = "2,500万"   # sent by the field as the click takes its focus …
    ent["url_w"]._message(None, {"type": "link", "id": 7})  # … then the click's question
    assert sent[-1]["type"] == "link" and sent[-1]["id"] == 7
    assert "rd_expense=2%2C500%E4%B8%87" in sent[-1]["query"] and sent[-1]["query"] != before
    ent["url_w"]._message(None, {"type": "link", "id": "x"})  # an id that is not a number: never matches a click
    assert sent[-1]["id"] == 0 and sent[-1]["query"] == ent["url_w"].query


def test_a_hostile_link_is_validated_like_any_input():
    page = run_notebook("enterprise.ipynb")
    open_with(page, "city=atlantis&consortium_member=maybe&rd_expense=" + "9" * 300 + "&as_of=1800-01-01&lang=fr"
                    "&topics=rd,spying&zzz=1&rd_expense_prev=-5")
    errors = page["link_errors_w"].value
    for bad in ("city=atlantis", "consortium_member=maybe", "rd_expense=(300 characters)", "as_of=1800-01-01",
                "lang=fr", "topics=spying", "zzz"):
        assert bad in errors, bad
    assert page["inputs"]["city"].value == "" and page["inputs"]["rd_expense"].value == ""  # "": unknown
    assert page["as_of_w"].value == dt.date(2026, 6, 30) and page["page_error_w"].value == ""
    # a negative amount reaches the field and is refused there, as if typed
    assert "金额“-5”为负数" in page["errors_w"].value
    huge = "a=" + "b" * 10_000
    assert SC_read(huge)["errors"] and SC_read(huge)["values"] == {}


def SC_read(query):
    from calc.dashboards import scenario

    return scenario.read_form("enterprises", query)


def test_consortium_and_budget_links_round_trip(con, bud):
    con["inputs"]["enterprises"].value = "9"
    con["inputs"]["lead_revenue"].value = "3.2亿"
    other = run_notebook("consortium.ipynb")
    open_with(other, con["url_w"].query)
    assert other["overall_w"].value == con["overall_w"].value and other["gaps_w"].value == con["gaps_w"].value

    bud["params"][f"{STEP}.cap"].value = "300万"
    bud["paid"]["xiamen_sti_measures.postdoc_allowance"].value = False
    bud["share_w"].value = "80%"
    query = bud["url_w"].query
    assert f"p.{STEP}.cap=300%E4%B8%87" in query and "off=xiamen_sti_measures.postdoc_allowance" in query
    other = run_notebook("budget.ipynb")
    open_with(other, query)
    for cls in ("w-b-baseline", "w-b-reform", "w-b-change"):
        assert yuan_of(other["cards_w"].value, cls) == yuan_of(bud["cards_w"].value, cls), cls
    assert other["reproduce_w"].value == bud["reproduce_w"].value
    bud["reset"]()
    bud["share_w"].value = "100%"


def test_landing_page_callback_is_guarded(monkeypatch, capfd):
    from calc.dashboards import landing as L

    page = run_notebook("index.ipynb")
    assert "landing-link" in page["page"].value and page["page_error_w"].value == ""
    monkeypatch.setattr(L, "landing_html", lambda lang: 1 / 0)
    page["lang_w"].value = "en"
    assert "Something went wrong" in page["page_error_w"].value and "ZeroDivisionError" in capfd.readouterr().err
    monkeypatch.undo()
    page["lang_w"].value = "zh"
    assert page["page_error_w"].value == "" and "企业补贴测算" in page["page"].value
