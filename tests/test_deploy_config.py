"""deploy/voila.py: the deployment settings Voila is started with."""

from __future__ import annotations

import hashlib
import json
import os
import re
import runpy
import tempfile
from pathlib import Path

import plotly.offline
import pytest
from traitlets.config import Config

import calc.resources
from calc import jupyter_patch, serve
from calc.limits import DASHBOARD

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "share" / "jupyter" / "voila" / "templates"
STATIC = TEMPLATES / "dash" / "static"


def load_config() -> Config:
    config = Config()
    runpy.run_path(str(ROOT / "deploy" / "voila.py"), init_globals={"get_config": lambda: config})
    return config


def test_deployment_settings():
    jupyter_patch.remove()
    c = load_config()
    assert jupyter_patch.applied()  # the stall workaround is installed in the server process
    jupyter_patch.remove()
    # the render handler sets the _xsrf cookie a closed page's shutdown beacon needs (once, however often applied)
    import voila.handler
    prepare = voila.handler.VoilaHandler.prepare
    assert hasattr(prepare, "__wrapped__") and not hasattr(prepare.__wrapped__, "__wrapped__")
    assert c.Voila.ip == "127.0.0.1"
    assert 0 < c.VoilaExecutor.timeout <= 120
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.show_tracebacks is False
    # no URL chooses a template; only a served notebook's own metadata may (and only ours are served)
    assert c.VoilaConfiguration.allow_template_override == "NOTEBOOK"
    assert c.VoilaConfiguration.allow_theme_override == "NO"
    assert c.VoilaConfiguration.file_allowlist == [] and c.VoilaConfiguration.file_denylist == [r".*"]
    assert c.VoilaConfiguration.preheat_kernel is True
    # every dashboard has preheated kernels waiting; the analyst notebook two (its first render waited for a
    # kernel when one visitor followed another within the single one's refill)
    pools = c.VoilaKernelManager.kernel_pools_config
    assert all(pools[n]["pool_size"] >= 1 for n in ("enterprise.ipynb", "consortium.ipynb", "budget.ipynb"))
    assert pools["analyst.ipynb"]["pool_size"] == 2
    # a page's replacement kernel starts after the page is drawn, not while it is drawn
    assert c.VoilaKernelManager.fill_delay >= 1
    assert c.MappingKernelManager.cull_idle_timeout > 0 and c.MappingKernelManager.cull_interval > 0
    assert c.MappingKernelManager.cull_connected is False
    # the browser refuses files above the dashboards' upload limit; the websocket bound is above it
    assert c.Voila.tornado_settings["websocket_max_message_size"] > DASHBOARD.max_file_bytes


BOUND = 120  # seconds: "kernels with no connected page are shut down within about 2 minutes" (issue 14)


def test_the_deployed_culling_shuts_abandoned_kernels_down_within_two_minutes(monkeypatch):
    for name in serve.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    c = load_config()
    jupyter_patch.remove()
    km, ws = c.MappingKernelManager, c.Voila.tornado_settings
    # the deployed defaults: idle 60 s, checked every 10 s; websockets pinged every 10 s, gone after 30 s
    assert (km.cull_idle_timeout, km.cull_interval) == (60, 10)
    assert (ws["ws_ping_interval"], ws["ws_ping_timeout"]) == (10_000, 30_000)
    # a page closed without unload (its socket closed by the OS): culled at most idle + interval after its
    # last message
    assert km.cull_idle_timeout + km.cull_interval <= BOUND
    # a page gone silently (a dropped network): its socket is found dead after at most timeout + one ping
    # interval, then the cull as above, counted from its last message (which is older)
    found_dead = (ws["ws_ping_timeout"] + ws["ws_ping_interval"]) / 1000
    assert max(found_dead, km.cull_idle_timeout) + km.cull_interval <= BOUND
    # an open page is never culled, a busy kernel neither
    assert km.cull_connected is False and km.cull_busy is False
    # a page has the whole idle time to connect to the kernel it was handed: longer than a slow first render
    assert km.cull_idle_timeout >= 60


def test_the_culling_and_the_cap_are_configurable(monkeypatch):
    monkeypatch.setenv("DASH_CULL_IDLE", "20")
    monkeypatch.setenv("DASH_CULL_INTERVAL", "5")
    monkeypatch.setenv("DASH_MAX_KERNELS", "3")
    monkeypatch.setenv("DASH_WS_PING", "2")
    c = load_config()
    jupyter_patch.remove()
    assert (c.MappingKernelManager.cull_idle_timeout, c.MappingKernelManager.cull_interval) == (20, 5)
    assert c.Voila.tornado_settings["ws_ping_interval"] == 2000
    assert jupyter_patch.CAP.max_kernels == 3


def test_the_deployed_cap_comes_from_the_memory(monkeypatch):
    for name in serve.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(serve, "memory_mb", lambda: 24_000)
    load_config()
    jupyter_patch.remove()
    # 3/4 of 24,000 MB, less the server (300 MB) and the 9 pooled kernels (2 per dashboard, 1 for the landing page
    # and 2 for the analyst notebook) at 400 MB each: (18,000 - 300 - 3,600) // 400 = 35 page kernels
    assert jupyter_patch.CAP.max_kernels == 35
    monkeypatch.setattr(serve, "memory_mb", lambda: 2_000)  # a small machine: (1,500 - 300 - 3,600) < 0 → 1
    load_config()
    jupyter_patch.remove()
    assert jupyter_patch.CAP.max_kernels == 1
    # the busy page: both languages, HTTP 503's Retry-After echoed in its text, nothing fetched from anywhere
    busy = jupyter_patch.CAP.busy_html
    assert "服务器繁忙，请稍后再试" in busy and "The server is busy: please try again in a moment" in busy
    assert jupyter_patch.CAP.retry_after == 30 and 'content="30"' in busy and "30 秒后" in busy
    assert "<script" not in busy and "://" not in busy and "{{" not in busy


def test_default_max_kernels_at_its_edges():
    kw = dict(kernel_mb=250, pooled=8, server_mb=300, share=0.75)
    # exactly one kernel's room: (memory * 3/4) - 300 - 2000 = 250 → 1; 4/3 MB less → 0 → still 1; 250 more → 2
    assert serve.default_max_kernels(3_400, **kw) == 1
    assert serve.default_max_kernels(3_399, **kw) == 1
    assert serve.default_max_kernels(3_734, **kw) == 2   # 2800 - 2300 = 500 → 2
    assert serve.default_max_kernels(3_733, **kw) == 1   # 2799 - 2300 = 499 → 1
    assert serve.default_max_kernels(None, **kw) == 20   # no /proc: a fixed, modest cap


def test_memory_is_read_from_proc_and_the_control_group(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683520 kB\nMemFree:  1 kB\nMemAvailable:   23842816 kB\n")
    assert serve._meminfo_mb(str(meminfo)) == {"MemTotal": 24105, "MemAvailable": 23284}
    assert serve._meminfo_mb(str(tmp_path / "none")) == {}
    v2, v1 = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    v2.write_text("max\n")
    v1.write_text(str(2**63 - 4096))  # cgroup v1 without a limit
    assert serve._cgroup_limit_mb((str(v2), str(v1))) is None
    v2.write_text(str(4 * 1024**3))
    assert serve._cgroup_limit_mb((str(v2), str(v1))) == 4096


@pytest.mark.parametrize("name,value,message", [
    ("DASH_CULL_IDLE", "abc", "DASH_CULL_IDLE (seconds a kernel with no page connected may stay idle) wants a whole "
                              "number from 5 to 86,400, got 'abc'"),
    ("DASH_CULL_IDLE", "4", "from 5 to 86,400, got '4'"),
    ("DASH_MAX_KERNELS", "0", "DASH_MAX_KERNELS (kernels serving pages at once) wants a whole number from 1"),
    ("DASH_MAX_KERNELS", "2.5", "got '2.5'"),
    ("DASH_MAX_KERNELS", "nan", "got 'nan'"),
    ("DASH_POOL", "-1", "from 0 to 50"),
])
def test_a_bad_setting_is_named(name, value, message):
    with pytest.raises(ValueError) as info:
        serve.setting(name, {name: value})
    assert message in str(info.value)


def test_settings_at_their_edges():
    assert serve.setting("DASH_CULL_IDLE", {"DASH_CULL_IDLE": "5"}) == 5
    assert serve.setting("DASH_CULL_IDLE", {"DASH_CULL_IDLE": " 86400 "}) == 86_400
    assert serve.setting("DASH_MAX_KERNELS", {"DASH_MAX_KERNELS": "1"}) == 1
    assert serve.setting("DASH_MAX_KERNELS", {}) is None  # computed from the memory
    assert serve.setting("DASH_CULL_IDLE", {"DASH_CULL_IDLE": ""}) == 60


def test_templates_have_no_external_asset():
    lean = (TEMPLATES / "dash" / "index.html.j2").read_text()
    # the dashboards' template replaces the lab template's whole CSS block: no CDN link, no nbconvert index.css
    assert "super()" not in lean and "cdn." not in lean and 'include_css("static/index.css")' not in lean
    full = (TEMPLATES / "dash-full" / "index.html.j2").read_text()
    # the analyst notebook's template is the dashboards' one plus the notebook CSS's prose and table rules
    assert "extends 'voila/templates/dash/index.html.j2'" in full and "cdn." not in full and "http" not in full
    assert "include_css(\"static/index.css\")" not in full and "voila_setup_labextensions" not in full


FRONTEND = ROOT / "frontend"


def frontend_fingerprint() -> str:
    """What frontend/build.mjs writes in the bundle's banner: sha256 over its inputs, each as
    ``name NUL content NUL``, in this order."""
    inputs = ["build.mjs", "package.json", "package-lock.json"] + [
        f"src/{p.name}" for p in sorted((FRONTEND / "src").iterdir(), key=lambda p: p.name)]
    h = hashlib.sha256()
    for name in inputs:
        h.update(name.encode() + b"\0" + (FRONTEND / name).read_bytes() + b"\0")
    return h.hexdigest()


def test_the_dashboards_front_end_is_built_from_its_sources():
    # the committed bundle is the build of the committed sources: a change to frontend/ without
    # `npm ci && npm run build` (frontend/README.md) fails here
    expected = frontend_fingerprint()
    for name in ("dash-widgets.js", "dash-widgets.css"):
        banner = (STATIC / name).read_text(encoding="utf-8")[:300]
        found = re.search(r"inputs sha256 ([0-9a-f]{64})", banner)
        assert found and found.group(1) == expected, f"{name} was not built from frontend/ as committed"
    licences = (STATIC / "dash-widgets.LICENSES.txt").read_text(encoding="utf-8")
    for package in ("@jupyter-widgets/controls", "@jupyterlab/services", "@lumino/widgets", "jquery"):
        assert f"\n{package} " in licences
    # the bundle is the point: well under Voila's ~4.5 MB of front-end JavaScript
    assert (STATIC / "dash-widgets.js").stat().st_size < 1_500_000


def test_the_dashboards_template_draws_with_the_light_front_end():
    lean = (TEMPLATES / "dash" / "index.html.j2").read_text()
    assert 'include_js("static/dash-widgets.js")' in lean and 'include_css("static/dash-widgets.css")' in lean
    # Voila's own front-end (voila.js and the JupyterLab extensions it loads) is not on the page
    body_footer = lean.split("{%- block body_footer -%}")[1]
    assert "voila_setup_labextensions" not in body_footer and "super()" not in body_footer


def test_notebooks_choose_existing_templates():
    # the analyst notebook (prose, DataFrame tables) adds nbconvert's prose and table rules to dash (dash-full)
    chosen = {p.name: json.loads(p.read_text())["metadata"].get("voila", {}).get("template", "dash")
              for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert chosen["analyst.ipynb"] == "dash-full"
    assert all(chosen[n] == "dash" for n in ("index.ipynb", "enterprise.ipynb", "consortium.ipynb", "budget.ipynb"))
    assert all((TEMPLATES / t / "index.html.j2").exists() for t in chosen.values())
    # dash-full builds on dash, so plotly.min.js (in dash/static) is served to the analyst page too
    assert json.loads((TEMPLATES / "dash-full" / "conf.json").read_text())["base_template"] == "dash"


def test_plotly_js_is_served_from_the_template():
    load_config()
    jupyter_patch.remove()
    served = STATIC / "plotly.min.js"
    assert served.stat().st_size > 1_000_000


PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _static_files() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in STATIC.iterdir()}


@pytest.mark.parametrize("cache", ["writable", "not a folder"])
def test_an_installed_package_copies_plotly_js_outside_itself(monkeypatch, tmp_path, cache):
    # installed (calc/_shipped, perhaps read-only): the template's folder is not written to; plotly.min.js goes
    # to $XDG_CACHE_HOME (else the temporary folder), laid out as a Jupyter data folder put on JUPYTER_PATH
    # after the package's templates, so that Voila serves it as /voila/static/plotly.min.js
    monkeypatch.setattr(calc.resources, "INSTALLED", True)
    monkeypatch.setenv("JUPYTER_PATH", "")
    if cache == "writable":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    else:
        (tmp_path / "cache").write_text("")  # a file where the cache folder should be
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
        (tmp_path / "tmp").mkdir()
    before = _static_files()
    load_config()
    jupyter_patch.remove()
    copies = list(tmp_path.rglob("plotly.min.js"))
    assert len(copies) == 1 and copies[0].read_bytes() == PLOTLY_JS.read_bytes()
    runtime = copies[0].parents[4]  # <runtime>/voila/templates/dash/static/plotly.min.js
    assert os.environ["JUPYTER_PATH"].split(os.pathsep) == [str(calc.resources.JUPYTER_PATH), str(runtime)]
    assert runtime.is_relative_to(tmp_path / ("cache" if cache == "writable" else "tmp"))
    assert _static_files() == before  # the template's own folder untouched
    assert not [p for p in copies[0].parent.iterdir() if p.name != "plotly.min.js"]  # no half-written copy left


def test_the_basic_plotly_bundle_matches_the_installed_plotly():
    # the committed basic bundle must draw the JSON that the installed plotly writes: same plotly.js version
    basic = STATIC / "plotly-basic.min.js"
    header = basic.read_text(encoding="utf-8")[:200]
    assert f"plotly.js (basic - minified) v{plotly.offline.get_plotlyjs_version()}" in header
    assert (STATIC / "plotly-basic.LICENSE").read_text().startswith("MIT License")


def test_the_plotly_front_end_extension_is_not_loaded():
    c = load_config()
    jupyter_patch.remove()
    assert "jupyterlab-plotly" in c.VoilaConfiguration.extension_denylist
