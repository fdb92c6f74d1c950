"""The bench database: 10 years of a weekly bulletin, about 50,000 generated articles.

Built once in its own PostgreSQL database (BENCH_DATABASE_URL, default
``postgres://postgres@127.0.0.1:5432/bulletin_bench``) and reused while its marker row
says it was made by this generator at this size. Text is generated from a vocabulary of
the trade (seeded, so every run builds the same archive): common words such as 数据 or
5G occur in thousands of articles, rare ones in a few, as in a real archive.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bulletin_bench"
DEFAULT_BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"
GENERATOR_VERSION = "bench-archive-v3"
YEARS = 10
ARTICLES = 50_000
BULLETIN_SLUG = "bench"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴", "数据观察"]

# Words of the trade, most common first (picked with Zipf-like weights).
TERMS = (
    "数据 网络 5G 芯片 运营商 云计算 人工智能 数据中心 半导体 宽带 光纤 算力 终端 平台 "
    "用户 服务 市场 企业 产业 技术 标准 安全 互联网 移动 通信 基站 光网 物联网 工业互联网 "
    "区块链 大模型 操作系统 软件 集成电路 存储 服务器 边缘计算 卫星 频谱 千兆 智能制造 "
    "车联网 数字经济 电子商务 直播 短视频 游戏 支付 征信 隐私 监管 出口 进口 投资 并购 "
    "融资 营收 利润 出货量 市场份额 研发 专利 开源 生态 合作 试点 示范 政策 规划 指导意见 "
    "工信部 发改委 网信办 海外 欧盟 美国 日本 韩国 印度 东南亚 光模块 激光雷达 显示面板 "
    "传感器 机器人 无人机 新能源 储能 锂电池 充电桩 智慧城市 政务 医疗 教育 金融 交通 "
    "能源 制造 农业 物流 零售 文旅 Wi-Fi 6 AI GPU CPU IPv6 SaaS IDC API"
).split()
FILLERS = (
    "今年以来 近日 据悉 报告显示 业内人士认为 与此同时 截至目前 总体来看 值得注意的是 "
    "此外 下一步 同比增长 环比上升 持续推进 加快建设 进一步提升 稳步增长 显著提高 "
    "有关部门 主要企业 重点地区 相关机构 行业协会 研究机构 市场主体 各地 全国 我国"
).split()
PUNCT = "，，，、。"
SOURCES = ["人民邮电报", "通信世界", "中国电子报", "工信部网站", "新华社", "经济日报", "路透社", "彭博社"]


def bench_database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)


def configure_django() -> None:
    """Point Django at the bench database and Redis, then set it up."""
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", DEFAULT_BENCH_REDIS_URL))
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "s3cr3t" * 10)
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database_exists() -> None:
    from urllib.parse import urlsplit

    import psycopg

    url = bench_database_url()
    name = urlsplit(url).path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')


class TextMaker:
    """Articles about a few topics each: a topic word recurs in its article, while the
    trade's common words turn up in a fair share of all articles (数据 in about half,
    芯片 in about a fifth), rare ones in a few dozen."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.term_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(TERMS))]
        self.topics: list[str] = []

    def term(self) -> str:
        r = self.random
        if self.topics and r.random() < 0.85:
            return r.choice(self.topics)
        return r.choices(TERMS, weights=self.term_weights)[0]

    def new_article(self) -> None:
        self.topics = []
        self.topics = list({self.term() for _ in range(3)})

    def sentence(self) -> str:
        r = self.random
        words = [r.choice(FILLERS)]
        for _ in range(r.randint(2, 5)):
            words.append(self.term())
            if r.random() < 0.6:
                words.append(r.choice(FILLERS))
            if r.random() < 0.25:
                words.append(f"{r.randint(1, 999)}{r.choice(['亿元', '万户', '%', '个', '家'])}")
        text = ""
        for word in words:
            text += word + (r.choice(PUNCT) if r.random() < 0.2 else "")
        return text.rstrip("，、") + "。"

    def paragraph(self) -> str:
        return "".join(self.sentence() for _ in range(self.random.randint(2, 5)))

    def title(self) -> str:
        r = self.random
        parts = [self.term(), r.choice(FILLERS), self.term()]
        if r.random() < 0.5:
            parts.append(self.term())
        return "".join(parts)[:60]


def build(*, articles: int = ARTICLES, years: int = YEARS, quiet: bool = False) -> None:
    """Create (or reuse) the bench archive in the configured database."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from editorial.models import Article, Bulletin, Indicator, Issue, Metric, Section
    from editorial.search import article_document, article_title_document
    from editorial.workflow import ArticleState, IssueState

    call_command("migrate", verbosity=0, interactive=False)
    marker = f"{GENERATOR_VERSION}:{articles}:{years}"
    existing = Bulletin.objects.filter(slug=BULLETIN_SLUG).first()
    if existing and existing.description == marker:
        if not quiet:
            print(f"bench database ready ({Article.objects.count():,} articles, reused)")
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE editorial_metric, editorial_figure, editorial_article_tags, "
            "editorial_comment, editorial_reviewevent, editorial_rendition, "
            "editorial_importwarning, editorial_article, editorial_issue, editorial_section, "
            "editorial_indicator, editorial_bulletin CASCADE"
        )
    maker = TextMaker(seed=20201203)
    weeks = years * 52
    per_issue, extra = divmod(articles, weeks)
    first_date = datetime.date(2026, 11, 26) - datetime.timedelta(weeks=weeks)
    now = datetime.datetime.now(datetime.UTC)
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            name="信息产业监测（基准）", slug=BULLETIN_SLUG, description=marker,
            copyright_line="仅供基准测试", publisher_name="基准",
        )
        sections = [
            Section.objects.create(bulletin=bulletin, name=name, slug=f"s{i}", position=i)
            for i, name in enumerate(SECTIONS, 1)
        ]
        indicators = [
            Indicator.objects.create(name=name, slug=f"bench-{i}", unit=unit)
            for i, (name, unit) in enumerate(
                [("电信业务收入", "亿元"), ("5G基站数", "万个"), ("移动互联网流量", "亿GB")]
            )
        ]
    made = 0
    for week in range(weeks):
        issue_date = first_date + datetime.timedelta(weeks=week)
        count = per_issue + (1 if week < extra else 0)
        with transaction.atomic():
            issue = Issue.objects.create(
                bulletin=bulletin, number=week + 1, volume=issue_date.year,
                issue_date=issue_date, state=IssueState.PUBLISHED,
                published_at=now - datetime.timedelta(weeks=weeks - week),
            )
            batch = []
            for position in range(count):
                section = sections[position * len(sections) // count]
                maker.new_article()
                body = "\n".join(
                    f"<p>{maker.paragraph()}</p>" for _ in range(maker.random.randint(4, 8))
                )
                article = Article(
                    issue=issue, section=section, position=position + 1,
                    title=maker.title(), source=maker.random.choice(SOURCES),
                    original_date=issue_date - datetime.timedelta(days=maker.random.randint(1, 6)),
                    summary=maker.sentence(), body=body, state=ArticleState.APPROVED,
                )
                article.search_document = article_document(article)
                article.search_title = article_title_document(article)
                batch.append(article)
            created = Article.objects.bulk_create(batch)
            Metric.objects.bulk_create(
                [
                    Metric(
                        indicator=indicator, issue=issue, article=created[i],
                        period_label=f"{issue_date:%Y年%m月%d日}", period_end=issue_date,
                        value=1000 + week * (i + 1) + maker.random.randint(0, 50),
                        unit=indicator.unit, status=Metric.Status.CONFIRMED,
                    )
                    for i, indicator in enumerate(indicators)
                ]
            )
        made += count
        if not quiet and (week + 1) % 52 == 0:
            print(f"  … {made:,} articles ({time.monotonic() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE editorial_article")
        cursor.execute("VACUUM ANALYZE editorial_issue")
    if not quiet:
        print(f"bench database built: {made:,} articles in {time.monotonic() - started:.0f} s")
