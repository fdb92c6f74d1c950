"""Readable differences between two revisions of an article or issue.

Takes two mappings of field values and returns what changed. A body is compared as
readers see it (its rendered blocks, one paragraph each), paragraph by paragraph:
paragraphs added, removed and changed, side by side; inside a changed paragraph the
changed characters are marked, a character diff that suits Chinese (no word boundaries
to split on). Everything is HTML-escaped; the only markup out is <del>, <ins> and <br>.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from editorial.sanitising import html_to_text
from editorial.typesetting.blocks import html_to_blocks

_FIGURE_PLACEHOLDER = re.compile(r"<figure\b[^>]*\bclass=\"[^\"]*\bfigure-(\d+)\b[^\"]*\"[^>]*>")

# Two paragraphs at least this similar are shown as one paragraph changed, not as one
# removed and another added.
SIMILAR = 0.4
# Unchanged paragraphs kept on each side of a change; longer unchanged runs fold.
CONTEXT = 1


@dataclass(frozen=True)
class ParagraphRow:
    """One line of a side-by-side compare: ``kind`` is equal, changed, added, removed or
    folded (``folded`` unchanged paragraphs not shown)."""

    kind: str
    before_html: str = ""
    after_html: str = ""
    folded: int = 0


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str
    before_paragraphs: tuple[str, ...] = field(default=(), compare=False)
    after_paragraphs: tuple[str, ...] = field(default=(), compare=False)

    @property
    def inline_html(self) -> str:
        """The change as HTML: deletions in <del>, insertions in <ins>, the rest escaped."""
        return inline_diff_html(self.before, self.after)

    @property
    def multiline(self) -> bool:
        """More than one paragraph on either side: shown side by side, by paragraph."""
        return len(self.before_paragraphs) > 1 or len(self.after_paragraphs) > 1

    @property
    def rows(self) -> list[ParagraphRow]:
        return paragraph_rows(self.before_paragraphs, self.after_paragraphs)


def as_text(value) -> str:
    """A field value as readers see it: markup dropped, a line for each block."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        text = "\n".join(line.strip() for line in html_to_text(text).splitlines() if line.strip())
    return text.strip()


def paragraphs_of(value) -> tuple[str, ...]:
    """The paragraphs of a field as readers see them. A body (HTML) is read through the
    render model, so a subheading, a list item, a table row and a figure are each a
    paragraph of their own, and markup never shows."""
    if value is None:
        return ()
    text = str(value)
    if "<" not in text:
        return tuple(line.strip() for line in text.strip().splitlines() if line.strip())
    # Figure placeholders carry no text; name them so a figure moved or removed shows.
    text = _FIGURE_PLACEHOLDER.sub(
        lambda m: "<p>〔%s〕</p><figure>" % html.escape(
            _("Figure %(position)s") % {"position": m.group(1)}),
        text,
    )
    lines: list[str] = []
    for block in html_to_blocks(text):
        kind = block["type"]
        if kind == "paragraph":
            lines.append("".join(run["text"] for run in block["runs"]))
        elif kind == "subheading":
            lines.append(" ".join(filter(None, [block.get("kicker"), block["text"]])))
        elif kind == "list":
            lines.extend("· " + "".join(run["text"] for run in item) for item in block["items"])
        elif kind == "table":
            lines.extend(" | ".join(row) for row in block["rows"])
        elif kind == "figure":
            lines.append(" ".join(filter(None, [block["caption"], block["source"]])))
    return tuple(line.strip() for line in lines if line.strip())


# --- Characters within a paragraph ------------------------------------------------------


def _opcodes(before: str, after: str) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with one-character islands of sameness between two changes
    folded into the change ("增长3.5" → "下降2.1" reads as one change, not five)."""
    ops = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    merged: list[list] = []
    for index, (op, a1, a2, b1, b2) in enumerate(ops):
        island = (
            op == "equal" and a2 - a1 <= 1 and 0 < index < len(ops) - 1
            and merged and merged[-1][0] != "equal"
        )
        if island or (op != "equal" and merged and merged[-1][0] != "equal"):
            last = merged[-1]
            last[0], last[2], last[4] = "replace", a2, b2
        else:
            merged.append([op, a1, a2, b1, b2])
    return [tuple(op) for op in merged]


def _marked(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def inline_diff_html(before: str, after: str) -> str:
    out = []
    for op, a1, a2, b1, b2 in _opcodes(before, after):
        if op == "equal":
            out.append(_marked(before[a1:a2]))
            continue
        if a2 > a1:
            out.append(f"<del>{_marked(before[a1:a2])}</del>")
        if b2 > b1:
            out.append(f"<ins>{_marked(after[b1:b2])}</ins>")
    return "".join(out)


def side_by_side_html(before: str, after: str) -> tuple[str, str]:
    """The two sides of a changed paragraph: removed characters marked on the left,
    added ones on the right."""
    left, right = [], []
    for op, a1, a2, b1, b2 in _opcodes(before, after):
        if op == "equal":
            left.append(_marked(before[a1:a2]))
            right.append(_marked(after[b1:b2]))
            continue
        if a2 > a1:
            left.append(f"<del>{_marked(before[a1:a2])}</del>")
        if b2 > b1:
            right.append(f"<ins>{_marked(after[b1:b2])}</ins>")
    return "".join(left), "".join(right)


# --- Paragraphs -------------------------------------------------------------------------


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


def _pair_replaced(before: list[str], after: list[str]) -> list[ParagraphRow]:
    """Rows for a stretch where paragraphs differ: similar ones paired as changed, in
    order; the rest removed or added."""
    rows: list[ParagraphRow] = []
    i = j = 0
    while i < len(before) and j < len(after):
        if _similarity(before[i], after[j]) >= SIMILAR:
            rows.append(ParagraphRow("changed", *side_by_side_html(before[i], after[j])))
            i, j = i + 1, j + 1
            continue
        # Is the left paragraph matched further down the right (so the right one is new),
        # or the other way round? Look a few paragraphs ahead.
        ahead_right = max((_similarity(before[i], b) for b in after[j + 1:j + 6]), default=0)
        ahead_left = max((_similarity(a, after[j]) for a in before[i + 1:i + 6]), default=0)
        if ahead_right >= SIMILAR and ahead_right >= ahead_left:
            rows.append(ParagraphRow("added", after_html=_marked(after[j])))
            j += 1
        else:
            rows.append(ParagraphRow("removed", before_html=_marked(before[i])))
            i += 1
    rows.extend(ParagraphRow("removed", before_html=_marked(text)) for text in before[i:])
    rows.extend(ParagraphRow("added", after_html=_marked(text)) for text in after[j:])
    return rows


def paragraph_rows(before, after, *, context: int = CONTEXT) -> list[ParagraphRow]:
    """The side-by-side compare of two paragraph lists; long unchanged runs fold."""
    before, after = list(before), list(after)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    opcodes = matcher.get_opcodes()
    rows: list[ParagraphRow] = []
    for index, (op, a1, a2, b1, b2) in enumerate(opcodes):
        if op != "equal":
            rows.extend(_pair_replaced(before[a1:a2], after[b1:b2]))
            continue
        same = [ParagraphRow("equal", _marked(t), _marked(t)) for t in before[a1:a2]]
        keep_head = context if index > 0 else 0
        keep_tail = context if index < len(opcodes) - 1 else 0
        if len(same) <= keep_head + keep_tail + 1:
            rows.extend(same)
            continue
        rows.extend(same[:keep_head])
        rows.append(ParagraphRow("folded", folded=len(same) - keep_head - keep_tail))
        rows.extend(same[len(same) - keep_tail:])
    return rows


def field_changes(before: dict, after: dict, labels: dict[str, str]) -> list[FieldChange]:
    changes = []
    for name, label in labels.items():
        old_paragraphs = paragraphs_of(before.get(name))
        new_paragraphs = paragraphs_of(after.get(name))
        if old_paragraphs != new_paragraphs:
            changes.append(FieldChange(
                name, label, "\n".join(old_paragraphs), "\n".join(new_paragraphs),
                old_paragraphs, new_paragraphs,
            ))
    return changes
