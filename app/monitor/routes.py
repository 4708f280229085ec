"""Monitor pages: instance list, live diagram per process version, one case with interventions."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import CASE
from app.auth.models import ROLE_LEITUNG
from app.engine import interventions, service
from app.engine.models import ProcessInstance, ProcessVersion
from app.extensions import db
from app.modeler.csp import diagram_csp, diagram_page
from app.monitor import actions, services
from app.monitor.forms import INTERVENTION_FORMS, FilterForm, choices
from app.timeutil import aware, utcnow
from app.web.access import roles_required

bp = Blueprint("monitor", __name__, template_folder="../templates")


@bp.context_processor
def _viewer() -> dict:
    """The bpmn-js bundle (built by ``make`` into static/build) may be missing: then the
    pages show the tables only and load no script."""
    return {"viewer_available": (Path(current_app.static_folder or "") / "build" / "viewer.js").exists()}


SUPERVISORS_ONLY = _l("Nur die Leitung eines Teams sieht den Monitor.")


def supervisor_required(view):
    """Role ``leitung`` and at least one led team; everyone else 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not services.led_team_ids(current_user):
            abort(403, str(SUPERVISORS_ONLY))
        return view(*args, **kwargs)

    return roles_required(ROLE_LEITUNG, message=SUPERVISORS_ONLY)(wrapper)


def _instance_or_404(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not services.can_intervene(current_user, instance):
        abort(404)
    return instance


def _version_or_404(key: str, number: int) -> ProcessVersion:
    models = {m.key: m for m in services.visible_models(current_user)}
    model = models.get(key)
    version = db.session.scalar(select(ProcessVersion).where(
        ProcessVersion.model_id == model.id, ProcessVersion.number == number)) if model else None
    if version is None:
        abort(404)
    return version


# --- the instance list -------------------------------------------------------------------

@bp.route("/monitor")
@supervisor_required
def index():
    form = FilterForm(formdata=request.args)
    models = services.visible_models(current_user)
    everything = [("", _("alle"))]
    form.prozess.choices = choices(everything + [(m.key, m.name) for m in models])
    form.team.choices = choices(everything + [(t.key, t.name) for t in services.led_teams(current_user)])
    form.schritt.choices = choices(everything + services.step_choices(current_user))
    valid = form.validate() if request.args else True
    sort = request.args.get("sort", "started_at")
    sort = sort if sort in services.SORTS else "started_at"
    descending = request.args.get("richtung", "ab" if sort == "started_at" else "auf") == "ab"
    filters = services.Filters(page=max(request.args.get("seite", 1, type=int), 1), sort=sort,
                               descending=descending)
    if valid:
        filters.process = form.prozess.data or None
        filters.version = form.version.data
        filters.status = form.status.data or None
        filters.team = form.team.data or None
        filters.step = form.schritt.data or None
        filters.overdue = bool(form.ueberfaellig.data)
        filters.crisis = bool(form.krise.data)
        filters.started_from, filters.started_to = form.von.data, form.bis.data
    now = utcnow()
    result = services.monitor_query(current_user, filters, now)
    accesslog.list_read(current_user, CASE)  # the list shows the cases' names
    args = {k: v for k, v in request.args.items() if k not in ("seite", "sort", "richtung") and v}
    versions = [(m, v) for m in models for v in m.versions]
    return render_template("monitor/index.html", form=form, result=result, filters=filters, args=args,
                           now=now, aware=aware, versions=versions), 200 if valid else 422


# --- live diagram ------------------------------------------------------------------------

@bp.route("/monitor/prozesse/<key>/<int:number>")
@supervisor_required
@diagram_page
def diagram(key: str, number: int):
    version = _version_or_404(key, number)
    counts = services.diagram_counts(current_user, version)
    titles = {b: info.title for b, info in service.parsed_version(version).user_tasks.items()}
    rows = [(b, titles.get(b) or c["title"], c) for b, c in counts.items()]
    for bpmn_id, title in titles.items():
        if bpmn_id not in counts:
            rows.append((bpmn_id, title, {"waiting": 0, "overdue": 0, "paused": 0}))
    rows.sort(key=lambda r: (-r[2]["waiting"], r[1]))
    return render_template("monitor/diagram.html", version=version, rows=rows,
                           data_url=url_for("monitor.diagram_counts", key=key, number=number),
                           bpmn_url=url_for("monitor.diagram_xml", key=key, number=number))


@bp.route("/monitor/prozesse/<key>/<int:number>/zahlen.json")
@supervisor_required
def diagram_counts(key: str, number: int):
    version = _version_or_404(key, number)
    return jsonify({"process": key, "version": number,
                    "elements": services.diagram_counts(current_user, version)})


@bp.route("/monitor/prozesse/<key>/<int:number>/diagramm.bpmn")
@supervisor_required
def diagram_xml(key: str, number: int):
    version = _version_or_404(key, number)
    return Response(version.bpmn_xml, mimetype="application/xml")


# --- one case ----------------------------------------------------------------------------

@bp.route("/monitor/faelle/<int:instance_id>")
@supervisor_required
@diagram_page
def case(instance_id: int):
    instance = _instance_or_404(instance_id)
    accesslog.case_read(current_user, instance)  # the supervisor's view shows the case's name
    return _render_case(instance)


def _render_case(instance: ProcessInstance, failed: tuple[str, object] | None = None, status: int = 200):
    kinds = actions.available(instance)
    targets = interventions.reset_targets(instance) if "reset" in kinds else []
    forms = {kind: actions.build_form(kind, instance, targets=targets, formdata=MultiDict()) for kind in kinds}
    if failed is not None:
        forms[failed[0]] = failed[1]
    version = instance.version
    return render_template(
        "monitor/case.html", instance=instance, forms=forms, timeline=services.timeline(instance),
        path=services.case_path(instance), open_tasks=actions.open_tasks(instance),
        fmt=services.format_duration, version=version, has_targets=bool(targets),
        data_url=url_for("monitor.case_path", instance_id=instance.id),
        bpmn_url=url_for("monitor.diagram_xml", key=version.model.key, number=version.number),
    ), status


@bp.route("/monitor/faelle/<int:instance_id>/pfad.json")
@supervisor_required
def case_path(instance_id: int):
    instance = _instance_or_404(instance_id)
    return jsonify({"instance": instance.id, "status": instance.status, **services.case_path(instance)})


@bp.route("/monitor/faelle/<int:instance_id>/eingriff/<kind>", methods=["POST"])
@supervisor_required
def intervene(instance_id: int, kind: str):
    instance = _instance_or_404(instance_id)
    if kind not in INTERVENTION_FORMS:
        abort(404)
    if kind not in actions.available(instance):
        flash(_("Dieser Eingriff ist im aktuellen Status des Falls nicht möglich."), "error")
        return redirect(url_for("monitor.case", instance_id=instance.id))
    form = actions.build_form(kind, instance, formdata=request.form)
    if not form.validate():
        return diagram_csp(make_response(_render_case(instance, failed=(kind, form), status=422)))
    try:
        message = actions.apply(kind, instance, form, current_user)
    except (service.ConflictError, service.EngineError) as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("monitor.case", instance_id=instance_id))
    flash(message, "success")
    return redirect(url_for("monitor.case", instance_id=instance_id))

