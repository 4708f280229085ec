"""Consent that binds (issue 14, item 4): a referral of an MBE case to a partner only within the
client's consent — through the case view form, the service and the plan goals naming a partner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.engine.models import CaseEvent, ProcessInstance
from app.extensions import db
from app.network import services
from app.network.models import Referral
from tests.mbe import mbe_steps as s


def consent() -> dict:
    """Computed when used: its date is relative to today (see tests.factories.today)."""
    return {"einwilligung": True, "einwilligung_datum": s.iso(s.today()), "einwilligung_form": "schriftlich",
            "vorname": "Lina", "nachname": "Beispielfrau"}


def _partner(app, name: str = "Jobcenter Musterstadt", typ: str = "jobcenter") -> int:
    with app.app_context():
        org = db.session.scalar(select(User.organisation_id).where(User.username == "mbe1"))
        partner = services.save_partner(None, org, name=name, typ=typ, intensitaet=2, wichtigkeit=2)
        db.session.commit()
        return partner.id


def _case(app, **erstkontakt) -> int:
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**erstkontakt)) == {}
    return instance_id


def _referrals(app, instance_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Referral.id)).where(Referral.instance_id == instance_id))


def _post(login_as, instance_id: int, partner_id: int):
    return login_as("mbe1").post(f"/faelle/{instance_id}/verweis",
                                 data={"partner": str(partner_id), "anlass": "Unterstützung bei der Arbeitssuche"})


def test_referral_without_consent_is_refused_next_to_the_field(app, login_as):
    partner_id = _partner(app)
    instance_id = _case(app)  # anonymous: no consent recorded
    response = _post(login_as, instance_id, partner_id)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ohne Einwilligung der ratsuchenden Person darf der Fall nicht an Partner weitergegeben werden." in page
    assert 'aria-invalid="true"' in page.split('id="verweis-h"', 1)[1]
    assert _referrals(app, instance_id) == 0
    with app.app_context():
        assert not db.session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.instance_id == instance_id, CaseEvent.kind == "referral"))


def test_consent_without_sharing_scope_is_refused_in_the_service(app):
    partner_id = _partner(app)
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung", "kontakt"])
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, instance_id)
        partner = db.session.get(services.Partner, partner_id)
        user = db.session.scalar(select(User).where(User.username == "mbe1"))
        with pytest.raises(services.ReferralRefused, match="umfasst keine Weitergabe"):
            services.refer(instance, partner, user, "")
    assert _referrals(app, instance_id) == 0


def test_referral_within_the_consent_is_recorded(app, login_as):
    partner_id = _partner(app)
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung", "weitergabe"])
    response = _post(login_as, instance_id, partner_id)
    assert response.status_code == 302
    assert _referrals(app, instance_id) == 1


def test_partner_types_narrow_the_sharing(app):
    jobcenter, school = _partner(app), _partner(app, "Abendschule Nord", "schule")
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung", "weitergabe"])
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, instance_id)
        instance.data = {**instance.data, "einwilligung_partnerarten": ["schule"]}
        user = db.session.scalar(select(User).where(User.username == "mbe1"))
        services.refer(instance, db.session.get(services.Partner, school), user, "")
        with pytest.raises(services.ReferralRefused):
            services.refer(instance, db.session.get(services.Partner, jobcenter), user, "")


@pytest.mark.parametrize("key, message", [("einwilligung_bis", "abgelaufen"),
                                          ("einwilligung_widerrufen", "widerrufen")])
def test_ended_or_withdrawn_consent_is_refused(app, login_as, key, message):
    partner_id = _partner(app)
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung", "weitergabe"])
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        instance.data = {**instance.data, key: s.iso(s.today() - timedelta(days=1))}
        db.session.commit()
    response = _post(login_as, instance_id, partner_id)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _referrals(app, instance_id) == 0


def test_plan_goal_naming_a_partner_refers_only_within_the_consent(app):
    _partner(app)
    without = _case(app)
    within = _case(app, **consent(), einwilligung_umfang=["speicherung", "weitergabe"])
    goals = [{"ziel": "Arbeitsstelle finden", "partner": "Jobcenter Musterstadt"}]
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == "mbe1"))
        assert services.refer_named_partners(db.session.get(ProcessInstance, without), user, goals) == []
        assert len(services.refer_named_partners(db.session.get(ProcessInstance, within), user, goals)) == 1
        db.session.commit()
    assert (_referrals(app, without), _referrals(app, within)) == (0, 1)


def _withdraw(login_as, username: str, instance_id: int, **data):
    form = {"datum": s.iso(s.today()), "notiz": "Widerruf telefonisch mitgeteilt", **data}
    return login_as(username).post(f"/mbe/faelle/{instance_id}/einwilligung-widerrufen", data=form)


def _stat_counts(app) -> tuple[int, int]:
    from app.mbe.models import MbeCaseStat, MbeStatFact

    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(MbeCaseStat)),
                db.session.scalar(select(func.count()).select_from(MbeStatFact)))


def test_withdrawal_anonymises_at_once_and_refuses_further_referrals(app, login_as):
    from app.mbe.models import CaseClient, Client

    partner_id = _partner(app)
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung", "weitergabe", "kontakt"],
                        geburtsdatum="1990-05-04",
                        anschrift="Musterweg 1, 12345 Musterstadt", telefon="0123 456789")
    assert s.complete(app, instance_id, "beratung", s.beratung()) == {}
    client = login_as("mbe1")
    before = client.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Die Einwilligung liegt vor." in before and f"/mbe/faelle/{instance_id}/einwilligung-widerrufen" in before
    assert "Beispielfrau" in client.get("/mbe/klienten", query_string={"name": "Lina"}).get_data(as_text=True)
    assert "Beispielfrau" in client.get("/suche", query_string={"q": "Lina"}).get_data(as_text=True)
    stats = _stat_counts(app)
    page = client.get(f"/mbe/faelle/{instance_id}/einwilligung-widerrufen")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<h1") == 1

    missing = _withdraw(login_as, "mbe1", instance_id, notiz="")
    assert missing.status_code == 422 and "Bitte eine Notiz zum Widerruf angeben." in missing.get_data(as_text=True)
    future = _withdraw(login_as, "mbe1", instance_id, datum=s.iso(s.today() + timedelta(days=1)))
    assert future.status_code == 422
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).title == "Lina Beispielfrau"  # nothing changed yet

    assert _withdraw(login_as, "mbe1", instance_id).status_code == 302
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.title == ""
        assert db.session.get(CaseClient, instance_id) is None
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0
        for key in ("vorname", "nachname", "geburtsdatum", "anschrift", "telefon"):
            assert key not in instance.data
        events = list(db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance_id)))
        assert not any("Beispielfrau" in str(e.data) or "Musterweg" in str(e.data) or "Beispielfrau" in e.title
                       for e in events)
        withdrawn = [e for e in events if e.kind == "mbe_consent_withdrawn"]
        assert withdrawn and withdrawn[0].data == {"widerrufen_am": s.iso(s.today()),
                                                   "notiz": "Widerruf telefonisch mitgeteilt"}
        assert withdrawn[0].actor.username == "mbe1"
    assert _stat_counts(app) == stats
    assert "Beispielfrau" not in client.get("/mbe/klienten", query_string={"name": "Lina"}).get_data(as_text=True)
    assert "Beispielfrau" not in client.get("/suche", query_string={"q": "Lina"}).get_data(as_text=True)
    view = client.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Beispielfrau" not in view and "Musterweg" not in view and "Einwilligung widerrufen" in view
    assert "Widerrufen am" in view and "einwilligung-widerrufen" not in view
    refused = _post(login_as, instance_id, partner_id)
    assert refused.status_code == 422 and "widerrufen" in refused.get_data(as_text=True)
    assert _referrals(app, instance_id) == 0


@pytest.mark.parametrize("username, status", [("mbeleitung", 302), ("mbe2", 404), ("fb36", 404), ("leitung", 404),
                                              ("admin", 404)])
def test_who_may_record_a_withdrawal(app, login_as, username, status):
    instance_id = _case(app, **consent(), einwilligung_umfang=["speicherung"])
    response = _withdraw(login_as, username, instance_id)
    assert response.status_code == status
    with app.app_context():
        assert (db.session.get(ProcessInstance, instance_id).title == "") is (status == 302)


def test_erstkontakt_records_partner_types_and_end_which_bind(app):
    from app.network.models import PARTNER_TYPES
    from forms.mbe import EINWILLIGUNG_PARTNERARTEN

    assert tuple(key for key, _label in EINWILLIGUNG_PARTNERARTEN) == PARTNER_TYPES
    jobcenter, school = _partner(app), _partner(app, "Abendschule Nord", "schule")
    instance_id = s.start(app)
    bad = s.complete(app, instance_id, "erstkontakt", s.erstkontakt(
        **consent(), einwilligung_umfang=["speicherung", "weitergabe"],
        einwilligung_bis=s.iso(s.today() - timedelta(days=1))))
    assert bad == {"einwilligung_bis": ["Das Ende der Einwilligung darf nicht vor ihrem Datum liegen."]}
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(
        **consent(), einwilligung_umfang=["speicherung", "weitergabe"], einwilligung_partnerarten=["schule"],
        einwilligung_bis=s.iso(s.today() + timedelta(days=30)))) == {}
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, instance_id)
        user = db.session.scalar(select(User).where(User.username == "mbe1"))
        services.refer(instance, db.session.get(services.Partner, school), user, "")
        with pytest.raises(services.ReferralRefused, match="umfasst keine Weitergabe"):
            services.refer(instance, db.session.get(services.Partner, jobcenter), user, "")


def test_withdrawal_erases_journal_documents_appointments_and_the_workflow_state(make_app, tmp_path):
    """The withdrawal goes through the erasure core: not only the Erstkontakt's fields, but the
    journal texts, the documents (files too), the appointments' titles and places, the plan's
    wording and the copy of the form data in the workflow state."""
    from app.appointments.models import Appointment
    from app.documents.models import Document
    from app.journal.models import JournalEntry
    from tests.erasure import helpers as h
    from tests.factories import login

    store = tmp_path / "documents"
    app = make_app({"DOCUMENT_STORAGE_DIR": str(store)})
    instance_id = _case(app, **{**consent(), "nachname": h.FAMILY},
                        einwilligung_umfang=["speicherung", "weitergabe", "kontakt"], anschrift="Quittenweg 17")
    assert s.complete(app, instance_id, "beratung", s.beratung("case_management")) == {}
    assert s.complete(app, instance_id, "assessment", s.assessment()) == {}
    assert s.complete(app, instance_id, "foerderplan", s.foerderplan(40)) == {}
    with app.test_request_context():
        h.fill_case_file(instance_id, "mbe1")
    with app.app_context():
        assert h.FAMILY in db.session.get(ProcessInstance, instance_id).state
    assert len(h.stored_files(store)) == 1

    client = login(app.test_client(), "mbe1")
    response = client.post(f"/mbe/faelle/{instance_id}/einwilligung-widerrufen",
                           data={"datum": s.iso(s.today()), "notiz": "Widerruf schriftlich eingegangen"})
    assert response.status_code == 302

    with app.app_context():
        assert h.found_secrets(h.database_text()) == []
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.status == "running" and instance.data["einwilligung_widerrufen"] == s.iso(s.today())
        assert "Quittenweg" not in instance.state and h.FAMILY not in instance.state
        entry = db.session.scalar(select(JournalEntry).where(JournalEntry.instance_id == instance_id))
        assert entry.text == "" and entry.next_steps == ""
        document = db.session.scalar(select(Document).where(Document.instance_id == instance_id))
        assert document.deleted and document.filename == ""
        appointment = db.session.scalar(select(Appointment).where(Appointment.instance_id == instance_id))
        assert appointment.title == "" and appointment.place == "" and appointment.starts_at is not None
        kinds = [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance_id)
                                                    .order_by(CaseEvent.id))]
        assert kinds[-2:] == ["erased", "mbe_consent_withdrawn"]
        erased = db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == instance_id,
                                                           CaseEvent.kind == "erased"))
        assert erased.data["grund"] == "consent_withdrawn"
    assert h.stored_files(store) == []
    page = client.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Personenbezogene Daten gelöscht am" in page and "(Einwilligung widerrufen)" in page
    assert h.found_secrets(page) == []
    # the anonymous case goes on: its plan is reviewed and it closes
    assert s.complete(app, instance_id, "vereinbarung", s.vereinbarung()) == {}
    assert s.fire(app, s.at(40)) == 1
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "abschliessen",
              "ziele": [{"status": "erreicht"}]}
    assert s.complete(app, instance_id, "ueberpruefung", review) == {}
    assert s.complete(app, instance_id, "abschluss", s.abschluss()) == {}
    assert s.case(app, instance_id).status == "completed"
