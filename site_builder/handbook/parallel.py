"""Typeset the handbook in parts, on several processes at once, and put it together.

Every chapter, category and service starts a page (CSS class ``hb-newpage``), so cutting the
book before such a part changes no page. The parts after the 目录 are cut into chunks of
consecutive parts; worker processes (forked, one per core by default) each turn a chunk into
HTML (the Markdown work) and typeset it without page footers. Then, with every page counted,
the front (cover and 目录, now with literal page numbers) and the footer templates (第 X 页 / 共
Y 页 for X of each width, pages with nothing but the footer) are typeset, and ``assemble.py``
joins them into one PDF, each page's footer made from the template of its width.

A chunk starts with the running header's strings set on its ``<body>`` (book title, edition
mark, and the chapter its first page belongs to), so its headers read as in the whole book.

Chunks are also cached (when the caller gives a directory): a chunk whose HTML, drawings and
WeasyPrint version are unchanged is not typeset again.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import logging
import math
import multiprocessing
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

from markupsafe import escape

from ..errors import HandbookError
from .content import Book
from .typeset import FONTS, Typeset, check_embedded, check_fonts, typeset

LOG = logging.getLogger("site_builder.handbook")
WORKERS_ENV = "GUIDE_HANDBOOK_WORKERS"
CHUNK_PARTS = 60  # parts (mostly services) per chunk: small documents typeset faster per page

# The parts of a book typeset separately: no footer (laid over later), strings set at the start.
PART_CSS = "@page { @bottom-center { content: none; } }\n.hb-strings + .hb-newpage { break-before: auto; }\n"
FOOTER_CSS = """
@page { size: A4; margin: 24mm 20mm 22mm 20mm;
        @bottom-center { content: string(footer); font: 8.5pt "Noto Sans CJK SC"; color: #444; } }
html, body { margin: 0; }
.f + .f { break-before: page; }
"""


def default_workers() -> int:
    """Processes to typeset with: ``GUIDE_HANDBOOK_WORKERS``, else the CPUs this process may use."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            workers = int(value)
        except ValueError:
            raise HandbookError(f"{WORKERS_ENV}={value!r}: give a whole number of processes, e.g. 2") from None
        if workers < 1:
            raise HandbookError(f"{WORKERS_ENV}={value!r}: give at least 1")
        return workers
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (safe inside a <style> element)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'


def units(book: Book) -> list[list[int]]:
    """The book's parts grouped so that each group starts a page."""
    groups: list[list[int]] = []
    for index, part in enumerate(book.parts):
        if part.newpage or not groups:
            groups.append([index])
        else:
            groups[-1].append(index)
    return groups


def chunks_of(book: Book, count: int | None = None, per_chunk: int = CHUNK_PARTS) -> list[list[int]]:
    """Consecutive page-starting groups of parts: ``count`` chunks, else about ``per_chunk`` parts each.

    The cut depends only on how many parts there are, not on their text, so editing a service
    leaves every other chunk (and its cache entry) as it was.
    """
    groups = units(book)
    count = count or max(1, math.ceil(len(groups) / per_chunk))
    count = min(count, len(groups))
    size = len(groups) / count
    return [[i for g in groups[round(k * size):round((k + 1) * size)] for i in g] for k in range(count)]


def resources(book: Book) -> dict[str, tuple[bytes, str]]:
    return {f"flow:{fid}": (svg, "image/svg+xml") for fid, svg in book.flows.items()}


def chunk_html(book: Book, parts: list[int]) -> str:
    """The parts as a document of their own, its first page headed as in the whole book.

    The running header's strings are set by an empty element before the first part (not on
    ``<body>``: a box that runs over every page would set them again on each one), and that
    first part needs no page break: it starts the document.
    """
    first = book.parts[parts[0]]
    strings = (f"string-set: book {css_string(book.strings['book'])}, edition {css_string(book.strings['edition'])}, "
               f"chapter {css_string(first.chapter)}")
    body = f'<div class="hb-strings" style="{escape(strings)}"></div>' + "".join(book.part_html(i) for i in parts)
    return book.document(body, extra_css=PART_CSS)


def footer_numbers(total: int) -> list[int]:
    """The page numbers of the footer templates: one per width (1, 10, 100 …), then every digit."""
    return [10 ** k for k in range(len(str(total)))] + [1234567890]


def footer_html(book: Book, numbers: list[int], total: int) -> str:
    """A page per number with only its footer 第 n 页 / 共 ``total`` 页."""
    body = "".join(f'<div class="f" style="string-set: footer {escape(css_string(f"第 {n} 页 / 共 {total} 页"))}">'
                   f'</div>' for n in numbers)
    return book.document(body, css=FOOTER_CSS)


# ---------------------------------------------------------------- worker side (forked)

_BOOK: Book | None = None
_CACHE: Path | None = None


def _start(book: Book, cache: Path | None) -> None:
    global _BOOK, _CACHE
    _BOOK, _CACHE = book, cache


def _job(kind: str, arg) -> Typeset:
    book = _BOOK
    if kind == "chunk":
        html = chunk_html(book, arg)
        if _CACHE is None:
            return typeset(html, resources(book), require=(), detach_links=True, fonts_checked=True)
        key = _chunk_key(html, book)
        cached = _CACHE / f"{key}.pickle"
        if cached.exists():
            result = pickle.loads(cached.read_bytes())
            result.cached = True
            return result
        result = typeset(html, resources(book), require=(), detach_links=True, fonts_checked=True)
        result.key = key
        _CACHE.mkdir(parents=True, exist_ok=True)
        part = _CACHE / f"{key}.pickle.part"
        part.write_bytes(pickle.dumps(result))
        part.replace(cached)
        return result
    if kind == "front":
        html = book.document(book.front(arg), extra_css=PART_CSS)
        return typeset(html, resources(book), require=(), detach_links=True, fonts_checked=True)
    if kind == "footer":
        return typeset(footer_html(book, footer_numbers(arg), arg), {}, require=(), fonts_checked=True)
    raise ValueError(kind)


def _chunk_key(html: str, book: Book) -> str:
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode() + html.encode("utf-8"))
    for fid in sorted(book.flows):
        digest.update(fid.encode() + book.flows[fid])
    return digest.hexdigest()


# ---------------------------------------------------------------- parent side

@dataclass
class Result:
    pages: int
    bytes: int
    fonts: list[str]
    chunks: int
    cached: int = 0


def typeset_in_parts(book: Book, out: Path, *, workers: int, chunks: int | None = None,
                     cache: Path | None = None) -> Result:
    """Typeset ``book`` in chunks on ``workers`` processes; write the PDF to ``out`` (as given)."""
    from .assemble import anchors_of, assemble, page_numbers

    check_fonts()
    clock = _Clock()
    plan = chunks_of(book, chunks)
    guess = max(1, 4 * len(book.parts))  # page numbers are about this wide while the 目录 is measured
    placeholder = {a: 8 * 10 ** (len(str(guess)) - 1) for a in _anchors(book.toc)}
    context = multiprocessing.get_context("fork")
    pool = cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context, initializer=_start,
                                  initargs=(book, cache))
    try:
        front_job = pool.submit(_job, "front", placeholder)
        chunk_jobs = [pool.submit(_job, "chunk", parts) for parts in plan]
        parts = [job.result() for job in chunk_jobs]
        front_pages = front_job.result().pages
        clock.lap(f"{len(plan)} chunks typeset ({sum(p.pages for p in parts)} pages)")
        while True:  # the 目录 with real numbers; again if that changed its length (rare)
            starts = page_numbers(front_pages, parts)
            total = front_pages + sum(p.pages for p in parts)
            anchors = anchors_of(Typeset(b"", 0, []), parts, starts)
            numbers = {a: anchors[a][0] + 1 for a in _anchors(book.toc)}
            front_job = pool.submit(_job, "front", numbers)
            footer_job = pool.submit(_job, "footer", total)
            front = front_job.result()
            footers = footer_job.result()
            if front.pages == front_pages:
                break
            front_pages = front.pages
        clock.lap("目录 and footers typeset")
    except cf.process.BrokenProcessPool as exc:
        _stop(pool)
        raise HandbookError(f"a handbook worker process died ({exc}); try {WORKERS_ENV}=1 to typeset in one process")
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    if cache is not None:  # keep only the chunks of this book
        keep = {f"{p.key}.pickle" for p in parts}
        for stale in cache.glob("*.pickle"):
            if stale.name not in keep:
                stale.unlink(missing_ok=True)
    families = sorted({f for part in [front, *parts, footers] for f in part.fonts})
    check_embedded(families, FONTS)
    size = assemble(out, front, parts, footers, footer_numbers(total))
    clock.lap("joined")
    return Result(pages=total, bytes=size, fonts=families, chunks=len(plan), cached=sum(p.cached for p in parts))


class _Clock:
    """Logs how long each step took (``site_builder.handbook`` logger, level INFO)."""

    def __init__(self):
        self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        LOG.info("handbook: %s in %.1f s", what, now - self.last)
        self.last = now


def _anchors(entries) -> list[str]:
    return [a for e in entries for a in [e.anchor, *_anchors(e.children)]]


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """End the workers now (a chunk may take a minute): no process outlives a failed build."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
