"""QR codes as inline SVG (segno, pure Python): the paper receipt carries one to its tracking page."""
from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(url: str, *, title: str) -> Markup:
    """An SVG QR code of ``url`` (error correction M, 4-module quiet zone), sized by CSS."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title=title,
              svgclass="qr", lineclass=None, dark="#000", light="#fff")
    return Markup(out.getvalue().decode())
