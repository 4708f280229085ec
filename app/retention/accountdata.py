"""Deleting the account data whose purpose has ended (Art. 5 (1) e DSGVO), in the daily run.

Cases have their retention periods (app/retention/services.py); this is the rest: what the app
keeps about the people who use it, beyond their accounts. Each kind goes after its period in
the configuration (days; 0 keeps it):

- API tokens (hash, owner, dates) ``API_TOKEN_KEEP_DAYS`` after they expired (revoked ones
  too: a token lives ``API_TOKEN_HOURS``, and its row keeps no revocation date);
- sent and failed mails of the outbox (recipient address, subject, text) ``OUTBOX_KEEP_DAYS``
  after they were written; pending ones stay until they are sent or given up;
- in-app notifications (read or not) ``NOTIFICATION_KEEP_DAYS`` after they were written;
- failed-login rows (the typed name) after ``LOGIN_LOCKOUT_MEMORY_HOURS`` (app/auth/throttle.py);
- ID tokens of OpenID Connect logins after a session's longest lifetime (app/directory/oidc.py).

Not deleted here, on purpose: the accounts themselves (the case history names them; an admin
deactivates them), the access log (evidence of who read social data: append-only, enforced by
the database) and the change records of accounts, second factors and group mappings (evidence of
who was given which access). The record of processing (app/privacy) shows every kind with its
period, how many rows there are and the oldest one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from app import timeutil, transaction
from app.auth.models import ApiToken
from app.auth.throttle import forget_old_failures
from app.directory.models import OidcLogin
from app.extensions import db
from app.notify.models import FAILED, SENT, Notification, OutboxMail

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    tokens: int = 0
    mails: int = 0
    notifications: int = 0
    login_failures: int = 0
    oidc_logins: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def keep_days(name: str) -> int:
    """A period of the configuration in days; 0 (or less): kept."""
    return max(int(current_app.config.get(name) or 0), 0)


def _count(result) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def sweep(now: datetime | None = None) -> SweepResult:
    """Delete, in one unit of work, every row whose period is over at ``now`` (default: now)."""
    now = timeutil.aware(now) if now is not None else timeutil.utcnow()
    result = SweepResult()
    with transaction.unit_of_work():
        if days := keep_days("API_TOKEN_KEEP_DAYS"):
            cutoff = now - timedelta(days=days)
            result.tokens = _count(db.session.execute(
                delete(ApiToken).where(ApiToken.expires_at < cutoff)))
        if days := keep_days("OUTBOX_KEEP_DAYS"):
            cutoff = now - timedelta(days=days)
            result.mails = _count(db.session.execute(
                delete(OutboxMail).where(OutboxMail.status.in_((SENT, FAILED)), OutboxMail.created_at < cutoff)))
        if days := keep_days("NOTIFICATION_KEEP_DAYS"):
            cutoff = now - timedelta(days=days)
            result.notifications = _count(db.session.execute(
                delete(Notification).where(Notification.created_at < cutoff)))
        result.login_failures = forget_old_failures(now)
        result.oidc_logins = _count(db.session.execute(
            delete(OidcLogin).where(OidcLogin.created_at < now - current_app.permanent_session_lifetime)))
    if result.total:
        log.info("account data deleted: %d API token(s), %d mail(s), %d notification(s), "
                 "%d failed-login row(s), %d OpenID Connect login(s)", result.tokens, result.mails,
                 result.notifications, result.login_failures, result.oidc_logins)
    return result
