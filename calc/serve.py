"""``python -m calc serve``: the dashboards, served by Voila from wherever the package is installed.

The same deployment as ``make run`` (which is this command, run in the checkout's ``.venv``): Voila's own entry
point (what the ``voila`` console script calls), started in this process on the notebooks folder with
``--Voila.config_file_paths=<deploy folder>``; ``deploy/voila.py`` puts the page templates on JUPYTER_PATH and
holds every other setting.  ``calc.resources`` says where the three are: the repository's folders in a
checkout, ``calc/_shipped/`` in an installed wheel, so the command works from any working folder.

Exit status: 2, with a one-line message, for a bad ``--port`` or ``--host``, an address that cannot be listened
on (a port in use), or a package without its dashboards; otherwise Voila's (0 once stopped with Ctrl-C or
SIGTERM, which also shuts the kernels down).
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


class _Unusable(Exception):
    pass


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
