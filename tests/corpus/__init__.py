"""A generated corpus of invented bulletins whose structure is known, and its scoring.

from tests.corpus import generate, score
bulletin = generate(7, "features")
text = bulletin.extracted_text("trailing")        # or "stripped"
result = score(parse_text(text, sections=bulletin.section_names), bulletin)
"""

from tests.corpus.generator import (
    DEFAULT_SECTIONS,
    FAMILIES,
    STYLES,
    GeneratedBulletin,
    corpus,
    generate,
    pdf_via_chromium,
    pdf_via_typst,
    pdftotext,
)
from tests.corpus.scoring import Score, score

__all__ = [
    "DEFAULT_SECTIONS",
    "FAMILIES",
    "STYLES",
    "GeneratedBulletin",
    "Score",
    "corpus",
    "generate",
    "pdf_via_chromium",
    "pdf_via_typst",
    "pdftotext",
    "score",
]
