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


def children(pid: int, command_has: bytes | None = None) -> list[int]:
    """The processes whose parent is ``pid`` (with ``command_has``, only those whose command line holds it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _parent(entry) == pid and (command_has is None or command_has in (entry / "cmdline").read_bytes()):
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):  # gone meanwhile, or not readable
                pass
    return found


def running(command_has: bytes) -> list[int]:
    """The processes whose command line holds ``command_has``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if command_has in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
