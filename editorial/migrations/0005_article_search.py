"""Search columns on Article: bigram tsvectors (editorial.search) and their GIN index.

The columns are tsvector on PostgreSQL and plain (unused) text on SQLite; the GIN index
and the storage settings exist only on PostgreSQL. Existing articles are filled here.

Storage (PostgreSQL): a search for a common word visits thousands of article rows to
sort them, so the rows are kept narrow — ``toast_tuple_target = 128`` moves the large
columns (body, summary, search_document) out of line, while ``title`` and
``search_title`` stay inline (STORAGE MAIN) because ranking and listings read them. The
heap of 50,000 articles is then about 16 MB instead of 75 MB (docs/search.md).
"""

from django.db import migrations

import editorial.models.content

INDEX_NAME = "article_search_gin"
TITLE_INDEX_NAME = "article_search_title_gin"


def fill_existing(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from editorial.search import article_document, article_title_document

    Article = apps.get_model("editorial", "Article")
    pending = Article.objects.using(schema_editor.connection.alias).order_by("pk")
    for article in pending.only("pk", "title", "subtitle", "source", "summary", "body").iterator(
        chunk_size=500
    ):
        Article.objects.using(schema_editor.connection.alias).filter(pk=article.pk).update(
            search_document=article_document(article),
            search_title=article_title_document(article),
        )


def narrow_rows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE editorial_article SET (toast_tuple_target = 128)")
        schema_editor.execute("ALTER TABLE editorial_article ALTER COLUMN title SET STORAGE MAIN")
        schema_editor.execute(
            "ALTER TABLE editorial_article ALTER COLUMN search_title SET STORAGE MAIN"
        )


def default_rows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE editorial_article RESET (toast_tuple_target)")
        schema_editor.execute("ALTER TABLE editorial_article ALTER COLUMN title SET STORAGE EXTENDED")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON editorial_article "
            "USING gin (search_document)"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TITLE_INDEX_NAME} ON editorial_article "
            "USING gin (search_title)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {TITLE_INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0004_role_groups_audience"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_document",
            field=editorial.models.content.SearchDocumentField(
                editable=False, null=True, verbose_name="search document"
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="search_title",
            field=editorial.models.content.SearchDocumentField(
                editable=False, null=True, verbose_name="search title"
            ),
        ),
        # Before the fill, so the rows it rewrites are stored the new way.
        migrations.RunPython(narrow_rows, default_rows),
        migrations.RunPython(fill_existing, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_index, drop_index),
    ]
