"""Förderplan goals: the partner field suggests the counsellor's own organisation's directory
(a <datalist>), free text stays possible, and a named directory partner becomes a referral of
the case exactly once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.engine.models import CaseEvent, Task
from app.extensions import db
from app.network import services
from app.network.models import Referral
from tests.flows import to_form
from tests.mbe import mbe_steps as s


def _partner(app, username: str, name: str, active: bool = True) -> int:
    with app.app_context():
        org = db.session.scalar(select(User.organisation_id).where(User.username == username))
        partner = services.save_partner(None, org, name=name, typ="jobcenter", intensitaet=2, wichtigkeit=2)
        partner.active = active
        db.session.commit()
        return partner.id


def _to_plan(app) -> int:
    instance_id = s.start(app)
    consent = {"einwilligung": True, "einwilligung_datum": s.iso(s.today()), "einwilligung_form": "schriftlich",
               "einwilligung_umfang": ["speicherung", "weitergabe"], "nachname": "Beispiel"}  # sharing allowed
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**consent)) == {}
    assert s.complete(app, instance_id, "beratung", s.beratung("case_management")) == {}
    assert s.complete(app, instance_id, "assessment", s.assessment()) == {}
    assert s.open_tasks(app, instance_id) == ["foerderplan"]
    return instance_id


def _task_id(app, instance_id: int, bpmn_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Task.id).where(Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
                                                       Task.status == "open"))


def _referrals(app, instance_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(r.partner.name, r.anlass) for r in services.referrals(instance_id)]


def _plan(*goals: tuple[str, str]) -> dict:
    """Goals as (target, partner text)."""
    return {"ziele": [{"bereich": "arbeit", "ziel": ziel, "frist": s.iso(s.today() + timedelta(days=60 + i)),
                       "partner": partner} for i, (ziel, partner) in enumerate(goals)],
            "termine": "Nach Absprache"}


def test_partner_field_suggests_only_the_own_organisations_active_partners(app, login_as):
    _partner(app, "mbe1", "Jobcenter Musterstadt")
    _partner(app, "mbe1", "Alte Kursschule", active=False)
    _partner(app, "k201", "Ausländerbehörde des Kreises")  # the municipality's directory
    instance_id = _to_plan(app)
    page = login_as("mbe1").get(f"/aufgaben/{_task_id(app, instance_id, 'foerderplan')}").get_data(as_text=True)
    inputs = re.findall(r'<input[^>]*name="ziele-\d+-partner"[^>]*>', page)
    assert inputs and all('list="netzwerkpartner"' in tag for tag in inputs)
    assert page.count('<datalist id="netzwerkpartner">') == 1
    datalist = page.split('<datalist id="netzwerkpartner">', 1)[1].split("</datalist>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', datalist) == ["Jobcenter Musterstadt"]
    assert "Ausländerbehörde des Kreises" not in page and "Alte Kursschule" not in page


def test_named_directory_partner_becomes_one_referral_free_text_stays(app, login_as):
    jobcenter = _partner(app, "mbe1", "Jobcenter Musterstadt")
    _partner(app, "mbe1", "Alte Kursschule", active=False)
    _partner(app, "k201", "Sprachschule Kommunal")  # another organisation: never matched
    instance_id = _to_plan(app)
    client = login_as("mbe1")
    plan = _plan(("Arbeitsstelle finden", " jobcenter musterstadt "), ("Bewerbung schreiben", "Jobcenter Musterstadt"),
                 ("Nachbarschaft kennenlernen", "Nachbarschaftstreff Ost"), ("Kurs", "Alte Kursschule"),
                 ("Sprachkurs", "Sprachschule Kommunal"))
    response = client.post(f"/aufgaben/{_task_id(app, instance_id, 'foerderplan')}", data=to_form(plan))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    assert _referrals(app, instance_id) == [("Jobcenter Musterstadt", "Förderziel: Arbeitsstelle finden")]
    data = s.case(app, instance_id).data
    assert [z["partner"] for z in data["ziele"]] == ["jobcenter musterstadt", "Jobcenter Musterstadt",
                                                     "Nachbarschaftstreff Ost", "Alte Kursschule",
                                                     "Sprachschule Kommunal"]
    view = client.get(f"/faelle/{instance_id}").get_data(as_text=True)
    referrals = view.split('id="verweis-h"', 1)[1].split("</section>", 1)[0]
    assert "Jobcenter Musterstadt" in referrals and "Nachbarschaftstreff Ost" not in referrals

    # the review keeps naming it: still one referral; a newly named partner is added once
    _partner(app, "mbe1", "Integrationskurs Nord")
    assert s.complete(app, instance_id, "vereinbarung", s.vereinbarung()) == {}
    assert s.fire(app, s.at(60)) == 1
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "fortsetzen",
              "ziele": [{"status": "teilweise"}, {"status": "erreicht", "partner": "Integrationskurs Nord"},
                        {"status": "teilweise"}, {"status": "teilweise"}, {"status": "teilweise"}]}
    page = client.get(f"/aufgaben/{_task_id(app, instance_id, 'ueberpruefung')}").get_data(as_text=True)
    assert 'list="netzwerkpartner"' in page and '<datalist id="netzwerkpartner">' in page
    assert s.complete(app, instance_id, "ueberpruefung", review) == {}
    assert [name for name, _ in _referrals(app, instance_id)] == ["Jobcenter Musterstadt", "Integrationskurs Nord"]
    with app.app_context():
        events = db.session.scalars(select(CaseEvent.title).where(CaseEvent.instance_id == instance_id,
                                                                  CaseEvent.kind == "referral")).all()
        assert sorted(events) == ["Integrationskurs Nord", "Jobcenter Musterstadt"]
        assert db.session.get(Referral, 1).partner_id == jobcenter


def test_manual_referral_first_means_no_second_one(app, login_as):
    pid = _partner(app, "mbe1", "Jobcenter Musterstadt")
    instance_id = _to_plan(app)
    client = login_as("mbe1")
    assert client.post(f"/faelle/{instance_id}/verweis", data={"partner": str(pid), "anlass": "Anmeldung"}) \
        .status_code == 302
    assert s.complete(app, instance_id, "foerderplan", _plan(("Arbeit", "Jobcenter Musterstadt"))) == {}
    assert _referrals(app, instance_id) == [("Jobcenter Musterstadt", "Anmeldung")]


def test_invalid_plan_records_no_referral(app, login_as):
    _partner(app, "mbe1", "Jobcenter Musterstadt")
    instance_id = _to_plan(app)
    bad = _plan(("Arbeit", "Jobcenter Musterstadt"))
    bad["ziele"][0]["frist"] = s.iso(s.today() - timedelta(days=1))
    response = login_as("mbe1").post(f"/aufgaben/{_task_id(app, instance_id, 'foerderplan')}", data=to_form(bad))
    assert response.status_code == 422
    assert _referrals(app, instance_id) == []
    assert s.open_tasks(app, instance_id) == ["foerderplan"]
