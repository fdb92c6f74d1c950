"""Create the editorial role groups 编辑, 审核 and 发布 with their permissions."""

from django.db import migrations

from editorial.migrations import _roles


def remove_role_groups(apps, schema_editor):
    from editorial.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(_roles.sync_groups, remove_role_groups)]
