"""Accounts from a directory: created on first login, kept in step with the directory's groups,
deactivated when the directory says so.

Every login method (app/directory/ldap.py, app/directory/oidc.py) calls ``provision`` after the
directory confirmed who the person is; it returns the active user to log in, or raises
``DirectoryRefused`` (German message for the login form). Services only flush.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import ROLES, Membership, User
from app.auth.sessions import end_all_sessions, revoke_tokens
from app.directory.models import LEAD, MEMBER, SOURCES, GroupMapping
from app.extensions import db

log = logging.getLogger(__name__)

UNUSABLE_PASSWORD = "!directory"  # no werkzeug hash matches: a directory account never logs in locally


class DirectoryRefused(Exception):
    """The directory confirmed the person, but Fallwerk does not let them in (German message)."""


@dataclass(frozen=True)
class Grants:
    roles: frozenset[str]
    teams: frozenset[tuple[int, str]]  # (team id, member|lead)

    @property
    def empty(self) -> bool:
        return not self.roles and not self.teams


def grants_for(source: str, groups: list[str]) -> Grants:
    """What the mapping table gives a member of ``groups`` (compared case-insensitively)."""
    wanted = {g.strip().lower() for g in groups if g and g.strip()}
    if not wanted:
        return Grants(frozenset(), frozenset())
    rows = db.session.scalars(select(GroupMapping).where(GroupMapping.source == source,
                                                         GroupMapping.group_name.in_(wanted)))
    roles: set[str] = set()
    teams: dict[int, str] = {}
    for row in rows:
        if row.role in ROLES:
            roles.add(row.role)
        if row.team_id is not None:
            kind = LEAD if row.kind == LEAD else MEMBER
            if teams.get(row.team_id) != LEAD:  # lead wins over member
                teams[row.team_id] = kind
    return Grants(frozenset(roles), frozenset(teams.items()))


def find_user(source: str, external_id: str) -> User | None:
    return db.session.scalar(select(User).where(User.auth_source == source, User.external_id == external_id))


def provision(source: str, external_id: str, username: str, display_name: str, email: str | None,
              groups: list[str], previous_id: str | None = None) -> User:
    """The user for a person the directory ``source`` has just confirmed (identified by
    ``external_id``: the LDAP entry's stable id (``LDAP_ID_ATTRIBUTE``) / OIDC ``sub``), created or
    brought in step with the directory.

    ``previous_id`` (LDAP: the entry's DN): how accounts were keyed before; an account still keyed
    by it is taken over by ``external_id`` once (case-insensitive, as DNs compare) and found by
    ``external_id`` from then on.

    Refused (``DirectoryRefused``) when no group of the person is mapped (an existing account is
    then deactivated and its sessions end), when the account was deactivated by an admin, or when
    ``username`` belongs to another account (a local one, or another directory's): a directory
    never takes over an account it did not create.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown directory source {source!r}")
    username = username.strip()[:80]
    user = find_user(source, external_id)
    if user is None and previous_id:
        user = db.session.scalar(select(User).where(User.auth_source == source,
                                                    func.lower(User.external_id) == previous_id.lower()))
        if user is not None:
            log.info("%s account %s: keyed by %r instead of %r from now on", source, user.username, external_id,
                     user.external_id)
            user.external_id = external_id
    grants = grants_for(source, groups)
    if user is None:
        taken = db.session.scalar(select(User).where(User.username == username))
        if taken is not None:
            raise DirectoryRefused(_("Der Benutzername „%(name)s“ gehört schon zu einem anderen Konto. "
                                     "Bitte wenden Sie sich an die Administration.", name=username))
        if grants.empty:
            raise DirectoryRefused(_("Ihr Verzeichniskonto ist keiner Gruppe von Fallwerk zugeordnet. "
                                     "Bitte wenden Sie sich an die Administration."))
        user = User(username=username, display_name=display_name or username, email=email,
                    password_hash=UNUSABLE_PASSWORD, auth_source=source, external_id=external_id, active=True)
        db.session.add(user)
        db.session.flush()
    elif grants.empty:
        deactivate(user)
        raise DirectoryRefused(_("Ihr Verzeichniskonto ist keiner Gruppe von Fallwerk mehr zugeordnet; "
                                 "das Konto wurde deaktiviert."))
    elif not user.active and user.deactivated_by != "directory":
        raise DirectoryRefused(_("Dieses Konto ist deaktiviert. Bitte wenden Sie sich an die Administration."))
    user.display_name = display_name or user.display_name
    user.email = email or user.email
    user.active, user.deactivated_by = True, None
    _apply(user, grants)
    db.session.flush()
    return user


def _apply(user: User, grants: Grants) -> None:
    """Roles and team memberships exactly as the directory grants them; a lost right ends the
    user's other sessions (they may have pages open that they may no longer see)."""
    lost = set(user.roles) - grants.roles
    user.roles = sorted(grants.roles)
    have = {(m.team_id, m.kind): m for m in user.memberships}
    for key, membership in have.items():
        if key not in grants.teams:
            user.memberships.remove(membership)
            lost.add(f"team:{key}")
    if user.id is not None and len(have) != len(user.memberships):
        db.session.flush()  # deletes first: member -> lead of one team is a new row for the same pair
    for team_id, kind in grants.teams:
        if (team_id, kind) not in have:
            user.memberships.append(Membership(team_id=team_id, kind=kind))
    if lost and user.id is not None:
        db.session.flush()
        end_all_sessions(user)


def deactivate(user: User) -> None:
    """The directory no longer knows the person (or no mapped group): no login, no sessions, no
    API tokens."""
    user.active, user.deactivated_by = False, "directory"
    db.session.flush()
    end_all_sessions(user)
    revoke_tokens(user)
