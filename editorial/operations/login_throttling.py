"""The page a locked-out admin sign-in gets (django-axes counts the failed attempts)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def lockout_response(request, original_response, credentials):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/lockout.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
