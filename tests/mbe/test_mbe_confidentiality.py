"""MBE cases are confidential: only the responsible counsellor and the MBE team lead see them,
in every page, list, inbox, count and API endpoint. Everyone else gets 404 / nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from tests.flows import start_case_web
from tests.mbe.conftest import ALL_ROLES, api_login, complete, open_task, start, with_consent

SEES_A = {"mbe1", "mbeleitung"}  # case A belongs to mbe1


@pytest.fixture
def cases(mbe_app):
    """Case A (mbe1, past the Erstkontakt, with client data), case B (mbe2, at the Erstkontakt),
    and one Alltagsbegleitung case of fb36 as a control."""
    app = mbe_app
    with app.app_context():
        a = start("mbe1")
        complete(a, "erstkontakt", "mbe1", with_consent("Amira", "Vertraulich", "1980-05-04"))
        b = start("mbe2")
        ref_a = db.session.get(ProcessInstance, a).reference
        ref_b = db.session.get(ProcessInstance, b).reference
        task_a = open_task(a, "beratung").id
        task_b = open_task(b, "erstkontakt").id
    control = start_case_web(_logged_in(app, "fb36"))
    return {"app": app, "a": a, "b": b, "ref_a": ref_a, "ref_b": ref_b, "task_a": task_a, "task_b": task_b,
            "control": control}


def _logged_in(app, username):
    from tests.conftest import login

    return login(app.test_client(), username)


@pytest.mark.parametrize("username", ALL_ROLES)
def test_ui_matrix(cases, username):
    app, a, task_a = cases["app"], cases["a"], cases["task_a"]
    client = _logged_in(app, username)
    sees = username in SEES_A

    view = client.get(f"/faelle/{a}")
    assert view.status_code == (200 if sees else 404)
    if not sees:
        assert b"Vertraulich" not in view.data and cases["ref_a"].encode() not in view.data

    task_page = client.get(f"/aufgaben/{task_a}")
    expected = {"mbe1": 200, "mbeleitung": 403}.get(username, 404)
    assert task_page.status_code == expected

    crisis = client.get(f"/faelle/{a}/krise")
    assert (crisis.status_code == 404) is (not sees)

    for path in ("/faelle", "/faelle?status=running", "/aufgaben", "/benachrichtigungen"):
        if path == "/benachrichtigungen":
            # each counsellor started their own case and nobody is told of a task they gave
            # themselves: no notice names either case, for anyone
            page = client.get(path)
            assert page.status_code == 200
            assert cases["ref_a"].encode() not in page.data and cases["ref_b"].encode() not in page.data
            continue
        page = client.get(path)
        assert page.status_code == 200, path
        in_list = path.startswith("/faelle")  # inbox: only the assignee's own task
        assert (cases["ref_a"].encode() in page.data) is (sees if in_list else username == "mbe1"), (path, username)
        assert (cases["ref_b"].encode() in page.data) is (
            username in {"mbe2", "mbeleitung"} if in_list else username == "mbe2"), (path, username)
        if not sees:
            assert b"Vertraulich" not in page.data

    agreement = [r.rule for r in app.url_map.iter_rules() if "integrationsvereinbarung" in r.rule]
    for rule in agreement:
        page = client.get(rule.replace("<int:instance_id>", str(a)))
        assert (page.status_code == 404) is (not sees), rule


@pytest.mark.parametrize("username", ALL_ROLES)
def test_api_matrix(cases, username):
    app, a, b = cases["app"], cases["a"], cases["b"]
    api = api_login(app, username)
    sees_a, sees_b = username in SEES_A, username in {"mbe2", "mbeleitung"}

    listing = api.get("/api/v1/process-instances?per_page=200").get_json()
    ids = {item["id"] for item in listing["items"]}
    assert (a in ids) is sees_a and (b in ids) is sees_b
    assert listing["total"] == len(listing["items"])  # the total counts only what the caller sees
    mbe_only = api.get("/api/v1/process-instances?process=mbe_beratung").get_json()
    assert mbe_only["total"] == int(sees_a) + int(sees_b)
    assert {i["id"] for i in mbe_only["items"]} == ({a} if sees_a else set()) | ({b} if sees_b else set())

    detail = api.get(f"/api/v1/process-instances/{a}")
    assert detail.status_code == (200 if sees_a else 404)
    if sees_a:
        assert detail.get_json()["data"]["nachname"] == "Vertraulich"
    else:
        assert detail.get_json()["error"]["code"] == "not_found"
        assert b"Vertraulich" not in detail.data

    tasks = api.get("/api/v1/tasks").get_json()
    assert not any(t["process_instance_id"] in (a, b) and username not in ("mbe1", "mbe2") for t in tasks)
    assert (cases["task_a"] in {t["id"] for t in tasks}) is (username == "mbe1")
    assert (cases["task_b"] in {t["id"] for t in tasks}) is (username == "mbe2")
    of_a = [t["id"] for t in api.get(f"/api/v1/tasks?process_instance={a}").get_json()]
    assert of_a == ([cases["task_a"]] if username == "mbe1" else [])

    one = api.get(f"/api/v1/tasks/{cases['task_a']}")
    assert one.status_code == (200 if sees_a else 404)

    keys = {p["key"] for p in api.get("/api/v1/processes").get_json()}
    assert ("mbe_beratung" in keys) is (username in ("mbe1", "mbe2"))

    start = api.post("/api/v1/process-instances", json={"process": "mbe_beratung"})
    assert start.status_code == (201 if username in ("mbe1", "mbe2") else 403)

    handover = api.post(f"/api/v1/process-instances/{a}/handover", json={"an": "mbe2", "grund": "Test"})
    assert handover.status_code == (200 if sees_a else 404)


def test_counsellor_does_not_see_colleagues_case_count(cases):
    """The colleague's case is in no total: case list caption and API totals."""
    app = cases["app"]
    mbe2 = _logged_in(app, "mbe2")
    page = mbe2.get("/faelle").get_data(as_text=True)
    assert "(1)" in page  # only her own case B
    lead = _logged_in(app, "mbeleitung").get("/faelle").get_data(as_text=True)
    assert "(2)" in lead


def test_lead_is_participant_only_as_lead(cases):
    """The owner-team row of an MBE case admits leads only; Alltagsbegleitung keeps team rows."""
    app = cases["app"]
    with app.app_context():
        from app.engine.models import CaseParticipant

        rows = db.session.scalars(select(CaseParticipant).where(CaseParticipant.instance_id == cases["a"])).all()
        team_rows = [r for r in rows if r.team_id is not None]
        assert team_rows and all(r.leads_only for r in team_rows)
        control = db.session.scalars(select(CaseParticipant).where(
            CaseParticipant.instance_id == cases["control"], CaseParticipant.team_id.is_not(None))).all()
        assert control and not any(r.leads_only for r in control)
        assert db.session.scalar(select(ProcessModel.confidential).where(ProcessModel.key == "alltagsbegleitung")) \
            is False


def test_absence_cover_never_reaches_municipal_staff(cases):
    """A counsellor can only name a colleague of the MBE team as substitute; municipal staff are
    not offered and a forged choice is refused, so MBE cases never reach them."""
    app = cases["app"]
    mbe1 = _logged_in(app, "mbe1")
    page = mbe1.get("/abwesenheit").get_data(as_text=True)
    assert "Paul Weg" in page and "Jana Beispiel" not in page and "Sam Koordinata" not in page
    with app.app_context():
        from app.auth.models import User

        fb36_id = db.session.scalar(select(User.id).where(User.username == "fb36"))
    from datetime import date, timedelta

    forged = mbe1.post("/abwesenheit", data={"starts_on": date.today().isoformat(),
                                             "ends_on": (date.today() + timedelta(days=3)).isoformat(),
                                             "substitute": str(fb36_id)})
    assert forged.status_code == 422
    fb36 = _logged_in(app, "fb36")
    assert fb36.get(f"/faelle/{cases['a']}").status_code == 404
    assert fb36.get(f"/aufgaben/{cases['task_a']}").status_code == 404
