"""Fixes for the Voila stack, applied in the server (deploy/voila.py) and in the notebook tests.

1. ``apply()``: the stall of jupyter_client's asynchronous message wait (README "Deployment settings").
2. ``apply_voila()``: a preheated kernel handed to a page is culled before the page connects; and a page
   closed does not shut its kernel down (no ``_xsrf`` cookie for its beacon: see ``_with_xsrf_cookie``).

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
import inspect
import time
from queue import Empty
from typing import Any

import zmq
from jupyter_client.channels import AsyncZMQSocketChannel

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


def _handover_factory(factory):
    """Wrap Voila's kernel-manager factory so that a pooled kernel counts as active when it is handed out.

    A preheated kernel waits in the pool, idle since the notebook ran in it.  When a page takes it, the
    culler (which spares only kernels still in the pool) may see "idle for longer than cull_idle_timeout,
    0 connections" in the second or two before the page's websocket connects, shut it down, and the page
    then fails with "404 … Kernel does not exist".  Marking the kernel active at hand-over gives the page a
    full ``cull_idle_timeout`` to connect."""

    def wrapped(*args: Any, **kwargs: Any):
        cls = factory(*args, **kwargs)
        if not hasattr(cls, "get_rendered_notebook"):
            return cls  # no pool: kernels are started on request, with a fresh activity time

        class HandoverKernelManager(cls):  # type: ignore[misc, valid-type]
            async def get_rendered_notebook(self, *a: Any, **kw: Any):
                render_task, rendered, kernel_id = await super().get_rendered_notebook(*a, **kw)
                touch_kernel(self, kernel_id)
                return render_task, rendered, kernel_id

        HandoverKernelManager.__name__ = cls.__name__
        HandoverKernelManager.__qualname__ = cls.__qualname__
        return HandoverKernelManager

    wrapped.__wrapped__ = factory  # type: ignore[attr-defined]
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


def apply() -> None:
    """Install the sliced wait (idempotent)."""
    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]


def applied() -> bool:
    return AsyncZMQSocketChannel.get_msg is get_msg


def remove() -> None:
    """Restore jupyter_client's own wait (for tests)."""
    AsyncZMQSocketChannel.get_msg = _ORIGINAL  # type: ignore[method-assign]
