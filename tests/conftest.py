import pytest
from django.conf import settings

from editorial.workflow import EDITOR, PUBLISHER, REVIEWER
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory, UserFactory

# Real Celery workers and a private Redis, for the tests that need them.
pytest_plugins = ["tests.integration.celery_worker"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # PBKDF2 costs ~0.3 s a user; tests create hundreds. Production settings are untouched.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", roles=[EDITOR])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=[REVIEWER])


@pytest.fixture
def publisher(db):
    return UserFactory(username="publisher", roles=[PUBLISHER])


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def bulletin(db):
    return BulletinFactory()


@pytest.fixture
def issue(bulletin):
    return IssueFactory(bulletin=bulletin)


@pytest.fixture
def article(issue, editor):
    return ArticleFactory(issue=issue, created_by=editor)
