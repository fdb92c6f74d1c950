"""The subscriber's page, signed downloads and unsubscribing — no password, signed links.

Thin: every check of a link goes through editorial.links, every change through
editorial.services.subscriptions.
Pages speak the subscriber's language, are never cached, and send no Referer to other
sites (the link's token is in the URL). Opening the page link signs the subscriber in to
the site too (editorial.services.signing_in), so its issue links open in full.
"""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from editorial.links import (
    LinkRefused,
    download_from_token,
    download_url,
    link_max_age,
    subscriber_for_renewal,
    subscriber_from_page_token,
    subscription_from_unsubscribe_token,
)
from editorial.models import AccessLogEntry, Subscription
from editorial.selectors.access import Reader, is_subscriber_only
from editorial.selectors.delivery import metrics_workbook
from editorial.selectors.metrics import issues_with_confirmed_metrics
from editorial.selectors.renditions import current_file_kinds, current_renditions
from editorial.selectors.subscriptions import (
    subscription_formats,
    subscription_issues,
    subscription_period,
    subscription_refusal,
)
from editorial.services import signing_in
from editorial.services.access_log import record_access
from editorial.services.errors import ServiceError
from editorial.services.signing_in import SignInRefused
from editorial.services.subscriptions import (
    cancel_subscription,
    change_subscription,
    send_page_link,
    unsubscribe_by_link,
)
from editorial.site.file_serving import stored_file_response
from editorial.tables.writing import XLSX_MIME

REFUSAL_STATUS = {"invalid": 404, "expired": 410, "revoked": 403, "gone": 404}
ISSUES_SHOWN = 24


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # The token is in the URL: other sites never see it. Not "no-referrer": with it
    # browsers send "Origin: null" on the page's own forms, which CSRF checking refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused(request, error: LinkRefused, *, token: str):
    response = render(
        request,
        "subscriber/refused.html",
        {"message": str(error), "code": error.code, "token": token,
         "can_renew": error.code == "expired"},
        status=REFUSAL_STATUS.get(error.code, 404),
    )
    return _private(response)


class SubscriptionChoicesForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=Subscription.Format.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one format, or unsubscribe.")},
    )
    sections = forms.ModelMultipleChoiceField(
        label=_("Only these sections"),
        help_text=_("Leave empty for the whole issue."),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, subscription: Subscription, *args, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "formats": subscription_formats(subscription),
                "sections": list(subscription.sections.values_list("pk", flat=True)),
            },
        )
        super().__init__(*args, prefix=f"s{subscription.pk}", **kwargs)
        self.fields["sections"].queryset = subscription.bulletin.sections.order_by("position", "id")


def _issue_rows(subscription: Subscription) -> list[dict]:
    """The subscription's latest issues, each with fresh signed links to its files."""
    issues = list(subscription_issues(subscription)[:ISSUES_SHOWN])
    ids = [issue.pk for issue in issues]
    files = current_file_kinds(ids)
    with_metrics = issues_with_confirmed_metrics(ids)
    rows = []
    for issue in issues:
        links = {}
        for kind in ("pdf", "html"):
            if kind in files[issue.pk]:
                links[kind] = download_url(subscription=subscription, issue=issue, kind=kind)
        if issue.pk in with_metrics:
            links["metrics"] = download_url(
                subscription=subscription, issue=issue, kind="metrics"
            )
        rows.append({"issue": issue, "links": links, "web": issue.get_absolute_url()})
    return rows


@require_http_methods(["GET", "POST"])
def subscriber_page(request, token: str):
    try:
        subscriber = subscriber_from_page_token(token)
    except LinkRefused as error:
        return _refused(request, error, token=token)
    # The page link was mailed to this subscriber: opening it signs them in to the site
    # too (taking a seat), so the issue links on the page open in full.
    sign_in_refusal = ""
    if request.method == "GET" and signing_in.signed_in_subscriber_id(request) != subscriber.pk:
        try:
            signing_in.sign_in_from_delivery_link(subscriber=subscriber)
        except SignInRefused as error:
            sign_in_refusal = str(error)
        else:
            signing_in.open_session(request, subscriber)
    subscriptions = list(
        subscriber.subscriptions.select_related("bulletin").order_by("bulletin__name")
    )
    forms_by_id = {s.pk: SubscriptionChoicesForm(s) for s in subscriptions}
    errors: dict[int, str] = {}
    with translation.override(subscriber.language):
        if request.method == "POST":
            subscription = get_object_or_404(
                Subscription, pk=request.POST.get("subscription") or 0, subscriber=subscriber
            )
            try:
                if request.POST.get("action") == "unsubscribe":
                    cancel_subscription(subscription=subscription, page_token=token)
                    return redirect(f"{request.path}?done=unsubscribed")
                form = SubscriptionChoicesForm(subscription, request.POST)
                forms_by_id[subscription.pk] = form
                if form.is_valid():
                    change_subscription(
                        subscription=subscription,
                        formats=form.cleaned_data["formats"],
                        section_ids=[s.pk for s in form.cleaned_data["sections"]],
                        page_token=token,
                    )
                    return redirect(f"{request.path}?done=saved")
            except ServiceError as error:
                errors[subscription.pk] = str(error)
        entries = []
        for subscription in subscriptions:
            refusal = subscription_refusal(subscription)
            entries.append(
                {
                    "subscription": subscription,
                    "active": not refusal,
                    "refusal": refusal,
                    "period": subscription_period(subscription),
                    "form": forms_by_id[subscription.pk],
                    "error": errors.get(subscription.pk, ""),
                    "issues": [] if refusal else _issue_rows(subscription),
                }
            )
        response = render(
            request,
            "subscriber/page.html",
            {
                "subscriber": subscriber,
                "entries": entries,
                "done": request.GET.get("done", ""),
                "link_days": link_max_age().days,
                "sign_in_refusal": sign_in_refusal,
            },
            status=400 if errors or any(e["form"].errors for e in entries) else 200,
        )
    return _private(response)


def download(request, token: str):
    try:
        grant = download_from_token(token)
    except LinkRefused as error:
        return _refused(request, error, token=token)
    issue, stem = grant.issue, grant.issue.file_stem
    if is_subscriber_only(issue):
        subscriber = grant.subscription.subscriber
        record_access(
            Reader(subscriber=subscriber, organisation=subscriber.organisation),
            channel=AccessLogEntry.Channel.DOWNLOAD, resource=f"e-mail link:{grant.kind}",
            issue=issue,
        )
    if grant.kind == "metrics":
        with translation.override(grant.subscription.subscriber.language):
            workbook = metrics_workbook(issue=issue, subscription=grant.subscription)
        response = HttpResponse(workbook, content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="{stem}-metrics.xlsx"'
        return _private(response)
    rendition = current_renditions(issue).get(grant.kind)
    if rendition is None:
        with translation.override(grant.subscription.subscriber.language):
            response = render(
                request,
                "subscriber/refused.html",
                {"message": _("This file is not ready yet. Please try again later."),
                 "code": "not-ready"},
                status=404,
            )
        return _private(response)
    if grant.kind == "pdf":
        response = stored_file_response(request, rendition.file, filename=f"{stem}.pdf",
                                        attachment=True, content_type="application/pdf")
    else:
        # Named from the issue: the stored file's name is not the subscriber's business.
        response = stored_file_response(request, rendition.file, filename=f"{stem}.html",
                                        attachment=False, content_type="text/html; charset=utf-8")
        # The rendition is self-contained; it may not load or run anything.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
        )
    return _private(response)


@csrf_exempt  # RFC 8058 one-click: mail providers POST without cookies; the token is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        if request.method == "POST":
            subscription = unsubscribe_by_link(token=token)
        else:
            subscription = subscription_from_unsubscribe_token(token)
    except LinkRefused as error:
        return _refused(request, error, token=token)
    subscriber = subscription.subscriber
    with translation.override(subscriber.language):
        response = render(
            request,
            "subscriber/unsubscribe.html",
            {
                "subscription": subscription,
                "done": subscription.cancelled_at is not None,
                "just_now": request.method == "POST",
            },
        )
    return _private(response)


@require_POST
def renew_link(request, token: str):
    """Mail a fresh page link to whoever an expired link was sent to — never elsewhere."""
    subscriber = subscriber_for_renewal(token)
    if subscriber is not None:
        send_page_link(subscriber=subscriber)
    # The same answer whatever happened: the page tells nobody who subscribes.
    return _private(render(request, "subscriber/renewed.html"))
