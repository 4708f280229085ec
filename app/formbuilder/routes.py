"""Browser pages of the form builder (/formulare) for process owners.

The editor works without JavaScript (app/formbuilder/editor.py: every button posts the whole
definition back); the preview is the real built form class rendered by the task page's macros.
A small script (static/formbuilder.js) refreshes the preview while typing through
``POST /formulare/vorschau``, which saves nothing.
"""

from __future__ import annotations

import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.formbuilder import editor, services
from app.web.access import roles_required
from forms import FormContext
from forms.base import AppForm
from forms.builder import FIELD_TYPES, TYPE_LABELS, build_form_class

bp = Blueprint("formbuilder", __name__)
owner_required = roles_required(ROLE_PROZESS, message=_l("Nur Prozessverantwortliche dürfen Formulare bearbeiten."))


class EditorForm(AppForm):
    """The CSRF token and the comment of the editor page (the rows are read by editor.py)."""

    comment = StringField(_l("Kommentar zur neuen Version"), [Length(max=1000)])


def preview_form(defn: dict):
    """The built form for the preview (names prefixed, so they never clash with the editor's), or
    None with the problems."""
    problems = services.check(defn)
    if problems:
        return None, problems
    form_cls = build_form_class(defn, cache=False)  # unsaved content: not kept in the class cache
    form = form_cls(formdata=None, meta={"csrf": False}, prefix="vorschau")
    form.configure(FormContext(data={}, today=datetime.date.today()))
    for name in getattr(form_cls, "blank_entries", {}):
        if not form[name].entries:
            form[name].append_entry()
    return form, []


@bp.get("/formulare")
@owner_required
def index():
    rows = [(form, services.newest_version(form)) for form in services.all_forms()]
    return render_template("formbuilder/index.html", rows=rows)


def _page(defn: dict, *, form=None, existing=None, problems=None, show_preview=True, status=200):
    preview, preview_problems = preview_form(defn) if show_preview else (None, [])
    return render_template(
        "formbuilder/edit.html", defn=defn, existing=existing, form=form or EditorForm(),
        errors=editor.errors_by_input(problems or []), problems=problems or [],
        preview=preview, preview_problems=preview_problems, types=[(t, TYPE_LABELS[t]) for t in FIELD_TYPES],
        choices_text=editor.choices_text, versions=list(existing.versions) if existing is not None else [],
        pins=services.pins_of(existing) if existing is not None else {}), status


@bp.route("/formulare/neu", methods=["GET", "POST"])
@owner_required
def new():
    if request.method == "GET":
        return _page({"key": "", "title": {"de": ""}, "fields": []}, show_preview=False)
    return _post(None)


@bp.route("/formulare/<key>", methods=["GET", "POST"])
@owner_required
def edit(key: str):
    existing = services.get_form(key)
    if existing is None:
        abort(404)
    if request.method == "GET":
        newest = services.newest_version(existing)
        return _page(dict(newest.definition) if newest else {"key": key, "title": {"de": ""}, "fields": []},
                     existing=existing)
    return _post(existing)


def _post(existing):
    form = EditorForm(formdata=request.form)
    defn = editor.definition_from(request.form, key=existing.key if existing is not None else None)
    action = str(request.form.get("action", "save"))
    if not form.validate():  # CSRF or the comment
        transaction.discard()
        return _page(defn, form=form, existing=existing, status=422)
    if action not in ("save", "preview"):
        editor.apply_action(defn, action, str(request.form.get("new_type", "")))
        return _page(defn, form=form, existing=existing)
    if action == "preview":
        return _page(defn, form=form, existing=existing, problems=services.check(defn))
    try:
        saved = services.save(defn, current_user, form.comment.data or "", create=existing is None)
    except services.DefinitionProblems as exc:
        transaction.discard()
        return _page(defn, form=form, existing=existing, problems=exc.problems, status=422)
    except services.FormExists:
        transaction.discard()
        problems = [{"path": "key", "message": _("Ein Formular mit diesem Schlüssel gibt es schon.")}]
        return _page(defn, form=form, existing=existing, problems=problems, status=422)
    if saved.created:
        flash(_("Version %(n)s des Formulars gespeichert.", n=saved.version.number), "success")
    else:
        flash(_("Keine Änderung: es wurde keine neue Version angelegt."), "info")
    return redirect(url_for("formbuilder.edit", key=saved.form.key))


@bp.post("/formulare/vorschau")
@owner_required
def preview():
    """The preview of the posted editor state as an HTML fragment (nothing is saved)."""
    form = EditorForm(formdata=request.form)
    if not form.validate():
        abort(400)
    defn = editor.definition_from(request.form)
    built, problems = preview_form(defn)
    return render_template("formbuilder/_preview.html", preview=built, preview_problems=problems)
