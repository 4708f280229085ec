"""Eligibility (decision table mbe_berechtigung) through the real engine, incl. boundaries,
and the process owners' decision table editor."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.decisions.models import DecisionTable
from app.extensions import db
from forms.mbe import years_between
from tests.mbe import mbe_steps as s


def decide(app, **overrides) -> tuple[str, list[str]]:
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**overrides)) == {}
    return s.case(app, instance_id).data["berechtigung"], s.open_tasks(app, instance_id)


@pytest.mark.parametrize(("overrides", "expected"), [
    # "über 27": exactly 27 is not eligible (Jugendmigrationsdienst), 28 is
    ({"alter": 27}, "nicht_zustaendig"),
    ({"alter": 28}, "berechtigt"),
    # "bis zu drei Jahre nach Einreise": exactly three years to the day is inside, one day more is not
    ({"einreise_oder_titel_datum": s.iso(s.years_ago(3))}, "berechtigt"),
    ({"einreise_oder_titel_datum": s.iso(s.years_ago(3, extra_days=1))}, "nicht_zustaendig"),
    ({"aufenthaltsstatus": "spaetaussiedler", "einreise_oder_titel_datum": s.iso(s.years_ago(2))}, "berechtigt"),
    ({"aufenthaltsstatus": "angehoerige_spaetaussiedler"}, "berechtigt"),
    # priority for people obliged to attend an integration course (§ 44a Abs. 1 Nr. 2)
    ({"ik_verpflichtet": True, "aufenthaltsstatus": "langansaessig", "einreise_oder_titel_datum": None},
     "vorrangig"),
    # longer resident in a concrete crisis
    ({"aufenthaltsstatus": "langansaessig", "einreise_oder_titel_datum": s.iso(s.years_ago(12)), "krise": True},
     "berechtigt"),
    ({"aufenthaltsstatus": "langansaessig", "einreise_oder_titel_datum": s.iso(s.years_ago(12))}, "nicht_zustaendig"),
    # Öffnungsklausel: others only in a crisis and only with free capacity
    ({"aufenthaltsstatus": "sonstige", "einreise_oder_titel_datum": None, "krise": True}, "oeffnungsklausel"),
    ({"aufenthaltsstatus": "sonstige", "einreise_oder_titel_datum": None, "krise": True,
      "freie_kapazitaet": False}, "nicht_zustaendig"),
    ({"aufenthaltsstatus": "sonstige", "einreise_oder_titel_datum": None}, "nicht_zustaendig"),
])
def test_each_outcome_through_the_decision_table(app, overrides, expected):
    result, tasks = decide(app, **overrides)
    assert result == expected
    assert tasks == (["verweisberatung"] if expected == "nicht_zustaendig" else ["beratung"])


def test_years_between_counts_calendar_years():
    assert years_between(date(2021, 3, 10), date(2024, 3, 10)) == 3.0
    assert years_between(date(2021, 3, 10), date(2024, 3, 11)) > 3.0
    assert years_between(date(2021, 3, 10), date(2024, 3, 9)) < 3.0
    assert years_between(date(2020, 2, 29), date(2023, 2, 28)) == 3.0


def test_date_required_for_new_immigrants(app):
    instance_id = s.start(app)
    errors = s.complete(app, instance_id, "erstkontakt", s.erstkontakt(einreise_oder_titel_datum=None))
    assert "Bei diesem Aufenthaltsstatus ist das Datum erforderlich." in errors["einreise_oder_titel_datum"]
    assert s.open_tasks(app, instance_id) == ["erstkontakt"]


# --- the decision table editor (more in tests/decisions/test_editor.py) ----------------------

URL = "/entscheidungen/mbe_berechtigung"


def _form(app, change=None) -> dict:
    """The editor's form for the current version, with ``change(model)`` applied."""
    from app.decisions import services
    from app.decisions.table import form_data

    with app.app_context():
        model = services.model_of(services.current("mbe_berechtigung"))
    if change:
        change(model)
    return {**form_data(model), "aktion": "speichern"}


def _rule(model, rule_id: str):
    return next(r for r in model.rules if r.id == rule_id)


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DecisionTable)
                                 .where(DecisionTable.decision_id == "mbe_berechtigung"))


def test_process_owner_changes_a_threshold_and_new_cases_decide_differently(app, login_as):
    four_years = {"einreise_oder_titel_datum": s.iso(s.years_ago(4))}
    assert decide(app, **four_years)[0] == "nicht_zustaendig"
    owner = login_as("prozess")
    page = owner.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<th scope=\"col\">Alter (Jahre)" in html and 'value="&lt;= 3"' in html

    def five_years(model):
        _rule(model, "rule_neuzuwanderung").inputs[1] = "<= 5"

    response = owner.post(URL, data={**_form(app, five_years), "kommentar": "Fünf Jahre (Test)"})
    assert response.status_code == 302
    assert _versions(app) == 1  # a draft: cases still decide with version 1
    assert decide(app, **four_years)[0] == "nicht_zustaendig"
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    assert _versions(app) == 2
    assert "veröffentlicht: Version 2" in owner.get(URL).get_data(as_text=True)
    assert decide(app, **four_years)[0] == "berechtigt"
    # the shipped file is not imported again over the owner's version
    from app.cli import sync_processes

    with app.app_context():
        assert sync_processes() == []
        db.session.commit()
    assert _versions(app) == 2


@pytest.mark.parametrize("cell", ["__import__('os').system('id')", "> open('/etc/passwd').read()",
                                  "<= (", "().__class__"])
def test_unsafe_or_broken_cell_is_refused(app, login_as, cell):
    owner = login_as("prozess")

    def bad(model):
        _rule(model, "rule_bis_27").inputs[0] = cell

    response = owner.post(URL, data=_form(app, bad))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Es wurde nichts gespeichert." in html and 'id="f-rule-0-in-0-error"' in html
    assert _versions(app) == 1
    assert decide(app, alter=27)[0] == "nicht_zustaendig"


@pytest.mark.parametrize("username", ["mbe1", "mbeleitung", "fb36", "k201", "ehrenamt1", "leitung", "admin"])
def test_only_process_owners_see_and_edit_decision_tables(app, login_as, username):
    client = login_as(username)
    assert client.get("/entscheidungen").status_code == 403
    assert client.get(URL).status_code == 403

    def change(model):
        _rule(model, "rule_bis_27").inputs[0] = "<= 99"

    assert client.post(URL, data=_form(app, change)).status_code == 403
    assert client.post(f"{URL}/veroeffentlichen").status_code == 403
    assert _versions(app) == 1


def test_unknown_decision_is_404(app, login_as):
    assert login_as("prozess").get("/entscheidungen/gibt_es_nicht").status_code == 404
