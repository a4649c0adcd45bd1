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


def test_a_kernel_handed_out_from_the_pool_counts_as_active():
    import datetime as dt
    from types import SimpleNamespace

    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)

    def factory(base, preheat, pool_size, page_config_hook=None):
        class VoilaKernelManager(base):
            def __init__(self):
                self._kernels = {"k1": SimpleNamespace(last_activity=long_ago)}

            async def get_rendered_notebook(self, name):
                return "task", ["cell"], "k1"
        return VoilaKernelManager

    wrapped = jupyter_patch._handover_factory(factory)
    cls = wrapped(object, True, 1)
    assert cls.__name__ == "VoilaKernelManager"  # the config section still applies
    manager = cls()
    assert asyncio.run(manager.get_rendered_notebook("enterprise.ipynb")) == ("task", ["cell"], "k1")
    assert manager._kernels["k1"].last_activity > long_ago + dt.timedelta(days=365)
    # without a pool the class is left as it is
    plain = jupyter_patch._handover_factory(lambda *a, **k: dict)(object, False, 0)
    assert plain is dict


def test_apply_voila_is_idempotent():
    import voila.app

    original = voila.app.voila_kernel_manager_factory
    try:
        jupyter_patch.apply_voila()
        once = voila.app.voila_kernel_manager_factory
        jupyter_patch.apply_voila()
        assert voila.app.voila_kernel_manager_factory is once and hasattr(once, "__wrapped__")
    finally:
        voila.app.voila_kernel_manager_factory = getattr(original, "__wrapped__", original)
