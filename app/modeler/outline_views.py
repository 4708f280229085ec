"""The outline of a draft as an editing path without the diagram (keyboard, screen reader):
rename a step; change a user task's form, lane and deadline; insert a user task after a step;
delete a step. Each edit is a plain form; the XML work is in ``outline_edit``, and the result is
saved through ``services.update_draft``, which validates it like the canvas.

A blueprint of its own (registered in ``app/__init__.py``, so that ``routes`` need not import
this module); process owners only, like every modeler page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.auth.routes import PostForm
from app.modeler import durations, outline_edit, services
from app.modeler.forms import PublishForm
from app.modeler.inspect import lane_rule_text
from app.modeler.models import OPEN_DRAFT_STATES, ProcessDraft
from app.modeler.outline import build_outline
from app.modeler.outline_forms import StepNameForm, UserTaskForm
from app.modeler.routes import _draft, _model, process_owner_required
from app.modeler.validation import form_registry
from app.modeler.xmlsafe import UnsafeXml

bp = Blueprint("modeler_outline", __name__, template_folder="../templates")
BASE = "/prozessmodelle/<key>/entwuerfe/<int:draft_id>/gliederung"


def form_choices(process_key: str) -> list[tuple[str, str]]:
    """(key, "Title (key)") of every form a user task may name: the process's own first, by title."""
    entries = [(key, str(getattr(value, "title", "") or key)) for key, value in form_registry().items()]
    entries.sort(key=lambda e: (not e[0].startswith(f"{process_key}."), e[1].lower(), e[0]))
    return [(key, f"{title} ({key})") for key, title in entries]


def lane_options(model, draft) -> list[tuple[str, str]]:
    """(lane name, "name – who gets its tasks") for the lane select."""
    return [(name, f"{name} – {lane_rule_text(name)}")
            for name in outline_edit.lane_choices(draft.bpmn_xml, model.key)]


def form_titles() -> dict[str, str]:
    return {key: str(getattr(value, "title", "") or key) for key, value in form_registry().items()}


def _open(draft: ProcessDraft) -> bool:
    return draft.status in OPEN_DRAFT_STATES


def _step_state(model, draft, element_id: str) -> outline_edit.StepState:
    try:
        return outline_edit.state(draft.bpmn_xml, model.key, element_id)
    except outline_edit.EditRefused:
        abort(404)


def _refuse_closed(model, draft):
    flash(_("Dieser Entwurf ist bereits veröffentlicht oder verworfen und lässt sich nicht mehr ändern."), "error")
    return _outline_page(model, draft, status=409)


def _outline_page(model, draft, status: int = 200):
    try:
        states = outline_edit.states(draft.bpmn_xml, model.key)
        outline = build_outline(draft.bpmn_xml, model.key)
    except outline_edit.EditRefused as exc:
        flash(str(exc), "error")
        outline, states = None, {}
    return render_template("modeler/outline_draft.html", model=model, draft=draft, outline=outline,
                           states=states,
                           form_titles=form_titles(), due_label=durations.label, editable=_open(draft),
                           publish=PublishForm(comment=draft.comment), four_eyes=services.four_eyes()), status


def _save(model, draft, xml: str) -> None:
    """Store the edited XML through the modeler's own save (validation, problems, status)."""
    services.update_draft(draft, current_user, xml)


def _changed_meanwhile(draft: ProcessDraft, base: str | None) -> bool:
    return bool(base) and base != draft.content_hash


def _refuse_changed(model, draft):
    flash(_("Der Entwurf wurde inzwischen geändert (im Diagramm oder von einer anderen Person). Bitte prüfen "
            "Sie den aktuellen Stand und geben Sie Ihre Änderung erneut ein."), "error")
    return _outline_page(model, draft, status=409)


def _saved_message(draft: ProcessDraft, text: str) -> None:
    if draft.valid:
        flash(text, "success")
    else:
        flash(_("%(text)s Vor dem Veröffentlichen sind Probleme zu beheben (siehe Prüfung).", text=text), "success")


@bp.get(BASE)
@process_owner_required
def draft_outline(key: str, draft_id: int):
    model = _model(key)
    return _outline_page(model, _draft(model, draft_id))


@bp.route(f"{BASE}/<element_id>", methods=["GET", "POST"])
@process_owner_required
def outline_step(key: str, draft_id: int, element_id: str):
    model = _model(key)
    draft = _draft(model, draft_id)
    step = _step_state(model, draft, element_id)
    if not _open(draft):
        return _refuse_closed(model, draft)
    form: StepNameForm
    if step.kind == "userTask":
        simple = durations.from_iso(step.due_in)
        form = UserTaskForm(data={"name": step.name, "form_key": step.form_key, "lane": step.lane,
                                  "due_amount": str(simple[0]) if simple else "",
                                  "due_unit": simple[1] if simple else "tage"})
        form.configure(form_choices(model.key), lane_options(model, draft), step.form_key)
    else:
        form = StepNameForm(data={"name": step.name})
    if not form.is_submitted():
        form.base.data = draft.content_hash
        return _step_page(model, draft, step, form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _step_page(model, draft, step, form, status=422)
    if _changed_meanwhile(draft, form.base.data):
        return _refuse_changed(model, draft)
    try:
        if isinstance(form, UserTaskForm):
            due_in = form.due_in()
            if due_in is None and step.due_in and durations.from_iso(step.due_in) is None:
                due_in = step.due_in  # an expert value without a simple form stays
            xml = outline_edit.update_task(draft.bpmn_xml, model.key, element_id, name=form.name.data or "",
                                           form_key=form.form_key.data, lane=form.lane.data or "", due_in=due_in)
        else:
            xml = outline_edit.rename(draft.bpmn_xml, model.key, element_id, form.name.data or "")
        _save(model, draft, xml)
    except outline_edit.EditRefused as exc:
        form.name.errors = [*form.name.errors, str(exc)]
        return _step_page(model, draft, step, form, status=422)
    except UnsafeXml as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _step_page(model, draft, step, form, status=exc.status)
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _step_page(model, _draft(model, draft_id), step, form, status=409)
    _saved_message(draft, _("Schritt „%(name)s“ gespeichert.", name=form.name.data))
    return redirect(url_for("modeler_outline.draft_outline", key=key, draft_id=draft_id, _anchor=f"step-{element_id}"))


def _step_page(model, draft, step, form, status: int = 200, delete_error: str | None = None):
    return render_template("modeler/outline_step.html", model=model, draft=draft, step=step, form=form,
                           delete_form=PostForm(), delete_error=delete_error, form_titles=form_titles(),
                           due_label=durations.label), status


@bp.route(f"{BASE}/<element_id>/danach-einfuegen", methods=["GET", "POST"])
@process_owner_required
def outline_insert(key: str, draft_id: int, element_id: str):
    model = _model(key)
    draft = _draft(model, draft_id)
    step = _step_state(model, draft, element_id)
    if not _open(draft):
        return _refuse_closed(model, draft)
    form = UserTaskForm(data={"lane": step.lane, "due_unit": "tage"})
    form.configure(form_choices(model.key), lane_options(model, draft))
    if not form.is_submitted():
        form.base.data = draft.content_hash
        return _insert_page(model, draft, step, form)
    if step.insert_refusal:
        return _insert_page(model, draft, step, form, status=422)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _insert_page(model, draft, step, form, status=422)
    if _changed_meanwhile(draft, form.base.data):
        return _refuse_changed(model, draft)
    try:
        xml, new_id = outline_edit.insert_after(draft.bpmn_xml, model.key, element_id, name=form.name.data or "",
                                                form_key=form.form_key.data, lane=form.lane.data or "",
                                                due_in=form.due_in())
        _save(model, draft, xml)
    except outline_edit.EditRefused as exc:
        form.name.errors = [*form.name.errors, str(exc)]
        return _insert_page(model, draft, step, form, status=422)
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _insert_page(model, _draft(model, draft_id), step, form, status=409)
    _saved_message(draft, _("Schritt „%(name)s“ nach „%(after)s“ eingefügt.", name=form.name.data or "",
                            after=step.name or step.id))
    return redirect(url_for("modeler_outline.draft_outline", key=key, draft_id=draft_id, _anchor=f"step-{new_id}"))


def _insert_page(model, draft, step, form, status: int = 200):
    return render_template("modeler/outline_insert.html", model=model, draft=draft, step=step, form=form), status


@bp.post(f"{BASE}/<element_id>/loeschen")
@process_owner_required
def outline_delete(key: str, draft_id: int, element_id: str):
    model = _model(key)
    draft = _draft(model, draft_id)
    step = _step_state(model, draft, element_id)
    if not PostForm().validate_on_submit():
        abort(400)
    if not _open(draft):
        return _refuse_closed(model, draft)
    if _changed_meanwhile(draft, request.form.get("base")):
        return _refuse_changed(model, draft)
    try:
        xml = outline_edit.delete(draft.bpmn_xml, model.key, element_id)
        _save(model, draft, xml)
    except outline_edit.EditRefused as exc:
        return _delete_refused(model, draft, step, str(exc))
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _outline_page(model, _draft(model, draft_id), status=409)
    _saved_message(draft, _("Schritt „%(name)s“ gelöscht.", name=step.name or step.id))
    return redirect(url_for("modeler_outline.draft_outline", key=key, draft_id=draft_id))


def _delete_refused(model, draft, step, reason: str):
    if step.kind == "userTask":
        form: StepNameForm = UserTaskForm(data={"name": step.name, "form_key": step.form_key, "lane": step.lane})
        form.configure(form_choices(model.key), lane_options(model, draft), step.form_key)
    else:
        form = StepNameForm(data={"name": step.name})
    return _step_page(model, draft, step, form, status=422, delete_error=reason)
