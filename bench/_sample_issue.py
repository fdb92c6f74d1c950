"""A generated ~40-page sample issue: invented text, seeded, so every run is the same.

Five sections of monitoring articles with subheadings, tables, figures (an SVG
diagram and a PNG), confirmed key figures that become charts, and Latin words, digits
and full-width punctuation mixed into the Chinese as real bulletins have them.

``build_sample_issue()`` writes it to the configured database and storage and returns
the Issue; ``python -m bench._sample_issue`` does so under the current settings and
prints the issue id (the render bench runs it against a throw-away SQLite database).
"""

from __future__ import annotations

import datetime
import random
import struct
import zlib
from decimal import Decimal

SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]
ACTORS = [
    "工业和信息化部", "国家发展改革委", "中国信息通信研究院", "三大基础电信企业", "华为",
    "中兴通讯", "阿里云", "腾讯云", "中国移动", "中国电信", "中国联通", "IDC", "Gartner",
    "欧盟委员会", "美国联邦通信委员会（FCC）", "三星电子", "高通", "台积电",
]
ACTIONS = ["发布", "印发", "启动", "公布", "披露", "完成", "推出", "召开"]
TOPICS = [
    "《关于推动5G加快发展的通知》", "数据中心能效管理办法", "工业互联网创新发展行动计划",
    "2020年第三季度财报", "新一代人工智能产业发展报告", "“双千兆”网络协同发展行动计划",
    "IPv6规模部署专项行动", "算力基础设施发展白皮书", "车联网（智能网联汽车）标准体系",
    "集成电路产业投资计划", "Wi-Fi 6 商用进展报告", "全球云计算市场追踪报告",
]
PHRASES = [
    "今年以来", "据悉", "报告显示", "业内人士认为", "与此同时", "截至目前", "总体来看",
    "值得注意的是", "此外", "下一步", "从区域看", "从结构看", "分领域看",
]
CLAUSES = [
    "{actor}持续加大在5G网络、数据中心等新型基础设施领域的投入",
    "行业主管部门将进一步完善标准体系，推动产业链上下游协同创新",
    "云计算、大数据、人工智能与实体经济加速融合，带动相关产业快速发展",
    "千兆光网和5G“双千兆”网络建设稳步推进，网络覆盖和服务能力持续提升",
    "企业数字化转型需求旺盛，SaaS、PaaS等云服务市场保持较快增长",
    "芯片供应紧张的局面仍未根本缓解，部分终端厂商调整了出货计划",
    "海外市场监管趋严，数据跨境流动和隐私保护规则成为企业关注的焦点",
    "运营商加快推进云网融合，政企业务成为收入增长的主要来源",
    "工业互联网平台服务能力明显增强，重点平台连接设备数量超过7000万台（套）",
    "新一代信息技术与制造业融合发展，“5G+工业互联网”项目超过1100个",
]
STATS = [
    "1—{m}月，全国软件和信息技术服务业完成软件业务收入{v}亿元，同比增长{p}%",
    "截至{m}月底，5G基站总数达{b}万个，占全部移动基站的{q}%",
    "{m}月份，移动互联网接入流量达{t}亿GB，同比增长{p}%",
    "前三季度，规模以上电子信息制造业增加值同比增长{p}%，增速比上半年加快{d}个百分点",
    "全年智能手机出货量预计为{s}亿部，其中5G手机占比{q}%",
]
ENDINGS = ["。", "。", "。", "；", "。"]


def _sentence(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.5:
        parts.append(rng.choice(PHRASES) + "，")
    if rng.random() < 0.45:
        parts.append(
            rng.choice(STATS).format(
                m=rng.randint(2, 11), v=rng.randint(50_000, 80_000), p=f"{rng.uniform(3, 30):.1f}",
                b=rng.randint(60, 90), q=rng.randint(10, 70), t=rng.randint(100, 200),
                d=f"{rng.uniform(0.2, 3):.1f}", s=f"{rng.uniform(2, 4):.2f}",
            )
            + "，"
        )
    parts.append(rng.choice(CLAUSES).format(actor=rng.choice(ACTORS)))
    return "".join(parts) + rng.choice(ENDINGS)


def _paragraph(rng: random.Random) -> str:
    text = "".join(_sentence(rng) for _ in range(rng.randint(3, 5)))
    return text[:-1] + "。" if text.endswith("；") else text


def _table(rng: random.Random) -> str:
    header = "<tr><th>企业</th><th>营业收入（亿元）</th><th>同比增长（%）</th><th>5G用户（万户）</th></tr>"
    rows = "".join(
        f"<tr><td>{name}</td><td>{rng.randint(1000, 8000)}</td>"
        f"<td>{rng.uniform(-3, 15):.1f}</td><td>{rng.randint(2000, 20000)}</td></tr>"
        for name in ("中国移动", "中国电信", "中国联通")
    )
    return f"<table><thead>{header}</thead><tbody>{rows}</tbody></table>"


def _body(rng: random.Random, *, with_table: bool, figures: int, subheadings: bool) -> str:
    parts = [f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(2, 3))]
    if subheadings:
        for number in ("一", "二"):
            parts.append(f'<p class="kicker">{number}、</p><h3>{rng.choice(TOPICS).strip("《》")}的主要内容</h3>')
            parts.extend(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(1, 2)))
    if with_table:
        parts.append(_table(rng))
    for position in range(1, figures + 1):
        parts.append(f'<figure class="figure-{position}"></figure>')
        parts.append(f"<p>{_paragraph(rng)}</p>")
    parts.append(f"<p><strong>点评：</strong>{_paragraph(rng)}</p>")
    return "\n".join(parts)


def sample_svg_diagram(seed: int = 1) -> bytes:
    """A bar diagram as an editor would upload it (SVG, Chinese labels)."""
    rng = random.Random(seed)
    bars = []
    for index, label in enumerate(["东部", "中部", "西部", "东北"]):
        height = rng.randint(60, 200)
        x = 60 + index * 120
        bars.append(
            f'<rect x="{x}" y="{240 - height}" width="70" height="{height}" fill="#1a5fb4"/>'
            f'<text x="{x + 35}" y="262" font-size="14" text-anchor="middle">{label}</text>'
            f'<text x="{x + 35}" y="{232 - height}" font-size="12" text-anchor="middle">{height}</text>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="560" height="280" viewBox="0 0 560 280" '
        "font-family=\"'Noto Sans CJK SC', sans-serif\">"
        '<rect width="560" height="280" fill="white"/>'
        '<line x1="40" y1="240" x2="540" y2="240" stroke="#333"/>' + "".join(bars) + "</svg>"
    ).encode("utf-8")


def sample_png(width: int = 480, height: int = 200) -> bytes:
    """A small gradient PNG (a stand-in for a photo), made without Pillow."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend((30 + x * 200 // width, 90 + y * 120 // height, 160))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    )


SPECIAL_TITLE = "标题含特殊字符 #set text(red) $x^2$ *粗体* _斜体_ <tag> @ref ] [x] \\ // 注释"


def build_sample_issue(
    *, articles: int = 46, seed: int = 2020, slug: str = "bench-render", number: int = 47,
    publish: bool = True,
):
    """Create a bulletin (if missing) and one ~40-page issue of ``articles`` articles."""
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone

    from editorial.models import Article, Bulletin, Figure, Indicator, Issue, Metric, Section
    from editorial.workflow import ArticleState, IssueState

    rng = random.Random(seed)
    with transaction.atomic():
        bulletin, _ = Bulletin.objects.get_or_create(
            slug=slug,
            defaults={
                "name": "信息产业监测",
                "publisher_name": "华信产业研究咨询有限公司",
                "copyright_line": "仅供订阅单位内部参考，未经许可不得转载",
            },
        )
        sections = []
        for position, name in enumerate(SECTIONS, start=1):
            section, _ = Section.objects.get_or_create(
                bulletin=bulletin, name=name, defaults={"slug": f"s{position}", "position": position}
            )
            sections.append(section)
        Issue.objects.filter(bulletin=bulletin, number=number).delete()
        issue_date = datetime.date(2020, 12, 7)
        issue = Issue.objects.create(
            bulletin=bulletin, number=number, volume=2020, issue_date=issue_date,
            state=IssueState.PUBLISHED if publish else IssueState.ASSEMBLING,
            published_at=timezone.now() if publish else None,
        )
        created = []
        for index in range(articles):
            section = sections[index * len(sections) // articles]
            figure_count = 1 if index % 6 == 2 else 0
            title = (
                SPECIAL_TITLE if index == 1
                else f"{rng.choice(ACTORS)}{rng.choice(ACTIONS)}{rng.choice(TOPICS)}"
            )
            article = Article.objects.create(
                issue=issue, section=section, position=index + 1, title=title,
                source=rng.choice(["人民邮电报", "通信世界", "中国电子报", "工信部网站", "路透社"]),
                original_date=issue_date - datetime.timedelta(days=rng.randint(1, 7)),
                summary=_sentence(rng),
                body=_body(
                    rng, with_table=index % 5 == 3, figures=figure_count,
                    subheadings=index % 4 == 0,
                ),
                state=ArticleState.APPROVED,
            )
            if figure_count:
                figure = Figure(
                    article=article, position=1, caption=f"图1 {rng.choice(TOPICS).strip('《》')}相关数据",
                    source_line="资料来源：中国信息通信研究院",
                )
                if index % 12 == 2:
                    figure.image.save(f"sample-{index}.svg", ContentFile(sample_svg_diagram(index)), save=False)
                else:
                    figure.image.save(f"sample-{index}.png", ContentFile(sample_png()), save=False)
                figure.save()
            created.append(article)

        # Key figures: three indicators with a series each, quoted by three articles.
        for offset, (name, unit) in enumerate(
            [("软件业务收入", "亿元"), ("5G基站总数", "万个"), ("移动互联网接入流量", "亿GB")]
        ):
            indicator, _ = Indicator.objects.get_or_create(
                name=name, defaults={"slug": f"bench-{offset}", "unit": unit, "source": "工业和信息化部"}
            )
            article = created[offset * 15 + 4]
            for month in range(1, 12):
                Metric.objects.create(
                    indicator=indicator, issue=issue, article=article,
                    period_label=f"1—{month}月" if offset == 0 else f"{month}月",
                    period_end=datetime.date(2020, month, 28),
                    value=Decimal(5000 + month * (400 + offset * 37) + rng.randint(-150, 150)),
                    unit=unit, status=Metric.Status.CONFIRMED,
                )
    return issue


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
    django.setup()
    articles = int(sys.argv[1]) if len(sys.argv) > 1 else 46
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    # More than one: issues of the same shape with other text (other seeds), for renders of
    # content the renderer has not seen before.
    ids = [build_sample_issue(articles=articles, seed=2020 + n, number=47 + n).pk
           for n in range(count)]
    print(" ".join(str(pk) for pk in ids))
