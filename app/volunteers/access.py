"""Who may do what around an assignment (checked on the server, per object).

- The volunteer of a case is the user with a LIMITED participant row (the volunteer lane).
- 201 are members (not only leads) of a team of department ``201`` that takes part in the case.
- Supervisors (role ``leitung``) who lead a team of department ``201`` see the volunteers,
  trainings and expense entries of 201 read-only (lists and pages; every change stays 201's: 403).
- Everyone else with access to the case (the owning FB team, supervisors) may read the question
  thread (the case responsibility stays with the FB team; 201 brings them in when needed) but
  neither writes in it nor sees or decides expense entries.
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.access import get_visible_instance_or_404
from app.auth.models import LEAD, MEMBER, ROLE_EHRENAMT, ROLE_KOORDINATION, ROLE_LEITUNG, Membership, Team, User
from app.engine.models import LIMITED, CaseParticipant, ProcessInstance
from app.extensions import db
from app.web.access import roles_required

DEPARTMENT_201 = "201"


def coordination_team_ids(user: User) -> list[int]:
    """Teams of department 201 in which ``user`` works (as a member, with the 201 role)."""
    if not user.has_role(ROLE_KOORDINATION):
        return []
    return list(db.session.scalars(
        select(Team.id).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind == MEMBER, Team.department == DEPARTMENT_201)
    ))


def is_coordinator(user: User) -> bool:
    return bool(coordination_team_ids(user))


def require_coordinator(user: User) -> None:
    if not is_coordinator(user):
        abort(403, _("Diese Seite ist nur für die Koordinierungsstelle 201."))


def supervises_201(user: User) -> bool:
    """Does ``user`` lead (as a supervisor) a team of department 201?"""
    return user.has_role(ROLE_LEITUNG) and db.session.scalar(
        select(Team.id).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind == LEAD, Team.department == DEPARTMENT_201)
        .limit(1)
    ) is not None


def require_reader(user: User) -> bool:
    """201 (may change) or a supervisor of 201 (reads only); 403 for anyone else.

    Returns whether ``user`` may change things (is 201 staff)."""
    if is_coordinator(user):
        return True
    if supervises_201(user):
        return False
    abort(403, _("Diese Seite ist nur für die Koordinierungsstelle 201 und ihre Leitung."))


#: Route decorators (app/web/access.py); the 201 team check stays in ``require_coordinator``.
volunteer_required = roles_required(ROLE_EHRENAMT, message=_l("Diese Seite ist nur für Ehrenamtliche."))
coordinator_required = roles_required(ROLE_KOORDINATION,
                                      message=_l("Diese Seite ist nur für die Koordinierungsstelle 201."))
#: Pages 201's supervisors may read as well (``require_reader`` then says who may change).
reader_required = roles_required(ROLE_KOORDINATION, ROLE_LEITUNG,
                                 message=_l("Diese Seite ist nur für die Koordinierungsstelle 201 und ihre Leitung."))


def require_volunteer(user: User) -> None:
    if not user.has_role(ROLE_EHRENAMT):
        abort(403, _("Diese Seite ist nur für Ehrenamtliche."))


def coordinates_case(user: User, instance: ProcessInstance) -> bool:
    """Is ``user`` 201 staff of a team taking part in the case?"""
    teams = coordination_team_ids(user)
    return bool(teams) and db.session.scalar(
        select(CaseParticipant.id).where(CaseParticipant.instance_id == instance.id,
                                         CaseParticipant.team_id.in_(teams)).limit(1)
    ) is not None


def is_case_volunteer(user: User, instance: ProcessInstance) -> bool:
    return user.has_role(ROLE_EHRENAMT) and db.session.scalar(
        select(CaseParticipant.id).where(CaseParticipant.instance_id == instance.id,
                                         CaseParticipant.user_id == user.id,
                                         CaseParticipant.level == LIMITED).limit(1)
    ) is not None


def case_volunteer_ids(instance: ProcessInstance) -> list[int]:
    return list(db.session.scalars(
        select(CaseParticipant.user_id).where(CaseParticipant.instance_id == instance.id,
                                              CaseParticipant.user_id.is_not(None),
                                              CaseParticipant.level == LIMITED)
    ))


def case_coordinators(instance: ProcessInstance) -> list[User]:
    """Active 201 members of the teams taking part in the case (for notifications)."""
    member_ids = (
        select(Membership.user_id).join(Team, Team.id == Membership.team_id)
        .join(CaseParticipant, CaseParticipant.team_id == Team.id)
        .where(CaseParticipant.instance_id == instance.id, Team.department == DEPARTMENT_201,
               Membership.kind == MEMBER)
    )
    return list(db.session.scalars(  # no DISTINCT over the user row (JSON column, PostgreSQL)
        select(User).where(User.id.in_(member_ids), User.active.is_(True),
                           User.with_role(ROLE_KOORDINATION)).order_by(User.id)
    ))


def thread_case_or_404(user: User, instance_id: int) -> tuple[ProcessInstance, bool]:
    """The case of a question thread and whether ``user`` may write in it.

    404 for anyone without access to the case, and for cases without a volunteer.
    """
    instance, level = get_visible_instance_or_404(user, instance_id)
    if not case_volunteer_ids(instance):
        abort(404)
    if level == LIMITED:
        if not is_case_volunteer(user, instance):
            abort(404)
        return instance, True
    return instance, coordinates_case(user, instance)


def assignment_or_404(user: User, instance_id: int) -> ProcessInstance:
    """A case in which ``user`` is the volunteer (for recording expenses); 404 otherwise."""
    instance, level = get_visible_instance_or_404(user, instance_id)
    if level != LIMITED or not is_case_volunteer(user, instance):
        abort(404)
    return instance
