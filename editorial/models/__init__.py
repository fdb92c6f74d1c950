"""The domain models, one module per concept, re-exported here."""

from .access import AccessLogEntry, ApiToken, SignInLink, SubscriberSignIn
from .audience import Delivery, Organisation, Subscriber, Subscription
from .audit import AuditEntry
from .content import Article, Figure, Tag
from .jobs import ExportJob, ImportJob, ImportWarning, Rendition
from .metrics import Indicator, Metric
from .notifications import PendingNotification
from .publication import (
    AccessLevel,
    Bulletin,
    BulletinSlugRedirect,
    Issue,
    Section,
    SectionSlugRedirect,
)
from .review import Comment, ReviewEvent
from .scheduling import SchedulerHeartbeat

__all__ = [
    "AccessLevel",
    "AccessLogEntry",
    "ApiToken",
    "Article",
    "AuditEntry",
    "Bulletin",
    "BulletinSlugRedirect",
    "Comment",
    "Delivery",
    "ExportJob",
    "Figure",
    "ImportJob",
    "ImportWarning",
    "Indicator",
    "Issue",
    "Metric",
    "Organisation",
    "PendingNotification",
    "Rendition",
    "ReviewEvent",
    "SchedulerHeartbeat",
    "Section",
    "SectionSlugRedirect",
    "SignInLink",
    "Subscriber",
    "SubscriberSignIn",
    "Subscription",
    "Tag",
]
