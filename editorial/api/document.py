"""The OpenAPI document as served, and its copy kept in the repository (docs/openapi.json).

The copy is what clients read and review; ``python manage.py export_openapi`` rewrites
it, and a test fails while the served document and the copy differ, so a change to the
API cannot land without the document that describes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from ninja.responses import NinjaJSONEncoder

from editorial.api.site import api

COMMITTED_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_document() -> dict:
    """The document /api/openapi.json serves, as plain JSON data."""
    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


def document_text(document: dict) -> str:
    """The committed file's form: indented, Chinese as is, a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def committed_document(path: Path = COMMITTED_PATH) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text("utf-8"))
