"""Articles: titles and metadata in lists, the full body in the detail."""

# No "from __future__ import annotations": ninja reads the parameters' annotations at
# import time, and string annotations would hide their Query()/Path() metadata.
from ninja import Router
from ninja.pagination import paginate

from editorial.api import queries
from editorial.api.pagination import ApiPagination
from editorial.api.params import ArticlePathId, BulletinSlug, DateFrom, DateTo, IssueId, SectionSlug
from editorial.api.responses import answers
from editorial.api.schemas import ArticleDetail, ArticleSummary

router = Router(tags=["articles"])


@router.get("/articles", response=answers(list[ArticleSummary]), summary="List articles")
@paginate(ApiPagination)
def list_articles(
    request,
    bulletin: BulletinSlug = None,
    issue: IssueId = None,
    section: SectionSlug = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
):
    """Articles of the issues the token may read in full, newest issue first, then in
    reading order. Without their bodies: fetch an article for its text."""
    return queries.readable_articles(
        request.auth,
        queries.IssueFilters(bulletin=bulletin, date_from=date_from, date_to=date_to, issue=issue),
        section=section,
    )


@router.get(
    "/articles/{id}",
    response=answers(ArticleDetail, not_found=True),
    summary="One article with its body",
)
def get_article(request, id: ArticlePathId):
    """The article's body as sanitised HTML and as plain text, its tags and figures."""
    article = queries.readable_article(request.auth, id)
    request._api_issue = article.issue
    return article
