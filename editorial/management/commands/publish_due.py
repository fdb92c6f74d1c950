"""publish_due: publish scheduled issues whose release time has come (for cron)."""

from django.core.management.base import BaseCommand

from editorial.services.publishing import publish_due_issues


class Command(BaseCommand):
    help = "Publish every scheduled issue whose release time has come."

    def handle(self, *args, **options):
        published = publish_due_issues()
        for issue_id in published:
            self.stdout.write(f"Published issue {issue_id}")
        if not published:
            self.stdout.write("Nothing due.")
