"""Every setting of the application, with its default, read from the environment.

Tests pass an override mapping to ``create_app``; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Keys that were published with the code (README, earlier versions). Refused in every mode; without
# SECRET_KEY the app generates its own key per installation (app/auth/secret.py).
PUBLISHED_SECRET_KEYS = frozenset({"dev-only-insecure-secret-key-change-me",
                                   "change-me-to-48-random-characters-python-secrets-token-urlsafe"})


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict | None = None) -> dict:
    env = os.environ
    config = {
        "ENV_NAME": env.get("APP_ENV", "development"),  # development | production | testing
        # Empty: a random key generated once and kept in INSTANCE_DIR/secret_key (mode 0600).
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        # Seals the second factor's seeds at rest (app/auth/secretbox.py); comma-separated for a
        # rotation (the first seals). Empty: derived from SECRET_KEY.
        "SECRET_ENCRYPTION_KEY": env.get("SECRET_ENCRYPTION_KEY", ""),
        "INSTANCE_DIR": env.get("INSTANCE_DIR", str(BASE_DIR / "instance")),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'app.db'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PROCESSES_DIR": env.get("PROCESSES_DIR", str(BASE_DIR / "processes")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies: on by default in production, where switching them off is refused.
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": env.get("APP_TIMEZONE", "Europe/Berlin"),
        "LANGUAGES": ["de", "en"],
        "API_TOKEN_HOURS": int(env.get("API_TOKEN_HOURS", "8")),
        # Account data (app/retention/accountdata.py, in the daily run): expired API tokens, sent
        # or failed mails and notifications are deleted after this many days (0: kept).
        "API_TOKEN_KEEP_DAYS": int(env.get("API_TOKEN_KEEP_DAYS", "30")),
        "OUTBOX_KEEP_DAYS": int(env.get("OUTBOX_KEEP_DAYS", "30")),
        "NOTIFICATION_KEEP_DAYS": int(env.get("NOTIFICATION_KEEP_DAYS", "180")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute"),  # per client IP
        "RATELIMIT_LOGIN_ACCOUNT": env.get("RATELIMIT_LOGIN_ACCOUNT", "30 per hour"),  # per user name
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (ProxyFix);
        # 0: none, the client address is the TCP peer.
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS", "0")),
        # Sessions (app/auth/sessions.py): end after this much inactivity; at the latest after
        # PERMANENT_SESSION_LIFETIME from the login.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "60")),
        # Per-account login protection (app/auth/throttle.py): the first LOGIN_FREE_FAILURES
        # failures cost nothing, then each waits LOGIN_DELAY_SECONDS, doubling; after
        # LOGIN_MAX_FAILURES the account is locked for LOGIN_LOCKOUT_MINUTES, doubling with each
        # lockout up to LOGIN_LOCKOUT_MAX_MINUTES. Failures older than LOGIN_FAILURE_WINDOW_MINUTES
        # are forgotten, lockouts after LOGIN_LOCKOUT_MEMORY_HOURS.
        "LOGIN_FREE_FAILURES": int(env.get("LOGIN_FREE_FAILURES", "2")),
        "LOGIN_DELAY_SECONDS": int(env.get("LOGIN_DELAY_SECONDS", "2")),
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
        "LOGIN_LOCKOUT_MAX_MINUTES": int(env.get("LOGIN_LOCKOUT_MAX_MINUTES", "1440")),
        "LOGIN_FAILURE_WINDOW_MINUTES": int(env.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")),
        "LOGIN_LOCKOUT_MEMORY_HOURS": int(env.get("LOGIN_LOCKOUT_MEMORY_HOURS", "24")),
        # Second factor (TOTP, app/auth/twofactor.py): true: every account with a role that sees
        # social data (all but process owners) must enrol before it can do anything else.
        "REQUIRE_2FA": _bool(env.get("REQUIRE_2FA"), False),
        # Password policy for every password set in the app (app/auth/passwords.py).
        "PASSWORD_MIN_LENGTH": int(env.get("PASSWORD_MIN_LENGTH", "12")),
        "SCRIPT_TIMEOUT_SECONDS": float(env.get("SCRIPT_TIMEOUT_SECONDS", "1.0")),
        # All evaluations of one step together (a loop of scripts each under the time limit).
        "SCRIPT_TOTAL_SECONDS": float(env.get("SCRIPT_TOTAL_SECONDS", "5.0")),
        # Process owners' code runs in separate sandbox processes (app/engine/isolation.py):
        # address space per process on top of its idle size, seconds after the script's own
        # time budget before the process is killed, processes at once / kept idle per worker.
        "SANDBOX_MEMORY_MB": int(env.get("SANDBOX_MEMORY_MB", "256")),
        "SANDBOX_KILL_GRACE_SECONDS": float(env.get("SANDBOX_KILL_GRACE_SECONDS", "0.5")),
        "SANDBOX_MAX_PROCESSES": int(env.get("SANDBOX_MAX_PROCESSES", "8")),
        "SANDBOX_IDLE_PROCESSES": int(env.get("SANDBOX_IDLE_PROCESSES", "2")),
        # Task data a script may leave behind, and the stored state of one case (bytes).
        "CASE_DATA_MAX_BYTES": int(env.get("CASE_DATA_MAX_BYTES", str(2**20))),
        "CASE_STATE_MAX_BYTES": int(env.get("CASE_STATE_MAX_BYTES", str(4 * 2**20))),
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
        # Appointments (app/appointments): the in-app reminder this many hours before the start.
        "APPOINTMENT_REMINDER_HOURS": float(env.get("APPOINTMENT_REMINDER_HOURS", "24")),
        # Expense allowance of volunteers (app/volunteers/expenses.py), in euros as decimal
        # strings: per hour of an assignment and per kilometre travelled. Example values; the
        # municipality sets its own (the same as for its language mediators).
        "EXPENSE_RATE_PER_HOUR": env.get("EXPENSE_RATE_PER_HOUR", "8.00"),
        "EXPENSE_RATE_PER_KM": env.get("EXPENSE_RATE_PER_KM", "0.30"),
        # Modeler (app/modeler): a second process owner must approve each publication; the
        # largest BPMN file accepted (bytes, larger uploads get 413).
        "FOUR_EYES_PUBLISHING": _bool(env.get("FOUR_EYES_PUBLISHING"), False),
        "MODELER_MAX_BPMN_BYTES": int(env.get("MODELER_MAX_BPMN_BYTES", str(2 * 1024 * 1024))),
        # Bounded input (app/bounds.py): the largest request body (bytes; larger, also chunked
        # ones, get 413 while being read), the largest JSON body (every API request except
        # multipart uploads) and the deepest nesting of a JSON body (deeper: 400).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "MAX_JSON_BYTES": int(env.get("MAX_JSON_BYTES", str(1024 * 1024))),
        "MAX_JSON_DEPTH": int(env.get("MAX_JSON_DEPTH", "32")),
        # Documents (app/documents): where the files live (empty: INSTANCE_DIR/documents) and the
        # largest file accepted (bytes; larger ones are refused with a German message, API 413).
        "DOCUMENT_STORAGE_DIR": env.get("DOCUMENT_STORAGE_DIR", ""),
        "DOCUMENT_MAX_BYTES": int(env.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        # Backups (app/backup): the folder of pg_dump/pg_restore when not the ones on PATH, e.g.
        # /usr/lib/postgresql/16/bin (they must be at least the server's major version).
        "PG_BIN_DIR": env.get("PG_BIN_DIR", ""),
        # --- Login with OpenID Connect (app/directory/oidc.py), when LOGIN_METHODS names "oidc".
        # The provider's issuer URL (discovery at OIDC_ISSUER/.well-known/openid-configuration), the
        # client registered there (no secret: a public client, PKCE only), the scopes asked for, the
        # claims holding the groups (a dotted path reaches nested claims, e.g. realm_access.roles)
        # and the user name, the button text on the login page, the callback URL registered at the
        # provider (empty: derived from the request, <base>/login/oidc/callback) and how long a
        # call to the provider may take.
        "OIDC_ISSUER": env.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": env.get("OIDC_SCOPES", "openid profile email"),
        "OIDC_GROUPS_CLAIM": env.get("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_USERNAME_CLAIM": env.get("OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_BUTTON_LABEL": env.get("OIDC_BUTTON_LABEL", ""),
        "OIDC_REDIRECT_URI": env.get("OIDC_REDIRECT_URI", ""),
        # Logout also ends the provider's session (its end_session_endpoint, when it names one);
        # where the provider sends the browser back (empty: our login page, derived)
        "OIDC_LOGOUT_AT_PROVIDER": _bool(env.get("OIDC_LOGOUT_AT_PROVIDER"), True),
        "OIDC_POST_LOGOUT_REDIRECT_URI": env.get("OIDC_POST_LOGOUT_REDIRECT_URI", ""),
        "OIDC_TIMEOUT_SECONDS": float(env.get("OIDC_TIMEOUT_SECONDS", "10")),
        # Operations (app/ops, README "Running in production"). Logs: json (one JSON object per
        # line) or text; the level of the root logger.
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "SPIFF_LOG_LEVEL": env.get("SPIFF_LOG_LEVEL", "WARNING"),  # the engine's per-step INFO lines
        # /readyz fails when the timer worker's last heartbeat is older than this (0: not checked).
        "WORKER_HEARTBEAT_STALE_SECONDS": int(env.get("WORKER_HEARTBEAT_STALE_SECONDS", "120")),
        # /metrics answers only these client addresses/networks (comma-separated) or a request
        # with "Authorization: Bearer <METRICS_TOKEN>"; everyone else gets 404.
        "METRICS_ALLOWED_IPS": [part.strip() for part in env.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
                                if part.strip()],
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # The timer worker's own metrics endpoint on 127.0.0.1 (0: none).
        "TIMER_METRICS_PORT": int(env.get("TIMER_METRICS_PORT", "0")),
        # --- directory login (app/directory/ldap.py; README "Directory login") ---
        # Login methods, comma-separated: local, ldap, oidc. Without "local", local passwords are
        # refused, except for local admins while LOCAL_ADMIN_BREAK_GLASS is on.
        "LOGIN_METHODS": env.get("LOGIN_METHODS", "local"),
        "LOCAL_ADMIN_BREAK_GLASS": _bool(env.get("LOCAL_ADMIN_BREAK_GLASS"), True),
        "LDAP_URL": env.get("LDAP_URL", ""),  # ldap://host:389 or ldaps://host:636
        "LDAP_START_TLS": _bool(env.get("LDAP_START_TLS"), False),  # StartTLS on an ldap:// URL
        "LDAP_CA_FILE": env.get("LDAP_CA_FILE", ""),  # CA bundle for ldaps/StartTLS (empty: system)
        "LDAP_BIND_DN": env.get("LDAP_BIND_DN", ""),  # service account that searches users
        "LDAP_BIND_PASSWORD": env.get("LDAP_BIND_PASSWORD", ""),
        "LDAP_USER_BASE": env.get("LDAP_USER_BASE", ""),
        "LDAP_USER_FILTER": env.get("LDAP_USER_FILTER", "(uid={username})"),  # AD: (sAMAccountName={username})
        "LDAP_USERNAME_ATTRIBUTE": env.get("LDAP_USERNAME_ATTRIBUTE", "uid"),  # AD: sAMAccountName
        "LDAP_DISPLAY_NAME_ATTRIBUTE": env.get("LDAP_DISPLAY_NAME_ATTRIBUTE", "displayName"),
        "LDAP_MAIL_ATTRIBUTE": env.get("LDAP_MAIL_ATTRIBUTE", "mail"),
        # The entry's stable id, kept when the person moves to another OU (new DN): OpenLDAP
        # entryUUID, AD objectGUID; empty = keyed by DN (app/directory/ldap.py)
        "LDAP_ID_ATTRIBUTE": env.get("LDAP_ID_ATTRIBUTE", "entryUUID"),
        # Groups: either the user's memberOf-like attribute (AD: memberOf) or a search below
        # LDAP_GROUP_BASE with LDAP_GROUP_FILTER ({dn}: the user's DN, escaped).
        "LDAP_GROUP_MEMBER_ATTRIBUTE": env.get("LDAP_GROUP_MEMBER_ATTRIBUTE", ""),
        "LDAP_GROUP_BASE": env.get("LDAP_GROUP_BASE", ""),
        "LDAP_GROUP_FILTER": env.get("LDAP_GROUP_FILTER", "(member={dn})"),
        "LDAP_TIMEOUT": float(env.get("LDAP_TIMEOUT", "5")),  # seconds, connect and each answer
    }
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if isinstance(uri, str) and uri.startswith("postgres://"):
        config["SQLALCHEMY_DATABASE_URI"] = uri.replace("postgres://", "postgresql+psycopg://", 1)
    if overrides:
        config.update(overrides)
    if config["ENV_NAME"] == "production" and env.get("SESSION_COOKIE_SECURE") is None:
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):  # default on; off is refused
            if key not in (overrides or {}):
                config[key] = True
    return config


class ProductionConfigError(RuntimeError):
    """``APP_ENV=production`` with settings that are unsafe; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("APP_ENV=production refuses to start; fix these settings:\n"
                         + "\n".join(f"  - {problem}" for problem in problems))


def production_problems(config: dict) -> tuple[list[str], list[str]]:
    """(problems that stop the start, warnings) of a production configuration."""
    problems: list[str] = []
    warnings: list[str] = []
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not uri or uri.startswith("sqlite"):
        problems.append("DATABASE_URL: SQLite is not for production; use PostgreSQL "
                        "(postgresql+psycopg://user:password@host/db)")
    key = config.get("SECRET_KEY") or ""
    if not key:
        problems.append("SECRET_KEY: not set; in production set it explicitly (at least 32 random characters, "
                        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'), the same for all "
                        "web workers and the timer worker")
    elif key in PUBLISHED_SECRET_KEYS:
        problems.append("SECRET_KEY: a published example key; generate your own")
    elif len(key) < 32:
        problems.append("SECRET_KEY: shorter than 32 characters")
    if not config.get("SESSION_COOKIE_SECURE") or not config.get("REMEMBER_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE: must be true (cookies only over HTTPS)")
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        problems.append("SESSION_COOKIE_HTTPONLY: must be true")
    base = str(config.get("APP_BASE_URL") or "")
    if not base.startswith("https://"):
        problems.append(f"APP_BASE_URL: must be the public https:// address (is {base!r})")
    if config.get("LOG_FORMAT") not in ("json", "text"):
        problems.append(f"LOG_FORMAT: json or text (is {config.get('LOG_FORMAT')!r})")
    if not config.get("SMTP_HOST"):
        warnings.append("SMTP_HOST is not set: no e-mail is sent, mails wait in the outbox (/admin/postausgang)")
    if not config.get("SECRET_ENCRYPTION_KEY"):
        warnings.append("SECRET_ENCRYPTION_KEY is not set: the second factor's seeds are sealed under a key "
                        "derived from SECRET_KEY, so changing SECRET_KEY would lock out every second factor; "
                        "set SECRET_ENCRYPTION_KEY (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if not config.get("TRUSTED_PROXY_HOPS"):
        warnings.append("TRUSTED_PROXY_HOPS is 0: behind a reverse proxy every client has the proxy's address "
                        "(rate limits, access log, /metrics allow-list); set it to the number of proxies")
    return problems, warnings
