"""The decision table editor: drafts, structure, named constants, test cases, diff, four-eyes."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.decisions import services
from app.decisions import table as table_model
from app.decisions.models import DecisionDraft, DecisionTable
from app.extensions import db
from tests.factories import login
from tests.mbe import mbe_steps as s

URL = "/entscheidungen/mbe_berechtigung"
AGE_RULES = ("rule_bis_27", "rule_ik_verpflichtet", "rule_neuzuwanderung", "rule_langansaessig_krise",
             "rule_oeffnungsklausel")


def decide(app, **overrides) -> str:
    """The eligibility a new MBE case gets through the real process and engine."""
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**overrides)) == {}
    return s.case(app, instance_id).data["berechtigung"]


def model(app) -> table_model.TableModel:
    """What the editor shows now: the open draft, else the current version."""
    with app.app_context():
        draft = services.open_draft("mbe_berechtigung")
        return services.draft_model(draft) if draft else services.model_of(services.current("mbe_berechtigung"))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, m: table_model.TableModel, action: str = "speichern", **extra):
    return client.post(URL, data={**table_model.form_data(m), "aktion": action, **extra})


def counts(app) -> tuple[int, int]:
    with app.app_context():
        versions = db.session.scalar(select(func.count()).select_from(DecisionTable)
                                     .where(DecisionTable.decision_id == "mbe_berechtigung"))
        drafts = db.session.scalar(select(func.count()).select_from(DecisionDraft))
        return versions, drafts


def with_age_constant(m: table_model.TableModel, value: str = "27") -> table_model.TableModel:
    m.constants = [table_model.Constant("Altersgrenze", value, "Jugendmigrationsdienst bis einschließlich")]
    for rule in m.rules:
        if rule.id in AGE_RULES:
            rule.inputs[0] = rule.inputs[0].replace("27", "Altersgrenze")
    return m


def add_case(m, name, expected, **inputs):
    data = {"jahre_seit_einreise": "1", "aufenthaltsstatus": '"p44"', "krise": "False",
            "ik_verpflichtet": "False", "freie_kapazitaet": "True"}
    data.update({k: str(v) for k, v in inputs.items()})
    m.tests.append(table_model.TestCase(name, data, {"berechtigung": f'"{expected}"'}))
    return m


def test_constant_changed_once_changes_every_rule(app, login_as):
    owner = login_as("prozess")
    m = with_age_constant(model(app))
    assert post(owner, m, kommentar="Altersgrenze als Konstante").status_code == 302
    # a draft: the engine still uses version 1
    assert counts(app) == (1, 1)
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    assert counts(app)[0] == 2
    with app.app_context():
        xml = services.current("mbe_berechtigung").dmn_xml
    assert "Altersgrenze" not in xml and xml.count("&gt; 27") == 4 and "&lt;= 27" in xml
    assert decide(app, alter=27) == "nicht_zustaendig"
    assert decide(app, alter=28) == "berechtigt"

    m = model(app)
    assert [c.value for c in m.constants] == ["27"]
    m.constants[0].value = "28"
    assert post(owner, m).status_code == 302
    page = text(owner.get(URL))
    assert "Konstante Altersgrenze: 27 → 28" in page
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    with app.app_context():
        xml = services.current("mbe_berechtigung").dmn_xml
        view = services.read_table(xml)
    assert [r.inputs[0].text for r in view.rules if r.id in AGE_RULES] == ["<= 28", "> 28", "> 28", "> 28", "> 28"]
    assert decide(app, alter=28) == "nicht_zustaendig"
    assert decide(app, alter=29) == "berechtigt"


def test_unknown_constant_and_bad_cells_are_all_reported_and_nothing_is_saved(app, login_as):
    owner = login_as("prozess")
    m = model(app)
    m.rules[0].inputs[0] = "<= Altergrenze"
    m.rules[1].outputs[0] = "__import__('os').system('id')"
    m.constants = [table_model.Constant("alter", "x")]
    m.outputs[0].expression = "Berechtigung!"
    response = post(owner, m)
    assert response.status_code == 422
    html = text(response)
    assert "Es wurde nichts gespeichert." in html
    assert "Unbekannte Konstante „Altergrenze“" in html and 'id="f-rule-0-in-0-error"' in html
    assert 'id="f-rule-1-out-0-error"' in html and "Nicht erlaubt" in html
    assert 'id="f-const-0-name-error"' in html and 'id="f-const-0-value-error"' in html
    assert 'id="f-out-0-name-error"' in html
    assert counts(app) == (1, 0)


def test_failing_test_case_blocks_publishing_and_a_passing_one_allows_it(app, login_as):
    owner = login_as("prozess")
    m = add_case(model(app), "27 Jahre: Jugendmigrationsdienst", "berechtigt", alter=27)  # wrong on purpose
    checked = post(owner, m, "pruefen")  # run the cases without storing anything
    assert checked.status_code == 200 and "nicht bestanden" in text(checked) and counts(app) == (1, 0)
    assert post(owner, m).status_code == 302  # a draft may hold a failing case
    page = text(owner.get(URL))
    assert "nicht bestanden" in page and 'erwartet "berechtigt", erhalten "nicht_zustaendig"' in page
    response = owner.post(f"{URL}/veroeffentlichen")
    assert response.status_code == 422
    html = text(response)
    assert "nicht alle Testfälle sind bestanden" in html and "Testfall „27 Jahre: Jugendmigrationsdienst“" in html
    assert counts(app) == (1, 1)

    m = model(app)
    m.tests[0].expected["berechtigung"] = '"nicht_zustaendig"'
    add_case(m, "28 Jahre, neu eingereist", "berechtigt", alter=28)
    assert post(owner, m).status_code == 302
    page = text(owner.get(URL))
    assert page.count("<strong>bestanden</strong>") == 2
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    assert counts(app)[0] == 2
    with app.app_context():
        assert [t.name for t in services.model_of(services.current("mbe_berechtigung")).tests] == [
            "27 Jahre: Jugendmigrationsdienst", "28 Jahre, neu eingereist"]


def test_rules_are_added_moved_and_removed_without_javascript(app, login_as):
    owner = login_as("prozess")
    m = model(app)
    # "Regel hinzufügen" shows the table with an empty rule, stores nothing
    response = post(owner, m, "regel-neu")
    assert response.status_code == 200
    html = text(response)
    assert "noch nicht gespeichert" in html and 'name="rule-6-out-0"' in html and 'name="n_rules" value="7"' in html
    assert counts(app) == (1, 0)
    # moving up and down, removing: the posted table comes back changed
    assert 'name="rule-0-id" value="rule_ik_verpflichtet"' in text(post(owner, m, "regel-hoch-1"))
    assert 'name="rule-5-id" value="rule_oeffnungsklausel"' in text(post(owner, m, "regel-runter-4"))
    assert "rule_sonst" not in text(post(owner, m, "regel-loeschen-5"))

    # saved: a new rule for the Jugendmigrationsdienst referral by capacity, first rule moved down
    m.rules.insert(5, table_model.Rule("rule_neu", "Krise ohne Kapazität", ["> 27", "", "", "True", "", "False"],
                                       ['"nicht_zustaendig"']))
    m.rules[0], m.rules[1] = m.rules[1], m.rules[0]
    del m.rules[4]  # Öffnungsklausel
    assert post(owner, m).status_code == 302
    changes = text(owner.get(URL))
    assert "Regel 5 „Krise ohne Kapazität“ hinzugefügt" in changes
    assert ("Regel 5 „Öffnungsklausel: andere Personen nur in einer Krise und nur bei freier Kapazität“ "
            "entfernt") in changes
    assert "Reihenfolge der Regeln geändert" in changes
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    with app.app_context():
        rules = services.read_table(services.current("mbe_berechtigung").dmn_xml).rules
    assert [r.id for r in rules] == ["rule_ik_verpflichtet", "rule_bis_27", "rule_neuzuwanderung",
                                     "rule_langansaessig_krise", "rule_neu", "rule_sonst"]
    assert decide(app, aufenthaltsstatus="sonstige", einreise_oder_titel_datum=None, krise=True) == "nicht_zustaendig"


def test_columns_and_hit_policy_change(app, login_as):
    owner = login_as("prozess")
    m = model(app)
    html = text(post(owner, m, "ergebnis-neu"))
    assert 'name="out-1-name"' in html and 'name="rule-0-out-1"' in html
    assert 'name="in-5-expr"' not in text(post(owner, m, "eingabe-loeschen-5"))
    # COLLECT: every matching rule, the result is a list; a second output; capacity column removed
    m.hit_policy = "COLLECT"
    m.outputs.append(table_model.Column("out_hinweis", "Hinweis", "hinweis"))
    for rule in m.rules:
        rule.outputs.append('"ja"' if rule.id == "rule_sonst" else '"nein"')
        del rule.inputs[5]
    del m.inputs[5]
    m.inputs[0].label = "Alter in Jahren"
    inputs = {"alter": "30", "jahre_seit_einreise": "1", "aufenthaltsstatus": '"p44"'}
    m.tests = [table_model.TestCase("30, neu", inputs, {"berechtigung": '["berechtigt", "nicht_zustaendig"]'})]
    assert post(owner, m).status_code == 302
    page = text(owner.get(URL))
    assert "Trefferregel: UNIQUE → COLLECT" in page
    assert "Ergebnisspalte „Hinweis“ (hinweis) hinzugefügt" in page
    assert "Eingabespalte „Freie Beratungskapazität“ entfernt" in page
    assert "Eingabespalte umbenannt: „Alter (Jahre)“ → „Alter in Jahren“" in page
    assert "<strong>bestanden</strong>: 30, neu" in page
    with app.app_context():
        results = services.run_tests(model(app))
        assert results[0].passed


def test_diff_between_versions_is_listed(app, login_as):
    owner = login_as("prozess")
    m = model(app)
    m.rules[2].inputs[1] = "<= 5"
    assert post(owner, m, kommentar="Fünf Jahre").status_code == 302
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302
    page = text(owner.get(URL))
    assert ("Regel 3 „Neuzuwanderung (§ 44 AufenthG, Spätaussiedler und Angehörige) bis drei Jahre nach Einreise "
            "bzw. Titel“, Jahre seit Einreise bzw. Aufenthaltstitel: „<= 3“ → „<= 5“") in page
    assert "Fünf Jahre" in page and "erste Version" in page
    assert decide(app, einreise_oder_titel_datum=s.iso(s.years_ago(4))) == "berechtigt"


def test_four_eyes_second_owner_approves_author_cannot(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})
    first, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    m = with_age_constant(model(app), "30")
    add_case(m, "29 Jahre", "nicht_zustaendig", alter=29)
    assert post(first, m, kommentar="Altersgrenze 30").status_code == 302
    assert first.post(f"{URL}/veroeffentlichen").status_code == 302
    assert counts(app) == (1, 1)  # submitted, not published
    assert "wartet auf Freigabe" in text(first.get(URL))
    # the approver sees it in the approvals registry (the inbox) with the diff on the page behind it
    from app.approvals import pending_for
    from app.auth.models import User

    with app.test_request_context():
        users = {u.username: u for u in db.session.scalars(select(User).where(
            User.username.in_(["prozess", "prozess2", "fb36"])))}
        assert pending_for(users["prozess"]) == [] and pending_for(users["fb36"]) == []
        [item] = pending_for(users["prozess2"])
        assert item.kind == "Entscheidungstabelle" and item.url == f"{URL}/freigabe"
        assert item.comment == "Altersgrenze 30"
    page = text(second.get(f"{URL}/freigabe"))
    assert "Konstante Altersgrenze = 30 hinzugefügt" in page and "<strong>bestanden</strong>: 29 Jahre" in page
    # the author cannot approve their own change
    assert first.post(f"{URL}/freigabe", data={"entscheidung": "freigeben"}).status_code == 403
    assert "Freigeben und veröffentlichen" not in text(first.get(f"{URL}/freigabe"))
    assert counts(app)[0] == 1
    assert second.post(f"{URL}/freigabe", data={"entscheidung": "freigeben"}).status_code == 302
    assert counts(app)[0] == 2
    assert decide(app, alter=29) == "nicht_zustaendig"
    assert decide(app, alter=31) == "berechtigt"


def test_four_eyes_rejection_needs_a_reason_and_goes_back_to_the_author(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})
    first, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    m = model(app)
    m.rules[0].inputs[0] = "<= 99"
    assert post(first, m).status_code == 302
    assert first.post(f"{URL}/veroeffentlichen").status_code == 302
    response = second.post(f"{URL}/freigabe", data={"entscheidung": "ablehnen", "begruendung": ""})
    assert response.status_code == 422 and "Bitte begründen Sie die Ablehnung." in text(response)
    response = second.post(f"{URL}/freigabe", data={"entscheidung": "ablehnen",
                                                     "begruendung": "99 Jahre schließt alle aus."})
    assert response.status_code == 302
    page = text(first.get(URL))
    assert "abgelehnt" in page and "Begründung: 99 Jahre schließt alle aus." in page
    assert counts(app) == (1, 1)
    assert second.get(f"{URL}/freigabe").status_code == 404  # nothing waiting any more
    assert decide(app, alter=35) == "berechtigt"


@pytest.mark.parametrize("username", ["fb36", "leitung", "admin", "dsb"])
def test_only_process_owners_may_edit(app, login_as, username):
    client = login_as(username)
    m = model(app)
    m.rules[0].inputs[0] = "<= 99"
    assert client.get("/entscheidungen").status_code == 403
    assert client.get(URL).status_code == 403
    assert post(client, m).status_code == 403
    assert client.post(f"{URL}/veroeffentlichen").status_code == 403
    assert client.get(f"{URL}/freigabe").status_code == 403
    assert client.post(f"{URL}/verwerfen").status_code == 403
    assert counts(app) == (1, 0)
    assert "Entscheidungstabellen" not in text(client.get("/aufgaben"))


def test_process_owner_menu_links_the_editor_and_a_draft_can_be_discarded(app, login_as):
    owner = login_as("prozess")
    assert 'href="/entscheidungen"' in text(owner.get("/aufgaben"))
    m = model(app)
    m.rules[0].inputs[0] = "<= 99"
    assert post(owner, m).status_code == 302
    assert owner.post(f"{URL}/verwerfen").status_code == 302
    assert counts(app) == (1, 1)
    assert model(app).rules[0].inputs[0] == "<= 27"
    assert owner.post(f"{URL}/veroeffentlichen").status_code == 302  # nothing to publish: a message
    assert counts(app)[0] == 1


def test_four_eyes_whoever_changed_the_draft_cannot_approve_it(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})
    first, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    m = model(app)
    m.rules[0].inputs[0] = "<= 30"
    assert post(first, m).status_code == 302
    m.rules[0].description = "Bis 30 Jahre"
    assert post(second, m).status_code == 302  # the second owner changes the draft too
    assert first.post(f"{URL}/veroeffentlichen").status_code == 302
    for client in (first, second):
        assert client.post(f"{URL}/freigabe", data={"entscheidung": "freigeben"}).status_code == 403
    assert counts(app) == (1, 1)


def test_a_table_called_by_a_four_eyes_process_needs_a_second_owner_too(app):
    """The installation default is off; the MBE process calling the table has four-eyes on:
    changing the table goes through the second process owner like changing the process."""
    from app.engine.models import ProcessModel

    first = login(app.test_client(), "prozess")
    m = with_age_constant(model(app), "30")
    with app.app_context():
        assert services.four_eyes("mbe_berechtigung") is False
        db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung")).four_eyes = True
        db.session.commit()
        assert services.four_eyes("mbe_berechtigung") is True
        assert services.four_eyes("eine_andere_tabelle") is False  # called by no process: the default
    assert post(first, m, kommentar="Altersgrenze 30").status_code == 302
    assert first.post(f"{URL}/veroeffentlichen").status_code == 302
    assert counts(app) == (1, 1)  # submitted, not published
    assert "wartet auf Freigabe" in text(first.get(URL))
