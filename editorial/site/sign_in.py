"""Subscribers' sign-in to the site: ask for a one-time link, use it, sign out.

Thin: the checks, limits and writes are in editorial.services.signing_in. These pages
are personal (they carry a CSRF token), so they are never cached.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from editorial.selectors.access import client_address, reader_for_request
from editorial.services import signing_in
from editorial.services.signing_in import SignInRefused

LINK_REFUSAL_STATUS = {"invalid": 404, "used": 410, "expired": 410, "revoked": 403,
                       "no-subscription": 403, "seats": 403}


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # The link's token is in the URL: no other site may see it. Not "no-referrer": with it
    # browsers send "Origin: null" on the confirming POST, which CSRF checking refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _referring_path(request) -> str:
    """The page of this site the reader came from (the header's link carries no "next",
    so that every page links to the same sign-in page)."""
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc != request.get_host() or referer.path.startswith("/subscriber/"):
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    """The e-mail form; after it, the same "check your e-mail" for every address."""
    next_url = signing_in.safe_next(
        request.POST.get("next") or request.GET.get("next") or _referring_path(request)
    )
    reader = reader_for_request(request)
    status = 200
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            try:
                signing_in.request_sign_in_link(
                    email=form.cleaned_data["email"],
                    client_address=client_address(request),
                    next_url=next_url,
                )
            except SignInRefused as error:
                form.add_error(None, str(error))
                status = 429 if error.code == "rate-limited" else 400
            else:
                response = render(
                    request,
                    "subscriber/sign_in_sent.html",
                    {
                        "minutes": settings.SUBSCRIBER_SIGN_IN_LINK_MINUTES,
                        "robots": "noindex, nofollow",
                    },
                )
                return _private(response)
        else:
            status = 400
    else:
        form = SignInForm(initial={"next": next_url})
    response = render(
        request,
        "subscriber/sign_in.html",
        {"form": form, "reader": reader, "robots": "noindex, nofollow"},
        status=status,
    )
    return _private(response)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request, token: str):
    """GET shows a button (mail scanners open links; only a person's POST uses one)."""
    next_url = signing_in.safe_next(request.POST.get("next") or request.GET.get("next"))
    try:
        if request.method == "POST":
            subscriber = signing_in.sign_in_with_link(token=token)
            signing_in.open_session(request, subscriber)
            return _private(redirect(next_url or reverse("editorial:home")))
        link = signing_in.check_sign_in_link(token)
    except SignInRefused as error:
        response = render(
            request,
            "subscriber/sign_in_link.html",
            {"error": str(error), "code": error.code, "robots": "noindex, nofollow"},
            status=LINK_REFUSAL_STATUS.get(error.code, 400),
        )
        return _private(response)
    response = render(
        request,
        "subscriber/sign_in_link.html",
        {"subscriber": link.subscriber, "next": next_url, "robots": "noindex, nofollow"},
    )
    return _private(response)


@require_POST
def sign_out(request):
    signing_in.close_session(request)
    return _private(redirect(reverse("editorial:home")))
