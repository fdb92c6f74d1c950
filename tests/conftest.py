import pytest

from editorial.workflow import EDITOR, PUBLISHER, REVIEWER
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory, UserFactory


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
