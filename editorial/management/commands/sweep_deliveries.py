"""sweep_deliveries: queue deliveries a broker outage or a killed worker left behind."""

from django.core.management.base import BaseCommand

from editorial.services.delivery import fan_out_due_deliveries, queue_delivery_batches


class Command(BaseCommand):
    help = "Fan out missed publishes and queue due, retrying and abandoned deliveries."

    def handle(self, *args, **options):
        due = fan_out_due_deliveries()
        if due:
            queue_delivery_batches(due)
        self.stdout.write(f"{len(due)} deliveries queued.")
