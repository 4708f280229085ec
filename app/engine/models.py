"""Process models, versions, instances, task rows and the case history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, Text, UniqueConstraint, event, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team, User
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Instance status values (api-v1.md)
RUNNING, COMPLETED, TERMINATED, SUSPENDED, ERROR = (
    "running", "completed", "terminated", "suspended", "error",
)
# Outcome of a case its starter withdrew (started by mistake, nothing done): counted nowhere.
WITHDRAWN = "zurueckgezogen"
# Task status values
OPEN, CLAIMED, DONE, CANCELLED = "open", "claimed", "completed", "cancelled"
ACTIVE_TASK_STATES = (OPEN, CLAIMED)
PAUSED = "paused"  # task status while its case is suspended (app/engine/interventions.py)
# Task kinds: a READY user task of the workflow, or a to-do a person gave (a journal follow-up, a
# signal from a form) that lives beside the workflow (app/engine/todos.py).
BPMN_TASK, TODO_TASK = "bpmn", "todo"

# Case participant access levels
FULL, LIMITED = "full", "limited"


class ProcessModel(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Comma separated departments whose staff may start it (e.g. "FB36,FB31").
    start_departments: Mapped[str] = mapped_column(String(200), default="")
    # Role required to start it (e.g. "fachkraft").
    start_role: Mapped[str] = mapped_column(String(40), default="")
    reference_prefix: Mapped[str] = mapped_column(String(10), default="FALL")
    # Confidential (e.g. MBE, Schweigepflicht): of the owner team only its leads see the cases;
    # counsellors see only the cases they are responsible for (participant rows per person).
    confidential: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Months a closed case is kept before its personal data are erased, as the process owner set
    # it (app/retention); empty: the default of processes/<key>.privacy.toml (aufbewahrung_monate).
    retention_months: Mapped[int | None] = mapped_column()
    # Four-eyes publishing of this model as the process owners set it (app/modeler/approval.py);
    # empty: the installation's default (config FOUR_EYES_PUBLISHING).
    four_eyes: Mapped[bool | None] = mapped_column()

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="model", order_by="ProcessVersion.number"
    )

    @property
    def departments(self) -> list[str]:
        return [d for d in self.start_departments.split(",") if d]


class ProcessVersion(Model):
    __table_args__ = (UniqueConstraint("model_id", "number", name="uq_version_model_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))  # led by uq_version_model_number
    number: Mapped[int]
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)  # loaded on a spec-cache miss
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(String(500), default="")

    model: Mapped[ProcessModel] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()


class ProcessInstance(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    # No single-column indexes: ix_instance_version_team, ix_instance_closed and
    # ix_instance_team_version (below) lead with each of these columns.
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    status: Mapped[str] = mapped_column(String(20), default=RUNNING)
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(TZ, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(TZ)
    # Short, non-sensitive label for lists (e.g. the family name); only shown to participants.
    title: Mapped[str] = mapped_column(String(200), default="")
    # The title in search form (lower case, umlauts and accents folded), kept in step with the
    # title by app/search; a trigram index on PostgreSQL (typos), a plain one on SQLite.
    search_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The case file: merged form data of completed tasks (JSON-plain).
    data: Mapped[dict] = mapped_column(db.JSON, default=dict)
    outcome: Mapped[str | None] = mapped_column(String(40))
    # SpiffWorkflow state without the process spec (that is cached per version). Deferred: tens
    # of kilobytes per case that only the engine reads (lists and statistics never load it).
    state: Mapped[str] = mapped_column(Text, deferred=True)
    next_timer_due: Mapped[datetime | None] = mapped_column(TZ, index=True)
    row_version: Mapped[int] = mapped_column(default=1)
    error_message: Mapped[str | None] = mapped_column(Text)
    # The person responsible for the case when it is not the starter (after a handover).
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    version: Mapped[ProcessVersion] = relationship()
    owner_team: Mapped[Team | None] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    tasks: Mapped[list[Task]] = relationship(back_populates="instance", order_by="Task.id")
    participants: Mapped[list[CaseParticipant]] = relationship(back_populates="instance")

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        # The monitor's list (the teams a supervisor leads, newest first) and the statistics'
        # cases started per process version, both from the index alone (app/monitor, app/statistics;
        # with the outcome: withdrawn cases count nowhere, see app.cases.services.counted_cases).
        Index("ix_instance_team_started_version", "owner_team_id", "started_at", "version_id", "outcome"),
        # Which versions have cases of given teams (EXISTS per version); the ids of a team's cases
        # per version (the statistics' grouping by process).
        Index("ix_instance_version_team", "version_id", "owner_team_id"),
        # With outcome and id: the teams' (counted) case ids from the index alone, on PostgreSQL too.
        Index("ix_instance_team_version", "owner_team_id", "version_id", "outcome", "id"),
        # Cases closed in a period, per process and outcome (app/statistics).
        Index("ix_instance_closed", "status", "ended_at", "owner_team_id", "version_id", "outcome"),
        # Finding a case by name (app/search): trigram GIN on PostgreSQL (similarity, LIKE '%x%').
        Index("ix_instance_search_name", "search_name", postgresql_using="gin",
              postgresql_ops={"search_name": "gin_trgm_ops"}),
    )


# The trigram index needs pg_trgm: created with the schema (tests' create_all; the migration too).
event.listen(ProcessInstance.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class CaseParticipant(Model):
    """Who may see a case: a team (all its members and leads) or one user."""

    __table_args__ = (
        Index("ix_participant_team", "team_id", "instance_id"),
        Index("ix_participant_user", "user_id", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    level: Mapped[str] = mapped_column(String(10), default=FULL)
    # A team row that grants access to the team's leads only, not its members (confidential cases).
    leads_only: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    reason: Mapped[str] = mapped_column(String(40), default="")

    instance: Mapped[ProcessInstance] = relationship(back_populates="participants")


class Task(Model):
    """One row per user task the engine made READY: the inbox is SQL over these rows."""

    __table_args__ = (
        Index("ix_task_team_status", "candidate_team_id", "status"),
        Index("ix_task_status_due", "status", "due_at"),
        # The monitor's open tasks per step, and the step filter: covering, title included
        # (app/monitor/services.py).
        Index("ix_task_status_bpmn_title", "status", "bpmn_id", "instance_id", "due_at", "title"),
        # The statistics' open tasks per process and step of the teams' cases, and the monitor's
        # cases per current step: one range of the index per team, covering, no look-up of the
        # case (app/statistics/services.py, app/monitor/services.py).
        Index("ix_task_open_by_team", "status", "owner_team_id", "model_id", "bpmn_id", "due_at", "title",
              "instance_id"),
        # The statistics' step durations: completed tasks of a period, covering.
        Index("ix_task_done", "status", "completed_at", "bpmn_id", "instance_id", "created_at", "title"),
        # The statistics' crisis figures: acknowledgements / escalations of a period, open crisis tasks.
        Index("ix_task_bpmn_created", "bpmn_id", "created_at", "instance_id", "status", "completed_at"),
        Index("ix_task_crisis_status", "crisis", "status", "owner_team_id", "model_id", "instance_id"),
        # The inbox: a team's unassigned group tasks, and a person's own, read in inbox order from
        # the index alone (app/inbox/listing.py: equality on every column before due_at, id;
        # assignee_id IS NULL is no equality for PostgreSQL's ordering, so it comes last).
        Index("ix_task_inbox", "candidate_team_id", "for_leads", "status", "crisis", "due_at", "id", "assignee_id"),
        # ix_task_mine also serves "a person's tasks by status"; ix_task_instance_status "a case's tasks".
        Index("ix_task_mine", "assignee_id", "status", "crisis", "due_at", "id"),
        Index("ix_task_instance_status", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(120))
    candidate_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    form_key: Mapped[str | None] = mapped_column(String(120))
    due_at: Mapped[datetime | None] = mapped_column(TZ)
    priority: Mapped[int] = mapped_column(default=0)
    crisis: Mapped[bool] = mapped_column(default=False)
    # A group task for the leads (Leitung) of candidate_team instead of its members.
    for_leads: Mapped[bool] = mapped_column(default=False)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(TZ)  # the one overdue reminder
    # What the task is about beyond the case file, e.g. the crisis report it answers.
    context: Mapped[dict | None] = mapped_column(db.JSON)
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(TZ)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    iteration: Mapped[int] = mapped_column(default=0)
    # Values saved for this task before it is completed (prefill from the API start call).
    draft: Mapped[dict | None] = mapped_column(db.JSON)
    # BPMN_TASK (synced from the workflow) or TODO_TASK (app/engine/todos.py: never touched by the sync).
    kind: Mapped[str] = mapped_column(String(20), default=BPMN_TASK, server_default=BPMN_TASK)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Copies of the case's owner team and process model (neither changes in a case's life), so
    # that figures per team and process read the task rows alone (app/statistics). Set when the
    # row is written (``_case_columns`` below).
    owner_team_id: Mapped[int | None] = mapped_column()
    model_id: Mapped[int | None] = mapped_column()

    instance: Mapped[ProcessInstance] = relationship(back_populates="tasks")
    candidate_team: Mapped[Team | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_todo(self) -> bool:
        return self.kind == TODO_TASK


@event.listens_for(Task, "before_insert")
def _case_columns(_mapper, connection, target: Task) -> None:
    """Copy the case's owner team and process model into a new task row: from the case and version
    objects when this unit of work has them (the engine always does), else read in one statement."""
    instance = target.__dict__.get("instance")
    version = instance.__dict__.get("version") if instance is not None else None
    if instance is not None and version is not None and instance.owner_team_id is not None:
        target.owner_team_id, target.model_id = instance.owner_team_id, version.model_id
        return
    row = connection.execute(
        select(ProcessInstance.owner_team_id, ProcessVersion.model_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessInstance.id == target.instance_id)).first()
    if row is not None:
        target.owner_team_id, target.model_id = row


class CaseEvent(Model):
    """The case history: the timeline of the case view and the audit trail."""

    # The statistics' crises reported in a period (app/statistics/services.py).
    __table_args__ = (Index("ix_event_kind_created", "kind", "created_at", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    data: Mapped[dict | None] = mapped_column(db.JSON)

    instance: Mapped[ProcessInstance] = relationship()
    actor: Mapped[User | None] = relationship()
    task: Mapped[Task | None] = relationship()
