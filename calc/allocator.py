"""Keep freed column buffers for reuse when the engine works on large tables (glibc only).

A rule over a million rows makes and drops dozens of 8 MB arrays.  glibc hands blocks that large to ``mmap`` and
gives them back to the system when they are freed, so every new array starts with thousands of page faults: on
this project's benchmark machine that was 40% of the engine's time on the performance anchor's six rules.
Raising glibc's mmap and trim thresholds keeps those blocks in the heap, where the next array reuses them.

Threads: every thread but the first allocates from an arena of its own, made of heaps of at most 64 MiB, and
glibc unmaps such a heap as soon as all of it is free, unless the arena's previous heap has ``M_TOP_PAD`` bytes
to spare; so, on the default pad of 128 KiB, a thread's 8 MB arrays came from fresh mappings (page faults) on
every run, and two threads computing at once were measured no faster than one.  The tuning also sets the pad to
a whole heap, which no previous heap can spare: an arena keeps its heaps, as the main arena keeps its freed top,
and the engine's threads (``worker_pool``) then ran the six anchor items about a fifth faster than one thread.

The costs: memory freed after a large run is returned to the system later (when the heap's free top passes the
trim threshold) rather than at once, and an arena's heaps stay mapped.  So the tuning is made
only when a table of at least ``LARGE_ROWS`` rows is computed (a batch run, not a dashboard's few thousand
enterprises) on the process's main thread (the command line, a notebook; not a Dask worker's task thread nor a
caller's own pool), once per process, and never when ``CALC_MALLOC_TUNING=0`` is set in the environment.
Elsewhere than glibc it does nothing, and the engine then computes in one thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from concurrent.futures import ThreadPoolExecutor

LARGE_ROWS = 200_000  # from here a column is ≥ 1.6 MB of int64 and its pages cost more than the arithmetic
MMAP_THRESHOLD = 1 << 30  # blocks below 1 GiB come from the heap (and are reused) rather than from mmap
TRIM_THRESHOLD = 1 << 30  # the heap keeps up to 1 GiB of free top before giving it back
# at most this many helper threads: each computes an item at once, with that item's temporary columns, so the peak
# memory of a run grows with them; the items' passes are bounded by the memory's bandwidth long before the cores
# of a large machine run out
MAX_HELPERS = 3
TOP_PAD = 64 << 20  # a whole heap of an arena other than the main one (HEAP_MAX_SIZE on 64-bit glibc)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameter numbers (malloc.h)

_lock = threading.Lock()
_state = {"tuned": None, "pool": None}  # tuned: None until tried, then whether glibc accepted it


def tune_for_rows(rows: int) -> bool:
    """Tune the allocator once, when ``rows`` is large enough to gain from it.  Returns whether it is tuned."""
    if rows < LARGE_ROWS or threading.current_thread() is not threading.main_thread():
        return bool(_state["tuned"])
    with _lock:
        if _state["tuned"] is None:
            _state["tuned"] = _tune()
    return bool(_state["tuned"])


def _tune() -> bool:
    if os.environ.get("CALC_MALLOC_TUNING", "1").strip() == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: their mallopt means something else
            return False
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return (bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            and bool(mallopt(_M_TOP_PAD, TOP_PAD)))


def _cores() -> int:
    """The cores this process may run on (its affinity, where the system says; else all of them)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _forget_pool_in_child() -> None:
    """A forked child has none of its parent's threads: its pool is made anew when it needs one (the parent's would
    hold work forever), and its lock is a new one (the parent's may have been held at the fork)."""
    global _lock
    _lock = threading.Lock()
    _state["pool"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def worker_pool() -> tuple[ThreadPoolExecutor, int] | None:
    """The engine's helper threads and their number (one fewer than the cores, at most MAX_HELPERS: the calling
    thread works too), started once; None where the allocator is not tuned (their arenas would give their blocks
    back on every run) or there is one core."""
    helpers = min(_cores() - 1, MAX_HELPERS)
    if not _state["tuned"] or helpers < 1:
        return None
    with _lock:
        if _state["pool"] is None:
            _state["pool"] = ThreadPoolExecutor(max_workers=helpers, thread_name_prefix="calc-engine")
    return _state["pool"], helpers
