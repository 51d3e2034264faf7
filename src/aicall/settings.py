"""Django settings. Everything a deployment changes comes from the environment (see README)."""

import os
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from aicall.config import data_dir, signing_secret

DATA_DIR = data_dir()
SECRET_KEY = signing_secret()
DEBUG = os.environ.get("AICALL_DEBUG") == "1"
# Development mode: any Host header. Otherwise the host names must be named; unset, only
# loopback names are answered (`aicall serve` refuses to listen beyond loopback then).
DEV = os.environ.get("AICALL_DEV") == "1"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
_hosts = [h.strip() for h in os.environ.get("AICALL_ALLOWED_HOSTS", "").split(",") if h.strip()]
if "*" in _hosts and not DEV:
    raise ImproperlyConfigured(
        "AICALL_ALLOWED_HOSTS=* answers any Host header (password-reset and cache poisoning): "
        "name the host names, e.g. calls.example.com, or set AICALL_DEV=1 for development"
    )
ALLOWED_HOSTS = _hosts or (["*"] if DEV else LOOPBACK_HOSTS)
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("AICALL_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    # Only for its templates and static files: /api/docs serves Swagger UI from the app
    # itself (without it, django-ninja loads it from a CDN and the page is blank offline).
    "ninja",
    "aicall",
    "aicall.accounts",
    "aicall.campaigns",
    "aicall.calls",
    "aicall.telephony",
    "aicall.webhooks",
    "aicall.dialer",
    "aicall.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that answers on its own, so that those answers carry CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # API answers only (api/http.py): gzip outside brotli, so that br wins when asked for.
    "aicall.api.http.ApiGZipMiddleware",
    "aicall.api.http.ApiBrotliMiddleware",
    "aicall.metrics.ApiMetricsMiddleware",
    "aicall.api.http.ApiMethodsMiddleware",
    "aicall.api.middleware.ApiJsonErrorsMiddleware",
    "aicall.api.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aicall.web.middleware.SwitchOnlyLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aicall.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]
ASGI_APPLICATION = "aicall.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Persistent connections: the web process runs requests on a fixed set of threads
# (lib/concurrency.py), so each thread keeps one connection from request to request (one
# per thread of its three lanes, AICALL_WEB_*CONCURRENCY) instead of opening one per
# request; the dialer and the webhook sender keep theirs between jobs.
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    DATABASES["default"].setdefault("TEST", {})
    if os.environ.get("AICALL_TEST_DB_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = os.environ["AICALL_TEST_DB_NAME"]
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend whose writers queue fairly for the one write lock,
            # for at most write_wait_seconds, then "database is locked" (the API's 503):
            # lib/write_gate.py. WAL: readers never wait for the writer.
            # IMMEDIATE transactions take the write lock up front, so two writers queue
            # instead of failing with "database is locked" on upgrade.
            "ENGINE": "aicall.lib.sqlite_backend",
            "NAME": os.environ.get("AICALL_SQLITE_PATH", str(DATA_DIR / "aicall.sqlite3")),
            # A file open is cheap, but each new connection reads the schema again and
            # starts with a cold page cache.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "write_wait_seconds": float(
                    os.environ.get("AICALL_SQLITE_WRITE_WAIT_SECONDS", "20")
                ),
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536; "
                    "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
                ),
            },
            # A file, not :memory:, so that tests can run real dialer processes against it.
            "TEST": {
                "NAME": os.environ.get("AICALL_TEST_SQLITE_PATH", str(DATA_DIR / "test.sqlite3"))
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:campaigns"
LOGOUT_REDIRECT_URL = "web:login"

# Django's four validators: the website's password change, admin and `aicall createuser`.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
# One catalogue for every app's texts (makemessages run from src/aicall writes here).
LOCALE_PATHS = [os.path.join(os.path.dirname(__file__), "web", "locale")]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# A 100,000-contact import is ~10 MB of JSON; the limit keeps a runaway body out.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("AICALL_MAX_BODY_BYTES", 64 * 1024 * 1024))
# PHP clients send a contact as 2-5 form fields (contacts[0][phone_number]=…).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploaded files stop at AICALL_MAX_UPLOAD_BYTES before anything stores them whole.
FILE_UPLOAD_HANDLERS = [
    "aicall.upload_limits.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# CORS for the API only, for the origins listed (none by default: browsers of other sites
# get no access). "*" allows any origin; tokens travel in headers or the query, never in
# cookies, so credentials are not allowed.
CORS_URLS_REGEX = r"^/api/.*$"
_cors_origins = [o.strip() for o in os.environ.get("AICALL_CORS_ORIGINS", "").split(",")]
CORS_ALLOW_ALL_ORIGINS = "*" in _cors_origins
CORS_ALLOWED_ORIGINS = [o for o in _cors_origins if o and o != "*"]
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key", "if-none-match")
CORS_EXPOSE_HEADERS = (
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Idempotent-Replayed",
    "ETag",
    "Content-Disposition",
)
CORS_PREFLIGHT_MAX_AGE = 3600

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Behind a TLS proxy (README, "Running behind a TLS proxy"): cookies only over HTTPS, HSTS,
# and the proxy's X-Forwarded-Proto believed. Plain-HTTP requests are redirected, except
# /metrics, which a local scraper reads without TLS.
HTTPS = os.environ.get("AICALL_HTTPS") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("AICALL_HTTPS_REDIRECT", "1") == "1"
    SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("AICALL_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("AICALL_HSTS_INCLUDE_SUBDOMAINS") == "1"

AICALL: dict[str, Any] = {
    # auto (unset): SIP for calls whose campaign has a trunk, the sandbox for the others;
    # sandbox / sip force one carrier for every call (see telephony/registry.py).
    "TELEPHONY": os.environ.get("AICALL_TELEPHONY", "") or "auto",
    "SANDBOX_SPEED": float(os.environ.get("AICALL_SANDBOX_SPEED", "1")),
    "TOKEN_TTL_SECONDS": 60 * 24 * 3600,
    "EXPORT_LIMIT_CAP": 1000,
    "AUDIO_CACHE_DIR": DATA_DIR / "audio",
    # SIP media workers: the address their SIP/RTP sockets bind (the trunk must reach it),
    # the first SIP port (worker N binds base+N; 0 lets the OS choose) and the pool's cap.
    "SIP_BIND_ADDRESS": os.environ.get(
        "AICALL_SIP_BIND_ADDRESS",
        "0.0.0.0",  # noqa: S104 - the carrier must reach us
    ),
    "SIP_PORT_BASE": int(os.environ.get("AICALL_SIP_PORT_BASE", "0")),
    # RTP: worker N takes ports base+20N .. base+20N+19 (4 calls need 8; room to retry).
    "SIP_RTP_PORT_BASE": int(os.environ.get("AICALL_SIP_RTP_PORT_BASE", "16384")),
    "SIP_MAX_WORKERS": int(os.environ.get("AICALL_SIP_MAX_WORKERS", "250")),
    # Workers started with the dialer (4 calls each), so the first burst need not wait.
    "SIP_MIN_WORKERS": int(os.environ.get("AICALL_SIP_MIN_WORKERS", "1")),
    # The SIP edge (docs/sip.md): `kamailio` runs Kamailio in front of the workers as the one
    # SIP address towards trunks (supervised by the dialer); `external` uses one run as a
    # system service from `aicall sip-edge config`; `direct` lets each worker call the trunk.
    "SIP_EDGE": os.environ.get("AICALL_SIP_EDGE", "kamailio"),
    "SIP_EDGE_ADDRESS": os.environ.get("AICALL_SIP_EDGE_ADDRESS", ""),  # "" = the host's IP
    "SIP_EDGE_PORT": int(os.environ.get("AICALL_SIP_EDGE_PORT", "5060")),
    "SIP_EDGE_ADVERTISE": os.environ.get(
        "AICALL_SIP_EDGE_ADVERTISE", os.environ.get("AICALL_SIP_PUBLIC_ADDRESS", "")
    ),
    "SIP_EDGE_LOCAL_PORT": int(os.environ.get("AICALL_SIP_EDGE_LOCAL_PORT", "5090")),
    "SIP_EDGE_RUN_DIR": os.environ.get("AICALL_SIP_EDGE_RUN_DIR", str(DATA_DIR / "sip-edge")),
    "SIP_EDGE_BINARY": os.environ.get("AICALL_SIP_EDGE_BINARY", "kamailio"),
    # API budgets (docs/api-extensions.md): per account, and failed secret_key guesses per
    # client address. X-Forwarded-For is only believed behind a proxy you configure.
    "API_RATE_PER_SECOND": float(os.environ.get("AICALL_API_RATE_PER_SECOND", "100")),
    "API_RATE_BURST": int(os.environ.get("AICALL_API_RATE_BURST", "1000")),
    "TOKEN_FAILURES_BURST": int(os.environ.get("AICALL_TOKEN_FAILURES_BURST", "10")),
    "TOKEN_FAILURES_PER_HOUR": float(os.environ.get("AICALL_TOKEN_FAILURES_PER_HOUR", "30")),
    # Sign-in throttle (accounts/throttle.py): wrong passwords per address and per account.
    "LOGIN_MAX_FAILURES": int(os.environ.get("AICALL_LOGIN_MAX_FAILURES", "10")),
    "LOGIN_FAILURE_WINDOW_SECONDS": float(os.environ.get("AICALL_LOGIN_WINDOW_SECONDS", "900")),
    # /metrics and the dialer's metrics port (metrics_access.py): a Bearer token, or these
    # addresses (comma-separated, CIDR allowed).
    "METRICS_TOKEN": os.environ.get("AICALL_METRICS_TOKEN", ""),
    "METRICS_ALLOW": os.environ.get("AICALL_METRICS_ALLOW", "127.0.0.0/8,::1"),
    "TRUST_X_FORWARDED_FOR": os.environ.get("AICALL_TRUST_X_FORWARDED_FOR") == "1",
    "IDEMPOTENCY_TTL_SECONDS": 24 * 3600,
    # Uploads (upload_limits.py, web/spreadsheets.py): the largest file, what a contacts or
    # do-not-call file may hold, how far an .xlsx may unpack, and how long files are kept.
    "MAX_UPLOAD_BYTES": int(os.environ.get("AICALL_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
    "MAX_UPLOAD_ROWS": int(os.environ.get("AICALL_MAX_UPLOAD_ROWS", "100000")),
    "MAX_UPLOAD_COLUMNS": int(os.environ.get("AICALL_MAX_UPLOAD_COLUMNS", "100")),
    "MAX_XLSX_UNPACKED_BYTES": int(
        os.environ.get("AICALL_MAX_XLSX_UNPACKED_BYTES", str(100 * 1024 * 1024))
    ),
    "MAX_XLSX_SHARED_STRINGS": int(os.environ.get("AICALL_MAX_XLSX_SHARED_STRINGS", "500000")),
    "UPLOAD_KEEP_SECONDS": int(os.environ.get("AICALL_UPLOAD_KEEP_SECONDS", "86400")),
    # Webhook sender (`aicall webhooks`): retries with backoff for a day, then gives up.
    "WEBHOOK_RETRY_WINDOW_SECONDS": int(os.environ.get("AICALL_WEBHOOK_RETRY_SECONDS", "86400")),
    "WEBHOOK_FIRST_RETRY_SECONDS": float(os.environ.get("AICALL_WEBHOOK_FIRST_RETRY", "5")),
    "WEBHOOK_MAX_RETRY_SECONDS": float(os.environ.get("AICALL_WEBHOOK_MAX_RETRY", "3600")),
    "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("AICALL_WEBHOOK_TIMEOUT", "10")),
    "WEBHOOK_CONCURRENCY": int(os.environ.get("AICALL_WEBHOOK_CONCURRENCY", "100")),
    # At most this many POSTs in flight per account, so that one account's slow receiver
    # cannot take every slot of the sender from the others.
    "WEBHOOK_ACCOUNT_CONCURRENCY": int(os.environ.get("AICALL_WEBHOOK_ACCOUNT_CONCURRENCY", "10")),
    # Deliver to loopback/private/link-local addresses (development and tests only).
    "WEBHOOK_ALLOW_PRIVATE": os.environ.get("AICALL_WEBHOOK_ALLOW_PRIVATE") == "1",
    # Host names an IVR transfer may name in a sip: URI (comma-separated); phone numbers
    # always go out through the call's trunk.
    "TRANSFER_SIP_DOMAINS": [
        host.strip().lower()
        for host in os.environ.get("AICALL_TRANSFER_SIP_DOMAINS", "").split(",")
        if host.strip()
    ],
    # Pacing when a campaign has no trunk (the sandbox); 0 calls/s means unlimited.
    "SANDBOX_MAX_CHANNELS": int(os.environ.get("AICALL_SANDBOX_MAX_CHANNELS", "200")),
    "SANDBOX_CALLS_PER_SECOND": float(os.environ.get("AICALL_SANDBOX_CALLS_PER_SECOND", "50")),
    # Append one JSON line per placed sandbox call (integration tests of customers and ours).
    "SANDBOX_JOURNAL": os.environ.get("AICALL_SANDBOX_JOURNAL", ""),
    # The dialer (see docs/dialer.md).
    "DIALER_MAX_CALLS": int(os.environ.get("AICALL_DIALER_MAX_CALLS", "20000")),
    "DIALER_CLAIM_BATCH": int(os.environ.get("AICALL_DIALER_CLAIM_BATCH", "500")),
    "DIALER_POLL_SECONDS": float(os.environ.get("AICALL_DIALER_POLL_SECONDS", "0.5")),
    "DIALER_HEARTBEAT_SECONDS": float(os.environ.get("AICALL_DIALER_HEARTBEAT_SECONDS", "5")),
    "DIALER_DEAD_AFTER_SECONDS": float(os.environ.get("AICALL_DIALER_DEAD_AFTER_SECONDS", "30")),
    "DIALER_DRAIN_SECONDS": float(os.environ.get("AICALL_DIALER_DRAIN_SECONDS", "50")),
    # Trunk health (docs/dialer.md): timeouts in a row that mark a trunk down, how often a
    # down trunk is probed with OPTIONS, and how long a probe waits for an answer.
    "TRUNK_DOWN_AFTER_TIMEOUTS": int(os.environ.get("AICALL_TRUNK_DOWN_AFTER_TIMEOUTS", "3")),
    "TRUNK_PROBE_SECONDS": float(os.environ.get("AICALL_TRUNK_PROBE_SECONDS", "10")),
    "TRUNK_PROBE_TIMEOUT_SECONDS": float(os.environ.get("AICALL_TRUNK_PROBE_TIMEOUT_SECONDS", "4")),
    # Voice OTP retries after a temporary failure come this soon (within the code's expiry).
    "OTP_RETRY_SECONDS": float(os.environ.get("AICALL_OTP_RETRY_SECONDS", "10")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AICALL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # one line per webhook POST otherwise
        "httpx": {"level": "WARNING"},
    },
}
