"""Bad input on every task form: the page comes back (422) with the German message next to the
field, and nothing at all is saved (task still open, case data, engine state, task rows and
history unchanged)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent, CaseParticipant, ProcessInstance, Task
from app.extensions import db
from tests.factories import today
from tests.flows import complete_web, future, open_task, start_case_web, to_form, valid_data


def past(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


UNSAFE = "Die Eingabe enthält unzulässige Zeichen (z. B. ein Nullzeichen)."

# The stage a case must be at, and who works on the step.
STEP_USER = {
    "bedarfsermittlung": "fb36", "vermittlung": "k201", "vorgespraech": "fb36",
    "zwischengespraech": "k201", "rueckmeldung": "ehrenamt1", "abschluss": "fb36",
}
ORDER = ["bedarfsermittlung", "vermittlung", "vorgespraech", "zwischengespraech", "abschluss"]


def _case_at(login_as, step: str) -> int:
    clients = {u: login_as(u) for u in {"fb36", "k201"}}
    case_id = start_case_web(clients["fb36"])
    target = "zwischengespraech" if step == "rueckmeldung" else step
    for done in ORDER[:ORDER.index(target)]:
        data = valid_data(done)
        if done == "zwischengespraech":
            data["abschluss_einleiten"] = True
        response = complete_web(clients[STEP_USER[done]], case_id, done, data)
        assert response.status_code == 302, done
    return case_id


def _snapshot(app, case_id: int) -> dict:
    """Everything a completion writes: case row, engine state, task rows, history, participants."""
    with app.app_context():
        case = db.session.get(ProcessInstance, case_id)
        tasks = db.session.scalars(select(Task).where(Task.instance_id == case_id).order_by(Task.id))
        events = db.session.scalars(
            select(CaseEvent).where(CaseEvent.instance_id == case_id).order_by(CaseEvent.id))
        participants = db.session.scalars(
            select(CaseParticipant).where(CaseParticipant.instance_id == case_id)
            .order_by(CaseParticipant.id))
        return {
            "case": (case.status, case.title, json.dumps(case.data, sort_keys=True), case.state,
                     case.row_version, case.outcome),
            "tasks": [(t.id, t.bpmn_id, t.status, t.assignee_id, t.completed_at, t.draft)
                      for t in tasks],
            "events": [(e.id, e.kind, e.title) for e in events],
            "participants": [(p.team_id, p.user_id, p.level) for p in participants],
        }


def _field_errors(page: str, field_id: str) -> str:
    """The text of the error list rendered next to the field ``field_id``."""
    match = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-error">(.*?)</ul>',
                      page, re.S)
    assert match, f"no error list next to {field_id}"
    return match.group(1)


def _goal(**overrides) -> dict:
    goal = {"beschreibung": "Kita-Platz beantragt", "frist": future(60),
            "ueberpruefung": "Antrag liegt vor"}
    return {**goal, **overrides}


# step, form data (API-style; None values are left out), field id, German message
CASES = [
    pytest.param("bedarfsermittlung",
                 valid_data("bedarfsermittlung", ziele=[_goal(frist=past(1))]),
                 "ziele-0-frist", "Die Frist muss in der Zukunft liegen.", id="goal-deadline-past"),
    pytest.param("bedarfsermittlung",
                 valid_data("bedarfsermittlung", ziele=[_goal(frist=today().isoformat())]),
                 "ziele-0-frist", "Die Frist muss in der Zukunft liegen.", id="goal-deadline-today"),
    pytest.param("bedarfsermittlung",
                 valid_data("bedarfsermittlung",
                            ziele=[{"beschreibung": "", "frist": "", "ueberpruefung": ""}]),
                 "ziele", "Bitte mindestens ein Ziel angeben.", id="no-goal"),
    pytest.param("bedarfsermittlung",
                 valid_data("bedarfsermittlung", ziele=[_goal(ueberpruefung="")]),
                 "ziele-0-ueberpruefung", "Bitte füllen Sie dieses Feld aus.",
                 id="goal-without-check"),
    pytest.param("bedarfsermittlung", valid_data("bedarfsermittlung", zielgruppe=None),
                 "zielgruppe", "Bitte eine Zielgruppe wählen.", id="no-target-group"),
    pytest.param("bedarfsermittlung", valid_data("bedarfsermittlung", familienname="   "),
                 "familienname", "Bitte füllen Sie dieses Feld aus.", id="blank-name"),
    pytest.param("vermittlung", valid_data("vermittlung", ehrenamtliche="niemand"),
                 "ehrenamtliche",
                 "Bitte eine Ehrenamtliche / einen Ehrenamtlichen aus der Liste wählen.",
                 id="unknown-volunteer"),
    pytest.param("vermittlung", valid_data("vermittlung", ehrenamtliche="mbe1"),
                 "ehrenamtliche",
                 "Bitte eine Ehrenamtliche / einen Ehrenamtlichen aus der Liste wählen.",
                 id="not-a-volunteer"),
    pytest.param("vermittlung", valid_data("vermittlung", ehrenamtliche=None),
                 "ehrenamtliche", "Bitte eine Ehrenamtliche / einen Ehrenamtlichen auswählen.",
                 id="no-volunteer"),
    pytest.param("vorgespraech", valid_data("vorgespraech", beginn=future(30), ende=future(10)),
                 "ende", "Das Ende muss nach dem Beginn liegen.", id="end-before-start"),
    pytest.param("vorgespraech", valid_data("vorgespraech", beginn=today().isoformat(), ende=today().isoformat()),
                 "ende", "Das Ende muss nach dem Beginn liegen.", id="end-equals-start"),
    pytest.param("vorgespraech", valid_data("vorgespraech", ende="31.12.2099"),
                 "ende", "Kein gültiges Datum.", id="end-not-iso"),
    pytest.param("vorgespraech", valid_data("vorgespraech", stunden_pro_woche=80),
                 "stunden_pro_woche", "Bitte eine Zahl zwischen 0,5 und 40 angeben.",
                 id="too-many-hours"),
    pytest.param("zwischengespraech", valid_data("zwischengespraech", notizen=""),
                 "notizen", "Bitte füllen Sie dieses Feld aus.", id="missing-notes"),
    pytest.param("zwischengespraech", valid_data("zwischengespraech", datum=None),
                 "datum", "Bitte füllen Sie dieses Feld aus.", id="missing-date"),
    pytest.param("rueckmeldung", {"datum": today().isoformat(), "bericht": ""},
                 "bericht", "Bitte füllen Sie dieses Feld aus.", id="missing-report"),
    pytest.param("rueckmeldung", {"datum": today().isoformat(), "bericht": "ok", "stunden": 500},
                 "stunden", "Bitte eine Zahl zwischen 0 und 100 angeben.", id="too-many-hours-rm"),
    pytest.param("abschluss", valid_data("abschluss", ergebnis="ueberleiten"),
                 "folgemassnahme", "Bei Überleitung ist die Folgemaßnahme anzugeben.",
                 id="ueberleiten-without-folgemassnahme"),
    pytest.param("abschluss", valid_data("abschluss", ergebnis="fortfuehren"),
                 "neues_ende", "Bei Fortführung ist ein neues Enddatum erforderlich.",
                 id="fortfuehren-without-neues-ende"),
    pytest.param("abschluss", valid_data("abschluss", ergebnis="fortfuehren", neues_ende=past(3)),
                 "neues_ende", "Das neue Enddatum muss in der Zukunft liegen.",
                 id="fortfuehren-past-end"),
    pytest.param("abschluss", valid_data("abschluss", ergebnis=None),
                 "ergebnis", "Bitte ein Ergebnis wählen.", id="no-outcome"),
    pytest.param("abschluss", valid_data("abschluss", zielbewertungen=[{"ziel": "x"}]),
                 "zielbewertungen-0-bewertung", "Bitte eine Bewertung wählen.",
                 id="goal-not-rated"),
    # Input no database can store or no rule can compare (app/bounds.py, forms/base.py AppForm)
    pytest.param("zwischengespraech", valid_data("zwischengespraech", notizen="Läuft\x00gut."),
                 "notizen", UNSAFE, id="nul-in-text"),
    pytest.param("bedarfsermittlung",
                 valid_data("bedarfsermittlung", ziele=[_goal(beschreibung="Kita\x00")]),
                 "ziele-0-beschreibung", UNSAFE, id="nul-in-nested-text"),
    pytest.param("vorgespraech", valid_data("vorgespraech", stunden_pro_woche="Infinity"),
                 "stunden_pro_woche", "Bitte eine gültige Zahl angeben.", id="infinite-hours"),
    pytest.param("rueckmeldung", {"datum": today().isoformat(), "bericht": "ok", "stunden": "sNaN"},
                 "stunden", "Bitte eine gültige Zahl angeben.", id="snan-hours"),
    pytest.param("rueckmeldung", {"datum": today().isoformat(), "bericht": "ok", "stunden": "NaN"},
                 "stunden", "Bitte eine gültige Zahl angeben.", id="nan-hours"),
]


# radio groups and lists are fieldsets: the message sits in the fieldset, not on one control
GROUPED_FIELDS = {"ziele", "zielgruppe", "ergebnis", "zielbewertungen-0-bewertung"}


@pytest.mark.parametrize(("step", "data", "field_id", "message"), CASES)
def test_bad_input_is_shown_and_nothing_saved(app, login_as, step, data, field_id, message):
    case_id = _case_at(login_as, step)
    task = open_task(app, case_id, step)
    assert task is not None
    before = _snapshot(app, case_id)

    client = login_as(STEP_USER[step])
    response = client.post(f"/aufgaben/{task.id}",
                           data=to_form({k: v for k, v in data.items() if v is not None}))

    assert response.status_code == 422
    page = response.data.decode()
    assert message in _field_errors(page, field_id)
    assert "Es wurde nichts gespeichert." in page
    if field_id not in GROUPED_FIELDS:  # a single control: marked invalid, pointing at the message
        control = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
        assert control and 'aria-invalid="true"' in control.group(0)
        assert f'aria-describedby="{field_id}-error' in control.group(0) or \
            f'{field_id}-error"' in control.group(0)
    assert _snapshot(app, case_id) == before
    assert open_task(app, case_id, step).status == task.status

    # the same task still accepts a correct submission afterwards
    good = {"datum": today().isoformat(), "bericht": "ok"} if step == "rueckmeldung" else valid_data(step)
    assert client.post(f"/aufgaben/{task.id}", data=to_form(good)).status_code == 302


def test_bad_input_keeps_what_was_entered(app, login_as):
    case_id = _case_at(login_as, "bedarfsermittlung")
    task = open_task(app, case_id, "bedarfsermittlung")
    data = valid_data("bedarfsermittlung", bedarf="Begleitung zu Arztterminen",
                      ziele=[_goal(frist=past(5))])
    page = login_as("fb36").post(f"/aufgaben/{task.id}", data=to_form(data)).data.decode()
    assert "Begleitung zu Arztterminen" in page
    assert "Testfamilie Ahorn" in page
    assert "Kita-Platz beantragt" in page


def test_unknown_volunteer_never_reaches_the_engine(app, login_as):
    """A forged volunteer must not become a participant nor receive a task."""
    case_id = _case_at(login_as, "vermittlung")
    task = open_task(app, case_id, "vermittlung")
    response = login_as("k201").post(f"/aufgaben/{task.id}",
                                      data={"ehrenamtliche": "mbe1"})
    assert response.status_code == 422
    assert login_as("mbe1").get(f"/faelle/{case_id}").status_code == 404
