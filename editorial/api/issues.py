"""Issues: the published issues a token may read in full, with their contents."""

# No "from __future__ import annotations": ninja reads the parameters' annotations at
# import time, and string annotations would hide their Query()/Path() metadata.
from ninja import Router
from ninja.pagination import paginate

from editorial.api import queries
from editorial.api.pagination import ApiPagination
from editorial.api.params import BulletinSlug, DateFrom, DateTo, IssuePathId
from editorial.api.responses import answers
from editorial.api.schemas import IssueDetail, IssueSummary

router = Router(tags=["issues"])


@router.get("/issues", response=answers(list[IssueSummary]), summary="List issues")
@paginate(ApiPagination)
def list_issues(
    request,
    bulletin: BulletinSlug = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
):
    """Published issues, newest first, that the token's organisation may read in full:
    every issue of a public bulletin, and those of subscriber-only bulletins it holds an
    active subscription to."""
    return queries.readable_issues(
        request.auth,
        queries.IssueFilters(bulletin=bulletin, date_from=date_from, date_to=date_to),
    )


@router.get(
    "/issues/{id}",
    response=answers(IssueDetail, not_found=True),
    summary="One issue with its sections and article titles",
)
def get_issue(request, id: IssuePathId):
    """An issue with its sections in order and their articles' titles. 404 when the
    issue is not published or not readable with this token."""
    issue = queries.readable_issue(request.auth, id)
    issue.contents = queries.issue_sections(issue)
    request._api_issue = issue
    return issue

