"""What a Word paragraph can be, and how section names are compared."""

from __future__ import annotations

import re
from enum import Enum

from editorial.parsing.normalise import fullwidth_to_ascii


class Role(Enum):
    """What a body paragraph is, before the tree is assembled."""

    BULLETIN_NAME = "bulletin-name"
    SECTION = "section"
    ARTICLE = "article"
    SUBHEADING = "subheading"  # Heading 3 (and 5-9)
    MINOR_SUBHEADING = "minor-subheading"  # Heading 4: a kicker when a Heading 3 follows
    CAPTION = "caption"
    SOURCE = "source"  # the 资料来源 line that belongs to the caption before it
    FRONT_MATTER = "front-matter"  # table of contents, subtitle: kept as furniture


def section_key(text: str) -> str:
    """How section names are compared: no spaces, full-width letters/digits as ASCII."""
    return re.sub(r"\s+", "", fullwidth_to_ascii(text)).casefold()
