"""The journal's work: who may read and write, writing and correcting entries, follow-ups,
and the counts the reports take from it.

Rules (checked per case on the server; the routes turn them into 404/403):

- Reading: every participant with full access reads every entry, at any time (also when the case
  has ended). A volunteer (limited access: the volunteer of an Alltagsbegleitung assignment) reads
  only the entries shared with them and their own. Anyone else does not see the case (404).
- Writing: the same people, while the case runs. A volunteer's entries are always shared with them.
- Correcting: the author, while the case runs; the earlier version stays (``JournalRevision``).
- A follow-up (Wiedervorlage) goes to the writer or to a person with full access to the case, as
  a to-do (``service.create_todo``) that links the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select

from app.auth.access import access_level
from app.auth.models import LEAD, MEMBER, Membership, User
from app.engine import service
from app.engine.lanes import limited_fields
from app.engine.models import (
    FULL,
    LIMITED,
    RUNNING,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.erasure.services import case_erasing
from app.extensions import db
from app.journal.models import KINDS, SESSION_KINDS, JournalEntry, JournalRevision, JournalTopic
from app.journal.topics import all_topic_labels
from app.timeutil import office_zone, utcnow


@dataclass(frozen=True)
class EntryData:
    """Validated content of one version of an entry (from JournalEntryForm / CorrectionForm)."""

    kind: str
    day: date
    text: str
    duration_minutes: int | None = None
    topics: tuple[str, ...] = ()
    next_steps: str = ""


# --- who may -------------------------------------------------------------------------------


def may_read(level: str | None) -> bool:
    return level in (FULL, LIMITED)


def may_write(instance: ProcessInstance, level: str | None) -> bool:
    return level in (FULL, LIMITED) and instance.status == RUNNING


def may_correct(entry: JournalEntry, user: User, level: str | None) -> bool:
    return may_write(entry.instance, level) and entry.author_id == user.id


def visible_to(entry: JournalEntry, user: User, level: str | None) -> bool:
    if level == FULL:
        return True
    return level == LIMITED and (entry.shared_with_volunteer or entry.author_id == user.id)


def process_key(instance: ProcessInstance) -> str:
    return instance.version.model.key


# --- reading -------------------------------------------------------------------------------


def entries_for(instance: ProcessInstance, user: User, level: str | None) -> list[JournalEntry]:
    """The case's entries ``user`` may read, newest first (by day of contact, then written)."""
    if not may_read(level):
        return []
    query = select(JournalEntry).where(JournalEntry.instance_id == instance.id)
    if level != FULL:
        query = query.where(or_(JournalEntry.shared_with_volunteer.is_(True), JournalEntry.author_id == user.id))
    return list(db.session.scalars(query.order_by(JournalEntry.day.desc(), JournalEntry.id.desc())))


def entry_for_task(task: Task, user: User) -> JournalEntry | None:
    """The journal entry a to-do came from, if ``user`` may read it."""
    entry_id = (task.context or {}).get("journal_entry")
    entry = db.session.get(JournalEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or entry.instance_id != task.instance_id:
        return None
    return entry if visible_to(entry, user, access_level(user, task.instance)) else None


def follow_up_people(instance: ProcessInstance, writer: User) -> list[User]:
    """The people a follow-up of ``writer`` may go to: the writer and every person with full
    access to the case (personal participants, members of participating teams, leads)."""
    rows = db.session.execute(
        select(CaseParticipant.user_id, CaseParticipant.team_id, CaseParticipant.leads_only)
        .where(CaseParticipant.instance_id == instance.id, CaseParticipant.level == FULL)).all()
    user_ids = {uid for uid, _team, _leads in rows if uid is not None}
    for _uid, team_id, leads_only in rows:
        if team_id is None:
            continue
        kinds = [LEAD] if leads_only else [LEAD, MEMBER]
        user_ids.update(db.session.scalars(select(Membership.user_id).where(
            Membership.team_id == team_id, Membership.kind.in_(kinds))))
    user_ids.discard(writer.id)
    people = list(db.session.scalars(select(User).where(User.id.in_(user_ids or [-1]), User.active.is_(True))
                                     .order_by(User.display_name)))
    return [writer, *people]


def assignee_choices(instance: ProcessInstance, writer: User) -> list[tuple[str, str]]:
    """(username, name) of the follow-up people other than the writer (who is the default)."""
    return [(u.username, u.display_name) for u in follow_up_people(instance, writer) if u.id != writer.id]


# --- writing -------------------------------------------------------------------------------


def add_entry(instance: ProcessInstance, author: User, level: str, content: EntryData, *,
              shared_with_volunteer: bool = False, follow_up_due: date | None = None,
              follow_up_assignee: User | None = None, follow_up: bool = False) -> JournalEntry:
    """Write an entry (revision 1) and, if wanted, its follow-up to-do. The caller checked
    ``may_write``; the follow-up assignee must be one of ``follow_up_people``."""
    entry = JournalEntry(instance=instance, author=author, kind=content.kind, day=content.day,
                         duration_minutes=content.duration_minutes, text=content.text,
                         next_steps=content.next_steps or "",
                         shared_with_volunteer=True if level == LIMITED else bool(shared_with_volunteer),
                         created_at=utcnow())
    db.session.add(entry)
    _set_topics(entry, content.topics)
    _add_revision(entry, author, content, "")
    db.session.flush()
    if follow_up or follow_up_due or follow_up_assignee:
        _create_follow_up(entry, author, follow_up_assignee or author, follow_up_due)
    return entry


def correct_entry(entry: JournalEntry, user: User, content: EntryData, note: str = "") -> JournalEntry:
    """A new version of the entry; the earlier ones stay readable (who wrote them, when)."""
    entry.kind, entry.day, entry.duration_minutes = content.kind, content.day, content.duration_minutes
    entry.text, entry.next_steps = content.text, content.next_steps or ""
    _set_topics(entry, content.topics)
    _add_revision(entry, user, content, note)
    db.session.flush()
    return entry


def _set_topics(entry: JournalEntry, topics) -> None:
    wanted = list(dict.fromkeys(str(t) for t in topics or ()))
    entry.topic_rows = [JournalTopic(topic=t[:40]) for t in wanted]


def _add_revision(entry: JournalEntry, user: User, content: EntryData, note: str) -> None:
    entry.revisions.append(JournalRevision(
        number=len(entry.revisions) + 1, kind=content.kind, day=content.day,
        duration_minutes=content.duration_minutes, topics=list(entry.topics), text=content.text,
        next_steps=content.next_steps or "", note=note[:500], author=user, created_at=utcnow()))


def _create_follow_up(entry: JournalEntry, author: User, assignee: User, due: date | None) -> Task:
    # The title is in the case history, which a volunteer reads: it quotes the entry only if
    # the volunteer may read the entry anyway (or the process has no volunteers).
    if entry.shared_with_volunteer or not offers_sharing(entry.instance):
        first = (entry.next_steps or entry.text).strip().splitlines()
        short = (first[0][:80] + ("…" if len(first[0]) > 80 else "")) if first else entry.kind_label
    else:
        short = entry.kind_label
    # 9:00 on the office's calendar day, stored in UTC like every moment
    due_at = datetime.combine(due, time(9, 0), tzinfo=office_zone()).astimezone(UTC) if due else None
    task = service.create_todo(entry.instance, _("Wiedervorlage: %(text)s", text=short), created_by=author,
                               assignee=assignee, due_at=due_at,
                               context={"journal_entry": entry.id}, source="journal")
    entry.follow_up_task = task
    return task


# --- counts for the reports ------------------------------------------------------------------


def session_counts(team_ids: list[int], start: date, end: date, process: str | None = None,
                   public_only: bool = False) -> dict:
    """Journal entries of the cases owned by ``team_ids`` with a contact day in [start, end]:
    ``{"sessions": n, "minutes": m, "by_kind": {kind: n}, "by_topic": {topic: n}}``.

    ``sessions`` counts contacts with the client (Gespräch, Telefonat, Hausbesuch); ``by_topic``
    counts those sessions per topic (a session may have several). ``process`` limits to the cases
    of one process (e.g. ``"mbe_beratung"``); ``public_only`` leaves out the cases of confidential
    process models (municipal statistics)."""
    base = [ProcessInstance.owner_team_id.in_(team_ids or [-1]) if team_ids else false(),
            JournalEntry.day >= start, JournalEntry.day <= end]
    query = select(JournalEntry.kind, func.count(JournalEntry.id),
                   func.coalesce(func.sum(JournalEntry.duration_minutes), 0)).join(
        ProcessInstance, ProcessInstance.id == JournalEntry.instance_id)
    topic_query = (select(JournalTopic.topic, func.count(JournalTopic.id))
                   .join(JournalEntry, JournalEntry.id == JournalTopic.entry_id)
                   .join(ProcessInstance, ProcessInstance.id == JournalEntry.instance_id))
    if process:
        in_process = ProcessInstance.version_id.in_(
            select(ProcessVersion.id).join(ProcessModel).where(ProcessModel.key == process))
        base.append(in_process)
    if public_only:
        base.append(ProcessInstance.version_id.not_in(
            select(ProcessVersion.id).join(ProcessModel).where(ProcessModel.confidential.is_(True))))
    by_kind, minutes = {}, 0
    for kind, count, total in db.session.execute(query.where(*base).group_by(JournalEntry.kind)):
        by_kind[kind] = count
        minutes += int(total or 0)
    by_topic = dict(db.session.execute(topic_query.where(*base, JournalEntry.kind.in_(SESSION_KINDS))
                                       .group_by(JournalTopic.topic)).all())
    return {"sessions": sum(by_kind.get(k, 0) for k in SESSION_KINDS), "minutes": minutes,
            "by_kind": by_kind, "by_topic": by_topic}


def activity_minutes(start: date, end: date, team_ids: list[int] | None = None) -> dict[tuple[int, str], int]:
    """Minutes of journal work per (author user id, entry kind) with a contact day in
    [start, end] (inclusive, office days). Entries without a duration count 0 minutes.

    ``team_ids``: only authors who are members or leads of one of these teams (the workload of a
    team's people, whatever team owns the case); None: every author."""
    query = (select(JournalEntry.author_id, JournalEntry.kind,
                    func.coalesce(func.sum(JournalEntry.duration_minutes), 0))
             .where(JournalEntry.day >= start, JournalEntry.day <= end)
             .group_by(JournalEntry.author_id, JournalEntry.kind))
    if team_ids is not None:
        query = query.where(JournalEntry.author_id.in_(
            select(Membership.user_id).where(Membership.team_id.in_(team_ids or [-1]))))
    return {(author, kind): int(total or 0) for author, kind, total in db.session.execute(query)}


def offers_sharing(instance: ProcessInstance) -> bool:
    """Does the case's process have volunteers (participants with limited access) at all?"""
    return bool(limited_fields(process_key(instance)))


def report_figures(team_ids: list[int], start: date, end: date, process: str | None = None,
                   public_only: bool = False) -> dict:
    """``session_counts`` with labels, JSON-plain, for the statistics page, the annual report and the API:
    ``{"sessions", "minutes", "by_kind": [{"kind","label","count"}], "by_topic": [{"topic","label","count"}]}``."""
    counts = session_counts(team_ids, start, end, process, public_only)
    labels = all_topic_labels()
    topics = sorted(counts["by_topic"].items(), key=lambda item: (-item[1], item[0]))
    return {
        "sessions": counts["sessions"], "minutes": counts["minutes"],
        "by_kind": [{"kind": key, "label": str(label), "count": counts["by_kind"].get(key, 0)} for key, label in KINDS],
        "by_topic": [{"topic": key, "label": labels.get(key, key), "count": n} for key, n in topics],
    }


@case_erasing.connect
def _erase_journal(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the texts, next steps and correction
    notes of every entry and revision go; kind, day, minutes and topics stay (statistics)."""
    entries = list(db.session.scalars(select(JournalEntry).where(JournalEntry.instance_id == instance.id)))
    count = 0
    for entry in entries:
        if entry.text or entry.next_steps:
            entry.text, entry.next_steps = "", ""
            count += 1
        for revision in entry.revisions:
            revision.text, revision.next_steps, revision.note = "", "", ""
    db.session.flush()
    return {"journal": count}
