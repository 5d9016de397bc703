"""The one place that talks to the typesetter (WeasyPrint): HTML + CSS paged media → PDF.

Three things fail loudly here instead of producing a quietly wrong book: a CJK font that is
not installed (checked with fontconfig before typesetting and against the fonts the PDF really
embeds afterwards), any resource WeasyPrint could not load (a broken diagram would otherwise be
an empty space), and any attempt to load something from another host.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import shutil
import subprocess
from dataclasses import dataclass, field

from ..errors import HandbookError
from ..logcollect import WarningCollector

FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FONT_HINT = "on Debian run 'apt-get install fonts-noto-cjk' (make test / make run do this for you)"
SYSTEM_HINT = ("WeasyPrint needs Pango: on Debian run 'apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
               "libharfbuzz-subset0' (make does this for you)")


PX = 0.75  # PDF points per CSS pixel (WeasyPrint's scale at zoom 1)


@dataclass
class Typeset:
    """A typeset PDF and what a book assembled from parts needs to know about it.

    Positions are in PDF points from the page's bottom-left corner; pages are 0-based.
    ``links`` (only with ``detach_links``) are the internal links left out of ``pdf``, to be
    added when the parts are put together: (page, anchor, (x1, y1, x2, y2)).
    """

    pdf: bytes
    pages: int
    fonts: list[str]
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    bookmarks: list[tuple[int, str, int, float, float]] = field(default_factory=list)  # level, label, page, x, y
    links: list[tuple[int, str, tuple[float, float, float, float]]] = field(default_factory=list)
    key: str = ""  # a typeset part's cache key (parallel.py)
    cached: bool = False  # it came from the cache


def check_fonts() -> None:
    """Raise ``HandbookError`` unless fontconfig knows every font the handbook is set in."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise HandbookError(f"fontconfig's 'fc-list' is not installed: on Debian run 'apt-get install fontconfig'")
    for family in FONTS:
        out = subprocess.run([fc_list, f":family={family}", "family"], capture_output=True, text=True, timeout=60)
        if not out.stdout.strip():
            raise HandbookError(f"font '{family}' is not installed, so the handbook cannot embed its Chinese "
                                f"text: {FONT_HINT}")


# Warnings WeasyPrint gives about our own CSS that do not affect the result.
_HARMLESS = ("Ignored `", "Unsupported stylesheet", "Anchor defined twice")


@contextlib.contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while WeasyPrint works.

    Typesetting builds millions of long-lived objects (boxes, styles, Pango layouts); each full
    collection walks all of them, so the collector's cost grows with the square of the book:
    at 200 services it was a third of the CPU time, with the same peak memory without it
    (measured, see benchmarks/handbook_scale.py). Reference counting still frees what it can;
    the collector, on again afterwards, clears the cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def typeset(html: str, resources: dict[str, tuple[bytes, str]], *, require: tuple[str, ...] = FONTS,
            detach_links: bool = False, fonts_checked: bool = False) -> Typeset:
    """Typeset ``html``; ``resources`` maps ``scheme:name`` URLs to (bytes, media type).

    Only those URLs and ``data:`` URLs load; anything else (another host, a local file) is
    refused and reported. ``require``: the font families the PDF must embed. ``detach_links``:
    leave internal links out of the PDF and report them (a part of a book links to anchors in
    other parts; see ``parallel.py``).
    """
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as exc:  # the Pango libraries are missing
        raise HandbookError(f"{SYSTEM_HINT} ({exc})") from None
    if not fonts_checked:
        check_fonts()

    refused: list[str] = []

    class BookFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url in resources:
                data, media_type = resources[url]
                return URLFetcherResponse(url, data, {"Content-Type": media_type})
            if url.startswith("data:"):
                return super().fetch(url, headers)
            # Recorded here as well as raised: WeasyPrint turns the exception into a log line only.
            refused.append(f"{url}: the handbook loads nothing from other hosts or files")
            raise ValueError("the handbook loads nothing from other hosts or files")

    collected = WarningCollector()
    logger = logging.getLogger("weasyprint")
    was_disabled, logger.disabled = logger.disabled, False  # a logging config may have disabled it
    logger.addHandler(collected)
    result = Typeset(pdf=b"", pages=0, fonts=[])
    try:
        with cyclic_gc_paused():
            document = weasyprint.HTML(string=html, base_url="book:", url_fetcher=BookFetcher()).render()
            problems = refused + [m for m in collected.messages if not m.startswith(_HARMLESS)]
            if problems:
                raise HandbookError("the handbook could not be typeset cleanly:\n  " + "\n  ".join(problems[:20]))
            for number, page in enumerate(document.pages):
                height = page.height
                for name, (x, y, _, _) in page.anchors.items():
                    result.anchors.setdefault(name, (number, x * PX, (height - y) * PX))
                for level, label, (x, y), _ in page.bookmarks:
                    result.bookmarks.append((level, label, number, x * PX, (height - y) * PX))
                if detach_links:
                    kept = []
                    for link in page.links:
                        kind, target, (x1, y1, x2, y2), _ = link
                        if kind == "internal":
                            result.links.append((number, target, (x1 * PX, (height - y2) * PX,
                                                                  x2 * PX, (height - y1) * PX)))
                        else:
                            kept.append(link)
                    page.links[:] = kept
            result.pdf = document.write_pdf()
    finally:
        logger.removeHandler(collected)
        logger.disabled = was_disabled
    families = sorted({font.family for font in document.fonts.values()})
    check_embedded(families, require)
    result.pages, result.fonts = len(document.pages), families
    return result


def check_embedded(families: list[str], require: tuple[str, ...] = FONTS) -> None:
    """Raise ``HandbookError`` unless the PDF's fonts (``families``) include every required one."""
    missing = [f for f in require if f not in families]
    if missing:
        raise HandbookError(f"the PDF does not embed {', '.join(missing)} (it has {', '.join(families) or 'no fonts'}): "
                            f"{FONT_HINT}")
