"""The question thread of an assignment: who reads, who writes, who is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import Notification
from app.volunteers.models import CaseMessage
from tests.volunteers.helpers import running_case, user_id


def _notes(app, username: str) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(Notification.user_id == user_id(app, username),
                                                             Notification.kind == "nachricht")).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def _messages(app, case_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CaseMessage.body).where(CaseMessage.instance_id == case_id)
                                       .order_by(CaseMessage.id)))


def test_volunteer_asks_201_answers_both_see_it(app, login_as):
    case_id = running_case(login_as)
    volunteer, k201 = login_as("ehrenamt1"), login_as("k201")
    assert f"/faelle/{case_id}/fragen" in volunteer.get(f"/faelle/{case_id}").get_data(as_text=True)

    response = volunteer.post(f"/faelle/{case_id}/fragen", data={"nachricht": "Darf ich zum Elternabend mit?"})
    assert response.status_code == 302
    [note] = _notes(app, "k201")
    assert note.link == f"/faelle/{case_id}/fragen" and note.read_at is None
    assert _notes(app, "fb36") == [] and _notes(app, "ehrenamt1") == []

    assert "Darf ich zum Elternabend mit?" in k201.get(note.link).get_data(as_text=True)
    assert k201.post(f"/faelle/{case_id}/fragen", data={"nachricht": "Ja, gern."}).status_code == 302
    [answer] = _notes(app, "ehrenamt1")
    assert answer.link == f"/faelle/{case_id}/fragen"

    page = volunteer.get(f"/faelle/{case_id}/fragen").get_data(as_text=True)
    assert page.index("Darf ich zum Elternabend mit?") < page.index("Ja, gern.")
    assert "Mira Helferin" in page and "Sam Koordinata (201)" in page


def test_owner_team_reads_but_does_not_write(app, login_as):
    case_id = running_case(login_as)
    login_as("ehrenamt1").post(f"/faelle/{case_id}/fragen", data={"nachricht": "Frage eins"})
    fb36 = login_as("fb36")
    page = fb36.get(f"/faelle/{case_id}/fragen")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Frage eins" in text and "Neue Nachricht" not in text
    assert fb36.post(f"/faelle/{case_id}/fragen", data={"nachricht": "Einmischung"}).status_code == 403
    assert _messages(app, case_id) == ["Frage eins"]


@pytest.mark.parametrize("username", ["ehrenamt2", "fb36fh", "fb31", "mbe1", "admin", "prozess"])
def test_outsiders_get_404_and_change_nothing(app, login_as, username):
    case_id = running_case(login_as)
    client = login_as(username)
    assert client.get(f"/faelle/{case_id}/fragen").status_code == 404
    assert client.post(f"/faelle/{case_id}/fragen", data={"nachricht": "Hallo"}).status_code == 404
    assert _messages(app, case_id) == []


def test_other_volunteers_own_case_does_not_open_this_thread(app, login_as):
    mine = running_case(login_as, "ehrenamt1")
    other = running_case(login_as, "ehrenamt2")
    ole = login_as("ehrenamt2")
    assert ole.get(f"/faelle/{other}/fragen").status_code == 200
    assert ole.get(f"/faelle/{mine}/fragen").status_code == 404


def test_empty_message_is_refused_next_to_the_field(app, login_as):
    case_id = running_case(login_as)
    response = login_as("ehrenamt1").post(f"/faelle/{case_id}/fragen", data={"nachricht": "  "})
    assert response.status_code == 422
    assert 'id="nachricht-error"' in response.get_data(as_text=True)
    assert "Bitte eine Nachricht eingeben." in response.get_data(as_text=True)
    assert _messages(app, case_id) == [] and _notes(app, "k201") == []


def test_case_before_matching_has_no_thread(app, login_as):
    from tests.flows import start_case_web

    case_id = start_case_web(login_as("fb36"))
    assert login_as("fb36").get(f"/faelle/{case_id}/fragen").status_code == 404
