"""This machine's processes, read from /proc, and a free port: for the tests that start servers, kernels and
workers, and for the benchmarks that measure them (benchmarks/bench_render.py, benchmarks/load_test.py)."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent(entry: Path) -> int:
    # the field after the command's name, which is in parentheses and may hold spaces or parentheses itself
    return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _processes(holding) -> list[int]:
    """The processes whose /proc entry ``holding(entry)`` accepts (one gone meanwhile, or not readable, is not)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if holding(entry):
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def children(pid: int, command_has: bytes | None = None) -> list[int]:
    """The processes whose parent is ``pid`` (with ``command_has``, only those whose command line holds it)."""
    return _processes(lambda entry: _parent(entry) == pid
                      and (command_has is None or command_has in (entry / "cmdline").read_bytes()))


def running(command_has: bytes) -> list[int]:
    """The processes whose command line holds ``command_has``."""
    return _processes(lambda entry: command_has in (entry / "cmdline").read_bytes())


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
