"""Finding and recognising cases: the search (HTML and API) never returns a case the user may not
see, walked over every demo role; names where the user may see who the case is about ("anonym"
for an MBE case without consent); the sortable case list with step, next due date and timer."""

from __future__ import annotations

import os
import re

import pytest

from app.auth.access import access_level
from app.engine.models import ProcessInstance
from app.extensions import db
from tests import factories
from tests.flows import valid_data
from tests.mbe.conftest import erstkontakt, with_consent

ROLES = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "mbe2", "mbeleitung", "leitung",
         "prozess", "prozess2", "admin"]
# Who may see which case (the access rules, written out): ab_asd with the volunteer ehrenamt1,
# ab_fh without one yet, MBE cases of mbe1 (with consent, and anonymous) and of mbe2.
SEES = {
    "fb36": {"ab_asd"}, "fb36fh": {"ab_fh"}, "fb31": set(), "k201": {"ab_asd", "ab_fh"},
    "ehrenamt1": {"ab_asd"}, "ehrenamt2": set(), "mbe1": {"mbe_saleh", "mbe_anon"}, "mbe2": {"mbe_hrytsenko"},
    "mbeleitung": {"mbe_saleh", "mbe_anon", "mbe_hrytsenko"}, "leitung": {"ab_asd", "ab_fh"},
    "prozess": set(), "prozess2": set(), "admin": set(),
}
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def cases(app):
    """The set of cases every test walks over (ids by name)."""
    with app.test_request_context():
        ids = {"ab_asd": factories.start_case("fb36", team="asd")}
        factories.complete(ids["ab_asd"], "bedarfsermittlung", "fb36",
                           valid_data("bedarfsermittlung", familienname="Familie Ahmadi"))
        factories.complete(ids["ab_asd"], "vermittlung", "k201", valid_data("vermittlung"))  # ehrenamt1
        factories.complete(ids["ab_asd"], "vorgespraech", "fb36", valid_data("vorgespraech"))
        ids["ab_fh"] = factories.start_case("fb36fh", team="fruehehilfen")
        factories.complete(ids["ab_fh"], "bedarfsermittlung", "fb36fh",
                           valid_data("bedarfsermittlung", familienname="Familie Müller-Özdemir"))
        ids["mbe_saleh"] = factories.start_case("mbe1", "mbe_beratung", "mbe")
        factories.complete(ids["mbe_saleh"], "erstkontakt", "mbe1", with_consent("Amira", "Saleh", "1985-03-12"))
        ids["mbe_anon"] = factories.start_case("mbe1", "mbe_beratung", "mbe")
        factories.complete(ids["mbe_anon"], "erstkontakt", "mbe1", erstkontakt())  # no consent: anonymous
        ids["mbe_hrytsenko"] = factories.start_case("mbe2", "mbe_beratung", "mbe")
        factories.complete(ids["mbe_hrytsenko"], "erstkontakt", "mbe2",
                           with_consent("Dmytro", "Hrytsenko", "1979-11-02"))
        refs = {name: db.session.get(ProcessInstance, i).reference for name, i in ids.items()}
        year = refs["ab_asd"].split("-")[1]
    return {"ids": ids, "refs": refs, "year": year}


def _html_hits(client, q: str) -> set[int]:
    response = client.get("/suche", query_string={"q": q})
    assert response.status_code == 200, response.data[:300]
    return {int(i) for i in re.findall(r'data-instance="(\d+)"', response.get_data(as_text=True))}


def _api_hits(api, q: str) -> list[dict]:
    response = api.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.mark.parametrize("username", ROLES)
def test_search_returns_only_cases_the_user_may_see(app, cases, login_as, api_client, username):
    ids, names = cases["ids"], {v: k for k, v in cases["ids"].items()}
    client, api = login_as(username), api_client(username)
    expected = {ids[name] for name in SEES[username]}
    with app.app_context():  # the table above is what the access rules say
        user = factories.user(username)
        assert {i for i in ids.values() if access_level(user, db.session.get(ProcessInstance, i))} == expected
    # every case has the year in its reference: the search by number lists exactly the visible ones
    assert _html_hits(client, cases["year"]) == expected
    assert {item["id"] for item in _api_hits(api, cases["year"])} == expected
    # by name and by date of birth: only where the user sees the case (and may see who it is)
    for q, case in [("Ahmadi", "ab_asd"), ("mueller", "ab_fh"), ("Özdemir", "ab_fh"), ("saleh", "mbe_saleh"),
                    ("Hrytsenko", "mbe_hrytsenko"), ("12.03.1985", "mbe_saleh"), ("1985-03-12", "mbe_saleh"),
                    ("2.11.1979", "mbe_hrytsenko")]:
        want = {ids[case]} & expected
        assert _html_hits(client, q) == want, (q, username)
        assert {item["id"] for item in _api_hits(api, q)} == want, (q, username)
    for item in _api_hits(api, cases["year"]):
        assert set(item) == {"id", "reference", "title", "process", "status"}
        name = names[item["id"]]
        assert item["title"] == {"ab_asd": "Familie Ahmadi", "ab_fh": "Familie Müller-Özdemir",
                                 "mbe_saleh": "Amira Saleh", "mbe_hrytsenko": "Dmytro Hrytsenko",
                                 "mbe_anon": "anonym"}[name]


def test_a_case_left_is_no_longer_found(app, cases, login_as):
    """Access that ends (the MBE case handed over to mbe2) ends in the search too."""
    from app.mbe import handover

    client = login_as("mbe1")
    assert _html_hits(client, "Saleh") == {cases["ids"]["mbe_saleh"]}
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, cases["ids"]["mbe_saleh"])
        handover.hand_over(instance, factories.user("mbeleitung"), factories.user("mbe2"), "Urlaub")
        db.session.commit()
    assert _html_hits(client, "Saleh") == set()
    assert _html_hits(login_as("mbe2"), "Saleh") == {cases["ids"]["mbe_saleh"]}


@pytest.mark.skipif(not POSTGRES, reason="typo search uses pg_trgm (PostgreSQL); SQLite matches parts of names")
def test_a_name_with_a_typo_is_found_on_postgresql(cases, login_as, api_client):
    assert _html_hits(login_as("fb36"), "Amadi") == {cases["ids"]["ab_asd"]}
    assert [i["id"] for i in _api_hits(api_client("mbe1"), "Salech")] == [cases["ids"]["mbe_saleh"]]
    assert _html_hits(login_as("fb36fh"), "Amadi") == set()


def test_search_input_is_checked(cases, login_as, api_client):
    client, api = login_as("fb36"), api_client("fb36")
    page = client.get("/suche")
    assert page.status_code == 200 and 'role="search"' in page.get_data(as_text=True)
    for q in ("", "   ", "x" * 101):
        response = client.get("/suche", query_string={"q": q})
        assert response.status_code == 422 and "Suchbegriff" in response.get_data(as_text=True)
        answer = api.get("/api/v1/search", query_string={"q": q})
        assert answer.status_code == 422 and "Suchbegriff" in answer.get_json()["error"]["fields"]["q"][0]
    assert api.get("/api/v1/search").status_code == 422
    assert client.get("/suche", query_string={"q": "%"}).status_code == 200  # a LIKE wildcard is text
    assert _html_hits(client, "%") == set()


def test_header_search_field_on_every_page(login_as):
    html = login_as("k201").get("/aufgaben").get_data(as_text=True)
    form = re.search(r'<form class="header-search" role="search"[^>]*action="/suche"[^>]*>(.*?)</form>', html, re.S)
    assert form and '<label for="header-q">' in form.group(1) and 'name="q"' in form.group(1)


def _row(html: str, instance_id: int) -> str:
    found = re.search(rf'data-instance="{instance_id}".*?</tr>', html, re.S)
    return found.group(0) if found else ""


def test_names_in_case_list_inbox_and_monitor(cases, login_as):
    ids = cases["ids"]
    mbe1_list = login_as("mbe1").get("/faelle").get_data(as_text=True)
    assert "Amira Saleh" in _row(mbe1_list, ids["mbe_saleh"])
    assert "anonym" in _row(mbe1_list, ids["mbe_anon"])
    inbox = login_as("mbe1").get("/aufgaben").get_data(as_text=True)
    assert "Amira Saleh" in inbox and "anonym" in inbox and "Hrytsenko" not in inbox
    volunteer = login_as("ehrenamt1")
    assert "Familie Ahmadi" in volunteer.get("/aufgaben").get_data(as_text=True)  # their Rückmeldung
    assert "Familie Ahmadi" in _row(volunteer.get("/faelle").get_data(as_text=True), ids["ab_asd"])
    assert "Familie Ahmadi" in login_as("k201").get("/aufgaben").get_data(as_text=True)
    monitor = login_as("mbeleitung").get("/monitor").get_data(as_text=True)
    assert "Amira Saleh" in _row(monitor, ids["mbe_saleh"]) and "anonym" in _row(monitor, ids["mbe_anon"])
    assert "Familie Ahmadi" not in monitor
    leitung = login_as("leitung").get("/monitor").get_data(as_text=True)
    assert "Familie Ahmadi" in _row(leitung, ids["ab_asd"]) and "Saleh" not in leitung
    header = login_as("mbe1").get(f"/faelle/{ids['mbe_anon']}").get_data(as_text=True)
    assert 'data-case-name="anonym"' in header


def test_case_list_shows_step_due_date_and_timer_and_sorts(app, cases, login_as):
    ids = cases["ids"]
    k201 = login_as("k201")
    html = k201.get("/faelle").get_data(as_text=True)
    assert "Zwischengespräch" in _row(html, ids["ab_asd"]) and "Vermittlung" in _row(html, ids["ab_fh"])
    with app.app_context():
        ab = db.session.get(ProcessInstance, ids["ab_asd"])
        timer = ab.next_timer_due  # the end of the assignment (Vorgespräch "ende")
    assert timer is not None
    from app.web.formatting import datum

    with app.test_request_context():
        assert datum(timer) in _row(html, ids["ab_asd"])

    def order(client, sort, direction):
        page = client.get("/faelle", query_string={"sort": sort, "richtung": direction}).get_data(as_text=True)
        return [int(i) for i in re.findall(r'<tr data-instance="(\d+)"', page)]

    # by the first open step's title: "Rückmeldung an 201" (with the Zwischengespräch) < "Vermittlung"
    assert order(k201, "step", "auf") == [ids["ab_asd"], ids["ab_fh"]]
    assert order(k201, "step", "ab") == [ids["ab_fh"], ids["ab_asd"]]
    assert order(k201, "reference", "auf") == [ids["ab_asd"], ids["ab_fh"]]
    assert order(k201, "started", "ab") == [ids["ab_fh"], ids["ab_asd"]]
    assert order(k201, "timer", "auf") == [ids["ab_asd"], ids["ab_fh"]]  # no timer: last
    lead = login_as("mbeleitung")
    assert order(lead, "name", "auf") == [ids["mbe_saleh"], ids["mbe_hrytsenko"], ids["mbe_anon"]]
    assert order(lead, "name", "ab") == [ids["mbe_hrytsenko"], ids["mbe_saleh"], ids["mbe_anon"]]
    assert k201.get("/faelle", query_string={"sort": "bogus"}).status_code == 200
    sorted_page = k201.get("/faelle", query_string={"sort": "due", "richtung": "auf"}).get_data(as_text=True)
    assert 'aria-sort="ascending"' in sorted_page


def test_case_list_is_one_query_per_part_not_per_case(app, cases, login_as):
    """No N+1: the list's queries do not grow with the number of cases."""
    from sqlalchemy import event

    client = login_as("mbeleitung")
    with app.app_context():
        engine = db.engine
    counts = []
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    for _round in range(2):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/faelle").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
        with app.test_request_context():
            for _ in range(3):
                factories.start_case("mbe1", "mbe_beratung", "mbe")
    assert counts[1] == counts[0]
