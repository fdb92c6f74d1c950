from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from editorial.roles import sync_role_groups


class EditorialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "editorial"
    verbose_name = _("Editorial")

    def ready(self):
        # Imported once the models are loaded (Django's app-loading order): these modules
        # import the models at their top. The tasks are not loaded here: the services
        # load them with the Celery app when they first queue work (services/queueing.py).
        from editorial import checks
        from editorial.services import caching  # as above: the models must be loaded

        checks.connect()  # registers the system check too, on import
        caching.connect_invalidation()
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)


def sync_role_groups_after_migrate(sender, **kwargs):
    """Keep the role groups and their permissions in step after every migrate (and after
    a test database flush, which empties the groups the data migration made)."""
    # The auth models cannot be imported at the top: this module is loaded before them.
    from django.contrib.auth.models import Group, Permission

    sync_role_groups(Group, Permission, strict=True)
