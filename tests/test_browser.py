"""The dashboards in a real browser: Voila on a free port, Debian's chromium driven by Playwright.

Screenshots go to tests/artifacts/ (and, with UPDATE_DOCS_SCREENSHOTS=1, to docs/ for the README).
The browser (fixture ``browser``) is in tests/conftest.py: when CI is set, one that cannot start fails the tests.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from processes import free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS = ROOT / "docs"
WAIT = 120_000  # ms: a page may wait for a kernel to start while others are starting too
ALLOWED_PAGE_ERRORS: tuple[str, ...] = ()  # none: every page error fails



@pytest.fixture(scope="module")
def server():
    port = free_port()
    voila = Path(sys.executable).parent / "voila"
    # CALC_DASHBOARDS_FAULT: a widget set to "!fault!" makes its callback raise (calc.dashboards.safe), so that the
    # tests can watch a real failure on a real page
    env = dict(os.environ, DASH_POOL="2", DASH_PORT=str(port), CALC_DASHBOARDS_FAULT="1")
    log = open(ARTIFACTS_DIR() / "voila.log", "w")
    proc = subprocess.Popen([str(voila), "notebooks", "--Voila.config_file_paths=deploy", f"--Voila.port={port}"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Voila did not start (see {log.name})")
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def ARTIFACTS_DIR() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Page:
    """A page with its errors and any request that tried to leave this machine."""

    def __init__(self, browser, url: str, width: int = 1400, height: int = 1000, **context: object):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True,
                                           **context)
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.sent: list[bytes] = []  # every websocket message the page sent its kernel
        self.page.route("**/*", self._route)
        self.page.on("websocket", lambda ws: ws.on(
            "framesent", lambda f: self.sent.append(f if isinstance(f, bytes) else f.encode())))
        self.page.on("pageerror", lambda e: self.errors.append(f"{e} @ {self.page.url}\n{(e.stack or '')[:600]}"))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text[:600]}"))
        self.page.goto(url, wait_until="domcontentloaded", timeout=WAIT)

    def _route(self, route):
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def check_clean(self):
        assert self.external == [], self.external
        # the dashboards' front-end (frontend/src/index.js) keeps comms on the kernel's main shell: no
        # subshell (a thread in the kernel) is ever asked for, and it reached its kernel
        assert not any(b"create_subshell_request" in m for m in self.sent)
        assert self.page.locator(".dash-frontend-error").count() == 0
        assert [c for c in self.console if c.startswith("error") and "dash-widgets" in c] == []
        errors = [e for e in self.errors if not any(a in e for a in ALLOWED_PAGE_ERRORS)]
        assert errors == [], (errors, [c for c in self.console if c.startswith(("error", "warning"))])

    def shot(self, name: str, docs: bool = False):
        path = ARTIFACTS_DIR() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
            DOCS.mkdir(exist_ok=True)
            shutil.copy(path, DOCS / f"{name}.png")

    def close(self):
        self.context.close()

    # -- widgets
    def text_of(self, selector: str) -> str:
        return self.page.locator(selector).first.inner_text(timeout=WAIT)

    def type_into(self, field: str, value: str):
        box = self.page.locator(f".w-f-{field} input")
        box.fill(value)
        box.press("Enter")

    def choose(self, field: str, label: str):
        self.page.locator(f".w-f-{field} select").select_option(label=label)

    def tab(self, title: str):
        self.page.locator(".w-groups .lm-TabBar-tab", has_text=title).first.click()

    def date(self, value: str):
        box = self.page.locator(".w-as-of input")
        box.fill(value)
        box.press("Enter")

    def no_horizontal_scroll(self):
        """Nothing wider than the window: no sideways scrolling at this width."""
        width = self.page.evaluate("document.documentElement.clientWidth")
        assert self.page.evaluate("document.documentElement.scrollWidth") <= width + 1

    def clipboard(self) -> str:
        return self.page.evaluate("navigator.clipboard.readText()")

    def wait_text(self, selector: str, text: str):
        self.page.locator(selector, has_text=text).first.wait_for(timeout=WAIT)

    def has(self, selector: str, text: str):
        """The element's whole text becomes ``text`` (updates arrive one widget at a time: wait for each)."""
        expect(self.page.locator(selector).first).to_have_text(text, timeout=WAIT)

    def contains(self, selector: str, text: str):
        expect(self.page.locator(selector).first).to_contain_text(text, timeout=WAIT)


def card(cls: str) -> str:
    return f".{cls} .dash-card-value"


def painted(p: Page, selector: str) -> bool:
    """The element is on screen, not only in the DOM: the point at its centre hits it (a page whose CSS
    leaves the cells' container 0 px high with paint containment has every element "visible" to a locator
    and nothing drawn)."""
    p.page.locator(selector).first.scroll_into_view_if_needed(timeout=WAIT)
    return p.page.evaluate("""(sel) => {
        const e = document.querySelector(sel), r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.width > 0 && r.height > 0 && hit !== null && e.contains(hit); }""", selector)


def plotly_bundles(p: Page) -> list[str]:
    """The plotly.js bundles the page loaded (calc.widgets.Chart picks the 1.2 MB basic one when every trace
    is a bar, pie or scatter, the 4.6 MB full one otherwise)."""
    return sorted(p.page.evaluate("""performance.getEntriesByType('resource').map((r) => r.name.split('?')[0])
        .filter((n) => n.includes('/static/plotly')).map((n) => n.split('/').pop())"""))


def dashboard(server, browser, name: str, ready: str):
    """A dashboard's page once its own content is drawn; closed after the test."""
    page = Page(browser, f"{server}/voila/render/{name}")
    page.page.locator(ready).wait_for(timeout=WAIT)
    assert painted(page, ready)
    yield page
    page.close()


def download_report(p: Page, name: str = "") -> openpyxl.Workbook:
    """Prepare the XLSX report, follow its download link, open the file (``name``: the file name expected)."""
    p.page.locator(".w-report button, button.w-report").first.click()
    link = p.page.locator(".w-download")
    link.wait_for(timeout=WAIT)
    with p.page.expect_download() as info:
        link.click()
    if name:
        assert info.value.suggested_filename == name
    return openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))


def download_sheet(p: Page) -> tuple[str, str]:
    """Prepare the 测算单, download it: (file name, the HTML)."""
    p.page.locator(".w-sheet button, button.w-sheet").first.click()
    link = p.page.locator(".w-sheet-download")
    link.wait_for(timeout=WAIT)
    with p.page.expect_download() as info:
        link.click()
    return info.value.suggested_filename, Path(info.value.path()).read_text(encoding="utf-8")


def server_log() -> str:
    return (ARTIFACTS / "voila.log").read_text(encoding="utf-8", errors="replace")


def injected_fault(p: Page, field: str, then: str):
    """A real failure in a callback (CALC_DASHBOARDS_FAULT): the page says so with a reference, the server's log
    holds the traceback with the same reference, and the next change clears the message."""
    p.type_into(field, "!fault!")
    banner = p.page.locator(".w-page-error")
    banner.wait_for(timeout=WAIT)
    ref = banner.get_attribute("data-ref")
    assert ref and ref in banner.inner_text()
    deadline = time.monotonic() + 20
    while f"ref={ref}" not in server_log():
        assert time.monotonic() < deadline, "the failure is not in the server's log"
        time.sleep(0.2)
    log = server_log()
    assert "InjectedFault" in log[log.index(f"ref={ref}"):] and "Traceback" in log
    p.type_into(field, then)
    expect(p.page.locator(".w-page-error")).to_have_count(0, timeout=WAIT)


@pytest.fixture
def enterprise(server, browser):
    yield from dashboard(server, browser, "enterprise.ipynb", card("w-total-all"))


def test_enterprise_estimator(enterprise, tmp_path):
    p = enterprise
    # the default sample E0003 (member, lead, talent lead; Xiamen), as of 2026-06-30:
    #   formula/fixed: matching 1,170万 × 50% = 585万 (room in the total investment: 5,062 − 1,170 − 130 − 165 万)
    #                  + Double-Hundred 1 × 100万 + R&D step ⌊5,880,179 / 2,000,000⌋ = 2 × 10万 = 705万
    #   ceilings:      incubator 500万 + growth bonus 50万 (588万 > 500万; 5,880,179 / 4,823,015 − 1 = 21.9% > 20%)
    p.wait_text(card("w-total-all"), "1,255万元")
    p.has(card("w-total-firm"), "705万元")
    p.has(card("w-total-ceiling"), "550万元")
    assert p.page.locator(card("w-total-all")).get_attribute("title") == "12,550,000元"  # exact on hover
    expect(p.page.locator(".w-chart .plot-container")).to_have_count(1, timeout=WAIT)
    assert plotly_bundles(p) == ["plotly-basic.min.js"]  # a bar chart: the basic bundle only
    # the chart's axis is in the unit of its labels (万元), not yuan
    expect(p.page.locator(".w-chart .g-xtitle")).to_have_text("金额（万元）", timeout=WAIT)

    # an enterprise with only R&D: its own R&D 300万 on 200万 → one step
    p.page.locator(".w-sample select").select_option(label="E-EDGE-REQUIRED-ONLY · 边界样例 REQUIRED-ONLY")
    p.wait_text(card("w-total-all"), "10万元")
    # redrawn, the chart is as high as plotly's figure: the height kept until the first draw no longer applies,
    # so a later, shorter figure leaves no gap below it
    p.page.wait_for_function("""() => { const d = document.querySelector('.w-chart.dash-chart > div'),
        svg = d && d.querySelector('.main-svg');
        return svg !== null && d.style.minHeight === '' && Math.abs(d.getBoundingClientRect().height
               - svg.getBoundingClientRect().height) < 2; }""", timeout=WAIT)
    p.type_into("rd_expense", "1,234.56万")
    p.type_into("rd_expense_prev", "1,000万")
    # ⌊12,345,600 / 2,000,000⌋ = 6 steps × 10万 = 60万 (formula); growth 23.456% > 20% and R&D > 500万:
    # the 叠加 bonus of up to 50万 (ceiling); total 110万
    p.wait_text(card("w-total-all"), "110万元")
    p.has(card("w-total-firm"), "60万元")
    p.has(card("w-total-ceiling"), "50万元")
    p.has(".w-shown-rd_expense", "= 1,234.56万元")
    step = p.page.locator('.w-sec-granted tr[data-item="xiamen_sti_measures.rd_step_subsidy"]')
    expect(step.locator("td.status")).to_have_text("可享受", timeout=WAIT)
    expect(step.locator("td.amount")).to_have_text("60万元", timeout=WAIT)
    expect(step).to_contain_text("6档", timeout=WAIT)
    # 14,000,000 − 12,345,600 = 1,654,400 more for the next step
    p.contains(".w-hints", "再增加研发费用165.44万元（达到1,400万元）")
    # a bad amount is said beside the field and treated as unknown
    p.type_into("rd_expense_prev", "一千万")
    p.wait_text(".w-shown-rd_expense_prev", "无法识别金额")
    p.wait_text(card("w-total-all"), "0元")
    p.type_into("rd_expense_prev", "1,000万")
    p.wait_text(card("w-total-all"), "110万元")
    # the corrected field's error is gone, beside the field and above the form
    p.has(".w-shown-rd_expense_prev", "= 1,000万元")
    expect(p.page.locator(".w-field-errors")).to_have_count(0, timeout=WAIT)
    p.shot("enterprise", docs=True)

    # English: every label, status and reason
    p.page.locator(".w-lang button", has_text="English").click()
    p.wait_text(".w-total-firm .dash-card-label", "Formula and fixed total")
    p.has(card("w-total-all"), "¥1.1m")
    assert p.page.locator(card("w-total-all")).get_attribute("title") == "¥1,100,000"
    p.contains(".w-section-rd h4", "R&D")
    expect(step.locator("td.status")).to_have_text("granted", timeout=WAIT)
    expect(step).to_contain_text("6 full steps", timeout=WAIT)
    expect(step).to_contain_text("措施7", timeout=WAIT)  # the quote stays in the original
    p.shot("enterprise-en")
    p.check_clean()


def test_enterprise_dates_blank_form_and_failures(enterprise):
    p = enterprise
    p.wait_text(card("w-total-all"), "1,255万元")
    # a date when no enterprise policy is in force: said, every amount 0, the page still follows every edit
    for day in ("2029-01-01", "2000-01-01", "2100-12-31"):
        p.date(day)
        p.wait_text(".w-in-force", day)
        p.has(card("w-total-all"), "0元")
    p.type_into("rd_expense", "2,500万")
    p.has(".w-shown-rd_expense", "= 2,500万元")
    p.date("2026-06-30")
    # E0003 with R&D 2,500万 on 4,823,015: ⌊25,000,000 / 2,000,000⌋ = 12 steps = 120万 (the 705万 had 2 steps:
    # +100万) → 805万 + 550万 = 1,355万
    p.wait_text(card("w-total-all"), "1,355万元")
    # switching language after a far date leaves nothing in the other language
    p.page.locator(".w-lang button", has_text="English").click()
    p.wait_text(card("w-total-all"), "¥13.55m")
    p.page.locator(".w-lang button", has_text="中文").click()
    p.wait_text(card("w-total-all"), "1,355万元")

    # the blank form clears every field and every result
    p.page.locator(".w-sample select").select_option(label="（空白表单）")
    p.wait_text(card("w-total-all"), "0元")
    for box in p.page.locator(".w-enterprise .widget-text input").all():
        expect(box).to_have_value("", timeout=WAIT)
    for select in p.page.locator(".w-enterprise [class*='w-f-'] select").all():
        assert select.evaluate("s => s.selectedIndex") == 0  # "unknown"
    assert p.page.locator(".w-topics input:checked").count() == 0
    p.contains(".w-sec-granted", "暂无可享受的项目")

    # a real failure in a callback: shown, logged, survived
    injected_fault(p, "name", "测试企业")
    p.check_clean()


def test_enterprise_guided_money_prompt_and_phone(server, browser):
    p = Page(browser, f"{server}/voila/render/enterprise.ipynb", width=1280, height=900)
    try:
        p.page.locator(card("w-total-all")).wait_for(timeout=WAIT)
        p.page.locator(".w-sample select").select_option(label="（空白表单）")
        p.wait_text(card("w-total-all"), "0元")
        # step 1 fits at 1,280 px: every topic on screen, nothing scrolls sideways
        for box in p.page.locator(".w-topics .widget-checkbox").all():
            r = box.bounding_box()
            assert r and r["x"] + r["width"] <= 1280
        p.no_horizontal_scroll()
        # only the chosen topics' questions are shown
        expect(p.page.locator(".w-section-rd")).to_be_hidden(timeout=WAIT)
        p.page.locator(".w-topic-rd input").check()
        expect(p.page.locator(".w-section-rd")).to_be_visible(timeout=WAIT)
        expect(p.page.locator(".w-section-talent")).to_be_hidden()
        p.choose("city", "厦门")
        # R&D unknown: the two R&D items are the missing information; the rest does not apply (folded away)
        p.contains(".w-sec-missing h4", "(2)")
        expect(p.page.locator(".w-sec-rest")).not_to_have_attribute("open", "", timeout=WAIT)
        p.contains(".w-sec-rest summary", "其余项目")

        # a bare 1850 is not silently 1,850元: the page asks, one click makes it 1850万
        p.type_into("rd_expense_prev", "1000万")
        p.type_into("rd_expense", "1850")
        p.wait_text(".w-shown-rd_expense", "是否指1850万元？")
        p.page.locator("button.w-fix-rd_expense").click()
        expect(p.page.locator(".w-f-rd_expense input")).to_have_value("1850万", timeout=WAIT)
        # 1,850万 on 1,000万: 9 steps = 90万 + the bonus 50万 (growth 85% > 20%)
        p.wait_text(card("w-total-all"), "140万元")
        p.contains(".w-sec-granted", "研发费用补助")
        p.check_clean()
    finally:
        p.close()
    # phone width: one column, nothing wider than the screen, the figures readable
    p = Page(browser, f"{server}/voila/render/enterprise.ipynb", width=390, height=844)
    try:
        p.page.locator(card("w-total-all")).wait_for(timeout=WAIT)
        p.wait_text(card("w-total-all"), "1,255万元")
        p.no_horizontal_scroll()
        r = p.page.locator(card("w-total-all")).bounding_box()
        assert r and r["x"] >= 0 and r["x"] + r["width"] <= 390
        field = p.page.locator(".w-f-rd_expense input").bounding_box()
        assert field and field["x"] + field["width"] <= 390
        p.shot("enterprise-phone")
        p.check_clean()
    finally:
        p.close()


def test_enterprise_printable_estimate_and_link(server, browser):
    p = Page(browser, f"{server}/voila/render/enterprise.ipynb", permissions=["clipboard-read", "clipboard-write"])
    try:
        p.page.locator(card("w-total-all")).wait_for(timeout=WAIT)
        p.wait_text(card("w-total-all"), "1,255万元")
        name, doc = download_sheet(p)
        assert name == "企业补贴测算单-2026-06-30.html"
        # E0003: the totals readable and exact, each item with its working and quote, the assumptions, the disclaimer
        assert 'data-yuan="12550000">1,255万元<br><span class="muted">12,550,000元</span>' in doc
        assert "1,170万元 × 50% = 585万元" in doc and "第九条（二）" in doc
        assert "2025-01-01 – 2027-12-31" in doc and "本测算为根据政策原文和所填数据所作的估算" in doc
        assert "@media print" in doc
        with p.context.expect_page() as popup:
            p.page.locator(".w-sheet-print button").click()
        sheet = popup.value
        sheet.wait_for_load_state()
        expect(sheet.locator("h1")).to_have_text("企业补贴测算单")
        sheet.close()

        # a shared link reproduces the page exactly.  A value typed and "copy link" clicked at once (no Enter):
        # the field sends it as the click takes its focus, and the link copied is the kernel's answer to the
        # click, given once that value is computed (calc.dashboards.links.ShareLink), never the link of before
        p.page.locator(".w-f-rd_expense input").fill("2,500万")
        p.page.locator(".w-link button").click()
        expect(p.page.locator(".w-link")).to_have_attribute("data-copied", "yes", timeout=WAIT)
        link = p.clipboard()
        assert link.startswith(f"{server}/voila/render/enterprise.ipynb?") and "rd_expense=2%2C500%E4%B8%87" in link
        p.wait_text(card("w-total-all"), "1,355万元")
        items = p.page.locator(".w-sections").inner_html()
        p.check_clean()
    finally:
        p.close()
    q = Page(browser, link)
    try:
        q.wait_text(card("w-total-all"), "1,355万元")
        expect(q.page.locator(".w-f-rd_expense input")).to_have_value("2,500万", timeout=WAIT)
        assert q.page.locator(".w-sections").inner_html() == items
        q.check_clean()
    finally:
        q.close()
    # a hostile link: named, ignored, the page works
    r = Page(browser, f"{server}/voila/render/enterprise.ipynb?city=atlantis&as_of=1800-01-01&zzz=1&rd_expense=1850")
    try:
        r.wait_text(".w-link-errors", "city=atlantis")
        r.contains(".w-link-errors", "as_of=1800-01-01")
        r.wait_text(".w-shown-rd_expense", "是否指1850万元？")
        r.check_clean()
    finally:
        r.close()


def test_enterprise_batch_upload(enterprise, tmp_path):
    p = enterprise
    good_and_bad = tmp_path / "enterprises.csv"
    good_and_bad.write_text(
        "企业编号,所在城市,当年自主研发费用,上年自主研发费用\n"
        "E1,厦门,300万,200万\n"
        "E2,xiamen,\"1,234.56万\",1000万\n"
        "E3,xiamen,abc,100万\n", encoding="utf-8")
    p.page.locator(".w-upload-input").set_input_files(str(good_and_bad))
    p.wait_text(".w-batch-summary", "enterprises.csv：2 行已测算，1 行有误")
    for text in ("E3", "abc", "无法识别金额“abc”"):
        p.contains(".w-batch-errors", text)
    # E1: one step (300万) = 10万; E2: 60万 + 50万 = 110万; the grand total 120万
    p.has(".w-batch-table tbody tr:nth-child(1) td:nth-child(5)", "10万元")
    p.has(".w-batch-table tbody tr:nth-child(2) td:nth-child(5)", "110万元")
    p.contains(".w-batch-total", "120万元")
    book = download_report(p, "企业补贴测算.xlsx")
    assert book.sheetnames == ["汇总", "逐项", "错误", "说明"]
    rows = list(book["汇总"].iter_rows(values_only=True))
    assert rows[0][4] == "合计（元）" and [r[4] for r in rows[1:]] == [100_000, 1_100_000, 1_200_000]
    p.shot("enterprise-batch")

    # a broken file and a file too large: readable errors, and the dashboard keeps working
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a workbook")
    p.page.locator(".w-upload-input").set_input_files(str(broken))
    p.wait_text(".w-upload-error", "文件“broken.xlsx”无法使用：无法按 .xlsx 工作簿打开文件")
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"enterprise_id,rd_expense\n" + b"E,1\n" * (6 * 1024 * 1024 // 4))
    p.page.locator(".w-upload-input").set_input_files(str(huge))
    p.wait_text(".w-upload-error", "文件过大")
    p.contains(".w-upload-error", "上限为 5.0 MB")
    p.type_into("rd_expense", "600万")
    p.type_into("rd_expense_prev", "500万")
    # 600万 on 500万: ⌊6,000,000 / 2,000,000⌋ = 3 steps = 30万; growth exactly 20% is not above 20%: no bonus
    step = p.page.locator('.w-items tr[data-item="xiamen_sti_measures.rd_step_subsidy"]')
    expect(step.locator("td.amount")).to_have_text("30万元", timeout=WAIT)
    bonus = p.page.locator('.w-items tr[data-item="xiamen_sti_measures.rd_growth_bonus"]')
    expect(bonus.locator("td.status")).to_have_text("不符合", timeout=WAIT)
    p.check_clean()


@pytest.fixture
def consortium(server, browser):
    yield from dashboard(server, browser, "consortium.ipynb", ".w-matrix")


def test_consortium_checker(consortium):
    p = consortium
    ov = '.w-overall [data-j="{}"] .dash-card-value'
    # C-XM-ELIGIBLE as of 2026-06-30: every Xiamen condition met; Liaoyang's measures expired 2026-05-22;
    # the lead is registered in Xiamen, so Qingdao's (lead registered in Qingdao) fails
    p.wait_text(ov.format("xiamen"), "符合条件")
    p.has(ov.format("liaoyang"), "政策不在有效期")
    p.has(ov.format("qingdao"), "不符合条件")
    members = p.page.locator('.mx-cell[data-j="xiamen"][data-c="members_total"]')
    expect(members).to_have_attribute("data-state", "pass", timeout=WAIT)
    expect(members.locator("summary")).to_have_text("符合 · 10", timeout=WAIT)  # 6 + 2 + 1 + 1 members

    # revenue 3.2亿 against Xiamen's 原则上 5亿以上: a soft failure, 1.8亿 short
    p.type_into("lead_revenue", "3.2亿")
    p.wait_text(ov.format("xiamen"), "基本符合")
    revenue = p.page.locator('.mx-cell[data-j="xiamen"][data-c="lead_revenue"]')
    expect(revenue).to_have_attribute("data-state", "soft_fail", timeout=WAIT)
    # the gap list, above the matrix, says what to change
    p.contains('.w-gaps .gap-block[data-j="xiamen"]', "牵头单位营业收入差1.8亿元（原则上条件）")
    assert p.page.locator(".w-gaps").bounding_box()["y"] < p.page.locator(".w-matrix").bounding_box()["y"]
    # a cell unfolds as a styled popover: the table does not move
    table = p.page.locator(".w-matrix table")
    before = table.bounding_box()
    revenue.locator("summary").click()
    detail = revenue.locator(".mx-detail")
    expect(detail).to_be_visible(timeout=WAIT)
    expect(detail).to_contain_text("差1.8亿元")
    expect(detail).to_contain_text("第六条（二）1")
    after = table.bounding_box()
    assert (before["height"], before["width"]) == (after["height"], after["width"])
    assert revenue.get_attribute("title") is None  # no native tooltip
    assert detail.evaluate("d => getComputedStyle(d).position") == "absolute"
    p.contains('.w-supports [data-j="xiamen"] [data-id="xiamen_consortium_2025.national_project_matching"]',
               "国家科技重大项目配套支持 — 50%、1,000万元")
    p.shot("consortium", docs=True)

    p.page.locator(".w-lang button", has_text="English").click()
    p.wait_text(ov.format("xiamen"), "eligible with exceptions")
    p.has(".mx thead th", "Criterion")
    p.has(ov.format("liaoyang"), "not in force")
    p.contains('.w-gaps .gap-block[data-j="xiamen"]', "the lead's revenue")
    p.shot("consortium-en")
    p.check_clean()


def test_consortium_gaps_dates_blank_form_sheet_and_failures(consortium):
    p = consortium
    ov = '.w-overall [data-j="{}"] .dash-card-value'
    p.wait_text(ov.format("xiamen"), "符合条件")
    # C-XM-EDGE-6-MEMBERS as of 2026-03-31 (all four in force): 4 enterprises + 1 university + 1 institute = 6.
    # Xiamen needs ≥ 7 members and ≥ 5 enterprises: one more enterprise does both; Liaoyang ≥ 8 (原则上): two more
    p.date("2026-03-31")
    p.page.locator(".w-sample select").select_option(label="C-XM-EDGE-6-MEMBERS · 厦门数字创意创新联合体（6家成员）")
    xiamen = p.page.locator('.w-gaps .gap-block[data-j="xiamen"] li')
    expect(xiamen).to_have_text(["再增加1家企业成员，成员单位总数随之达标"], timeout=WAIT)
    p.contains('.w-gaps .gap-block[data-j="liaoyang"]', "再增加2家成员单位（原则上条件）")
    # ranked: Liaoyang (in-principle conditions only) first
    expect(p.page.locator('.w-gaps .gap-block').first).to_have_attribute("data-j", "liaoyang", timeout=WAIT)
    name, doc = download_sheet(p)
    assert name == "联合体自测单-2026-03-31.html" and "再增加1家企业成员" in doc and "本测算为根据政策原文" in doc
    # dates outside every policy
    for day in ("2000-01-01", "2100-12-31"):
        p.date(day)
        p.wait_text(".w-in-force", day)
        p.has(ov.format("xiamen"), "政策不在有效期")
    p.date("2026-03-31")
    p.wait_text(ov.format("xiamen"), "不符合条件")
    # the blank form: every field empty, nothing eligible on leftovers
    p.page.locator(".w-sample select").select_option(label="（空白表单）")
    for box in p.page.locator(".w-consortium .widget-text input").all():
        expect(box).to_have_value("", timeout=WAIT)
    expect(p.page.locator('.w-overall [data-status="eligible"]')).to_have_count(0, timeout=WAIT)
    injected_fault(p, "name", "测试联合体")
    p.check_clean()


@pytest.fixture
def budget(server, browser):
    yield from dashboard(server, browser, "budget.ipynb", card("w-b-reform"))


def fan_data(p: Page) -> list[dict]:
    return p.page.evaluate("""() => document.querySelector('.w-fan-chart .js-plotly-plot').data.map(
        t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))""")


def test_budget_dashboard(budget, tmp_path):
    p = budget
    cap = ".w-p-xiamen_sti_measures-rd_step_subsidy-cap input"
    # the sample population draws a full page: cards, the item chart, the fan chart, the reproduce box
    expect(p.page.locator(".w-b-items-chart .plot-container")).to_have_count(1, timeout=WAIT)
    expect(p.page.locator(".w-fan-chart .plot-container")).to_have_count(1, timeout=WAIT)
    assert plotly_bundles(p) == ["plotly-basic.min.js"]  # bars and scatter lines: the basic bundle only
    p.contains(".w-b-reproduce pre", 'calc.SAMPLES / "population.csv"')
    # the 2,400 drawn enterprises, no test fixture; the same default date as the other pages
    p.contains(".w-population-summary", "2,400 家企业参与测算")
    expect(p.page.locator(".w-as-of input")).to_have_value("2026-06-30")

    # four enterprises worked by hand (tests/test_budget_dashboard.py) and one bad row
    four = tmp_path / "four.csv"
    four.write_text(
        "enterprise_id,name,city,district,rd_expense,rd_expense_prev,consortium_member,claim_year\n"
        'A,甲,xiamen,思明区,"1,234.56万",1000万,否,2026\n'
        "B,乙,xiamen,湖里区,12000万,10000万,否,2026\n"
        "C,丙,xiamen,湖里区,200万,100万,否,2026\n"
        "D,丁,xiamen,集美区,7000万,5000万,否,2026\n"
        "E,戊,xiamen,思明区,很多,100万,否,2026\n", encoding="utf-8")
    p.page.locator(".w-upload-input").set_input_files(str(four))
    p.wait_text(".w-population-summary", "four.csv：4 家企业参与测算，1 行有误未计入")
    p.contains(".w-population-errors", "无法识别金额“很多”")
    # baseline: steps 60万 + 500万 (capped) + 0 + 350万, bonuses 50万 + 50万 = 1,010万
    p.wait_text(card("w-b-baseline"), "1,010万元")
    p.has(card("w-b-reform"), "1,010万元")
    # a cap typed "300" would be 300元: the page asks, one click makes it 300万
    box = p.page.locator(cap)
    box.fill("300")
    box.press("Enter")
    p.wait_text(".w-shown-xiamen_sti_measures-rd_step_subsidy-cap", "是否指300万元？")
    p.page.locator("button.w-fix-xiamen_sti_measures-rd_step_subsidy-cap").click()
    expect(box).to_have_value("300万", timeout=WAIT)
    # the cap at 300万: B 500万 → 300万, D 350万 → 300万: 760万, change −250万, two losers
    p.wait_text(card("w-b-reform"), "760万元")
    p.has(card("w-b-change"), "−250万元")
    p.has(card("w-b-outcomes"), "0 / 2 / 2")
    p.contains(".w-shown-xiamen_sti_measures-rd_step_subsidy-cap", "= 300万元")
    expect(p.page.locator('.w-b-items tr[data-item="xiamen_sti_measures.rd_step_subsidy"] td.reform')).to_have_text(
        "660万元", timeout=WAIT)
    # the fan chart is reform − baseline: 2026 is the table itself, −250万 in every draw (axis in 万元);
    # the measures' expiry (2027-12-31) is marked between 2027 and 2028
    p.page.wait_for_function("""() => { const d = document.querySelector('.w-fan-chart .js-plotly-plot');
        return d && d.data && d.data.length === 3 && d.data[2].y[0] === -250; }""", timeout=WAIT)
    fan = fan_data(p)
    assert [t["name"] for t in fan] == ["P10", "P10–P90", "改革−基线 P50"] and fan[2]["x"][:3] == [2026, 2027, 2028]
    assert fan[0]["y"][0] == fan[1]["y"][0] == -250  # the band at 2026: every draw the same
    expect(p.page.locator(".w-fan-chart .g-ytitle")).to_have_text("金额（万元）", timeout=WAIT)
    p.contains(".w-fan-chart", "厦门《若干措施》于2027-12-31到期")
    # the R&D pair under a budget of 500万: claims 760万, factor 25/38, paid 4,999,998 yuan, 2 yuan left
    p.page.locator(".w-budget-line select").select_option(label="研发补助 + 增长叠加奖励（合并）")
    amount = p.page.locator(".w-budget-amount input")
    amount.fill("500万")
    amount.press("Enter")
    p.wait_text(".w-b-prorate", "核减后 4,999,998元")
    p.contains(".w-b-prorate", "= 25/38")
    # the card after pro-rating: 760万 − 760万 + 4,999,998 = 4,999,998 (only the R&D pair costs anything here)
    p.has(card("w-b-prorated"), "500万元")
    assert p.page.locator(card("w-b-prorated")).get_attribute("data-yuan") == "4999998"
    # 2027 with 12% growth (the default) is drawn; the code box says what the page did
    expect(p.page.locator('.w-p-table tr[data-year="2027"][data-scenario="reform"]')).to_have_count(1, timeout=WAIT)
    p.contains(".w-b-reproduce pre", "'xiamen_sti_measures.rd_step_subsidy.cap': '300万'")
    p.contains(".w-b-reproduce pre", "budgets={'xiamen_sti_measures.rd_step_subsidy+xiamen_sti_measures.rd_growth_bonus': '500万'}")
    p.shot("budget", docs=True)

    # the report: Chinese sheets and headers, the item's title beside its id
    book = download_report(p, "财政预算测算.xlsx")
    rows = {r[0]: r for r in book["逐项汇总"].iter_rows(values_only=True)}
    header = list(rows["项目编号"])
    step = dict(zip(header, rows["xiamen_sti_measures.rd_step_subsidy"]))
    assert step["支持项目"] == "研发费用补助（每满200万元补10万元）"
    assert (step["基线（元）"], step["改革（元）"]) == (9_100_000, 6_600_000)
    assert "改革参数" in book.sheetnames and "多年预测" in book.sheetnames and "改革相对基线" in book.sheetnames

    # an unreadable value stops the reform, said beside the field; English
    box.fill("五百万")
    box.press("Enter")
    p.wait_text(".w-b-errors", "改革方案未计算")
    p.has(card("w-b-reform"), "1,010万元")
    p.page.locator(".w-lang button", has_text="English").click()
    p.wait_text(".w-b-baseline .dash-card-label", "Baseline (the law)")
    p.has(card("w-b-baseline"), "¥10.1m")
    p.contains(".w-b-errors", "cannot read")
    box.fill("300万")
    box.press("Enter")
    p.wait_text(card("w-b-reform"), "¥7.6m")
    book = download_report(p, "budget.xlsx")
    assert "totals" in book.sheetnames and list(book["totals"].iter_rows(values_only=True))[0][:2] == ("Item id", "Item")
    p.shot("budget-en")
    p.check_clean()


def test_budget_dates_copy_link_and_failures(server, browser):
    p = Page(browser, f"{server}/voila/render/budget.ipynb", permissions=["clipboard-read", "clipboard-write"])
    try:
        p.page.locator(card("w-b-reform")).wait_for(timeout=WAIT)
        for day in ("2029-01-01", "2000-01-01"):
            p.date(day)
            p.wait_text(".w-in-force", day)
            p.has(card("w-b-baseline"), "0元")
        p.date("2026-06-30")
        p.wait_text(".w-in-force", "2025-01-01 – 2027-12-31")
        cap = p.page.locator(".w-p-xiamen_sti_measures-rd_step_subsidy-cap input")
        cap.fill("300万")
        cap.press("Enter")
        p.contains(".w-b-reproduce pre", "'xiamen_sti_measures.rd_step_subsidy.cap': '300万'")
        # the copy button puts the reproduce box's code on the clipboard
        p.page.locator(".w-copy-code button").click()
        expect(p.page.locator(".w-copy-code")).to_have_attribute("data-copied", "yes", timeout=WAIT)
        assert p.clipboard() == p.page.locator(".w-b-reproduce pre").inner_text()
        # the link carries the reform
        p.page.locator(".w-link button").click()
        expect(p.page.locator(".w-link")).to_have_attribute("data-copied", "yes", timeout=WAIT)
        link = p.clipboard()
        assert "p.xiamen_sti_measures.rd_step_subsidy.cap=300%E4%B8%87" in link
        reform = p.page.locator(card("w-b-reform")).get_attribute("data-yuan")
        name = p.page.locator(".w-scenario-name input")
        name.fill("!fault!")
        name.press("Enter")
        p.page.locator(".w-page-error").wait_for(timeout=WAIT)
        name.fill("cap 300万")
        name.press("Enter")
        expect(p.page.locator(".w-page-error")).to_have_count(0, timeout=WAIT)
        p.check_clean()
    finally:
        p.close()
    q = Page(browser, link)
    try:
        q.page.locator(card("w-b-reform")).wait_for(timeout=WAIT)
        expect(q.page.locator(card("w-b-reform"))).to_have_attribute("data-yuan", reform, timeout=WAIT)
        expect(q.page.locator(".w-p-xiamen_sti_measures-rd_step_subsidy-cap input")).to_have_value("300万")
        q.check_clean()
    finally:
        q.close()


def test_landing_and_analyst(server, browser):
    p = Page(browser, f"{server}/voila/render/index.ipynb")
    try:
        p.page.locator(".landing-link").first.wait_for(timeout=WAIT)
        assert painted(p, ".landing-link")
        expect(p.page.locator(".landing-link")).to_have_text(["企业补贴测算", "创新联合体资格自测", "财政预算测算", "分析师笔记"])
        p.page.locator(".w-lang button", has_text="English").click()
        p.wait_text(".landing-link", "Enterprise entitlement estimator")
        p.shot("index", docs=True)
        p.page.locator(".landing-link", has_text="Analyst notebook").click()
        p.wait_text(".jp-OutputArea-output", "278 enterprises, 51 consortia")
        expect(p.page.locator(".dash-chart .js-plotly-plot")).to_have_count(2, timeout=WAIT)
        assert painted(p, ".dash-chart .js-plotly-plot")
        # a bar chart (basic bundle) and a histogram (full bundle); the landing page drew no chart
        assert plotly_bundles(p) == ["plotly-basic.min.js", "plotly.min.js"]
        # the analyst page keeps nbconvert's notebook CSS (template dash-full): DataFrames are styled tables
        assert p.page.evaluate("getComputedStyle(document.querySelector('.jp-RenderedHTMLCommon table'))"
                               ".borderCollapse") == "collapse"
        p.shot("analyst", docs=True)
        p.check_clean()
    finally:
        p.close()


def test_a_closed_page_shuts_its_kernel_down(server, browser):
    """Closing a dashboard's tab frees its kernel at once (the page's beforeunload beacon to Voila's
    shutdown handler), rather than at the idle cull 15 minutes later."""
    p = Page(browser, f"{server}/voila/render/index.ipynb")
    try:
        p.page.locator(".landing-link").first.wait_for(timeout=WAIT)
        kernel_id = p.page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        kernel_url = f"{server}/api/kernels/{kernel_id}"
        with urllib.request.urlopen(kernel_url, timeout=10) as r:
            assert r.status == 200
        p.check_clean()
        p.page.close(run_before_unload=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(kernel_url, timeout=10).close()
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
                break
            assert time.monotonic() < deadline, "the kernel of the closed page is still running"
            time.sleep(0.2)
    finally:
        p.close()


def test_five_sessions_at_once(server, browser):
    pages = []
    try:
        pages = [Page(browser, f"{server}/voila/render/{name}") for name in
                 ("enterprise.ipynb", "consortium.ipynb", "budget.ipynb", "consortium.ipynb", "enterprise.ipynb")]
        for p in pages:
            if "enterprise" in p.page.url:
                p.wait_text(card("w-total-all"), "1,255万元")
            elif "budget" in p.page.url:
                p.contains(".w-population-summary", "2,400")
            else:
                p.wait_text('.w-overall [data-j="xiamen"] .dash-card-value', "符合条件")
        for p in pages:
            p.check_clean()
    finally:
        for p in pages:
            p.close()
