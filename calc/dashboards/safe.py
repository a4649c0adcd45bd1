"""No silent failure: every widget callback of a page runs through a :class:`Guard`.

An exception in a callback does not vanish into the kernel (where ipywidgets would drop it, leaving the page
with old results that no longer match its inputs).  Instead:

- the page shows a message in the user's language, with a short reference (``ref``) to quote;
- the traceback is written to the server's log (the kernel's own stderr, which Voila's terminal or log file
  receives), with the page, the callback and the same reference;
- ``on_error`` (the page's "results are stale" handler) blanks the results, so that nothing on the page shows
  figures that no longer match what was typed;
- the page keeps working: the next callback that finishes clears the message.

Callbacks may call one another (a sample loaded → the results refreshed): only the outermost call decides
whether the message is cleared, so that an inner failure is not hidden by the outer call finishing.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
import sys
import time
import traceback
from typing import Any, Callable

from calc.dashboards.html import esc
from calc.dashboards.words import text

LOG = logging.getLogger("calc.dashboards")

#: Fault injection for the browser and server tests only: with ``CALC_DASHBOARDS_FAULT=1`` in the server's
#: environment, a widget changed to FAULT_TEXT makes its callback raise, so that a test can watch a real failure
#: on a real page; changed to SLOW_TEXT, the callback first keeps the kernel busy for SLOW_SECONDS (a long
#: computation whose page goes away: tests/test_serve_ops.py), then goes on as usual.
FAULT_ENV = "CALC_DASHBOARDS_FAULT"
FAULT_TEXT = "!fault!"
SLOW_TEXT = "!slow!"
SLOW_SECONDS = 600.0


class InjectedFault(RuntimeError):
    """Raised on purpose (see :data:`FAULT_ENV`)."""


def _injected(args: tuple, what: str = FAULT_TEXT) -> bool:
    if os.environ.get(FAULT_ENV) != "1":
        return False
    return any(isinstance(a, dict) and a.get("new") == what for a in args)


def _busy_for(seconds: float) -> None:
    """Keep the kernel busy (an interrupt ends it: KeyboardInterrupt)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(0.5, max(0.0, end - time.monotonic())))


def server_log(message: str) -> None:
    """Write to the server's log, not to the page: the kernel's original stderr.

    ipykernel sends what Python writes to ``sys.stderr`` to the browser; the process's own stderr (the file
    descriptor ipykernel keeps a copy of) is what the Voila server's terminal or log receives."""
    data = (message.rstrip("\n") + "\n").encode("utf-8", "replace")
    fd = getattr(sys.stderr, "_original_stdstream_copy", None)
    try:
        if isinstance(fd, int):
            os.write(fd, data)
            return
        stream = sys.__stderr__
        if stream is not None:
            stream.write(data.decode("utf-8"))
            stream.flush()
    except OSError:  # a closed log must not turn an error message into another error
        pass


class Guard:
    """Wraps a page's callbacks; ``banner`` is the widget (anything with ``.value``) that shows the message."""

    def __init__(self, page: str, banner: Any, lang: Callable[[], str], on_error: Callable[[], Any] | None = None):
        self.page = page
        self.banner = banner
        self.lang = lang
        self.on_error = on_error
        self.depth = 0
        self.failed = False
        self.errors: list[str] = []   # references of the errors seen, newest last (tests read them)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            outermost = self.depth == 0
            if outermost:
                self.failed = False
            self.depth += 1
            try:
                if _injected(args, SLOW_TEXT):
                    _busy_for(SLOW_SECONDS)
                if _injected(args):
                    raise InjectedFault(f"fault injected into {getattr(fn, '__name__', fn)} ({FAULT_ENV}=1)")
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure is shown, logged and survived
                self.fail(fn, exc)
                return None
            finally:
                self.depth -= 1
                if outermost and not self.failed and self.banner.value:
                    self.banner.value = ""
        return guarded

    def fail(self, fn: Any, exc: BaseException) -> None:
        self.failed = True
        ref = secrets.token_hex(4)
        self.errors.append(ref)
        name = getattr(fn, "__name__", str(fn))
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        server_log(f"[calc.dashboards] {stamp} page={self.page} callback={name} ref={ref}\n"
                   + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        LOG.debug("callback %s failed (ref %s)", name, ref)
        try:
            self.banner.value = error_html(self.lang(), ref)
        except Exception:  # noqa: BLE001 - the banner itself must not fail the page
            pass
        if self.on_error is not None:
            try:
                self.on_error()
            except Exception as again:  # noqa: BLE001
                server_log(f"[calc.dashboards] page={self.page} ref={ref}: on_error failed too: {again!r}")


def error_html(lang: str, ref: str) -> str:
    return (f'<div class="dash-error w-page-error" role="alert" data-ref="{esc(ref)}">'
            f'{esc(text("page_error", lang, ref=ref))}</div>')
