"""The words both bulletin readers share: override roles, warning codes, known section names."""

from __future__ import annotations

OVERRIDE_ROLES = frozenset({"section", "title", "subheading", "body", "furniture", "caption"})

# Every ``ParseWarning.code`` this parser emits, for the admin's translated texts.
WARNING_CODES = {
    "unsure-title": "a short line taken as a new article's title, on thin evidence",
    "unsure-subheading": "a short line taken as a subheading (or a stray label kept as one)",
    "unknown-line": "a short line with nothing after it, kept as a paragraph",
    "unknown-heading": "a known section name that is not one of this bulletin's sections",
    "guessed-section": "no sections configured: a short line taken as a section heading",
    "section-order": "a section heading out of the configured order (or repeated)",
    "no-section": "text before the first section heading, put in an untitled section",
    "untitled-article": "text with no title before it, put in an untitled article",
    "empty-article": "a title with no text after it",
    "orphan-source": "a 资料来源 line without a caption: a figure with an empty caption",
    "unsure-table": "short lines read as table cells, one per row",
    "front-matter": "cover and contents lines set aside as furniture",
    "bad-override": "an editor's override on a blank or missing line, ignored",
}

# Section names seen in monitoring bulletins; used only when no sections are configured.
KNOWN_SECTION_NAMES = (
    "产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴", "政策", "市场", "政策法规",
    "政策环境", "市场动态", "行业动态", "产业动态", "企业动态", "技术动态", "国际动态",
    "海外动态", "国际借鉴", "热点聚焦", "焦点关注", "专题研究", "数据观察", "要闻", "综述",
)  # fmt: skip

