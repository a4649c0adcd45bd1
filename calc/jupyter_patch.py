"""Work around the stall of jupyter_client's asynchronous message wait (see ../shared/notes/voila-stack.md).

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


def apply() -> None:
    """Install the sliced wait (idempotent)."""
    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]


def applied() -> bool:
    return AsyncZMQSocketChannel.get_msg is get_msg


def remove() -> None:
    """Restore jupyter_client's own wait (for tests)."""
    AsyncZMQSocketChannel.get_msg = _ORIGINAL  # type: ignore[method-assign]
