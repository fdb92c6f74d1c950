"""load_demo: the demo bulletin, a published sample issue and one user per role.

Safe to run again: what exists is kept, what is missing is added.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from editorial.models import Bulletin, Metric, Section
from editorial.selectors.imports import section_names
from editorial.services import importing, upload_parsing
from editorial.services.publishing import publish_back_catalogue_issue
from editorial.services.reviewing import set_metric_status
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# (file, issue number): the number is printed on the PDF, not in the extracted text.
SAMPLE_ISSUES = [(FIXTURES / "bulletins" / "xxcy-2020-48.txt", 48)]
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]

# Local demo only: these accounts exist in the SQLite demo database, never in production.
DEMO_USERS = [
    ("admin", "demo-admin-2026", None),
    ("editor", "demo-editor-2026", EDITOR),
    ("reviewer", "demo-reviewer-2026", REVIEWER),
    ("publisher", "demo-publisher-2026", PUBLISHER),
]


class Command(BaseCommand):
    help = "Load the demo bulletin, a sample issue and demo users (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        bulletin = self._bulletin()
        users = self._users()
        for path, number in SAMPLE_ISSUES:
            self._sample_issue(bulletin, path, number, editor=users["editor"],
                               publisher=users["publisher"])
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /admin/ as:"))
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {password:<22} {role or '超级用户 superuser'}")

    def _bulletin(self) -> Bulletin:
        bulletin, created = Bulletin.objects.get_or_create(
            slug="xxcy",
            defaults={
                "name": "信息产业监测",
                "description": "每周汇集信息产业的政策环境、运营竞争、技术与企业动态及海外借鉴。",
                "copyright_line": "仅供订阅单位内部参考，未经许可不得转载",
                "publisher_name": "信息产业研究咨询部",
            },
        )
        # Slugs are made from the names' pinyin, as for every customer's bulletin.
        for position, name in enumerate(SECTIONS, 1):
            Section.objects.get_or_create(
                bulletin=bulletin, name=name,
                defaults={"position": position, "required": position <= 2},
            )
        if created:
            self.stdout.write(f"Created bulletin {bulletin.name}")
        return bulletin

    def _users(self) -> dict:
        users = {}
        model = get_user_model()
        for username, password, role in DEMO_USERS:
            user = model.objects.filter(username=username).first()
            if user is None:
                user = model.objects.create_user(
                    username, f"{username}@example.org", password,
                    is_staff=True, is_superuser=role is None,
                )
            if role:
                user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _sample_issue(self, bulletin: Bulletin, path: Path, number: int, *, editor, publisher):
        if bulletin.issues.filter(number=number).exists():
            return
        parsed = upload_parsing.parse_upload(
            data=path.read_bytes(), filename=path.name, sections=section_names(bulletin)
        )
        issue = importing.import_bulletin(
            parsed=parsed, bulletin=bulletin, user=editor, number=number
        )
        # The demo's editor has checked the proposed key figures, so indicators have data.
        for metric in issue.metrics.select_related("indicator"):
            set_metric_status(metric=metric, status=Metric.Status.CONFIRMED, user=editor)
        publish_back_catalogue_issue(issue=issue, user=publisher)
        self.stdout.write(f"Imported and published {issue.display_title}")
