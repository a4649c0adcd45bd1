"""A dashboards server for the operations tests (tests/test_serve_ops.py, tests/test_browser_ops.py): started as
``python -m calc serve`` on a free port with DASH_* settings of the test's choosing, its log kept for asserts."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}.log"
        self._log = open(self.log_path, "w")
        env = dict(os.environ, **settings)
        self.proc = subprocess.Popen([sys.executable, "-m", "calc", "serve", "--port", str(self.port)], cwd=ROOT,
                                     env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, pools: tuple[str, ...] = (), timeout: float = 180) -> None:
        """Until the server answers and the named notebooks' pools are filled."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200 and all(f"Kernel pool of {nb} is filled" in self.log() for nb in pools):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (see {self.log_path})")
            time.sleep(0.5)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, dict, str]:
        """Status, headers and body of a GET (an HTTP error status too, not an exception)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=120) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")

    def kernel(self, kernel_id: str) -> dict | None:
        """The kernel's model (with its ``connections``), None once it is gone (404)."""
        status, _, body = self.get(f"/api/kernels/{kernel_id}")
        if status == 404:
            return None
        assert status == 200, (status, body[:300])
        return json.loads(body)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


def kernel_id_of(html: str) -> str:
    """The kernel a rendered page was given (Voila's jupyter-config-data)."""
    found = re.search(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>', html, re.S)
    assert found, html[:500]
    return json.loads(found.group(1))["kernelId"]


def kernel_processes(kernel_id: str) -> list[int]:
    """Processes of this machine running that kernel (its connection file, kernel-<id>.json, on the command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"kernel-{kernel_id}.json".encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def wait_until(check, timeout: float, step: float = 0.25):
    """Poll ``check()`` until it returns something true; return (value, seconds taken) or raise AssertionError."""
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
