"""The pages' "copy link" button: the link always carries the inputs as they are when it is clicked.

:class:`calc.widgets.UrlState` copies the query string the kernel last set (``query``).  Set at the end of a
page's refresh, it could be older than what the user sees: a value typed and the button clicked at once (the
click takes the focus from the field, whose new value is sent to the kernel *then*), or a click while the
kernel was still sending the previous change's updates, copied a link without the latest value (seen once in
the browser tests).  :class:`ShareLink` asks the kernel instead: a click sends ``{"type": "link"}``; the kernel
handles a page's messages one after another, so it answers only after every change sent before the click has
been computed (``query`` then holds them), and the browser copies the link it answers with.  With no answer
within ``ANSWER_MS`` (a kernel gone), the button says the copy failed rather than copy an old link.
"""

from __future__ import annotations

from typing import Any

import traitlets

from calc.widgets import UrlState

ANSWER_MS = 4_000  # the browser keeps a click's permission to write the clipboard for about 5 s

_ESM = """
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
  const copy = async (url) => {
    try { await navigator.clipboard.writeText(url); return true; } catch (err) {
      const area = document.createElement("textarea");
      area.value = url; area.style.position = "fixed"; area.style.opacity = "0";
      document.body.appendChild(area); area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (err2) { ok = false; }
      area.remove();
      return ok;
    }
  };
  button.addEventListener("click", async () => {
    delete el.dataset.copied;
    const q = await current();
    let ok = false;
    if (q !== null) {
      const url = link(q);
      el.dataset.link = url;
      try { window.history.replaceState(null, "", url); } catch (err) { /* a sandboxed frame */ }
      ok = await copy(url);
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


class ShareLink(UrlState):
    """:class:`calc.widgets.UrlState` whose "copy link" asks the kernel for the current query (module docstring)."""

    _esm = _ESM
    answer_ms = traitlets.Int(ANSWER_MS).tag(sync=True)

    def _message(self, widget: Any, content: Any, buffers: list | None = None) -> None:
        if isinstance(content, dict) and content.get("type") == "link":
            ident = content.get("id")
            self.send({"type": "link", "id": ident if isinstance(ident, int) and not isinstance(ident, bool) else 0,
                       "query": self.query})
            return
        super()._message(widget, content, buffers)
