"""Settings, all read from the environment (see docs/operations.md for the list).

Unset, they give a local demo: SQLite in ./var, tasks run in-process, local-memory
cache. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from django.utils.translation import gettext_lazy as _

from .environment import env_bool, env_int, env_list, production_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = production_secret_key(os.environ.get("SECRET_KEY"), debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# django-ninja (the data API) is not an installed app: loading it with pydantic costs
# about 0.15 s at every start, which processes that never serve the API (workers,
# render_issue, other commands) should not pay. Its docs page needs only the package's
# templates and its own Swagger assets (no CDN), found by path without importing it.
NINJA_DIR = Path(importlib.util.find_spec("ninja").origin).parent

INSTALLED_APPS = [
    # The admin modules are discovered when the URLs load (bulletin/urls.py), not at
    # start-up, so commands and workers that never serve the admin (render_issue, the
    # Celery worker) start about 0.2 s faster.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "django_prometheus",
    "django_prose_editor",  # the article body editor's static files (ProseMirror build)
    "editorial",
]

MIDDLEWARE = [
    # First and last: request counts and latencies of everything below (bulletin/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id for every log line of the request, echoed in X-Request-ID.
    "editorial.operations.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Bodies over the upload limit are refused from Content-Length, before they are read.
    "editorial.operations.upload_limits.RequestBodyLimitMiddleware",
    # Content-Security-Policy on every response (editorial/content_security.py).
    "editorial.operations.content_security.SitePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Control characters in a URL (a NUL byte) answer 404 before any lookup; after the
    # locale middleware, so that the 404 page is in the visitor's language.
    "editorial.operations.url_guard.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "editorial.site.slug_redirects.RetiredSlugRedirectMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Admin sign-in is throttled: after AXES_FAILURE_LIMIT wrong passwords a user name, and
# separately an address, is locked out for AXES_COOLOFF_MINUTES (attempts are counted
# in the database, so every web process sees them).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "editorial.operations.login_throttling.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else None

ROOT_URLCONF = "bulletin.urls"
WSGI_APPLICATION = "bulletin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Query counts, durations and errors for /metrics: django-prometheus's wrapper of the
# same backend (only the cursor is instrumented; SQL and behaviour are unchanged).
if DATABASES["default"]["ENGINE"] in (
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends."
    )

# --- Redis: Celery broker and cache ---------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bulletin"),
            "TIMEOUT": env_int("CACHE_TIMEOUT", 600),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_RESULT_BACKEND = None  # task state lives on our own rows (ImportJob, Rendition)
# Without a broker the demo runs tasks in-process, so it needs nothing else running.
CELERY_TASK_ALWAYS_EAGER = not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_KB", 400_000)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING above (JSON, with the task's id and name), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A publish must not hang when Redis is down: fail fast, the sweeper re-queues later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "max_retries": 1,
}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_DEFAULT_QUEUE = "default"
# Renders and e-mail deliveries have queues of their own, so a 40-page render never holds
# up e-mails and each kind of worker is scaled alone (docs/operations.md, Procfile).
CELERY_TASK_ROUTES = {
    "editorial.render_issue_rendition": {"queue": "render"},
    "editorial.fan_out_issue_deliveries": {"queue": "deliver"},
    "editorial.send_delivery_batch": {"queue": "deliver"},
}
# A render that kills its worker this many times is marked failed instead of looping.
RENDER_MAX_ATTEMPTS = env_int("RENDER_MAX_ATTEMPTS", 3)

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "editorial" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static", NINJA_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Media go to an S3-compatible bucket when one is named (every host reads the same files),
# else to MEDIA_ROOT. Bucket objects are private (no ACL is sent, so the bucket's own
# applies and must not be public); readers get short-lived signed URLs
# (editorial.site.file_serving). Credentials come from the environment or the host's role.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 300)
# Send bucket files through the web process (in chunks) instead of redirecting the reader
# to the bucket: for a bucket endpoint readers cannot reach.
MEDIA_BUCKET_STREAM = env_bool("MEDIA_BUCKET_STREAM", False)
if AWS_STORAGE_BUCKET_NAME:
    _AWS_ENDPOINT = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    _MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": _AWS_ENDPOINT,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
            "signature_version": "s3v4",
            # S3-compatible servers (MinIO, moto) answer on paths, not bucket subdomains.
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE")
            or ("path" if _AWS_ENDPOINT else None),
            # As on the filesystem: a second file of the same name gets a new name.
            "file_overwrite": False,
            # A worker opening a big file spools it to disk beyond this, not to memory.
            "max_memory_size": 8 * 1024 * 1024,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }
else:
    _MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
# Collected static files get hashed names, gzip/brotli copies and far-future cache headers
# from whitenoise; served from the finders (DEBUG, tests) there is no manifest to read.
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if WHITENOISE_USE_FINDERS
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "bulletin@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Security (production, i.e. DEBUG off) --------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4; editorial/content_security.py picks the policy).
# The public site runs no inline script and no inline style: scripts and styles come
# from the site's static files only. Images may be data: URIs (figures inlined by the
# render model) and, with a bucket, come from its origin (signed redirects).
_MEDIA_ORIGINS = env_list("CSP_MEDIA_ORIGINS", [])
if os.environ.get("AWS_S3_ENDPOINT_URL"):
    from urllib.parse import urlsplit

    _endpoint = urlsplit(os.environ["AWS_S3_ENDPOINT_URL"])
    _MEDIA_ORIGINS.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
_PUBLIC_DIRECTIVES = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", *_MEDIA_ORIGINS],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "manifest-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _PUBLIC_DIRECTIVES}
# The admin: inline scripts only with the request's nonce ({{ request.csp_nonce }}), but
# inline styles allowed, because Django's admin widgets and its JavaScript write style
# attributes (a style cannot run code; a nonce here would switch 'unsafe-inline' off).
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_PUBLIC_DIRECTIVES,
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
    }
}

# --- Import-export --------------------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- The product's own ----------------------------------------------------------------
# Imports larger than this run as an ImportJob in Celery instead of in the request.
BULLETIN_IMPORT_ASYNC_BYTES = env_int("BULLETIN_IMPORT_ASYNC_BYTES", 512 * 1024)
BULLETIN_IMPORT_MAX_BYTES = env_int("BULLETIN_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Any request body over this is refused with 413 from its Content-Length, unread
# (editorial/upload_limits.py): the largest import plus room for the form around it.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", BULLETIN_IMPORT_MAX_BYTES + 1024 * 1024)

# One JSON object a line (LOG_FORMAT=plain for people reading a terminal), each with the
# request id, user and issue of the request, or the task's id and name in a worker
# (editorial/request_context.py, editorial/task_observability.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "editorial.operations.request_context.LogContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Every failed sign-in is already a database row the admin lists; log lockouts only.
    "loggers": {"axes": {"level": "WARNING"}},
}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# /metrics answers a request bearing this token (Authorization: Bearer …); unset, only
# requests from loopback addresses (editorial/monitoring.py).
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")

# --- Subscriber deliveries (editorial.services.delivery) -------------------------------
# Signed download and subscriber-page links in e-mails stop working after this many days.
SUBSCRIBER_LINK_MAX_AGE_DAYS = env_int("SUBSCRIBER_LINK_MAX_AGE_DAYS", 30)
# Deliveries per send task (one SMTP connection each).
DELIVERY_BATCH_SIZE = env_int("DELIVERY_BATCH_SIZE", 50)
# E-mails per minute per worker process; 0 means no limit.
DELIVERY_RATE_LIMIT = env_int("DELIVERY_RATE_LIMIT", 600)
# Attempts before a transiently failing delivery is given up as failed.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6)
# Backoff after the n-th failed attempt: base * 2**(n-1) seconds (+ up to 25% jitter), capped.
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 60)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 6 * 3600)
# A row claimed for sending and untouched this long belongs to a dead worker and is taken
# again by the sweeper; also how long a fresh pending row waits before the sweeper queues it.
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 600)
# How far back the sweeper looks for published or corrected issues never fanned out.
DELIVERY_SWEEP_WINDOW_HOURS = env_int("DELIVERY_SWEEP_WINDOW_HOURS", 72)
# A PDF-attachment delivery waits this long for the PDF rendition, then sends a link instead.
DELIVERY_ATTACHMENT_WAIT_SECONDS = env_int("DELIVERY_ATTACHMENT_WAIT_SECONDS", 3600)

# --- Subscriber access (editorial.selectors.access) -------------------------------------
# A one-time sign-in link works for this many minutes, once.
SUBSCRIBER_SIGN_IN_LINK_MINUTES = env_int("SUBSCRIBER_SIGN_IN_LINK_MINUTES", 15)
# A subscriber's site session lasts this many days.
SUBSCRIBER_SESSION_DAYS = env_int("SUBSCRIBER_SESSION_DAYS", 30)
# Seats: distinct subscribers of an organisation signed in within this many days.
BULLETIN_SEAT_PERIOD_DAYS = env_int("BULLETIN_SEAT_PERIOD_DAYS", 30)
# Access-log rows (subscriber downloads, API calls) are deleted after this many days.
BULLETIN_ACCESS_LOG_DAYS = env_int("BULLETIN_ACCESS_LOG_DAYS", 365)
# Data API calls per token per minute (editorial.api); over it, 429 with Retry-After.
BULLETIN_API_REQUESTS_PER_MINUTE = env_int("BULLETIN_API_REQUESTS_PER_MINUTE", 120)

# --- Periodic tasks (celery beat) -------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    # Renders stuck in queued/running (a killed worker, a publish made while Redis was
    # down) are re-sent, and published issues without renditions get them.
    "sweep-renditions": {"task": "editorial.sweep_renditions", "schedule": 60.0},
    # Scheduled issues go out within a minute of their release time.
    "publish-due-issues": {"task": "editorial.publish_due_issues", "schedule": 30.0},
    # Deliveries left behind by a broker outage or a killed worker.
    "sweep-deliveries": {"task": "editorial.sweep_deliveries", "schedule": 120.0},
    # With NOTIFICATION_DIGEST = "daily": the day's review notifications, one mail a person.
    "send-notification-digests": {
        "task": "editorial.send_notification_digests", "schedule": 300.0,
    },
}
# Review notifications: "immediate" (after each action, one mail a person per bulk action)
# or "daily" (one mail a person a day, at NOTIFICATION_DIGEST_HOUR, site time).
NOTIFICATION_DIGEST = os.environ.get("NOTIFICATION_DIGEST", "immediate")
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 8)
SIMPLE_HISTORY_REVERT_DISABLED = True  # reverts go through services.reviewing.revert_article

# --- Heavy input: limits, background parses and file retention ----------------------
# A .docx/.xlsx upload is refused unopened when its entries expand beyond this many bytes
# in all, beyond this many times the upload's size, or number more than this.
BULLETIN_PACKAGE_MAX_EXPANDED_BYTES = env_int("BULLETIN_PACKAGE_MAX_EXPANDED_BYTES", 64 * 1024 * 1024)
BULLETIN_PACKAGE_MAX_RATIO = env_int("BULLETIN_PACKAGE_MAX_RATIO", 100)
BULLETIN_PACKAGE_MAX_ENTRIES = env_int("BULLETIN_PACKAGE_MAX_ENTRIES", 2000)
# Bulletin uploads above this size, and every .docx and PDF, are parsed for the preview
# by a worker (when a broker is configured) while the admin shows the job's progress.
BULLETIN_IMPORT_INLINE_PARSE_BYTES = env_int("BULLETIN_IMPORT_INLINE_PARSE_BYTES", 64 * 1024)
# A parse that runs longer than this ends as failed (soft limit; the hard one is 30 s more).
BULLETIN_IMPORT_PARSE_SECONDS = env_int("BULLETIN_IMPORT_PARSE_SECONDS", 120)
# A preview parse may grow its worker process by this much memory before it is stopped.
BULLETIN_IMPORT_PARSE_MEMORY_MB = env_int("BULLETIN_IMPORT_PARSE_MEMORY_MB", 1024)
# A preview parse no worker has started after this long ends as failed (no worker running).
BULLETIN_IMPORT_QUEUE_SECONDS = env_int("BULLETIN_IMPORT_QUEUE_SECONDS", 600)
# Spreadsheet imports (articles, metrics, indicators, subscribers): rows per file at most.
# Imports validate in memory and write in bulk (10,000 rows in about 2 s), so the cap only
# bounds the memory one file may take.
BULLETIN_TABLE_IMPORT_MAX_ROWS = env_int("BULLETIN_TABLE_IMPORT_MAX_ROWS", 20_000)
# Spreadsheets larger than this are checked and written by a worker, with progress.
BULLETIN_TABLE_IMPORT_ASYNC_BYTES = env_int("BULLETIN_TABLE_IMPORT_ASYNC_BYTES", 256 * 1024)
# Generated downloads (bundles, spreadsheets) an anonymous address may start a minute.
EXPORT_DOWNLOADS_PER_MINUTE = env_int("EXPORT_DOWNLOADS_PER_MINUTE", 60)
# Stored files go out through a permission check; behind nginx set the internal location
# (e.g. /protected-media/, aliased to MEDIA_ROOT) to hand the sending to it.
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "")
# Files of rejected uploads and superseded renditions are removed after this many days.
BULLETIN_FILE_RETENTION_DAYS = env_int("BULLETIN_FILE_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["sweep-stored-files"] = {
    "task": "editorial.sweep_stored_files",
    "schedule": 3600.0,
}
