"""Reading spreadsheet cells as editors type them: numbers, dates, flags, choices, keys.

Plain functions that raise ValueError with a message in the user's language; the table
importer turns each into a row problem naming the row and the column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import override


def clean_text(value) -> str:
    """A cell as trimmed text; spreadsheet numbers like 3.0 read as "3"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def is_blank(value) -> bool:
    return clean_text(value) == ""


def parse_decimal(value) -> Decimal | None:
    """Numbers as editors type them: ``65,360``, ``１２.５``, ``12.5%``; blank is None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"[\s,\u00a0]", "", text).removesuffix("%")
    if text in {"", "-", "—", "--"}:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": clean_text(value)})
    return number


def parse_whole_number(value) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": clean_text(value)})
    return int(number)


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date; write it as 2020-12-31.") % {"value": text})


FLAG_TRUE = frozenset({"1", "true", "yes", "y", "t", "是", "真", "x", "✓"})
FLAG_FALSE = frozenset({"0", "false", "no", "n", "f", "否", "假"})


def parse_flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = clean_text(value).casefold()
    if not text:
        return None
    if text in FLAG_TRUE:
        return True
    if text in FLAG_FALSE:
        return False
    raise ValueError(
        _("“%(value)s” is not yes or no (write 1 or 0).") % {"value": clean_text(value)}
    )


class ChoiceReader:
    """A choice by its stored value or its label in Chinese or English; blank is None."""

    def __init__(self, choices):
        self.choices = list(choices)
        self._lookup: dict[str, str] | None = None

    def __call__(self, value):
        text = clean_text(value)
        if not text:
            return None
        if self._lookup is None:
            self._lookup = {}
            for stored, label in self.choices:
                self._lookup[str(stored).casefold()] = stored
                for language in ("zh-hans", "en"):
                    with override(language):
                        self._lookup[str(label).casefold()] = stored
        try:
            return self._lookup[text.casefold()]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": ", ".join(str(c[0]) for c in self.choices)}
            ) from None


def key_part(value) -> str:
    """A key cell normalised the way lookups see it (so 3, "3" and "3.0" are one key)."""
    text = unicodedata.normalize("NFKC", clean_text(value))
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


TAG_SEPARATORS = re.compile(r"[,，、;；]")


def read_tag_names(value, *, max_length: int) -> list[str]:
    """Tag names separated by commas, 、 or semicolons, each once, in order; a name
    longer than ``max_length`` (Tag.name's) is refused."""
    names: list[str] = []
    for part in TAG_SEPARATORS.split(clean_text(value)):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    for name in names:
        if len(name) > max_length:
            raise ValueError(
                _("The tag “%(tag)s” is longer than %(limit)s characters.")
                % {"tag": name, "limit": max_length}
            )
    return names
