"""Every setting of the application, with its default, read from the environment.

Tests pass an override mapping to ``create_app``; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Marked so that production refuses to start with it (see create_app).
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict | None = None) -> dict:
    env = os.environ
    config = {
        "ENV_NAME": env.get("APP_ENV", "development"),  # development | production | testing
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'app.db'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PROCESSES_DIR": env.get("PROCESSES_DIR", str(BASE_DIR / "processes")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": env.get("APP_TIMEZONE", "Europe/Berlin"),
        "LANGUAGES": ["de", "en"],
        "API_TOKEN_HOURS": int(env.get("API_TOKEN_HOURS", "8")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute"),
        "SCRIPT_TIMEOUT_SECONDS": float(env.get("SCRIPT_TIMEOUT_SECONDS", "1.0")),
        "INBOX_PAGE_SIZE": 50,
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        # E-mail (app/notify). Without SMTP_HOST nothing is sent: mails wait in the outbox,
        # visible to admins at /admin/postausgang.
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_TLS": env.get("SMTP_TLS", "none"),  # none | starttls | ssl
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", "20")),
        "MAIL_FROM": env.get("MAIL_FROM", "Fallwerk <fallwerk@localhost>"),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "10")),
        # Send right after the commit that wrote a mail (background thread); off: only the
        # timer worker's round sends.
        "MAIL_SEND_AFTER_COMMIT": _bool(env.get("MAIL_SEND_AFTER_COMMIT"), True),
        # Base of the links in e-mails (the mail reader is outside the app).
        "APP_BASE_URL": env.get("APP_BASE_URL", "http://127.0.0.1:5000"),
        "NOTIFY_PAGE_SIZE": 50,
        # Expense allowance of volunteers (app/volunteers/expenses.py), in euros as decimal
        # strings: per hour of an assignment and per kilometre travelled. Example values; the
        # municipality sets its own (the same as for its language mediators).
        "EXPENSE_RATE_PER_HOUR": env.get("EXPENSE_RATE_PER_HOUR", "8.00"),
        "EXPENSE_RATE_PER_KM": env.get("EXPENSE_RATE_PER_KM", "0.30"),
        # Modeler (app/modeler): a second process owner must approve each publication; the
        # largest BPMN file accepted (bytes, larger uploads get 413).
        "FOUR_EYES_PUBLISHING": _bool(env.get("FOUR_EYES_PUBLISHING"), False),
        "MODELER_MAX_BPMN_BYTES": int(env.get("MODELER_MAX_BPMN_BYTES", str(2 * 1024 * 1024))),
    }
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    if overrides:
        config.update(overrides)
    return config
