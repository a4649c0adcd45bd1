"""Fixes for the Voila stack, applied in the server (deploy/voila.py) and in the notebook tests.

1. ``apply()``: the stall of jupyter_client's asynchronous message wait (README "Deployment settings").
2. ``apply_voila()``: a preheated kernel handed to a page is culled before the page connects; and a page
   closed does not shut its kernel down (no ``_xsrf`` cookie for its beacon: see ``_with_xsrf_cookie``).
3. ``apply_kernel_cap(max_kernels, busy_html)``: at most ``max_kernels`` kernels serve pages at once; a page
   asked for beyond that is answered at once with HTTP 503 and a "busy, try again in a moment" page instead of
   starting one more kernel (see ``_capped_get``).

With voila 0.5.13 / jupyter_client 8.10 / pyzmq 27 both Voila and nbclient sometimes hang at
"Executing n of m": the kernel's reply has arrived, but ``AsyncZMQSocketChannel.get_msg`` awaits
``socket.poll(timeout)`` on the event loop and that wait is never woken up.  The fix here makes the wait
poll in short slices: before each slice it asks the socket itself (``zmq.EVENTS``, which does not depend on
the event loop noticing the file descriptor) whether a message is ready, and it never waits more than
``SLICE`` seconds in one await.  The timeout semantics are unchanged: ``Empty`` after ``timeout`` seconds,
forever when ``timeout`` is None.

``apply()`` is idempotent.  It is called by the Voila configuration (``deploy/voila.py``), by the notebook
tests (``tests/test_notebooks.py``) and can be called by anyone who runs notebooks with nbclient.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
import weakref
from queue import Empty
from typing import Any

import zmq
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_core.utils import ensure_async

SLICE = 0.25  # seconds: the longest single wait on the event loop
_ORIGINAL = AsyncZMQSocketChannel.get_msg


def _ready(socket: Any) -> bool:
    """Whether a message can be received now, asked of the socket (not of the event loop)."""
    try:
        return bool(socket.getsockopt(zmq.EVENTS) & zmq.POLLIN)
    except zmq.ZMQError:
        return False


async def get_msg(self: AsyncZMQSocketChannel, timeout: float | None = None) -> dict[str, Any]:
    """``AsyncZMQSocketChannel.get_msg`` that waits in slices of at most ``SLICE`` seconds."""
    assert self.socket is not None
    deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
    while True:
        if _ready(self.socket):
            return await self._recv()
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise Empty
        wait = SLICE if remaining is None else min(SLICE, remaining)
        try:
            ready = await asyncio.wait_for(self.socket.poll(int(wait * 1000)), wait + SLICE)
        except asyncio.TimeoutError:  # the poll itself was never woken: ask the socket again
            ready = 0
        if ready:
            return await self._recv()


class _Cap:
    """The live-kernel cap: how many kernels may serve pages at once (None: no cap), the busy page, and the
    requests admitted whose kernel is not known yet (each a ticket, see ``_capped_get``)."""

    def __init__(self) -> None:
        self.max_kernels: int | None = None
        self.busy_html = ""
        self.retry_after = 30
        self.pending: set[object] = set()


CAP = _Cap()
_TICKET: contextvars.ContextVar[dict | None] = contextvars.ContextVar("dash_page_ticket", default=None)


def _mark_page_kernel(manager: Any, kernel_id: str) -> None:
    """Record ``kernel_id`` as serving a page (and settle the request's ticket, if the cap admitted one)."""
    ids = manager.__dict__.setdefault("_dash_page_kernels", set())
    ids.add(kernel_id)
    ticket = _TICKET.get()
    if ticket is not None:
        ticket["kernel_id"] = kernel_id
        CAP.pending.discard(ticket["key"])


def page_kernels(manager: Any) -> set[str]:
    """The kernels serving pages now: handed out from a pool or started for a page, and still running (a
    kernel shut down or culled drops out).  Pooled kernels waiting for a page are not counted."""
    ids = manager.__dict__.setdefault("_dash_page_kernels", set())
    ids &= set(getattr(manager, "_kernels", {}))
    return set(ids)


#: Command-line arguments of every kernel.  IPython's command history is off: the kernels of one server shared
#: ~/.ipython/profile_default/history.sqlite, and under load (many kernels starting at once) it was "locked",
#: "a readonly database", "disk I/O error", then moved aside as corrupt, an ERROR each in the server's log; the
#: pages never use it.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]

#: seconds the server, stopping, waits for the kernels still starting before it shuts the kernels down
STOP_WAIT_STARTS = 30


def _handover_factory(factory):
    """Wrap Voila's kernel-manager factory so that a pooled kernel counts as active when it is handed out, and
    so that the kernels serving pages are known (for the cap, ``page_kernels``).

    A preheated kernel waits in the pool, idle since the notebook ran in it.  When a page takes it, the
    culler (which spares only kernels still in the pool) may see "idle for longer than cull_idle_timeout,
    0 connections" in the second or two before the page's websocket connects, shut it down, and the page
    then fails with "404 … Kernel does not exist".  Marking the kernel active at hand-over gives the page a
    full ``cull_idle_timeout`` to connect.

    Also: every kernel is started with ``KERNEL_ARGUMENTS``, a kernel shut down while the culler runs is
    skipped instead of logged as an error, and the server stopped while a kernel starts waits for it and shuts it
    down with the others.

    A page's kernel comes either from the pool (``get_rendered_notebook``) or, when the pool is empty or there
    is none, from ``start_kernel`` called by Voila's page handler; the pool's own kernels are started through
    the base class's ``start_kernel`` (``super()`` inside Voila's class), not this one, so they are not
    counted until handed out."""

    def wrapped(*args: Any, **kwargs: Any):
        cls = factory(*args, **kwargs)

        class HandoverKernelManager(cls):  # type: ignore[misc, valid-type]
            def pre_start_kernel(self, kernel_name: Any, kwargs: Any):
                # every kernel, pooled or not, is started with KERNEL_ARGUMENTS
                extra = list(kwargs.get("extra_arguments") or [])
                kwargs["extra_arguments"] = extra + [a for a in KERNEL_ARGUMENTS if a not in extra]
                made = super().pre_start_kernel(kernel_name, kwargs)  # (its manager, kernel name, kernel id)
                # each kernel's manager, known from now on (jupyter_client knows it only once started): a
                # start the server's stop cannot wait for has its process killed (shutdown_all)
                self.__dict__.setdefault("_dash_managers", weakref.WeakValueDictionary())[made[2]] = made[0]
                return made

            async def cull_kernel_if_idle(self, kernel_id: str):
                # the culler lists the kernels, then awaits each check: one shut down in between (its page
                # closed) was a KeyError logged as an ERROR with its traceback (seen under load), and one still
                # starting (a pool's refill) has no last activity yet (a TraitError, logged the same way)
                kernel = getattr(self, "_kernels", {}).get(kernel_id)
                if kernel is None:
                    return None
                try:
                    kernel.last_activity  # noqa: B018
                except Exception:  # noqa: BLE001 - not set yet: the kernel is starting, nothing to cull
                    return None
                return await super().cull_kernel_if_idle(kernel_id)

            async def cull_kernels(self):
                # jupyter_server checks (and shuts down) the kernels one after another: under load, with twenty
                # abandoned kernels in one pass, the last waited for the others' shutdowns (up to 159 s after
                # its page was abandoned); all at once, each is gone within its own shutdown time
                async def one(kernel_id: str) -> None:
                    try:
                        await self.cull_kernel_if_idle(kernel_id)
                    except Exception as exc:  # noqa: BLE001 - as jupyter_server: logged, the others go on
                        self.log.exception("While checking the idle duration of kernel %s: %s", kernel_id, exc)

                await asyncio.gather(*(one(k) for k in list(getattr(self, "_kernels", {}))))

            async def shutdown_all(self, *a: Any, **kw: Any):
                # jupyter_client's shutdown_all also lists the kernels still starting: not yet kernels to
                # jupyter_server, whose shutdown of one raised "404 Kernel does not exist", and the server stopped
                # by SIGTERM exited 3 (an internal error; seen in CI).  Voila's stop() runs this on another event
                # loop than the one that served (jupyter_core's run_sync), so a start begun while serving (a
                # pool's refill, a page's kernel) is frozen there and can never end: it is dropped from the list,
                # and its process, if launched, is killed.  A start that failed is dropped too, and so is a
                # shutdown frozen there (the culler's): the kernel, still listed, is shut down with the others.
                # A start or shutdown under way on this loop (a manager used on one loop throughout) is waited
                # for first, at most STOP_WAIT_STARTS s.
                loop = asyncio.get_running_loop()
                pending = getattr(self, "_pending_kernels", {})
                deadline = loop.time() + STOP_WAIT_STARTS
                while (waiting := [task for task in pending.values() if not task.done() and task.get_loop() is loop]) \
                        and (left := deadline - loop.time()) > 0:
                    await asyncio.wait(waiting, timeout=left)
                managers = self.__dict__.get("_dash_managers", {})
                for kernel_id in list(pending):
                    pending.pop(kernel_id, None)
                    if kernel_id in getattr(self, "_kernels", {}):
                        continue
                    manager = managers.get(kernel_id)
                    try:
                        if manager is not None and manager.has_kernel:
                            self.log.info("Kernel stopped while starting: %s", kernel_id)
                            await manager.provisioner.kill()
                            await manager.provisioner.wait()
                            # then as jupyter_client after a kill: its control socket closed (left open, the
                            # manager's zmq context could never end: a hang when it is collected), its files removed
                            await ensure_async(manager.cleanup_resources())
                    except Exception as exc:  # noqa: BLE001 - the other kernels are still shut down
                        self.log.warning("Could not stop kernel %s, which was starting: %s", kernel_id, exc)
                return await ensure_async(super().shutdown_all(*a, **kw))

            async def start_kernel(self, *a: Any, **kw: Any):
                kernel_id = await ensure_async(super().start_kernel(*a, **kw))
                _mark_page_kernel(self, kernel_id)
                return kernel_id

            if hasattr(cls, "get_rendered_notebook"):
                async def get_rendered_notebook(self, *a: Any, **kw: Any):
                    render_task, rendered, kernel_id = await super().get_rendered_notebook(*a, **kw)
                    touch_kernel(self, kernel_id)
                    _mark_page_kernel(self, kernel_id)
                    return render_task, rendered, kernel_id

        HandoverKernelManager.__name__ = cls.__name__
        HandoverKernelManager.__qualname__ = cls.__qualname__
        return HandoverKernelManager

    wrapped.__wrapped__ = factory  # type: ignore[attr-defined]
    return wrapped


def _capped_get(get):
    """Wrap the page handler's ``get``: when ``CAP.max_kernels`` kernels already serve pages (counting the
    requests admitted whose kernel is still being found), answer 503 with the busy page and a Retry-After,
    at once, without starting a kernel.

    The count is exact under concurrency: a request admitted holds a ticket until its kernel is recorded
    (``_mark_page_kernel``, called in the same asyncio task, found through a context variable) or the request
    ends, so two requests arriving together cannot both take the last place."""

    async def wrapped(self: Any, *args: Any, **kwargs: Any):
        cap = CAP.max_kernels
        if cap is None:
            return await get(self, *args, **kwargs)
        manager = self.kernel_manager
        live = len(page_kernels(manager)) + len(CAP.pending)
        if live >= cap:
            self.log.warning("Busy: %d of %d page kernels in use; %s answered 503", live, cap, self.request.path)
            self.set_status(503)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.set_header("Retry-After", str(CAP.retry_after))
            self.finish(CAP.busy_html)
            return None
        key = object()
        CAP.pending.add(key)
        token = _TICKET.set({"key": key, "kernel_id": None})
        try:
            return await get(self, *args, **kwargs)
        finally:
            CAP.pending.discard(key)
            _TICKET.reset(token)

    wrapped.__wrapped__ = get  # type: ignore[attr-defined]
    wrapped.dash_capped = True  # type: ignore[attr-defined]  # (tornado's @authenticated sets __wrapped__ too)
    return wrapped


def touch_kernel(manager: Any, kernel_id: str) -> None:
    """Set a kernel's last activity to now (what the culler reads)."""
    from jupyter_server._tz import utcnow

    kernel = getattr(manager, "_kernels", {}).get(kernel_id)
    if kernel is not None:
        kernel.last_activity = utcnow()


def _with_xsrf_cookie(prepare):
    """Wrap a page handler's ``prepare`` so that the response sets Jupyter's ``_xsrf`` cookie.

    A page, when closed, asks Voila to shut its kernel down (a beacon POST to ``/voila/api/shutdown/<id>``
    carrying the ``_xsrf`` cookie's value, as Jupyter's XSRF check requires).  Voila's render handler never
    reads the token, so tornado never sets the cookie: every such POST was refused ("403 … '_xsrf' argument
    missing from POST") and a closed page's kernel lived on until the idle cull.  Reading the token sets it."""

    async def wrapped(self: Any, *args: Any, **kwargs: Any):
        result = prepare(self, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        self.xsrf_token  # noqa: B018 - tornado sets the cookie when the token is first read
        return result

    wrapped.__wrapped__ = prepare  # type: ignore[attr-defined]
    return wrapped


def apply_voila() -> None:
    """Install the hand-over and XSRF-cookie fixes in Voila (idempotent; before Voila initialises)."""
    import voila.app
    import voila.handler

    if not hasattr(voila.app.voila_kernel_manager_factory, "__wrapped__"):
        voila.app.voila_kernel_manager_factory = _handover_factory(voila.app.voila_kernel_manager_factory)
    if not hasattr(voila.handler.VoilaHandler.prepare, "__wrapped__"):
        voila.handler.VoilaHandler.prepare = _with_xsrf_cookie(voila.handler.VoilaHandler.prepare)


def apply_kernel_cap(max_kernels: int | None, busy_html: str, retry_after: int = 30) -> None:
    """At most ``max_kernels`` kernels serve pages at once (None: no cap); beyond, ``busy_html`` with HTTP 503
    and ``Retry-After: retry_after``.  Idempotent: the handler is wrapped once, the values replaced."""
    import voila.tornado.handler

    if max_kernels is not None and max_kernels < 1:
        raise ValueError(f"the kernel cap must be at least 1, got {max_kernels}")
    CAP.max_kernels, CAP.busy_html, CAP.retry_after = max_kernels, busy_html, int(retry_after)
    handler = voila.tornado.handler.TornadoVoilaHandler
    if not getattr(handler.get, "dash_capped", False):
        handler.get = _capped_get(handler.get)


def apply() -> None:
    """Install the sliced wait (idempotent)."""
    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]


def applied() -> bool:
    return AsyncZMQSocketChannel.get_msg is get_msg


def remove() -> None:
    """Restore jupyter_client's own wait (for tests)."""
    AsyncZMQSocketChannel.get_msg = _ORIGINAL  # type: ignore[method-assign]
