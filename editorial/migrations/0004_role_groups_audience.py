"""Give the role groups their permissions on the subscriber models."""

from django.db import migrations

from editorial.migrations import _roles


class Migration(migrations.Migration):
    dependencies = [("editorial", "0003_audience")]

    operations = [migrations.RunPython(_roles.sync_groups, migrations.RunPython.noop)]
