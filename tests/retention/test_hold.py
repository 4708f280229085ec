"""Legal hold: the case's supervisors and the data protection officer set and release it (API and
pages); everyone else may not (403 if they see the case, 404 if not)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.retention.models import LegalHold
from tests.retention.helpers import CLOSED_AT, closed_family_case, closed_mbe_case

API = "/api/v1/process-instances/{}/legal-hold"
MAY = ["leitung", "dsb"]
# (user, status) on the Alltagsbegleitung case of team asd
MAY_NOT = [("fb36", 403), ("k201", 403), ("fb36fh", 404), ("fb31", 404), ("ehrenamt1", 404),
           ("mbe1", 404), ("mbeleitung", 404), ("prozess", 404), ("admin", 404)]


@pytest.fixture
def family(app, clock):
    clock.set(CLOSED_AT)
    with app.app_context():
        return closed_family_case()


@pytest.fixture
def mbe(app, clock):
    clock.set(CLOSED_AT)
    with app.app_context():
        return closed_mbe_case()


def _holds(app, case_id: int) -> list[tuple]:
    """(reason, released_at, released by) of the case's holds."""
    with app.app_context():
        return [(h.reason, h.released_at, h.released_by.username if h.released_by else None)
                for h in db.session.scalars(select(LegalHold).where(LegalHold.instance_id == case_id))]


@pytest.mark.parametrize("username", MAY)
def test_supervisor_and_dpo_set_and_release_a_hold_through_the_api(app, api_client, family, username):
    client = api_client(username)
    response = client.post(API.format(family), json={"reason": "Klage beim Sozialgericht anhängig"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["process_instance_id"] == family and body["reason"] == "Klage beim Sozialgericht anhängig"
    assert body["held_by"] == username and body["held_at"] and body["released_at"] is None
    again = client.post(API.format(family), json={"reason": "noch einmal"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.delete(API.format(family)).status_code == 204
    assert client.delete(API.format(family)).status_code == 404  # nothing left to release
    [(_reason, released_at, released_by)] = _holds(app, family)
    assert released_at is not None and released_by == username


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}, {"reason": "x" * 1001}])
def test_a_hold_needs_a_reason(app, api_client, family, body):
    response = api_client("leitung").post(API.format(family), json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["reason"]
    assert _holds(app, family) == []


@pytest.mark.parametrize(("username", "status"), MAY_NOT)
def test_others_may_not_hold_or_release(app, api_client, family, username, status):
    client = api_client(username)
    assert client.post(API.format(family), json={"reason": "Versuch"}).status_code == status
    assert _holds(app, family) == []
    assert api_client("dsb").post(API.format(family), json={"reason": "Prüfung"}).status_code == 201
    assert client.delete(API.format(family)).status_code == status
    assert [released_at for _r, released_at, _by in _holds(app, family)] == [None]


@pytest.mark.parametrize(("username", "status"), [("mbeleitung", 201), ("dsb", 201), ("mbe2", 404),
                                                   ("mbe1", 403), ("leitung", 404), ("fb36", 404)])
def test_mbe_case_hold_by_the_mbe_lead_only(api_client, mbe, username, status):
    """The responsible counsellor sees the case but may not decide; a colleague does not see it."""
    response = api_client(username).post(API.format(mbe), json={"reason": "Anfrage BAMF"})
    assert response.status_code == status


def test_unknown_case_is_404(api_client):
    assert api_client("dsb").post(API.format(999999), json={"reason": "x"}).status_code == 404


def test_the_api_documents_both_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = paths["/api/v1/process-instances/{instance_id}/legal-hold"] \
        if "/api/v1/process-instances/{instance_id}/legal-hold" in paths \
        else paths["/api/v1/process-instances/{id}/legal-hold"]
    assert {"post", "delete"} <= set(operations)


# --- pages -----------------------------------------------------------------------------------

def test_the_case_view_shows_the_erasure_date_and_the_supervisor_sets_a_hold(app, login_as, family):
    lead = login_as("leitung")
    html = lead.get(f"/faelle/{family}").get_data(as_text=True)
    assert 'data-erasure-date="2030-03-10"' in html and "10.03.2030" in html
    assert "Löschsperre setzen" in html
    response = lead.post(f"/faelle/{family}/loeschsperre", data={"sperre-grund": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Bitte den Grund der Löschsperre angeben." in page and page.count("<h1") == 1
    assert _holds(app, family) == []
    response = lead.post(f"/faelle/{family}/loeschsperre", data={"sperre-grund": "Akteneinsicht beantragt"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/faelle/{family}")
    html = lead.get(f"/faelle/{family}").get_data(as_text=True)
    assert "data-legal-hold" in html and "Akteneinsicht beantragt" in html and "Löschsperre aufheben" in html
    assert lead.post(f"/faelle/{family}/loeschsperre/aufheben").status_code == 302
    [(_reason, released_at, released_by)] = _holds(app, family)
    assert released_at is not None and released_by == "leitung"
    history = lead.get(f"/faelle/{family}").get_data(as_text=True)
    assert "Löschsperre gesetzt" in history and "Löschsperre aufgehoben" in history


def test_the_caseworker_sees_the_date_but_no_hold_form(login_as, family):
    html = login_as("fb36").get(f"/faelle/{family}").get_data(as_text=True)
    assert 'data-erasure-date="2030-03-10"' in html
    assert "Löschsperre setzen" not in html


@pytest.mark.parametrize(("username", "status"), MAY_NOT)
def test_others_may_not_use_the_hold_page(app, login_as, family, username, status):
    client = login_as(username)
    assert client.get(f"/faelle/{family}/loeschsperre").status_code == status
    assert client.post(f"/faelle/{family}/loeschsperre", data={"sperre-grund": "Versuch"}).status_code == status
    assert client.post(f"/faelle/{family}/loeschsperre/aufheben").status_code == status
    assert _holds(app, family) == []


def test_the_dpo_uses_the_hold_page_without_seeing_case_content(app, login_as, family):
    dsb = login_as("dsb")
    assert dsb.get(f"/faelle/{family}").status_code == 404  # no case content
    page = dsb.get(f"/faelle/{family}/loeschsperre")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "10.03.2030" in html and "Ahorn" not in html and "Kita" not in html
    response = dsb.post(f"/faelle/{family}/loeschsperre", data={"sperre-grund": "Auskunftsersuchen"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/loeschsperre")
    html = dsb.get(f"/faelle/{family}/loeschsperre").get_data(as_text=True)
    assert "Auskunftsersuchen" in html
    # a second hold is refused, the first stays
    dsb.post(f"/faelle/{family}/loeschsperre", data={"sperre-grund": "zweite"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LegalHold)) == 1


def test_the_volunteer_of_the_case_may_not_hold_it(app, api_client, login_as):
    """A volunteer sees their assignment (limited access) but never decides on a hold."""
    from tests.volunteers.helpers import running_case

    case_id = running_case(login_as)
    assert api_client("ehrenamt1").post(API.format(case_id), json={"reason": "x"}).status_code == 403
    assert api_client("ehrenamt2").post(API.format(case_id), json={"reason": "x"}).status_code == 404
    assert login_as("ehrenamt1").get(f"/faelle/{case_id}/loeschsperre").status_code == 403
    assert _holds(app, case_id) == []


def test_a_supervisor_who_no_longer_leads_the_team_may_not(app, api_client, family):
    from app.auth.models import LEAD, Membership, Team
    from tests.factories import user

    client = api_client("leitung")
    with app.app_context():
        asd = db.session.scalar(select(Team.id).where(Team.key == "asd"))
        db.session.execute(Membership.__table__.delete().where(
            Membership.user_id == user("leitung").id, Membership.team_id == asd, Membership.kind == LEAD))
        db.session.commit()
    # still sees the case (as lead of 201, a team of every Alltagsbegleitung case), may not decide
    assert client.post(API.format(family), json={"reason": "x"}).status_code == 403
    assert _holds(app, family) == []
