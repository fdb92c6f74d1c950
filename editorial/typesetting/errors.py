"""What typesetting raises when an issue cannot be set as it is."""

from __future__ import annotations


class RenderError(Exception):
    """The issue cannot be rendered as it is (a template or data problem): no retry."""
