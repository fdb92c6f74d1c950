"""The domain models, one module per concept, re-exported here."""

from .content import Article, Figure, Tag
from .jobs import ImportJob, ImportWarning, Rendition
from .metrics import Indicator, Metric
from .publication import Bulletin, Issue, Section
from .review import Comment, ReviewEvent

__all__ = [
    "Article",
    "Bulletin",
    "Comment",
    "Figure",
    "ImportJob",
    "ImportWarning",
    "Indicator",
    "Issue",
    "Metric",
    "Rendition",
    "ReviewEvent",
    "Section",
    "Tag",
]
