"""Settings, all read from the environment (see docs/operations.md for the list).

Unset, they give a local demo: SQLite in ./var, tasks run in-process, local-memory
cache. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .environment import env_bool, env_int, env_list, production_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = production_secret_key(os.environ.get("SECRET_KEY"), debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "editorial",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Control characters in a URL (a NUL byte) answer 404 before any lookup; after the
    # locale middleware, so that the 404 page is in the visitor's language.
    "editorial.url_guard.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "editorial.slug_redirects.RetiredSlugRedirectMiddleware",
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
AXES_LOCKOUT_CALLABLE = "editorial.login_throttling.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else None

ROOT_URLCONF = "bulletin.urls"
WSGI_APPLICATION = "bulletin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
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

# --- Import-export --------------------------------------------------------------------
# Cache-backed temporary storage: the confirm step may reach another web process.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- The product's own ----------------------------------------------------------------
# Imports larger than this run as an ImportJob in Celery instead of in the request.
BULLETIN_IMPORT_ASYNC_BYTES = env_int("BULLETIN_IMPORT_ASYNC_BYTES", 512 * 1024)
BULLETIN_IMPORT_MAX_BYTES = env_int("BULLETIN_IMPORT_MAX_BYTES", 10 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Every failed sign-in is already a database row the admin lists; log lockouts only.
    "loggers": {"axes": {"level": "WARNING"}},
}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

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

# --- Subscriber access (editorial.services.access) -------------------------------------
# A one-time sign-in link works for this many minutes, once.
SUBSCRIBER_SIGN_IN_LINK_MINUTES = env_int("SUBSCRIBER_SIGN_IN_LINK_MINUTES", 15)
# A subscriber's site session lasts this many days.
SUBSCRIBER_SESSION_DAYS = env_int("SUBSCRIBER_SESSION_DAYS", 30)
# Seats: distinct subscribers of an organisation signed in within this many days.
BULLETIN_SEAT_PERIOD_DAYS = env_int("BULLETIN_SEAT_PERIOD_DAYS", 30)
# Access-log rows (subscriber downloads, API calls) are deleted after this many days.
BULLETIN_ACCESS_LOG_DAYS = env_int("BULLETIN_ACCESS_LOG_DAYS", 365)

# --- Periodic tasks (celery beat) -------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    # Renders stuck in queued/running (a killed worker, a publish made while Redis was
    # down) are re-sent, and published issues without renditions get them.
    "sweep-renditions": {"task": "editorial.sweep_renditions", "schedule": 60.0},
    # Scheduled issues go out within a minute of their release time.
    "publish-due-issues": {"task": "editorial.publish_due_issues", "schedule": 30.0},
    # Deliveries left behind by a broker outage or a killed worker.
    "sweep-deliveries": {"task": "editorial.sweep_deliveries", "schedule": 120.0},
}
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
BULLETIN_TABLE_IMPORT_MAX_ROWS = env_int("BULLETIN_TABLE_IMPORT_MAX_ROWS", 2000)
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
