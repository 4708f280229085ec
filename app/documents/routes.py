"""Document pages: a case's documents (list, upload), a volunteer's documents, download and the
recorded deletion; and the documents section of the case view (``case_panels``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import DOCUMENT
from app.auth.access import get_visible_instance_or_404
from app.auth.models import ROLE_EHRENAMT, ROLE_KOORDINATION
from app.cases import services as case_services
from app.documents import services
from app.documents.download import document_response, log_download
from app.documents.forms import (
    CASE_CATEGORIES,
    CONSENT,
    VOLUNTEER_CATEGORIES,
    DeleteForm,
    UploadForm,
    max_bytes,
    size_text,
)
from app.documents.models import Document
from app.engine.models import FULL
from app.web.access import login_required, roles_required
from app.web.bounds import body_limit

bp = Blueprint("documents", __name__, template_folder="../templates")
UPLOAD_ENDPOINTS = frozenset({"documents.case_documents", "documents.volunteer_documents"})


def upload_limit() -> int:
    """Bytes an upload request may bring: the file and the other fields. Larger bodies are cut
    off while being read (app/web/bounds.py) and answered by :func:`_too_large`."""
    return max_bytes() + 256 * 1024


def size(value: int | None) -> str:
    """A file size for people: '820 Bytes', '12,5 KB', '3,1 MB' (Babel numbers)."""
    if value is None:
        return "–"
    if value < 1024:
        return _("%(n)s Bytes", n=format_decimal(value))
    if value < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(round(value / 1024, 1)))
    return _("%(n)s MB", n=format_decimal(round(value / 2**20, 1)))


@bp.app_template_filter("dateigroesse")
def _size_filter(value: int | None) -> str:
    return size(value)


@bp.app_template_global("dokument_kategorie")
def _category(document: Document) -> str:
    return services.category_label(document)


def _upload_form(*, for_volunteer: bool = False, empty: bool = False) -> UploadForm:
    kwargs: dict = {"for_volunteer": for_volunteer}
    if empty:
        kwargs["formdata"] = None
    form = UploadForm(**kwargs)
    offered = {key for key, _label in (VOLUNTEER_CATEGORIES if for_volunteer else CASE_CATEGORIES)}
    if empty and request.args.get("kategorie") in offered:
        form.category.data = request.args["kategorie"]
    return form


# --- case documents ------------------------------------------------------------------------------

def _case_page(instance, level, form: UploadForm, status: int = 200):
    return render_template(
        "documents/case.html", instance=instance, level=level, form=form,
        documents=services.case_documents(instance, current_user, level),
        can_file=services.can_file_on_case(level),
        consent=_consent_state(instance) if level == FULL else None), status


def _consent_state(instance) -> dict | None:
    if not services.consent_recorded(instance):
        return None
    data = instance.data or {}
    return {"date": data.get("einwilligung_datum"), "form": data.get("einwilligung_form"),
            "signed": services.has_signed_consent(instance)}


@bp.route("/faelle/<int:instance_id>/dokumente", methods=["GET", "POST"])
@body_limit(upload_limit)
@login_required
def case_documents(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if request.method == "GET":
        accesslog.list_read(current_user, DOCUMENT, case_id=instance.id)
        return _case_page(instance, level, _upload_form(empty=True))
    if not services.can_file_on_case(level):
        return render_template("error.html", code=403, title=_("Keine Berechtigung"),
                               text=_("Dokumente zum Fall legen nur die Fachkräfte des Falls ab.")), 403
    form = _upload_form()
    if not form.validate_on_submit():
        return _case_page(instance, level, form, 413 if form.too_large else 422)
    assert form.sniffed is not None
    document = services.file_on_case(
        instance, current_user, content=form.content, sniffed=form.sniffed, filename=form.file.data.filename,
        category=form.category.data or "", note=form.note.data or "",
        shared_with_volunteer=bool(form.shared_with_volunteer.data))
    flash(_("Das Dokument „%(name)s“ wurde abgelegt.", name=document.filename), "success")
    return redirect(url_for("cases.view", instance_id=instance.id) + "#documents-h")


# --- a volunteer's documents -----------------------------------------------------------------------

def _volunteer_page(volunteer, form: UploadForm, status: int = 200):
    return render_template(
        "documents/volunteer.html", volunteer=volunteer, form=form,
        documents=services.volunteer_documents(volunteer),
        can_file=services.may_file_volunteer_documents(current_user), own=volunteer.id == current_user.id), status


def _volunteer_or_404(user_id: int):
    volunteer = services.volunteer_or_404(user_id)
    if not services.may_see_volunteer_documents(current_user, volunteer):
        abort(404)
    return volunteer


@bp.route("/ehrenamtliche/<int:user_id>/dokumente", methods=["GET", "POST"])
@body_limit(upload_limit)
@roles_required(ROLE_KOORDINATION, ROLE_EHRENAMT)
def volunteer_documents(user_id: int):
    volunteer = _volunteer_or_404(user_id)
    if request.method == "GET":
        accesslog.list_read(current_user, DOCUMENT)
        return _volunteer_page(volunteer, _upload_form(for_volunteer=True, empty=True))
    if not services.may_file_volunteer_documents(current_user):
        return render_template("error.html", code=403, title=_("Keine Berechtigung"),
                               text=_("Dokumente von Ehrenamtlichen legt die Koordinierungsstelle 201 ab.")), 403
    form = _upload_form(for_volunteer=True)
    if not form.validate_on_submit():
        return _volunteer_page(volunteer, form, 413 if form.too_large else 422)
    assert form.sniffed is not None
    document = services.file_on_volunteer(
        volunteer, current_user, content=form.content, sniffed=form.sniffed, filename=form.file.data.filename,
        category=form.category.data or "", note=form.note.data or "")
    flash(_("Das Dokument „%(name)s“ wurde abgelegt.", name=document.filename), "success")
    return redirect(url_for("documents.volunteer_documents", user_id=volunteer.id))


@bp.route("/ehrenamt/dokumente")
@roles_required(ROLE_EHRENAMT)
def my_documents():
    return redirect(url_for("documents.volunteer_documents", user_id=current_user.id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):
    """An upload above the request limit never reaches the form (the body is cut off while it is
    read): show the page again with the German message next to the file field."""
    transaction.discard()
    if request.endpoint not in UPLOAD_ENDPOINTS or not current_user.is_authenticated:
        return render_template("error.html", code=413, title=_("Zu groß"), text=size_text()), 413
    args = request.view_args or {}
    try:  # an error handler must answer, not raise: who may not see the page gets its 404
        if request.endpoint == "documents.case_documents":
            instance, level = get_visible_instance_or_404(current_user, args["instance_id"])
            form = _upload_form(empty=True)
            form.mark_too_large()
            return _case_page(instance, level, form, 413)
        volunteer = _volunteer_or_404(args["user_id"])
        form = _upload_form(for_volunteer=True, empty=True)
        form.mark_too_large()
        return _volunteer_page(volunteer, form, 413)
    except HTTPException as refused:
        from app.web import ERROR_TEXT

        code = refused.code or 404
        title, text = ERROR_TEXT.get(code, ERROR_TEXT[404])
        return render_template("error.html", code=code, title=title, text=text), code


# --- one document ----------------------------------------------------------------------------------

def _back(document: Document) -> str:
    if document.instance_id is not None:
        return url_for("cases.view", instance_id=document.instance_id) + "#documents-h"
    return url_for("documents.volunteer_documents", user_id=document.volunteer_id)


@bp.get("/dokumente/<int:document_id>")
@login_required
def download(document_id: int):
    document, _may_delete = services.visible_document_or_404(current_user, document_id)
    try:
        content = services.content_of(document)
    except services.FileChanged:
        return render_template("error.html", code=409, title=_("Datei verändert"),
                               text=services.changed_message()), 409
    log_download(current_user, document)
    return document_response(document, content)


@bp.route("/dokumente/<int:document_id>/loeschen", methods=["GET", "POST"])
@login_required
def delete(document_id: int):
    document, may_delete = services.visible_document_or_404(current_user, document_id)
    if not may_delete:
        return render_template("error.html", code=403, title=_("Keine Berechtigung"),
                               text=_("Sie dürfen dieses Dokument nicht löschen.")), 403
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete(document, current_user, form.reason.data or "")
        flash(_("Das Dokument „%(name)s“ wurde gelöscht.", name=document.filename), "success")
        return redirect(_back(document))
    return render_template("documents/delete.html", document=document, form=form, back=_back(document),
                           category=services.category_label(document)), 422 if form.errors else 200


# --- the section of the case view -----------------------------------------------------------------

@case_services.case_panels.connect
def _case_panel(instance, user=None, level=None, **_kwargs):
    if user is None or level is None:
        return None
    documents = services.case_documents(instance, user, level)
    can_file = services.can_file_on_case(level)
    if not documents and not can_file:
        return None  # a volunteer with nothing shared: no empty section
    return case_services.CasePanel("documents/_case_panel.html", case_services.MAIN, 60, {
        "documents": documents, "can_file": can_file,
        "form": _upload_form(empty=True) if can_file else None,
        "consent": _consent_state(instance) if level == FULL else None,
        "consent_category": CONSENT,
    })
