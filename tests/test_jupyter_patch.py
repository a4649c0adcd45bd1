"""calc.jupyter_patch: the sliced message wait returns messages even when the event loop's wait is never woken."""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from calc import jupyter_patch


class StalledPoll:
    """A socket whose event-loop poll never wakes up (the stall seen with Voila and nbclient)."""

    def __init__(self, socket):
        self._socket = socket
        self.polls = 0

    def poll(self, *args, **kwargs):
        self.polls += 1
        return asyncio.get_running_loop().create_future()  # never resolved

    def __getattr__(self, name):
        return getattr(self._socket, name)


async def _pair(url: str):
    ctx = zmq.asyncio.Context.instance()
    server, client = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    server.bind(url)
    client.connect(url)
    session = Session()
    return server, client, session, AsyncZMQSocketChannel(client, session)


@pytest.fixture(autouse=True)
def patched():
    jupyter_patch.apply()
    yield
    jupyter_patch.remove()


def test_apply_is_idempotent():
    jupyter_patch.apply()
    jupyter_patch.apply()
    assert jupyter_patch.applied()
    assert AsyncZMQSocketChannel.get_msg is jupyter_patch.get_msg


def test_message_received():
    async def run():
        server, client, session, channel = await _pair("inproc://patch-1")
        session.send(server, "kernel_info_reply", {"status": "ok"})
        msg = await channel.get_msg(timeout=5)
        server.close(0), client.close(0)
        return msg

    msg = asyncio.run(run())
    assert msg["header"]["msg_type"] == "kernel_info_reply" and msg["content"] == {"status": "ok"}


def test_no_message_raises_empty_after_the_timeout():
    async def run():
        server, client, _, channel = await _pair("inproc://patch-2")
        try:
            with pytest.raises(Empty):
                await channel.get_msg(timeout=0.3)
        finally:
            server.close(0), client.close(0)

    asyncio.run(run())


def test_a_poll_that_never_wakes_does_not_stall():
    async def run():
        server, client, session, channel = await _pair("inproc://patch-3")
        stalled = StalledPoll(client)
        channel.socket = stalled
        waiting = asyncio.ensure_future(channel.get_msg(timeout=None))
        await asyncio.sleep(0.3)  # the wait has begun and its first poll hangs
        session.send(server, "execute_reply", {"status": "ok", "execution_count": 1})
        msg = await asyncio.wait_for(waiting, 10)
        server.close(0), client.close(0)
        return msg, stalled.polls

    msg, polls = asyncio.run(run())
    assert msg["header"]["msg_type"] == "execute_reply"
    assert polls >= 1  # it did wait on the (stalled) poll, and got out of it by itself
