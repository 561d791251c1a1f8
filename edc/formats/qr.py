"""A QR code as inline SVG, drawn here (no image service: the hospital network may be closed)."""

from __future__ import annotations

import io
from functools import lru_cache

import segno


# A child's page draws its family link's code on every view; the link only changes when it is
# reissued, which changes the text and so the key.
@lru_cache(maxsize=1024)
def qr_svg(text: str, title: str) -> str:
    """Return the QR code of text as an SVG element with the given accessible title."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, xmldecl=False, title=title)
    return out.getvalue().decode()
