"""The one check every service makes: may this user take this action (on this issue)?

The rules are the tables in editorial.workflow (PERMISSIONS for actions, the transition
tables for moves); this module only looks up the user's roles and raises.
"""

from __future__ import annotations

from editorial import workflow
from editorial.services.errors import PermissionRefused


def user_roles(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_editorial_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(workflow.ROLES)
        user._editorial_roles = cached
    return cached


def is_superuser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_superuser)


def may(user, action: str, *, issue_state: str | None = None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return workflow.permits(
        action, roles=user_roles(user), is_superuser=is_superuser(user), issue_state=issue_state
    )


def require_permission(user, action: str, *, issue_state: str | None = None) -> None:
    """Raise PermissionRefused, with the reason in the user's language, unless allowed."""
    if user is None or not user.is_authenticated or not user.is_active:
        reason = workflow.refusal(action, roles=set(), is_superuser=False)
    else:
        reason = workflow.refusal(
            action, roles=user_roles(user), is_superuser=is_superuser(user),
            issue_state=issue_state,
        )
    if reason:
        raise PermissionRefused(reason)


def require_transition(transition: workflow.Transition, user, *, state: str) -> None:
    """The same check for a move along a state machine (system moves take no user)."""
    if transition.system and user is None and state in transition.source:
        return
    reason = workflow.refusal_reason(
        transition, state=state, roles=user_roles(user), is_superuser=is_superuser(user)
    )
    if reason:
        raise PermissionRefused(reason)
