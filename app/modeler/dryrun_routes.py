"""The dry-run page of a draft (``/prozessmodelle/<key>/entwuerfe/<id>/probelauf``), no JavaScript.

Stateless replay: the page keeps every answer so far in a hidden JSON field (``_probelauf``: the
start moment, the posted fields of each completed step, the timers let fire) and runs the draft
from its start on every request (``app.modeler.dryrun``). Nothing is stored. Its own blueprint
(``dryrun``, registered in ``app.create_app``) beside the modeler's pages.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from app.auth.routes import PostForm
from app.modeler import dryrun
from app.modeler.inspect import lane_rule_text
from app.modeler.routes import _draft, _model, process_owner_required
from app.web.bounds import body_limit

STATE_FIELD, ACTION_FIELD, TIMER_FIELD, TASK_FIELD = "_probelauf", "_aktion", "_zeitgeber", "_aufgabe"
NOT_STEP_DATA = {"csrf_token", STATE_FIELD, ACTION_FIELD, TIMER_FIELD, TASK_FIELD}
MAX_STATE_BYTES = 256 * 1024

bp = Blueprint("dryrun", __name__, template_folder="../templates")

KIND_LABELS = {
    "startEvent": _l("Start"), "endEvent": _l("Ende"), "userTask": _l("Aufgabe"), "manualTask": _l("Aufgabe"),
    "scriptTask": _l("Skript"), "businessRuleTask": _l("Entscheidungstabelle"), "serviceTask": _l("Dienst"),
    "exclusiveGateway": _l("Gateway"), "inclusiveGateway": _l("Gateway"),
    "parallelGateway": _l("Parallele Verzweigung"), "eventBasedGateway": _l("Ereignis-Gateway"),
    "intermediateCatchEvent": _l("Zwischenereignis"), "intermediateThrowEvent": _l("Zwischenereignis"),
    "boundaryEvent": _l("Randereignis"), "subProcess": _l("Teilprozess"), "callActivity": _l("Aufruf"),
    "task": _l("Schritt"),
}
TIMER_STATUS = {"waiting": _l("läuft"), "fired": _l("abgelaufen"), "cancelled": _l("entfallen")}
TIMER_KINDS = {"intermediate": _l("Zwischenereignis"), "boundary": _l("Randereignis"), "start": _l("Startereignis")}


def _state_from_request() -> dict[str, Any]:
    raw = request.form.get(STATE_FIELD, "")
    if len(raw) > MAX_STATE_BYTES:
        abort(413)
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        abort(400)
    if not isinstance(state, dict):
        abort(400)
    steps, timers, now = state.get("steps", {}), state.get("timers", []), state.get("now")
    if not isinstance(steps, dict) or not isinstance(timers, list) or not all(isinstance(t, str) for t in timers):
        abort(400)
    if not all(isinstance(v, list) and all(isinstance(e, list) for e in v) for v in steps.values()):
        abort(400)
    if sum(len(v) for v in steps.values()) + len(timers) > dryrun.MAX_STEPS:
        abort(400)
    moment = dryrun.parse_moment(now) if now is not None else None
    if now is not None and moment is None:
        abort(400)
    return {"now": dryrun.start_moment(moment).isoformat(), "steps": steps, "timers": timers}


def _given(state: dict[str, Any]) -> dryrun.DryRunInput:
    return dryrun.DryRunInput(steps=state["steps"], timers=list(state["timers"]),
                              now=dryrun.parse_moment(state["now"]), form=True)


def _path(result) -> list[dict[str, Any]]:
    """The path as the page lists it: one entry per completed element, gateways with their choice."""
    decisions: dict[str, list] = {}
    for decision in result.gateways:
        decisions.setdefault(decision.element_id, []).append(decision)
    fired = {t.element_id: t for t in result.timers if t.status == "fired"}
    entries = []
    for element_id in result.path:
        kind = result.kinds.get(element_id, "")
        entry: dict[str, Any] = {"id": element_id, "name": result.names.get(element_id, element_id), "kind": kind,
                                 "label": KIND_LABELS.get(kind, kind)}
        if decisions.get(element_id):
            decision = decisions[element_id].pop(0)
            entry["choice"] = decision.flow_name or decision.target_name
        if element_id in fired and kind in ("intermediateCatchEvent", "boundaryEvent"):
            entry["timer_due"] = fired[element_id].due
        entries.append(entry)
    return entries


def _page(model, draft, state: dict[str, Any], *, run=None, status: int = 200):
    """Render the dry run of ``state``; ``run``: (result, task, form) already computed (a form
    with errors)."""
    common = {"model": model, "draft": draft, "state": json.dumps(state, ensure_ascii=False),
              "timer_kinds": TIMER_KINDS, "timer_status": TIMER_STATUS, "state_field": STATE_FIELD,
              "action_field": ACTION_FIELD, "timer_field": TIMER_FIELD, "task_field": TASK_FIELD,
              "lane_text": lane_rule_text}
    if run is None:
        try:
            result = dryrun.run_draft(model, draft, _given(state))
        except dryrun.DryRunError as exc:
            return render_template("modeler/dryrun.html", result=None, failure=str(exc), path=[], task=None,
                                   form=None, **common), 422
        task, form = dryrun.next_form(result) or (None, None)
    else:
        result, task, form = run
    return render_template("modeler/dryrun.html", result=result, failure=None, path=_path(result), task=task,
                           form=form, **common), status


@bp.get("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/probelauf")
@process_owner_required
def page(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    return _page(model, draft, {"now": dryrun.start_moment().isoformat(), "steps": {}, "timers": []})


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/probelauf")
@body_limit(lambda: MAX_STATE_BYTES + 65536)
@process_owner_required
def step(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    if not PostForm().validate_on_submit():
        abort(400)
    action = request.form.get(ACTION_FIELD)
    state = _state_from_request()
    if action == "zeit":
        timer = request.form.get(TIMER_FIELD, "")
        if not timer or len(timer) > 200:
            abort(400)
        state["timers"].append(timer)
        return _page(model, draft, state)
    if action != "schritt":
        abort(400)
    task_id = request.form.get(TASK_FIELD, "")
    try:
        result = dryrun.run_draft(model, draft, _given(state))
    except dryrun.DryRunError:
        return _page(model, draft, state)  # says why it cannot run
    step = dryrun.next_form(result, formdata=request.form)
    if step is None or step[0].element_id != task_id:
        return _page(model, draft, state, run=(result, *(dryrun.next_form(result) or (None, None))))
    task, form = step
    if form is not None and not form.validate():
        return _page(model, draft, state, run=(result, task, form), status=422)
    pairs = [[name, value] for name, value in request.form.items(multi=True) if name not in NOT_STEP_DATA]
    state["steps"].setdefault(task.element_id, []).append(pairs)
    return _page(model, draft, state)
