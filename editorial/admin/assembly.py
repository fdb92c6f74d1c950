"""The issue assembly view: articles ordered by drag and drop, moved between sections,
merged into the article before them or split at a subheading.

Works without JavaScript too: every article has a section select and a position
number; the drag-and-drop script only fills those in. Merge and split are submit
buttons of the same form, each naming its article.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from editorial.models import Article, Issue
from editorial.services import assembling, reviewing
from editorial.services.errors import ServiceError


def layout_from_post(post, article_ids: list[int]) -> dict[int, list[int]]:
    """{section_id: [article_id, …]} from the form's section-N / position-N fields."""
    placed: dict[int, list[tuple[float, int]]] = {}
    for article_id in article_ids:
        try:
            section_id = int(post[f"section-{article_id}"])
            position = float(post[f"position-{article_id}"])
        except (KeyError, ValueError) as exc:
            raise ServiceError(_("The arrangement is incomplete; reload the page.")) from exc
        placed.setdefault(section_id, []).append((position, article_id))
    return {section: [a for _p, a in sorted(items)] for section, items in placed.items()}


class IssueAssemblyMixin:
    def get_urls(self):
        return [
            path(
                "<int:object_id>/assemble/",
                self.admin_site.admin_view(self.assembly_view),
                name="editorial_issue_assemble",
            ),
        ] + super().get_urls()

    def assembly_view(self, request, object_id: int):
        issue = get_object_or_404(Issue.objects.select_related("bulletin"), pk=object_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        articles = list(
            Article.objects.filter(issue=issue)
            .select_related("section")
            .order_by("section__position", "position")
        )
        if request.method == "POST":
            try:
                if "merge" in request.POST or "split" in request.POST:
                    message = self._merge_or_split(request, articles)
                else:
                    layout = layout_from_post(request.POST, [a.pk for a in articles])
                    reviewing.arrange_articles(issue=issue, layout=layout, user=request.user)
                    message = _("The new order is saved.")
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, message)
            return redirect("admin:editorial_issue_assemble", object_id=issue.pk)
        sections = list(issue.bulletin.sections.order_by("position"))
        by_section = {s.pk: [] for s in sections}
        for article in articles:
            article.subheadings = assembling.article_subheadings(article.body)
            by_section.setdefault(article.section_id, []).append(article)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Arrange “%(issue)s”") % {"issue": issue},
            "opts": self.opts,
            "original": issue,
            "sections": [(s, by_section[s.pk]) for s in sections],
            "all_sections": sections,
            "can_arrange": self.has_change_permission(request, issue),
        }
        return TemplateResponse(request, "admin/editorial/issue/assemble.html", context)

    def _merge_or_split(self, request, articles: list[Article]) -> str:
        """Run the merge or split the pressed button names; the success message."""
        by_id = {article.pk: article for article in articles}
        action = "merge" if "merge" in request.POST else "split"
        try:
            article = by_id[int(request.POST[action])]
        except (KeyError, ValueError) as exc:
            raise ServiceError(_("The article was moved or removed meanwhile. Reload the page.")) from exc
        if action == "merge":
            target = assembling.merge_article_into_previous(article=article, user=request.user)
            return _("“%(merged)s” was merged into “%(target)s” as a subheading.") % {
                "merged": article.title, "target": target.title,
            }
        try:
            index = int(request.POST.get(f"split-at-{article.pk}", ""))
        except ValueError as exc:
            raise ServiceError(_("Choose the subheading to split the article at.")) from exc
        new = assembling.split_article_at_subheading(
            article=article, subheading_index=index, user=request.user
        )
        return _("“%(new)s” is now an article of its own, after “%(article)s”.") % {
            "new": new.title, "article": article.title,
        }
