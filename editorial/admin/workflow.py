"""Workflow in the admin: transition buttons, list actions, confirmation with a comment.

The views only collect the decision; editorial.services take it (and refuse it).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial import workflow
from editorial.models import Article, Issue
from editorial.selectors import readiness
from editorial.services import caching, reviewing
from editorial.services.errors import ServiceError
from editorial.services.issues import take_issue_action
from editorial.services.permissions import user_roles

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class TransitionForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    release_at = forms.DateTimeField(
        label=gettext_lazy("Release at (Beijing time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )

    def __init__(self, *args, transition: workflow.Transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.needs_comment:
            self.fields["comment"].required = True
        if transition.name != "schedule":
            del self.fields["release_at"]
        else:
            self.fields["release_at"].required = True

    def clean_release_at(self):
        value: datetime | None = self.cleaned_data.get("release_at")
        if value is None:
            return value
        # Entered and shown in Beijing time whatever the server's zone; stored in UTC.
        if timezone.is_aware(value):
            value = timezone.make_naive(value, timezone.get_current_timezone())
        return value.replace(tzinfo=SHANGHAI)


def perform_article_transition(*, obj: Article, action: str, user, data: dict):
    return reviewing.transition_article(
        article=obj, action=action, user=user, comment=data.get("comment", "")
    )


def perform_article_bulk_transition(*, objects, action: str, user, data: dict):
    """A list action on many articles: one e-mail per person for all of them."""
    done, refused = reviewing.transition_articles(
        articles=objects, action=action, user=user, comment=data.get("comment", "")
    )
    return len(done), [f"{article}: {exc}" for article, exc in refused]


def _warn_if_purge_pending(request) -> None:
    """Say so when the public pages' cache could not be cleared (Redis unreachable).

    Issue pages are right anyway (their cache keys carry the issue version); other
    cached pages may show the old state until the purge, retried on the next request,
    goes through.
    """
    if caching.purge_pending():
        messages.warning(
            request,
            _("The public site's cache could not be cleared just now: some public pages may "
              "show the old state for a short while. It is tried again automatically."),
        )


def perform_issue_transition(*, obj: Issue, action: str, user, data: dict):
    extra = {"release_at": data.get("release_at")} if action == "schedule" else {}
    return take_issue_action(
        issue=obj, action=action, user=user, comment=data.get("comment", ""), **extra
    )


class WorkflowAdminMixin:
    """Buttons on the change page and list actions for every transition of the model."""

    transitions: dict[str, workflow.Transition] = {}
    perform_transition = None  # one of the perform_* functions above
    perform_bulk_transition = None  # for list actions; else perform_transition in a loop

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="%s_%s_transition" % info,
            ),
        ] + super().get_urls()

    def _roles(self, request) -> set[str]:
        return user_roles(request.user)

    def available_transitions(self, request, obj) -> list[workflow.Transition]:
        return workflow.available_transitions(
            self.transitions,
            state=obj.state,
            roles=self._roles(request),
            is_superuser=request.user.is_superuser,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            info = self.opts.app_label, self.opts.model_name
            context["workflow_buttons"] = [
                (t, reverse("admin:%s_%s_transition" % info, args=[obj.pk, t.name]))
                for t in self.available_transitions(request, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, object_id: int, action: str):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        transition = self.transitions.get(action)
        if transition is None or not transition.in_admin:
            raise PermissionDenied
        form = TransitionForm(request.POST or None, transition=transition)
        change_url = reverse(
            "admin:%s_%s_change" % (self.opts.app_label, self.opts.model_name), args=[obj.pk]
        )
        if request.method == "POST" and form.is_valid():
            try:
                self.perform_transition(
                    obj=obj, action=action, user=request.user, data=form.cleaned_data
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(action)s: done.") % {"action": transition.label}
                )
                _warn_if_purge_pending(request)
                return redirect(change_url)
        return self._confirmation_page(request, [obj], transition, form, change_url)

    def _confirmation_page(self, request, objects, transition, form, cancel_url, action_name=""):
        blockers = []
        if isinstance(objects[0], Issue) and transition.name in readiness.GATED_ISSUE_ACTIONS:
            blockers = [(o, readiness.issue_blockers(o)) for o in objects]
        context = {
            **self.admin_site.each_context(request),
            "title": transition.label,
            "opts": self.opts,
            "objects": objects,
            "transition": transition,
            "form": form,
            "cancel_url": cancel_url,
            "blockers": [(o, b) for o, b in blockers if b],
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/editorial/transition_confirm.html", context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        roles, superuser = self._roles(request), request.user.is_superuser
        for transition in self.transitions.values():
            if not transition.in_admin or transition.system:
                continue
            if superuser or roles & set(transition.roles):
                name = f"transition_{transition.name}"
                actions[name] = (self._make_action(transition), name, transition.label)
        return actions

    def _perform_each(self, request, queryset, transition, data) -> tuple[int, list[str]]:
        if self.perform_bulk_transition is not None:
            return self.perform_bulk_transition(
                objects=list(queryset), action=transition.name, user=request.user, data=data
            )
        done, failed = 0, []
        for obj in queryset:
            try:
                self.perform_transition(obj=obj, action=transition.name, user=request.user,
                                        data=data)
                done += 1
            except ServiceError as exc:
                failed.append(f"{obj}: {exc}")
        return done, failed

    def _make_action(self, transition):
        def action(modeladmin, request, queryset):
            form = TransitionForm(
                request.POST if "confirm" in request.POST else None, transition=transition
            )
            if "confirm" in request.POST and form.is_valid():
                done, failed = self._perform_each(request, queryset, transition,
                                                  form.cleaned_data)
                if done:
                    messages.success(
                        request,
                        _("%(action)s: %(count)s done.") % {"action": transition.label, "count": done},
                    )
                    _warn_if_purge_pending(request)
                for failure in failed:
                    messages.error(request, failure)
                return None
            changelist = reverse(
                "admin:%s_%s_changelist" % (self.opts.app_label, self.opts.model_name)
            )
            return self._confirmation_page(
                request, list(queryset), transition, form, changelist,
                action_name=f"transition_{transition.name}",
            )

        action.__name__ = f"transition_{transition.name}"
        return action
