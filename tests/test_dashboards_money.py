"""calc.dashboards.money: the one formatter of the pages and reports, worked by hand."""

from __future__ import annotations

import pytest

from calc.dashboards import money as M


@pytest.mark.parametrize("yuan, zh, en", [
    (0, "0元", "¥0"),
    (1_850, "1,850元", "¥1,850"),
    (9_999, "9,999元", "¥9,999"),                       # just below 1万: every yuan
    (10_000, "1万元", "¥10,000"),                        # at 1万
    (10_001, "1万元", "¥10,001"),                        # 1.0001万 → 1.00 → "1"
    (12_345, "1.23万元", "¥12,345"),                     # 1.2345 → 1.23 (the third decimal 4 rounds down)
    (12_350, "1.24万元", "¥12,350"),                     # 1.235 → 1.24 (half up, on integers)
    (5_493_831, "549.38万元", "¥5.49m"),                 # the "549.3831万元"
    (18_500_000, "1,850万元", "¥18.5m"),
    (99_999_999, "10,000万元", "¥100m"),                 # just below 1亿: 9,999.9999万 rounds to 10,000万
    (100_000_000, "1亿元", "¥100m"),
    (399_999_954, "4亿元", "¥400m"),                     # the "3.99999954亿元"
    (9_954_823_500, "99.55亿元", "¥9.95bn"),             # the "99.548235亿元"
    (-3_000_000, "−300万元", "−¥3m"),
])
def test_short_at_most_two_decimals(yuan, zh, en):
    assert M.short(yuan, "zh") == zh and M.short(yuan, "en") == en


def test_exact_and_html_carry_every_yuan():
    assert M.exact(5_493_831) == "5,493,831元" and M.exact(5_493_831, "en") == "¥5,493,831"
    assert M.exact(123, unit="fen") == "1.23元"
    html = M.money_html(5_493_831, "zh")
    assert html == '<span class="money" data-yuan="5493831" title="5,493,831元">549.38万元</span>'
    assert M.signed(25_000) == "+2.5万元" and M.signed(-25_000) == "−2.5万元" and M.signed(0) == "0元"
    assert M.short(None) == "—"


def test_the_axis_uses_the_labels_unit():
    assert M.axis_unit([600_000, 500_000], "zh") == (10_000, "万元")
    assert M.axis_unit([9_999], "zh") == (1, "元")
    assert M.axis_unit([-250_000_000], "zh") == (100_000_000, "亿元")
    assert M.axis_unit([5_000_000], "en") == (1_000_000, "¥m")
    assert M.scaled([600_000, 500_000], 10_000) == [60.0, 50.0]


@pytest.mark.parametrize("typed, yuan, fix", [
    ("1850", 1_850, "1850万"),          # a bare number under 1万元: surely 万
    ("300", 300, "300万"),              # the budget page's cap typed as 300
    ("9999", 9_999, "9999万"),          # just below the floor
    ("10000", 10_000, None),            # at the floor: plausible
    ("10001", 10_001, None),            # above
    ("1,850", 1_850, None),             # written with a separator: meant as yuan
    ("1850元", 1_850, None),            # with its unit
    ("0", 0, None),                     # none is none
    ("12.5", 12.5, "12.5万"),
])
def test_an_implausible_bare_number_gets_a_suggestion(typed, yuan, fix):
    fen = int(yuan * 100)
    assert M.plausible_fix(typed, fen) == fix
