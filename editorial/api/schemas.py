"""What the API answers, as schemas: the OpenAPI document is generated from these.

Field names are stable ASCII keys whatever the reader's language; fields are only
added within a version. Values are read from the model instances the queries load
(``resolve_*`` computes the ones that are not plain columns). Decimal values are strings
(``"65360"``, ``"-3.5"``): exact, never an exponent, as in the CSV exports.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Schema

from editorial.links import absolute_url
from editorial.selectors.access import issue_access_level
from editorial.tables.writing import plain_decimal
from editorial.typesetting.blocks import blocks_text, html_to_blocks


def _body_text(article) -> str:
    """The body's text from the render model's blocks; figures give their captions (their
    images are not read: the text has no use for them)."""
    figures = {
        figure.position: {"caption": figure.caption, "source": figure.source_line}
        for figure in article.figures.all()
    }
    return blocks_text(html_to_blocks(article.body, figures))


# --- Errors -------------------------------------------------------------------------------


class Error(Schema):
    detail: str = Field(description="What went wrong, in the language the request asked for.")


class ValidationErrors(Schema):
    detail: list[dict[str, Any]] = Field(description="One entry per refused parameter.")


# --- References: the short form of a row another row points to -----------------------------


class BulletinRef(Schema):
    slug: str
    name: str


class IssueRef(Schema):
    id: int
    bulletin: str = Field(description="The bulletin's slug.")
    number: int
    issue_date: datetime.date

    @staticmethod
    def resolve_bulletin(obj) -> str:
        return obj.bulletin.slug


class SectionRef(Schema):
    name: str
    slug: str
    position: int


class ArticleRef(Schema):
    id: int
    title: str


class IndicatorRef(Schema):
    slug: str
    name: str


# --- Issues ------------------------------------------------------------------------------


class IssueSummary(Schema):
    id: int
    bulletin: BulletinRef
    number: int
    volume: int | None
    title: str = Field(description="The issue's title, or the bulletin's name with its number.")
    issue_date: datetime.date
    published_at: datetime.datetime
    access_level: Literal["public", "subscribers"]
    article_count: int
    url: str = Field(description="The issue's public page.")

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.display_title

    @staticmethod
    def resolve_access_level(obj) -> str:
        return issue_access_level(obj)

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute_url(obj.get_absolute_url())


class ArticleTitle(Schema):
    id: int
    position: int
    title: str
    subtitle: str


class SectionContents(Schema):
    name: str
    slug: str
    position: int
    articles: list[ArticleTitle]


class IssueDetail(IssueSummary):
    erratum: str
    sections: list[SectionContents] = Field(
        description="The issue's sections in order, each with its articles in order; "
        "sections without articles are left out."
    )

    @staticmethod
    def resolve_sections(obj) -> list[dict]:
        return [
            {
                "name": section.name,
                "slug": section.slug,
                "position": section.position,
                "articles": articles,
            }
            for section, articles in obj.contents
        ]


# --- Articles ----------------------------------------------------------------------------


class ArticleSummary(Schema):
    id: int
    issue: IssueRef
    section: SectionRef
    position: int
    title: str
    subtitle: str
    source: str
    source_url: str
    author: str
    original_date: datetime.date | None
    summary: str
    url: str = Field(description="The article's public page.")

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute_url(obj.get_absolute_url())


class FigureOut(Schema):
    position: int
    caption: str
    source_line: str
    image_url: str | None

    @staticmethod
    def resolve_image_url(obj) -> str | None:
        return absolute_url(obj.image.url) if obj.image else None


class ArticleDetail(ArticleSummary):
    body_html: str = Field(description="The body as sanitised HTML, as stored and rendered.")
    body_text: str = Field(
        description="The body as plain text, one block (paragraph, subheading, table row, "
        "list item, figure caption) a line, read from the same blocks the renditions use."
    )
    tags: list[str]
    figures: list[FigureOut]

    @staticmethod
    def resolve_body_html(obj) -> str:
        return obj.body

    @staticmethod
    def resolve_body_text(obj) -> str:
        return _body_text(obj)

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_figures(obj) -> list:
        return list(obj.figures.all())


# --- Indicators and metrics --------------------------------------------------------------


class IndicatorOut(Schema):
    slug: str
    name: str
    unit: str
    frequency: Literal["monthly", "quarterly", "yearly", "irregular"]
    description: str
    source: str


class PeriodOut(Schema):
    label: str = Field(description="The period as printed, e.g. “1—11月”.")
    start: datetime.date | None
    end: datetime.date | None


class MetricOut(Schema):
    id: int
    indicator: IndicatorRef
    value: str = Field(description="The value as an exact decimal string, e.g. “65360”.")
    unit: str
    yoy_percent: str | None = Field(description="Change year on year, in percent.")
    period: PeriodOut
    sentence: str = Field(description="The sentence of the article the figure was quoted in.")
    issue: IssueRef
    article: ArticleRef | None

    @staticmethod
    def resolve_value(obj) -> str:
        return plain_decimal(obj.value)

    @staticmethod
    def resolve_yoy_percent(obj) -> str | None:
        return None if obj.yoy_percent is None else plain_decimal(obj.yoy_percent)

    @staticmethod
    def resolve_period(obj) -> dict:
        return {"label": obj.period_label, "start": obj.period_start, "end": obj.period_end}
