"""A generated bulletin printed to PDF by Chromium and by the project's Typst typesetter.

The corpus (tests/corpus) feeds the PDF import path with PDFs whose structure is known;
this checks that both printers work here and that poppler's ``pdftotext`` reads every
title back. It needs Debian's chromium (skipped with the reason when it is missing, fatal
with REQUIRE_SERVICES=1, like the browser tests) and poppler-utils.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM
from tests.corpus import generate, pdf_via_chromium, pdf_via_typst, pdftotext
from tests.corpus.scoring import title_key

_REQUIRED = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def _needs(present: bool, reason: str):
    # With REQUIRE_SERVICES=1 a missing tool fails the test instead of skipping it.
    return pytest.mark.skipif(not present and not _REQUIRED, reason=reason)


needs_chromium = _needs(
    Path(CHROMIUM).exists(), f"needs chromium at {CHROMIUM} (apt-get install chromium)"
)
needs_pdftotext = _needs(
    shutil.which("pdftotext") is not None, "needs pdftotext (apt-get install poppler-utils)"
)


@pytest.fixture(scope="module")
def bulletin():
    return generate(2, "kickers", articles=(1, 2))


@pytest.mark.e2e
@needs_chromium
@needs_pdftotext
def test_chromium_prints_the_bulletin_and_pdftotext_reads_every_title(bulletin):
    pdf = pdf_via_chromium(bulletin.render_html())
    assert pdf.startswith(b"%PDF")
    text = title_key(pdftotext(pdf))
    for article in bulletin.articles:
        assert title_key(article.title) in text, article.title
    assert title_key(bulletin.bulletin_name) in text  # the running header


@needs_pdftotext
def test_typst_prints_the_render_data_and_pdftotext_reads_every_title(bulletin):
    pdf = pdf_via_typst(bulletin.render_data())
    assert pdf.startswith(b"%PDF")
    text = title_key(pdftotext(pdf))
    for article in bulletin.articles:
        assert title_key(article.title) in text, article.title
    for name, _ in bulletin.truth:
        assert name in text
