"""Uploaded files: bytes → a parsed table, or an :class:`UploadError` that says why in the user's words.

Every bound is :data:`calc.limits.DASHBOARD` (the same reader as the command line's, tighter limits)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from calc.dashboards.words import translate_message, word
from calc.files import InputError, LimitError
from calc.inputs import load_table
from calc.limits import DASHBOARD, Limits, size_text

__all__ = ["MAX_BATCH_ROWS", "MAX_UPLOAD_BYTES", "UploadError", "load_upload", "size_text"]


MAX_UPLOAD_BYTES = DASHBOARD.max_file_bytes  # checked in the browser (upload widget) and again here
MAX_BATCH_ROWS = DASHBOARD.max_rows         # every bound of an upload: calc.limits.DASHBOARD


class UploadError(Exception):
    """An upload that cannot be used; ``message(lang)`` says why in words."""

    # the words: the catalogs' upload section, by key

    def __init__(self, key: str, **fields: Any):
        super().__init__(key)
        self.key = key
        self.fields = fields

    def message(self, lang: str = "zh") -> str:
        fields = dict(self.fields)
        detail = fields.get("detail")
        if detail is not None:
            fields["detail"] = translate_message(str(detail), lang)
        return word("upload", self.key, lang).format(**fields)

    def __str__(self) -> str:
        return self.message("en")


def load_upload(name: Any, data: Any, table: str = "enterprises", *, max_bytes: int | None = None,
                max_rows: int | None = None, limits: Limits = DASHBOARD):
    """Parse an uploaded file (bytes) into a ParsedInput, or raise :class:`UploadError` with a readable reason.

    Every bound is ``limits`` (:data:`calc.limits.DASHBOARD`, the same reader as the command line's);
    ``max_bytes`` / ``max_rows`` change those two."""
    limits = limits.replace(**{k: v for k, v in (("max_file_bytes", max_bytes), ("max_rows", max_rows)) if v})
    name = str(name or "upload")[:120]
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UploadError("broken", name=name, detail="no file content")
    data = bytes(data)
    if len(data) > limits.max_file_bytes:
        raise UploadError("too_big", size=size_text(len(data)), limit=size_text(limits.max_file_bytes))
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UploadError("type", name=name)
    if not data.strip():
        raise UploadError("empty", name=name)
    with tempfile.TemporaryDirectory(prefix="dash-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            parsed = load_table(str(path), table, limits=limits)
        except LimitError as exc:
            if exc.bound == "rows":
                raise UploadError("too_many_rows" if exc.found else "too_many_rows_over", rows=exc.found,
                                  limit=exc.limit) from None
            if exc.bound in ("file", "xlsx_unpacked", "shared_strings"):
                raise UploadError("too_big", size=size_text(exc.found), limit=size_text(exc.limit)) from None
            raise UploadError("input", name=name, detail=str(exc).replace(str(path), name)) from None
        except InputError as exc:
            raise UploadError("input", name=name, detail=str(exc).replace(str(path), name)) from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is a broken file to the user
            raise UploadError("broken", name=name, detail=type(exc).__name__) from None
    if len(parsed.frame) + parsed.bad_row_count == 0:
        raise UploadError("no_rows", name=name)
    return parsed
