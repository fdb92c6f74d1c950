"""Character accounting for the "nothing lost" rule.

Apart from furniture and whitespace, every character of the input must appear in the
parsed tree exactly once. Both sides are compared after ``fullwidth_to_ascii`` because
titles are cleaned (full-width digits and letters become ASCII) while body text is not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from editorial.parsing.normalise import fullwidth_to_ascii
from editorial.parsing.tree import (
    FigureCaption,
    Paragraph,
    ParsedBulletin,
    Subheading,
    Table,
)


def content_characters(parsed: ParsedBulletin) -> Counter:
    """Every non-whitespace character of the text the tree carries, as a multiset."""
    return _count(_content_strings(parsed))


def input_characters(text: str, furniture: Iterable[str]) -> Counter:
    """Every non-whitespace character of ``text`` minus the removed furniture lines."""
    counts = _count([text])
    counts.subtract(_count(furniture))
    # Zero entries are dropped; negative ones are kept, so furniture that was never in
    # the input makes the comparison fail instead of hiding.
    return Counter({char: n for char, n in counts.items() if n})


def _content_strings(parsed: ParsedBulletin) -> Iterator[str]:
    for section in parsed.sections:
        yield section.title
        for article in section.articles:
            yield article.title
            for block in article.blocks:
                yield from _block_strings(block)


def _block_strings(block) -> Iterator[str]:
    if isinstance(block, Paragraph):
        yield block.text
    elif isinstance(block, Subheading):
        yield block.text
        yield block.kicker or ""
    elif isinstance(block, FigureCaption):
        yield block.caption
        yield block.source or ""
    elif isinstance(block, Table):
        for row in block.rows:
            yield from row


def _count(strings: Iterable[str]) -> Counter:
    counts: Counter = Counter()
    for string in strings:
        counts.update(char for char in fullwidth_to_ascii(string) if not char.isspace())
    return counts
