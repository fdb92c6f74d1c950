"""Character-level clean-ups shared by every parser.

Only titles, headings and key figures are normalised; body text is kept exactly as
written (the "nothing lost" rule compares body characters one for one).
"""

from __future__ import annotations

import re

# Full-width digits and Latin letters (U+FF10.., U+FF21.., U+FF41..) map to ASCII by a
# fixed offset. Full-width punctuation is left alone: in Chinese text it is correct.
_FULLWIDTH_ALNUM = {
    **{cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)},
    **{cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)},
    **{cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)},
}

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
    "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"  # CJK punctuation
    "\u2014\u2018\u2019\u201c\u201d\u2026"  # dashes and quotes set full-width in Chinese
)
_IS_CJK = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def fullwidth_to_ascii(text: str) -> str:
    """Full-width digits and Latin letters become ASCII; everything else is kept."""
    return text.translate(_FULLWIDTH_ALNUM)


def is_cjk(char: str) -> bool:
    return bool(_IS_CJK.match(char))


def clean_title(text: str) -> str:
    """Remove the spaces PDF extraction puts around digits and Latin words in titles.

    ``工信部发布 12 项 AI 标准`` becomes ``工信部发布12项AI标准``. A space between two
    Chinese phrases (``多方发力 新一轮建设提速``) separates a two-part headline and is
    kept as one space, and so is a space between two Latin words (``AI PC``).
    """
    text = _SPACES.sub(" ", fullwidth_to_ascii(text)).strip()
    out: list[str] = []
    for i, char in enumerate(text):
        if char == " ":
            before, after = text[i - 1], text[i + 1]
            # Keep the space only when both neighbours are Chinese or both are not.
            if is_cjk(before) != is_cjk(after):
                continue
        out.append(char)
    return "".join(out)
