from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "editorial"
    verbose_name = _("Editorial")

    def ready(self):
        from editorial import (
            checks,
            tasks,  # noqa: F401  registers the tasks services look up by name
        )
        from editorial.services import caching

        checks.connect()  # registers the system check too, on import
        caching.connect_invalidation()
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)


def sync_role_groups_after_migrate(sender, **kwargs):
    """Keep the role groups and their permissions in step after every migrate (and after
    a test database flush, which empties the groups the data migration made)."""
    from django.contrib.auth.models import Group, Permission

    from editorial.roles import sync_role_groups

    sync_role_groups(Group, Permission, strict=True)
