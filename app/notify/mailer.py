"""Send the outbox by SMTP: right after the commit that wrote the mails (in a background
thread with its own app context) and again in every round of the timer worker (retries).

Each mail is taken with a conditional UPDATE that pushes ``next_attempt_at`` a lease into the
future, so two senders (the after-commit thread and a worker, or two workers) never send the
same mail twice; a sender that dies mid-way leaves the mail pending, to be sent after the lease.
Nothing is sent for rolled-back work: only mails of a committed transaction are handed to the
thread, and the sender reads them back from the database.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.notify.models import FAILED, PENDING, SENT, OutboxMail
from app.timeutil import aware, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any SMTP conversation (see SMTP_TIMEOUT)
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
_TRACK = "notify.outbox_ids"  # key in session.info: ids of mails inserted in this transaction

_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()
_listening = False


def smtp_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("SMTP_HOST"))


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 30 s · 2^attempts, at most 1 h."""
    return min(FIRST_DELAY * (2 ** min(attempts, 20)), MAX_DELAY)


def send_outbox(limit: int = 100, *, now: datetime | None = None, ids: Sequence[int] | None = None) -> int:
    """Send pending mails whose next attempt is due at ``now``; returns the number sent.

    ``ids`` restricts the round to those mails (the after-commit sender). Uses its own
    database session and commits per mail, so it never commits the caller's work. Without
    SMTP_HOST nothing is sent: the mails stay pending (see the admin outbox page).
    """
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return 0
    now = now or utcnow()
    sent = 0
    smtp: smtplib.SMTP | None = None
    with Session(db.engine, expire_on_commit=False) as session:
        query = (select(OutboxMail.id)
                 .where(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now)
                 .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit))
        if ids is not None:
            query = query.where(OutboxMail.id.in_(list(ids)))
        candidates = session.scalars(query).all()
        try:
            for mail_id in candidates:
                if not _take(session, mail_id, now):
                    continue  # another sender has it
                mail = session.get(OutboxMail, mail_id)
                if mail is None:  # _take just leased the row, so it exists
                    continue
                mail.attempts += 1
                try:
                    if smtp is None:
                        smtp = _connect(config)
                    smtp.send_message(_message(mail, config))
                except (smtplib.SMTPException, OSError) as exc:
                    _record_failure(mail, exc, now, int(config["MAIL_MAX_ATTEMPTS"]))
                    session.commit()
                    if not _mail_level_error(exc):
                        # the server is unreachable or dropped us: the rest waits for the next round
                        _close(smtp)
                        smtp = None
                        break
                    continue
                mail.status, mail.sent_at, mail.last_error = SENT, utcnow(), None
                session.commit()
                sent += 1
        finally:
            _close(smtp)
    return sent


def wait_for_sending(timeout: float = 10.0) -> bool:
    """Block until every after-commit sender thread has finished (tests, shutdown).
    Returns False when some are still running after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            running = list(_threads)
        if not running:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        for thread in running:
            thread.join(max(deadline - time.monotonic(), 0))


def init_app(app: Flask) -> None:
    """Listen to the commits of ``db.session`` (once per process; the session is shared by all
    apps, the app is taken from the context of each commit)."""
    global _listening
    if _listening:
        return
    event.listen(db.session, "after_flush", _track_new_mails)
    event.listen(db.session, "after_commit", _send_after_commit)
    event.listen(db.session, "after_rollback", _forget_on_rollback)
    event.listen(db.session, "after_transaction_end", _forget_on_end)
    _listening = True


# -- after-commit sending ---------------------------------------------------------------------


def _track_new_mails(session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMail)]
    if ids:
        session.info.setdefault(_TRACK, []).extend(ids)


def _send_after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    ids = session.info.pop(_TRACK, None)
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy, typed as Flask
    if smtp_configured(app) and app.config.get("MAIL_SEND_AFTER_COMMIT", True):
        _start_sender(app, ids)


def _forget_on_rollback(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_TRACK, None)


def _forget_on_end(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TRACK, None)


def _start_sender(app: Flask, ids: list[int]) -> None:
    thread = threading.Thread(target=_sender, args=(app, tuple(ids)), name="outbox-sender", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def _sender(app: Flask, ids: tuple[int, ...]) -> None:
    try:
        with app.app_context():
            send_outbox(len(ids), ids=ids)
    except Exception:  # noqa: BLE001 - the mails stay pending; the worker retries them
        log.exception("sending the outbox after commit failed")
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


# -- SMTP ---------------------------------------------------------------------------------------


def _take(session: Session, mail_id: int, now: datetime) -> bool:
    taken = session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return taken == 1


def _record_failure(mail: OutboxMail, exc: Exception, now: datetime, max_attempts: int) -> None:
    mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if mail.attempts >= max_attempts:
        mail.status = FAILED
        log.error("mail %s to %s given up after %d attempts: %s", mail.id, mail.to_addr,
                  mail.attempts, mail.last_error)
    else:
        mail.next_attempt_at = now + backoff(mail.attempts)
        log.warning("mail %s not sent (attempt %d): %s", mail.id, mail.attempts, mail.last_error)


def _mail_level_error(exc: Exception) -> bool:
    """The server answered but refused this one mail; the connection is still usable."""
    return isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                            smtplib.SMTPDataError, smtplib.SMTPNotSupportedError))


def _connect(config) -> smtplib.SMTP:
    host, port, tls = config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_TLS"]
    timeout = float(config["SMTP_TIMEOUT"])
    if tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return None
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
    return None


def _message(mail: OutboxMail, config) -> EmailMessage:
    sender = config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    created = aware(mail.created_at) or utcnow()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(created)
    # Stable per outbox row: a mail re-sent after a crash is recognisable as the same one.
    message["Message-ID"] = f"<outbox.{mail.id}.{int(created.timestamp())}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message
