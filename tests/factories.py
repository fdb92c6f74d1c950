"""Test data builders (factory_boy)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from editorial.models import Article, Bulletin, Indicator, Issue, Metric, Section

SECTION_NAMES = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()


class BulletinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bulletin
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"信息产业监测{n}")
    slug = factory.Sequence(lambda n: f"xxcy-{n}")
    copyright_line = "仅供订阅单位内部参考，未经许可不得转载"

    @factory.post_generation
    def with_sections(self, create, extracted, **kwargs):
        if extracted is False:
            return
        for position, name in enumerate(SECTION_NAMES, start=1):
            # No slug given: made from the Chinese name, as for customers' sections.
            Section.objects.create(bulletin=self, name=name, position=position)


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    bulletin = factory.SubFactory(BulletinFactory)
    number = factory.Sequence(lambda n: n + 1)
    volume = 2020
    issue_date = factory.Sequence(lambda n: datetime.date(2020, 1, 2) + datetime.timedelta(weeks=n))


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    issue = factory.SubFactory(IssueFactory)
    section = factory.LazyAttribute(lambda a: a.issue.bulletin.sections.order_by("position").first())
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"数据中心能效新规出台{n}")
    summary = "有关部门发布数据中心能效管理办法。"
    body = "<p>11月30日，有关部门发布数据中心能效管理办法。</p>"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    name = factory.Sequence(lambda n: f"软件业务收入{n}")
    slug = factory.Sequence(lambda n: f"software-revenue-{n}")
    unit = "亿元"


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    indicator = factory.SubFactory(IndicatorFactory)
    issue = factory.SubFactory(IssueFactory)
    period_label = factory.Sequence(lambda n: f"1—{n % 12 + 1}月")
    value = "65360"
    unit = "亿元"
