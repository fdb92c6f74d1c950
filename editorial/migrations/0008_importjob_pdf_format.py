# Imports accept PDF files (read by the PDF reader in editorial.parsing).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("editorial", "0007_url_slugs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="format",
            field=models.CharField(
                choices=[
                    ("text", "Plain text"),
                    ("docx", "Word document"),
                    ("pdf", "PDF"),
                    ("csv", "CSV"),
                    ("xlsx", "Excel workbook"),
                ],
                max_length=10,
                verbose_name="format",
            ),
        ),
    ]
