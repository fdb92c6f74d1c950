"""Importing: a 150 KB bulletin text, and a 10,000-row metrics spreadsheet.

    python -m bench.importing
    python -m bench                 # every bench, this one included

Figures printed side by side, each with a baseline measured in the same run:

- parsing a ~150 KB bulletin (the sample bulletin repeated) with our parser, beside the
  floor of any parser: decoding the bytes and splitting them into lines;
- the whole import (parse, key-figure extraction, one transaction of sections, articles
  with their search columns, figures and suggested metrics), beside bulk-inserting the
  same number of bare article rows (the floor of any import);
- (the 10,000-row metrics spreadsheet has a bench of its own: bench/table_imports.py,
  five ways measured alike.)

Targets: parse under 0.5 s, the whole import under 3 s on a 2-core machine. It runs
in a throwaway test database (PostgreSQL when reachable, else SQLite).

Parser accuracy on the generated corpus (tests/corpus), no database needed:

    python -m bench.importing accuracy

- text path: for each family, ``CORPUS_PER_FAMILY`` bulletins (fixed seeds) in the
  "trailing" and "stripped" styles through our parser
  (``editorial.parsing.text.parse_text``) beside the baseline, the text parser as it was
  at commit 9cb1fdc (bench/_corpus_baseline.py): title F1, subheadings in the right
  article, paragraphs rebuilt exactly, characters lost (and extra, i.e. furniture left);
- PDF path: ``PDF_PER_FAMILY`` bulletins a family printed by Chromium and by our Typst
  template, read by ``editorial.parsing.pdf.parse_pdf`` (when that module exists)
  beside the baseline, poppler's ``pdftotext`` then the old text parser; with the time
  each takes per page.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]
TARGET_BYTES = 150 * 1024


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory and slows each one
    os.environ.setdefault("SECRET_KEY", "bench-importing-" + "k3y" * 20)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_import")
    import django

    django.setup()


def big_bulletin() -> bytes:
    """The sample bulletin's pages repeated until the text is ~150 KB."""
    text = FIXTURE.read_text(encoding="utf-8")
    copies = [text]
    while sum(len(c.encode()) for c in copies) < TARGET_BYTES:
        copies.append(text.split("\f", 2)[-1])  # the pages after the cover and contents
    return "\f".join(copies).encode("utf-8")


def timed(function, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_parse(data: bytes) -> None:
    from editorial.parsing.text import parse_bulletin_bytes

    floor, lines = timed(lambda: data.decode("utf-8").splitlines())
    ours, parsed = timed(lambda: parse_bulletin_bytes(data, sections=SECTIONS))
    print(f"input: {len(data) / 1024:.0f} KB, {len(lines)} lines, "
          f"{len(parsed.articles)} articles, {len(parsed.warnings)} warnings")
    print(f"  parse (ours)                       {ours * 1000:8.1f} ms   target < 500 ms")
    print(f"  decode + split lines (floor)       {floor * 1000:8.1f} ms")


def bench_whole_import(data: bytes) -> None:
    from django.db import transaction

    from editorial.models import Article, Bulletin, Issue, Section
    from editorial.selectors.imports import next_issue_number
    from editorial.services import importing, upload_parsing

    bulletin, _ = importing.ensure_bulletin(slug="bench", sections=SECTIONS)

    def ours():
        parsed = upload_parsing.parse_upload(data=data, filename="big.txt", sections=SECTIONS)
        # Each repeat imports the same file, which states its issue number: take the
        # next free one, or the second run is refused as a duplicate.
        return importing.import_bulletin(
            parsed=parsed, bulletin=bulletin, user=None,
            number=next_issue_number(bulletin),
        )

    ours_time, issue = timed(ours, repeat=3)
    articles = issue.articles.count()
    metrics = issue.metrics.count()

    section = Section.objects.filter(bulletin=bulletin).first()
    bodies = list(issue.articles.values_list("title", "body"))

    def floor():
        with transaction.atomic():
            bare = Issue.objects.create(
                bulletin=bulletin, number=next_issue_number(bulletin),
                issue_date=issue.issue_date,
            )
            Article.objects.bulk_create(
                Article(issue=bare, section=section, position=i, title=t, body=b)
                for i, (t, b) in enumerate(bodies, start=1)
            )

    floor_time, _ = timed(floor, repeat=3)
    print(f"  whole import (ours: parse, figures, {articles} articles with search columns, "
          f"{metrics} metrics, one transaction)")
    print(f"                                     {ours_time * 1000:8.1f} ms   target < 3000 ms")
    print(f"  bulk insert of bare articles (floor) {floor_time * 1000:6.1f} ms")
    Bulletin.objects.filter(pk=bulletin.pk)  # keep the rows for the next bench


# ============================================================================ accuracy

CORPUS_PER_FAMILY = 6
CORPUS_FIRST_SEED = 1
PDF_PER_FAMILY = int(os.environ.get("BENCH_PDF_PER_FAMILY", "1"))
_HEADER = (
    f"  {'family':<9} {'input':<9} {'parser':<9} {'title F1':>8} {'(P / R)':>11} "
    f"{'subheads':>9} {'paragraphs':>10} {'lost':>6} {'extra':>6} {'furn.¶':>6} {'time':>10}"
)


def _row(family: str, kind: str, parser: str, result, seconds: str, failed: int = 0) -> str:
    note = f"  ({failed} failed)" if failed else ""
    return (
        f"  {family:<9} {kind:<9} {parser:<9} {result.title_f1:8.3f} "
        f"({result.title_precision:.2f}/{result.title_recall:.2f}) "
        f"{result.subheadings_share:8.1%} {result.paragraphs_share:10.1%} "
        f"{result.characters_lost:6d} {result.characters_extra:6d} "
        f"{result.furniture_paragraphs:6d} {seconds:>10}{note}"
    )


def _scored(parse, bulletin, data):
    """(Score, seconds, failed) of one parse; a parser error scores as an empty parse."""
    from editorial.parsing.tree import ParsedBulletin
    from tests.corpus import score

    start = time.perf_counter()
    try:
        parsed, failed = parse(data), 0
    except Exception as exc:  # a parser error is a result here, not a crash of the bench
        parsed, failed = ParsedBulletin(warnings=[]), 1
        print(f"    ! {bulletin.family} seed {bulletin.seed}: {type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    return score(parsed, bulletin), seconds, failed


def bench_text_accuracy(ours, baseline) -> None:
    from tests.corpus import FAMILIES, STYLES, corpus
    from tests.corpus.scoring import combine

    print(f"text path: {CORPUS_PER_FAMILY} bulletins a family (seeds {CORPUS_FIRST_SEED}-"
          f"{CORPUS_FIRST_SEED + CORPUS_PER_FAMILY - 1}); time = parse per bulletin")
    print(_HEADER)
    pooled: dict[tuple[str, str], list] = {}
    for family in FAMILIES:
        bulletins = corpus(family, CORPUS_PER_FAMILY, first_seed=CORPUS_FIRST_SEED)
        for style in STYLES:
            parsers = [("ours", ours)] + ([("baseline", baseline)] if baseline else [])
            for name, module in parsers:
                results, seconds, failed = [], 0.0, 0
                for bulletin in bulletins:
                    text = bulletin.extracted_text(style)
                    result, took, bad = _scored(
                        lambda t, m=module, b=bulletin: m.parse_text(t, sections=b.section_names),
                        bulletin, text,
                    )
                    results.append(result)
                    seconds += took
                    failed += bad
                    pooled.setdefault((style, name), []).append(result)
                print(_row(family, style, name, combine(results),
                           f"{seconds / len(bulletins) * 1000:.1f} ms", failed))
    for (style, name), results in pooled.items():
        print(_row("all", style, name, combine(results), ""))


def _pdf_pages(pdf: bytes) -> int:
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        try:
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, timeout=30,
                                  check=False).stdout.decode("utf-8", "replace")
        except OSError:
            info = ""
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    if match:
        return int(match.group(1))
    from editorial.typesetting.pdf import pdf_page_count

    return pdf_page_count(pdf) or 1


def bench_pdf_accuracy(baseline) -> None:
    import shutil

    from tests.corpus import FAMILIES, corpus, pdf_via_chromium, pdf_via_typst, pdftotext
    from tests.corpus.generator import CHROMIUM
    from tests.corpus.scoring import combine

    try:
        from editorial.parsing.pdf import parse_pdf
    except ImportError as exc:
        parse_pdf = None
        print(f"PDF path: editorial.parsing.pdf is not importable ({exc}); "
              "printing the baseline only")
    if shutil.which("pdftotext") is None:
        print("PDF path: pdftotext (poppler-utils) is not installed; no baseline")
    printers = [("typst", lambda b: pdf_via_typst(b.render_data()))]
    if Path(CHROMIUM).exists():
        printers.insert(0, ("chromium", lambda b: pdf_via_chromium(b.render_html())))
    else:
        print(f"PDF path: no chromium at {CHROMIUM}; Typst PDFs only")

    def old_text_parser(pdf, bulletin):
        return baseline.parse_text(pdftotext(pdf), sections=bulletin.section_names)

    parsers = []
    if parse_pdf is not None:
        parsers.append(("ours", lambda pdf, b: parse_pdf(pdf, sections=b.section_names)))
    if baseline is not None and shutil.which("pdftotext"):
        parsers.append(("baseline", old_text_parser))
    if not parsers:
        print("PDF path: nothing to measure")
        return
    print(f"PDF path: {PDF_PER_FAMILY} bulletin(s) a family (seeds {CORPUS_FIRST_SEED}-"
          f"{CORPUS_FIRST_SEED + PDF_PER_FAMILY - 1}) printed by "
          f"{' and '.join(p for p, _ in printers)}; time = parse per page "
          "(baseline: pdftotext + old parser)")
    print(_HEADER.replace("input    ", "printer  "))
    pooled: dict[tuple[str, str], list] = {}
    pages_total: dict[str, int] = {}
    print_seconds: dict[str, float] = {}
    for family in FAMILIES:
        for printer, render in printers:
            documents = []
            for bulletin in corpus(family, PDF_PER_FAMILY, first_seed=CORPUS_FIRST_SEED):
                start = time.perf_counter()
                try:
                    pdf = render(bulletin)
                except Exception as exc:  # a printer failure is reported, not fatal
                    print(f"    ! {printer} could not print {family} seed {bulletin.seed}: {exc}")
                    continue
                print_seconds[printer] = print_seconds.get(printer, 0.0) + time.perf_counter() - start
                pages = _pdf_pages(pdf)
                pages_total[printer] = pages_total.get(printer, 0) + pages
                documents.append((bulletin, pdf, pages))
            if not documents:
                continue
            for name, parse in parsers:
                results, seconds, failed, pages = [], 0.0, 0, 0
                for bulletin, pdf, count in documents:
                    result, took, bad = _scored(
                        lambda data, p=parse, b=bulletin: p(data, b), bulletin, pdf
                    )
                    results.append(result)
                    seconds += took
                    failed += bad
                    pages += count
                    pooled.setdefault((printer, name), []).append(result)
                print(_row(family, printer, name, combine(results),
                           f"{seconds / pages * 1000:.1f} ms/p", failed))
    for (printer, name), results in pooled.items():
        print(_row("all", printer, name, combine(results), ""))
    for printer, pages in pages_total.items():
        print(f"  {printer}: {pages} pages printed in {print_seconds[printer]:.1f} s")


def accuracy() -> None:
    """Parser accuracy on the generated corpus: the text path, then the PDF path."""
    setup_django()
    from bench._corpus_baseline import BASELINE_COMMIT, load_baseline_text_parser
    from editorial.parsing import text as ours

    baseline, problem = load_baseline_text_parser()
    print("parser accuracy on the generated corpus")
    print("  title F1 (precision/recall), subheadings in the right article, paragraphs rebuilt")
    print("  exactly, characters lost and extra (furniture left in), paragraphs holding "
          "furniture")
    if baseline is None:
        print(f"  baseline unavailable ({problem}): our parser only")
    else:
        print(f"  baseline: editorial/parsing/text.py at {BASELINE_COMMIT}")
    bench_text_accuracy(ours, baseline)
    bench_pdf_accuracy(baseline)


BIG_TARGET_BYTES = int(1.5 * 1024 * 1024)


def ten_issues_text() -> bytes:
    """About 1.5 MB of generated bulletins back to back: ten issues' worth in one file."""
    sys.path.insert(0, str(ROOT))
    from tests.corpus import FAMILIES, generate

    texts, size, seed = [], 0, 300
    while size < BIG_TARGET_BYTES:
        text = generate(seed, FAMILIES[seed % len(FAMILIES)]).extracted_text()
        texts.append(text)
        size += len(text.encode("utf-8"))
        seed += 1
    return "\n".join(texts).encode("utf-8")


def bench_big_bulletin() -> None:
    """Parse and import a 1.5 MB text; time and the process's peak memory, with floors."""
    import resource

    from editorial.selectors.imports import next_issue_number
    from editorial.services import importing, upload_parsing

    data = ten_issues_text()
    bulletin, _ = importing.ensure_bulletin(slug="bench-big", sections=SECTIONS)
    floor, _ = timed(lambda: data.decode("utf-8").splitlines(), repeat=3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    parsed = upload_parsing.parse_upload(data=data, filename="big.txt", sections=SECTIONS)
    parsed_at = time.perf_counter()
    issue = importing.import_bulletin(
        parsed=parsed, bulletin=bulletin, user=None, number=next_issue_number(bulletin)
    )
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"big bulletin: {len(data) / 1024 / 1024:.2f} MB, {len(parsed.articles)} articles, "
          f"{issue.metrics.count()} suggested metrics")
    print(f"  parse (ours)                       {(parsed_at - start):8.2f} s")
    print(f"  parse + import (ours)              {(done - start):8.2f} s    target < 10 s")
    print(f"  decode + split lines (floor)       {floor:8.3f} s")
    print(f"  peak process memory                {peak:8.0f} MB   target < 400 MB "
          f"({before:.0f} MB before)")


def main() -> None:
    if sys.argv[1:2] == ["accuracy"]:
        accuracy()
        return
    setup_django()
    only_big = sys.argv[1:2] == ["big"]
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if only_big:
            bench_big_bulletin()
            return
        data = big_bulletin()
        bench_parse(data)
        bench_whole_import(data)
        bench_big_bulletin()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    print()
    accuracy()


if __name__ == "__main__":
    main()
