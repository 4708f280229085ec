"""Who belongs where: organisations, teams, users, memberships, API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, exists, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import secretbox
from app.extensions import Model, db
from app.timeutil import utcnow

# Roles a user can hold. A role says what kind of work someone does; teams say for whom.
ROLE_FACHKRAFT = "fachkraft"  # staff of FB 36 / FB 31 teams
ROLE_KOORDINATION = "koordination"  # staff of the coordination office 201
ROLE_EHRENAMT = "ehrenamt"  # volunteer (Alltagsbegleitung)
ROLE_MBE = "mbe"  # migration counsellor of a welfare association
ROLE_LEITUNG = "leitung"  # supervisor of the teams they lead
ROLE_PROZESS = "prozess"  # process owner
ROLE_ADMIN = "admin"
ROLE_DATENSCHUTZ = "datenschutz"  # data protection officer: the record of processing, no case content
# Staff of a partner organisation (Jobcenter, Ausländerbehörde, JMD, Bildungsträger): sees only the
# cases they are invited to, only the consented data categories (app/partners).
ROLE_PARTNER = "partner"
ROLES = [
    ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_EHRENAMT, ROLE_MBE,
    ROLE_LEITUNG, ROLE_PROZESS, ROLE_ADMIN, ROLE_DATENSCHUTZ, ROLE_PARTNER,
]
# With REQUIRE_2FA every account needs a second factor (app/auth/twofactor.py) unless all its
# roles are listed here. Process owners edit models and decision tables and see no social data;
# every other role does (or, like admin, can switch another account's second factor off). A
# role added later is covered by default.
SECOND_FACTOR_EXEMPT_ROLES = frozenset({ROLE_PROZESS})

MEMBER = "member"
LEAD = "lead"


class Organisation(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Team(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Department the team belongs to: FB36, FB31, 201, MBE ...
    department: Mapped[str] = mapped_column(String(20), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    email: Mapped[str | None] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship()


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Part of every session (see get_id): raising it ends all sessions of this user at once
    # (logout, password change, deactivation; app/auth/sessions.py).
    session_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Created by `flask demo load` with the password "demo"; every other password set in the
    # app follows the policy in app/auth/passwords.py.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The password was set by an admin (new account, reset): the user must choose their own
    # before anything else (``sessions.enforce_password_change``; the API answers 403
    # ``password_change_required``). Cleared by the user's own change; never on directory or
    # demo accounts.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Second factor (TOTP, app/auth/twofactor.py). The base32 seeds are stored sealed under a key
    # outside the database (app/auth/secretbox.py); read and set them through ``totp_secret`` and
    # ``totp_pending`` below, which open and seal. Never shown again after the enrolment.
    totp_secret_sealed: Mapped[str | None] = mapped_column("totp_secret", String(255))  # set: a code is asked
    totp_pending_sealed: Mapped[str | None] = mapped_column("totp_pending", String(255))  # being enrolled
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column()  # time step of the last code used (no replay)
    # Where the account comes from: "local" (password here), "ldap" or "oidc" (app/directory):
    # a directory account has no usable password here; its teams and roles follow its groups.
    auth_source: Mapped[str] = mapped_column(String(20), default="local", server_default="local")
    # LDAP: the entry's stable id (LDAP_ID_ATTRIBUTE; the DN for accounts from before it) / OIDC subject
    external_id: Mapped[str | None] = mapped_column(String(300))
    last_login_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    # Who deactivated the account: "admin" (stays off until an admin turns it on) or "directory"
    # (no mapped group any more: on again when the directory grants a group again).
    deactivated_by: Mapped[str | None] = mapped_column(String(20))

    organisation: Mapped[Organisation | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    # Loaded with the user (one query for a whole list of users): ``has_role`` runs in every
    # request and in templates.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's id in the session (and a remember cookie): id and session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> list[str]:
        """The user's roles, sorted."""
        return sorted(row.role for row in self.role_rows)

    @roles.setter
    def roles(self, values: list[str]) -> None:
        """Replace the roles; rows of roles the user keeps stay as they are."""
        wanted = set(values)
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - {row.role for row in self.role_rows})
        ]

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @classmethod
    def with_role(cls, role: str) -> ColumnElement[bool]:
        """SQL condition "the user holds ``role``" (an EXISTS over ``user_role``)."""
        return exists().where(UserRole.user_id == cls.id, UserRole.role == role)

    @property
    def has_second_factor(self) -> bool:
        """A code (or a recovery code) is asked after the password."""
        return self.totp_secret_sealed is not None

    @property
    def totp_secret(self) -> str | None:
        """The confirmed TOTP seed, opened (None: no second factor, or the key to open it is gone)."""
        return secretbox.unseal(self.totp_secret_sealed)

    @totp_secret.setter
    def totp_secret(self, value: str | None) -> None:
        self.totp_secret_sealed = secretbox.seal(value)

    @property
    def totp_pending(self) -> str | None:
        """The seed being enrolled (shown until confirmed), opened."""
        return secretbox.unseal(self.totp_pending_sealed)

    @totp_pending.setter
    def totp_pending(self, value: str | None) -> None:
        self.totp_pending_sealed = secretbox.seal(value)

    @property
    def enrolling_second_factor(self) -> bool:
        """An enrolment has begun and is not yet confirmed."""
        return self.totp_pending_sealed is not None

    @property
    def second_factor_by_role(self) -> bool:
        """Whether ``REQUIRE_2FA`` applies to this account (a role that sees social data)."""
        return not set(self.roles) <= SECOND_FACTOR_EXEMPT_ROLES

    def set_password(self, password: str) -> None:
        from flask import current_app

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def member_team_ids(self) -> list[int]:
        """Teams whose group tasks this user works on."""
        return [m.team_id for m in self.memberships if m.kind == MEMBER]

    @property
    def lead_team_ids(self) -> list[int]:
        """Teams this user leads (supervisor tasks of those teams)."""
        return [m.team_id for m in self.memberships if m.kind == LEAD]

    @property
    def team_ids(self) -> list[int]:
        """Teams this user belongs to or leads (for seeing cases)."""
        return [m.team_id for m in self.memberships]

    @property
    def member_teams(self) -> list[Team]:
        return [m.team for m in self.memberships if m.kind == MEMBER]


class UserRole(Model):
    """One role held by one user (the roles in ROLES); a user holds each role at most once."""

    __tablename__ = "user_role"
    # The primary key (user_id, role) serves "roles of a user"; the second index serves
    # "users holding a role" (the volunteer pool, the coordinators of 201).
    __table_args__ = (Index("ix_user_role_role_user", "role", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Membership(Model):
    __table_args__ = (UniqueConstraint("user_id", "team_id", name="uq_membership_user_team"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # led by uq_membership_user_team
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=MEMBER)  # member | lead

    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship()


class ApiToken(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class LoginThrottle(Model):
    """Failed logins per user name (app/auth/throttle.py).

    Keyed by the name that was typed, not by the account, so that a name without an account is
    throttled and locked exactly like one with: the answers do not tell which names exist.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    failures: Mapped[int] = mapped_column(default=0)  # since the last success or lockout
    lockouts: Mapped[int] = mapped_column(default=0)  # each one doubles the next lock
    last_failure_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True), index=True)
    delay_until: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))


class RecoveryCode(Model):
    """A one-time recovery code of the second factor: only its hash; spent when used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))


class SecondFactorEvent(Model):
    """What happened to an account's second factor, by whom (enrolled, disabled, reset by an
    admin, a recovery code used): kept when the factor itself is gone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # enrolled | disabled | reset | recovery_used
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
