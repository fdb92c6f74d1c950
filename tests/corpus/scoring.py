"""How close a parse is to the truth of a generated bulletin. Pure functions.

``score(parsed, bulletin)`` compares a ``ParsedBulletin`` (editorial/parsing/tree.py)
with ``GeneratedBulletin`` truth:

- article titles: precision, recall and F1, titles compared with all whitespace removed
  (and full-width letters and digits as ASCII);
- subheadings in the right article: the share of truth subheadings found in the parsed
  article whose title is the truth article's title;
- paragraphs rebuilt exactly: the share of truth paragraphs found, text compared with
  the spaces next to CJK characters removed (a space between two Latin words counts);
- characters lost and extra: the "nothing lost" count of editorial/parsing/accounting.py
  on the truth (the input minus its furniture) against the parse;
- furniture left in a paragraph: paragraphs holding the bulletin name, a piece of the
  copyright notice or a page number;
- sections found, and whether the date, bulletin name and issue number were read.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from editorial.parsing.accounting import content_characters
from editorial.parsing.normalise import fullwidth_to_ascii

_CJK_SPACE = re.compile(
    r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+"
)  # whitespace with a non-ASCII neighbour
_SPACES = re.compile(r"\s+")
_PAGE_NUMBER = re.compile(r"(?i)(?:page\s*\d{1,4}|-\s*\d{1,4}\s*-|第\s*\d{1,4}\s*页)")
_NOTICE_PIECE = re.compile(r"(?:未经.{0,12}?不得转载|版权所有|咨询电话|服务热线|©\s*\d{4})")


def title_key(text: str) -> str:
    """A title for comparison: all whitespace removed, ASCII letters and digits."""
    return "".join(fullwidth_to_ascii(text).split())


def text_key(text: str) -> str:
    """Body text for comparison: spaces next to a CJK character removed, other runs of
    whitespace one space (``Open RAN`` keeps its space, ``5G 基站`` loses it)."""
    text = fullwidth_to_ascii(text).strip()
    return _SPACES.sub(" ", _CJK_SPACE.sub("", text))


@dataclass
class Score:
    titles_truth: int = 0
    titles_found: int = 0
    titles_matched: int = 0
    subheadings_truth: int = 0
    subheadings_right: int = 0
    paragraphs_truth: int = 0
    paragraphs_exact: int = 0
    characters_truth: int = 0
    characters_lost: int = 0
    characters_extra: int = 0
    furniture_paragraphs: int = 0  # paragraphs holding a furniture line or page number
    sections_truth: int = 0
    sections_found: int = 0
    sections_extra: int = 0
    date_read: bool = False
    name_read: bool = False
    number_read: bool | None = None  # None: the issue number is not printed
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few misses, per kind

    @property
    def title_precision(self) -> float:
        return self.titles_matched / self.titles_found if self.titles_found else 0.0

    @property
    def title_recall(self) -> float:
        return self.titles_matched / self.titles_truth if self.titles_truth else 1.0

    @property
    def title_f1(self) -> float:
        p, r = self.title_precision, self.title_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def subheadings_share(self) -> float:
        return self.subheadings_right / self.subheadings_truth if self.subheadings_truth else 1.0

    @property
    def paragraphs_share(self) -> float:
        return self.paragraphs_exact / self.paragraphs_truth if self.paragraphs_truth else 1.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(
            title_precision=self.title_precision,
            title_recall=self.title_recall,
            title_f1=self.title_f1,
            subheadings_share=self.subheadings_share,
            paragraphs_share=self.paragraphs_share,
        )
        return data


def combine(scores: list[Score]) -> Score:
    """Pooled counts over several bulletins (micro averages), first examples kept."""
    total = Score(number_read=None)
    for item in scores:
        for name in (
            "titles_truth",
            "titles_found",
            "titles_matched",
            "subheadings_truth",
            "subheadings_right",
            "paragraphs_truth",
            "paragraphs_exact",
            "characters_truth",
            "characters_lost",
            "characters_extra",
            "furniture_paragraphs",
            "sections_truth",
            "sections_found",
            "sections_extra",
        ):
            setattr(total, name, getattr(total, name) + getattr(item, name))
        for kind, texts in item.examples.items():
            total.examples.setdefault(kind, [])
            total.examples[kind] += texts[: max(0, 5 - len(total.examples[kind]))]
    total.date_read = bool(scores) and all(s.date_read for s in scores)
    total.name_read = bool(scores) and all(s.name_read for s in scores)
    return total


def score(parsed, bulletin, *, examples: int = 3) -> Score:
    """Compare ``parsed`` (a ParsedBulletin) with ``bulletin`` (a GeneratedBulletin)."""
    result = Score()
    truth = bulletin.as_parsed()
    _score_titles(parsed, truth, result, examples)
    _score_subheadings(parsed, truth, result, examples)
    _score_paragraphs(parsed, truth, result, examples)
    _score_characters(parsed, truth, result)
    _score_furniture(parsed, bulletin, result, examples)
    truth_sections = [s.title for s in truth.sections]
    found = Counter(s.title for s in parsed.sections if s.title)
    result.sections_truth = len(truth_sections)
    result.sections_found = sum((Counter(truth_sections) & found).values())
    result.sections_extra = sum((found - Counter(truth_sections)).values())
    result.date_read = parsed.issue_date == bulletin.issue_date
    result.name_read = (parsed.bulletin_name or "") == bulletin.bulletin_name
    if bulletin.issue_number is not None:
        result.number_read = parsed.issue_number == bulletin.issue_number
    return result


def _score_titles(parsed, truth, result: Score, examples: int) -> None:
    truth_titles = Counter(title_key(a.title) for a in truth.articles)
    found_titles = Counter(title_key(a.title) for a in parsed.articles if a.title)
    matched = truth_titles & found_titles
    result.titles_truth = sum(truth_titles.values())
    result.titles_found = sum(found_titles.values())
    result.titles_matched = sum(matched.values())
    missed = [t for t in (truth_titles - found_titles).elements()]
    false = [t for t in (found_titles - truth_titles).elements()]
    if missed:
        result.examples["missed_titles"] = missed[:examples]
    if false:
        result.examples["false_titles"] = false[:examples]


def _score_subheadings(parsed, truth, result: Score, examples: int) -> None:
    by_title: dict[str, Counter] = {}
    for article in parsed.articles:
        by_title.setdefault(title_key(article.title), Counter()).update(
            title_key(text) for text in article.subheadings
        )
    wrong = []
    for article in truth.articles:
        found = by_title.get(title_key(article.title), Counter())
        for text in article.subheadings:
            key = title_key(text)
            result.subheadings_truth += 1
            if found[key] > 0:
                found[key] -= 1
                result.subheadings_right += 1
            else:
                wrong.append(key)
    if wrong:
        result.examples["misplaced_subheadings"] = wrong[:examples]


def _score_paragraphs(parsed, truth, result: Score, examples: int) -> None:
    found = Counter(text_key(p) for a in parsed.articles for p in a.paragraphs)
    wrong = []
    for article in truth.articles:
        for text in article.paragraphs:
            key = text_key(text)
            result.paragraphs_truth += 1
            if found[key] > 0:
                found[key] -= 1
                result.paragraphs_exact += 1
            else:
                wrong.append(key[:40])
    if wrong:
        result.examples["broken_paragraphs"] = wrong[:examples]


def _score_characters(parsed, truth, result: Score) -> None:
    # The truth tree holds exactly the input's characters minus its furniture (a unit
    # test checks it with accounting.input_characters), so this is the accounting rule
    # with the true furniture excepted; a PDF's extra furniture shows as "extra".
    expected = content_characters(truth)
    got = content_characters(parsed)
    result.characters_truth = sum(expected.values())
    result.characters_lost = sum((expected - got).values())
    result.characters_extra = sum((got - expected).values())


def _score_furniture(parsed, bulletin, result: Score, examples: int) -> None:
    name = title_key(bulletin.bulletin_name)
    pieces = {title_key(line) for line in bulletin.furniture if len(title_key(line)) >= 6}
    hits = []
    for article in parsed.articles:
        for text in article.paragraphs:
            key = title_key(text)
            if (
                (name and name in key)
                or any(piece in key for piece in pieces)
                or _PAGE_NUMBER.search(text)
                or _NOTICE_PIECE.search(text)
            ):
                hits.append(key[:40])
    result.furniture_paragraphs = len(hits)
    if hits:
        result.examples["furniture_in_paragraphs"] = hits[:examples]
