"""Fixtures shared by the test modules.

The browser: Debian's chromium (``/usr/bin/chromium``, never a browser downloaded by ``playwright install``), driven
by the ``playwright`` Python package, for tests/test_browser.py and tests/test_browser_ops.py.  When CI is set, a
browser that cannot start fails the tests instead of skipping them.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser(playwright):
    """Debian's chromium, headless, one per test module."""
    try:
        b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"the browser cannot start in CI: {exc}")
        pytest.skip(f"no browser here ({exc}); install Debian's chromium")
    yield b
    b.close()


@pytest.fixture
def chromium_command() -> list[str]:
    """The same chromium and arguments, for a test that starts the browser as a process of its own."""
    return [CHROMIUM, *CHROMIUM_ARGS]
