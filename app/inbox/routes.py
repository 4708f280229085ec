"""Task inbox, task page with its form, claim and unclaim."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import approvals, transaction
from app.accesslog import services as accesslog
from app.accesslog.models import TASK
from app.auth.access import access_level, can_work_on, get_task_or_404, inbox_query
from app.auth.models import ROLE_PROZESS
from app.auth.routes import PostForm
from app.casecontext.sections import sections_for
from app.cases.services import case_names
from app.cases.taskforms import build_form
from app.crisis.acknowledged import reporter_contact
from app.engine import service
from app.engine.interventions import PAUSED
from app.engine.models import ACTIVE_TASK_STATES, Task
from app.extensions import db
from app.inbox.listing import Key, capped_count, decode_cursor, encode_cursor, ordered_ids, ordered_tasks
from app.journal import services as journal
from app.timeutil import aware, utcnow
from app.volunteers.services import matches_for
from app.web.access import login_required
from app.web.paging import Page
from app.web.redirects import safe_redirect

bp = Blueprint("inbox", __name__, template_folder="../templates")

VERMITTLUNG_FORM = "alltagsbegleitung.vermittlung"
CRISIS_LIMIT = 50  # open crises shown on top of the inbox (they stay in their list below, too)
COUNT_CAP = 1_000  # the lists count up to here ("mehr als 1.000"); config INBOX_COUNT_CAP


@bp.app_context_processor
def inject_crisis_reporter():
    return {"crisis_reporter": reporter_contact}  # who reported a crisis and how to reach them


@bp.route("/")
@login_required
def home():
    return redirect(url_for("inbox.index"))


def _rows(query, page_ids: list[int]) -> list[Task]:
    """The page's task rows, selected by id, in the order of the ids."""
    if not page_ids:
        return []
    by_id = {t.id: t for t in db.session.scalars(query.order_by(None).where(Task.id.in_(page_ids)))}
    return [by_id[i] for i in page_ids if i in by_id]


def _list_page(mine: bool, arg: str, size: int, cap: int) -> Page:
    """One page of a list, by key (app/inbox/listing.py): the rows after the cursor in the
    query argument ``arg``, in index order. The count stops above ``cap`` ("mehr als …"). A
    cursor that is no cursor shows the first page (``extra["bad_cursor"]``); one that points
    behind the end of the list (its last tasks were done meanwhile), too."""
    total = capped_count(current_user, mine, cap)
    capped = total > cap
    token = request.args.get(arg) or ""
    cursor = decode_cursor(token) if token else None
    after, page = cursor if cursor else (None, 1)
    rows = inbox_query(current_user, mine=mine)
    items = ordered_tasks(rows, current_user, mine, size + 1, after)
    if after is not None and not items:  # nothing left after it: the first page again
        page, items = 1, ordered_tasks(rows, current_user, mine, size + 1)
    more = len(items) > size
    items = items[:size]
    known = max((total + size - 1) // size, 1)
    reached = page + 1 if more else page
    pages = reached if capped else max(known, reached)  # "Seite 3 von 2" never, even if tasks went
    return Page(items=items, total=cap if capped else total, page=page, pages=pages,
                extra={"capped": capped, "arg": arg, "first": page > 1,
                       "next": encode_cursor(Key.of(items[-1]), page + 1) if more else None,
                       "bad_cursor": bool(token) and cursor is None})


@bp.route("/aufgaben")
@login_required
def index():
    size = current_app.config["INBOX_PAGE_SIZE"]
    cap = current_app.config.get("INBOX_COUNT_CAP", COUNT_CAP)
    lists = {key: _list_page(mine, f"nach_{key}", size, cap) for key, mine in (("mine", True), ("group", False))}
    for key, other in (("mine", "group"), ("group", "mine")):  # each list keeps its place while the other pages
        lists[key].extra["keep"] = {f"nach_{other}": request.args[f"nach_{other}"]} if lists[other]["first"] else {}
    if any(lst["bad_cursor"] for lst in lists.values()):
        flash(_("Der Link auf eine weitere Seite ist nicht gültig; angezeigt wird die erste Seite."), "warning")
    # Crises first, above "Meine Aufgaben": an unclaimed crisis of my team outranks my own tasks.
    crises = _rows(inbox_query(current_user), ordered_ids(current_user, None, CRISIS_LIMIT, crisis_only=True))
    shown = {t.instance for lst in lists.values() for t in lst.items} | {t.instance for t in crises}
    names = case_names(current_user, shown)
    accesslog.list_read(current_user, TASK)
    # Four-eyes approvals waiting for this person (process drafts, decision tables: app/approvals).
    waiting = approvals.pending_for(current_user)
    show_approvals = bool(waiting) or current_user.has_role(ROLE_PROZESS)
    return render_template("inbox/index.html", lists=lists, crises=crises, names=names, now=utcnow(), aware=aware,
                           approvals=waiting, show_approvals=show_approvals)


@bp.route("/aufgaben/<int:task_id>", methods=["GET", "POST"])
@login_required
def task_page(task_id: int):
    task = get_task_or_404(current_user, task_id, with_state=request.method == "POST")
    if task.status == PAUSED:  # the case is suspended by a supervisor (app/engine/interventions.py)
        flash(_("Dieser Fall ist angehalten; die Aufgabe kann erst nach der Fortsetzung bearbeitet werden."),
              "error")
        return redirect(url_for("cases.view", instance_id=task.instance_id))
    if task.status not in ACTIVE_TASK_STATES:  # e.g. a colleague was faster: say so plainly
        flash(_("Diese Aufgabe ist bereits erledigt."), "error")
        return redirect(url_for("cases.view", instance_id=task.instance_id))
    if not can_work_on(current_user, task):
        abort(403, _("Diese Aufgabe ist Ihnen nicht zugewiesen oder bereits erledigt."))
    if request.method == "GET":  # the form page shows case data; a submitted form is no new read
        accesslog.case_read(current_user, task.instance, object_type=TASK, object_id=task.id)
    if task.is_todo:  # a to-do has no form: it is done or dropped (todo_close)
        return render_template("inbox/todo.html", task=task, form=PostForm(),
                               entry=journal.entry_for_task(task, current_user))
    if request.method == "POST":
        form = build_form(task, formdata=request.form)
        if form.validate():
            title = task.title
            try:
                service.complete_task(task, current_user, form.to_task_data())
            except service.ConflictError as exc:
                transaction.discard()
                flash(str(exc), "error")
                return redirect(url_for("inbox.index"))
            except service.EngineError as exc:
                transaction.discard()
                flash(str(exc), "error")
                # The model cannot run this step (e.g. a script stopped in the sandbox): a clear
                # answer on the same page, nothing saved; not a server error.
                return render_template("inbox/task.html", task=task, form=form, suggestions=_suggestions(task),
                                       task_context=_context(task)), 422
            flash(_("Aufgabe „%(title)s“ erledigt.", title=title), "success")
            return redirect(url_for("inbox.index"))
        status = 422
    else:
        form = build_form(task)
        status = 200
    return render_template("inbox/task.html", task=task, form=form,
                           suggestions=_suggestions(task), task_context=_context(task)), status


def _context(task):
    """What the person needs of the case for this step (app/casecontext)."""
    return sections_for(task, current_user, access_level(current_user, task.instance) or "")


def _suggestions(task):
    """Ranked volunteers (with reasons) shown above the matching form only."""
    return matches_for(task.instance) if task.form_key == VERMITTLUNG_FORM else None


@bp.route("/aufgaben/<int:task_id>/abschliessen/<any(erledigt, verworfen):outcome>", methods=["POST"])
@login_required
def todo_close(task_id: int, outcome: str):
    """Mark a to-do (a follow-up, a signal) done or dropped."""
    task = get_task_or_404(current_user, task_id)
    if not task.is_todo:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    if not can_work_on(current_user, task):
        abort(403, _("Diese Aufgabe ist Ihnen nicht zugewiesen oder bereits erledigt."))
    title = task.title
    try:
        service.close_todo(task, current_user, "done" if outcome == "erledigt" else "dropped")
    except service.ConflictError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("inbox.index"))
    flash(_("Aufgabe „%(title)s“ erledigt.", title=title) if outcome == "erledigt"
          else _("Aufgabe „%(title)s“ verworfen.", title=title), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/aufgaben/<int:task_id>/uebernehmen", methods=["POST"])
@login_required
def claim(task_id: int):
    return _claim_action(task_id, service.claim_task, _("Aufgabe übernommen."))


@bp.route("/aufgaben/<int:task_id>/zurueckgeben", methods=["POST"])
@login_required
def unclaim(task_id: int):
    return _claim_action(task_id, service.unclaim_task, _("Aufgabe an die Gruppe zurückgegeben."))


def _claim_action(task_id: int, action, message: str):
    task = get_task_or_404(current_user, task_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        action(task, current_user)
        flash(message, "success")
    except service.ForbiddenError as exc:
        abort(403, str(exc))
    except service.ConflictError as exc:
        transaction.discard()
        flash(str(exc), "error")
    return safe_redirect(request.form.get("next"))
