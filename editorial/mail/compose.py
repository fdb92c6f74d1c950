"""The e-mail of one delivery: text and HTML in the subscriber's language, the signed
links, the attachments their formats ask for, and the headers bulk mail needs.

No remote images and no tracking: indicator charts travel inside the message as PNG
parts (``cid:``, multipart/related beside the HTML), every link is a plain link to the
site, and downloads are signed links that expire. Every message carries a deterministic
Message-ID (delivery row, kind, version), so should one ever be handed over twice, mail
systems can tell the copies apart from new mail.
"""

from __future__ import annotations

import hashlib
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from editorial.links import absolute_url, download_url, link_max_age, page_url, unsubscribe_url
from editorial.models import Delivery, Issue, Metric, Rendition, Subscription
from editorial.selectors.delivery import metrics_workbook
from editorial.selectors.public import issue_table_of_contents
from editorial.selectors.render_data import issue_render_data
from editorial.selectors.renditions import current_renditions
from editorial.selectors.subscriptions import subscription_formats
from editorial.tables.writing import XLSX_MIME
from editorial.typesetting.blocks import blocks_text
from editorial.typesetting.charts import chart_png
from editorial.typesetting.render_data import data_uri_bytes

Kind = Delivery.Kind
Format = Subscription.Format


def mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def delivery_message_id(delivery: Delivery) -> str:
    """Deterministic per row and notice version (an erratum row re-armed is a new one)."""
    version = f"{int(delivery.created_at.timestamp() * 1_000_000):x}"
    return f"<delivery-{delivery.pk}.{delivery.kind}.{version}@{mail_domain()}>"


def _issue_sections(
    issue: Issue, subscription: Subscription, *, with_bodies: bool, render_cache: dict | None
) -> list[dict]:
    """The issue's sections for the e-mail (only the subscribed ones, if any chosen).

    Built once per issue and batch (``render_cache``) and never changed afterwards.
    """
    key = (issue.pk, with_bodies)
    sections = render_cache.get(key) if render_cache is not None else None
    if sections is None:
        sections = _all_issue_sections(issue, with_bodies=with_bodies)
        if render_cache is not None:
            render_cache[key] = sections
    chosen = set(subscription.sections.values_list("pk", flat=True))
    return [s for s in sections if s["id"] in chosen] if chosen else sections


def _all_issue_sections(issue: Issue, *, with_bodies: bool) -> list[dict]:
    if with_bodies:
        sections = issue_render_data(issue)["sections"]
    else:
        sections = [
            {
                "id": section.pk,
                "name": section.name,
                "articles": [
                    {"id": a.pk, "title": a.title, "summary": a.summary, "source": a.source}
                    for a in articles
                ],
            }
            for section, articles in issue_table_of_contents(issue)
        ]
    for section in sections:
        for article in section["articles"]:
            article["url"] = absolute_url(
                reverse(
                    "editorial:article",
                    kwargs={
                        "bulletin_slug": issue.bulletin.slug,
                        "number": issue.number,
                        "article_id": article["id"],
                    },
                )
            )
            if with_bodies:
                article["text"] = blocks_text(article["blocks"])
                _email_charts(article["blocks"])
    return sections


def _email_charts(blocks: list[dict]) -> None:
    """Give each indicator chart of an article a PNG for the e-mail (``email_chart``:
    its Content-ID and bytes): Gmail and Outlook show no SVG, data URIs least of all.
    The PNG is drawn from the chart's own SVG, so it is the chart the PDF and pages show."""
    for block in blocks:
        if block.get("type") != "figure" or not block.get("chart") or not block.get("image_data_uri"):
            continue
        mime, svg = data_uri_bytes(block["image_data_uri"])
        if mime != "image/svg+xml":
            continue
        png = chart_png(svg.decode("utf-8"))
        digest = hashlib.sha256(png).hexdigest()[:20]
        block["email_chart"] = {"cid": f"chart-{digest}@{mail_domain()}", "png": png}


def _related_images(sections: list[dict]) -> list[tuple[str, bytes, str]]:
    """The chart PNGs the chosen sections show, once each: (Content-ID, bytes, type)."""
    images: dict[str, bytes] = {}
    for section in sections:
        for article in section["articles"]:
            for block in article.get("blocks", ()):
                chart = block.get("email_chart")
                if chart:
                    images.setdefault(chart["cid"], chart["png"])
    return [(cid, png, "image/png") for cid, png in images.items()]


class RelatedImagesMessage(EmailMultiAlternatives):
    """An e-mail whose HTML alternative travels with its images as multipart/related
    (RFC 2387): multipart/alternative [text/plain, multipart/related [text/html, image/png…]],
    the HTML pointing at each image by ``cid:``."""

    def __init__(self, *args, related: list[tuple[str, bytes, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.related = list(related or ())

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype != "text/html" or not self.related or not getattr(self, "_in_alternatives", False):
            return part
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.set_param("type", "text/html")
        related.attach(part)
        for cid, content_bytes, image_type in self.related:
            image = MIMEImage(content_bytes, _subtype=image_type.split("/", 1)[1])
            image["Content-ID"] = f"<{cid}>"
            image.add_header("Content-Disposition", "inline", filename=f"{cid.split('@', 1)[0]}.png")
            related.attach(image)
        return related

    def _create_alternatives(self, msg):
        self._in_alternatives = True
        try:
            return super()._create_alternatives(msg)
        finally:
            self._in_alternatives = False


Attachment = tuple[str, bytes, str]  # file name, content, MIME type


def _links_and_attachments(delivery: Delivery, formats: list[str]) -> tuple[dict, list[Attachment]]:
    """The message's signed links and its files, as the subscription's formats ask.

    A PDF attachment that is not there (no rendition yet, or an erratum) becomes a link;
    the key figures go as a workbook when the issue has confirmed ones.
    """
    subscription, issue = delivery.subscription, delivery.issue
    erratum = delivery.kind == Kind.ERRATUM
    links = {
        "page": page_url(subscription.subscriber),
        "unsubscribe": unsubscribe_url(subscription),
        "issue": absolute_url(issue.get_absolute_url()),
    }
    attachments: list[Attachment] = []
    pdf = current_renditions(issue).get(Rendition.Kind.PDF)
    wants_pdf_attachment = Format.PDF_ATTACHMENT in formats and not erratum
    if wants_pdf_attachment and pdf is not None:
        with pdf.file.open("rb") as handle:
            attachments.append((f"{issue.file_stem}.pdf", handle.read(), "application/pdf"))
    if Format.PDF_LINK in formats or erratum or (wants_pdf_attachment and pdf is None):
        links["pdf"] = download_url(subscription=subscription, issue=issue, kind="pdf")
    if Format.METRICS in formats and not erratum:
        links["metrics"] = download_url(subscription=subscription, issue=issue, kind="metrics")
        if Metric.objects.filter(issue=issue, status=Metric.Status.CONFIRMED).exists():
            workbook = metrics_workbook(issue=issue, subscription=subscription)
            attachments.append((f"{issue.file_stem}-metrics.xlsx", workbook, XLSX_MIME))
    return links, attachments


def build_delivery_message(
    delivery: Delivery, *, render_cache: dict | None = None
) -> EmailMultiAlternatives:
    """The e-mail of one delivery, in the subscriber's language: text, HTML, attachments.

    ``render_cache`` (one per batch) keeps the issue's sections built once for every
    message of the batch.
    """
    subscription = delivery.subscription
    subscriber = subscription.subscriber
    issue = delivery.issue
    bulletin = issue.bulletin
    formats = subscription_formats(subscription)
    erratum = delivery.kind == Kind.ERRATUM
    with translation.override(subscriber.language):
        links, attachments = _links_and_attachments(delivery, formats)
        with_bodies = Format.HTML in formats and not erratum
        sections = [] if erratum else _issue_sections(
            issue, subscription, with_bodies=with_bodies, render_cache=render_cache
        )
        context = {
            "subscriber": subscriber,
            "subscription": subscription,
            "issue": issue,
            "bulletin": bulletin,
            "sections": sections,
            "with_bodies": with_bodies,
            "filtered": subscription.sections.exists(),
            "links": links,
            "attachment_names": [name for name, _content, _mime in attachments],
            "link_days": link_max_age().days,
            "language": subscriber.language,
            "html_lang": "zh-CN" if subscriber.language.startswith("zh") else subscriber.language,
        }
        template = "email/erratum" if erratum else "email/issue"
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        if erratum:
            subject = _("Correction: %(title)s") % {"title": issue.display_title}
        else:
            subject = issue.display_title
        subject = " ".join(subject.split())  # no leading space, no line breaks in a header
    from_email = formataddr((bulletin.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    headers = {
        "Message-ID": delivery_message_id(delivery),
        "List-Id": f"<{bulletin.slug}.{mail_domain()}>",
        "List-Unsubscribe": f"<{links['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
        "Content-Language": subscriber.language,
    }
    message = RelatedImagesMessage(
        subject, text, from_email, [subscriber.email], headers=headers,
        related=_related_images(sections) if with_bodies else None,
    )
    message.attach_alternative(html, "text/html")
    for name, content, mime in attachments:
        message.attach(name, content, mime)
    return message
