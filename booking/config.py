"""Configuration classes per environment; every secret and address comes from the environment."""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(folder: str) -> Path:
    """A folder the app ships (templates, static, migrations): inside the package once installed from the
    wheel (pyproject.toml maps them there), beside it in a source checkout."""
    installed = PACKAGE / folder
    return installed if installed.is_dir() else PACKAGE.parent / folder


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret_key(instance: Path) -> str:
    """The key in <instance>/secret_key, made the first time, so sessions survive restarts in development."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = "base"
    # Unset: instance/booking.sqlite3 (the factory fills in the instance folder's path).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "zh_CN")
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A login ends after this long without a request (Flask refuses an older session cookie) ...
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "120")))
    # ... and, remember-me included, this many days after the password was typed, however often it is used.
    SESSION_MAX_DAYS = int(os.environ.get("SESSION_MAX_DAYS", "14"))
    WTF_CSRF_TIME_LIMIT = None  # a form left open for hours should still submit
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Every limit is checked, so a refusal's Retry-After is the latest reset of all it breaks; the error page
    # sets that header itself (booking/web/errors.py), rounded up.
    RATELIMIT_FAIL_ON_FIRST_BREACH = False
    RATELIMIT_HEADERS_ENABLED = False
    # Failed logins (successful ones are never counted) per (account, address), per address, and per account
    # from browsers that have never signed in to it (booking/web/auth/routes.py explains the choice).
    LOGIN_LIMIT = os.environ.get("LOGIN_LIMIT", "5 per minute;20 per hour")
    LOGIN_ADDRESS_LIMIT = os.environ.get("LOGIN_ADDRESS_LIMIT", "20 per minute;200 per hour")
    LOGIN_ACCOUNT_LIMIT = os.environ.get("LOGIN_ACCOUNT_LIMIT", "30 per hour;100 per day")
    # How many reverse proxies (nginx: 1) stand in front; their X-Forwarded-For/-Proto are believed. 0: none.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    REGISTER_LIMIT = os.environ.get("REGISTER_LIMIT", "5 per minute;30 per hour")
    PASSWORD_HASH_METHOD = "scrypt"
    # Account links (booking.services.recovery, email_verification, personal_data).
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "30"))
    PASSWORD_RESET_LIMIT = os.environ.get("PASSWORD_RESET_LIMIT", "5 per minute;20 per hour")
    PASSWORD_RESET_ACCOUNT_LIMIT = os.environ.get(
        "PASSWORD_RESET_ACCOUNT_LIMIT", "3 per 15 minutes;10 per day"
    )
    EMAIL_VERIFY_HOURS = int(os.environ.get("EMAIL_VERIFY_HOURS", "48"))
    VERIFY_RESEND_LIMIT = os.environ.get("VERIFY_RESEND_LIMIT", "3 per 10 minutes;10 per day")
    VERIFY_CODE_LIMIT = os.environ.get("VERIFY_CODE_LIMIT", "10 per 10 minutes;30 per day")
    UNCONFIRMED_RETENTION_DAYS = int(os.environ.get("UNCONFIRMED_RETENTION_DAYS", "7"))
    FORCE_HTTPS = False
    CATALOG_PAGE_SIZE = 12
    # The map's tile server, a Leaflet URL template such as "https://tiles.example.cn/{z}/{x}/{y}.png"
    # (production: a Chinese provider). Empty: no tiles, markers on a plain background (tests, offline).
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    # The domain in every iCalendar UID: fixed, so moving the site never duplicates people's events.
    CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "campus-city.example")
    # Files attached to a request (a safety plan: PDF, JPEG, PNG or WebP, told by content), stored outside
    # the web root; several web servers must share this directory (a network file system or a shared volume
    # mounted at the same path). A file is removed ATTACHMENT_RETENTION_DAYS after its booking ended.
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR")  # unset: instance/attachments
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
    ATTACHMENT_MAX_FILES = int(os.environ.get("ATTACHMENT_MAX_FILES", "3"))
    ATTACHMENT_RETENTION_DAYS = int(os.environ.get("ATTACHMENT_RETENTION_DAYS", "365"))
    # The largest request body (the .ics import takes up to 1 MB, a facility photo up to PHOTO_MAX_BYTES, a
    # request's files up to ATTACHMENT_MAX_FILES of ATTACHMENT_MAX_BYTES).
    MAX_CONTENT_LENGTH = max(6 * 1024 * 1024, ATTACHMENT_MAX_FILES * ATTACHMENT_MAX_BYTES + 1024 * 1024)
    # Facility photos: stored outside the web root; several web servers must share this directory.
    PHOTO_DIR = os.environ.get("PHOTO_DIR")  # unset: instance/photos
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
    # Mail: development prints to the console.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@campus-city.example")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # Send outbox emails right after the transaction that wrote them commits; off: only the scheduler sends.
    MAIL_DELIVER_AFTER_COMMIT = _bool("MAIL_DELIVER_AFTER_COMMIT", True)
    # Webhooks (booking.services.webhooks): seconds per request, attempts before giving up, and the key that
    # encrypts the endpoints' signing secrets at rest (unset: derived from SECRET_KEY; changing it makes the
    # stored secrets unreadable, so each endpoint then needs a new secret).
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "10"))
    WEBHOOK_SECRET_KEY = os.environ.get("WEBHOOK_SECRET_KEY", "")
    # How long the delivery log keeps a delivery that is over (delivered or given up).
    WEBHOOK_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "30"))
    # Plain http to this machine (127.0.0.1, ::1, localhost) for development and tests; never in production.
    WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    SCHEDULER_IN_PROCESS = False
    SCHEDULER_INTERVALS: dict[str, int] = {}  # job name -> seconds, overriding the defaults
    SCHEDULER_INTERVAL_SECONDS = int(os.environ.get("SCHEDULER_INTERVAL_SECONDS", "0")) or None
    SCHEDULER_MISFIRE_GRACE_SECONDS = int(os.environ.get("SCHEDULER_MISFIRE_GRACE_SECONDS", "60"))
    REMINDER_LEAD_MINUTES = int(os.environ.get("REMINDER_LEAD_MINUTES", "1440"))
    NO_SHOW_STRIKES = int(os.environ.get("NO_SHOW_STRIKES", "3"))
    NO_SHOW_WINDOW_DAYS = int(os.environ.get("NO_SHOW_WINDOW_DAYS", "90"))
    SUSPENSION_DAYS = int(os.environ.get("SUSPENSION_DAYS", "30"))
    STATISTICS_BACKFILL_DAYS = 7
    # Campus sign-on: how long to wait for a university's CAS server to validate a ticket.
    CAS_TIMEOUT_SECONDS = float(os.environ.get("CAS_TIMEOUT_SECONDS", "10"))
    STATISTICS_DAYS_PER_TICK = int(os.environ.get("STATISTICS_DAYS_PER_TICK", "1000"))
    # Refusals by rule are counted in memory and written this many seconds after the first one not yet
    # written (booking.services.refusals); 0: each at once.
    REFUSAL_FLUSH_SECONDS = float(os.environ.get("REFUSAL_FLUSH_SECONDS", "1"))


def served_base_url(host: str, port: int) -> str:
    """The address `flask run --host HOST --port PORT` serves, for links when BASE_URL is not set."""
    if host in ("", "0.0.0.0", "::"):  # every interface: this machine's loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Without a BASE_URL, links in emails, .ics files, feeds and QR codes use the port `flask run` serves.
    BASE_URL_FROM_SERVER = "BASE_URL" not in os.environ
    SECRET_KEY = os.environ.get("SECRET_KEY")
    GENERATE_SECRET_KEY = True  # without SECRET_KEY: one kept in instance/secret_key
    SCHEDULER_IN_PROCESS = _bool("SCHEDULER_IN_PROCESS", True)
    WEBHOOK_ALLOW_HTTP_LOOPBACK = _bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # Hashing stays real but cheap so the suite is fast.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    BASE_URL = "http://localhost"
    WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    # Never the development instance/ directory (files have random names, so runs can share this one).
    ATTACHMENT_DIR = str(Path(tempfile.gettempdir()) / "ccb-test-attachments")
    REFUSAL_FLUSH_SECONDS = 0.0  # a test reads the count right after the refusal


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = _bool("FORCE_HTTPS", True)
    # Web workers never wait on SMTP: the scheduler's deliver_emails job sends the outbox every minute.
    MAIL_DELIVER_AFTER_COMMIT = _bool("MAIL_DELIVER_AFTER_COMMIT", False)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/0"
    )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    return CONFIGS.get(os.environ.get("APP_ENV", "development"), DevelopmentConfig)
