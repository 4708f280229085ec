"""Account data have a lifecycle too: the daily run deletes expired API tokens, old mails and
notifications, forgotten failed logins and OpenID Connect logins after their periods, and keeps
what is still needed; the record of processing shows each kind with its period and what is there."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import ApiToken, LoginThrottle
from app.directory.models import OidcLogin
from app.extensions import db
from app.notify.models import FAILED, PENDING, SENT, Notification, OutboxMail
from app.retention import accountdata, services
from tests.factories import user

# The periods are measured back from the real present, so that rows the base data writes "now"
# are never past theirs and the counts below are exactly the rows these tests wrote.
NOW = datetime.now(UTC).replace(microsecond=0)
URL = "/datenschutz/verarbeitungsverzeichnis"


def _token(user_id: int, expires_at: datetime, revoked: bool = False) -> tuple[int, str]:
    raw = secrets.token_urlsafe(24)
    row = ApiToken(user_id=user_id, token_hash=ApiToken.hash(raw), created_at=expires_at - timedelta(hours=8),
                   expires_at=expires_at, revoked=revoked)
    db.session.add(row)
    db.session.flush()
    return row.id, raw


def _mail(status: str, created_at: datetime) -> int:
    row = OutboxMail(to_addr="person@example.org", subject="[Fallwerk] Krise", body="Link", status=status,
                     created_at=created_at, sent_at=created_at if status == SENT else None)
    db.session.add(row)
    db.session.flush()
    return row.id


def _notification(user_id: int, created_at: datetime, read: bool) -> int:
    row = Notification(user_id=user_id, kind="task", title="Neue Aufgabe: Bedarfsermittlung (AB-1)",
                       link="/aufgaben/1", created_at=created_at, read_at=created_at if read else None)
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture
def rows(app):
    """Rows of every kind on both sides of their periods (defaults: tokens and mails 30 days,
    notifications 180 days, failed logins 24 hours, OpenID Connect logins 8 hours)."""
    with app.app_context():
        uid = user("fb36").id
        ids = {
            "token_old": _token(uid, NOW - timedelta(days=31))[0],
            "token_old_revoked": _token(uid, NOW - timedelta(days=30, hours=1), revoked=True)[0],
            "token_recent": _token(uid, NOW - timedelta(days=29))[0],
            "mail_sent_old": _mail(SENT, NOW - timedelta(days=31)),
            "mail_failed_old": _mail(FAILED, NOW - timedelta(days=31)),
            "mail_pending_old": _mail(PENDING, NOW - timedelta(days=31)),
            "mail_sent_recent": _mail(SENT, NOW - timedelta(days=2)),
            "note_read_old": _notification(uid, NOW - timedelta(days=181), read=True),
            "note_unread_old": _notification(uid, NOW - timedelta(days=181), read=False),
            "note_recent": _notification(uid, NOW - timedelta(days=179), read=False),
        }
        db.session.add_all([
            LoginThrottle(username="fb63", failures=2, last_failure_at=NOW - timedelta(hours=25)),
            LoginThrottle(username="fb36x", failures=1, last_failure_at=NOW - timedelta(hours=2)),
            OidcLogin(key="old", user_id=uid, id_token="eyJ.old", created_at=NOW - timedelta(hours=9)),
            OidcLogin(key="new", user_id=uid, id_token="eyJ.new", created_at=NOW - timedelta(hours=1)),
        ])
        db.session.commit()
        return ids


def _present(model, ids) -> set[int]:
    return set(db.session.scalars(select(model.id).where(model.id.in_(ids))))


def test_the_sweep_deletes_each_kind_after_its_period_and_keeps_the_rest(app, rows):
    with app.app_context():
        result = accountdata.sweep(NOW)
        assert (result.tokens, result.mails, result.notifications) == (2, 2, 2)
        assert _present(ApiToken, [rows["token_old"], rows["token_old_revoked"], rows["token_recent"]]) == {
            rows["token_recent"]}
        assert _present(OutboxMail, [rows[k] for k in ("mail_sent_old", "mail_failed_old", "mail_pending_old",
                                                       "mail_sent_recent")]) == {
            rows["mail_pending_old"], rows["mail_sent_recent"]}  # a pending mail is still to be sent
        assert _present(Notification, [rows["note_read_old"], rows["note_unread_old"], rows["note_recent"]]) == {
            rows["note_recent"]}
        assert set(db.session.scalars(select(LoginThrottle.username))) == {"fb36x"}
        assert set(db.session.scalars(select(OidcLogin.key))) == {"new"}
        # a second run finds nothing more
        assert accountdata.sweep(NOW).total == 0


def test_the_periods_follow_the_configuration(app, rows):
    app.config.update(API_TOKEN_KEEP_DAYS=0, OUTBOX_KEEP_DAYS=1, NOTIFICATION_KEEP_DAYS=0)
    with app.app_context():
        result = accountdata.sweep(NOW)
        assert (result.tokens, result.mails, result.notifications) == (0, 3, 0)  # 0: kept
        assert _present(ApiToken, [rows["token_old"]]) == {rows["token_old"]}
        assert _present(OutboxMail, [rows["mail_sent_recent"], rows["mail_pending_old"]]) == {
            rows["mail_pending_old"]}
        assert _present(Notification, [rows["note_read_old"]]) == {rows["note_read_old"]}


def test_the_retention_run_deletes_them_and_says_how_many(app, rows):
    output = app.test_cli_runner().invoke(args=["retention", "run", "--now", NOW.isoformat()]).output
    assert "account data rows deleted: 8" in output  # 2 tokens, 2 mails, 2 notifications, 1 + 1 logins
    with app.app_context():
        assert _present(ApiToken, [rows["token_old"]]) == set()


def test_the_workers_daily_run_deletes_them_once_a_day(app, rows):
    run = services.DailyRun()
    with app.app_context():
        assert run(NOW) is not None
        assert _present(Notification, [rows["note_read_old"], rows["note_recent"]]) == {rows["note_recent"]}
        assert run(NOW) is None  # this worker: once a day
        assert services.DailyRun()(NOW) is None  # another worker on the same office day: not again


def test_a_token_still_valid_keeps_working_after_the_sweep(app):
    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"username": "fb36", "password": "demo"})
    token = response.get_json()["token"]
    with app.app_context():
        accountdata.sweep()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# --- the record of processing ------------------------------------------------------------------

def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(html: str, kind: str) -> str:
    return html.split(f'data-kind="{kind}"')[1].split("</tr>")[0]


def test_the_record_lists_the_account_data_with_periods_and_what_is_there(app, login_as, rows):
    html = login_as("dsb").get(URL).get_data(as_text=True)
    section = html.split('id="nutzerkonten"')[1].split("</section>")[0]
    assert "<caption>" in section and 'scope="col"' in section
    for kind in ("konten", "zweiter_faktor", "api_tokens", "anmeldesperren", "benachrichtigungen", "emails",
                 "zugriffsprotokoll", "kontenaenderungen", "anfrageprotokolle"):
        assert f'data-kind="{kind}"' in section
    assert 'data-kind="oidc"' not in section  # not a login method here
    assert "data-missing" not in section  # every legal basis is in processes/_konten.privacy.toml
    with app.app_context():
        tokens = db.session.scalar(select(func.count()).select_from(ApiToken))
        users = db.session.scalar(select(func.count()).select_from(user("fb36").__class__))
    assert f'data-count="{tokens}"' in _row(section, "api_tokens")
    assert "ältester Eintrag" in _text(_row(section, "api_tokens"))
    assert "30 Tage nach Ablauf" in _text(_row(section, "api_tokens"))
    assert "180 Tage nach Erstellung" in _text(_row(section, "benachrichtigungen"))
    assert "24 Stunden nach dem letzten Fehlversuch" in _text(_row(section, "anmeldesperren"))
    assert 'data-deleted="nein"' in _row(section, "zugriffsprotokoll")
    active_and_inactive = re.search(r"(\d+) aktiv, (\d+) deaktiviert", _text(_row(section, "konten")))
    assert active_and_inactive and sum(map(int, active_and_inactive.groups())) == users
    assert "Art. 32 DSGVO" in _text(_row(section, "anmeldesperren"))


def test_the_record_follows_the_configuration_and_flags_a_missing_legal_basis(app, login_as, tmp_path):
    (tmp_path / "_konten.privacy.toml").write_text('[rechtsgrundlage]\nkonten = "Testgrundlage"\n', encoding="utf-8")
    app.config.update(PRIVACY_DIR=str(tmp_path), API_TOKEN_KEEP_DAYS=0, NOTIFICATION_KEEP_DAYS=7,
                      LOGIN_METHODS="local,oidc")
    try:
        html = login_as("dsb").get(URL).get_data(as_text=True)
    finally:
        app.config.pop("PRIVACY_DIR")
    section = html.split('id="nutzerkonten"')[1].split("</section>")[0]
    assert "keine automatische Löschung (API_TOKEN_KEEP_DAYS = 0)" in _text(_row(section, "api_tokens"))
    assert 'data-deleted="nein"' in _row(section, "api_tokens")
    assert "7 Tage nach Erstellung" in _text(_row(section, "benachrichtigungen"))
    assert 'data-kind="oidc"' in section
    assert "Anmeldeverfahren: lokale Passwörter, OpenID Connect" in _text(_row(section, "konten"))
    assert "Testgrundlage" in _text(_row(section, "konten"))
    missing = re.search(r'data-missing="([^"]+)"', section)
    assert missing and "konten" not in missing.group(1).split(",") and "api_tokens" in missing.group(1).split(",")
    assert "nicht angegeben" in _text(_row(section, "emails"))


def test_a_broken_legal_basis_file_flags_every_kind_and_the_page_still_answers(app, login_as, tmp_path):
    (tmp_path / "_konten.privacy.toml").write_text('[rechtsgrundlage\nkonten = "', encoding="utf-8")
    app.config["PRIVACY_DIR"] = str(tmp_path)
    try:
        response = login_as("dsb").get(URL)
    finally:
        app.config.pop("PRIVACY_DIR")
    assert response.status_code == 200
    section = response.get_data(as_text=True).split('id="nutzerkonten"')[1].split("</section>")[0]
    missing = re.search(r'data-missing="([^"]+)"', section)
    assert missing and {"konten", "api_tokens", "zugriffsprotokoll"} <= set(missing.group(1).split(","))


def test_a_failing_sweep_leaves_the_run_recorded_and_is_logged(app, monkeypatch, caplog):
    def broken(_now=None):
        raise RuntimeError("database gone")

    monkeypatch.setattr(accountdata, "sweep", broken)
    caplog.set_level(logging.ERROR, logger="app.retention.services")  # as tests/retention/test_run.py
    with app.app_context():
        result = services.run(NOW, via="cli")
        assert result.account_rows == 0
        record = services.last_run()
        assert record is not None and record.finished_at is not None
    assert "deleting old account data failed" in caplog.text
