"""WSGI entry point (gunicorn bulletin.wsgi)."""

import importlib
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
application = get_wsgi_application()

# Load the URLconf now, and with it the admin, the API and every view module: otherwise
# a worker's first request pays for it (about 0.8 s), after every deploy and every worker
# restart, while a reader or the load balancer's health check waits.
importlib.import_module(settings.ROOT_URLCONF)
