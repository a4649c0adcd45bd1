"""Voila configuration for serving the dashboards (read by `make run` and the browser tests).

Started as ``voila notebooks --Voila.config_file_paths=deploy`` (the ``voila`` console script: a file
named ``voila.py`` must never sit in the working folder of ``python -m voila``, which it would shadow).
"""

import os
import shutil
from pathlib import Path

import plotly

from calc import jupyter_patch

ROOT = Path(__file__).resolve().parent.parent

# the stall of the asynchronous message wait (../shared/notes/voila-stack.md): poll in short slices
jupyter_patch.apply()
# a preheated kernel handed to a page must not be culled before the page connects
jupyter_patch.apply_voila()

# our template (lab without the Font Awesome CDN links: no external request at all) lives in share/jupyter
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    p for p in (str(ROOT / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")) if p)

# plotly.js for calc.widgets.Chart, served once per browser from the template's static folder: the basic
# bundle (plotly-basic.min.js, committed: what the dashboards' bar and scatter charts need) and the full one,
# /voila/static/plotly.min.js, for other trace types (not committed: copied from the installed plotly, so
# the two always match; tests/test_deploy_config.py checks the basic bundle is of the same version)
_static = ROOT / "share" / "jupyter" / "voila" / "templates" / "dash" / "static"
_plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_static.mkdir(exist_ok=True)
if not (_static / "plotly.min.js").exists() or (_static / "plotly.min.js").stat().st_size != _plotly_js.stat().st_size:
    shutil.copyfile(_plotly_js, _static / "plotly.min.js")

MiB = 1024 * 1024
c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.Voila.ip = "127.0.0.1"
c.Voila.port = int(os.environ.get("DASH_PORT", "8866"))
c.Voila.open_browser = False
c.Voila.tornado_settings = {
    # hard bound of one websocket message: an upload bigger than this drops the socket, so the upload widget
    # refuses files above calc.dashboard.MAX_UPLOAD_BYTES (5 MiB) in the browser and the kernel checks again
    "websocket_max_message_size": 8 * MiB,
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
    "enterprise.ipynb": {"pool_size": int(os.environ.get("DASH_POOL", "2"))},
    "consortium.ipynb": {"pool_size": int(os.environ.get("DASH_POOL", "2"))},
    "budget.ipynb": {"pool_size": int(os.environ.get("DASH_POOL", "2"))},
}
# a page takes a kernel from the pool and the pool starts a replacement: on two cores, starting it at once
# (kernel start-up, imports, the notebook run: ~2 s of CPU, ~0.4 s of it in the server's event loop) slows
# the very page that asked for it by 0.5-1 s.  Refill once that page has been drawn.
c.VoilaKernelManager.fill_delay = float(os.environ.get("DASH_FILL_DELAY", "3"))

# a cell that never finishes is an error after this many seconds, not a page that waits forever
c.VoilaExecutor.timeout = 60

# every page load starts a kernel and closing a tab does not stop it: cull kernels idle with no connection
c.MappingKernelManager.cull_idle_timeout = int(os.environ.get("DASH_CULL_IDLE", "900"))
c.MappingKernelManager.cull_interval = int(os.environ.get("DASH_CULL_INTERVAL", "60"))
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False
