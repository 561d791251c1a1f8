"""A QR code as inline SVG, drawn here (no image service: the hospital network may be closed)."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, title: str) -> str:
    """Return the QR code of text as an SVG element with the given accessible title."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, xmldecl=False, title=title)
    return out.getvalue().decode()
