"""Configuration from environment variables, with safe defaults for a newcomer."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}
PRIVACY_NOTICE_VERSION = "2026-11"


class ConfigurationError(RuntimeError):
    """The configuration cannot be used safely."""


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in TRUE_WORDS


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _development_secret(instance_path: Path) -> str:
    """Return a secret key generated once and kept in the instance folder."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the configuration mapping from the environment."""
    environment = os.environ.get("COLLEGE_ENV", "development").strip().lower()
    production = environment == "production"
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigurationError("SECRET_KEY must be set when COLLEGE_ENV=production.")
        secret = _development_secret(instance_path)

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'college.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    mail_sender = os.environ.get("MAIL_DEFAULT_SENDER", "college@recovery-college.example")
    return {
        "COLLEGE_ENV": environment,
        "PRODUCTION": production,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No ping before each use: a restarted database is noticed by the first statement,
        # and the request tries again (``college.transactions``).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        "COLLEGE_NAME": os.environ.get("COLLEGE_NAME", "Recovery College"),
        "COLLEGE_TIMEZONE": os.environ.get("COLLEGE_TIMEZONE", "Europe/Copenhagen"),
        "COLLEGE_DOMAIN": os.environ.get("COLLEGE_DOMAIN", "recovery-college.example"),
        "COLLEGE_BASE_URL": os.environ.get("COLLEGE_BASE_URL", "http://127.0.0.1:5000"),
        "COLLEGE_DEFAULT_LANGUAGE": os.environ.get("COLLEGE_DEFAULT_LANGUAGE", "da"),
        # Whom to contact, shown in the footer, in every mail and on every error page.
        "COLLEGE_CONTACT_EMAIL": os.environ.get(
            "COLLEGE_CONTACT_EMAIL", "kontakt@recovery-college.example"
        ),
        "COLLEGE_CONTACT_PHONE": os.environ.get("COLLEGE_CONTACT_PHONE", "+45 70 20 30 40"),
        "COLLEGE_CONTACT_ADDRESS": os.environ.get(
            "COLLEGE_CONTACT_ADDRESS", "Skolegade 12, 8000 Aarhus C"
        ),
        # Empty: "Monday to Thursday, 9:00 to 15:00" in the reader's language.
        "COLLEGE_CONTACT_HOURS": os.environ.get("COLLEGE_CONTACT_HOURS", ""),
        "LANGUAGES": ("en", "da"),
        # The language the courses are taught in, and their titles and descriptions written in.
        "COLLEGE_TEACHING_LANGUAGE": os.environ.get("COLLEGE_TEACHING_LANGUAGE", "da"),
        "PRIVACY_NOTICE_VERSION": os.environ.get("PRIVACY_NOTICE_VERSION", PRIVACY_NOTICE_VERSION),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "files"),
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR", str(instance_path / "mail")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": mail_sender,
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 10),
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_BASE_SECONDS": _env_int("MAIL_RETRY_BASE_SECONDS", 60),
        # A form larger than this gets a 413 response; the largest the college has is far smaller.
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 1024 * 1024),
        # The college's mailbox, read for the replies calendar apps send (off without a host).
        "INBOX_HOST": os.environ.get("INBOX_HOST", ""),
        "INBOX_PORT": _env_int("INBOX_PORT", 0),  # 0: 993 with SSL, else 143
        "INBOX_USERNAME": os.environ.get("INBOX_USERNAME", ""),
        "INBOX_PASSWORD": os.environ.get("INBOX_PASSWORD", ""),
        "INBOX_SSL": _env_bool("INBOX_SSL", True),
        "INBOX_STARTTLS": _env_bool("INBOX_STARTTLS", False),
        "INBOX_FOLDER": os.environ.get("INBOX_FOLDER", "INBOX"),
        "INBOX_DONE_FOLDER": os.environ.get("INBOX_DONE_FOLDER", "Processed"),
        "INBOX_TIMEOUT": _env_int("INBOX_TIMEOUT", 30),
        "LOGIN_MAX_FAILURES": _env_int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _env_int("LOGIN_LOCK_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 20),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 100),
        "RESET_MAX_PER_ADDRESS": _env_int("RESET_MAX_PER_ADDRESS", 10),
        "RESET_MAX_PER_ACCOUNT": _env_int("RESET_MAX_PER_ACCOUNT", 3),
        "SIGNUP_MAX_PER_ADDRESS": _env_int("SIGNUP_MAX_PER_ADDRESS", 30),
        "PASSWORD_RESET_HOURS": _env_int("PASSWORD_RESET_HOURS", 1),
        "SESSION_LIFETIME_DAYS": _env_int("SESSION_LIFETIME_DAYS", 14),
        "SESSION_COOKIE_HTTPONLY": True,
        # A sign-in lasts SESSION_LIFETIME_DAYS from when it was made (the server-side
        # session ends then too), so re-signing the cookie on every request buys nothing.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "ALLOW_DEMO_LOGINS": not production,
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("ARGON2_MEMORY_COST", 65536),
        # How many reverse proxies stand in front of the app and set X-Forwarded-For. None
        # is trusted unless configured: a client could otherwise choose its own address and
        # slip past every throttle.
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "RETENTION_MONTHS_AFTER_TERM": _env_int("RETENTION_MONTHS_AFTER_TERM", 12),
        "RETENTION_INACTIVE_YEARS": _env_int("RETENTION_INACTIVE_YEARS", 3),
        "RETENTION_MAIL_DAYS": _env_int("RETENTION_MAIL_DAYS", 90),
        "INTEREST_KEPT_DAYS": _env_int("INTEREST_KEPT_DAYS", 365),
        "COMPLETION_SHARE": _env_float("COMPLETION_SHARE", 0.75),
        "PEERS_COVER_ALERT_HOURS": _env_int("PEERS_COVER_ALERT_HOURS", 72),
        "PEERS_COVER_ESCALATION_HOURS": _env_int("PEERS_COVER_ESCALATION_HOURS", 24),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "PAGE_CACHE_SECONDS": _env_float("PAGE_CACHE_SECONDS", 60),
        "PAGE_CACHE_VERSION_SECONDS": _env_float("PAGE_CACHE_VERSION_SECONDS", 5),
        # Flask-Caching: one store per process by default; any of its backends will do.
        "CACHE_TYPE": os.environ.get("CACHE_TYPE", "SimpleCache"),
        "CACHE_THRESHOLD": _env_int("CACHE_THRESHOLD", 2000),
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL"),
        # The mail worker checks calendars only after a write (see ``courses.invites``).
        "CALENDAR_CHECK_ONLY_AFTER_WRITES": _env_bool("CALENDAR_CHECK_ONLY_AFTER_WRITES", True),
        "COLLEGE_PACKAGES": ("courses", "peers"),
    }
