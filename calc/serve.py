"""``python -m calc serve``: the dashboards, served by Voila from wherever the package is installed.

The same deployment as ``make run`` (which is this command, run in the checkout's ``.venv``): Voila's own entry
point (what the ``voila`` console script calls), started in this process on the notebooks folder with
``--Voila.config_file_paths=<deploy folder>``; ``deploy/voila.py`` puts the page templates on JUPYTER_PATH and
holds every other setting.  ``calc.resources`` says where the three are: the repository's folders in a
checkout, ``calc/_shipped/`` in an installed wheel, so the command works from any working folder.

Bounded under abuse (README "Dashboards", SECURITY.md): a kernel with no page connected is shut down within
about two minutes (``--cull-idle``, ``DASH_CULL_IDLE``), and at most ``--max-kernels`` (``DASH_MAX_KERNELS``)
kernels serve pages at once, by default as many as the machine's memory holds (``default_max_kernels``); a
page asked for beyond that gets a "busy, try again in a moment" page with HTTP 503.

A kernel left busy with no page connected (its page gone while a callback ran, or a kernel whose "idle" was
never seen) is not idle, and jupyter_server's culler spares busy kernels: ``cull_unconnected`` shuts down any
page kernel with no connection for ``DASH_CULL_UNCONNECTED`` seconds whatever its state.

Exit status: 2, with a one-line message, for a bad ``--port``, ``--host``, ``--max-kernels`` or
``--cull-idle`` (or the ``DASH_*`` variable they set), an address that cannot be listened on (a port in use),
or a package without its dashboards; otherwise Voila's (0 once stopped with Ctrl-C or SIGTERM, which also
shuts the kernels down).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from calc import resources

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
EXIT_UNUSABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m calc serve``."""
    # read as text and checked in run(): a bad value is one line on stderr, not argparse's usage block
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--max-kernels", default=None,
                        help="at most this many pages (one kernel each) at once; beyond, a 'busy' page with HTTP 503 "
                             "(default: from the machine's memory, see DASH_MAX_KERNELS)")
    parser.add_argument("--cull-idle", default=None,
                        help="seconds after which a kernel with no page connected and no activity is shut down "
                             "(default 60, checked every 10 s: gone within about two minutes)")


class _Unusable(Exception):
    pass


# -- the deployment's bounds, read from the environment (set by the flags above, by `make run`, or by hand);
#    deploy/voila.py reads them with setting(), and run() checks them first so that a bad value is one line
#    on stderr and exit 2, not a configuration Voila would skip.
SETTINGS = {
    # name: (default, lowest, highest, meaning); None as default: computed (DASH_MAX_KERNELS)
    "DASH_CULL_IDLE": (60, 5, 86_400, "seconds a kernel with no page connected may stay idle"),
    "DASH_CULL_INTERVAL": (10, 1, 3_600, "seconds between two checks for such kernels"),
    "DASH_CULL_UNCONNECTED": (60, 5, 86_400, "seconds a kernel may run with no page connected, even busy"),
    "DASH_MAX_KERNELS": (None, 1, 100_000, "kernels serving pages at once"),
    "DASH_KERNEL_MB": (400, 50, 100_000, "memory planned per kernel, in MB"),
    "DASH_WS_PING": (10, 1, 3_600, "seconds between websocket pings"),
    "DASH_WS_TIMEOUT": (30, 2, 3_600, "seconds without a pong before a websocket counts as gone"),
    "DASH_POOL": (2, 0, 50, "preheated kernels per dashboard"),
    "DASH_FILL_DELAY": (3, 0, 600, "seconds before a pool is refilled"),
}


def setting(name: str, environ: dict | None = None) -> int | None:
    """An integer setting from the environment (``SETTINGS``), range-checked; ValueError names it."""
    default, low, high, meaning = SETTINGS[name]
    text = (os.environ if environ is None else environ).get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value == value and value == int(value) and low <= value <= high):
        raise ValueError(f"{name} ({meaning}) wants a whole number from {low:,} to {high:,}, got {text!r}")
    return int(value)


def _meminfo_mb(path: str = "/proc/meminfo") -> dict[str, int]:
    """MemTotal and MemAvailable in MB (empty where there is no /proc)."""
    found = {}
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    found[key] = int(rest.split()[0]) // 1024
    except (OSError, ValueError, IndexError):
        return {}
    return found


def _cgroup_limit_mb(paths=("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")) -> int | None:
    """The memory limit of this process's control group in MB (a container's, a systemd unit's MemoryMax=),
    or None when there is none."""
    for path in paths:
        try:
            text = open(path, encoding="ascii").read().strip()
        except OSError:
            continue
        if text and text != "max":
            try:
                limit = int(text) // (1024 * 1024)
            except ValueError:
                continue
            if limit < 1 << 40:  # cgroup v1's "no limit" is a huge number
                return limit
    return None


def memory_mb() -> int | None:
    """The memory this server may plan with, in MB: the machine's available memory at start-up (what other
    programs already use is not ours), or its control group's limit when lower; None when unknown."""
    info = _meminfo_mb()
    candidates = [v for v in (info.get("MemAvailable", info.get("MemTotal")), _cgroup_limit_mb()) if v]
    return min(candidates) if candidates else None


def default_max_kernels(memory: int | None, *, kernel_mb: int, pooled: int, server_mb: int, share: float) -> int:
    """How many page kernels fit: ``share`` of ``memory`` (MB), less the server and the ``pooled`` preheated
    kernels, divided by ``kernel_mb``; at least 1.  Unknown memory (no /proc): 20.

    >>> default_max_kernels(24_000, kernel_mb=250, pooled=8, server_mb=300, share=0.75)
    62
    """
    if not memory:
        return 20
    room = int(memory * share) - server_mb - pooled * kernel_mb
    return max(1, room // kernel_mb)


def _port(text: str) -> int:
    try:
        port = int(text.strip())
    except ValueError:
        raise _Unusable(f"--port wants a number from 1 to 65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise _Unusable(f"--port wants a number from 1 to 65535, got {text!r}")
    return port


def _host(text: str) -> str:
    host = text.strip()
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise _Unusable(f"--host wants a host name or an IP address, got {text!r}")
    return host


def _check_listen(host: str, port: int) -> None:
    """Fail now, in one line, when Voila could not listen on host:port (a port in use, an unknown host); Voila
    itself would try other ports, and the printed address would be wrong."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise _Unusable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado does: a closed port is free
        try:
            probe.bind(address)
        except OSError as exc:
            raise _Unusable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def url(host: str, port: int, path: str = "/") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def voila_argv(host: str, port: int) -> list[str]:
    """Voila's command line: our notebooks folder and our configuration, on host:port and only there."""
    return [str(resources.NOTEBOOKS), f"--Voila.config_file_paths={resources.DEPLOY}",
            f"--Voila.ip={host}", f"--Voila.port={port}", "--Voila.port_retries=0"]


def run(args: argparse.Namespace) -> int:
    """Serve the dashboards; returns the exit status."""
    try:
        host, port = _host(args.host), _port(args.port)
        for flag, name in (("--max-kernels", "DASH_MAX_KERNELS"), ("--cull-idle", "DASH_CULL_IDLE")):
            value = getattr(args, flag[2:].replace("-", "_"), None)
            if value is not None:
                try:
                    setting(name, {name: value})
                except ValueError as exc:
                    raise _Unusable(str(exc).replace(name, flag, 1)) from None
                os.environ[name] = str(value).strip()
        for name in SETTINGS:
            try:
                setting(name)
            except ValueError as exc:
                raise _Unusable(str(exc)) from None
        missing = [str(p) for p in (resources.NOTEBOOKS / "index.ipynb", resources.DEPLOY / "voila.py",
                                    resources.JUPYTER_PATH / "voila" / "templates" / "dash") if not p.exists()]
        if missing:
            raise _Unusable("the dashboards are not installed with this package: " + ", ".join(missing) + " missing")
        _check_listen(host, port)
    except _Unusable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE

    print(f"\n  Dashboards: {url(host, port, '/voila/render/index.ipynb')}\n"
          f"  (Voila's file tree: {url(host, port)} ; Ctrl-C stops)\n", flush=True)
    os.environ["DASH_PORT"] = str(port)  # deploy/voila.py's port, as `make run` sets it (the command line wins)

    from voila.app import main as voila_main  # the `voila` console script's entry point

    voila_main(argv=voila_argv(host, port))
    return 0


# -- kernels with no page connected, busy or not ------------------------------------------------------------------

class _Unconnected:
    """The setting of ``cull_unconnected``: seconds a page kernel may run with no page connected (None: off)."""

    after: int | None = None


UNCONNECTED = _Unconnected()


def _unconnected_factory(factory):
    """Wrap Voila's kernel-manager factory: each culler pass (every ``cull_interval`` s) also shuts down the
    kernels serving pages that have had no websocket connected for ``UNCONNECTED.after`` seconds, busy or idle.

    jupyter_server's culler shuts a kernel down only when it is idle (``cull_busy = False``, kept so that a page
    still connected while a long callback runs is never cut): a kernel whose page went away while it was busy,
    or whose "idle" status was never seen by the server, stayed alive until the server stopped (seen in the
    load test).  Here the clock is the connection, not the activity: it starts when the last websocket of the
    kernel closes (``notify_disconnect``), or, for a kernel no page ever connected to, when a pass first sees it
    with none; a connection stops it.  Only kernels serving pages are looked at (``jupyter_patch.page_kernels``):
    a preheated kernel waiting in its pool has no page yet.  An idle kernel is shut down as the culler does (a
    shutdown request, then the process killed if it has not ended within ``shutdown_wait_time``); a busy one's
    process is killed at once (SIGKILL to its process group), then the kernel shut down (its connection files
    removed as usual): the page is gone, nothing is to be saved, and a busy kernel asked to shut down is first
    interrupted by jupyter_client, which makes it write "ERROR | KeyboardInterrupt caught in kernel" to the
    server's log."""
    import asyncio
    import time

    from jupyter_core.utils import ensure_async

    from calc import jupyter_patch

    def wrapped(*args, **kwargs):
        cls = factory(*args, **kwargs)

        class UnconnectedCullingKernelManager(cls):  # type: ignore[misc, valid-type]
            def _dash_alone(self) -> dict:
                return self.__dict__.setdefault("_dash_alone_since", {})

            def notify_connect(self, kernel_id):
                super().notify_connect(kernel_id)
                self._dash_alone().pop(kernel_id, None)

            def notify_disconnect(self, kernel_id):
                super().notify_disconnect(kernel_id)
                if kernel_id in self._kernel_connections and self._kernel_connections[kernel_id] <= 0:
                    self._dash_alone()[kernel_id] = time.monotonic()

            async def cull_kernels(self):
                await super().cull_kernels()  # the idle ones first, as jupyter_server does
                after = UNCONNECTED.after
                if after is None:
                    return
                alone, now = self._dash_alone(), time.monotonic()
                pages = jupyter_patch.page_kernels(self)
                for kernel_id in set(alone) - pages:  # shut down, culled or never a page's
                    del alone[kernel_id]
                due = []
                for kernel_id in pages:
                    if self._kernel_connections.get(kernel_id, 0) > 0:
                        alone.pop(kernel_id, None)
                    elif now - alone.setdefault(kernel_id, now) >= after:
                        due.append(kernel_id)

                async def cull(kernel_id: str) -> None:
                    kernel = self._kernels.get(kernel_id)
                    if kernel is None:
                        return
                    state = getattr(kernel, "execution_state", "?")
                    self.log.warning("Culling '%s' kernel '%s' (%s): no page connected for %d seconds.", state,
                                     kernel.kernel_name, kernel_id, now - alone.pop(kernel_id, now))
                    try:
                        if state == "busy":
                            # killed before jupyter_client's shutdown, which interrupts the kernel first: a busy
                            # kernel interrupted logs "ERROR | KeyboardInterrupt caught in kernel"; the restarter
                            # stopped first, so that the dead process is not restarted
                            manager = self.get_kernel(kernel_id)
                            manager.stop_restarter()
                            if manager.has_kernel and manager.provisioner is not None:
                                await manager.provisioner.kill()
                                await manager.provisioner.wait()
                        await ensure_async(self.shutdown_kernel(kernel_id, now=state == "busy"))
                    except KeyError:  # shut down meanwhile (its page's beacon, arriving late)
                        pass
                    except Exception as exc:  # noqa: BLE001 - as jupyter_server's culler: logged, the others go on
                        self.log.exception("While culling kernel %s with no page connected: %s", kernel_id, exc)

                await asyncio.gather(*(cull(k) for k in due))

        UnconnectedCullingKernelManager.__name__ = cls.__name__
        UnconnectedCullingKernelManager.__qualname__ = cls.__qualname__
        return UnconnectedCullingKernelManager

    # no __wrapped__: jupyter_patch.apply_voila reads that attribute as "already wrapped by me"
    wrapped.dash_unconnected = True  # type: ignore[attr-defined]
    return wrapped


def cull_unconnected(after: int | None) -> None:
    """Shut down page kernels with no page connected for ``after`` seconds, busy or not (None: off), at each
    culler pass.  Installed by deploy/voila.py, after ``jupyter_patch.apply_voila``; idempotent: Voila's factory
    is wrapped once, the value replaced."""
    import voila.app

    if after is not None and after < 1:
        raise ValueError(f"the time without a page must be at least 1 s, got {after}")
    UNCONNECTED.after = after
    if not getattr(voila.app.voila_kernel_manager_factory, "dash_unconnected", False):
        voila.app.voila_kernel_manager_factory = _unconnected_factory(voila.app.voila_kernel_manager_factory)
