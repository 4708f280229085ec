"""Dry run of a draft (Probelauf): test data through the forms, the path the gateways take, the
timers that would be set, German field errors, who may use it, and that nothing is left behind.

The fixture model (fixtures/dryrun_beratungskontakt.bpmn, uploaded as a draft of the shipped
model ``beratungskontakt``): user task "Beratungskontakt erfassen" (a real form) -> gateway
"Nachverfolgung nötig?" on its field ``nachverfolgung`` -> "nein": end; "ja": a script task, a
3-day intermediate timer, the user task "Nachverfolgung" with a 14-day interrupting boundary timer.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.engine import signals
from app.extensions import db
from tests.modeler.conftest import FIXTURES, post_xml

XML = (FIXTURES / "dryrun_beratungskontakt.bpmn").read_text(encoding="utf-8")
NOW = "2026-03-02T09:00:00+00:00"
CONTACT = {"datum": "2026-03-02", "art": "telefon", "themen": ["schule"], "dauer_minuten": 20,
           "taetigkeit": "beratung", "nachverfolgung": False}
FOLLOW_UP = {**CONTACT, "nachverfolgung": True, "nachverfolgung_bis": "2026-03-20",
             "nachverfolgung_was": "Rückruf wegen Antrag"}
DONE = {"erledigt_am": "2026-03-05", "nachverfolgung_notiz": "erledigt"}


def row_counts(app) -> dict[str, int]:
    """Rows of every table of the schema."""
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.fixture
def draft(api):
    """(owner API client, dry-run path) of a new draft of beratungskontakt with the fixture model."""
    owner = api("prozess")
    created = post_xml(owner, XML, key="beratungskontakt")
    assert created.status_code == 201, created.get_json()
    return owner, f"/process-models/beratungskontakt/drafts/{created.get_json()['id']}/dry-run"


def run(owner, path, data=None, timers=None, **extra):
    body = {"now": NOW, "data": data or {}, **({"timers": timers} if timers is not None else {}), **extra}
    response = owner.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- engine path, gateways, timers (API) -------------------------------------------------------

def test_gateway_follows_the_test_data(draft):
    owner, path = draft
    without = run(owner, path, {"kontakt_erfassen": CONTACT})
    assert without["path"] == ["start", "kontakt_erfassen", "gw_nachverfolgung", "end_erfasst"]
    assert without["ended"] is True and without["next"] is None and without["timers"] == []
    assert without["gateways"] == [{"element_id": "gw_nachverfolgung", "name": "Nachverfolgung nötig?",
                                    "flow_id": "flow_nein", "flow_name": "nein", "target_id": "end_erfasst",
                                    "target_name": "Kontakt erfasst"}]
    [task] = without["tasks"]
    assert (task["element_id"], task["form_key"], task["lane"], task["status"], task["completed"], task["due"]) == (
        "kontakt_erfassen", "beratungskontakt.erfassen", "Erfassung", "completed", True, "2026-03-03T09:00:00+00:00")

    with_follow_up = run(owner, path, {"kontakt_erfassen": FOLLOW_UP})
    # The script task ran in the sandbox; the run now waits for the 3-day timer.
    assert with_follow_up["path"] == ["start", "kontakt_erfassen", "gw_nachverfolgung", "frist_vermerken"]
    assert [(g["flow_name"], g["target_id"]) for g in with_follow_up["gateways"]] == [("ja", "frist_vermerken")]
    assert with_follow_up["timers"] == [{
        "element_id": "wartezeit", "name": "Drei Tage abwarten", "kind": "intermediate",
        "set_at": NOW, "due": "2026-03-05T09:00:00+00:00", "status": "waiting", "attached_to": None}]
    assert with_follow_up["ended"] is False and with_follow_up["next"] is None
    assert with_follow_up["now"] == NOW  # time passes only when asked


def test_letting_time_pass_fires_timers_on_the_dry_run_clock(draft):
    owner, path = draft
    # Let the 3-day timer fire: the next form is the follow-up, with its boundary timer set.
    waiting = run(owner, path, {"kontakt_erfassen": FOLLOW_UP}, timers=["wartezeit"])
    assert waiting["path"][-1] == "wartezeit" and waiting["now"] == "2026-03-05T09:00:00+00:00"
    assert waiting["next"] == "nachverfolgung"
    follow_up = waiting["tasks"][-1]
    assert (follow_up["status"], follow_up["lane"], follow_up["due"]) == (
        "waiting", "Koordinierungsstelle", "2026-03-20T23:59:00+00:00")  # dueDate from the form's field
    assert follow_up["form_schema"]["required"] == ["erledigt_am"]
    assert {t["element_id"]: (t["status"], t["due"], t["attached_to"]) for t in waiting["timers"]} == {
        "wartezeit": ("fired", "2026-03-05T09:00:00+00:00", None),
        "erinnerung": ("waiting", "2026-03-19T09:00:00+00:00", "nachverfolgung")}

    # Completing the follow-up ends the case; its boundary timer is cancelled.
    done = run(owner, path, {"kontakt_erfassen": FOLLOW_UP, "nachverfolgung": DONE}, timers=["wartezeit"])
    assert done["path"] == ["start", "kontakt_erfassen", "gw_nachverfolgung", "frist_vermerken", "wartezeit",
                            "nachverfolgung", "end_nachverfolgt"]
    assert done["ended"] is True
    assert {t["element_id"]: t["status"] for t in done["timers"]} == {"wartezeit": "fired", "erinnerung": "cancelled"}

    # Or nobody does it for two weeks: the boundary timer takes the task away.
    lapsed = run(owner, path, {"kontakt_erfassen": FOLLOW_UP}, timers=["wartezeit", "erinnerung"])
    assert lapsed["path"][-2:] == ["erinnerung", "end_verfallen"] and lapsed["ended"] is True
    assert lapsed["now"] == "2026-03-19T09:00:00+00:00"
    assert [(t["element_id"], t["status"]) for t in lapsed["tasks"]] == [
        ("kontakt_erfassen", "completed"), ("nachverfolgung", "cancelled")]


def test_a_timer_already_due_on_the_dry_run_clock_fires_by_itself(api):
    owner = api("prozess")
    dated = XML.replace('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"</bpmn:timeDuration>',
                        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2026-03-01T12:00:00+00:00"</bpmn:timeDate>')
    draft_id = post_xml(owner, dated, key="beratungskontakt").get_json()["id"]
    path = f"/process-models/beratungskontakt/drafts/{draft_id}/dry-run"
    result = run(owner, path, {"kontakt_erfassen": FOLLOW_UP})
    assert result["path"][-1] == "wartezeit" and result["next"] == "nachverfolgung"
    assert [(t["element_id"], t["status"], t["due"]) for t in result["timers"]][0] == (
        "wartezeit", "fired", "2026-03-01T12:00:00+00:00")
    later = run(owner, path, {"kontakt_erfassen": {**FOLLOW_UP, "datum": "2026-02-27"}},
                now="2026-02-27T09:00:00+00:00")
    assert later["timers"][0]["status"] == "waiting" and later["next"] is None


def test_invalid_test_data_stops_with_the_forms_german_messages(draft):
    owner, path = draft
    bad = run(owner, path, {"kontakt_erfassen": {**CONTACT, "dauer_minuten": 0, "datum": "2026-03-09"}})
    [task] = bad["tasks"]
    assert task["status"] == "invalid" and task["completed"] is False
    assert task["errors"] == {
        "datum": ["Das Datum darf nicht in der Zukunft liegen."],  # measured against the dry run's clock
        "dauer_minuten": ["Bitte eine Dauer zwischen 1 und 1440 Minuten angeben."]}
    assert bad["path"] == ["start"] and bad["ended"] is False

    wrong_type = run(owner, path, {"kontakt_erfassen": {**CONTACT, "dauer_minuten": "zwanzig", "farbe": "rot"}})
    assert wrong_type["tasks"][0]["errors"] == {"dauer_minuten": ["Falscher Datentyp, erwartet wird: ganze Zahl."],
                                                "farbe": ["Unbekanntes Feld."]}


def test_a_script_stays_sandboxed_and_the_failure_is_reported(api):
    owner = api("prozess")
    evil = XML.replace('hinweis = "Nachverfolgung bis " + nachverfolgung_bis',
                       "hinweis = __import__(&quot;os&quot;).getcwd()")
    draft_id = post_xml(owner, evil, key="beratungskontakt").get_json()["id"]
    result = run(owner, f"/process-models/beratungskontakt/drafts/{draft_id}/dry-run",
                 {"kontakt_erfassen": [FOLLOW_UP]})
    assert result["error"] and "Der Prozess konnte nicht fortgesetzt werden" in result["error"]
    assert result["path"] == ["start", "kontakt_erfassen", "gw_nachverfolgung"] and result["ended"] is False
    assert result["failed_at"] == "frist_vermerken"


def test_malformed_input_is_422_and_unknown_drafts_404(draft, api):
    owner, path = draft
    for body, field in [({"data": []}, "data"), ({"data": {"gibtsnicht": {}}}, "data.gibtsnicht"),
                        ({"data": {"kontakt_erfassen": "ja"}}, "data.kontakt_erfassen"),
                        ({"data": {"kontakt_erfassen": [1]}}, "data.kontakt_erfassen"),
                        ({"timers": "wartezeit"}, "timers"), ({"now": "gestern"}, "now"),
                        ({"schritte": {}}, "schritte")]:
        response = owner.post(path, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], response.get_json()
    assert owner.post(path, data="kein json", content_type="application/json").status_code == 400
    assert owner.post(path.replace("/drafts/", "/drafts/9"), json={}).status_code == 404
    assert owner.post(path.replace("beratungskontakt", "alltagsbegleitung"), json={}).status_code == 404
    assert owner.post(path.replace("beratungskontakt", "gibtsnicht"), json={}).status_code == 404


@pytest.mark.parametrize("username", ["fb36", "leitung", "admin"])
def test_only_process_owners_may_dry_run(app, draft, api, login_as, username):
    _owner, path = draft
    assert api(username).post(path, json={"data": {}}).status_code == 403
    page = path.replace("/process-models/beratungskontakt/drafts/", "/prozessmodelle/beratungskontakt/entwuerfe/")
    page = page.replace("/dry-run", "/probelauf")
    client = login_as(username)
    assert client.get(page).status_code == 403
    assert client.post(page, data={"_aktion": "zeit", "_zeitgeber": "wartezeit"}).status_code == 403


def test_api_dry_run_leaves_nothing_behind(app, draft):
    owner, path = draft
    before = row_counts(app)
    heard = []

    def listen(sender, **kwargs):
        heard.append(sender)

    engine_signals = (signals.task_completing, signals.task_completed, signals.case_started, signals.case_closed,
                      signals.tasks_assigned)
    for signal in engine_signals:
        signal.connect(listen)
    try:
        assert run(owner, path, {"kontakt_erfassen": FOLLOW_UP, "nachverfolgung": DONE}, timers=["wartezeit"])["ended"]
        run(owner, path, {"kontakt_erfassen": {**CONTACT, "dauer_minuten": 0}})
    finally:
        for signal in engine_signals:
            signal.disconnect(listen)
    assert heard == []  # no engine signal: no statistics, notification or contact record
    assert row_counts(app) == before


# --- the browser page ----------------------------------------------------------------------

def _state(page: str) -> str:
    found = re.search(r'name="_probelauf" value="([^"]*)"', page)
    assert found, "no dry-run state on the page"
    return html.unescape(found.group(1))


def _form(state: str, **fields) -> dict:
    return {"_probelauf": state, "_aktion": "schritt", **fields}


def test_page_steps_through_the_forms_and_leaves_nothing_behind(app, api, login_as, clock):
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    draft_id = post_xml(api("prozess"), XML, key="beratungskontakt").get_json()["id"]
    client = login_as("prozess")
    url = f"/prozessmodelle/beratungskontakt/entwuerfe/{draft_id}/probelauf"
    assert url in client.get(f"/prozessmodelle/beratungskontakt/entwuerfe/{draft_id}").get_data(as_text=True)
    before = row_counts(app)

    first = client.get(url)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and page.count("<h1") == 1
    assert "Beratungskontakt erfassen" in page and 'for="dauer_minuten"' in page
    assert "Start: Kontakt hat stattgefunden" in page and "Bisher wurde kein Zeitgeber gesetzt." in page

    contact = {"datum": "2026-03-02", "art": "telefon", "themen": "schule", "taetigkeit": "beratung",
               "nachverfolgung": "y", "nachverfolgung_bis": "2026-03-20", "nachverfolgung_was": "Rückruf"}
    refused = client.post(url, data={**_form(_state(page), _aufgabe="kontakt_erfassen"), **contact,
                                     "dauer_minuten": "0"})
    refused_page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="error-summary"' in refused_page
    assert "Bitte eine Dauer zwischen 1 und 1440 Minuten angeben." in refused_page
    assert "erledigt" not in refused_page.split("Bisheriger Weg")[1].split("</ol>")[0]

    step = client.post(url, data={**_form(_state(page), _aufgabe="kontakt_erfassen"), **contact,
                                  "dauer_minuten": "20"})
    page = step.get_data(as_text=True)
    assert step.status_code == 200
    assert "Gateway „Nachverfolgung nötig?“ → „ja“" in html.unescape(page)
    assert "Drei Tage abwarten" in page and "05.03.26" in page  # due date in German, office time
    assert "Zeit vergehen lassen" in page

    later = client.post(url, data={"_probelauf": _state(page), "_aktion": "zeit", "_zeitgeber": "wartezeit"})
    page = later.get_data(as_text=True)
    assert later.status_code == 200 and "<h3>Nachverfolgung</h3>" in page and 'for="erledigt_am"' in page
    assert "Zeitgeber „Drei Tage abwarten“ abgelaufen" in html.unescape(page)
    assert "Zwei Wochen ohne Erledigung" in page and "19.03.26" in page

    end = client.post(url, data={**_form(_state(page), _aufgabe="nachverfolgung"), "erledigt_am": "2026-03-05"})
    page = html.unescape(end.get_data(as_text=True))
    assert end.status_code == 200 and "Der Prozess ist zu Ende." in page
    assert "Aufgabe „Nachverfolgung“ erledigt" in page and "entfallen" in page

    assert row_counts(app) == before  # no case, task, event, notification, statistics or access-log row


def test_page_refuses_a_broken_state_and_unknown_drafts(api, login_as):
    draft_id = post_xml(api("prozess"), XML, key="beratungskontakt").get_json()["id"]
    client = login_as("prozess")
    url = f"/prozessmodelle/beratungskontakt/entwuerfe/{draft_id}/probelauf"
    for state in ["kein json", "[]", '{"steps": {"kontakt_erfassen": "x"}}', '{"now": "gestern"}']:
        assert client.post(url, data={"_probelauf": state, "_aktion": "zeit", "_zeitgeber": "x"}).status_code == 400
    assert client.post(url, data={"_probelauf": "{}", "_aktion": "tanzen"}).status_code == 400
    # A kept answer that no longer passes the form (here: edited by hand) is shown, not run.
    stale = '{"now": "2026-03-02T09:00:00+00:00", "steps": {"kontakt_erfassen": [[["dauer_minuten", "0"]]]}}'
    page = client.post(url, data={"_probelauf": stale, "_aktion": "zeit", "_zeitgeber": "wartezeit"})
    assert page.status_code == 200
    assert "passen nicht zum Formular" in html.unescape(page.get_data(as_text=True))
    assert client.get(url.replace(f"/{draft_id}/", "/999/")).status_code == 404
    assert client.get(url.replace("beratungskontakt", "gibtsnicht")).status_code == 404
    assert client.get(url.replace("beratungskontakt", "alltagsbegleitung")).status_code == 404
