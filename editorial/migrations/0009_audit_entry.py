"""The record of actions, and a review trail that outlives what it is about."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("editorial", "0008_importjob_pdf_format"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")),
                ("action", models.CharField(db_index=True, max_length=40, verbose_name="action")),
                ("object_id", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="object id")),
                ("object_repr", models.CharField(blank=True, max_length=200, verbose_name="object")),
                ("changes", models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="changes")),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="by")),
                ("content_type", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="contenttypes.contenttype", verbose_name="kind of object")),
                ("issue", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_entries", to="editorial.issue", verbose_name="issue")),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "record of actions",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")],
            },
        ),
        migrations.RemoveConstraint(model_name="reviewevent", name="review_event_one_subject"),
        migrations.AlterField(
            model_name="reviewevent",
            name="article",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="review_events", to="editorial.article", verbose_name="article"),
        ),
        migrations.AlterField(
            model_name="reviewevent",
            name="issue",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="review_events", to="editorial.issue", verbose_name="issue"),
        ),
        migrations.AddConstraint(
            model_name="reviewevent",
            constraint=models.CheckConstraint(
                condition=~models.Q(article__isnull=False, issue__isnull=False),
                name="review_event_at_most_one_subject",
            ),
        ),
    ]
