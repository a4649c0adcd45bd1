"""The package as a user gets it: a wheel built from the repository, installed into a fresh virtual environment
(no system site-packages; dependencies from the package index, quick when pip's cache has them), and every
command run from a temporary folder that is not the repository.

The wheel is built from a copy of the repository's files (tracked and untracked-but-not-ignored, as a commit of
the working tree would hold them) with ``pip wheel``, in an isolated build environment as ``pip install .``
does.  A build or an install that fails fails the tests, with pip's output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from processes import free_port, running

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_FOLDERS = ("data", "notebooks", "deploy", "share")  # carried under calc/_shipped/ in the wheel
POLICY_IDS = ["hainan_consortium_2022", "liaoyang_consortium_2023", "qingdao_consortium_2025",
              "xiamen_consortium_2025", "xiamen_sti_measures"]
AS_OF = "2026-06-30"
BUILD_TIMEOUT, INSTALL_TIMEOUT, COMMAND_TIMEOUT = 600, 1200, 300


def _repository_files() -> list[str]:
    """The repository's files, relative to its top: what git tracks plus what it would add (not ignored)."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, capture_output=True).stdout.decode("utf-8")
        return sorted(name for name in out.split("\0") if name and (ROOT / name).is_file())
    # not a git checkout (an unpacked archive): everything but what .gitignore names
    skip = {".git", ".venv", "build", "dist", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis",
            "artifacts", ".ipynb_checkpoints", "out"}
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
        files += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names if n != "plotly.min.js"]
    return sorted(files)


def _run(argv, *, cwd, env, timeout=COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _tail(proc: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


@dataclass
class Installed:
    wheel: Path
    venv: Path
    python: Path
    work: Path     # the working folder every command runs in (not the repository)
    cache: Path    # XDG_CACHE_HOME of the commands: where serve copies plotly.min.js
    env: dict
    samples: Path  # calc.SAMPLES as the installed package reports it
    build_seconds: float
    install_seconds: float

    def calc(self, *args, timeout=COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        return _run([self.python, "-m", "calc", *args], cwd=self.work, env=self.env, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv, work, cache = (base / n for n in ("src", "dist", "venv", "work", "cache"))
    for name in _repository_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    # a checkout that has served the dashboards holds the full plotly bundle (gitignored): it must stay out
    static = src / "share" / "jupyter" / "voila" / "templates" / "dash" / "static"
    (static / "plotly.min.js").write_text("// not to be packaged\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    started = time.monotonic()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, src],
                 cwd=base, env=env, timeout=BUILD_TIMEOUT)
    build_seconds = time.monotonic() - started
    wheels = sorted(dist.glob("*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        pytest.fail(f"building the wheel failed (pip wheel exit {built.returncode}, wheels {wheels}):\n{_tail(built)}")

    started = time.monotonic()
    made = _run([sys.executable, "-m", "venv", venv], cwd=base, env=env, timeout=INSTALL_TIMEOUT)
    if made.returncode != 0:
        pytest.fail(f"python -m venv failed:\n{_tail(made)}")
    python = venv / "bin" / "python"
    done = _run([python, "-m", "pip", "install", "--quiet", wheels[0]], cwd=base, env=env, timeout=INSTALL_TIMEOUT)
    install_seconds = time.monotonic() - started
    if done.returncode != 0:
        pytest.fail(f"installing the wheel into a fresh virtual environment failed:\n{_tail(done)}")

    work.mkdir()
    env = dict(env, XDG_CACHE_HOME=str(cache))
    where = _run([python, "-c", "import calc; print(calc.SAMPLES)"], cwd=work, env=env)
    assert where.returncode == 0, _tail(where)
    print(f"\nwheel built in {build_seconds:.0f} s, fresh venv + install in {install_seconds:.0f} s")
    return Installed(wheels[0], venv, python, work, cache, env, Path(where.stdout.strip()), build_seconds,
                     install_seconds)


def test_the_editable_install_leaves_no_shipped_folder_in_the_checkout():
    # calc/_shipped exists only inside an installed wheel; in a checkout it would hide the repository's files
    assert not (ROOT / "calc" / "_shipped").exists()


def test_the_wheel_holds_the_code_and_every_shipped_file(installed):
    with zipfile.ZipFile(installed.wheel) as z:
        names = {n for n in z.namelist() if not n.endswith("/") and ".dist-info/" not in n}
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = z.read(meta).decode("utf-8")
        entry_points = z.read(meta.replace("METADATA", "entry_points.txt")).decode("utf-8")
    assert "Name: sti-subsidy-calc" in metadata and "subsidy-calc = calc.cli:main" in entry_points
    files = _repository_files()
    expected = {n for n in files if n.startswith("calc/") and n.endswith(".py")}
    expected |= {n for n in files if n.startswith("calc/dashboards/words/") and n.endswith(".yaml")}  # the catalogs
    expected |= {f"calc/_shipped/{n}" for n in files
                 if n.split("/")[0] in SHIPPED_FOLDERS and not Path(n).name.startswith(".")}
    assert sorted(expected - names) == [], "the wheel lacks these (list their folder in pyproject.toml)"
    assert sorted(names - expected) == [], "the wheel holds files that are not the repository's"
    assert not [n for n in names if n.endswith("plotly.min.js")]


def test_the_installed_package_reads_its_own_files(installed):
    probe = _run([installed.python, "-c", (
        "import calc, calc.resources as r, calc.policies as p\n"
        "print(r.INSTALLED, r.ROOT)\n"
        "s = p.load_policies(strict_sources=True)\n"  # every quote found in the installed law texts
        "print(sorted(s.policies))\n")], cwd=installed.work, env=installed.env)
    assert probe.returncode == 0, _tail(probe)
    installed_flag, root = probe.stdout.splitlines()[0].split(" ", 1)
    assert installed_flag == "True"
    assert Path(root).is_relative_to(installed.venv) and Path(root).name == "_shipped"
    assert probe.stdout.splitlines()[1] == repr(POLICY_IDS)
    assert installed.samples == Path(root) / "data" / "samples"
    sources = Path(root) / "data" / "sources"
    for line in (sources / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((sources / name).read_bytes()).hexdigest() == digest, name


def test_policies_and_template(installed):
    shown = installed.calc("policies", "--as-of", AS_OF)
    assert shown.returncode == 0, _tail(shown)
    heads = [line.split(":")[0] for line in shown.stdout.splitlines() if not line.startswith(" ")]
    assert heads == POLICY_IDS
    assert shown.stdout.count("  item ") >= 20 and shown.stdout.count("  criterion ") >= 20
    script = _run([installed.venv / "bin" / "subsidy-calc", "policies", "--as-of", AS_OF],
                  cwd=installed.work, env=installed.env)
    assert script.returncode == 0 and script.stdout == shown.stdout

    made = installed.calc("template", "templates")
    assert made.returncode == 0, _tail(made)
    assert made.stdout.split() == ["templates/enterprises_template.xlsx", "templates/consortia_template.xlsx"]
    for name, first in (("enterprises", "enterprise_id"), ("consortia", "consortium_id")):
        book = openpyxl.load_workbook(installed.work / "templates" / f"{name}_template.xlsx", read_only=True)
        header = next(book[name].iter_rows(max_row=1, values_only=True))
        assert header[0] == first and len(header) > 10


def _rows(path: Path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def test_entitlements(installed):
    sample = installed.samples / "enterprises.csv"
    n = _rows(sample)
    for out, extra in (("entitlements.csv", []), ("entitlements.xlsx", []), ("wide.parquet", ["--shape", "wide"])):
        done = installed.calc("entitlements", sample, "--as-of", AS_OF, "--output", out, *extra)
        assert done.returncode == 0, _tail(done)
        assert done.stdout.startswith(f"{n} enterprises computed, 0 rejected")
    items = pd.read_csv(installed.work / "entitlements.csv", dtype=str, keep_default_na=False)
    assert list(items.columns) == ["enterprise_id", "policy_id", "item_id", "kind", "status", "amount_yuan",
                                   "counted", "reason", "citation", "title", "won_by"]
    # the rows that matter (the default): at most every enterprise, each citation an id of the citations file
    assert 0 < items["enterprise_id"].nunique() <= n and set(items["policy_id"]) <= set(POLICY_IDS)
    assert pd.to_numeric(items["amount_yuan"], errors="coerce").fillna(0).sum() > 0
    citations = pd.read_csv(installed.work / "entitlements.citations.csv", dtype=str, keep_default_na=False)
    assert set(items["citation"]) <= set(citations["citation_id"])
    book = pd.read_excel(installed.work / "entitlements.xlsx", sheet_name=None)
    assert set(book) == {"items", "totals", "citations", "errors"}
    assert len(book["items"]) == len(items) and len(book["totals"]) == n and len(book["errors"]) == 0
    wide = pd.read_parquet(installed.work / "wide.parquet")  # pyarrow came with the wheel's dependencies
    assert len(wide) == n and wide["total_yuan"].sum() == book["totals"]["total_yuan"].sum()


def test_consortium(installed):
    sample = installed.samples / "consortia.csv"
    n = _rows(sample)
    done = installed.calc("consortium", sample, "--as-of", AS_OF, "--output", "criteria.csv", "--summary", "summary.csv")
    assert done.returncode == 0, _tail(done)
    assert done.stdout.startswith(f"{n} consortia assessed, 0 rejected")
    criteria = pd.read_csv(installed.work / "criteria.csv", dtype=str, keep_default_na=False)
    assert criteria["consortium_id"].nunique() == n and {"criterion_id", "result", "citation"} <= set(criteria.columns)
    summary = pd.read_csv(installed.work / "summary.csv", dtype=str, keep_default_na=False)
    assert len(summary) == n and {"consortium_id", "jurisdiction", "status"} <= set(summary.columns)
    done = installed.calc("consortium", sample, "--as-of", AS_OF, "--jurisdiction", "all", "--output", "criteria.xlsx")
    assert done.returncode == 0, _tail(done)
    book = pd.read_excel(installed.work / "criteria.xlsx", sheet_name=None)
    assert {"criteria", "summary", "manual_checks", "errors"} == set(book)
    assert len(book["summary"]) == 4 * n  # every consortium against the four jurisdictions


def test_budget(installed):
    sample = installed.samples / "population.csv"
    n = _rows(sample)
    (installed.work / "cap.yaml").write_text("name: cap 300万\nparameters:\n"
                                             "  xiamen_sti_measures.rd_step_subsidy.cap: 300万\n", encoding="utf-8")
    common = [sample, "--as-of", AS_OF, "--reform", "cap.yaml", "--budget", "xiamen_sti_measures.rd_step_subsidy=2亿"]
    done = installed.calc("budget", *common, "--output", "budget.csv")
    assert done.returncode == 0, _tail(done)
    assert done.stdout.startswith(f"{n} enterprises, 0 rejected")
    assert "budget xiamen_sti_measures.rd_step_subsidy: " in done.stdout
    items = pd.read_csv(installed.work / "budget.csv", dtype=str, keep_default_na=False)
    assert {"item_id", "baseline_yuan", "reform_yuan", "change_yuan", "prorated_yuan"} <= set(items.columns)
    assert len(items) > 10 and set(items["policy_id"]) <= set(POLICY_IDS)
    change = pd.to_numeric(items["change_yuan"])
    assert change.min() < 0 and change.max() <= 0  # a lower cap only takes away
    done = installed.calc("budget", *common, "--years", "2026-2027", "--draws", "5", "--output", "budget.xlsx")
    assert done.returncode == 0, _tail(done)
    book = openpyxl.load_workbook(installed.work / "budget.xlsx", read_only=True)
    assert {"totals", "budget_lines", "enterprises"} <= set(book.sheetnames)
    assert book["enterprises"].max_row == n + 1


def _get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def _processes_of(venv: Path) -> list[int]:
    """Processes running this virtual environment's python (Voila and its kernels)."""
    return running(os.fsencode(venv))


def test_serve_argument_errors(installed):
    for args in (["--port", "http"], ["--port", "0"], ["--host", " "]):
        done = installed.calc("serve", *args)
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: --"), done.stderr


def test_serve(installed):
    port = free_port()
    log_path = installed.work / "serve.log"
    log = open(log_path, "w")  # the server's; read back by path (a shared handle's seek would move its offset)
    env = dict(installed.env, DASH_POOL="1")  # one preheated kernel per dashboard: five kernels, not eight
    proc = subprocess.Popen([str(installed.python), "-m", "calc", "serve", "--port", str(port)], cwd=installed.work,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(base + "/", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"serve did not answer in 120 s:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.5)
        assert f"Dashboards: {base}/voila/render/index.ipynb" in log_path.read_text()

        status, page = _get(base + "/voila/render/index.ipynb")
        html = page.decode("utf-8")
        assert status == 200
        assert "<title>科技政策补贴测算</title>" in html                       # the landing notebook …
        assert "application/vnd.jupyter.widget-view+json" in html            # … executed: its widget tree
        assert '"output_type": "error"' not in html
        assert "static/dash-widgets.js" in html and "window.voila_finish()" in html  # our template, rendered
        # the template's static files come from the package; the full plotly.js from the runtime copy
        status, js = _get(base + "/voila/templates/dash/static/dash-widgets.js")
        assert status == 200 and len(js) > 500_000
        status, plotly_js = _get(base + "/voila/static/plotly.min.js")
        copies = list(installed.cache.rglob("plotly.min.js"))
        assert status == 200 and len(copies) == 1 and len(plotly_js) == copies[0].stat().st_size > 1_000_000
        assert not list(installed.venv.rglob("_shipped/**/plotly.min.js"))  # nothing written into the package

        os.kill(proc.pid, signal.SIGTERM)  # Voila stops and shuts its kernels down
        assert proc.wait(60) == 0, f"serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
        deadline = time.monotonic() + 20
        while _processes_of(installed.venv) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_of(installed.venv) == [], "kernels left running after serve stopped"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for pid in _processes_of(installed.venv):  # kernels of this test's own environment only
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        log.close()
