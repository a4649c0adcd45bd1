"""calc.dashboards.safe: a failing callback is shown, logged and survived; nested calls do not hide it."""

from __future__ import annotations

import types

import pytest

from calc.dashboards import safe as S


def make():
    banner = types.SimpleNamespace(value="")
    stale = []
    guard = S.Guard("test", banner, lambda: "en", lambda: stale.append(True))
    return guard, banner, stale


def test_a_failure_is_shown_logged_and_the_next_success_clears_it(capfd):
    guard, banner, stale = make()

    @guard
    def broken():
        raise ValueError("nope")

    @guard
    def fine():
        return 42

    assert broken() is None
    ref = guard.errors[-1]
    assert f'data-ref="{ref}"' in banner.value and "Something went wrong" in banner.value and stale == [True]
    err = capfd.readouterr().err
    assert f"page=test callback=broken ref={ref}" in err and "ValueError: nope" in err and "Traceback" in err
    assert fine() == 42 and banner.value == ""


def test_an_inner_failure_is_not_hidden_by_the_outer_call_finishing():
    guard, banner, _ = make()

    @guard
    def inner():
        raise KeyError("policy_id")

    @guard
    def outer():
        inner()
        return "done"

    assert outer() == "done" and "w-page-error" in banner.value


def test_the_failure_handler_failing_too_does_not_escape(capfd):
    banner = types.SimpleNamespace(value="")
    guard = S.Guard("test", banner, lambda: "zh", lambda: 1 / 0)

    @guard
    def broken():
        raise RuntimeError("x")

    broken()
    assert "出错了" in banner.value and "on_error failed too" in capfd.readouterr().err


def test_fault_injection_only_with_its_environment_variable(monkeypatch):
    guard, banner, _ = make()
    calls = []

    @guard
    def observed(change):
        calls.append(change["new"])

    observed({"new": S.FAULT_TEXT})
    assert calls == [S.FAULT_TEXT] and banner.value == ""  # not set: an ordinary value
    monkeypatch.setenv(S.FAULT_ENV, "1")
    observed({"new": S.FAULT_TEXT})
    assert calls == [S.FAULT_TEXT] and "w-page-error" in banner.value
    observed({"new": "ok"})
    assert banner.value == ""


def test_slow_injection_keeps_the_callback_busy_then_runs_it(monkeypatch):
    """``!slow!`` (tests/test_serve_ops.py's busy kernel): only with the variable set, the callback waits
    SLOW_SECONDS, in short sleeps an interrupt can end, then runs as usual."""
    guard, banner, _ = make()
    calls, slept = [], []
    monkeypatch.setattr(S.time, "sleep", lambda s: slept.append(s) or clock.append(clock[-1] + s))
    clock = [0.0]
    monkeypatch.setattr(S.time, "monotonic", lambda: clock[-1])
    monkeypatch.setattr(S, "SLOW_SECONDS", 2.0)

    @guard
    def observed(change):
        calls.append(change["new"])

    observed({"new": S.SLOW_TEXT})
    assert calls == [S.SLOW_TEXT] and slept == []  # not set: an ordinary value, at once
    monkeypatch.setenv(S.FAULT_ENV, "1")
    observed({"new": S.SLOW_TEXT})
    # 2 s in sleeps of at most 0.5 s (four of them), then the callback itself, no error
    assert slept == [0.5, 0.5, 0.5, 0.5] and calls == [S.SLOW_TEXT, S.SLOW_TEXT] and banner.value == ""


@pytest.mark.parametrize("lang, words", [("zh", "出错了"), ("en", "Something went wrong")])
def test_the_message_is_in_the_page_s_language(lang, words):
    assert words in S.error_html(lang, "abcd1234") and 'role="alert"' in S.error_html(lang, "x")
