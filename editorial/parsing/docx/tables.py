"""A Word table's cells, row by row, aligned with its grid."""

from __future__ import annotations

from lxml import etree

from .wordml import W, element_text, inside_hidden


def table_rows(table: etree._Element) -> list[list[str]]:
    """Cell texts row by row; a merged cell's text appears once, in its first grid slot.

    Horizontally merged cells are padded with "" for the extra grid columns they span,
    and vertically continued cells give "", so every row stays aligned with the grid.
    """
    rows = []
    for tr in table.iter(f"{W}tr"):
        if _nearest_ancestor(tr, f"{W}tbl") is not table:
            continue  # a row of a table nested inside one of this table's cells
        row: list[str] = []
        for tc in tr.iter(f"{W}tc"):
            if _nearest_ancestor(tc, f"{W}tr") is not tr:
                continue
            row.append("" if _is_vertical_continuation(tc) else _cell_text(tc))
            row.extend([""] * (_grid_span(tc) - 1))
        rows.append(row)
    return rows


def _nearest_ancestor(element: etree._Element, tag: str) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _cell_text(tc: etree._Element) -> str:
    paragraphs = (p for p in tc.iter(f"{W}p") if not inside_hidden(p, stop=tc))
    return "\n".join(element_text(p) for p in paragraphs).strip()


def _tc_property(tc: etree._Element, name: str) -> etree._Element | None:
    tc_pr = tc.find(f"{W}tcPr")
    return None if tc_pr is None else tc_pr.find(f"{W}{name}")


def _grid_span(tc: etree._Element) -> int:
    span = _tc_property(tc, "gridSpan")
    try:
        return max(1, min(int(span.get(f"{W}val")), 64)) if span is not None else 1
    except (TypeError, ValueError):
        return 1


def _is_vertical_continuation(tc: etree._Element) -> bool:
    merge = _tc_property(tc, "vMerge")
    # <w:vMerge/> without a value continues the cell above; "restart" starts a merge.
    return merge is not None and merge.get(f"{W}val", "continue") == "continue"
