"""The PDF reader's limits and measures: cost guards, distances in points or ems, and the
keys lines are compared by."""

from __future__ import annotations

import re

from editorial.parsing.patterns import (
    BARE_NUMBER,
    PAGE_NUMBER,
)
from editorial.parsing.text import KNOWN_SECTION_NAMES, line_key

# --- cost guards ---
MAX_PAGES = 300
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_PAGE_CONTENT_BYTES = 16 * 1024 * 1024  # decoded content streams of one page
TIME_BUDGET_SECONDS = 120.0  # checked between pages
SCANNED_CHARS_PER_PAGE = 10  # fewer text characters than this per page: a scan

# --- geometry (points, or ems of the line's own font size) ---
BAND_SHARE = 0.12  # running headers/footers sit in the top or bottom 12% of the page
BAND_LINES = 3  # ... among the first or last three lines of the page
FRAGMENT_GAP_EM = 0.8  # a wider gap between two glyphs splits a line (a gutter, a tab)
SEGMENT_GAP_EM = 1.5  # a gap this wide separates the parts of a header line
LATIN_SPACE_EM = 0.15  # a gap this wide between two Latin glyphs is a word space
CJK_SPACE_EM = 0.5  # ... between CJK glyphs: a space between two phrases
INDENT_EM = 1.2  # a first line starts at least this far in: a paragraph indent
SHORT_EM = 1.5  # a line ending this far before the column's edge stopped short
KICKER_GAP_EM = 2.5  # a kicker sits at most this far above its subheading
SIZE_TOLERANCE = 0.5  # points: sizes this close are the same size
TITLE_MIN_STEP = 1.0  # a title is set at least this much larger than the body
MAX_HEADING_CHARS = 60
MAX_SUBHEADING_CHARS = 40
MAX_SECTION_CHARS = 8
MAX_CAPTION_WIDTH = 40.0  # full-width characters
CAPTION_DISTANCE_EM = 2.5  # a caption or source line this close to its figure
MIN_FIGURE_SIDE = 12.0
MIN_VECTOR_FIGURE = (40.0, 30.0)  # width, height of a chart drawn with vector graphics
MAX_FIGURE_TEXT_DENSITY = 0.2  # a box this full of text is a text box, not a chart
BOLD_SHARE = 0.9

BOLD_NAME = re.compile(r"(?i)bold|heavy|black|semibold|demibold|medium|[-,]B$|\bW[6-9]\b")
HEI_NAME = re.compile(r"(?i)simhei|heiti|^hei$|黑体")
WHITESPACE = frozenset(" \t\n\r\u00a0\u2002\u2003\u2009\u3000")
NOT_HEADING_END = frozenset("。，、；：,;:")
HEADING_END_DOUBT = frozenset("？！?!")
KNOWN_SECTION_KEYS = frozenset("".join(name.split()).casefold() for name in KNOWN_SECTION_NAMES)
PAGE_NUMBER_SHAPE = (PAGE_NUMBER, BARE_NUMBER)
DIGITS = re.compile(r"\d+")
# A cover's digest of the issue, besides 目录: it lists sections and titles again.
DIGEST = re.compile(r"^(?:本期)?(?:要目|导读|看点|提要)$")


def section_key(text: str) -> str:
    return line_key(text).casefold()
