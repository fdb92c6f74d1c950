"""The issue number a bulletin prints on its cover or in its running header.

Covers read "2020年第48期" (the number within the year) and often "总第1234期" (the running
total since the first issue). Extraction drops the cover more often than not, so the
number may be missing; the importer then proposes one instead of assuming 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from editorial.parsing.normalise import fullwidth_to_ascii

# "2020年第48期", "2020 年 第 48 期", "第48期" (the year is optional, the 第 is not).
_YEAR_NUMBER = re.compile(r"(?<!总)第(\d{1,4})期")
_TOTAL_NUMBER = re.compile(r"总第(\d{1,6})期")
# A line that states a number is short: a cover or header line, not a sentence quoting
# another publication's issue ("据《某某》第3期报道，……").
_MAX_LINE_LENGTH = 40


def _key(line: str) -> str:
    return "".join(fullwidth_to_ascii(line).split())


def find_issue_numbers(lines: Iterable[str]) -> tuple[int | None, int | None]:
    """(number within the year, running total) from cover or header lines, or None each.

    The most frequent value wins, since a running header repeats the right one and a
    stray mention occurs once.
    """
    numbers: Counter[int] = Counter()
    totals: Counter[int] = Counter()
    for line in lines:
        key = _key(line)
        if not key or len(key) > _MAX_LINE_LENGTH or "。" in key or "《" in key:
            continue
        numbers.update(int(n) for n in _YEAR_NUMBER.findall(key) if int(n) > 0)
        totals.update(int(n) for n in _TOTAL_NUMBER.findall(key) if int(n) > 0)
    number = numbers.most_common(1)[0][0] if numbers else None
    total = totals.most_common(1)[0][0] if totals else None
    return number, total
