"""Journal pages: the section of the case view, a new entry, a correction."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import JOURNAL
from app.auth.access import get_visible_instance_or_404
from app.auth.models import User
from app.cases.services import HISTORY, CasePanel, case_panels
from app.engine import service
from app.engine.models import LIMITED, ProcessInstance
from app.extensions import db
from app.journal import services
from app.journal import workload as _workload  # noqa: F401 - journal minutes in the working-time shares
from app.journal.forms import JournalEntryForm, correction_form, entry_form
from app.journal.models import KIND_LABELS, JournalEntry
from app.journal.topics import topic_label
from app.web.access import login_required

bp = Blueprint("journal", __name__, template_folder="../templates")


@case_panels.connect
def _journal_panel(instance: ProcessInstance, user=None, level=None, **_kw) -> CasePanel | None:
    """The journal beside the process history (order 10: before the history's other sections)."""
    if user is None or not services.may_read(level):
        return None
    return CasePanel("journal/_panel.html", HISTORY, 10, {
        "entries": services.entries_for(instance, user, level),
        "may_write": services.may_write(instance, level),
        "may_correct": lambda entry: services.may_correct(entry, user, level),
        "kind_labels": KIND_LABELS,
        "topic_label": lambda key: topic_label(services.process_key(instance), key),
    })


def _writable(instance_id: int) -> tuple[ProcessInstance, str]:
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if not services.may_write(instance, level):
        abort(403, _("In diesem Fall können Sie keine Journaleinträge schreiben (der Fall ist nicht aktiv)."))
    return instance, level


def follow_up_assignee(form: JournalEntryForm) -> User | None:
    """The chosen person (None: the writer); the choices are the case's follow-up people."""
    username = form.follow_up.form.assignee.data
    if not username:
        return None
    return db.session.scalar(select(User).where(User.username == username))


def save_entry(form: JournalEntryForm, instance: ProcessInstance, user: User, level: str) -> JournalEntry:
    """Write the validated form's entry (and follow-up); shared by the page and the API."""
    sub = form.follow_up.form
    return services.add_entry(
        instance, user, level, content(form),
        shared_with_volunteer=bool(form.shared_with_volunteer.data),
        follow_up=form.follow_up_wanted(), follow_up_due=sub.due.data,
        follow_up_assignee=follow_up_assignee(form))


def content(form) -> services.EntryData:
    return services.EntryData(kind=form.kind.data, day=form.date.data, text=form.text.data or "",
                              duration_minutes=form.duration_minutes.data, topics=tuple(form.topics.data or ()),
                              next_steps=form.next_steps.data or "")


@bp.route("/faelle/<int:instance_id>/journal/neu", methods=["GET", "POST"])
@login_required
def new(instance_id: int):
    instance, level = _writable(instance_id)
    if request.method == "POST":
        form = entry_form(instance, current_user, level, formdata=request.form)
        if form.validate():
            try:
                save_entry(form, instance, current_user, level)
            except service.ConflictError as exc:
                transaction.discard()
                flash(str(exc), "error")
                return _render_new(instance, level, form), 409
            flash(_("Journaleintrag gespeichert."), "success")
            return redirect(url_for("cases.view", instance_id=instance.id) + "#journal-h")
        return _render_new(instance, level, form), 422
    return _render_new(instance, level, entry_form(instance, current_user, level)), 200


def _render_new(instance: ProcessInstance, level: str, form: JournalEntryForm):
    return render_template("journal/new.html", instance=instance, form=form,
                           volunteer=level == LIMITED, offers_sharing=services.offers_sharing(instance))


@bp.route("/faelle/<int:instance_id>/journal/<int:entry_id>/korrigieren", methods=["GET", "POST"])
@login_required
def correct(instance_id: int, entry_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None or entry.instance_id != instance.id or not services.visible_to(entry, current_user, level):
        abort(404)
    if not services.may_correct(entry, current_user, level):
        abort(403, _("Nur die Person, die den Eintrag geschrieben hat, kann ihn korrigieren, solange der Fall läuft."))
    if request.method == "POST":
        form = correction_form(entry, formdata=request.form)
        if form.validate():
            services.correct_entry(entry, current_user, content(form), form.note.data or "")
            flash(_("Korrektur gespeichert; die frühere Fassung bleibt im Verlauf des Eintrags."), "success")
            return redirect(url_for("cases.view", instance_id=instance.id) + f"#journal-{entry.id}")
        status = 422
    else:
        form, status = correction_form(entry), 200
        accesslog.case_read(current_user, instance, object_type=JOURNAL, object_id=entry.id)
    return render_template("journal/correct.html", instance=instance, entry=entry, form=form), status
