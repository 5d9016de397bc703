"""Uploaded files: checked by content, size-limited, stored outside the web root under new names.

The browser's file name and Content-Type are not trusted: the kind of file is read from its
first bytes (``filetype``) and must be one the field's ``accept`` list allows. Files are written
to ``<data dir>/uploads/`` as ``<random>.<kind>``; the applicant's file name is kept only in the
database, for display. Nothing here serves files inline: ``send_upload`` always sends an
attachment with a sandboxing CSP, for the staff console.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import g, has_request_context, send_from_directory

from .private_files import opener, private_dir
from .storage.core import translated

CHUNK = 64 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04",)

# accept name (as editors write it) -> kinds, as detected from content, that satisfy it.
KINDS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",), "jpg": ("jpg",), "jpeg": ("jpg",), "png": ("png",), "gif": ("gif",),
    "webp": ("webp",), "bmp": ("bmp",), "tif": ("tif",), "tiff": ("tif",), "heic": ("heic",),
    "doc": ("doc",), "docx": ("docx",), "xls": ("xls",), "xlsx": ("xlsx",), "ppt": ("ppt",),
    "pptx": ("pptx",), "odt": ("odt",), "ods": ("ods",), "odp": ("odp",), "rtf": ("rtf",),
    "zip": ("zip",), "rar": ("rar",), "7z": ("7z",),
    "ofd": ("ofd",), "txt": ("txt",), "csv": ("csv",),
}
# Container formats whose exact kind content sniffing cannot always tell apart; the file's
# extension decides among the members of the container it really is.
OLE_KINDS = ("doc", "xls", "ppt")
ZIP_KINDS = ("docx", "xlsx", "pptx", "odt", "ods", "odp", "ofd", "zip")
TEXT_KINDS = ("txt", "csv")
CONTENT_TYPES = {
    "pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "bmp": "image/bmp", "tif": "image/tiff", "heic": "image/heic",
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation", "rtf": "application/rtf",
    "zip": "application/zip", "rar": "application/vnd.rar", "7z": "application/x-7z-compressed",
    "ofd": "application/ofd", "txt": "text/plain", "csv": "text/csv",
}


class UploadRejected(Exception):
    """The file may not be kept; ``key`` names the message in forms.MESSAGES."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Received:
    """A file that passed every check and now sits in the uploads folder."""
    field_id: str
    original_name: str
    stored_name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def unknown_accepts(accept: list[str]) -> list[str]:
    return [a for a in accept if a.lower().lstrip(".") not in KINDS]


def accept_label(accept: list[str]) -> str:
    return "、".join(a.upper() for a in accept)


# Characters never kept in a file name: control (Cc), format (Cf: bidi overrides, zero-width
# joiners, soft hyphens ...), line and paragraph separators, unassigned and private-use ones.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})


def strip_invisible(text: str) -> str:
    """``text`` without the characters that change how the rest reads (see INVISIBLE_CATEGORIES)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)


def safe_name(name: str) -> str:
    """The applicant's file name, reduced to something safe to show and to put in a header.

    Invisible characters go (``a\\u202Efdp.html`` shows as "almth.pdf"), so do
    folders and characters that file systems refuse. The extension staff see and save with
    is not this name's but the detected kind's: see ``download_name``.
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'["<>|:*?]', "", strip_invisible(name)).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:8]) if dot else name[:120]
    return name or "未命名文件"


def download_name(original: str, kind: str) -> str:
    """What staff see and save a file as: the applicant's name with the extension of the kind
    *detected* from the content (``a.html`` holding a PDF downloads as ``a.pdf``)."""
    name = safe_name(original)
    ext = kind if kind in CONTENT_TYPES else "bin"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .") or "附件"
    if stem.lower().endswith("." + ext):  # 'a.pdf.html' -> 'a.pdf', not 'a.pdf.pdf'
        return stem
    return f"{stem}.{ext}"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def detect(head: bytes, name: str) -> str | None:
    """The kind of file these first bytes start, or None when we cannot tell."""
    ext = _extension(name)
    guess = filetype.guess(head)
    if guess is not None:
        kind = guess.extension
        if kind == "zip" and ext in ZIP_KINDS:
            return ext
        return kind
    if head.startswith(OLE):
        return ext if ext in OLE_KINDS else "ole"
    if head.startswith(ZIP):
        return ext if ext in ZIP_KINDS else "zip"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _is_text(head):
        return ext if ext in TEXT_KINDS else "txt"
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start >= len(head) - 3:
                return True
    return False


def allowed(kind: str | None, accept: list[str]) -> bool:
    return kind is not None and any(kind in KINDS.get(a.lower().lstrip("."), ()) for a in accept)


@dataclass
class Budget:
    """How many more bytes of unsubmitted uploads this request may write (None: no cap).

    Made per request from the caps per session, per client address and in total and from the
    free space of the data disk (``views.apply.upload_budget``); every received file spends it.
    """
    remaining: int | None = None

    def refuses(self, size: int) -> bool:
        return self.remaining is not None and size > self.remaining

    def spend(self, size: int) -> None:
        if self.remaining is not None:
            self.remaining -= size


def receive(storage, *, field_id: str, accept: list[str], max_mb: float, folder: Path,
            budget: Budget | None = None) -> Received:
    """Check an uploaded file (werkzeug FileStorage) and write it under a generated name.

    Raises UploadRejected for an empty file, one over ``max_mb``, content of a kind the field
    does not accept, or a file the ``budget`` cannot hold; nothing is left on disk then.
    """
    budget = budget or Budget()
    limit = int(max_mb * 1024 * 1024)
    stream = storage.stream
    size = _size(stream)
    if size == 0:
        raise UploadRejected("file_empty")
    if size is not None and size > limit:
        raise UploadRejected("file_too_large", max_mb=_mb(limit), size_mb=_mb(size))
    if size is not None and budget.refuses(size):
        raise UploadRejected("upload_budget")
    original = safe_name(storage.filename or "")
    head = stream.read(8192)
    if not head:
        raise UploadRejected("file_empty")
    kind = detect(head, original)
    if not allowed(kind, accept):
        raise UploadRejected("file_type", accept=accept_label(accept))
    private_dir(folder)
    stored = f"{secrets.token_hex(16)}.{kind}"
    path = folder / stored
    digest = hashlib.sha256()
    written = 0
    try:
        with translated(), open(path, "xb", opener=opener) as out:
            chunk = head
            while chunk:
                written += len(chunk)
                if written > limit:
                    raise UploadRejected("file_too_large", max_mb=_mb(limit), size_mb=_mb(written))
                if budget.refuses(written):
                    raise UploadRejected("upload_budget")
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # a rejected file, a full disk (StorageFull), a broken connection
        raise
    if has_request_context():
        g.setdefault("written_files", []).append((folder, stored))
    budget.spend(written)
    return Received(field_id, original, stored, kind, CONTENT_TYPES.get(kind, "application/octet-stream"),
                    written, digest.hexdigest())


def _size(stream) -> int | None:
    try:
        here = stream.tell()
        stream.seek(0, os.SEEK_END)
        end = stream.tell()
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def _mb(n: int) -> str:
    # Rounded up, so a file just over the limit never reads as "1 MB" against a 1 MB limit.
    tenths = -(-n * 10 // (1024 * 1024))
    return f"{tenths / 10:.1f}".removesuffix(".0")


def discard(folder: Path, names: list[str]) -> None:
    for name in names:
        if "/" in name or name.startswith("."):
            continue
        (folder / name).unlink(missing_ok=True)


def discard_unrecorded(known) -> list[str]:
    """Delete the files this request wrote that no database row names (``known(stored_name)`` is
    False): what a request leaves when its storage write fails (a full disk, a locked database)."""
    gone = []
    for folder, name in g.pop("written_files", []):
        if not known(name):
            discard(folder, [name])
            gone.append(name)
    return gone


def orphans(folder: Path, known, older_than: float = 86400) -> list[str]:
    """Files in the folder that no database row names (a crash between write and insert)."""
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than
    found = []
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff and not known(path.name):
            found.append(path.name)
    return found


def send_upload(folder: Path, stored_name: str, original_name: str, kind: str):
    """Send a stored file as a download, never rendered by the browser, named by its real kind."""
    response = send_from_directory(folder, stored_name, as_attachment=True,
                                   download_name=download_name(original_name, kind),
                                   mimetype="application/octet-stream", max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
