"""The record of one key figure, as an editor confirms it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass
class KeyFigure:
    indicator: str
    period: str | None
    period_start: date | None
    period_end: date | None
    value: Decimal
    unit: str
    yoy: Decimal | None
    sentence: str
    start: int
    change_points: Decimal | None = None
    qualifier: str | None = None  # 超过/近/约/多/余/左右 ... as written, for approximate figures
