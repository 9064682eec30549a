"""Pure text helpers shared by the NLU components and the actions."""

from __future__ import annotations

import unicodedata


def to_half_width(text: str) -> str:
    """Map full-width ASCII and the ideographic space to half-width, char for char."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def has_words(text: str) -> bool:
    """Tell whether a text has any letter, digit or Chinese character."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)
