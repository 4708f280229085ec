"""Reporting a crisis into a case through the engine door, and who may report one."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.engine.clock import engine_now
from app.engine.errors import ConflictError
from app.engine.locking import write_conflicts
from app.engine.models import RUNNING, CaseParticipant, ProcessInstance, Task
from app.engine.runtime import catch_message, load_workflow, message_definition, record, save
from app.engine.taskrows import sync_tasks
from app.engine.versions import parsed_version
from app.extensions import db

CRISIS_MESSAGE = "krise_gemeldet"


def crisis_not_offered_message() -> str:
    return _("Dieses Verfahren sieht keine Krisenmeldung vor.")


def offers_crisis(instance: ProcessInstance) -> bool:
    """Does the case's process version catch the crisis message (``krise_gemeldet``)? Read from
    the cached parsed version, so the case view can ask without loading the workflow."""
    return message_definition(parsed_version(instance.version), CRISIS_MESSAGE) is not None


def can_report_crisis(user: User, instance: ProcessInstance) -> bool:
    """People working on the case report crises: members of a participating team and persons
    taking part themselves (the volunteer). Supervisors who only lead a team do not. Nobody,
    when the case's process has no crisis path (no ``krise_gemeldet`` message, e.g. MBE)."""
    if not offers_crisis(instance):
        return False
    member_teams = set(user.member_team_ids)
    rows = db.session.execute(
        select(CaseParticipant.team_id, CaseParticipant.user_id, CaseParticipant.leads_only)
        .where(CaseParticipant.instance_id == instance.id)
    ).all()
    return any((team_id in member_teams and not leads_only) or user_id == user.id
               for team_id, user_id, leads_only in rows)


def report_crisis(instance: ProcessInstance, user: User, beschreibung: str,
                  dringlichkeit: str) -> list[Task]:
    """Send the crisis message into the case; returns the crisis task rows it created.

    The BPMN decides what happens (event subprocess started by the message ``krise_gemeldet``):
    who gets the task, the acknowledgement deadline, the escalation.
    """
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    parsed = parsed_version(instance.version)
    definition = message_definition(parsed, CRISIS_MESSAGE)
    if definition is None:
        raise ConflictError(crisis_not_offered_message())
    report = {"beschreibung": beschreibung, "dringlichkeit": dringlichkeit,
              "gemeldet_von": user.username, "gemeldet_am": engine_now().isoformat()}
    # The crisis event subprocess runs on a spec in which it is already connected, so that
    # SpiffWorkflow does not connect it into the shared one (see ParsedProcess.specs_for).
    workflow = load_workflow(instance, parsed, also_triggered=frozenset(parsed.trigger_specs))
    catch_message(workflow, definition, report)
    with write_conflicts():
        with db.session.no_autoflush:
            instance.data = {**(instance.data or {}),
                             "krisen": [*(instance.data or {}).get("krisen", []), report]}
            record(instance, "crisis", "", user, report)
            created = sync_tasks(instance, workflow, parsed, completed_row=None, actor=user)
        save(instance, workflow, actor=user)
    return [row for row in created if row.crisis]
