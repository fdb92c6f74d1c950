"""Chinese numerals as the bulletins write them in figures: 一, 十五, 二十, 三百."""

from __future__ import annotations

from decimal import Decimal

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def small_number(token: str) -> int:
    return int(token) if token.isdigit() else _CN_DIGITS[token]


def chinese_number(token: str) -> Decimal | None:
    """一 → 1, 十五 → 15, 二十 → 20, 三百 → 300; None for anything else."""
    total, digit = 0, None
    for char in token:
        if char in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
    return Decimal(total + (digit or 0))
