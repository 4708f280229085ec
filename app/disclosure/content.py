"""What an Art. 15 export holds: one JSON-plain report, built from every feature's tables.

The report is the one source of both files of the export: ``auskunft.json`` is the report itself,
``auskunft.html`` renders it. Keys are English (like the API), labels and shown values German
(the caller renders inside ``force_locale("de")``): the case data under the labels of the forms
that wrote it (``forms/`` registry, as the case history shows them), choice values as their labels.
Every section is a flat list whose items name their case (``case_id``, ``case_reference``), so a
program reads it without walking a tree and the HTML groups it by case.

Read-only: nothing here writes, and nothing here logs (the export's one access log row is written
by ``services``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accesslog.models import CASE, CLIENT, DOCUMENT, DOWNLOAD, EXPORT, JOURNAL, LIST, TASK, VIEW, AccessLogEntry
from app.appointments.models import Appointment
from app.appointments.services import kind_label as appointment_kind_label
from app.auth.models import User
from app.cases import history
from app.cases import services as case_services
from app.counselling.models import ContactRecord
from app.documents.models import Document
from app.documents.services import category_label
from app.engine import events
from app.engine.models import BPMN_TASK, CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.journal.models import KIND_LABELS, JournalEntry
from app.journal.topics import topic_label
from app.mbe.models import Client
from app.network.forms import TYPE_LABELS
from app.network.services import referrals as referrals_of
from app.plans.models import PlanChange, PlanGoal
from app.plans.services import CHANGE_LABELS, STATUS_LABELS
from app.timeutil import iso
from app.web import STATUS_LABELS as CASE_STATUS_LABELS

FORMAT = "fallwerk-auskunft/1"
CONTACT_FORM = "beratungskontakt.erfassen"

ACTION_LABELS = {VIEW: _l("angesehen"), DOWNLOAD: _l("heruntergeladen"), EXPORT: _l("exportiert (Auskunft)"),
                 LIST: _l("in einer Liste gesehen")}
OBJECT_LABELS = {CASE: _l("Fall"), CLIENT: _l("Klient/in"), DOCUMENT: _l("Dokument"), JOURNAL: _l("Journal"),
                 TASK: _l("Aufgabe")}
TASK_STATUS_LABELS = {"open": _l("offen"), "claimed": _l("übernommen"), "completed": _l("erledigt"),
                      "cancelled": _l("entfallen"), "paused": _l("angehalten")}
APPOINTMENT_STATUS_LABELS = {"scheduled": _l("vereinbart"), "cancelled": _l("abgesagt")}
# Values no form field shows: derived by a form (``to_task_data``) or set by a process script or
# decision. Labelled here so the person reads what they mean; any other one appears under its key.
DERIVED_LABELS = {
    "jahre_seit_einreise": _l("Jahre seit der Einreise (berechnet)"),
    "berechtigung": _l("Ergebnis der Berechtigungsprüfung"),
    "dreijahresfrist": _l("Ende der Dreijahresfrist der Beratung"),
    "dreijahres_erinnerung_am": _l("Erinnerung an das Ende der Dreijahresfrist am"),
    "dreijahresfrist_erreicht": _l("Dreijahresfrist erreicht"),
    "beratungen": _l("Beratungsgespräche (gesammelt)"),
    "ueberpruefungen": _l("Überprüfungen (gesammelt)"),
    "ik_begleitungen": _l("Begleitungen zum Integrationskurs (gesammelt)"),
    "mbe_modus": _l("Art der Begleitung (Beratung oder Case Management)"),
    "ueberpruefung_basis": _l("Bezugsdatum der nächsten Überprüfung"),
    "naechste_ueberpruefung": _l("Nächste Überprüfung"),
    "einsatzende_erreicht": _l("Ende des Einsatzes erreicht"),
    "abschluss_einleiten": _l("Abschluss einleiten"),
    "einwilligung_widerrufen": _l("Einwilligung widerrufen am"),
}
# What history entries beside the forms record (handover, referral, withdrawal, interventions);
# internal ids of linked rows are left out of the summary (the entry's title says what was linked).
EVENT_DATA_LABELS = {
    "grund": _l("Grund"), "von": _l("Von"), "an": _l("An"), "vorher": _l("Vorher"), "nachher": _l("Nachher"),
    "widerrufen_am": _l("Widerrufen am"), "notiz": _l("Notiz"), "partner": _l("Partner"), "anlass": _l("Anlass"),
    "aufgaben": _l("Aufgaben"), "schritt": _l("Schritt"),
}
INTERNAL_KEYS = frozenset({"klient_id", "document_id"})


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _at(value: datetime | None) -> str | None:
    return iso(value)


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def _label(labels: dict, key: Any) -> str:
    return str(labels.get(key, key)) if key is not None else ""


# --- labels of a case's data ----------------------------------------------------------------------


class CaseLabels:
    """Field and choice labels for one case: first the forms its tasks used (in the order it met
    them), then every other form's (a field a later version dropped keeps its label)."""

    def __init__(self, instance: ProcessInstance, every_label: dict[str, str],
                 every_choice: dict[str, dict[str, str]]) -> None:
        self.labels: dict[str, str] = {}
        self.choices: dict[str, dict[str, str]] = {}
        keys = db.session.scalars(select(Task.form_key).where(
            Task.instance_id == instance.id, Task.kind == BPMN_TASK, Task.form_key.is_not(None)).order_by(Task.id))
        for key in dict.fromkeys(keys):
            labels, choices = history.form_fields(key)
            for name, label in labels.items():
                self.labels.setdefault(name, label)
            for name, mapping in choices.items():
                self.choices.setdefault(name, mapping)
        for name, label in every_label.items():
            self.labels.setdefault(name, label)
        for name, lazy in DERIVED_LABELS.items():
            self.labels.setdefault(name, str(lazy))
        for name, mapping in every_choice.items():
            self.choices.setdefault(name, mapping)

    def fields(self, data: dict | None) -> list[dict]:
        """Each stored field: key, German label, stored value and the value as shown. Fields no
        form labels (values a form derives, e.g. ``jahre_seit_einreise``) come last, marked."""
        labelled: list[dict] = []
        technical: list[dict] = []
        for key, value in (data or {}).items():
            item = {"key": key, "label": self.labels.get(key), "value": value,
                    "shown": history.shown_value(value, key, self.labels, self.choices)}
            (labelled if item["label"] else technical).append(item)
        return labelled + technical


# --- the sections ---------------------------------------------------------------------------------


def client_section(client: Client) -> dict:
    return {
        "id": client.id, "vorname": client.vorname, "nachname": client.nachname,
        "geburtsdatum": _day(client.geburtsdatum), "organisation": client.team.organisation.name
        if client.team is not None and client.team.organisation is not None else None,
        "team": client.team.name if client.team is not None else None,
        "created_at": _at(client.created_at), "created_by": _name(client.created_by),
    }


def _case(instance: ProcessInstance, labels: CaseLabels) -> dict:
    outcome = instance.outcome
    return {
        "id": instance.id, "reference": instance.reference, "title": instance.title,
        "process": {"key": instance.version.model.key, "name": instance.version.model.name,
                    "version": instance.version.number},
        "status": instance.status, "status_label": _label(CASE_STATUS_LABELS, instance.status),
        "outcome": outcome,
        "outcome_label": labels.choices.get("ergebnis", {}).get(outcome, outcome) if outcome else None,
        "started_at": _at(instance.started_at), "ended_at": _at(instance.ended_at),
        "started_by": _name(instance.started_by),
        "responsible": _name(instance.responsible or instance.started_by),
        "owner_team": instance.owner_team.name if instance.owner_team is not None else None,
        "data": labels.fields(instance.data),
    }


def _ref(instance: ProcessInstance) -> dict:
    return {"case_id": instance.id, "case_reference": instance.reference}


def _history(instance: ProcessInstance, labels: CaseLabels) -> list[dict]:
    rows = db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance.id)
                              .options(selectinload(CaseEvent.task), selectinload(CaseEvent.actor))
                              .order_by(CaseEvent.id))
    result = []
    for event in rows:
        entry = history.entry(event, event.data)
        shown, raw = dict(entry.data), None
        if not shown and event.data:  # kinds the timeline shows without input (handover, referral, ...)
            raw = event.data
            names = {**labels.labels, **{k: str(v) for k, v in EVENT_DATA_LABELS.items()}}
            shown = {names.get(k, k): history.shown_value(v, k, names, labels.choices)
                     for k, v in event.data.items() if k not in INTERNAL_KEYS}
        result.append({**_ref(instance), "at": _at(event.created_at), "kind": event.kind,
                       "title": events.event_title(event), "by": _name(event.actor), "entries": shown,
                       "data": raw})
    return result


def _tasks(instance: ProcessInstance, labels: CaseLabels) -> list[dict]:
    """The case's task rows; with what a task holds beyond the case data (values saved before it
    was completed, the report a crisis task answers)."""
    return [{**_ref(instance), "id": t.id, "title": t.title, "kind": t.kind, "status": t.status,
             "status_label": _label(TASK_STATUS_LABELS, t.status), "created_at": _at(t.created_at),
             "due_at": _at(t.due_at), "completed_at": _at(t.completed_at), "completed_by": _name(t.completed_by),
             "assignee": _name(t.assignee), "team": t.candidate_team.name if t.candidate_team else None,
             "draft": labels.fields(t.draft) if t.draft else [], "context": t.context}
            for t in instance.tasks]


def _journal(instance: ProcessInstance) -> list[dict]:
    key = instance.version.model.key
    rows = db.session.scalars(select(JournalEntry).where(JournalEntry.instance_id == instance.id)
                              .options(selectinload(JournalEntry.revisions), selectinload(JournalEntry.topic_rows))
                              .order_by(JournalEntry.day, JournalEntry.id))

    def version(kind: str, day: date, minutes: int | None, topics: Iterable[str], text: str, steps: str) -> dict:
        return {"kind": kind, "kind_label": _label(KIND_LABELS, kind), "day": _day(day),
                "duration_minutes": minutes, "topics": [topic_label(key, t) for t in topics],
                "text": text, "next_steps": steps}

    return [{**_ref(instance), "id": e.id, "author": _name(e.author), "created_at": _at(e.created_at),
             "shared_with_volunteer": e.shared_with_volunteer, "corrected": e.corrected,
             **version(e.kind, e.day, e.duration_minutes, e.topics, e.text, e.next_steps),
             "revisions": [{"number": r.number, "author": _name(r.author), "created_at": _at(r.created_at),
                            "note": r.note,
                            **version(r.kind, r.day, r.duration_minutes, r.topics or [], r.text, r.next_steps)}
                           for r in e.revisions]}
            for e in rows]


def _labelled(fields: dict | None, labels: CaseLabels) -> dict:
    return {labels.labels.get(k, k): history.shown_value(v, k, labels.labels, labels.choices)
            for k, v in (fields or {}).items()}


def _plans(instance: ProcessInstance, labels: CaseLabels) -> tuple[list[dict], list[dict]]:
    goals = db.session.scalars(select(PlanGoal).where(PlanGoal.instance_id == instance.id)
                               .order_by(PlanGoal.position, PlanGoal.id))
    changes = db.session.scalars(select(PlanChange).where(PlanChange.instance_id == instance.id)
                                 .options(selectinload(PlanChange.actor)).order_by(PlanChange.id))
    return ([{**_ref(instance), "id": g.id, "fields": _labelled(g.fields, labels), "deadline": _day(g.frist),
              "status": g.status, "status_label": _label(STATUS_LABELS, g.status),
              "created_at": _at(g.created_at), "closed_at": _at(g.closed_at)} for g in goals],
            [{**_ref(instance), "goal_id": c.goal_id, "version": c.version, "kind": c.kind,
              "kind_label": _label(CHANGE_LABELS, c.kind), "at": _at(c.created_at), "by": _name(c.actor),
              "before": _labelled(c.before, labels), "after": _labelled(c.after, labels), "note": c.note}
             for c in changes])


def _appointments(instance: ProcessInstance) -> list[dict]:
    rows = db.session.scalars(select(Appointment).where(Appointment.instance_id == instance.id)
                              .options(selectinload(Appointment.participants)).order_by(Appointment.starts_at))
    return [{**_ref(instance), "id": a.id, "kind": a.kind, "kind_label": appointment_kind_label(a.kind),
             "title": a.title, "starts_at": _at(a.starts_at), "ends_at": _at(a.ends_at), "place": a.place,
             "language": a.language, "status": a.status, "status_label": _label(APPOINTMENT_STATUS_LABELS, a.status),
             "participants": [p.display_name for p in a.people], "created_by": _name(a.created_by),
             "created_at": _at(a.created_at)} for a in rows]


def _referrals(instance: ProcessInstance) -> list[dict]:
    return [{**_ref(instance), "id": r.id, "partner": r.partner.name, "partner_type": r.partner.typ,
             "partner_type_label": _label(TYPE_LABELS, r.partner.typ), "reason": r.anlass,
             "at": _at(r.created_at), "by": _name(r.created_by)} for r in referrals_of(instance.id)]


def _contacts(instance: ProcessInstance) -> list[dict]:
    _labels, choices = history.form_fields(CONTACT_FORM)
    rows = db.session.scalars(select(ContactRecord).where(ContactRecord.instance_id == instance.id)
                              .options(selectinload(ContactRecord.topics)).order_by(ContactRecord.datum))
    return [{**_ref(instance), "id": c.id, "day": _day(c.datum), "kind": c.art,
             "kind_label": choices.get("art", {}).get(c.art, c.art), "activity": c.taetigkeit,
             "activity_label": choices.get("taetigkeit", {}).get(c.taetigkeit, c.taetigkeit),
             "duration_minutes": c.dauer_minuten,
             "topics": [choices.get("themen", {}).get(t.topic, t.topic) for t in c.topics],
             "team": c.team.name if c.team is not None else None} for c in rows]


def _documents(instance: ProcessInstance) -> list[Document]:
    return list(db.session.scalars(select(Document).where(Document.instance_id == instance.id)
                                   .order_by(Document.uploaded_at, Document.id)))


def document_item(document: Document, instance: ProcessInstance, path: str | None, problem: str | None) -> dict:
    return {**_ref(instance), "id": document.id, "filename": document.filename,
            "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
            "category": document.category, "category_label": category_label(document), "note": document.note,
            "uploaded_at": _at(document.uploaded_at), "uploaded_by": _name(document.uploaded_by),
            "deleted_at": _at(document.deleted_at), "delete_reason": document.delete_reason or None,
            "file": path, "problem": problem}


def access_log(*, client_id: int | None, case_ids: list[int], references: dict[int, str]) -> list[dict]:
    """The access log rows of the person: those naming the client, or one of its cases."""
    conditions = []
    if client_id is not None:
        conditions.append(AccessLogEntry.client_id == client_id)
    if case_ids:
        conditions.append(AccessLogEntry.case_id.in_(case_ids))
    if not conditions:
        return []
    rows = list(db.session.scalars(select(AccessLogEntry).where(or_(*conditions))
                                   .order_by(AccessLogEntry.at, AccessLogEntry.id)))
    names = dict(db.session.execute(select(User.username, User.display_name).where(
        User.username.in_({r.username for r in rows if r.username}))).all()) if rows else {}
    return [{"at": _at(r.at), "user": r.username, "name": names.get(r.username), "role": r.role,
             "action": r.action, "action_label": _label(ACTION_LABELS, r.action), "object_type": r.object_type,
             "object_type_label": _label(OBJECT_LABELS, r.object_type), "object_id": r.object_id,
             "case_id": r.case_id, "case_reference": references.get(r.case_id) if r.case_id else None,
             "via": r.via, "substitution": r.substitution} for r in rows]


def report(*, exporter: User, now: datetime, client: Client | None, cases: list[ProcessInstance]) -> tuple[
        dict, list[tuple[Document, ProcessInstance]]]:
    """The report (JSON-plain, documents without their files yet) and the documents to add."""
    result: dict[str, Any] = {
        "format": FORMAT,
        "subject": "client" if client is not None else "case",
        "legal_basis": _("Art. 15 DSGVO (Auskunftsrecht der betroffenen Person)"),
        "created_at": iso(now), "created_by": {"username": exporter.username, "name": exporter.display_name},
        "client": client_section(client) if client is not None else None,
        "cases": [], "history": [], "tasks": [], "journal": [], "plan_goals": [], "plan_changes": [],
        "appointments": [], "referrals": [], "counselling_contacts": [], "documents": [], "access_log": [],
    }
    documents: list[tuple[Document, ProcessInstance]] = []
    every_label, every_choice = case_services.field_labels(), case_services.choice_labels()  # once per report
    for instance in cases:
        labels = CaseLabels(instance, every_label, every_choice)
        result["cases"].append(_case(instance, labels))
        result["history"] += _history(instance, labels)
        result["tasks"] += _tasks(instance, labels)
        result["journal"] += _journal(instance)
        goals, changes = _plans(instance, labels)
        result["plan_goals"] += goals
        result["plan_changes"] += changes
        result["appointments"] += _appointments(instance)
        result["referrals"] += _referrals(instance)
        result["counselling_contacts"] += _contacts(instance)
        documents += [(d, instance) for d in _documents(instance)]
    result["access_log"] = access_log(client_id=client.id if client is not None else None,
                                      case_ids=[c.id for c in cases],
                                      references={c.id: c.reference for c in cases})
    return result, documents
