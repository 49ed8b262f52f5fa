"""Entitle's settings: every knob comes from the environment, with safe embedded defaults.

Development needs nothing set (embedded SQLite, local memory cache). Production sets at least
`SECRET_KEY`, `DATABASE_URL`, `ALLOWED_HOSTS`; with `DEBUG` off the default secret key is
refused and the HTTPS settings are on unless the environment turns them off.
"""

import os
from pathlib import Path
from string import Formatter

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

_INSECURE_DEFAULT_KEY = "django-insecure-entitle-development-only"
SECRET_KEY = os.environ.get("SECRET_KEY", _INSECURE_DEFAULT_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_DEFAULT_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment when DEBUG is off "
        "(the built-in development key is public)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Hosts besides ALLOWED_HOSTS that a `next` or `successUrl` may send a learner to (the host
# platform's own site, say); anything else is ignored.
REDIRECT_HOSTS = env_list("REDIRECT_HOSTS")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CURRENCY = os.environ.get("CURRENCY", "USD")  # what prices (stored in cents) are shown in
SITE_SLUG = os.environ.get("SITE_SLUG", "entitle")
SITE_ID_TEXT = os.environ.get("SITE_ID", "5468fd6569702d17ee500000")

# Where learners open an item that has no `url` of its own (`CatalogItem.content_url`):
# e.g. https://learn.example.com/courses/{slug}; placeholders {slug} {id} {external_id} {kind}.
CONTENT_URL_TEMPLATE = os.environ.get("CONTENT_URL_TEMPLATE", "").strip()
CONTENT_URL_PLACEHOLDERS = {"slug", "id", "external_id", "kind"}


def _check_content_url_template(template: str) -> None:
    if not template:
        return
    if not template.lower().startswith(("https://", "http://", "/")):
        raise ImproperlyConfigured("CONTENT_URL_TEMPLATE must be an http(s) URL or a path.")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        raise ImproperlyConfigured(f"CONTENT_URL_TEMPLATE cannot be read: {exc}") from exc
    for name, spec, conv in fields:
        if name not in CONTENT_URL_PLACEHOLDERS or spec or conv:
            raise ImproperlyConfigured(
                f"CONTENT_URL_TEMPLATE may name only {{slug}}, {{id}}, {{external_id}} and "
                f"{{kind}}, not {{{name}}}.")


_check_content_url_template(CONTENT_URL_TEMPLATE)

INSTALLED_APPS = [
    "core.sites.EntitleAdminConfig",  # django.contrib.admin, with Entitle's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "rangefilter",
    "core",
    "accounts",
    "catalog",
    "licensing",
    "redemptions",
    "coupons",
    "events",
    "jobs",
]

MIDDLEWARE = [
    "core.middleware.RequestMiddleware",  # request id, access log line, request metrics
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.NoStoreMiddleware",  # outside the rest: 429s and error pages too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.TooManyAttemptsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A connection pool per process (Django's psycopg pool), when DB_POOL_MAX_SIZE is set: each
# process holds at most that many connections; size it to the threads that use the database at
# once (docs/deploy.md, "Connections"). Pooled connections replace CONN_MAX_AGE's persistent ones.
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "0"))
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(int(os.environ.get("DB_POOL_MIN_SIZE", "1")), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
if DATABASES["default"]["ENGINE"].endswith("postgresql") and \
        os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "1":
    # Server-side binding: psycopg prepares a statement run a few times on a connection
    # (prepare_threshold), so the hot paths' queries are parsed and planned once per
    # connection (pooled or not).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=2)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several threads write in the demo and the tests: wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# Email (password resets): EMAIL_URL, e.g. smtp://user:password@mail.example.com:587/?tls=True
# (dj-email-url's forms: smtp, smtps, console, file, memory, dummy); without it the console in
# development and SMTP on localhost:25 in production. DEFAULT_FROM_EMAIL is the sender.
_email = dj_email_url.parse(os.environ.get("EMAIL_URL")
                            or ("console://" if DEBUG else "smtp://localhost:25"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"] or "localhost", _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS, EMAIL_USE_SSL = bool(_email["EMAIL_USE_TLS"]), bool(_email["EMAIL_USE_SSL"])
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Entitle <no-reply@localhost>")

_cache_url = os.environ.get("CACHE_URL", "")
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _cache_url}}
elif _cache_url and _cache_url != "locmem://":
    raise ImproperlyConfigured(f"CACHE_URL must be redis://… or locmem://, not {_cache_url!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# ModelBackend behind the login throttle: one limit for every password check.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/account/access/"
LOGOUT_REDIRECT_URL = "/"

# Brute-force protection (accounts.throttles): failed attempts allowed per window, counted in
# the cache. NUM_PROXIES: how many trusted proxies add to X-Forwarded-For (0: use REMOTE_ADDR).
REDEEM_FAILURES_PER_LEARNER = int(os.environ.get("REDEEM_FAILURES_PER_LEARNER", "10"))
REDEEM_FAILURES_PER_IP = int(os.environ.get("REDEEM_FAILURES_PER_IP", "30"))
REDEEM_FAILURE_WINDOW_SECONDS = int(os.environ.get("REDEEM_FAILURE_WINDOW_SECONDS", "900"))
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10"))
LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", "50"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Password reset emails asked for, per address and per IP, in each window (every request counts).
PASSWORD_RESETS_PER_ACCOUNT = int(os.environ.get("PASSWORD_RESETS_PER_ACCOUNT", "3"))
PASSWORD_RESETS_PER_IP = int(os.environ.get("PASSWORD_RESETS_PER_IP", "20"))
PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("PASSWORD_RESET_WINDOW_SECONDS", "3600"))
# Registrations asked for, per address and per IP, in each window (every request counts), and
# how long the link that finishes one works.
REGISTRATIONS_PER_ADDRESS = int(os.environ.get("REGISTRATIONS_PER_ADDRESS", "3"))
REGISTRATIONS_PER_IP = int(os.environ.get("REGISTRATIONS_PER_IP", "20"))
REGISTRATION_WINDOW_SECONDS = int(os.environ.get("REGISTRATION_WINDOW_SECONDS", "3600"))
REGISTRATION_LINK_SECONDS = int(os.environ.get("REGISTRATION_LINK_SECONDS", str(60 * 60 * 24)))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(60 * 60 * 24)))
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
# A redemption code typed by hand (native API, Zype, Tizra, the admin, a CSV import) has at
# least this many letters or digits (`redemptions.codes.clean_code`): shorter ones are guessed.
REDEMPTION_CODE_MIN_LENGTH = int(os.environ.get("REDEMPTION_CODE_MIN_LENGTH", "6"))
if REDEMPTION_CODE_MIN_LENGTH < 4:
    raise ImproperlyConfigured("REDEMPTION_CODE_MIN_LENGTH must be at least 4.")
# A redemption started by an anonymous learner waits this long for them to log in or register.
PENDING_REDEMPTION_SECONDS = int(os.environ.get("PENDING_REDEMPTION_SECONDS", "3600"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Jobs' files (imported CSVs waiting for a worker, finished exports): one directory that every
# web and worker process shares (a network volume when they run on several machines).
MEDIA_ROOT = os.environ.get("JOB_FILES_DIR", str(BASE_DIR / "var" / "files"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTPS: on by default in production; off only when the environment says so (loopback, proxy).
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # HSTS for a year by default (0 turns it off, e.g. while trying HTTPS out); preloading is
    # a promise to browsers' built-in lists, so only on request (docs/deploy.md).
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Probes and the scraper call over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# X-Forwarded-Proto says "https" only when a proxy we trust sets it: a client talking to the
# server directly could send it too, so it counts only with NUM_PROXIES ≥ 1 (a proxy in front).
if NUM_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Every API answer (all dialects, OAuth) is marked `Cache-Control: no-store`
# (core.middleware.NoStoreMiddleware): they carry learners' data and credentials.
API_PATH_PREFIXES = ("/api/", "/incoming/", "/redemption_codes", "/admin-api/", "/oauth/",
                     "/oltpublish/", "/couponService.do", "/eventService.do", "/connect.do",
                     "/home.do")

# Deploy checks kept on purpose, each explained in docs/deploy.md ("manage.py check --deploy"):
# Zype's clients log learners in with the OAuth password grant and send `access_token` in the
# query string, as Zype documents; Entitle looks tokens up by value, so they are stored as
# django-oauth-toolkit stores them by default; HSTS preload is opt-in.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W002", "oauth2_provider.W004",
                          "oauth2_provider.W006"]
if not env_bool("SECURE_HSTS_PRELOAD", False):
    SILENCED_SYSTEM_CHECKS.append("security.W021")

REST_FRAMEWORK = {
    # The native API's defaults; each dialect's base view overrides what differs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.Authorised"],
    "DEFAULT_FILTER_BACKENDS": ["core.filters.ZypeFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dialects.native.base.NativePagination",
    "EXCEPTION_HANDLER": "dialects.native.errors.native_exception_handler",
    "DEFAULT_METADATA_CLASS": "core.metadata.EntitleMetadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Bounded in size, depth and field count, refusing NUL and lone surrogates (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's, with `*/*` and the first renderer's own type answered without parsing
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.ContentNegotiation",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Entitle API",
    "DESCRIPTION": (
        "Who may open what. The native API lives under `/api/v1/`; the Thought Industries, "
        "Zype, Tizra and EduBrite dialects answer at their vendors' own paths."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations grouped by dialect and resource, each with its error codes (config/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "config.schema.group_and_complete"],
    "ENUM_NAME_OVERRIDES": {"EventKindEnum": "events.models.EventKind",
                            "ItemKindEnum": "catalog.models.ItemKind"},
}

# Named so that a model of ours may point at it (accounts.StaffScopeGrant): the library's own.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OAUTH_TOKEN_SECONDS", "36000")),
    # accounts.permissions.SCOPES; `staff` only for the applications named below
    "SCOPES": {"redeem": "Redeem codes and coupons for yourself",
               "read:own": "Read what you hold",
               "staff": "Act as the staff member you are, within your permissions"},
    "DEFAULT_SCOPES": ["redeem", "read:own"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.ScopeValidator",
    # RFC 9700 (OAuth 2.0 Security BCP) wherever Zype's clients do not need otherwise (see
    # SILENCED_SYSTEM_CHECKS): no implicit grant, PKCE S256 only, `iss` in authorisation
    # answers, a replayed refresh token revokes its family, https redirect URIs in production.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if DEBUG else ["https"],
}
# The client ids of the OAuth applications whose tokens may carry the `staff` scope (comma
# separated): a token acts as staff only when its application was granted that explicitly.
OAUTH_STAFF_APPLICATIONS = frozenset(
    filter(None, os.environ.get("OAUTH_STAFF_APPLICATIONS", "").replace(" ", "").split(",")))

# Every API key use updates `last_used_at` at most this often (a write per request would be a
# hot row under load).
API_KEY_TOUCH_SECONDS = 60
# A verified API key is remembered by each process this long (0: never): a key revoked or
# changed elsewhere stops working, or takes its new role, within this bound (at once in the
# process that changed it).
API_KEY_CACHE_SECONDS = float(os.environ.get("API_KEY_CACHE_SECONDS", "5"))

# Background work (Celery). With no CELERY_BROKER_URL (the embedded default) tasks run in this
# process after commit, each in a thread of its own; production names Redis
# (redis://host:6379/0) and runs `celery -A config worker` and one `celery -A config beat`.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "2"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# A Celery worker runs at this niceness (0: as started; never less nice than it was), so on a
# machine it shares with the web server it takes the CPU requests leave (config/celery.py). 19,
# the lowest priority: at 10 the webhook bench row still lost a third of its req/s.
WORKER_NICE = int(os.environ.get("WORKER_NICE", "19"))

# Webhooks: the Standard Webhooks retry schedule (seconds after the previous try: 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 10 h), each delay ± WEBHOOK_RETRY_JITTER; then the delivery is failed.
WEBHOOK_RETRY_SCHEDULE = [float(s) for s in env_list(
    "WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")]
WEBHOOK_RETRY_JITTER = float(os.environ.get("WEBHOOK_RETRY_JITTER", "0.1"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# A worker claims a delivery this long before sending; one that dies mid-send frees it then.
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS",
                                             str(WEBHOOK_TIMEOUT_SECONDS + 20)))
WEBHOOK_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_SWEEP_SECONDS", "30"))
# After a commit whose events some endpoint wants, each server process asks the workers for a
# drain at most this often (the latency from commit to delivery, under load); a drain fans out
# and claims this many waiting events and due deliveries at a time and goes on for at most
# WEBHOOK_DRAIN_SECONDS.
WEBHOOK_NUDGE_SECONDS = float(os.environ.get("WEBHOOK_NUDGE_SECONDS", "1"))
WEBHOOK_DRAIN_BATCH = int(os.environ.get("WEBHOOK_DRAIN_BATCH", "200"))
WEBHOOK_DRAIN_SECONDS = float(os.environ.get("WEBHOOK_DRAIN_SECONDS", "60"))
WEBHOOK_DEACTIVATE_AFTER_SECONDS = float(os.environ.get("WEBHOOK_DEACTIVATE_AFTER_SECONDS",
                                                        str(3 * 24 * 3600)))
# Webhook URLs resolving to loopback, link-local or private addresses are refused unless on.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# Jobs (long work): each chunk (codes generated, rows imported or exported) is one
# transaction; a running job whose heartbeat is older than JOB_STALE_SECONDS lost its worker and
# is sent again by the sweep (every JOB_SWEEP_SECONDS), resuming where its last chunk committed.
JOB_CHUNK_SIZE = int(os.environ.get("JOB_CHUNK_SIZE", "50000"))
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", "120"))
JOB_SWEEP_SECONDS = float(os.environ.get("JOB_SWEEP_SECONDS", "30"))
JOB_CHUNK_PAUSE_SECONDS = float(os.environ.get("JOB_CHUNK_PAUSE_SECONDS", "0"))  # tests, demos
# A group with more codes than this is not streamed as one CSV response (it would outlast a
# request's timeout and end cut off after a 200): the admin and the APIs start the export job.
CSV_STREAM_MAX_CODES = int(os.environ.get("CSV_STREAM_MAX_CODES", "100000"))
CELERY_BEAT_SCHEDULE = {
    "send-due-webhook-deliveries": {"task": "events.send_due",
                                    "schedule": WEBHOOK_SWEEP_SECONDS},
    "sweep-stale-jobs": {"task": "jobs.sweep_stale", "schedule": JOB_SWEEP_SECONDS},
}

# Logs: one JSON object per line on stderr (LOG_FORMAT=text for plain lines, the default with
# DEBUG on), each with the request id; ACCESS_LOG=1 (the default) writes one line per request
# (core.middleware). Credentials and codes are masked in logs and in error reports
# (core.logs, core.reporting).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"},
                "masked_path": {"()": "core.logs.MaskedRequestPathFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "entitle.request": {"level": "INFO" if env_bool("ACCESS_LOG", True) else "WARNING"},
        # Django's own 4xx lines repeat the access log's; 5xx stay (and mail ADMINS).
        "django.request": {"level": "ERROR", "filters": ["masked_path"]},
    },
}
DEFAULT_EXCEPTION_REPORTER = "core.reporting.MaskingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.reporting.MaskingExceptionReporterFilter"
ADMINS = [("Admin", address) for address in env_list("ADMINS")]  # 500 reports by email

# Prometheus at /metrics: only with `Authorization: Bearer <METRICS_TOKEN>`; with no token,
# only in DEBUG. With several processes per machine (gunicorn workers, Celery's prefork
# children) set PROMETHEUS_MULTIPROC_DIR for every process (core.metrics).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_CELERY_QUEUES = env_list("METRICS_CELERY_QUEUES", "celery")
# A Celery worker serves its own metrics on this port (0: none), see config/celery.py.
WORKER_METRICS_PORT = int(os.environ.get("WORKER_METRICS_PORT", "0"))
