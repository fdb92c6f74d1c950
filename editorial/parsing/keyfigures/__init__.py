"""Candidate key figures read out of bulletin sentences.

Bulletins quote their numbers inside sentences
(``1—11月，电信业务收入累计完成12451亿元，同比增长3.5%``). This module finds them and
returns :class:`KeyFigure` records for an editor to confirm, each pointing back at its
sentence. It is a set of regular expressions and small rules, not a parser of Chinese:
it favours precision (no dates, page numbers or "发布12项标准" counts) over recall.

Conventions an editor can rely on:

* **Value in the stated magnitude.** ``2万多个`` is value 2, unit ``万个``; ``1.2万亿元``
  is 1.2 ``万亿元``; ``12451亿元`` is 12451 ``亿元``. Nothing is rescaled, so the value
  and unit read back exactly as printed. The one exception is ``成`` (tenths), which is
  converted to percent because editors compare it with other shares: ``超6成`` is 60 ``%``.
  Approximation words (超过, 近, 约, 多, 余, 左右 ...) go to ``qualifier``.
* **Changes.** ``同比增长3.5%`` after a figure sets that figure's ``yoy`` (negative for
  下降/减少/回落 ...); a change in ``个百分点`` sets ``change_points``. Growth written
  without a level (``软件业务收入同比增长12.6%``) is a figure of its own: value is the
  signed change, unit ``%``, and ``yoy`` the same number. Month-on-month changes (环比,
  较上月) are not year-on-year and never fill ``yoy``. Absolute changes
  (``比上年末净增1.2亿户``) become figures named after the change (``…净增``).
* **Periods.** The label is kept as written except that every month range becomes
  ``1—11月`` (``1-11月``, ``1~11月``, ``1至11月``, ``1月—11月``). A figure takes the last
  period written before it in its sentence; a sentence with no period inherits the one of
  the previous sentence in the same paragraph (text not broken by a newline). Periods
  after 较/比 are comparison bases and are ignored. ``11月末`` is a point in time
  (start = end = 30 November). ``今年``/``去年``/``明年`` alone are years; ``去年同期``,
  ``2020年以前`` or ``2020年起`` are not periods.
* **Units whole.** A unit is read as printed, however long: ``个百分点``, ``亿GB``, ``万户``,
  ``GWh``, ``TB/s``. In a list written with the unit once (``提高0.5个和2.2个百分点``) every
  number takes the list's unit.
* **Names.** An indicator is a noun phrase naming a measured thing: leading prepositions,
  conjunctions and time words are trimmed (``与``, ``在``, ``未来``, ``目前`` ...), and a
  figure whose name would be only a function word, a generic noun (``数据``, ``占比``), a word
  pointing back (``这一比例``) or a clause (``…表示``) is not proposed at all. There is no
  fallback name taken from elsewhere in the sentence.

Not proposed, because features and commentary quote numbers this way without measuring
anything: shares of a population (``有63%的受访者``, ``93%的中小企业``, ``超6成企业``, survey
answers), differences from another quantity (``比同期工业高5.4个百分点``, ``是4G的1.5倍``,
``高于行业平均水平30%``, changes after ``与华为相比``), the starting point of
``从10%上升到23%`` (the figure is 23%), ``一倍`` (as loose as 翻番), and any quantity
without digits or a number the extractor can read (``数十亿``, ``上百家``, ``翻番``, ``一半``).
A growth rate followed by its level (``同比增长11.3%，达到2.02亿台``) is one figure.

One module a step: sentences.py (cutting and normalising), periods.py, numerals.py,
mentions.py (numbers with their units), vocabulary.py and clues.py (the words before a
number), reader.py (a sentence's figures); figure.py holds the record.
"""

from __future__ import annotations

from .figure import KeyFigure
from .mentions import find_mentions
from .periods import Period, find_periods, sentence_period
from .reader import SentenceReader
from .sentences import normalise, split_sentences

__all__ = ["KeyFigure", "extract_key_figures"]


def extract_key_figures(text: str, *, year: int | None = None) -> list[KeyFigure]:
    """Key figures of ``text`` in text order.

    ``year`` resolves periods written without one (``1—11月``, ``今年``); without it such
    periods keep their label but get no dates.
    """
    figures: list[KeyFigure] = []
    seen: set[tuple] = set()
    carried: Period | None = None
    for start, sentence, new_paragraph in split_sentences(text):
        norm = normalise(sentence)
        periods = find_periods(norm, year)
        inherited = None if new_paragraph else carried
        reader = SentenceReader(norm, periods, inherited, sentence, start)
        for figure in reader.read(find_mentions(norm)):
            key = (
                figure.start,
                figure.indicator,
                figure.value,
                figure.unit,
                figure.yoy,
                figure.change_points,
            )
            if key not in seen:
                seen.add(key)
                figures.append(figure)
        carried = sentence_period(periods) or inherited
    return figures
