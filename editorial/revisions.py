"""Readable differences between two revisions of an article or issue.

Pure: takes two mappings of field values and returns what changed, with an inline
character diff that suits Chinese (no word boundaries to split on).
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str

    @property
    def inline_html(self) -> str:
        """The change as HTML: deletions in <del>, insertions in <ins>, the rest escaped."""
        return inline_diff_html(self.before, self.after)


def as_text(value) -> str:
    """A field value as readers see it: markup dropped, paragraphs as line breaks."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        text = re.sub(r"</(p|h3|h4|li|tr)>", "\n", text)
        text = html.unescape(_TAGS.sub("", text))
    return text.strip()


def inline_diff_html(before: str, after: str) -> str:
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    out = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(html.escape(before[a1:a2]))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(before[a1:a2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(after[b1:b2])}</ins>")
    return "".join(out).replace("\n", "<br>")


def field_changes(before: dict, after: dict, labels: dict[str, str]) -> list[FieldChange]:
    changes = []
    for field, label in labels.items():
        old, new = as_text(before.get(field)), as_text(after.get(field))
        if old != new:
            changes.append(FieldChange(field, label, old, new))
    return changes
