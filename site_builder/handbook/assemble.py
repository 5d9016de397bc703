"""Put a handbook typeset in parts together into one PDF (pikepdf, i.e. qpdf).

The parts are: the front (cover and 目录), the body chunks in order, and the footer pages
(第 X 页 / 共 Y 页, one per page after the cover). Here they become one document: the pages
concatenated, each footer laid over its page, the internal links (目录 entries, references to
附录一 …) added as links to their anchor's position, and the outline built from the headings'
bookmarks, as WeasyPrint would have made them for the whole book at once.
"""
from __future__ import annotations

import io
import re
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


def assemble(out: Path, front: Typeset, chunks: list[Typeset], footers: Typeset, samples: list[int]) -> int:
    """Write the book to ``out``; returns its size in bytes.

    ``footers`` has a page per number in ``samples``: a footer for each width of page number
    (1, 10, 100 …) and one with every digit (so the font has them all).
    """
    import pikepdf

    starts = page_numbers(front.pages, chunks)
    anchors = anchors_of(front, chunks, starts)
    book = pikepdf.open(io.BytesIO(front.pdf))  # its document information (title, author, date) is the book's
    sources = [pikepdf.open(io.BytesIO(c.pdf)) for c in chunks] + [pikepdf.open(io.BytesIO(footers.pdf))]
    try:
        for src in sources[:len(chunks)]:
            book.pages.extend(src.pages)
        stamp = FooterStamp(book, sources[-1], samples)
        for number, page in enumerate(book.pages[1:], start=2):
            page.add_overlay(stamp.form(number))
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


class FooterStamp:
    """Each page's footer, made from the typeset footer of a page number as wide as its own.

    The digits of Noto Sans CJK are all as wide (tabular), so 第 7 页 and 第 4 页 are laid out
    alike: the template's text is drawn with the page number's glyphs put in place of the
    sample number's, nothing else changed (position, font, size, colour).
    """

    def __init__(self, book, template, samples: list[int]):
        import pikepdf

        from .fonts import to_unicode

        self.pikepdf = pikepdf
        self.book = book
        self.templates: dict[int, tuple[bytes, list[tuple[int, int]]]] = {}
        page = template.pages[0]
        self.resources = book.copy_foreign(page.obj.Resources)
        self.box = [float(v) for v in page.mediabox]
        digits: dict[str, str] = {}
        fonts = page.obj.Resources.Font
        text = {}
        for name in fonts.keys():
            text.update(to_unicode(fonts[name].ToUnicode.read_bytes()))
        for gid, chars in text.items():
            char = bytes.fromhex(chars).decode("utf-16-be")
            if char.isdigit():
                digits[char] = f"{gid:04x}"
        if sorted(digits) != list("0123456789"):
            raise AssertionError("the footer template lacks digits")
        self.digits = digits
        for sample, page in zip(samples, template.pages):
            content = page.obj.Contents.read_bytes()
            places = []  # (offset, length) of each glyph in the hex strings, in order
            for m in re.finditer(rb"<([0-9a-fA-F]+)>", content):
                for k in range(0, len(m.group(1)), 4):
                    places.append((m.start(1) + k, text.get(int(m.group(1)[k:k + 4], 16), "")))
            chars = "".join(bytes.fromhex(c).decode("utf-16-be") if c else "?" for _, c in places)
            at = chars.find(str(sample))
            if at < 0:
                raise AssertionError(f"no {sample} in the footer template")
            self.templates[len(str(sample))] = (content, [offset for offset, _ in places[at:at + len(str(sample))]])

    def form(self, number: int):
        content, offsets = self.templates[len(str(number))]
        data = bytearray(content)
        for offset, digit in zip(offsets, str(number)):
            data[offset:offset + 4] = self.digits[digit].encode()
        return self.book.make_stream(bytes(data), Type=self.pikepdf.Name.XObject, Subtype=self.pikepdf.Name.Form,
                                     BBox=self.box, Resources=self.resources)


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
