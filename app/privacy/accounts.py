"""The record of processing's second part: what Fallwerk keeps about the people who use it.

Built like the processes' part from the running system: for each kind of account data what is
stored, why, the legal basis (``_konten.privacy.toml`` in ``PRIVACY_DIR``, key per kind; missing
ones are flagged), the period after which it goes (from the configuration that
app/retention/accountdata.py deletes by) and, so that the data protection officer can see the
periods work, how many rows there are now and the date of the oldest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accesslog.models import AccessLogEntry
from app.auth.models import ApiToken, LoginThrottle, RecoveryCode, SecondFactorEvent, User
from app.auth.throttle import login_methods
from app.directory.models import GroupMappingEvent, OidcLogin
from app.extensions import db
from app.notify.models import Notification, OutboxMail
from app.retention.accountdata import keep_days
from app.useradmin.models import UserAdminEvent

FILE_NAME = "_konten.privacy.toml"


@dataclass
class AccountDataKind:
    key: str
    title: str
    data: str
    purpose: str
    legal_basis: str | None
    period: str
    deleted: bool  # deleted automatically after ``period``
    count: str  # formatted, e.g. "12" or "40 aktiv, 3 deaktiviert"
    oldest: datetime | None = None
    note: str = ""


def _legal_bases(directory) -> dict[str, str]:
    path = directory / FILE_NAME
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # shown as missing, never a 500
        current_app.logger.warning("%s cannot be read: %s", path, exc)
        return {}
    table = raw.get("rechtsgrundlage")
    if not isinstance(table, dict):
        return {}
    return {str(key): str(value).strip() for key, value in table.items() if str(value).strip()}


def _count_and_oldest(column) -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(select(func.count(), func.min(column))).one()
    return int(count or 0), oldest


def _number(value: int) -> str:
    return format_decimal(value)


def _days(name: str, after: str) -> tuple[str, bool]:
    days = keep_days(name)
    if not days:
        return _("keine automatische Löschung (%(setting)s = 0)", setting=name), False
    return _("%(days)s Tage nach %(after)s", days=_number(days), after=after), True


def build_account_record(directory) -> list[AccountDataKind]:
    """Every kind of account data, in the order the page shows them."""
    config = current_app.config
    bases = _legal_bases(directory)
    kinds: list[AccountDataKind] = []

    def add(key: str, title: str, data: str, purpose: str, period: str, deleted: bool, count: str,
            oldest: datetime | None = None, note: str = "") -> None:
        kinds.append(AccountDataKind(key, title, data, purpose, bases.get(key), period, deleted, count, oldest, note))

    active = db.session.scalar(select(func.count()).where(User.active.is_(True))) or 0
    inactive = db.session.scalar(select(func.count()).where(User.active.is_(False))) or 0
    methods = sorted(login_methods())
    add("konten", _("Nutzerkonten (Mitarbeitende und Ehrenamtliche)"),
        _("Benutzername, Name, E-Mail-Adresse, Organisation, Teams und Rollen, Sprache, Herkunft des Kontos "
          "(lokal oder Verzeichnisdienst, mit dessen Kennung), letzte Anmeldung; bei lokalen Konten der "
          "Passwort-Hash"),
        _("Anmeldung, Zuordnung von Aufgaben und Fällen, Berechtigungen"),
        _("solange das Konto besteht; deaktivierte Konten bleiben, weil Fallverläufe und Protokolle sie nennen"),
        False, _("%(active)s aktiv, %(inactive)s deaktiviert", active=_number(active), inactive=_number(inactive)),
        note=_("Anmeldeverfahren: %(methods)s", methods=", ".join(
            {"local": _("lokale Passwörter"), "ldap": "LDAP / Active Directory",
             "oidc": "OpenID Connect"}.get(method, method) for method in methods)))
    enrolled = db.session.scalar(select(func.count()).where(User.totp_secret_sealed.is_not(None))) or 0
    codes = db.session.scalar(select(func.count()).select_from(RecoveryCode)) or 0
    add("zweiter_faktor", _("Zweiter Faktor"),
        _("Geheimer Schlüssel der Authenticator-App (verschlüsselt, der Schlüssel liegt nicht in der Datenbank), "
          "Hashes der Wiederherstellungscodes, Zeitpunkt der Einrichtung"),
        _("Schutz der Anmeldung (Art. 32 DSGVO)"),
        _("bis der zweite Faktor abgeschaltet oder zurückgesetzt wird"), False,
        _("%(users)s Konten, %(codes)s Wiederherstellungscodes", users=_number(enrolled), codes=_number(codes)))
    count, oldest = _count_and_oldest(ApiToken.created_at)
    period, deleted = _days("API_TOKEN_KEEP_DAYS", _("Ablauf"))
    add("api_tokens", _("API-Tokens"), _("Hash des Tokens, Konto, Ausstellung und Ablauf"),
        _("Anmeldung anderer Systeme an der JSON-API"),
        _("gültig %(hours)s Stunden; gelöscht %(period)s", hours=_number(config["API_TOKEN_HOURS"]), period=period)
        if deleted else period, deleted, _number(count), oldest)
    count, oldest = _count_and_oldest(LoginThrottle.last_failure_at)
    add("anmeldesperren", _("Fehlgeschlagene Anmeldungen"),
        _("Eingegebener Benutzername, Zahl der Fehlversuche, Zeitpunkt, Sperre"),
        _("Schutz vor dem Erraten von Passwörtern (Art. 32 DSGVO)"),
        _("%(hours)s Stunden nach dem letzten Fehlversuch", hours=_number(config["LOGIN_LOCKOUT_MEMORY_HOURS"])),
        True, _number(count), oldest)
    if "oidc" in methods:
        count, oldest = _count_and_oldest(OidcLogin.created_at)
        hours = int(current_app.permanent_session_lifetime.total_seconds() // 3600)
        add("oidc", _("Anmeldungen über OpenID Connect"),
            _("ID-Token des Anbieters (Name, E-Mail-Adresse, Gruppen)"),
            _("Abmeldung auch beim Anbieter (id_token_hint)"),
            _("bei der Abmeldung, spätestens nach %(hours)s Stunden", hours=_number(hours)), True,
            _number(count), oldest)
    count, oldest = _count_and_oldest(Notification.created_at)
    period, deleted = _days("NOTIFICATION_KEEP_DAYS", _("Erstellung"))
    add("benachrichtigungen", _("Benachrichtigungen in der Anwendung"),
        _("Empfänger/in, Name des Schritts, Aktenzeichen des Falls, Link, gelesen am"),
        _("Hinweis auf neue, überfällige und Krisenaufgaben"), period, deleted, _number(count), oldest)
    count, oldest = _count_and_oldest(OutboxMail.created_at)
    period, deleted = _days("OUTBOX_KEEP_DAYS", _("Erstellung (versandte und aufgegebene E-Mails)"))
    add("emails", _("E-Mail-Ausgang"),
        _("E-Mail-Adresse, Betreff und Text (ohne Falldaten: nur Schritt, Aktenzeichen, Frist, Link), Versandstatus"),
        _("Benachrichtigung per E-Mail (Krisen, überfällige Aufgaben)"), period, deleted, _number(count), oldest)
    count, oldest = _count_and_oldest(AccessLogEntry.at)
    add("zugriffsprotokoll", _("Zugriffsprotokoll"),
        _("Wer (Konto, Rollen) wann welchen Fall, welche Person, welches Dokument gelesen oder exportiert hat, über "
          "welche Seite oder API"),
        _("Nachweis der Zugriffe auf Sozialdaten (Art. 5 Abs. 2, Art. 32 DSGVO)"),
        _("keine automatische Löschung: das Protokoll ist unveränderlich (von der Datenbank erzwungen)"), False,
        _number(count), oldest)
    counts = [_count_and_oldest(column) for column in
              (UserAdminEvent.at, SecondFactorEvent.at, GroupMappingEvent.at)]
    dates = [oldest for _count, oldest in counts if oldest is not None]
    add("kontenaenderungen", _("Änderungen an Konten und Berechtigungen"),
        _("Wer wann welches Konto angelegt, geändert, deaktiviert, welches Passwort oder welchen zweiten Faktor "
          "zurückgesetzt und welche Gruppenzuordnung geändert hat"),
        _("Nachweis, wer wem welche Berechtigung gegeben hat"),
        _("keine automatische Löschung: Nachweis"), False,
        _number(sum(count for count, _oldest in counts)), min(dates) if dates else None)
    add("anfrageprotokolle", _("Protokollzeilen des Servers"),
        _("Anfrage-ID, Zeitpunkt, Konto-ID, aufgerufene Seite als Muster ohne Kennungen, Antwortstatus, Dauer "
          "(keine Falldaten)"),
        _("Betrieb und Fehlersuche"),
        _("vom Betrieb festgelegt (die Anwendung schreibt sie auf die Standardausgabe)"), False, "–")
    return kinds
