"""Expense allowance: record, approve / return with a comment, correct, statement totals."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.volunteers.models import ExpenseEntry
from tests.factories import today
from tests.volunteers.helpers import running_case, user_id


def month() -> str:
    return today().strftime("%Y-%m")




def _rows(app, case_id: int | None = None) -> list[ExpenseEntry]:
    with app.app_context():
        query = select(ExpenseEntry).order_by(ExpenseEntry.id)
        if case_id is not None:
            query = query.where(ExpenseEntry.instance_id == case_id)
        rows = db.session.scalars(query).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def _add(client, case_id: int, **data):
    form = {"datum": today().isoformat(), "stunden": "2", "kilometer": "", "auslagen": "", "notiz": "", **data}
    return client.post(f"/ehrenamt/einsaetze/{case_id}/aufwand", data=form)


@pytest.fixture
def case_id(login_as):
    return running_case(login_as)


def test_record_approve_and_statement(app, login_as, case_id):
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    assert f"/ehrenamt/einsaetze/{case_id}/aufwand" in mira.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert _add(mira, case_id, stunden="2,5", kilometer="12").status_code == 302
    [entry] = _rows(app)
    # 2.5 h × 8.00 € + 12 km × 0.30 € = 23.60 € with the default rates
    assert entry.status == "eingereicht" and entry.summe == Decimal("23.60")
    assert entry.stunden == Decimal("2.5") and entry.kilometer == Decimal("12")

    review = k201.get("/aufwand/pruefen").get_data(as_text=True)
    assert "Mira Helferin" in review and "23,60 €" in review
    assert k201.post(f"/aufwand/{entry.id}/genehmigen").status_code == 302
    [entry] = _rows(app)
    assert entry.status == "genehmigt"
    assert "Keine Einträge zu prüfen." in k201.get("/aufwand/pruefen").get_data(as_text=True)
    # approved is final: the volunteer cannot change it, 201 cannot decide twice
    change = {"datum": today().isoformat(), "stunden": "9"}
    assert mira.post(f"/ehrenamt/aufwand/{entry.id}", data=change).status_code == 409
    assert k201.post(f"/aufwand/{entry.id}/zurueckgeben", data={f"r{entry.id}-kommentar": "x"}).status_code == 303
    assert _rows(app)[0].summe == Decimal("23.60") and _rows(app)[0].status == "genehmigt"


def test_return_requires_comment_then_correct_and_resubmit(app, login_as, case_id):
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    _add(mira, case_id, stunden="3", auslagen="4,80", notiz="Busfahrkarte")
    [entry] = _rows(app)
    assert entry.summe == Decimal("28.80")

    response = k201.post(f"/aufwand/{entry.id}/zurueckgeben", data={f"r{entry.id}-kommentar": "  "})
    assert response.status_code == 422
    assert "Bitte begründen Sie die Rückgabe" in response.get_data(as_text=True)
    assert _rows(app)[0].status == "eingereicht"

    response = k201.post(f"/aufwand/{entry.id}/zurueckgeben",
                         data={f"r{entry.id}-kommentar": "Termin dauerte laut Protokoll 2 Stunden."})
    assert response.status_code == 302
    [entry] = _rows(app)
    assert entry.status == "zurueckgegeben" and entry.kommentar == "Termin dauerte laut Protokoll 2 Stunden."
    page = mira.get(f"/ehrenamt/einsaetze/{case_id}/aufwand").get_data(as_text=True)
    assert "zurückgegeben" in page and "Termin dauerte laut Protokoll 2 Stunden." in page
    assert "/benachrichtigungen" in page  # header link; the notice itself:
    assert "Aufwand zurückgegeben" in mira.get("/benachrichtigungen").get_data(as_text=True)

    assert mira.post(f"/ehrenamt/aufwand/{entry.id}", data={
        "datum": today().isoformat(), "stunden": "2", "auslagen": "4,80", "notiz": "Busfahrkarte"}).status_code == 302
    [entry] = _rows(app)
    assert entry.status == "eingereicht" and entry.summe == Decimal("20.80")
    assert k201.post(f"/aufwand/{entry.id}/genehmigen").status_code == 302
    assert _rows(app)[0].status == "genehmigt"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"stunden": "abc"}, "stunden", "Bitte eine Zahl angeben, z. B. 2,5."),
    ({"stunden": "25"}, "stunden", "Bitte eine Zahl zwischen 0 und 24 angeben."),
    ({"stunden": "0"}, "stunden", "Bitte Stunden, Kilometer oder Auslagen angeben."),
    ({"datum": (today() + timedelta(days=3)).isoformat()}, "datum", "Das Datum darf nicht in der Zukunft liegen."),
    ({"auslagen": "5"}, "auslagen", "Bitte die Auslagen in der Notiz erläutern."),
    ({"kilometer": "-3"}, "kilometer", "Bitte eine Zahl zwischen 0 und 2000 angeben."),
])
def test_bad_input_is_refused_next_to_the_field(app, login_as, case_id, data, field, message):
    response = _add(login_as("ehrenamt1"), case_id, **data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', text, re.S)
    assert errors and message in errors.group(1)
    assert _rows(app) == []


@pytest.mark.parametrize("username", ["ehrenamt2", "fb36", "k201", "mbe1"])
def test_only_the_cases_volunteer_records(app, login_as, case_id, username):
    client = login_as(username)
    assert client.get(f"/ehrenamt/einsaetze/{case_id}/aufwand").status_code in (403, 404)
    assert _add(client, case_id).status_code in (403, 404)
    assert _rows(app) == []


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36", "mbeleitung", "mbe1", "admin"])
def test_only_201_decides(app, login_as, case_id, username):
    _add(login_as("ehrenamt1"), case_id)
    [entry] = _rows(app)
    client = login_as(username)
    assert client.get("/aufwand/pruefen").status_code == 403
    assert client.post(f"/aufwand/{entry.id}/genehmigen").status_code == 403
    assert client.post(f"/aufwand/{entry.id}/zurueckgeben", data={f"r{entry.id}-kommentar": "nein"}).status_code == 403
    assert client.get(f"/aufwand/abrechnung?ehrenamtliche={user_id(app, 'ehrenamt1')}").status_code == 403
    assert _rows(app)[0].status == "eingereicht"


def test_volunteer_cannot_touch_another_volunteers_entry(app, login_as, case_id):
    _add(login_as("ehrenamt1"), case_id)
    [entry] = _rows(app)
    ole = login_as("ehrenamt2")
    assert ole.get(f"/ehrenamt/aufwand/{entry.id}").status_code == 404
    change = {"datum": today().isoformat(), "stunden": "7"}
    assert ole.post(f"/ehrenamt/aufwand/{entry.id}", data=change).status_code == 404
    assert _rows(app)[0].stunden == Decimal("2")


def test_statement_totals_equal_the_sum_of_approved_entries(app, login_as):
    first = running_case(login_as)
    second = running_case(login_as)
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    last_month = (today().replace(day=1) - timedelta(days=1))
    plan = [
        (first, today(), "1,5", "7", "", "", True),
        (first, today(), "2", "", "3,10", "Fahrkarte", True),
        (second, today(), "4,25", "33,5", "", "", True),
        (second, today(), "1", "", "", "", False),  # returned: not in the statement
        (first, today(), "6", "", "", "", None),  # still submitted: not in the statement
        (first, last_month, "5", "10", "", "", True),  # other month
    ]
    for case, day, hours, km, cash, note, _decision in plan:
        assert _add(mira, case, datum=day.isoformat(), stunden=hours, kilometer=km, auslagen=cash,
                    notiz=note).status_code == 302
    rows = _rows(app)
    for row, (*_rest, decision) in zip(rows, plan, strict=True):
        if decision is True:
            assert k201.post(f"/aufwand/{row.id}/genehmigen").status_code == 302
        elif decision is False:
            comment = {f"r{row.id}-kommentar": "doppelt"}
            assert k201.post(f"/aufwand/{row.id}/zurueckgeben", data=comment).status_code == 302

    # the expected amount, computed independently from the plan with the configured rates
    rate_h, rate_km = Decimal("8.00"), Decimal("0.30")

    def dec(text):
        return Decimal(text.replace(",", ".")) if text else Decimal("0")

    approved_this_month = [p for p in plan if p[6] is True and p[1].strftime("%Y-%m") == month()]
    expected = sum(((dec(h) * rate_h + dec(k) * rate_km + dec(c)).quantize(Decimal("0.01"))
                    for _c, _d, h, k, c, _n, _x in approved_this_month), Decimal("0"))
    expected_hours = sum((dec(p[2]) for p in approved_this_month), Decimal("0"))
    assert expected == Decimal("12.00") + Decimal("2.10") + Decimal("19.10") + Decimal("34.00") + Decimal("10.05")

    mira_id = user_id(app, "ehrenamt1")
    page = k201.get(f"/aufwand/abrechnung?ehrenamtliche={mira_id}&monat={month()}").get_data(as_text=True)
    total = re.search(r'data-total="([\d.]+)"', page).group(1)
    assert Decimal(total) == expected
    body = k201.get(f"/aufwand/abrechnung?ehrenamtliche={mira_id}&monat={month()}&format=csv")
    assert body.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(lines) == 1 + 3 + 1  # header, three approved entries of this month, sum
    assert sum(Decimal(line[7].replace(",", ".")) for line in lines[1:-1]) == expected
    assert Decimal(lines[-1][7].replace(",", ".")) == expected
    assert Decimal(lines[-1][4].replace(",", ".")) == expected_hours

    # the volunteer sees the same statement of their own
    own = mira.get(f"/ehrenamt/abrechnung?monat={month()}").get_data(as_text=True)
    assert Decimal(re.search(r'data-total="([\d.]+)"', own).group(1)) == expected

    # totals per case over the period include last month's entry too
    von = last_month.replace(day=1).isoformat()
    totals = k201.get(f"/aufwand/summen?von={von}&bis={today().isoformat()}").get_data(as_text=True)
    with app.app_context():
        from app.engine.models import ProcessInstance
        ref_first = db.session.get(ProcessInstance, first).reference
    row = re.search(rf"<th scope=\"row\">{ref_first}</th>(.*?)</tr>", totals, re.S).group(1)
    assert "76,20 €" in row  # 14.10 + 19.10 this month + 43.00 last month
