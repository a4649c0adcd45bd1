"""Voila configuration for serving the dashboards (read by `make run`, `python -m calc serve` and the browser tests).

Started as ``python -m calc serve`` (``calc/serve.py``: Voila's own entry point, in-process, with
``--Voila.config_file_paths=<this folder>``), or as ``voila notebooks --Voila.config_file_paths=deploy`` (the
``voila`` console script: a file named ``voila.py`` must never sit in the working folder of ``python -m voila``,
which it would shadow).  The folders come from ``calc.resources``: the repository's in a checkout, ``calc/_shipped``
in an installed package.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import jinja2
import plotly

from calc import jupyter_patch, resources, serve

ROOT = resources.ROOT  # the repository's top in a checkout, calc/_shipped in an installed package

# the stall of the asynchronous message wait: poll in short slices
jupyter_patch.apply()
# a preheated kernel handed to a page must not be culled before the page connects
jupyter_patch.apply_voila()

# plotly.js for calc.widgets.Chart, served once per browser from the template's static folder: the basic
# bundle (plotly-basic.min.js, committed: what the dashboards' bar and scatter charts need) and the full one,
# /voila/static/plotly.min.js, for other trace types (not committed: copied from the installed plotly, so
# the two always match; tests/test_deploy_config.py checks the basic bundle is of the same version).
# In a checkout the copy goes into the template's own static folder (gitignored).  An installed package is
# not written to (site-packages may be read-only, and a file pip did not install would outlive an uninstall):
# the copy goes into a cache folder laid out as a Jupyter data folder, added to JUPYTER_PATH after the package's
# templates, whose static folders Voila searches in turn.
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_STATIC = Path("voila") / "templates" / "dash" / "static"


def _runtime_jupyter_path() -> Path:
    """A writable folder outside the package for plotly.min.js: $XDG_CACHE_HOME (or ~/.cache), else the
    temporary folder; one per plotly version, so installs with different plotly versions do not fight."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    user = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
    tried = []
    for base in (Path(cache) / "sti-subsidy-calc", Path(tempfile.gettempdir()) / f"sti-subsidy-calc{user}"):
        folder = base / f"plotly-{plotly.__version__}" / "jupyter"
        try:
            (folder / _STATIC).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            tried.append(f"{folder}: {exc.strerror}")
            continue
        if os.access(folder / _STATIC, os.W_OK):
            return folder
        tried.append(f"{folder}: not writable")
    raise OSError("no writable folder for plotly.min.js (" + "; ".join(tried) + ")")


def _copy_plotly_js(static: Path) -> None:
    """Copy plotly.min.js into ``static`` unless an identical-sized copy is there; a server starting at the same
    moment never sees half a file (written aside, then renamed)."""
    target = static / "plotly.min.js"
    if target.exists() and target.stat().st_size == _PLOTLY_JS.stat().st_size:
        return
    static.mkdir(parents=True, exist_ok=True)
    part = static / f".plotly.min.js.{os.getpid()}.part"
    shutil.copyfile(_PLOTLY_JS, part)
    os.replace(part, target)


_jupyter_paths = [resources.JUPYTER_PATH]  # our templates (dash, dash-full), first
if resources.INSTALLED:
    _jupyter_paths.append(_runtime_jupyter_path())
_copy_plotly_js(_jupyter_paths[-1] / _STATIC)

# our templates (lab without the Font Awesome CDN links: no external request at all) live in share/jupyter
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    p for p in (*map(str, _jupyter_paths), os.environ.get("JUPYTER_PATH", "")) if p)

MiB = 1024 * 1024
# every number below that a deployment may change comes from a DASH_* variable, range-checked by
# calc.serve.setting (`python -m calc serve` checks them all before starting: a bad value is exit 2)
POOL = serve.setting("DASH_POOL")
c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.Voila.ip = "127.0.0.1"
c.Voila.port = int(os.environ.get("DASH_PORT", "8866"))
c.Voila.open_browser = False
c.Voila.tornado_settings = {
    # hard bound of one websocket message: an upload bigger than this drops the socket, so the upload widget
    # refuses files above calc.dashboards.uploads.MAX_UPLOAD_BYTES (5 MiB) in the browser and the kernel checks again
    "websocket_max_message_size": 8 * MiB,
    # a page gone without closing its websocket (a dropped network, a suspended laptop: no FIN ever arrives)
    # is noticed by its missing pongs: pinged every DASH_WS_PING s, dropped after DASH_WS_TIMEOUT s without a
    # pong (jupyter_server's defaults, 30 s and 90 s, would add two minutes before the cull below could start)
    "ws_ping_interval": 1000 * serve.setting("DASH_WS_PING"),
    "ws_ping_timeout": 1000 * serve.setting("DASH_WS_TIMEOUT"),
    "headers": {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"},
}

c.VoilaConfiguration.template = "dash"
c.VoilaConfiguration.strip_sources = True           # the default, said out loud
c.VoilaConfiguration.show_tracebacks = False
# a URL cannot choose a template; a notebook's own metadata can (analyst.ipynb uses dash-full), and only the
# notebooks of this repository are served
c.VoilaConfiguration.allow_template_override = "NOTEBOOK"
c.VoilaConfiguration.allow_theme_override = "NO"
c.VoilaConfiguration.file_allowlist = []             # no file of the repository is served
# front-end extensions the pages do not use: jupyterlab-plotly alone is a 4.8 MB script parsed on every page
# load (the charts are calc.widgets.Chart, with plotly.js loaded only where a chart is drawn)
c.VoilaConfiguration.extension_denylist = ["jupyterlab-plotly", "jupyterlab_pygments"]
c.VoilaConfiguration.file_denylist = [r".*"]

# preheated kernels: each dashboard is executed before it is asked for (pools are per notebook)
c.VoilaConfiguration.preheat_kernel = True
c.VoilaKernelManager.kernel_pools_config = {
    "default": {"pool_size": 1},
    "enterprise.ipynb": {"pool_size": POOL},
    "consortium.ipynb": {"pool_size": POOL},
    "budget.ipynb": {"pool_size": POOL},
    # two for the analyst notebook: with one, a visitor arriving while the taken kernel's replacement starts
    # (3 s after it is taken, ~3.5 s to start) waits for the notebook to run (first render measured 4.1-4.5 s)
    "analyst.ipynb": {"pool_size": 2},
}
POOLED = 3 * POOL + 3  # the three dashboards' pools, one for the landing page and two for the analyst notebook
# a page takes a kernel from the pool and the pool starts a replacement: on two cores, starting it at once
# (kernel start-up, imports, the notebook run: ~2 s of CPU, ~0.4 s of it in the server's event loop) slows
# the very page that asked for it by 0.5-1 s.  Refill once that page has been drawn.
c.VoilaKernelManager.fill_delay = float(serve.setting("DASH_FILL_DELAY"))

# a cell that never finishes is an error after this many seconds, not a page that waits forever
c.VoilaExecutor.timeout = 60

# Kernels of pages gone without an unload event (a crashed tab, a dropped network, a script that fetched the
# page) are shut down within about two minutes: jupyter_server's culler (it works in standalone Voila: the
# kernel manager is a MappingKernelManager) shuts down a kernel idle for DASH_CULL_IDLE s with no websocket
# connected, checking every DASH_CULL_INTERVAL s: 60 + 10 s after the page's last message, or after its socket
# is found dead (DASH_WS_TIMEOUT above) if that is later, plus its own shutdown (calc.jupyter_patch checks and
# shuts the kernels of one pass down all at once).  Measured under load: benchmarks/load_test.py, README
# "Dashboards".
# A page still open is never culled (cull_connected False), however long its reader thinks, nor its kernel while
# busy (a long upload: cull_busy False) — but see DASH_CULL_UNCONNECTED below for a busy kernel with no page.
# The preheated kernels waiting in a pool are spared (Voila's cull_kernel_if_idle), and one handed to a page
# is marked active at hand-over (calc.jupyter_patch): the page has DASH_CULL_IDLE s to connect.
# A kernel with no page connected that stays busy (its page gone while a callback ran, or a kernel whose "idle"
# the server never saw) is never idle: each pass of the same culler also shuts down a page's kernel that has had
# no websocket for DASH_CULL_UNCONNECTED s, whatever its state (calc.serve.cull_unconnected; a busy one is
# killed): 60 s after its page's socket closed, or was found dead, plus at most one interval.  Seen before:
# one abandoned budget page's kernel, busy, alive until the server stopped.
serve.cull_unconnected(serve.setting("DASH_CULL_UNCONNECTED"))
c.MappingKernelManager.cull_idle_timeout = serve.setting("DASH_CULL_IDLE")
c.MappingKernelManager.cull_interval = serve.setting("DASH_CULL_INTERVAL")
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False

# At most MAX_KERNELS kernels serve pages at once; a page asked for beyond that is answered at once with
# HTTP 503 and templates/dash/busy.html.j2 (zh/en, "try again in a moment", Retry-After) instead of one more
# kernel.  By default from the memory this server may plan with (calc.serve.memory_mb: the memory available at
# start-up, or the control group's limit): 3/4 of it, less the server and the pooled kernels, divided by
# KERNEL_MB.  KERNEL_MB = 400 MB: a kernel measured 180 MB idle, about 300 MB on average while 20 users worked
# the pages, and up to 571 MB for a budget page worked for minutes (benchmarks/load_test.py, README
# "Dashboards"); the server itself ~300 MB under load.
KERNEL_MB = serve.setting("DASH_KERNEL_MB")
MAX_KERNELS = serve.setting("DASH_MAX_KERNELS") or serve.default_max_kernels(
    serve.memory_mb(), kernel_mb=KERNEL_MB, pooled=POOLED, server_mb=300, share=0.75)
BUSY_RETRY_AFTER = 30  # seconds: the busy page's Retry-After and its own reload
_busy = (resources.JUPYTER_PATH / "voila" / "templates" / "dash" / "busy.html.j2").read_text(encoding="utf-8")
jupyter_patch.apply_kernel_cap(
    MAX_KERNELS, jinja2.Template(_busy, autoescape=True).render(retry_after=BUSY_RETRY_AFTER), BUSY_RETRY_AFTER)
# said once in the server's log: the bound in effect (benchmarks/load_test.py reads it)
print(f"[dash] at most {MAX_KERNELS} page kernels at once "
      f"({'DASH_MAX_KERNELS' if serve.setting('DASH_MAX_KERNELS') else f'from {serve.memory_mb()} MB of memory'}); "
      f"{POOLED} preheated", file=sys.stderr, flush=True)
