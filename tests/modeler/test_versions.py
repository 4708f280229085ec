"""Publishing, versions, four-eyes approval, rollback, diff, outline, migration, sync, API,
and who may not do any of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cli import sync_processes
from app.engine.models import CaseEvent, ProcessModel, ProcessVersion, Task
from app.extensions import db
from tests.conftest import login
from tests.flows import complete_web, instance, open_task, start_case_web
from tests.modeler.conftest import SHIPPED, counts, post_xml

RENAMED = SHIPPED.replace('name="Vermittlung"', 'name="Vermittlung einer Begleitung"', 1)


def publish_via_api(owner, xml: str, comment: str = "geändert") -> int:
    draft = post_xml(owner, xml).get_json()
    assert draft["valid"], draft["problems"]
    response = owner.post(f"/process-models/alltagsbegleitung/drafts/{draft['id']}/publish", json={"comment": comment})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def test_publish_changed_version_old_case_stays_new_case_uses_new(app, api):
    fb36 = login(app.test_client(), "fb36")
    old_case = start_case_web(fb36)
    assert complete_web(fb36, old_case, "bedarfsermittlung").status_code == 302
    assert publish_via_api(api("prozess"), RENAMED) == 2

    # The running case stays on version 1 with its old step name ...
    assert instance(app, old_case).version_id == _version_id(app, 1)
    assert open_task(app, old_case, "vermittlung").title == "Vermittlung"
    # ... and the next case starts on version 2.
    new_case = start_case_web(fb36)
    assert instance(app, new_case).version_id == _version_id(app, 2)
    assert complete_web(fb36, new_case, "bedarfsermittlung").status_code == 302
    assert open_task(app, new_case, "vermittlung").title == "Vermittlung einer Begleitung"


def _version_id(app, number: int) -> int:
    with app.app_context():
        return db.session.scalar(select(ProcessVersion.id).join(ProcessVersion.model)
                                 .where(ProcessModel.key == "alltagsbegleitung", ProcessVersion.number == number))


def test_api_lists_models_versions_and_xml(app, api):
    owner = api("prozess")
    publish_via_api(owner, RENAMED, "Vermittlung umbenannt")
    models = owner.get("/process-models").get_json()
    assert [m["key"] for m in models if m["key"] == "alltagsbegleitung"]
    versions = owner.get("/process-models/alltagsbegleitung/versions").get_json()
    assert [(v["version"], v["published_by"], v["comment"]) for v in versions][-1] == (2, "prozess",
                                                                                       "Vermittlung umbenannt")
    xml = owner.get("/process-models/alltagsbegleitung/versions/2/bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert "Vermittlung einer Begleitung" in xml.get_data(as_text=True)
    assert owner.get("/process-models/alltagsbegleitung/versions/9/bpmn").status_code == 404
    assert owner.get("/process-models/gibtsnicht/versions").status_code == 404


def test_publishing_unchanged_content_is_refused(app, api):
    owner = api("prozess")
    draft = post_xml(owner, SHIPPED).get_json()
    response = owner.post(f"/process-models/alltagsbegleitung/drafts/{draft['id']}/publish", json={"comment": "x"})
    assert response.status_code == 409
    assert "gleich der neuesten Version 1" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "mbe1", "leitung", "admin"])
def test_nobody_but_process_owners_may_use_the_api(app, api, username):
    other = api(username)
    before = counts(app)
    assert other.get("/process-models").status_code == 403
    assert other.get("/process-models/alltagsbegleitung/versions").status_code == 403
    assert other.get("/process-models/alltagsbegleitung/versions/1/bpmn").status_code == 403
    assert post_xml(other, RENAMED).status_code == 403
    assert other.post("/process-models/alltagsbegleitung/drafts/1/publish").status_code == 403
    assert counts(app) == before


def test_api_needs_a_token(client):
    assert client.get("/api/v1/process-models").status_code == 401


@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "mbe1", "leitung", "admin"])
def test_nobody_but_process_owners_may_open_the_pages(app, username):
    web = login(app.test_client(), username)
    base = "/prozessmodelle/alltagsbegleitung"
    for url in ["/prozessmodelle", base, f"{base}/versionen/1", f"{base}/versionen/1/bpmn", f"{base}/vergleich",
                f"{base}/faelle"]:
        assert web.get(url).status_code == 403, url
    before = counts(app)
    assert web.post(f"{base}/entwuerfe", data={"from": "newest"}).status_code == 403
    assert web.post(f"{base}/versionen/1/erneut-veroeffentlichen").status_code == 403
    assert counts(app) == before
    assert "Prozessmodelle" not in web.get("/aufgaben").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/prozessmodelle")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_four_eyes_needs_a_second_owner(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})
    first, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    base = "/prozessmodelle/alltagsbegleitung"
    draft_url = first.post(f"{base}/entwuerfe", data={"from": "newest"}).headers["Location"]
    response = first.post(f"{draft_url}/veroeffentlichen", data={"comment": "neu", "bpmn_xml": RENAMED})
    assert response.status_code == 302
    page = first.get(draft_url).get_data(as_text=True)
    assert "Wartet auf Freigabe" in page
    assert counts(app)[0] == 1  # not published yet
    # The author cannot approve their own change.
    first.post(f"{draft_url}/freigeben")
    assert counts(app)[0] == 1
    # The second process owner approves: version 2, author and approver recorded.
    assert second.post(f"{draft_url}/freigeben").status_code == 302
    assert counts(app)[0] == 2
    listing = second.get(base).get_data(as_text=True)
    assert "freigegeben von Otto Zweitblick" in listing and "Petra Modell" in listing


def test_rollback_publishes_old_content_as_new_version(app, api):
    owner = api("prozess")
    publish_via_api(owner, RENAMED)
    web = login(app.test_client(), "prozess")
    response = web.post("/prozessmodelle/alltagsbegleitung/versionen/1/erneut-veroeffentlichen")
    assert response.status_code == 302
    with app.app_context():
        versions = db.session.scalars(select(ProcessVersion).join(ProcessVersion.model)
                                      .where(ProcessModel.key == "alltagsbegleitung")
                                      .order_by(ProcessVersion.number)).all()
        assert [v.number for v in versions] == [1, 2, 3]
        assert versions[2].content_hash == versions[0].content_hash
        assert "Version 1 erneut veröffentlicht" in versions[2].comment
        assert versions[1].bpmn_xml == RENAMED  # the published versions themselves never change


def test_diff_and_outline_pages(app, api):
    changed = RENAMED.replace('value="P10D"', 'value="P5D"', 1)
    publish_via_api(api("prozess"), changed)
    web = login(app.test_client(), "prozess")
    diff = web.get("/prozessmodelle/alltagsbegleitung/vergleich?von=1&bis=2").get_data(as_text=True)
    assert "Umbenannt" in diff and "„Vermittlung“ → „Vermittlung einer Begleitung“" in diff
    assert "Geänderte Eigenschaften" in diff and "P10D" in diff and "P5D" in diff
    outline = web.get("/prozessmodelle/alltagsbegleitung/versionen/2").get_data(as_text=True)
    for text in ["Bahnen und Zuständigkeit", "Koordinierungsstelle", "das Team „k201“ als Gruppenaufgabe",
                 "Vermittlung einer Begleitung", "alltagsbegleitung.vermittlung", "P5D",
                 "ergebnis == &#34;fortfuehren&#34;", "sonst (Standardfluss)", "Einsatzende erreicht"]:
        assert text in outline, text
    assert '<th scope="row">' in outline


def test_migrating_a_running_case_keeps_its_task_and_is_recorded(app, api):
    fb36 = login(app.test_client(), "fb36")
    case = start_case_web(fb36)
    complete_web(fb36, case, "bedarfsermittlung")
    task_before = open_task(app, case, "vermittlung")
    publish_via_api(api("prozess"), RENAMED)
    web = login(app.test_client(), "prozess")
    page = web.get("/prozessmodelle/alltagsbegleitung/faelle").get_data(as_text=True)
    assert "Ja" in page
    response = web.post(f"/prozessmodelle/alltagsbegleitung/faelle/{case}/umstellen")
    assert response.status_code == 302
    assert instance(app, case).version_id == _version_id(app, 2)
    task_after = open_task(app, case, "vermittlung")
    assert task_after.id == task_before.id and task_after.title == "Vermittlung einer Begleitung"
    with app.app_context():
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == case, CaseEvent.kind == "migrated"))
        assert event.data == {"von_version": 1, "zu_version": 2}
    # The case goes on in version 2.
    k201 = login(app.test_client(), "k201")
    task = open_task(app, case, "vermittlung")
    k201.post(f"/aufgaben/{task.id}/uebernehmen")
    assert complete_web(k201, case, "vermittlung").status_code == 302
    assert open_task(app, case, "vorgespraech") is not None


def test_migration_is_refused_when_the_waiting_step_is_gone(app, api):
    fb36 = login(app.test_client(), "fb36")
    case = start_case_web(fb36)
    without = SHIPPED.replace('id="bedarfsermittlung"', 'id="bedarf_neu"', 1).replace(
        'targetRef="bedarfsermittlung"', 'targetRef="bedarf_neu"').replace(
        'sourceRef="bedarfsermittlung"', 'sourceRef="bedarf_neu"').replace(
        "<bpmn:flowNodeRef>bedarfsermittlung</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>bedarf_neu</bpmn:flowNodeRef>")
    without = without.replace('bpmnElement="bedarfsermittlung"', 'bpmnElement="bedarf_neu"')
    publish_via_api(api("prozess"), without)
    web = login(app.test_client(), "prozess")
    assert "fehlt in Version 2" in web.get("/prozessmodelle/alltagsbegleitung/faelle").get_data(as_text=True)
    response = web.post(f"/prozessmodelle/alltagsbegleitung/faelle/{case}/umstellen", follow_redirects=True)
    assert "nicht umgestellt" in response.get_data(as_text=True)
    assert instance(app, case).version_id == _version_id(app, 1)
    with app.app_context():
        assert db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "migrated")) is None
        assert db.session.scalar(select(Task).where(Task.instance_id == case)).status == "open"


def test_bulk_migration(app, api):
    fb36 = login(app.test_client(), "fb36")
    cases = [start_case_web(fb36) for _ in range(2)]
    publish_via_api(api("prozess"), RENAMED)
    web = login(app.test_client(), "prozess")
    response = web.post("/prozessmodelle/alltagsbegleitung/faelle/umstellen", follow_redirects=True)
    assert "2 Fall/Fälle auf Version 2 umgestellt" in response.get_data(as_text=True)
    assert {instance(app, c).version_id for c in cases} == {_version_id(app, 2)}


def test_sync_keeps_the_owners_version_and_imports_only_changed_files(app, api, tmp_path):
    publish_via_api(api("prozess"), RENAMED)
    with app.app_context():
        assert sync_processes() == []  # shipped file unchanged: the owner's version 2 stays newest
        db.session.commit()
    assert counts(app)[0] == 2
    (tmp_path / "alltagsbegleitung.bpmn").write_text(SHIPPED.replace('value="P14D"', 'value="P21D"', 1),
                                                     encoding="utf-8")
    with app.app_context():
        assert sync_processes(str(tmp_path)) == ["alltagsbegleitung v3"]
        db.session.commit()
        assert sync_processes(str(tmp_path)) == []
