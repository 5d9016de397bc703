"""QR codes for the handbook, drawn as SVG by segno (pure Python, no raster step)."""
from __future__ import annotations

import segno


def qr_data_uri(url: str) -> str:
    """A ``data:`` URI of an SVG QR code for ``url`` (error correction M, quiet zone 2)."""
    code = segno.make(url, error="m", micro=False)
    # No width/height in the SVG: the stylesheet sizes the image; the viewBox keeps it square.
    return code.svg_data_uri(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
