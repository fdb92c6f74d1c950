"""The article body's rich-text editor: django-prose-editor's ProseMirror build, limited
to the vocabulary the renderers read (editorial.typesetting.blocks, editorial.sanitising).

Paragraphs (and the kicker line above a subheading), subheadings (h3, minor h4),
bold, italic, super- and subscript, bullet and numbered lists, links, tables, and the
figure placeholders ``<figure class="figure-N">`` that stand for the article's Figure
rows. Whatever the browser sends is still sanitised by the saving service.

The page's Content-Security-Policy allows scripts from static files only, so nothing is
inline: the editor's settings and its Chinese or English labels travel in data-
attributes, read by static/editorial/body_editor*.js (ES modules importing the editor
by relative URL, so no inline import map is needed).
"""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

# The labels the editor's toolbar and dialogs show (their English text is the key the
# editor looks up); translated here so that the admin's language decides.
EDITOR_MESSAGES = {
    "bold": _("Bold"),
    "italic": _("Italic"),
    "superscript": _("Superscript"),
    "subscript": _("Subscript"),
    "paragraph": _("Paragraph"),
    "Paragraph": _("Paragraph"),
    "unordered list": _("Bulleted list"),
    "ordered list": _("Numbered list"),
    "insert link": _("Insert link"),
    "remove link": _("Remove link"),
    "Insert table": _("Insert table"),
    "Add column": _("Add column"),
    "Add row": _("Add row"),
    "Delete column": _("Delete column"),
    "Delete row": _("Delete row"),
    "Delete table": _("Delete table"),
    "Toggle header cell": _("Toggle header cell"),
    "Merge cells": _("Merge cells"),
    "Split cell": _("Split cell"),
    "undo": _("Undo"),
    "redo": _("Redo"),
    "Toggle fullscreen": _("Full screen"),
    "Edit Link": _("Edit link"),
    "URL": _("Address (URL)"),
    "Title": _("Title"),
    "Insert Table": _("Insert table"),
    "Table Properties": _("Table properties"),
    "Rows": _("Rows"),
    "Columns": _("Columns"),
    "Include header row": _("Include a header row"),
    "List properties": _("List properties"),
    "List type": _("List type"),
    "Start at": _("Start at"),
    "Decimal numbers": _("1, 2, 3"),
    "Lowercase letters": _("a, b, c"),
    "Uppercase letters": _("A, B, C"),
    "Lowercase Roman numerals": _("i, ii, iii"),
    "Uppercase Roman numerals": _("I, II, III"),
    "Bullets": _("Bullets"),
    "Update": _("Apply"),
    "Cancel": _("Cancel"),
    "Insert": _("Insert"),
    "Subheading": _("Subheading"),
    "Minor subheading": _("Minor subheading"),
    "Figure %(position)s": _("Figure %(position)s"),
}

EDITOR_CSS = (
    "django_prose_editor/material-icons.css",
    "django_prose_editor/editor.css",
    "django_prose_editor/overrides.css",
    "editorial/body_editor.css",
)


class BodyEditorWidget(forms.Textarea):
    """A textarea the editor takes over; without JavaScript it stays a plain textarea."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 20, **(attrs or {})})

    @property
    def media(self):
        # Evaluated while the page renders, so the labels are in the request's language.
        messages = {key: str(value) for key, value in EDITOR_MESSAGES.items()}
        return forms.Media(
            css={"all": EDITOR_CSS},
            js=[
                # A classic script: it must set the labels before the editor module runs.
                forms.Script("editorial/body_editor_messages.js",
                             **{"data-messages": json.dumps(messages, ensure_ascii=False)}),
                forms.Script("editorial/body_editor.js", type="module"),
            ],
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-body-editor"] = "1"
        return context

    def use_required_attribute(self, initial):
        return False  # the hidden textarea cannot take the browser's focus for "required"
