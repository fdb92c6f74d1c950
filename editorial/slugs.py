"""Slugs for bulletins and sections: readable ASCII, made from Chinese names.

The public URLs take Django's ``<slug:>`` path converter, which matches ASCII letters,
digits, hyphens and underscores only. Customers name their sections in Chinese, so a slug
is made from the name's pinyin (``产业环境`` → ``chanyehuanjing``), not from the characters:
pinyin URLs survive being pasted into e-mail and chat clients that percent-encode
anything else, read aloud over the phone, and match the ASCII bulletin codes consultancies
already use. A slug is made once, when the row is created; renaming a section later keeps
its slug, so published links keep working, and a slug that an editor does change leaves
a redirect behind (see ``editorial.models.publication``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.validators import RegexValidator
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

# Exactly what django.urls.converters.SlugConverter accepts.
URL_SLUG_REGEX = r"[-a-zA-Z0-9_]+"
_URL_SLUG = re.compile(rf"^{URL_SLUG_REGEX}\Z")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

validate_url_slug = RegexValidator(
    _URL_SLUG,
    _(
        "A slug may hold only Latin letters, digits, hyphens and underscores, because it is "
        "part of the page address. Leave it empty to have one made from the name's pinyin."
    ),
    code="invalid_slug",
)


def is_url_slug(value: str) -> bool:
    return bool(_URL_SLUG.match(value or ""))


def romanised(name: str) -> str:
    """The name with every run of Chinese characters written as toneless pinyin.

    Syllables of one run are written together, runs are kept apart from the Latin text
    around them: ``5G专题`` → ``5G zhuanti``.
    """

    # Imported here: its dictionaries take a fifth of a second to load, and every process
    # that imports the models (a render worker, a management command) would pay for it.
    from pypinyin import Style, lazy_pinyin

    def pinyin(match: re.Match) -> str:
        return " " + "".join(lazy_pinyin(match.group(), style=Style.NORMAL)) + " "

    return _HAN.sub(pinyin, name)


def readable_slug(name: str, *, max_length: int = 60, fallback: str = "section") -> str:
    """An ASCII slug for ``name``; ``fallback`` when the name holds nothing to spell."""
    slug = slugify(romanised(name))[:max_length].strip("-")
    return slug or fallback


def free_slug(
    name: str, *, is_taken: Callable[[str], bool], max_length: int = 60, fallback: str = "section"
) -> str:
    """``readable_slug(name)``, with ``-2``, ``-3`` … appended until ``is_taken`` says no."""
    base = readable_slug(name, max_length=max_length, fallback=fallback)
    candidate, counter = base, 1
    while is_taken(candidate):
        counter += 1
        suffix = f"-{counter}"
        candidate = base[: max_length - len(suffix)] + suffix
    return candidate
