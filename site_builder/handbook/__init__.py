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
                   today: dt.date | None = None, reuse: bool = False) -> HandbookResult:
    """Write the handbook of ``project`` to ``out`` (written whole, or not at all).

    With ``reuse``, a PDF already at ``out`` that was typeset from the very same book (same
    HTML, drawings and WeasyPrint version, recorded beside it) is kept instead of typeset again.
    """
    started = time.perf_counter()
    settings = project.site.handbook
    date = handbook_date(project, today)
    book = build_book(project, art or FlowArt(render_svg), base_url=base_url, date=date,
                      edition=settings.edition if settings else None, edition_mark=project.edition_line(date))
    out = Path(out)
    stamp = out.with_name(out.name + ".json")
    key = _book_key(book.html, book.flows)
    if reuse and out.exists() and stamp.exists():
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("key") == key and recorded.get("bytes") == out.stat().st_size:
            return HandbookResult(path=out, pages=recorded["pages"], bytes=recorded["bytes"],
                                  seconds=time.perf_counter() - started, date=date, qr_codes=book.qr_codes,
                                  fonts=recorded["fonts"])
    resources = {f"flow:{fid}": (svg, "image/svg+xml") for fid, svg in book.flows.items()}
    result = typeset(book.html, resources)
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
