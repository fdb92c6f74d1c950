"""Which model permissions each editorial role (Django group) holds.

Used by the data migration that creates the groups and by `sync_roles`, so a new
model's permissions can be granted again without a hand-written migration.
"""

from __future__ import annotations

from editorial.workflow import EDITOR, PUBLISHER, REVIEWER

VIEW_ALL = [
    f"view_{model}"
    for model in (
        "bulletin", "section", "issue", "article", "figure", "tag", "indicator", "metric",
        "importjob", "importwarning", "exportjob", "rendition", "reviewevent", "comment",
        "organisation", "subscriber", "subscription", "delivery", "auditentry",
    )
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Editors assemble issues: import, write and arrange articles, figures and metrics.
    EDITOR: VIEW_ALL
    + [
        "add_issue", "change_issue",
        "add_article", "change_article", "delete_article", "import_article", "export_article",
        "add_figure", "change_figure", "delete_figure",
        "add_tag", "change_tag",
        "add_indicator", "change_indicator", "import_indicator", "export_indicator",
        "add_metric", "change_metric", "delete_metric", "import_metric", "export_metric",
        "add_importjob",
        "add_comment",
    ],
    # Reviewers read everything, comment, and approve or send back (service-checked).
    REVIEWER: VIEW_ALL + ["add_comment", "change_comment", "export_article", "export_metric"],
    # Publishers release, correct and withdraw issues and manage bulletins.
    PUBLISHER: VIEW_ALL
    + [
        "change_issue", "add_bulletin", "change_bulletin", "add_section", "change_section",
        "export_article", "export_metric", "export_indicator", "add_comment",
        "add_organisation", "change_organisation",
        "add_subscriber", "change_subscriber", "import_subscriber", "export_subscriber",
        "add_subscription", "change_subscription", "delete_subscription",
    ],
}


def sync_role_groups(group_model, permission_model, *, strict: bool = False) -> None:
    """Create the role groups and give each exactly its permissions.

    An early migration runs before later models exist, so missing permissions are
    skipped unless ``strict``; the migration that adds a model syncs again.
    """
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = permission_model.objects.filter(
            content_type__app_label="editorial", codename__in=codenames
        )
        found = set(permissions.values_list("codename", flat=True))
        missing = set(codenames) - found
        if missing and strict:
            raise RuntimeError(f"Permissions missing for role {role}: {sorted(missing)}")
        group.permissions.set(permissions)
