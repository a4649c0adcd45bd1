"""deploy/voila.py: the deployment settings Voila is started with."""

from __future__ import annotations

import runpy
from pathlib import Path

from traitlets.config import Config

from calc import dashboard as D
from calc import jupyter_patch

ROOT = Path(__file__).resolve().parent.parent


def load_config() -> Config:
    config = Config()
    runpy.run_path(str(ROOT / "deploy" / "voila.py"), init_globals={"get_config": lambda: config})
    return config


def test_deployment_settings():
    jupyter_patch.remove()
    c = load_config()
    assert jupyter_patch.applied()  # the stall workaround is installed in the server process
    jupyter_patch.remove()
    assert c.Voila.ip == "127.0.0.1"
    assert 0 < c.VoilaExecutor.timeout <= 120
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.VoilaConfiguration.allow_template_override == "NO"
    assert c.VoilaConfiguration.allow_theme_override == "NO"
    assert c.VoilaConfiguration.file_allowlist == [] and c.VoilaConfiguration.file_denylist == [r".*"]
    assert c.VoilaConfiguration.preheat_kernel is True
    # every dashboard (not the landing page or the analyst notebook) has preheated kernels waiting
    pools = c.VoilaKernelManager.kernel_pools_config
    assert all(pools[n]["pool_size"] >= 1 for n in ("enterprise.ipynb", "consortium.ipynb", "budget.ipynb"))
    assert c.MappingKernelManager.cull_idle_timeout > 0 and c.MappingKernelManager.cull_interval > 0
    assert c.MappingKernelManager.cull_connected is False
    # the browser refuses files above MAX_UPLOAD_BYTES; the websocket bound is above it
    assert c.Voila.tornado_settings["websocket_max_message_size"] > D.MAX_UPLOAD_BYTES


def test_template_has_no_external_asset():
    template = (ROOT / "share" / "jupyter" / "voila" / "templates" / "dash" / "index.html.j2").read_text()
    assert "replace(" in template and "data:text/css," in template


def test_plotly_js_is_served_from_the_template():
    load_config()
    jupyter_patch.remove()
    served = ROOT / "share" / "jupyter" / "voila" / "templates" / "dash" / "static" / "plotly.min.js"
    assert served.stat().st_size > 1_000_000


def test_the_plotly_front_end_extension_is_not_loaded():
    c = load_config()
    jupyter_patch.remove()
    assert "jupyterlab-plotly" in c.VoilaConfiguration.extension_denylist
