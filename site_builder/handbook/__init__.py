"""The printed service handbook (服务手册): the guide's YAML typeset as an A4 PDF.

``build_handbook(project, out)`` makes the book: ``content.py`` turns the model into one HTML
document (the service chapters are the web pages' own Markdown), ``typeset.py`` hands it to
WeasyPrint. ``guide handbook`` and ``guide build`` (when site.yml has a ``handbook:`` block) call it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import HandbookError
from ..flowsvg import render_svg
from ..content import Project
from ..render import FlowArt
from .content import build_book
from .parallel import chunks_of, default_workers, typeset_in_parts
from .typeset import typeset

FILE_NAME = "handbook.pdf"


@dataclass
class HandbookResult:
    path: Path
    pages: int
    bytes: int
    seconds: float
    date: dt.date
    qr_codes: bool
    fonts: list[str]
    parts: int = 1  # documents typeset in parallel and joined (1: the book as one document)
    reused_parts: int = 0  # of those, taken from the cache unchanged


def handbook_date(project: Project, today: dt.date | None = None) -> dt.date:
    """The date printed on the cover: site.yml's ``handbook.date``, else the day it is made."""
    settings = project.site.handbook
    return (settings.date if settings and settings.date else None) or today or dt.date.today()


def _book_key(html: str, flows: dict[str, bytes]) -> str:
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode() + html.encode("utf-8"))
    for fid in sorted(flows):
        digest.update(fid.encode() + flows[fid])
    return digest.hexdigest()


def build_handbook(project: Project, out: Path, *, art: FlowArt | None = None, base_url: str | None = None,
                   today: dt.date | None = None, reuse: bool = False, workers: int | None = None,
                   chunks: int | None = None) -> HandbookResult:
    """Write the handbook of ``project`` to ``out`` (written whole, or not at all).

    ``workers`` processes typeset it in ``chunks`` (default: ``GUIDE_HANDBOOK_WORKERS``, else
    one per CPU; about 60 services per chunk); with one worker the book is typeset as one
    document in this process. With ``reuse``, typeset chunks are kept beside ``out`` (in
    ``handbook-parts/``) and a chunk whose HTML is unchanged is not typeset again; with one
    worker, a PDF already at ``out`` typeset from the very same book is kept as it is.
    """
    started = time.perf_counter()
    settings = project.site.handbook
    date = handbook_date(project, today)
    book = build_book(project, art or FlowArt(render_svg), base_url=base_url, date=date,
                      edition=settings.edition if settings else None, edition_mark=project.edition_line(date))
    out = Path(out)
    workers = default_workers() if workers is None else workers
    if chunks is None:  # one process, or a small book: one document
        chunks = 1 if workers == 1 else len(chunks_of(book))
    if chunks > 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        try:
            result = typeset_in_parts(book, partial, workers=workers, chunks=chunks,
                                      cache=out.with_name("handbook-parts") if reuse else None)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(out)
        return HandbookResult(path=out, pages=result.pages, bytes=result.bytes,
                              seconds=time.perf_counter() - started, date=date, qr_codes=book.qr_codes,
                              fonts=result.fonts, parts=result.chunks, reused_parts=result.cached)
    stamp = out.with_name(out.name + ".json")
    html = book.html
    key = _book_key(html, book.flows)
    if reuse and out.exists() and stamp.exists():
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("key") == key and recorded.get("bytes") == out.stat().st_size:
            return HandbookResult(path=out, pages=recorded["pages"], bytes=recorded["bytes"],
                                  seconds=time.perf_counter() - started, date=date, qr_codes=book.qr_codes,
                                  fonts=recorded["fonts"])
    resources = {f"flow:{fid}": (svg, "image/svg+xml") for fid, svg in book.flows.items()}
    result = typeset(html, resources)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(result.pdf)
    partial.replace(out)
    if reuse:
        stamp.write_text(json.dumps({"key": key, "pages": result.pages, "bytes": len(result.pdf),
                                     "fonts": result.fonts}), encoding="utf-8")
    return HandbookResult(path=out, pages=result.pages, bytes=len(result.pdf),
                          seconds=time.perf_counter() - started, date=date, qr_codes=book.qr_codes,
                          fonts=result.fonts)


def wanted(project: Project) -> bool:
    """Whether site.yml asks ``guide build`` for the handbook."""
    settings = project.site.handbook if project.site else None
    return bool(settings and settings.enabled)


def size_text(n: int) -> str:
    """A file size as readers write it: 850 KB, 1.2 MB."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"


__all__ = ["FILE_NAME", "HandbookError", "HandbookResult", "build_handbook", "handbook_date", "size_text", "wanted"]
