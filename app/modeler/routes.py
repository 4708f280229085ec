"""Pages of the process owner: models, drafts in the modeler, versions, outline, diff, migration.

Only users with the role ``prozess`` may use them (403 for everyone else, checked per request).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.auth.routes import PostForm
from app.engine import migration
from app.engine.lanes import known_lanes
from app.engine.models import RUNNING, ProcessInstance, ProcessModel, ProcessVersion, Task
from app.engine.service import latest_version
from app.extensions import db
from app.modeler import services
from app.modeler.csp import diagram_page
from app.modeler.diff import diff_versions
from app.modeler.forms import PublishForm, SaveForm, UploadForm
from app.modeler.inspect import lane_rule_text
from app.modeler.lookup import draft_or_404 as _draft
from app.modeler.lookup import model_or_404 as _model
from app.modeler.models import PUBLISHED, SUBMITTED, ProcessDraft
from app.modeler.outline import build_outline
from app.modeler.validation import form_registry
from app.modeler.xmlsafe import TooLarge, UnsafeXml
from app.web.access import roles_required
from app.web.bounds import body_limit, bounded_int
from forms import FORMS

bp = Blueprint("modeler", __name__, template_folder="../templates")


process_owner_required = roles_required(ROLE_PROZESS)


def _version(model: ProcessModel, number: int) -> ProcessVersion:
    version = db.session.scalar(select(ProcessVersion).where(
        ProcessVersion.model_id == model.id, ProcessVersion.number == number))
    if version is None:
        abort(404)
    return version


def _uploaded_bytes(form: UploadForm) -> bytes:
    limit = services.max_bytes()
    data = form.bpmn_file.data.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(_("Die Datei ist zu groß (höchstens %(kb)s KB).", kb=limit // 1024))
    return data


def _upload_limit() -> int:
    """Bytes a modeler form may post: the BPMN file and the other fields (app/bounds.py)."""
    return services.max_bytes() + 65536


def _refuse_huge_request() -> None:
    if request.content_length is not None and request.content_length > services.max_bytes() + 65536:
        abort(413, _("Die Datei ist zu groß (höchstens %(kb)s KB).", kb=services.max_bytes() // 1024))


def _versions(model: ProcessModel) -> list[ProcessVersion]:
    return list(db.session.scalars(select(ProcessVersion).where(ProcessVersion.model_id == model.id)
                                   .order_by(ProcessVersion.number.desc())))


def _approvals(model: ProcessModel) -> dict[int, ProcessDraft]:
    drafts = db.session.scalars(select(ProcessDraft).where(
        ProcessDraft.model_id == model.id, ProcessDraft.status == PUBLISHED))
    return {d.published_version_id: d for d in drafts if d.published_version_id}


# --- overview and model page -----------------------------------------------------------------

@bp.get("/prozessmodelle")
@process_owner_required
def index():
    models = db.session.scalars(select(ProcessModel).order_by(ProcessModel.name)).all()
    rows = [(m, latest_version(m), services.open_drafts(m)) for m in models]
    return render_template("modeler/index.html", rows=rows)


@bp.get("/prozessmodelle/<key>")
@process_owner_required
def model(key: str):
    return _model_page(_model(key), UploadForm())


def _model_page(model: ProcessModel, upload: UploadForm, status: int = 200):
    versions = _versions(model)
    return render_template("modeler/model.html", model=model, versions=versions, drafts=services.open_drafts(model),
                           approvals=_approvals(model), upload=upload,
                           four_eyes=services.four_eyes(model), failing=services.failing_cases(model)), status


@bp.post("/prozessmodelle/<key>/entwuerfe")
@body_limit(_upload_limit)
@process_owner_required
def create_draft(key: str):
    model = _model(key)
    _refuse_huge_request()
    if request.form.get("from") == "newest":
        if not PostForm().validate_on_submit():
            abort(400)
        draft = services.create_draft(model, current_user)
    else:
        upload = UploadForm()
        if not upload.validate_on_submit():
            return _model_page(model, upload, 422)
        try:
            draft = services.create_draft(model, current_user, _uploaded_bytes(upload),
                                          comment=_("Hochgeladen: %(name)s", name=upload.bpmn_file.data.filename or ""))
        except UnsafeXml as exc:
            transaction.discard()
            upload.bpmn_file.errors = [str(exc)]
            return _model_page(model, upload, exc.status)
    flash(_("Entwurf angelegt.") if draft.valid else
          _("Entwurf angelegt. Vor dem Veröffentlichen sind Probleme zu beheben."), "success")
    return redirect(url_for("modeler.draft", key=key, draft_id=draft.id))


# --- the modeler -----------------------------------------------------------------------------

def _draft_page(model, draft, *, save=None, publish=None, upload=None, status=200):
    forms = [{"key": k, "title": str(cls.title) if k in FORMS else _("%(title)s (Formular-Baukasten)", title=cls.title)}
             for k, cls in sorted(form_registry().items())]
    lanes = [{"key": k, "description": lane_rule_text(k, model.id)} for k in known_lanes(model.key)]
    return render_template("modeler/draft.html", model=model, draft=draft, forms=forms, lanes=lanes,
                           save=save or SaveForm(), publish=publish or PublishForm(comment=draft.comment),
                           upload=upload or UploadForm(), four_eyes=services.four_eyes(model),
                           editable=draft.status in ("draft", SUBMITTED)), status


@bp.get("/prozessmodelle/<key>/entwuerfe/<int:draft_id>")
@process_owner_required
@diagram_page
def draft(key: str, draft_id: int):
    model = _model(key)
    return _draft_page(model, _draft(model, draft_id))


@bp.get("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/bpmn")
@process_owner_required
def draft_bpmn(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    return _xml_response(draft.bpmn_xml, f"{model.key}-entwurf-{draft.id}.bpmn")


def _xml_response(xml: str, filename: str) -> Response:
    response = Response(xml, mimetype="application/xml")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _save_from_request(model, draft) -> tuple[bool, object]:
    """Apply posted XML (hidden field) or an uploaded file to the draft; (ok, error page)."""
    _refuse_huge_request()
    data = None
    if request.files.get("bpmn_file"):
        upload = UploadForm()
        if not upload.validate_on_submit():
            return False, _draft_page(model, draft, upload=upload, status=422)
        try:
            data = _uploaded_bytes(upload)
        except UnsafeXml as exc:
            upload.bpmn_file.errors = [str(exc)]
            return False, _draft_page(model, draft, upload=upload, status=exc.status)
    elif request.form.get("bpmn_xml"):
        data = request.form["bpmn_xml"].encode("utf-8")
    if data is None:
        return True, None
    try:
        services.update_draft(draft, current_user, data)
    except UnsafeXml as exc:
        transaction.discard()
        flash(str(exc), "error")
        return False, _draft_page(model, draft, status=exc.status)
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return False, _draft_page(model, draft, status=409)
    return True, None


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>")
@body_limit(_upload_limit)
@process_owner_required
@diagram_page
def save_draft(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    form = UploadForm() if request.files.get("bpmn_file") else SaveForm()
    if not form.validate_on_submit() and not isinstance(form, UploadForm):
        abort(400)
    ok, page = _save_from_request(model, draft)
    if not ok:
        return page
    flash(_("Entwurf gespeichert.") if draft.valid else
          _("Entwurf gespeichert. Vor dem Veröffentlichen sind Probleme zu beheben."), "success")
    return redirect(url_for("modeler.draft", key=key, draft_id=draft.id))


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/veroeffentlichen")
@body_limit(_upload_limit)
@process_owner_required
@diagram_page
def publish(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    form = PublishForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _draft_page(model, draft, publish=form, status=422)
    ok, page = _save_from_request(model, draft)
    if not ok:
        return page
    try:
        version = services.request_publish(draft, current_user, form.comment.data)
    except services.PublishRefused as exc:
        problems = [p.as_dict() for p in exc.problems]
        transaction.discard()
        draft = _draft(model, draft_id)
        if request.form.get("bpmn_xml"):  # keep what was posted, so nothing edited is lost
            services.update_draft(draft, current_user, request.form["bpmn_xml"].encode("utf-8"))
            transaction.keep()  # committed although the answer is 422
        set_committed_value(draft, "problems", problems)  # shown on the page, not stored
        flash(_("Nicht veröffentlicht: das Modell hat %(n)s Problem(e).", n=len(problems)), "error")
        return _draft_page(model, draft, status=422)
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _draft_page(model, _draft(model, draft_id), status=409)
    if version is None:
        flash(_("Zur Freigabe vorgelegt: eine zweite prozessverantwortliche Person muss zustimmen."), "success")
        return redirect(url_for("modeler.draft", key=key, draft_id=draft.id))
    flash(_("Version %(n)s veröffentlicht. Neue Fälle starten mit dieser Version.", n=version.number), "success")
    return redirect(url_for("modeler.model", key=key))


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/freigeben")
@process_owner_required
def approve(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        version = services.approve(draft, current_user)
    except services.NotAllowed as exc:  # e.g. the author of the draft: a second person must approve
        transaction.discard()
        abort(403, str(exc))
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("modeler_approval.page", key=key, draft_id=draft_id))
    flash(_("Freigegeben: Version %(n)s ist veröffentlicht.", n=version.number), "success")
    return redirect(url_for("modeler.model", key=key))


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/verwerfen")
@process_owner_required
def discard(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.discard_draft(draft, current_user)
    except services.ModelerError as exc:
        flash(str(exc), "error")
        return redirect(url_for("modeler.model", key=key))
    flash(_("Entwurf verworfen."), "success")
    return redirect(url_for("modeler.model", key=key))


# --- versions --------------------------------------------------------------------------------

@bp.get("/prozessmodelle/<key>/versionen/<int:number>")
@process_owner_required
def outline(key: str, number: int):
    model = _model(key)
    version = _version(model, number)
    return render_template("modeler/outline.html", model=model, version=version,
                           outline=build_outline(version.bpmn_xml, model.key))


@bp.get("/prozessmodelle/<key>/versionen/<int:number>/bpmn")
@process_owner_required
def version_bpmn(key: str, number: int):
    model = _model(key)
    version = _version(model, number)
    return _xml_response(version.bpmn_xml, f"{model.key}-v{version.number}.bpmn")


@bp.post("/prozessmodelle/<key>/versionen/<int:number>/erneut-veroeffentlichen")
@process_owner_required
def republish(key: str, number: int):
    model = _model(key)
    version = _version(model, number)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        draft, new_version = services.republish(version, current_user)
    except services.PublishRefused as exc:
        transaction.discard()
        flash(_("Version %(n)s lässt sich nicht erneut veröffentlichen: %(p)s", n=number,
                p="; ".join(p.message for p in exc.problems[:3])), "error")
        return redirect(url_for("modeler.model", key=key))
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("modeler.model", key=key))
    if new_version is None:
        flash(_("Die Wiederherstellung von Version %(n)s wartet auf Freigabe.", n=number), "success")
        return redirect(url_for("modeler.draft", key=key, draft_id=draft.id))
    flash(_("Der Inhalt von Version %(old)s ist jetzt als Version %(new)s veröffentlicht.",
            old=number, new=new_version.number), "success")
    return redirect(url_for("modeler.model", key=key))


@bp.get("/prozessmodelle/<key>/vergleich")
@process_owner_required
def compare(key: str):
    model = _model(key)
    versions = _versions(model)
    if not versions:
        abort(404)
    numbers = [v.number for v in versions]
    try:
        new_n = bounded_int(request.args.get("bis") or str(numbers[0]))  # beyond 2**31-1: 404
        old_n = bounded_int(request.args.get("von") or str(numbers[1] if len(numbers) > 1 else numbers[0]))
    except ValueError:
        abort(400)
    old, new = _version(model, old_n), _version(model, new_n)
    return render_template("modeler/diff.html", model=model, versions=versions, old=old, new=new,
                           diff=diff_versions(old.bpmn_xml, new.bpmn_xml, model.key))


# --- migration of running cases ----------------------------------------------------------------

def _running_on_old(model: ProcessModel, newest: ProcessVersion) -> list[ProcessInstance]:
    return list(db.session.scalars(
        select(ProcessInstance).join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
        .where(ProcessVersion.model_id == model.id, ProcessVersion.number < newest.number,
               ProcessInstance.status == RUNNING)
        .order_by(ProcessInstance.id).limit(500)))


def _open_steps(instance: ProcessInstance) -> list[str]:
    return list(db.session.scalars(select(Task.title).where(
        Task.instance_id == instance.id, Task.status.in_(("open", "claimed"))).order_by(Task.id)))


@bp.get("/prozessmodelle/<key>/faelle")
@process_owner_required
def cases(key: str):
    model = _model(key)
    newest = latest_version(model)
    if newest is None:
        abort(404)
    rows = [(i, _open_steps(i), migration.check(i, newest)) for i in _running_on_old(model, newest)]
    return render_template("modeler/cases.html", model=model, newest=newest, rows=rows)


@bp.post("/prozessmodelle/<key>/faelle/<int:instance_id>/umstellen")
@process_owner_required
def migrate_one(key: str, instance_id: int):
    model = _model(key)
    newest = latest_version(model)
    instance = db.session.get(ProcessInstance, instance_id)
    if newest is None or instance is None or instance.version.model_id != model.id:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        migration.migrate(instance, newest, current_user)
    except migration.MigrationRefused as exc:
        transaction.discard()
        flash(_("Fall %(ref)s nicht umgestellt: %(why)s", ref=instance.reference, why="; ".join(exc.reasons)),
              "error")
        return redirect(url_for("modeler.cases", key=key))
    flash(_("Fall %(ref)s läuft jetzt auf Version %(n)s.", ref=instance.reference, n=newest.number), "success")
    return redirect(url_for("modeler.cases", key=key))


@bp.post("/prozessmodelle/<key>/faelle/umstellen")
@process_owner_required
def migrate_all(key: str):
    model = _model(key)
    newest = latest_version(model)
    if newest is None:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    moved, refused = [], []
    for instance in _running_on_old(model, newest):
        try:
            with db.session.begin_nested():
                migration.migrate(instance, newest, current_user)
            moved.append(instance.reference)
        except (migration.MigrationRefused, Exception) as exc:  # noqa: BLE001 - one case never stops the rest
            current_app.logger.info("migration of %s refused: %s", instance.reference, exc)
            refused.append(instance.reference)
    flash(_("%(moved)s Fall/Fälle auf Version %(n)s umgestellt; %(refused)s nicht umstellbar.",
            moved=len(moved), n=newest.number, refused=len(refused)), "success")
    return redirect(url_for("modeler.cases", key=key))


from app.modeler import condition_routes  # noqa: E402 - JSON routes of the condition editor

condition_routes.register(bp)
