"""Put a handbook typeset in parts together into one PDF (pikepdf, i.e. qpdf).

The parts are: the front (cover and 目录), the body chunks in order, and the footer pages
(第 X 页 / 共 Y 页, one per page after the cover). Here they become one document: the pages
concatenated, each footer laid over its page, the internal links (目录 entries, references to
附录一 …) added as links to their anchor's position, and the outline built from the headings'
bookmarks, as WeasyPrint would have made them for the whole book at once.
"""
from __future__ import annotations

import io
from pathlib import Path

from .fonts import share_fonts
from .typeset import Typeset


def page_numbers(front_pages: int, chunks: list[Typeset]) -> list[int]:
    """The 0-based index of each chunk's first page in the book."""
    starts, at = [], front_pages
    for chunk in chunks:
        starts.append(at)
        at += chunk.pages
    return starts


def anchors_of(front: Typeset, chunks: list[Typeset], starts: list[int]) -> dict[str, tuple[int, float, float]]:
    """Every anchor of the book: name -> (page index in the book, x, y); the first one wins."""
    found: dict[str, tuple[int, float, float]] = {}
    for part, start in [(front, 0)] + list(zip(chunks, starts)):
        for name, (page, x, y) in part.anchors.items():
            found.setdefault(name, (start + page, x, y))
    return found


def assemble(out: Path, front: Typeset, chunks: list[Typeset], footers: list[Typeset]) -> int:
    """Write the book to ``out``; returns its size in bytes."""
    import pikepdf

    starts = page_numbers(front.pages, chunks)
    anchors = anchors_of(front, chunks, starts)
    book = pikepdf.open(io.BytesIO(front.pdf))  # its document information (title, author, date) is the book's
    sources = [pikepdf.open(io.BytesIO(c.pdf)) for c in chunks] + [pikepdf.open(io.BytesIO(f.pdf)) for f in footers]
    try:
        for src in sources[:len(chunks)]:
            book.pages.extend(src.pages)
        footer_pages = [page for src in sources[len(chunks):] for page in src.pages]
        if len(footer_pages) != len(book.pages) - 1:
            raise AssertionError(f"{len(footer_pages)} footers for {len(book.pages)} pages")
        for page, footer in zip(book.pages[1:], footer_pages):
            page.add_overlay(footer)
        for part, start in [(front, 0)] + list(zip(chunks, starts)):
            for page, anchor, rect in part.links:
                if anchor not in anchors:
                    continue  # as WeasyPrint does for a link to nowhere (it logs it)
                target, x, y = anchors[anchor]
                annotation = book.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=list(rect),
                    BS=pikepdf.Dictionary(W=0),
                    Dest=pikepdf.Array([book.pages[target].obj, pikepdf.Name.XYZ, x, y, 0])))
                holder = book.pages[start + page].obj
                if "/Annots" not in holder:
                    holder.Annots = pikepdf.Array()
                holder.Annots.append(annotation)
        with book.open_outline() as outline:
            outline.root.extend(_outline(book, chunks, starts))
        share_fonts(book)  # one subset per font instead of one per part
        book.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for src in sources:
            src.close()
        book.close()
    return out.stat().st_size


def _outline(book, chunks: list[Typeset], starts: list[int]) -> list:
    """The bookmarks of all chunks as one tree (levels 1, 2, 3: chapter, category, service)."""
    import pikepdf

    root: list = []
    stack: list[tuple[int, object]] = []  # (level, item) of the open ancestors
    for chunk, start in zip(chunks, starts):
        for level, label, page, x, y in chunk.bookmarks:
            item = pikepdf.OutlineItem(label, start + page, pikepdf.PageLocation.XYZ, left=x, top=y, zoom=0)
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else root).append(item)
            stack.append((level, item))
    return root
