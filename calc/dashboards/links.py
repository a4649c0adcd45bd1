"""The page's state in its URL: :class:`ShareLink` reads the query string the page was opened with (sent by
the browser once the page is drawn: a preheated kernel runs before any request, so it cannot read it at
start-up), and its "copy link" button always carries the inputs as they are when it is clicked.

Copying the query string the kernel last set (``query``, set at the end of a page's refresh) could copy one older
than what the user sees: a value typed and the button clicked at once (the click takes the focus from the field,
whose new value is sent to the kernel *then*), or a click while the kernel was still sending the previous
change's updates (seen once in the browser tests).  So a click asks the kernel: it sends ``{"type": "link"}``;
the kernel handles a page's messages one after another, so it answers only after every change sent before the
click has been computed (``query`` then holds them), and the browser copies the link it answers with.  With no
answer within ``ANSWER_MS`` (a kernel gone), the button says the copy failed rather than copy an old link.
"""

from __future__ import annotations

from typing import Any, Callable

import anywidget
import traitlets

from calc.widgets import COPY_TEXT_JS

ANSWER_MS = 4_000  # the browser keeps a click's permission to write the clipboard for about 5 s

_ESM = COPY_TEXT_JS + """
function render({ model, el }) {
  // once per page: the link's query string goes to the kernel, which validates and applies it.  Sent again
  // every 0.5 s until the kernel says it has it (a message sent before the page's kernel connection is up can
  // be lost), at most 30 times.
  const query = window.location.search.replace(/^[?]/, "");
  const ask = () => { if (!model.get("received")) model.send({ type: "open", query }); };
  ask();
  let tries = 0;
  const timer = setInterval(() => {
    if (model.get("received") || ++tries > 30) { clearInterval(timer); return; }
    ask();
  }, 500);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "w-link-button jupyter-button widget-button";
  const sync = () => { button.textContent = model.get("label"); };
  sync();
  model.on("change:label", sync);
  const link = (q) => window.location.origin + window.location.pathname + "?" + q;
  model.on("change:query", () => { el.dataset.link = link(model.get("query")); });
  // the kernel's answer to a click: the query of the inputs as they are once everything sent before is computed
  const waiting = new Map();
  model.on("msg:custom", (msg) => {
    if (!msg || msg.type !== "link" || !waiting.has(msg.id)) return;
    waiting.get(msg.id)(typeof msg.query === "string" ? msg.query : null);
    waiting.delete(msg.id);
  });
  let asked = 0;
  const current = () => new Promise((resolve) => {
    const id = ++asked;
    waiting.set(id, resolve);
    model.send({ type: "link", id });
    setTimeout(() => { if (waiting.has(id)) { waiting.delete(id); resolve(null); } }, model.get("answer_ms"));
  });
  button.addEventListener("click", async () => {
    delete el.dataset.copied;
    const q = await current();
    let ok = false;
    if (q !== null) {
      const url = link(q);
      el.dataset.link = url;
      try { window.history.replaceState(null, "", url); } catch (err) { /* a sandboxed frame */ }
      ok = await copyText(url);
    }
    el.dataset.copied = ok ? "yes" : "no";
    button.textContent = ok ? model.get("done") : model.get("failed");
    setTimeout(sync, 2000);
  });
  el.classList.add("w-url");
  el.append(button);
}
export default { render };
"""


class ShareLink(anywidget.AnyWidget):
    """The page's state in its URL: the query string it was opened with, and "copy link" (module docstring)."""

    _esm = _ESM
    query = traitlets.Unicode("").tag(sync=True)
    received = traitlets.Bool(False).tag(sync=True)  # the kernel has the page's own query string
    label = traitlets.Unicode("Copy link").tag(sync=True)
    done = traitlets.Unicode("✓").tag(sync=True)
    failed = traitlets.Unicode("✗").tag(sync=True)
    answer_ms = traitlets.Int(ANSWER_MS).tag(sync=True)

    def __init__(self, on_open: Callable[[str], Any], **kwargs: Any):
        super().__init__(**kwargs)
        self._on_open = on_open
        self.opened = False
        self.on_msg(self._message)

    def _message(self, _widget: Any, content: Any, buffers: list | None = None) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "link":  # a click: the query as it is once every earlier change is computed
            ident = content.get("id")
            self.send({"type": "link", "id": ident if isinstance(ident, int) and not isinstance(ident, bool) else 0,
                       "query": self.query})
            return
        if content.get("type") != "open" or self.opened:
            return  # the first page view only: a later render (or a client's repeat) changes nothing
        self.opened = True
        self.received = True
        query = content.get("query")
        if isinstance(query, str) and query:
            self._on_open(query)
