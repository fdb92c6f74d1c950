"""ASGI entry point."""

import importlib
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
application = get_asgi_application()

# The URLconf loaded now, not by the first request (see bulletin/wsgi.py).
importlib.import_module(settings.ROOT_URLCONF)
