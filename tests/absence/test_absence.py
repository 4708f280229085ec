"""Absence cover: a colleague of the same team works on the absent person's personal tasks
during the absence — only on those cases — and it ends by itself."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.absence.models import Absence
from app.auth.models import MEMBER, Membership, Team, User
from app.engine.models import CaseEvent
from app.extensions import db
from tests.conftest import login
from tests.factories import api_token
from tests.flows import open_task, start_case_web, to_form, valid_data


@pytest.fixture
def team(app):
    """fb36 (asd, also member of fruehehilfen) and a second asd member fb36b."""
    with app.app_context():
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        teams = {t.key: t for t in db.session.scalars(select(Team))}
        fb36.memberships.append(Membership(team=teams["fruehehilfen"], kind=MEMBER))
        colleague = User(username="fb36b", display_name="Bea Kollegin (ASD)", email="fb36b@example.org")
        colleague.roles = ["fachkraft"]
        colleague.set_password("demo")
        colleague.memberships.append(Membership(team=teams["asd"], kind=MEMBER))
        db.session.add(colleague)
        db.session.commit()
    return app


def _claimed_case(app, client, team_key: str) -> tuple[int, int]:
    """A case of ``team_key`` whose Bedarfsermittlung fb36 has claimed: (case id, task id)."""
    case_id = start_case_web(client, team=team_key) if team_key == "asd" else None
    if case_id is None:  # fruehehilfen: started by fb36 as member of that team
        case_id = start_case_web(client, team=team_key)
    task = open_task(app, case_id, "bedarfsermittlung")
    assert client.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 302
    return case_id, task.id


def _absence(app, starts: date, ends: date) -> int:
    with app.app_context():
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        sub = db.session.scalar(select(User).where(User.username == "fb36b"))
        absence = Absence(user=fb36, substitute=sub, starts_on=starts, ends_on=ends, created_by=fb36)
        db.session.add(absence)
        db.session.commit()
        return absence.id


def test_substitute_works_only_on_covered_cases_during_the_absence(team):
    app = team
    fb36 = login(app.test_client(), "fb36")
    other_case, other_task = _claimed_case(app, fb36, "fruehehilfen")  # a team fb36b is not in
    uncovered_case = start_case_web(login(app.test_client(), "fb36fh"), team="fruehehilfen")
    sub = login(app.test_client(), "fb36b")

    # before the absence: a fruehehilfen case is invisible to the asd colleague
    assert sub.get(f"/faelle/{other_case}").status_code == 404
    absence_id = _absence(app, date.today() + timedelta(days=1), date.today() + timedelta(days=5))
    assert sub.get(f"/faelle/{other_case}").status_code == 404  # planned, not started

    with app.app_context():  # the absence starts today
        absence = db.session.get(Absence, absence_id)
        absence.starts_on = date.today()
        db.session.commit()
    inbox = sub.get("/aufgaben").data.decode()
    assert f'/aufgaben/{other_task}"' in inbox and "Vertretung für Jana Beispiel (ASD)" in inbox
    assert sub.get(f"/faelle/{other_case}").status_code == 200
    assert sub.get(f"/faelle/{uncovered_case}").status_code == 404  # nothing beyond the covered
    assert other_case in [c["id"] for c in _api_cases(sub, "fb36b")]
    assert uncovered_case not in [c["id"] for c in _api_cases(sub, "fb36b")]

    response = sub.post(f"/aufgaben/{other_task}", data=to_form(valid_data("bedarfsermittlung")))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(CaseEvent).where(
            CaseEvent.instance_id == other_case, CaseEvent.kind == "cover"))
        assert event.data == {"vertretung_fuer": "fb36"} and event.actor.username == "fb36b"
    # the completed task no longer opens the case for the substitute
    assert sub.get(f"/faelle/{other_case}").status_code == 404


def test_cover_ends_by_itself_and_can_be_ended_early(team):
    app = team
    fb36 = login(app.test_client(), "fb36")
    case_id, task_id = _claimed_case(app, fb36, "fruehehilfen")
    sub = login(app.test_client(), "fb36b")
    absence_id = _absence(app, date.today() - timedelta(days=10), date.today() - timedelta(days=1))
    assert sub.get(f"/faelle/{case_id}").status_code == 404  # ended yesterday
    assert sub.post(f"/aufgaben/{task_id}", data=to_form(valid_data("bedarfsermittlung"))).status_code == 404

    with app.app_context():
        db.session.get(Absence, absence_id).ends_on = date.today() + timedelta(days=3)
        db.session.commit()
    assert sub.get(f"/faelle/{case_id}").status_code == 200
    assert fb36.post(f"/abwesenheit/{absence_id}/beenden").status_code == 302
    assert sub.get(f"/faelle/{case_id}").status_code == 404
    # only the absent person ends their absence
    assert sub.post(f"/abwesenheit/{absence_id}/beenden").status_code == 404


def test_absence_form(team):
    app = team
    fb36 = login(app.test_client(), "fb36")
    page = fb36.get("/abwesenheit").data.decode()
    assert "Bea Kollegin (ASD)" in page and "Lea Probe" not in page  # fb31: not a colleague
    with app.app_context():
        sub_id = db.session.scalar(select(User.id).where(User.username == "fb36b"))
    bad = fb36.post("/abwesenheit", data={"starts_on": date.today().isoformat(),
                                          "ends_on": (date.today() - timedelta(days=1)).isoformat(),
                                          "substitute": str(sub_id)})
    assert bad.status_code == 422 and "Das Ende darf nicht vor dem Beginn liegen." in bad.data.decode()
    stranger = fb36.post("/abwesenheit", data={"starts_on": date.today().isoformat(),
                                               "ends_on": date.today().isoformat(), "substitute": "1"})
    assert stranger.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Absence.id)) is None
    ok = fb36.post("/abwesenheit", data={"starts_on": date.today().isoformat(),
                                         "ends_on": (date.today() + timedelta(days=2)).isoformat(),
                                         "substitute": str(sub_id)})
    assert ok.status_code == 302
    assert "läuft" in fb36.get("/abwesenheit").data.decode()


def _api_cases(client, username: str) -> list[dict]:
    token = api_token(client, username)
    return client.get("/api/v1/process-instances",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
