"""WordprocessingML as lxml elements: the namespace, and a paragraph's text as printed."""

from __future__ import annotations

from docx.exceptions import PythonDocxError
from lxml import etree

# What python-docx and lxml raise for well-formed XML that breaks the schema.
MALFORMED_XML = (
    AttributeError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    etree.LxmlError,
    PythonDocxError,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not part of the paragraph as printed: text boxes are separate
# stories, deleted revisions are gone, and mc:Fallback repeats what mc:Choice shows.
HIDDEN_TEXT = frozenset({f"{W}txbxContent", f"{W}del", f"{W}moveFrom", _MC_FALLBACK})


def element_text(element: etree._Element) -> str:
    out: list[str] = []
    _collect_text(element, out)
    return "".join(out)


def _collect_text(element: etree._Element, out: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in HIDDEN_TEXT:
            continue  # comments and processing instructions have a non-string tag
        if tag == f"{W}t":
            out.append(child.text or "")
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
        else:
            _collect_text(child, out)


def inside_hidden(element: etree._Element, *, stop: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in HIDDEN_TEXT:
            return True
        parent = parent.getparent()
    return False
