"""A bounded file upload widget for the dashboards (anywidget).

ipywidgets' ``FileUpload`` sends any file over the websocket; past tornado's ``websocket_max_message_size``
the socket silently drops and the callback never runs.  This widget checks the size in the browser first
(a file above ``max_bytes`` is not sent: the kernel is told its name and size so the page can say why), and
the kernel checks again (:func:`calc.dashboard.load_upload`), since a client can send anything.
It renders a plain ``<input type="file" class="w-upload-input">``, which browser tests can fill directly.
"""

from __future__ import annotations

from typing import Any, Callable

import anywidget
import traitlets

from calc.dashboard import MAX_UPLOAD_BYTES, UploadError, size_text

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
