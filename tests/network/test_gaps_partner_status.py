"""Deactivating and reactivating a partner: gone from the referral choice (and the goal
suggestions), kept in past referrals and past network maps; only editors may switch it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.network import services
from app.network.models import Partner, Referral
from tests.factories import today
from tests.volunteers.helpers import running_case

SVG = "{http://www.w3.org/2000/svg}"


def _make(app, name: str, year: int = today().year, username: str = "k201") -> int:
    with app.app_context():
        org = db.session.scalar(select(User.organisation_id).where(User.username == username))
        partner = services.save_partner(None, org, name=name, typ="jobcenter", intensitaet=3, wichtigkeit=2,
                                        year=year)
        db.session.commit()
        return partner.id


def _active(app, pid: int) -> bool:
    with app.app_context():
        return db.session.get(Partner, pid).active


def _map_names(client, year: int) -> list[str]:
    response = client.get(f"/netzwerk/karte/{year}.svg")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    return [g.find(f"{SVG}title").text.split(" – ")[0] for g in root.iter(f"{SVG}g") if g.get("class") == "partner"]


def test_deactivated_partner_leaves_the_choice_but_stays_in_history_and_maps(app, login_as):
    pid = _make(app, "Jobcenter Musterstadt", year=today().year - 1)
    other = _make(app, "Sprachschule Beispiel")
    case_id = running_case(login_as)
    fb36, k201 = login_as("fb36"), login_as("k201")
    assert fb36.post(f"/faelle/{case_id}/verweis", data={"partner": str(pid), "anlass": "Bürgergeld"}).status_code \
        == 302

    edit = k201.get(f"/netzwerk/partner/{pid}").get_data(as_text=True)
    assert "Partner deaktivieren" in edit
    response = k201.post(f"/netzwerk/partner/{pid}/status", data={"aktiv": "0"})
    assert response.status_code == 302
    assert _active(app, pid) is False
    assert "ist deaktiviert" in k201.get("/netzwerk/partner").get_data(as_text=True)

    # the directory still lists it, marked inactive (not by colour alone: the word "inaktiv")
    listing = fb36.get("/netzwerk/partner").get_data(as_text=True)
    assert f'data-inactive="{pid}"' in listing and "(inaktiv)" in listing
    assert f'data-inactive="{other}"' not in listing
    # gone from the referral choice, still in the case's referrals and history
    view = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    choice = view.split('id="partner"', 1)[1].split("</select>", 1)[0]
    assert f'value="{pid}"' not in choice and f'value="{other}"' in choice
    referrals = view.split('id="verweis-h"', 1)[1].split("</table>", 1)[0]
    assert "Jobcenter Musterstadt" in referrals and "Bürgergeld" in referrals
    assert "Partner eingebunden: Jobcenter Musterstadt" in view
    # a new referral to it is refused, nothing is stored
    response = fb36.post(f"/faelle/{case_id}/verweis", data={"partner": str(pid), "anlass": "nochmal"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Referral.id))) == 1
    # past and current maps stay as they were; the new year's carry-over leaves it out
    assert _map_names(k201, today().year - 1) == ["Jobcenter Musterstadt"]
    assert k201.post(f"/netzwerk/karte/{today().year + 1}/uebernehmen").status_code == 302
    assert _map_names(k201, today().year + 1) == ["Sprachschule Beispiel"]
    # not suggested for goals any more
    with app.test_request_context():
        from flask_login import login_user

        from app.network.routes import network_partner_names

        login_user(db.session.scalar(select(User).where(User.username == "k201")))
        assert network_partner_names() == ["Sprachschule Beispiel"]

    # reactivated: offered again
    assert k201.post(f"/netzwerk/partner/{pid}/status", data={"aktiv": "1"}).status_code == 302
    assert _active(app, pid) is True
    view = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert f'value="{pid}"' in view.split('id="partner"', 1)[1].split("</select>", 1)[0]
    assert 'data-inactive' not in fb36.get("/netzwerk/partner").get_data(as_text=True)


def test_bad_status_value_changes_nothing(app, login_as):
    pid = _make(app, "Jobcenter Musterstadt")
    k201 = login_as("k201")
    assert k201.post(f"/netzwerk/partner/{pid}/status", data={"aktiv": "vielleicht"}).status_code == 400
    assert k201.post(f"/netzwerk/partner/{pid}/status", data={}).status_code == 400
    assert _active(app, pid) is True


@pytest.mark.parametrize("username, status", [
    ("fb36", 403), ("fb31", 403), ("ehrenamt1", 403), ("prozess", 403), ("admin", 403),
    ("mbe1", 404),  # another organisation's directory: the partner does not exist for them
])
def test_who_may_not_switch_a_partner(app, login_as, username, status):
    pid = _make(app, "Jobcenter Musterstadt")
    client = login_as(username)
    assert client.post(f"/netzwerk/partner/{pid}/status", data={"aktiv": "0"}).status_code == status
    assert _active(app, pid) is True


def test_mbe_and_leitung_switch_their_own_partners(app, login_as):
    pid = _make(app, "Beratungsdienst Süd", username="mbe1")
    assert login_as("mbe2").post(f"/netzwerk/partner/{pid}/status", data={"aktiv": "0"}).status_code == 302
    assert _active(app, pid) is False
    kommune = _make(app, "Ausländerbehörde Kreis")
    assert login_as("leitung").post(f"/netzwerk/partner/{kommune}/status", data={"aktiv": "0"}).status_code == 302
    assert _active(app, kommune) is False
