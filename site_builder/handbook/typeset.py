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
from dataclasses import dataclass

from ..errors import HandbookError
from ..logcollect import WarningCollector

FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FONT_HINT = "on Debian run 'apt-get install fonts-noto-cjk' (make test / make run do this for you)"
SYSTEM_HINT = ("WeasyPrint needs Pango: on Debian run 'apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
               "libharfbuzz-subset0' (make does this for you)")


@dataclass
class Typeset:
    pdf: bytes
    pages: int
    fonts: list[str]


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


def typeset(html: str, resources: dict[str, tuple[bytes, str]]) -> Typeset:
    """Typeset ``html``; ``resources`` maps ``scheme:name`` URLs to (bytes, media type).

    Only those URLs and ``data:`` URLs load; anything else (another host, a local file) is
    refused and reported.
    """
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as exc:  # the Pango libraries are missing
        raise HandbookError(f"{SYSTEM_HINT} ({exc})") from None
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
    try:
        with cyclic_gc_paused():
            document = weasyprint.HTML(string=html, base_url="book:", url_fetcher=BookFetcher()).render()
            problems = refused + [m for m in collected.messages if not m.startswith(_HARMLESS)]
            if problems:
                raise HandbookError("the handbook could not be typeset cleanly:\n  " + "\n  ".join(problems[:20]))
            pdf = document.write_pdf()
    finally:
        logger.removeHandler(collected)
        logger.disabled = was_disabled
    families = sorted({font.family for font in document.fonts.values()})
    missing = [f for f in FONTS if f not in families]
    if missing:
        raise HandbookError(f"the PDF does not embed {', '.join(missing)} (it has {', '.join(families) or 'no fonts'}): "
                            f"{FONT_HINT}")
    return Typeset(pdf=pdf, pages=len(document.pages), fonts=families)
