"""Topic continuity between headings and text, measured on Chinese character pairs.

A subheading repeats words of its article's title or text; a new article's title shares
none with the article before it, and its first sentence echoes its own words. Chinese
words are not separated by spaces, so "words" here are pairs of adjacent Chinese
characters (bigrams), the same unit the search index uses. Pairs that occur all over the
issue (发展, 企业, 同比) say nothing about a topic and are left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")
# The paragraphs are read in windows of this many; a pair found in more than
# this share of the windows occurs all over the issue and marks no topic. (A topic's own
# words fill the paragraphs of one article, so counting paragraphs would drop them.)
_WINDOW = 8
_COMMON_SHARE = 0.3
_COMMON_MIN = 3


def character_pairs(text: str) -> set[str]:
    """Adjacent Chinese character pairs, plus Latin words (5G, GPU) as they are."""
    pairs = set()
    for run in _HAN_RUN.findall(text):
        pairs.update(run[i : i + 2] for i in range(len(run) - 1))
    pairs.update(word.upper() for word in _LATIN_WORD.findall(text))
    return pairs


class TopicIndex:
    """How common each pair is in one issue, to keep only the pairs that mark a topic."""

    def __init__(self, paragraphs: Iterable[str]):
        texts = list(paragraphs)
        windows = [
            set().union(*(character_pairs(text) for text in texts[i : i + _WINDOW]))
            for i in range(0, len(texts), _WINDOW)
        ]
        counts: Counter[str] = Counter()
        for window in windows:
            counts.update(window)
        limit = max(_COMMON_MIN, _COMMON_SHARE * len(windows))
        self.common = frozenset(pair for pair, n in counts.items() if n > limit)

    def marking(self, text: str) -> set[str]:
        return character_pairs(text) - self.common


def first_sentence(text: str) -> str:
    match = re.search(r"[。！？!?]", text)
    return text[: match.end()] if match else text
