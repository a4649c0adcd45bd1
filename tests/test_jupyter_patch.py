"""calc.jupyter_patch: the sliced message wait returns messages even when the event loop's wait is never woken."""

from __future__ import annotations

import asyncio
from queue import Empty
from types import SimpleNamespace

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
    # the kernel handed out now serves a page
    assert jupyter_patch.page_kernels(manager) == {"k1"}


class FakeKernelManager:
    def __init__(self, kwargs):
        self.kwargs = kwargs


class FakeBase:
    """What Voila's kernel manager offers the patch: start_kernel, pre_start_kernel, cull_kernel_if_idle, _kernels."""

    def __init__(self):
        self._kernels = {}
        self.started = 0
        self.culled = []

    def pre_start_kernel(self, kernel_name, kwargs):
        # as jupyter_client's: the new kernel's manager, its name and its id
        self.made = (FakeKernelManager(kwargs), kernel_name, f"k{self.started + 1}")
        return self.made

    async def cull_kernel_if_idle(self, kernel_id):
        self._kernels[kernel_id]  # KeyError when gone, as jupyter_server's
        self.culled.append(kernel_id)

    async def start_kernel(self, **kwargs):
        self.started += 1
        kernel_id = f"k{self.started}"
        self._kernels[kernel_id] = SimpleNamespace(last_activity=None)
        return kernel_id


def test_kernels_started_for_pages_are_counted_without_a_pool():
    cls = jupyter_patch._handover_factory(lambda base, *a, **k: base)(FakeBase, False, 0)
    manager = cls()
    assert asyncio.run(manager.start_kernel()) == "k1"
    asyncio.run(manager.start_kernel())
    assert jupyter_patch.page_kernels(manager) == {"k1", "k2"}
    del manager._kernels["k1"]  # shut down or culled: no longer counted
    assert jupyter_patch.page_kernels(manager) == {"k2"}


def test_kernels_start_without_history_and_a_vanished_kernel_is_not_culled():
    manager = jupyter_patch._handover_factory(lambda base, *a, **k: base)(FakeBase, True, 1)()
    made, name, _ = manager.pre_start_kernel("python3", {})
    assert name == "python3" and made.kwargs == {"extra_arguments": ["--HistoryManager.enabled=False"]}
    made, _, _ = manager.pre_start_kernel("python3", {"extra_arguments": ["--x=1", "--HistoryManager.enabled=False"]})
    assert made.kwargs == {"extra_arguments": ["--x=1", "--HistoryManager.enabled=False"]}
    asyncio.run(manager.start_kernel())
    asyncio.run(manager.cull_kernel_if_idle("k1"))
    asyncio.run(manager.cull_kernel_if_idle("k-gone"))  # shut down since the culler listed it: no KeyError
    assert manager.culled == ["k1"]

    class Starting:  # a kernel still starting: reading its last activity raises (jupyter_server's TraitError)
        @property
        def last_activity(self):
            raise ValueError("The 'last_activity' trait expected a datetime, not the NoneType None.")

    manager._kernels["k-starting"] = Starting()
    asyncio.run(manager.cull_kernel_if_idle("k-starting"))
    assert manager.culled == ["k1"]


def test_the_culler_checks_every_kernel_at_once():
    class Slow(FakeBase):
        async def cull_kernel_if_idle(self, kernel_id):
            self.culled.append(("start", kernel_id))
            await asyncio.sleep(0.05)  # a shutdown taking its time
            self.culled.append(("end", kernel_id))

    manager = jupyter_patch._handover_factory(lambda base, *a, **k: base)(Slow, True, 1)()
    for _ in range(3):
        asyncio.run(manager.start_kernel())
    asyncio.run(manager.cull_kernels())
    # all three started before any finished: no kernel waits for the others' shutdowns
    assert [step for step, _ in manager.culled] == ["start"] * 3 + ["end"] * 3


def test_pooled_kernels_are_not_counted_until_handed_out():
    def factory(base, preheat, pool_size, page_config_hook=None):
        class VoilaKernelManager(base):
            def __init__(self):
                super().__init__()
                self.pool = []

            async def fill(self):
                # Voila's pool starts its kernels through the base class (super() inside its own class)
                self.pool.append(await super().start_kernel())

            async def get_rendered_notebook(self, name):
                return "task", [], self.pool.pop(0)
        return VoilaKernelManager

    manager = jupyter_patch._handover_factory(factory)(FakeBase, True, 1)()
    asyncio.run(manager.fill())
    asyncio.run(manager.fill())
    assert set(manager._kernels) == {"k1", "k2"} and jupyter_patch.page_kernels(manager) == set()
    asyncio.run(manager.get_rendered_notebook("enterprise.ipynb"))
    assert jupyter_patch.page_kernels(manager) == {"k1"}


class FakeHandler:
    """The parts of Voila's page handler the cap uses."""

    def __init__(self, manager, delay=0.0):
        self.kernel_manager = manager
        self.delay = delay
        self.status = 200
        self.headers = {}
        self.body = None
        self.request = type("Request", (), {"path": "/voila/render/enterprise.ipynb"})()
        self.log = type("Log", (), {"warning": staticmethod(lambda *a: None)})()

    def set_status(self, status):
        self.status = status

    def set_header(self, name, value):
        self.headers[name] = value

    def finish(self, body):
        self.body = body


async def page_get(self, path=None):
    """Voila's get, reduced: wait (the pool's kernel still starting), then take a kernel for the page."""
    await asyncio.sleep(self.delay)
    await self.kernel_manager.start_kernel()
    self.body = "page"


@pytest.fixture
def cap():
    saved = (jupyter_patch.CAP.max_kernels, jupyter_patch.CAP.busy_html, jupyter_patch.CAP.retry_after)
    yield jupyter_patch.CAP
    jupyter_patch.CAP.max_kernels, jupyter_patch.CAP.busy_html, jupyter_patch.CAP.retry_after = saved
    jupyter_patch.CAP.pending.clear()


def test_the_cap_answers_503_beyond_max_kernels(cap):
    manager = jupyter_patch._handover_factory(lambda base, *a, **k: base)(FakeBase, False, 0)()
    get = jupyter_patch._capped_get(page_get)
    cap.max_kernels, cap.busy_html, cap.retry_after = 2, "<p>busy 繁忙</p>", 30
    handlers = [FakeHandler(manager) for _ in range(3)]
    for h in handlers:
        asyncio.run(get(h))
    # two pages at cap 2; the third answered at once, without a kernel
    assert [h.status for h in handlers] == [200, 200, 503]
    assert [h.body for h in handlers] == ["page", "page", "<p>busy 繁忙</p>"]
    assert handlers[2].headers["Retry-After"] == "30" and handlers[2].headers["Cache-Control"] == "no-store"
    assert manager.started == 2 and cap.pending == set()
    # a page's kernel gone (culled, closed): one place again
    del manager._kernels["k1"]
    again = FakeHandler(manager)
    asyncio.run(get(again))
    assert again.status == 200 and manager.started == 3
    # no cap: every page gets a kernel
    cap.max_kernels = None
    for _ in range(5):
        asyncio.run(get(FakeHandler(manager)))
    assert manager.started == 8


def test_requests_arriving_together_cannot_both_take_the_last_place(cap):
    manager = jupyter_patch._handover_factory(lambda base, *a, **k: base)(FakeBase, False, 0)()
    get = jupyter_patch._capped_get(page_get)
    cap.max_kernels, cap.busy_html = 1, "busy"
    handlers = [FakeHandler(manager, delay=0.05) for _ in range(4)]

    async def together():
        await asyncio.gather(*(get(h) for h in handlers))

    asyncio.run(together())
    # the first holds its place while its kernel is found; the other three are refused
    assert sorted(h.status for h in handlers) == [200, 503, 503, 503]
    assert manager.started == 1 and cap.pending == set()


def test_a_request_that_fails_gives_its_place_back(cap):
    manager = jupyter_patch._handover_factory(lambda base, *a, **k: base)(FakeBase, False, 0)()
    cap.max_kernels, cap.busy_html = 1, "busy"

    async def broken(self, path=None):
        raise RuntimeError("the notebook could not be read")

    with pytest.raises(RuntimeError):
        asyncio.run(jupyter_patch._capped_get(broken)(FakeHandler(manager)))
    assert cap.pending == set()
    ok = FakeHandler(manager)
    asyncio.run(jupyter_patch._capped_get(page_get)(ok))
    assert ok.status == 200


def test_apply_kernel_cap_is_idempotent_and_checks_its_value(cap):
    import voila.tornado.handler

    handler = voila.tornado.handler.TornadoVoilaHandler
    original = handler.get
    plain = original.__wrapped__ if getattr(original, "dash_capped", False) else original
    try:
        handler.get = plain
        jupyter_patch.apply_kernel_cap(3, "busy", 10)
        once = handler.get
        jupyter_patch.apply_kernel_cap(4, "busy again", 20)
        assert handler.get is once and once.__wrapped__ is plain
        assert (cap.max_kernels, cap.busy_html, cap.retry_after) == (4, "busy again", 20)
        with pytest.raises(ValueError, match="at least 1"):
            jupyter_patch.apply_kernel_cap(0, "busy")
    finally:
        handler.get = original


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


def _real_manager(connection_dir):
    """jupyter_server's kernel manager, patched as the server's; its connection files in ``connection_dir``."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    cls = jupyter_patch._handover_factory(lambda base, *a, **k: base)(AsyncMappingKernelManager, True, 1)
    return cls(connection_dir=str(connection_dir))


def test_the_server_stopped_while_a_kernel_starts_shuts_that_kernel_down_too(tmp_path):
    # Seen in CI: `python -m calc serve` stopped with SIGTERM exited 3 ("internal error"). A kernel still
    # starting (a pool's refill) is listed by jupyter_client's shutdown_all but is not yet a kernel to
    # jupyter_server, whose shutdown of it raised "HTTP 404: Kernel does not exist", and the kernel was left.
    # Real parts: jupyter_server's kernel manager and a real kernel.
    async def stop_while_starting():
        manager = _real_manager(tmp_path)
        starting = asyncio.ensure_future(manager.start_kernel(kernel_name="python3"))
        while not manager._pending_kernels:  # the kernel's process launched, not yet ready
            await asyncio.sleep(0)
        assert not manager._kernels
        await manager.shutdown_all()
        kernel_id = await starting
        return kernel_id, dict(manager._kernels), dict(manager._pending_kernels)

    kernel_id, kernels, pending = asyncio.run(stop_while_starting())
    assert kernel_id and kernels == {} and pending == {}  # started, then shut down with the others


def test_the_server_stopped_kills_a_start_frozen_on_the_loop_that_served(tmp_path):
    # As in `python -m calc serve`: a page's kernel starts on the loop that serves; SIGTERM stops that loop, and
    # Voila's stop() runs shutdown_all on another loop, where that start can never end.  It is not waited for,
    # not shut down by jupyter_server (its 404), and its launched process is killed; a start that failed is
    # dropped too; a kernel whose shutdown froze there is shut down as usual.
    import os

    manager = _real_manager(tmp_path)
    serving = asyncio.new_event_loop()

    async def serve_then_stop():
        kernel_id = await manager.start_kernel(kernel_name="python3")
        asyncio.ensure_future(manager.start_kernel(kernel_name="python3"))  # a page's kernel, starting …
        while not any(m.has_kernel for k, m in manager._dash_managers.items() if k in manager._pending_kernels):
            await asyncio.sleep(0)
        # … its process launched when the loop stops
        frozen, = manager._pending_kernels
        # and the first kernel's shutdown (the culler's) frozen there too, just begun
        manager._pending_kernels[kernel_id] = asyncio.get_running_loop().create_future()
        return (manager._kernels[kernel_id].provisioner.process.pid,
                manager._dash_managers[frozen].provisioner.process.pid), manager._dash_managers[frozen]

    try:
        pids, frozen_manager = serving.run_until_complete(serve_then_stop())

        async def stop():
            failed = asyncio.get_running_loop().create_future()
            failed.set_exception(RuntimeError("the kernel did not start"))
            manager._pending_kernels["failed"] = failed
            await asyncio.wait_for(manager.shutdown_all(), 60)

        asyncio.run(stop())
        assert manager._kernels == {} and manager._pending_kernels == {}
        for pid in pids:
            with pytest.raises(ProcessLookupError):  # shut down, or killed, and reaped
                os.kill(pid, 0)
        # the killed kernel's control socket closed (open, the manager's zmq context could not end when collected:
        # a later test hung in MultiKernelManager.__del__), its connection file removed
        assert frozen_manager._control_socket is None and not list(tmp_path.glob("kernel-*.json"))
    finally:
        for task in asyncio.all_tasks(serving):
            task.cancel()
        serving.run_until_complete(asyncio.sleep(0.1))
        serving.close()
