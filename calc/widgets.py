"""The dashboards' small anywidgets: a bounded file upload, a plotly chart and a copy-to-clipboard button.

**Chart.**  plotly's own ``FigureWidget`` ships its 5 MB JavaScript bundle as the ES module of every
figure: each page load sends it again over the websocket and parses it again, and with several sessions
starting at once on two cores its initialisation overran anywidget's 2-second limit ("[anywidget] Failed
to initialize model").  ``Chart`` is a few lines of ES module that draw ``figure`` (plain plotly JSON)
with plotly.js loaded once per page as a static, browser-cached file of the Voila template: plotly.js's
basic bundle (bar, pie, scatter; ``plotly-basic.min.js``, 1.2 MB, committed with its licence, the npm package
``plotly.js-basic-dist-min`` of the version the installed plotly ships) for the dashboards' charts, the
full ``plotly.min.js`` (4.6 MB, copied from the installed plotly by ``deploy/voila.py``) for other traces.
Either is loaded once the page has been drawn, so that the numbers do not wait for it.

**Upload.**

ipywidgets' ``FileUpload`` sends any file over the websocket; past tornado's ``websocket_max_message_size``
the socket silently drops and the callback never runs.  This widget checks the size in the browser first
(a file above ``max_bytes`` is not sent: the kernel is told its name and size so the page can say why), and
the kernel checks again (:func:`calc.dashboards.uploads.load_upload`), since a client can send anything.
It renders a plain ``<input type="file" class="w-upload-input">``, which browser tests can fill directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from calc.dashboards.uploads import MAX_UPLOAD_BYTES, UploadError, size_text

_ESM = """
function render({ model, el }) {
  const label = document.createElement("span");
  label.className = "w-upload-label";
  const input = document.createElement("input");
  input.type = "file";
  input.className = "w-upload-input";
  const status = document.createElement("span");
  status.className = "w-upload-status";
  const sync = () => {
    label.textContent = model.get("label") + " ";
    input.accept = model.get("accept");
    status.textContent = model.get("status");
  };
  sync();
  model.on("change:label", sync);
  model.on("change:status", sync);
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    if (file.size > model.get("max_bytes")) {
      model.send({ type: "too_big", name: file.name, size: file.size });
    } else {
      const buffer = await file.arrayBuffer();
      model.send({ type: "file", name: file.name, size: file.size }, undefined, [buffer]);
    }
    input.value = "";
  });
  el.classList.add("w-upload");
  el.append(label, input, status);
}
export default { render };
"""


_CHART_ESM = """
// Two plotly.js bundles, served by the template: the basic one (bar, pie and scatter traces, 1.2 MB: about
// 0.45 s to load and run on a cold page here) for every figure that needs no more, the full one (4.6 MB,
// about 1.9 s) for the others (the analyst notebook's histograms).
const BASIC_TRACES = new Set(["bar", "pie", "scatter"]);
const bundleFor = (figure) =>
  (figure.data || []).every((t) => BASIC_TRACES.has(t.type || "scatter")) ? "plotly-basic.min.js" : "plotly.min.js";

// plotly.js holds the main thread while it compiles and runs: started while the page's widgets are being
// drawn, it delays the page's numbers by as much (seen: ready at 1.85 s, painted at 3.5 s).  It is
// started once the page is drawn and painted.  The dashboards' own front-end (frontend/src/index.js) says
// when every widget is in the page; elsewhere (Voila's front-end, JupyterLab): no change to the page for
// QUIET_MS and the thread idle, or after MAX_WAIT_MS at the latest.
const QUIET_MS = 150, MAX_WAIT_MS = 4000;
const afterPaint = (resolve) => requestAnimationFrame(() => setTimeout(resolve, 0));
const frontEndDrawn = (front) => new Promise((resolve) => {
  if (front.drawn) afterPaint(resolve);
  else window.addEventListener("dash-widgets-drawn", () => afterPaint(resolve), { once: true });
  setTimeout(resolve, MAX_WAIT_MS);
});
const pageQuiet = () => new Promise((resolve) => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  const idle = (cb) => (window.requestIdleCallback ? window.requestIdleCallback(cb, { timeout: 500 }) : setTimeout(cb, 50));
  const check = () => {
    const now = performance.now();
    if (now - last >= QUIET_MS || now - start >= MAX_WAIT_MS) { observer.disconnect(); resolve(); }
    else setTimeout(() => idle(check), QUIET_MS - (now - last));
  };
  setTimeout(() => idle(check), QUIET_MS);
});
let drawn = null;
const pageDrawn = () => (drawn = drawn || (window.dashWidgets ? frontEndDrawn(window.dashWidgets) : pageQuiet()));

// one script at a time (each bundle sets window.Plotly), each at most once per page
const loaded = {};
let queue = Promise.resolve();
function loadPlotly(url) {
  if (!loaded[url]) {
    loaded[url] = queue = queue.catch(() => {}).then(pageDrawn).then(() => new Promise((resolve, reject) => {
      const amd = window.define;  // plotly.js is UMD: without define it sets window.Plotly
      window.define = undefined;
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => { window.define = amd; resolve(window.Plotly); };
      script.onerror = () => { window.define = amd; delete loaded[url]; reject(new Error("plotly.js not loaded: " + url)); };
      document.head.appendChild(script);
    }));
  }
  return loaded[url];
}

function render({ model, el }) {
  el.classList.add("dash-chart");
  const div = document.createElement("div");
  el.appendChild(div);
  const base = (document.body && document.body.dataset.baseUrl) || "/voila/";
  // the view is ready at once and the figure drawn when its plotly.js has loaded: the page does not wait
  // for it, and a slow load cannot overrun anywidget's limit on render()
  let Plotly = null, disposed = false;
  const draw = () => {
    const figure = model.get("figure") || {};
    const layout = figure.layout || {};
    // until the first figure is drawn, its height is kept: the page does not jump when it comes
    if (!Plotly) div.style.minHeight = layout.height ? layout.height + "px" : "";
    loadPlotly(base + "static/" + bundleFor(figure)).then(
      (P) => {
        if (disposed || model.get("figure") !== figure) return;  // a newer figure draws itself
        if (Plotly && Plotly !== P) Plotly.purge(div);
        Plotly = P;
        Plotly.react(div, figure.data || [], layout, { displayModeBar: false, responsive: true });
        div.style.minHeight = "";  // plotly sizes the figure now: a later, shorter one leaves no gap
      },
      (err) => { div.textContent = String(err); });
  };
  draw();
  model.on("change:figure", draw);
  return () => { disposed = true; model.off("change:figure", draw); if (Plotly) Plotly.purge(div); };
}
export default { render };
"""


class Chart(anywidget.AnyWidget):
    """A plotly figure given as JSON (``{"data": [...], "layout": {...}}``), redrawn when it changes."""

    _esm = _CHART_ESM
    figure = traitlets.Dict().tag(sync=True)


def in_voila() -> bool:
    """Whether this kernel serves a Voila page (Voila sets these variables for its kernels)."""
    return "VOILA_BASE_URL" in os.environ or "VOILA_KERNEL_ID" in os.environ


def show(fig: Any) -> Any:
    """Show a plotly figure: with :class:`Chart` in Voila (whose page loads no plotly extension), with
    ``fig.show()`` anywhere else (plain Jupyter, nbclient)."""
    if not in_voila():
        return fig.show()
    from IPython.display import display

    chart = Chart(figure=json.loads(fig.to_json()))
    display(chart)
    return None


class Upload(anywidget.AnyWidget):
    """File input that calls ``on_file(name, data)`` or ``on_error(UploadError)``."""

    _esm = _ESM
    label = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode(".csv,.xlsx").tag(sync=True)
    max_bytes = traitlets.Int(MAX_UPLOAD_BYTES).tag(sync=True)

    def __init__(self, on_file: Callable[[str, bytes], Any], on_error: Callable[[UploadError], Any], **kwargs: Any):
        super().__init__(**kwargs)
        self._on_file = on_file
        self._on_error = on_error
        self.on_msg(self._message)

    def _message(self, _widget: Any, content: Any, buffers: list | None = None) -> None:
        """A message from the browser: validate everything, since any client can send anything."""
        if not isinstance(content, dict):
            return
        name = str(content.get("name", "upload"))[:120]
        kind = content.get("type")
        if kind == "too_big":
            size = content.get("size")
            size = size if isinstance(size, int) and size >= 0 else self.max_bytes + 1
            self._on_error(UploadError("too_big", size=size_text(size), limit=size_text(self.max_bytes)))
        elif kind == "file":
            if not buffers:
                self._on_error(UploadError("empty", name=name))
                return
            data = bytes(buffers[0])
            if len(data) > self.max_bytes:
                self._on_error(UploadError("too_big", size=size_text(len(data)), limit=size_text(self.max_bytes)))
                return
            self._on_file(name, data)


# Copies text in the browser: the clipboard, or (no permission: an old browser, an insecure origin) the selection
# way.  Shared by the ESMs that copy (CopyButton, calc.dashboards.links.ShareLink).
COPY_TEXT_JS = """
const copyText = async (text) => {
  try { await navigator.clipboard.writeText(text); return true; } catch (err) {
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (err2) { ok = false; }
    area.remove();
    return ok;
  }
};
"""

_COPY_ESM = COPY_TEXT_JS + """
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "w-copy-button jupyter-button widget-button";
  const sync = () => { button.textContent = model.get("label"); button.title = model.get("label"); };
  sync();
  model.on("change:label", sync);
  button.addEventListener("click", async () => {
    const ok = await copyText(model.get("text"));
    el.dataset.copied = ok ? "yes" : "no";
    button.textContent = ok ? model.get("done") : model.get("failed");
    setTimeout(sync, 2000);
    model.send({ type: "copied", ok });
  });
  el.classList.add("w-copy");
  el.append(button);
}
export default { render };
"""


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the clipboard in the browser (the reproduce box, a page's link)."""

    _esm = _COPY_ESM
    text = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Copy").tag(sync=True)
    done = traitlets.Unicode("✓").tag(sync=True)
    failed = traitlets.Unicode("✗").tag(sync=True)
    copied = traitlets.Int(0)   # how many copies the browser reported (not synced: tests and logs read it)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.on_msg(self._message)

    def _message(self, _widget: Any, content: Any, buffers: list | None = None) -> None:
        if isinstance(content, dict) and content.get("type") == "copied" and content.get("ok") is True:
            self.copied += 1


_PRINT_ESM = """
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "w-print-button jupyter-button widget-button";
  const sync = () => { button.textContent = model.get("label"); button.disabled = !model.get("html"); };
  sync();
  model.on("change:label", sync);
  model.on("change:html", sync);
  button.addEventListener("click", () => {
    // the sheet in a window of its own, with its print stylesheet; the browser's dialog offers "Save as PDF"
    const w = window.open("", "_blank");
    if (!w) return;
    w.document.open();
    w.document.write(model.get("html"));
    w.document.close();
    w.focus();
    if (model.get("print")) setTimeout(() => w.print(), 250);
  });
  el.classList.add("w-print");
  el.append(button);
}
export default { render };
"""


class PrintButton(anywidget.AnyWidget):
    """A button that opens ``html`` (a whole document, e.g. the 测算单) in a new window and asks to print it."""

    _esm = _PRINT_ESM
    html = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Print").tag(sync=True)
    print = traitlets.Bool(True).tag(sync=True)  # noqa: A003 - the trait the front-end reads


