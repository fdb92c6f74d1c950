"""Re-rendering from the admin: the action and the page that shows its progress.

``rerender_issues`` is an action for the issue list (IssueAdmin.actions); it queues the
issues' PDF and HTML through services.rendering and sends the user to a page that
refreshes itself until every rendition has finished, with a progress bar and each
rendition's state, duration, pages, size and error. The page is also served as JSON
(``?format=json``) for scripts.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.models import Rendition
from editorial.services import rendering
from editorial.services.errors import PermissionRefused

PROGRESS_URL_NAME = "editorial_rendition_progress"
FINISHED = (Rendition.State.SUCCEEDED, Rendition.State.FAILED)
REFRESH_SECONDS = 2


def progress_url(rendition_ids) -> str:
    return (
        reverse(f"admin:{PROGRESS_URL_NAME}")
        + "?"
        + urlencode([("id", pk) for pk in rendition_ids])
    )


@admin.action(description=gettext_lazy("Re-render PDF and HTML"), permissions=["change"])
def rerender_issues(modeladmin, request, queryset):
    """Queue the selected issues' renditions again and show their progress."""
    try:
        ids = rendering.rerender_issues(issues=list(queryset), user=request.user)
    except PermissionRefused as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None
    if not ids:
        modeladmin.message_user(request, _("Nothing to render."), messages.WARNING)
        return None
    unsent = Rendition.objects.filter(pk__in=ids, state=Rendition.State.QUEUED, unsent=True).exists()
    if unsent:
        modeladmin.message_user(
            request,
            _("The task queue is unreachable: the renders are recorded and will start when it is back."),
            messages.WARNING,
        )
    else:
        modeladmin.message_user(request, _("Renders queued."), messages.SUCCESS)
    return HttpResponseRedirect(progress_url(ids))


_PROGRESS_TEMPLATE = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}{% load i18n %}
{% block extrahead %}{{ block.super }}{% if not finished %}<meta http-equiv="refresh" content="{{ refresh }}">{% endif %}
<style>
  .render-progress progress { width: 100%; height: 1.2em; }
  .render-progress td.state-failed { color: #ba2121; font-weight: bold; }
  .render-progress td.state-succeeded { color: #2e7d32; }
  .render-progress pre { white-space: pre-wrap; margin: 0; max-width: 60em; }
</style>{% endblock %}
{% block breadcrumbs %}<div class="breadcrumbs"><a href="{% url 'admin:index' %}">{% translate 'Home' %}</a>
&rsaquo; <a href="{% url 'admin:editorial_rendition_changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; {{ title }}</div>{% endblock %}
{% block content %}<div class="render-progress">
  <p><progress max="{{ total }}" value="{{ done }}">{{ percent }}%</progress></p>
  <p role="status">{% blocktranslate %}{{ done }} of {{ total }} finished ({{ percent }}%).{% endblocktranslate %}
  {% if not finished %}{% blocktranslate %}This page refreshes every {{ refresh }} seconds.{% endblocktranslate %}{% endif %}</p>
  <table>
    <thead><tr><th>{% translate "Issue" %}</th><th>{% translate "Kind" %}</th><th>{% translate "State" %}</th>
      <th>{% translate "Attempts" %}</th><th>{% translate "Duration" %}</th><th>{% translate "Pages" %}</th>
      <th>{% translate "Size" %}</th><th>{% translate "File" %}</th><th>{% translate "Error" %}</th></tr></thead>
    <tbody>{% for r in renditions %}
      <tr><td>{{ r.issue }}</td><td>{{ r.get_kind_display }}</td>
        <td class="state-{{ r.state }}">{{ r.get_state_display }}</td><td>{{ r.attempts }}</td>
        <td>{% if r.duration_ms is not None %}{{ r.duration_ms }} ms{% endif %}</td>
        <td>{{ r.pages|default_if_none:"" }}</td><td>{% if r.size %}{{ r.size|filesizeformat }}{% endif %}</td>
        <td>{% if r.file %}<a href="{{ r.file.url }}">{% translate "Download" %}</a>{% endif %}</td>
        <td>{% if r.error %}<pre>{{ r.error|truncatechars:400 }}</pre>{% endif %}</td></tr>{% endfor %}
    </tbody>
  </table>
</div>{% endblock %}"""
)


def progress_view(model_admin, request):
    """How far the renditions named in ``?id=…`` have got (HTML, or JSON)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ids = [int(value) for value in request.GET.getlist("id") if value.isdigit()]
    renditions = list(
        Rendition.objects.filter(pk__in=ids).select_related("issue__bulletin").order_by("issue", "kind")
    )
    total = len(renditions)
    done = sum(1 for r in renditions if r.state in FINISHED)
    percent = int(done * 100 / total) if total else 100
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "total": total,
                "done": done,
                "percent": percent,
                "finished": done == total,
                "renditions": [
                    {
                        "id": r.pk, "issue": r.issue_id, "kind": r.kind, "state": r.state,
                        "attempts": r.attempts, "duration_ms": r.duration_ms, "pages": r.pages,
                        "size": r.size, "error": r.error,
                    }
                    for r in renditions
                ],
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Rendition._meta,
        "title": _("Rendering progress"),
        "renditions": renditions,
        "total": total,
        "done": done,
        "percent": percent,
        "finished": done == total,
        "refresh": REFRESH_SECONDS,
    }
    return TemplateResponse(request, _PROGRESS_TEMPLATE, context)
