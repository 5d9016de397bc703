"""One embedded subset per font in a book joined from separately typeset parts.

Each part typeset by WeasyPrint embeds its own subset of every font it uses (Noto CJK: about
half a megabyte each), so a book of 17 parts would carry 17 copies of nearly the same glyphs.
WeasyPrint subsets with HarfBuzz keeping the original glyph ids (``RETAIN_GIDS``), so one subset
holding the union of the parts' glyphs serves every part unchanged. Here, for each font, that
union subset is made from the installed font file (the same HarfBuzz subsetting, with the flags
WeasyPrint uses), and every part's font dictionary is pointed at it, with the union of their
widths (``/W``) and text mappings (``/ToUnicode``). The copies left unreferenced are not written.

A font that cannot be matched with certainty (not found by its full name and version, an
encoding other than Identity-H) keeps its copies: the book is then larger, never wrong.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from functools import lru_cache

# HarfBuzz's hb-subset.h (stable API since 2.9 / 3.0).
_FLAGS_NO_HINTING, _FLAGS_RETAIN_GIDS, _FLAGS_DESUBROUTINIZE, _FLAGS_PASSTHROUGH = 0x1, 0x2, 0x4, 0x20
_SETS_DROP_TABLE_TAG = 3
_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


@lru_cache(maxsize=1)
def _harfbuzz():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("""
        typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;
        typedef struct hb_set_t hb_set_t; typedef struct hb_subset_input_t hb_subset_input_t;
        hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
        void hb_blob_destroy(hb_blob_t *blob);
        const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
        hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
        void hb_face_destroy(hb_face_t *face);
        hb_blob_t *hb_face_reference_blob(hb_face_t *face);
        void hb_set_add(hb_set_t *set, uint32_t codepoint);
        hb_subset_input_t *hb_subset_input_create_or_fail(void);
        void hb_subset_input_destroy(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
        void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
        hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
        uint32_t hb_tag_from_string(const char *str, int len);
    """)
    return ffi, ffi.dlopen("libharfbuzz-subset.so.0")


def _subset_pass(ffi, hb, face, gids, flags):
    sub = ffi.gc(hb.hb_subset_input_create_or_fail(), hb.hb_subset_input_destroy)
    glyphs = hb.hb_subset_input_glyph_set(sub)
    for gid in gids:
        hb.hb_set_add(glyphs, gid)
    drop = hb.hb_subset_input_set(sub, _SETS_DROP_TABLE_TAG)
    for tag in _DROP_TABLES:
        hb.hb_set_add(drop, hb.hb_tag_from_string(tag, -1))
    hb.hb_subset_input_set_flags(sub, flags)
    result = hb.hb_subset_or_fail(face, sub)
    if result == ffi.NULL:
        return None
    return ffi.gc(result, hb.hb_face_destroy)


def subset(path: str, index: int, gids: set[int]) -> bytes | None:
    """The font at ``path`` (face ``index``) cut down to ``gids``, glyph ids kept, as WeasyPrint does."""
    ffi, hb = _harfbuzz()
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        return None
    blob = ffi.gc(blob, hb.hb_blob_destroy)
    face = ffi.gc(hb.hb_face_create(blob, index), hb.hb_face_destroy)
    first = _subset_pass(ffi, hb, face, sorted(gids), _FLAGS_RETAIN_GIDS | _FLAGS_PASSTHROUGH | _FLAGS_DESUBROUTINIZE)
    if first is None:
        return None
    # Then drop the empty glyphs after the last one used (WeasyPrint's second pass).
    final = _subset_pass(ffi, hb, first, range(max(gids) + 1),
                         _FLAGS_PASSTHROUGH | _FLAGS_DESUBROUTINIZE | _FLAGS_NO_HINTING)
    if final is None:
        return None
    out_blob = ffi.gc(hb.hb_face_reference_blob(final), hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    data = hb.hb_blob_get_data(out_blob, length)
    return bytes(ffi.buffer(data, length[0])) if length[0] else None


@lru_cache(maxsize=None)
def installed_faces() -> dict[str, list[tuple[str, int]]]:
    """Full font name -> [(file, face index)] of the installed fonts (fontconfig)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return {}
    out = subprocess.run([fc_list, "-f", "%{fullname}\t%{file}\t%{index}\n"], capture_output=True, text=True,
                         timeout=60).stdout
    faces: dict[str, list[tuple[str, int]]] = {}
    for line in out.splitlines():
        names, _, rest = line.partition("\t")
        path, _, index = rest.partition("\t")
        if path and index.isdigit():
            for name in names.split(","):
                faces.setdefault(name, []).append((path, int(index)))
    return faces


def _name_and_version(data: bytes) -> tuple[str, str] | None:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(data), lazy=True)
        return font["name"].getDebugName(4), font["name"].getDebugName(5)
    except Exception:  # not a font we can read: keep the copies
        return None


def _widths(array) -> dict[int, object]:
    """A CIDFont /W array as gid -> width."""
    import pikepdf

    found, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], pikepdf.Array):
            for k, width in enumerate(items[i + 1]):
                found[first + k] = width
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                found[gid] = items[i + 2]
            i += 3
    return found


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def to_unicode(data: bytes) -> dict[int, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, text in _BFCHAR.findall(block):
            mapping[int(gid, 16)] = text.decode()
    return mapping


def _cmap(mapping: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange", b"<0000> <ffff>",
             b"endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{text}>".encode() for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def share_fonts(pdf) -> int:
    """Give every font of ``pdf`` (a pikepdf.Pdf) one embedded subset; returns how many fonts were merged."""
    import pikepdf

    groups: dict[str, list] = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0" and obj.get("/Type") == "/Font":
            groups.setdefault(str(obj.get("/BaseFont")), []).append(obj)
    merged = 0
    for name, fonts in groups.items():
        try:
            cids = [f.DescendantFonts[0] for f in fonts]
            files = [c.FontDescriptor.FontFile3 for c in cids]
        except (AttributeError, KeyError, IndexError, TypeError):
            continue
        if len(fonts) < 2 or any(f.get("/Encoding") != "/Identity-H" for f in fonts) \
                or any(c.get("/Subtype") != "/CIDFontType0" for c in cids):
            continue
        identity = _name_and_version(files[0].read_bytes())
        if identity is None:
            continue
        widths: dict[int, object] = {}
        text: dict[int, str] = {}
        for font, cid in zip(fonts, cids):
            widths.update(_widths(cid.W))
            if "/ToUnicode" in font:
                text.update(to_unicode(font.ToUnicode.read_bytes()))
        data = None
        for path, index in installed_faces().get(identity[0], []):
            try:
                candidate = subset(path, index, set(widths) | {0})
            except (OSError, AttributeError):  # no libharfbuzz-subset (WeasyPrint can do without it)
                candidate = None
            if candidate and _name_and_version(candidate) == identity:
                data = candidate
                break
        if data is None:
            continue
        keep = cids[0]
        keep.FontDescriptor.FontFile3 = pdf.make_stream(data, Subtype=pikepdf.Name.OpenType)
        keep.FontDescriptor.FontBBox = [max(float(c.FontDescriptor.FontBBox[i]) for c in cids) if i == 2
                                        else keep.FontDescriptor.FontBBox[i] for i in range(4)]
        array = pikepdf.Array()
        for gid in sorted(widths):
            if gid - 1 not in widths:
                array.append(gid)
                array.append(pikepdf.Array())
            array[-1].append(widths[gid])
        keep.W = array
        unicode_map = pdf.make_stream(_cmap(text))
        for font in fonts:
            font.DescendantFonts = pikepdf.Array([keep])
            font.ToUnicode = unicode_map
        merged += 1
    return merged
