"""Limit/offset pages: ``?limit=`` 1–100 (default 50), ``?offset=`` from 0.

Every list answers ``{"count", "limit", "offset", "next", "previous", "items"}``; ``next``
and ``previous`` are the full URLs of the neighbouring pages (null at the ends), with the
request's other parameters kept. A limit out of range is refused (422), not cut.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Beyond this, narrow the list with its filters instead (the database would read and
# skip every row before the page anyway).
MAX_OFFSET = 1_000_000


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class ApiPagination(LimitOffsetPagination):
    Input = PageParams

    class Output(Schema):
        count: int = Field(description="Items matching the filters, on all pages.")
        limit: int
        offset: int
        next: str | None = Field(description="The next page's URL, or null on the last page.")
        previous: str | None = Field(description="The previous page's URL, or null on the first.")
        items: list[Any]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset: QuerySet, pagination: PageParams, request, **params: Any):
        limit, offset = pagination.limit, pagination.offset
        count = self._items_count(queryset)
        return {
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": _page_url(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
            "items": queryset[offset : offset + limit],
        }


def _page_url(request, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
