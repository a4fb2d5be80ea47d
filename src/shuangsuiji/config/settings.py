"""Django settings, all read from the environment (django-environ).

``DJANGO_ENV`` selects the profile: ``development`` (default, used by ``make demo`` and the tests)
or ``production``. Production refuses to start with an unsafe configuration instead of running
with one, because a bureau's enforcement records must never be served by a debug server.
"""

import base64
import datetime as dt
import hashlib
from pathlib import Path

import environ
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured

from shuangsuiji.directory.limits import DEFAULTS as import_limit_defaults

PACKAGE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV 只能是 development 或 production，当前为 {DJANGO_ENV!r}。"
    )
PRODUCTION = DJANGO_ENV == "production"

# Runtime data (SQLite database, uploaded media, exports) lives outside the package.
DATA_DIR = Path(env.str("SHUANGSUIJI_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "生产环境必须设置 DJANGO_SECRET_KEY（至少 32 个字符的随机字符串）。"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("生产环境必须设置 DJANGO_ALLOWED_HOSTS。")
    public_hosts = [host for host in ALLOWED_HOSTS if host not in LOCAL_HOSTS]
    if DEBUG and public_hosts:
        raise ImproperlyConfigured(
            "生产环境不得在公网主机上开启 DJANGO_DEBUG："
            f"{', '.join(public_hosts)}。请设置 DJANGO_DEBUG=false。"
        )
    FIELD_ENCRYPTION_KEYS = env.list("SHUANGSUIJI_FIELD_KEYS", default=[])
    if not FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "生产环境必须设置 SHUANGSUIJI_FIELD_KEYS（加密身份证号的 Fernet 密钥，可用 "
            'shuangsuiji manage shell -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" 生成）。'
        )
else:
    # Development only: a fixed key keeps sessions across restarts of the demo.
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="development-only-key-never-use-in-production-0123456789"
    )
    # Development only: a field key derived from the development secret key.
    _digest = hashlib.sha256(f"field-key:{SECRET_KEY}".encode()).digest()
    FIELD_ENCRYPTION_KEYS = env.list(
        "SHUANGSUIJI_FIELD_KEYS", default=[base64.urlsafe_b64encode(_digest).decode()]
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "simple_history",
    # Background work (issue 21 §5): Django's tasks API, queued in the database.
    "django_tasks",
    "django_tasks_db",
    "shuangsuiji.accounts",
    "shuangsuiji.directory",
    "shuangsuiji.bureau",
    "shuangsuiji.planning",
    "shuangsuiji.inspections",
    "shuangsuiji.disclosure",
    "shuangsuiji.reports",
    "shuangsuiji.audit",
    "shuangsuiji.config.apps.ConfigConfig",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before any view, after the middleware that puts the security headers on their answers too.
    "shuangsuiji.config.middleware.ApiNotFoundMiddleware",
    "shuangsuiji.config.middleware.RefuseNulMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shuangsuiji.config.urls"
WSGI_APPLICATION = "shuangsuiji.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuangsuiji.config.context_processors.navigation",
            ],
        },
    },
]

# The forms' inputs rendered by Jinja2, from the widget templates Django ships for it: the same
# inputs, attributes and labels as its own template language gives (whitespace aside), at a
# fraction of the cost: the record form's twenty-odd inputs were a quarter of the page
# (issue 21 §3, docs/staff-speed.md). The standard inputs are now written in Python, byte for
# byte as those templates write them, at half of Jinja2's cost again (shuangsuiji.widgets).
FORM_RENDERER = "shuangsuiji.widgets.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'shuangsuiji.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and a CLI import share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # A new PostgreSQL connection costs ~13 ms, a query on an open one ~0.06 ms
    # (benchmarks/portal.py): keep each worker thread's connection, checked before reuse.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=300))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Queries that find rows by a key are sent to PostgreSQL as prepared statements, planned once per
# connection (shuangsuiji/prepared.py, issue 21 §3). Off only behind a pooler that cannot carry
# prepared statements (PgBouncer before 1.21 in transaction mode; docs/deployment.md).
SHUANGSUIJI_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if SHUANGSUIJI_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Planned once means once: left to choose, PostgreSQL kept planning a statement afresh on
    # every run wherever the values made a plan look cheaper than the generic one — a list of
    # two ids against the ten it assumes for an array — though the plan came out the same
    # (0.7 ms a run for the year's changed inspections). Only these statements carry values
    # apart from their SQL (Django's own queries are sent with the values written in, and the
    # triggers' queries have none), so the setting reaches no other query.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache (issue 21 §1): local memory on the embedded default (each process its own), Redis
# in production, shared by every node (``CACHE_URL=redis://127.0.0.1:6379/1``; Django's own
# RedisCache). What is cached is keyed by a version the database itself keeps
# (disclosure/versions.py), so no node can serve a page older than the last change.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://shuangsuiji")}
CACHES["default"].setdefault("KEY_PREFIX", "shuangsuiji")
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that cannot be reached is a miss, not an error page (config/cache.py).
    CACHES["default"]["BACKEND"] = "shuangsuiji.config.cache.ResilientRedisCache"
elif CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # Django's default of 300 entries is fewer than one county's enterprise pages: the cache
    # would drop pages as fast as it stores them. 3,000 pages of 10–60 KB stay under about
    # 100 MB a process; a province shares one Redis with ``maxmemory`` instead (deployment.md).
    CACHES["default"].setdefault("OPTIONS", {}).setdefault(
        "MAX_ENTRIES", env.int("SHUANGSUIJI_LOCMEM_ENTRIES", default=3000)
    )
else:
    # Only these two are supported: a cache that raises when it cannot be reached would turn a
    # cache outage into error pages (config/cache.py handles Redis's).
    raise ImproperlyConfigured(
        f"CACHE_URL 只支持本进程内存（locmemcache://）或 Redis（redis://），不支持“{env.str('CACHE_URL')}”。"
    )
# Sessions stay in the database, which every node shares: a process-local cache would let a
# node that did not see a logout keep the session alive.

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out username/address before the password check.
    "shuangsuiji.accounts.backends.LockoutBackend",
    # ModelBackend, reading the user's organisation with the user.
    "shuangsuiji.accounts.backends.StaffBackend",
    # Sessions begun before StaffBackend was listed name this one.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SHUANGSUIJI_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("SHUANGSUIJI_LOCKOUT_MINUTES", default=15))
# Lock the username from that address: a stranger cannot lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And the address itself, across accounts, at a higher count (an office shares one address):
# otherwise one address may try a few passwords on every account (accounts/backends.py).
SHUANGSUIJI_LOGIN_FAILURES_PER_ADDRESS = env.int(
    "SHUANGSUIJI_LOGIN_FAILURES_PER_ADDRESS", default=20
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# CSP: scripts only from this site (a nonce for any inline one), no other host at all.
# Styles may be inline: ECharts and Swagger UI set style attributes, and styles run no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production whitenoise serves straight from the finders, so `make demo` needs no
# collectstatic step, and picks up an edited file on the next request (also under
# `shuangsuiji serve`, which runs without DEBUG).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG or not PRODUCTION

# Django's database sessions, read by a query planned once per connection (accounts/sessions.py).
SESSION_ENGINE = "shuangsuiji.accounts.sessions"
SESSION_COOKIE_AGE = env.int("SHUANGSUIJI_SESSION_SECONDS", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}

# ---- Register imports (issue 15, owned with src/shuangsuiji/directory) -------------------------
# Operational limits, not policy: a file beyond any of them is refused as a whole, before it is
# read, with a message naming the file and the limit (docs/registers.md “导入限制”). The defaults
# fit a province's register: 100,000 targets are a 10 MB xlsx (about 100 MB unpacked) or a 21 MB
# CSV with 18 columns. The defaults live with the limits (pure, read by the command line too).
IMPORT = import_limit_defaults
SHUANGSUIJI_IMPORT_MAX_BYTES = env.int("SHUANGSUIJI_IMPORT_MAX_BYTES", default=IMPORT.max_bytes)
#: Data rows below the header (a title block above it is not counted).
SHUANGSUIJI_IMPORT_MAX_ROWS = env.int("SHUANGSUIJI_IMPORT_MAX_ROWS", default=IMPORT.max_rows)
SHUANGSUIJI_IMPORT_MAX_COLUMNS = env.int(
    "SHUANGSUIJI_IMPORT_MAX_COLUMNS", default=IMPORT.max_columns
)
#: An xlsx is a zip: what it unpacks to is limited too (a "zip bomb" is a small file that
#: unpacks to gigabytes).
SHUANGSUIJI_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "SHUANGSUIJI_IMPORT_MAX_UNPACKED_BYTES", default=IMPORT.max_unpacked_bytes
)
#: Problems listed one by one (on the page, in the error workbook, at the command line); the
#: rest are counted.
SHUANGSUIJI_IMPORT_MAX_PROBLEMS = env.int(
    "SHUANGSUIJI_IMPORT_MAX_PROBLEMS", default=IMPORT.max_problems
)
#: An uploaded file not confirmed within this many hours is abandoned and deleted.
SHUANGSUIJI_IMPORT_KEEP_HOURS = env.int("SHUANGSUIJI_IMPORT_KEEP_HOURS", default=24)
# ---- end of register imports -----------------------------------------------------------------

# ---- Background tasks (issue 21 §5, owned with src/shuangsuiji/directory/tasks.py) ------------
# Long work (validating an uploaded register …) is queued in the database, the same SQLite file
# or PostgreSQL every node already shares, and run by `shuangsuiji worker` (docs/registers.md
# “后台任务进程”). A task survives a restart: it waits in the queue, and one a killed worker was
# running is queued again by the next worker (directory/tasks.py ``tasks_recover``).
#
# The tests use this same backend. Where the worker is not under test they set
# SHUANGSUIJI_BACKGROUND_IMPORTS = False: the upload still queues its task, and the request runs
# that queued task at once through the worker's own claim → run → result steps, so every test
# goes through the real queue on both databases without a process to wait for;
# tests/test_worker.py starts real `shuangsuiji worker` processes and kills one.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
#: false: no worker process; an upload is validated within its request (the page waits), and
#: a draw of a large pool is computed within the request that enters its sources' values.
SHUANGSUIJI_BACKGROUND_IMPORTS = env.bool("SHUANGSUIJI_BACKGROUND_IMPORTS", default=True)
#: A worker writes that it is alive this often …
SHUANGSUIJI_WORKER_HEARTBEAT_SECONDS = env.int("SHUANGSUIJI_WORKER_HEARTBEAT_SECONDS", default=10)
#: … and one not heard from for this long is taken for dead: its task is queued again, and the
#: import page tells the bureau that no worker is running.
SHUANGSUIJI_WORKER_LEASE_SECONDS = env.int("SHUANGSUIJI_WORKER_LEASE_SECONDS", default=60)
# A register export of more than SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows is built by the worker
# too (directory/tasks.py ``register_export_build``): the page shows its progress, then a link to
# the file, which is stored encrypted (it may hold 身份证号 unmasked) and deleted after
# SHUANGSUIJI_EXPORT_KEEP_HOURS. A smaller export is answered at once, as before.
SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = env.int("SHUANGSUIJI_EXPORT_BACKGROUND_ROWS", default=20000)
#: false: no worker process; a large export is built within its request. Without a worker
#: neither imports nor exports can wait for one, so it follows SHUANGSUIJI_BACKGROUND_IMPORTS.
SHUANGSUIJI_BACKGROUND_EXPORTS = env.bool(
    "SHUANGSUIJI_BACKGROUND_EXPORTS", default=SHUANGSUIJI_BACKGROUND_IMPORTS
)
SHUANGSUIJI_EXPORT_KEEP_HOURS = env.int("SHUANGSUIJI_EXPORT_KEEP_HOURS", default=24)
# The portal's large results downloads (disclosure/results_files.py), built once per
# organisation, filters and data version and shared by every visitor: at most this many built
# at once (a crawler asking for every filter is told to come back) …
SHUANGSUIJI_RESULTS_FILES_WAITING = env.int("SHUANGSUIJI_RESULTS_FILES_WAITING", default=4)
#: … and at most this many kept, the oldest making room.
SHUANGSUIJI_RESULTS_FILES_KEPT = env.int("SHUANGSUIJI_RESULTS_FILES_KEPT", default=50)
# A draw of more candidates is computed by the worker (acts/draws.py ``draw_finish``): at 3 µs
# a candidate (benchmarks/draw.py) a request stays well under a second, above any county's pool.
SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES = env.int("SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES", 20000)
# ---- end of background tasks -----------------------------------------------------------------
# The staff's reports keep each organisation's year of inspections in memory, per process,
# and on PostgreSQL read again only the inspections changed since (reports/statistics.py
# ``year_records``): at most this many inspections in all (some 1.3 KiB each, 1.9 KiB with the
# tables counted from them), the least recently used organisation's year making room; 0 reads
# the year on every recompute.
SHUANGSUIJI_KEPT_INSPECTIONS = env.int("SHUANGSUIJI_KEPT_INSPECTIONS", default=100_000)
