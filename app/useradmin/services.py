"""Creating and changing accounts as an admin; every change is recorded (``UserAdminEvent``).

Services only flush. A refusal raises ``Refused`` (German message, the form field it belongs to)
before anything is changed. Losing a role or a team ends the user's sessions at once
(``sessions.end_all_sessions``): pages they have open must not keep showing what they may no
longer see. Passwords are never recorded.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth import sessions, throttle
from app.auth.models import (
    LEAD,
    MEMBER,
    ROLE_ADMIN,
    ROLE_DATENSCHUTZ,
    ROLE_EHRENAMT,
    ROLE_FACHKRAFT,
    ROLE_KOORDINATION,
    ROLE_LEITUNG,
    ROLE_MBE,
    ROLE_PARTNER,
    ROLE_PROZESS,
    ROLES,
    Membership,
    Organisation,
    Team,
    User,
)
from app.extensions import db
from app.useradmin import models as m
from app.useradmin.models import UserAdminEvent

LOCAL = "local"
SOURCE_LABELS = {"local": _l("lokal"), "ldap": _l("LDAP"), "oidc": _l("OIDC")}
ROLE_LABELS = {
    ROLE_FACHKRAFT: _l("Fachkraft"), ROLE_KOORDINATION: _l("Koordination"), ROLE_EHRENAMT: _l("Ehrenamt"),
    ROLE_MBE: _l("Migrationsberatung"), ROLE_LEITUNG: _l("Leitung"), ROLE_PROZESS: _l("Prozessverantwortung"),
    ROLE_ADMIN: _l("Administration"), ROLE_DATENSCHUTZ: _l("Datenschutz"), ROLE_PARTNER: _l("Partnerorganisation"),
}
KIND_LABELS = {MEMBER: _l("Mitglied"), LEAD: _l("Leitung")}
# Letters, digits, dot, underscore, hyphen; starts with a letter or digit; 2-80 characters.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,79}$")
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from paper


class Refused(Exception):
    """The change is not allowed; ``message`` (German) belongs next to form field ``field``."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class AccountData:
    username: str
    display_name: str
    email: str | None
    organisation_id: int | None
    roles: set[str] = field(default_factory=set)
    teams: dict[int, str] = field(default_factory=dict)  # team id -> member | lead


def is_directory_account(user: User) -> bool:
    return (user.auth_source or LOCAL) != LOCAL


def record(user: User, actor: User | None, kind: str, details: dict[str, Any] | None = None) -> UserAdminEvent:
    event = UserAdminEvent(user_id=user.id, actor_id=actor.id if actor else None, kind=kind, details=details or {})
    db.session.add(event)
    return event


def events_for(user: User, limit: int = 200) -> list[UserAdminEvent]:
    return list(db.session.scalars(select(UserAdminEvent).where(UserAdminEvent.user_id == user.id)
                                   .order_by(UserAdminEvent.at.desc(), UserAdminEvent.id.desc()).limit(limit)))


def generate_password() -> str:
    """A one-time password of 20 characters (about 98 bits), in groups of four for reading."""
    raw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(20))
    return "-".join(raw[i:i + 4] for i in range(0, 20, 4))


def username_problem(username: str, except_id: int | None = None) -> str | None:
    if not USERNAME_PATTERN.match(username):
        return _("Der Benutzername darf nur Buchstaben (ohne Umlaute), Ziffern, Punkt, Unterstrich und "
                 "Bindestrich enthalten, muss mit einem Buchstaben oder einer Ziffer beginnen und "
                 "2 bis 80 Zeichen lang sein.")
    query = select(User.id).where(func.lower(User.username) == username.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    if db.session.scalar(query.limit(1)) is not None:
        return _("Dieser Benutzername ist schon vergeben (Groß- und Kleinschreibung zählen nicht).")
    return None


def _active_admins_besides(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.with_role(ROLE_ADMIN), User.active.is_(True), User.id != user.id)) or 0


def check_admin_kept(user: User, actor: User, *, roles: set[str] | None = None, active: bool | None = None) -> None:
    """Refuse taking the admin role or the account away from oneself, or from the last active admin."""
    if not (user.has_role(ROLE_ADMIN) and user.active):
        return
    loses_role = roles is not None and ROLE_ADMIN not in roles
    goes_off = active is False
    if not (loses_role or goes_off):
        return
    field_name = "roles" if loses_role else "active"
    if user.id == actor.id:
        raise Refused(field_name, _("Sie können sich die Rolle Administration nicht selbst entziehen.") if loses_role
                      else _("Sie können Ihr eigenes Konto nicht deaktivieren."))
    if _active_admins_besides(user) == 0:
        raise Refused(field_name, _("Dies ist das letzte aktive Konto mit der Rolle Administration; "
                                    "es muss die Rolle behalten und aktiv bleiben."))


def _team_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {t.id: t.name for t in db.session.scalars(select(Team).where(Team.id.in_(ids)))}


def _org_name(organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    org = db.session.get(Organisation, organisation_id)
    return org.name if org else None


def _apply_roles_and_teams(user: User, data: AccountData, actor: User) -> tuple[bool, bool]:
    """Set roles and teams; record what was added and removed. (changed, something was lost)."""
    lost = changed = False
    old_roles = set(user.roles)
    wanted_roles = {r for r in data.roles if r in ROLES}
    if old_roles != wanted_roles:
        user.roles = sorted(wanted_roles)
        lost_roles = sorted(old_roles - wanted_roles)
        record(user, actor, m.ROLES, {"added": sorted(wanted_roles - old_roles), "removed": lost_roles})
        lost, changed = bool(lost_roles), True
    have = {ms.team_id: ms for ms in user.memberships}
    old = {tid: ms.kind for tid, ms in have.items()}
    if old != data.teams:
        names = _team_names(set(old) | set(data.teams))
        added = [[names.get(t, str(t)), k] for t, k in sorted(data.teams.items()) if old.get(t) != k]
        removed = [[names.get(t, str(t)), k] for t, k in sorted(old.items()) if data.teams.get(t) != k]
        for team_id, membership in have.items():
            if team_id not in data.teams:
                user.memberships.remove(membership)
            elif membership.kind != data.teams[team_id]:
                membership.kind = data.teams[team_id]  # in place: one row per user and team
        for team_id, kind in data.teams.items():
            if team_id not in have:
                user.memberships.append(Membership(team_id=team_id, kind=kind))
        record(user, actor, m.TEAMS, {"added": added, "removed": removed})
        lost, changed = lost or bool(removed), True
    return changed, lost


def _check(data: AccountData, user: User | None) -> None:
    problem = username_problem(data.username, user.id if user else None)
    if problem:
        raise Refused("username", problem)
    if data.organisation_id is not None and db.session.get(Organisation, data.organisation_id) is None:
        raise Refused("organisation", _("Bitte eine Organisation aus der Liste wählen."))
    if set(data.teams) - set(_team_names(set(data.teams))):
        raise Refused("teams", _("Bitte nur Teams aus der Liste wählen."))


def create_account(data: AccountData, actor: User, password: str) -> User:
    """A local account with ``password`` (already checked against the policy)."""
    _check(data, None)
    user = User(username=data.username, display_name=data.display_name, email=data.email or None,
                organisation_id=data.organisation_id, auth_source=LOCAL, active=True)
    user.set_password(password)
    user.must_change_password = True  # the person chooses their own at the first login
    db.session.add(user)
    db.session.flush()
    record(user, actor, m.CREATED, {"username": user.username, "display_name": user.display_name,
                                    "email": user.email, "organisation": _org_name(user.organisation_id),
                                    "must_change": True})
    _apply_roles_and_teams(user, data, actor)
    db.session.flush()
    return user


def update_account(user: User, data: AccountData, actor: User) -> bool:
    """Change the account; roles and teams only of a local account (a directory account's come from
    its groups). Returns whether anything changed."""
    _check(data, user)
    if not is_directory_account(user):
        check_admin_kept(user, actor, roles={r for r in data.roles if r in ROLES})
    changes = []
    for name, new in (("username", data.username), ("display_name", data.display_name),
                      ("email", data.email or None)):
        old = getattr(user, name)
        if old != new:
            changes.append({"field": name, "old": old, "new": new})
            setattr(user, name, new)
    if user.organisation_id != data.organisation_id:
        changes.append({"field": "organisation", "old": _org_name(user.organisation_id),
                        "new": _org_name(data.organisation_id)})
        user.organisation_id = data.organisation_id
    if changes:
        record(user, actor, m.CHANGED, {"fields": changes})
    granted, lost = (False, False) if is_directory_account(user) else _apply_roles_and_teams(user, data, actor)
    db.session.flush()
    if lost:
        sessions.end_all_sessions(user)
        sessions.revoke_tokens(user)
    return bool(changes) or granted


def reset_password(user: User, actor: User, password: str) -> None:
    """New password of a local account; ends its sessions and API tokens, lifts a lockout."""
    if is_directory_account(user):
        raise Refused("new_password", _("Dieses Konto meldet sich über das Verzeichnis an; sein Passwort "
                                        "wird dort verwaltet."))
    sessions.change_password(user, password, must_change=True)  # the own one at the next login
    throttle.unlock(user.username)
    record(user, actor, m.PASSWORD_RESET, {"must_change": True})
    db.session.flush()


@sessions.required_password_changed.connect
def _record_own_password(user: User, **_kwargs: Any) -> None:
    """The user replaced the admin-set password (app/auth/routes.py): into the account's history."""
    record(user, user, m.PASSWORD_CHANGED)
    db.session.flush()


def set_active(user: User, actor: User, active: bool) -> None:
    """Activate or deactivate (``sessions.set_active``: deactivated_by="admin", sessions end)."""
    check_admin_kept(user, actor, active=active)
    if user.active == active:
        return
    sessions.set_active(user, active)
    record(user, actor, m.ACTIVATED if active else m.DEACTIVATED)
    db.session.flush()


def unlock(user: User, actor: User) -> bool:
    done = throttle.unlock(user.username)
    if done:
        record(user, actor, m.UNLOCKED)
    return done


FIELD_LABELS = {"username": _l("Benutzername"), "display_name": _l("Anzeigename"), "email": _l("E-Mail-Adresse"),
                "organisation": _l("Organisation")}
EVENT_LABELS = {
    m.CREATED: _l("Konto angelegt"), m.CHANGED: _l("Angaben geändert"), m.ROLES: _l("Rollen geändert"),
    m.TEAMS: _l("Teams geändert"), m.DEACTIVATED: _l("Konto deaktiviert"), m.ACTIVATED: _l("Konto aktiviert"),
    m.PASSWORD_RESET: _l("Passwort neu gesetzt"), m.UNLOCKED: _l("Anmeldesperre aufgehoben"),
    m.SECOND_FACTOR_RESET: _l("Zweiter Faktor zurückgesetzt"),
    m.PASSWORD_CHANGED: _l("Eigenes Passwort gewählt"),
}


def _shown(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def _team_text(pair: list[str]) -> str:
    name, kind = pair
    return f"{name} ({KIND_LABELS.get(kind, kind)})"


def describe(event: UserAdminEvent) -> list[str]:
    """The lines shown for ``event`` on the account page (German)."""
    details = event.details or {}
    lines: list[str] = []
    if event.kind == m.CREATED:
        lines = [f"{FIELD_LABELS[k]}: {_shown(details.get(k))}" for k in FIELD_LABELS if details.get(k)]
    elif event.kind == m.CHANGED:
        lines = [_("%(field)s: %(old)s → %(new)s", field=FIELD_LABELS.get(c["field"], c["field"]),
                   old=_shown(c.get("old")), new=_shown(c.get("new"))) for c in details.get("fields", [])]
    elif event.kind == m.ROLES:
        label = ROLE_LABELS.get
        if details.get("added"):
            lines.append(_("hinzu: %(items)s", items=", ".join(str(label(r, r)) for r in details["added"])))
        if details.get("removed"):
            lines.append(_("entfernt: %(items)s", items=", ".join(str(label(r, r)) for r in details["removed"])))
    elif event.kind == m.TEAMS:
        if details.get("added"):
            lines.append(_("hinzu: %(items)s", items=", ".join(_team_text(p) for p in details["added"])))
        if details.get("removed"):
            lines.append(_("entfernt: %(items)s", items=", ".join(_team_text(p) for p in details["removed"])))
    if event.kind in (m.CREATED, m.PASSWORD_RESET) and details.get("must_change"):
        lines.append(_("Das Passwort muss bei der nächsten Anmeldung geändert werden."))
    return lines
