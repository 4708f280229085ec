"""Accessibility sweep (WCAG 2.1 AA / BITV 2.0) in a real browser: every main page of every demo role.

One app with demo data is served for the whole module; cases, an MBE case with Förderplan, a
second process version, a training, an expense entry and partners are prepared through the
services and a test client first, so no page is checked empty. One Chromium, one page: each role
logs in once and opens its pages. Each page gets the checks of the other browser tests (one h1,
one main landmark, labelled controls, axe-core with the WCAG 2.0/2.1 A and AA tags, no console or
CSP errors) plus axe's best-practice rules (heading order, landmarks, regions) and no horizontal
scrolling (half of the roles at 320 CSS px, WCAG 1.4.10). All failing pages of a role are listed
together. Two forms are submitted empty: the error summary takes the focus, is announced
(role=alert) and links to each field, and each invalid field points to its message with
aria-describedby.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import _config, _dispose, login, prepare_database
from tests.e2e.test_browser import check_page, open_page
from tests.factories import today
from tests.flows import complete_web, open_task, start_case_web, valid_data
from tests.junge_erwachsene import je_steps as je
from tests.mbe import mbe_steps as mbe


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, ids): the app with CSRF on a free port and the data the pages show."""
    tmp = tmp_path_factory.mktemp("a11y")
    server_app = create_app(_config(tmp, {"WTF_CSRF_ENABLED": True}))
    prepare_database(server_app, demo=True)
    setup_app = create_app(_config(tmp))
    ids = _prepare_data(setup_app)
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-a11y-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        for app in (server_app, setup_app):
            _dispose(app)


def _prepare_data(app) -> dict:
    from app.auth.models import User
    from app.engine.models import ProcessModel
    from app.modeler import services as modeler
    from app.network import services as network
    from app.plans.models import PlanGoal
    from app.volunteers.models import ExpenseEntry, Training

    def client(username):
        return login(app.test_client(), username)

    fb36, k201, ehrenamt1 = client("fb36"), client("k201"), client("ehrenamt1")
    ids: dict = {}
    # An Alltagsbegleitung case waiting for the Vermittlung, one with its Bedarfsermittlung open,
    # and a running assignment of ehrenamt1 (after the Vorgespräch).
    ids["vermittlung_case"] = start_case_web(fb36)
    assert complete_web(fb36, ids["vermittlung_case"], "bedarfsermittlung").status_code == 302
    ids["vermittlung_task"] = open_task(app, ids["vermittlung_case"], "vermittlung").id
    ids["new_case"] = start_case_web(fb36)
    ids["bedarf_task"] = open_task(app, ids["new_case"], "bedarfsermittlung").id
    running = ids["running_case"] = start_case_web(fb36)
    assert complete_web(fb36, running, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, running, "vermittlung", valid_data("vermittlung")).status_code == 302
    assert complete_web(fb36, running, "vorgespraech").status_code == 302
    # The volunteer records an expense entry and asks a question; 201 plans a training.
    assert ehrenamt1.post(f"/ehrenamt/einsaetze/{running}/aufwand", data={
        "datum": today().isoformat(), "stunden": "3", "kilometer": "12"}).status_code == 302
    assert ehrenamt1.post(f"/faelle/{running}/fragen", data={"nachricht": "Wann ist der nächste Termin?"}
                          ).status_code == 302
    assert k201.post("/schulungen", data={"kind": "b", "datum": (today() + timedelta(days=14)).isoformat(),
                                          "uhrzeit": "18:00", "ort": "Rathaus, Raum 2",
                                          "thema": "Rolle im Einsatz"}).status_code == 302
    # An MBE case in case management with a Förderplan, waiting for the Integrationsvereinbarung.
    mbe_case = ids["mbe_case"] = mbe.start(app)
    for step, data in (("erstkontakt", mbe.erstkontakt()), ("beratung", mbe.beratung("case_management")),
                       ("assessment", mbe.assessment()), ("foerderplan", mbe.foerderplan())):
        assert mbe.complete(app, mbe_case, step, data) == {}, step
    ids["mbe_task"] = open_task(app, mbe_case, "vereinbarung").id
    ids["zg_task"] = open_task(app, running, "zwischengespraech").id
    # A young adult's case (kim1) in its second review, after a transition with open checklist items,
    # and one with its intake open.
    from datetime import UTC, datetime

    je_case = ids["je_case"] = je.walk_to_review(app)
    now = datetime.now(UTC)
    je.fire(app, now + timedelta(weeks=8, hours=1))
    transition = {"art": "asylblg_sgb2", "datum": today().isoformat(), "erledigt": ["asylblg_sgb2:antrag_jobcenter"]}
    je.must(je.complete(app, je_case, "ueberpruefung", je.ueberpruefung("fortsetzen", uebergaenge=[transition])))
    je.fire(app, now + timedelta(weeks=16, hours=2))
    ids["je_review"] = open_task(app, je_case, "ueberpruefung").id
    ids["je_intake"] = open_task(app, je.start(app), "aufnahme").id
    with app.test_request_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        # jobcenter1 invited to the young adult's case with a goal of their own (app/partners)
        from app.engine.models import ProcessInstance, Task
        from app.partners import services as partners
        from app.plans import services as plans

        instance = db.session.get(ProcessInstance, je_case)
        instance.data = {**instance.data, "einwilligung_kategorien": ["stammdaten", "aufenthalt", "plan"]}
        plans.add_goal(instance, users["kim1"], {"bereich": "arbeit", "ziel": "Förderung prüfen",
                                                  "frist": (today() + timedelta(days=30)).isoformat(),
                                                  "verantwortlich": "jobcenter1"})
        partners.invite(instance, users["kim1"], users["jobcenter1"], ["stammdaten", "aufenthalt", "plan"])
        ids["partner_todo"] = db.session.scalar(select(Task.id).where(
            Task.instance_id == je_case, Task.assignee_id == users["jobcenter1"].id))
        ids["ehrenamt1"] = users["ehrenamt1"].id
        ids["expense"] = db.session.scalar(select(ExpenseEntry.id))
        ids["goal"] = db.session.scalar(select(PlanGoal.id).where(PlanGoal.instance_id == running))
        ids["mbe_goal"] = db.session.scalar(select(PlanGoal.id).where(PlanGoal.instance_id == mbe_case))
        ids["training"] = db.session.scalar(select(Training.id))
        ids["team_201"] = users["k201"].member_team_ids[0]
        org = users["k201"].organisation_id
        ids["partner"] = network.save_partner(None, org, name="Jobcenter Musterstadt", typ="jobcenter",
                                              intensitaet=3, wichtigkeit=3).id
        network.save_partner(None, org, name="Grundschule am Park", typ="schule", intensitaet=2, wichtigkeit=1)
        # A second version of the Alltagsbegleitung, so the comparison shows a difference.
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
        xml = max(model.versions, key=lambda v: v.number).bpmn_xml
        draft = modeler.create_draft(model, users["prozess"],
                                     xml.replace('name="Vermittlung"', 'name="Vermittlung einer Begleitung"', 1))
        assert modeler.request_publish(draft, users["prozess"], "Schritt umbenannt") is not None
        # A draft of the Beratungskontakt waits for prozess's four-eyes approval (inbox, approval page).
        consult = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "beratungskontakt"))
        consult.four_eyes = True
        waiting = modeler.create_draft(consult, users["prozess2"], max(consult.versions, key=lambda v: v.number)
                                       .bpmn_xml.replace('name="Nachverfolgung"', 'name="Nachverfolgung neu"', 1))
        assert modeler.request_publish(waiting, users["prozess2"], "Schritt umbenannt") is None
        ids["waiting_draft"] = waiting.id
        db.session.commit()
    assert k201.post(f"/schulungen/{ids['training']}", data={
        "aktion": "einladen", "einladen-ehrenamtliche": ids["ehrenamt1"]}).status_code == 302
    # Time outside cases (Zeiterfassung): the annual report shows its shares.
    for activity, minutes in (("netzwerkarbeit", "180"), ("gremien", "60")):
        assert k201.post("/zeiterfassung", data={"team": str(ids["team_201"]), "datum": today().isoformat(),
                                                 "activity": activity, "minutes": minutes}).status_code == 302
    return ids


@pytest.fixture(scope="module")
def browser_page():
    with open_page() as page:  # one browser for the whole module
        yield page


@pytest.fixture
def page(browser_page):
    """The shared page, logged out, with a fresh list of console errors."""
    browser_page.context.clear_cookies()
    browser_page.console_errors = []
    return browser_page


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("demo")
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert page.url == f"{base}/aufgaben", f"login as {username} failed"


def pages_of(role: str, ids: dict) -> list[str]:
    """The pages of a role; pages built from the same template with the same data appear once."""
    year = today().year
    running, mbe_case = ids["running_case"], ids["mbe_case"]
    return ["/aufgaben"] + {
        "fb36": ["/faelle", "/faelle/neu", f"/faelle/{ids['vermittlung_case']}", f"/faelle/{running}",
                 f"/aufgaben/{ids['bedarf_task']}", f"/faelle/{running}/krise", "/benachrichtigungen",
                 "/abwesenheit", "/netzwerk/partner", f"/faelle/{running}/plan/ziel/neu",
                 f"/faelle/{running}/plan/ziel/{ids['goal']}/abschliessen", "/suche", f"/suche?q={year}"],
        "k201": ["/faelle", f"/aufgaben/{ids['vermittlung_task']}", f"/aufgaben/{ids['zg_task']}",
                 f"/faelle/{running}/fragen",
                 "/ehrenamtliche", f"/ehrenamtliche/{ids['ehrenamt1']}", "/aufwand/pruefen",
                 f"/aufwand/abrechnung?ehrenamtliche={ids['ehrenamt1']}&monat={today():%Y-%m}",
                 "/aufwand/summen", "/schulungen", f"/schulungen/{ids['training']}", "/beratung/neu",
                 "/netzwerk/partner", "/netzwerk/partner/neu", f"/netzwerk/partner/{ids['partner']}",
                 f"/netzwerk/karte?jahr={year}", "/ehrenamtliche/neu", "/zeiterfassung"],
        "ehrenamt1": ["/ehrenamt/profil", "/ehrenamt/einsaetze", f"/ehrenamt/einsaetze/{running}/aufwand",
                      f"/ehrenamt/aufwand/{ids['expense']}", "/ehrenamt/abrechnung", "/ehrenamt/termine",
                      f"/faelle/{running}/fragen", "/benachrichtigungen"],
        "mbe1": ["/faelle", "/mbe/klienten", "/mbe/klienten?name=Mus", f"/faelle/{mbe_case}",
                 f"/aufgaben/{ids['mbe_task']}", f"/mbe/faelle/{mbe_case}/integrationsvereinbarung",
                 f"/mbe/faelle/{mbe_case}/uebergabe", "/abwesenheit", "/netzwerk/partner",
                 f"/faelle/{mbe_case}/plan/ziel/{ids['mbe_goal']}", f"/suche?q={year}"],
        "mbeleitung": ["/mbe/statistik", f"/faelle/{mbe_case}", "/monitor", f"/monitor/faelle/{mbe_case}"],
        "leitung": ["/faelle", f"/faelle/{running}", "/monitor", f"/monitor/faelle/{running}",
                    "/monitor/prozesse/alltagsbegleitung/1", "/statistik", "/statistik?von=kaputt",
                    f"/statistik/jahresbericht?jahr={year}", "/statistik/jahresbericht?jahr=kaputt",
                    f"/ehrenamtliche/{ids['ehrenamt1']}", f"/schulungen/{ids['training']}", "/zeiterfassung/teams",
                    "/leitung/loeschungen", f"/faelle/{running}/loeschsperre"],
        "prozess": ["/prozessmodelle", "/prozessmodelle/alltagsbegleitung",
                    "/prozessmodelle/alltagsbegleitung/versionen/1",
                    "/prozessmodelle/alltagsbegleitung/vergleich?von=1&bis=2",
                    "/prozessmodelle/alltagsbegleitung/faelle", "/prozessmodelle/mbe_beratung/versionen/1",
                    "/entscheidungen", "/entscheidungen/mbe_berechtigung", "/konto/zwei-faktor",
                    "/prozessmodelle/beratungskontakt/aufbewahrung", "/aufgaben",
                    f"/prozessmodelle/beratungskontakt/entwuerfe/{ids['waiting_draft']}/freigabe",
                    # issue 16: form builder, new process and its settings, outline editing, dry run
                    "/formulare", "/formulare/neu", "/prozessmodelle/neu",
                    "/prozessmodelle/beratungskontakt/einstellungen",
                    f"/prozessmodelle/beratungskontakt/entwuerfe/{ids['waiting_draft']}/gliederung",
                    f"/prozessmodelle/beratungskontakt/entwuerfe/{ids['waiting_draft']}/probelauf"],
        "admin": ["/admin/postausgang", "/admin/konten", "/konto/passwort", "/konto/zwei-faktor",
                  "/admin/konten?rolle=mbe&status=aktiv", "/admin/konten/neu", f"/admin/konten/{ids['ehrenamt1']}",
                  f"/admin/konten/{ids['ehrenamt1']}/passwort"],
        "dsb": ["/datenschutz/verarbeitungsverzeichnis", "/datenschutz/zugriffsprotokoll",
                "/datenschutz/zugriffsprotokoll?benutzer=fb36&von=2020-01-01", "/leitung/loeschungen",
                f"/faelle/{running}/loeschsperre"],
        "kim1": ["/faelle", "/faelle/neu", f"/faelle/{ids['je_case']}", f"/aufgaben/{ids['je_review']}",
                 f"/aufgaben/{ids['je_intake']}", f"/faelle/{ids['je_case']}/plan/ziel/neu",
                 f"/faelle/{ids['je_case']}/partner", f"/faelle/{ids['je_case']}/einwilligung-widerrufen",
                 "/buendnis/zahlen"],
        "jobcenter1": ["/faelle", f"/faelle/{ids['je_case']}", f"/aufgaben/{ids['partner_todo']}",
                       f"/aufgaben/{ids['partner_todo']}/beitrag"],
    }[role]


ROLES = ["fb36", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess", "admin", "dsb", "kim1",
         "jobcenter1"]
# These roles' pages are checked at 320 CSS px (WCAG 1.4.10 Reflow: no horizontal scrolling of the
# page; a wide data table scrolls in its own box); the others at a desktop width.
NARROW = {"ehrenamt1", "mbe1", "leitung", "prozess", "kim1", "jobcenter1"}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_passes_axe(site, page, role):
    base, ids = site
    width = 320 if role in NARROW else 1280
    page.set_viewport_size({"width": width, "height": 720})
    sign_in(page, base, role)
    failures = []
    for path in pages_of(role, ids):
        page.console_errors = []
        response = page.goto(f"{base}{path}")
        expected = 400 if "kaputt" in path else 200  # a filter with a wrong value shows its error
        if response.status != expected:
            failures.append(f"{path}: HTTP {response.status}")
            continue
        try:
            check_page(page, extra_tags=("best-practice",))
        except AssertionError as exc:
            failures.append(str(exc).split("\n")[0][:600])
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > width:
            failures.append(f"{path}: {scroll_width} px wide at a {width} px viewport (reflow)")
    assert failures == [], "\n".join(failures)


def test_login_and_an_english_page_pass_axe(site, page):
    base, ids = site
    page.goto(f"{base}/login")
    check_page(page)
    sign_in(page, base, "leitung")
    page.goto(f"{base}/faelle/{ids['running_case']}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page)


# Each shown field error: its id, the elements that name it in aria-describedby (and whether they are
# marked invalid), and the links of the error summary with whether their target exists.
ERRORS_JS = """() => ({
  errors: Array.from(document.querySelectorAll('.field-errors[id]')).filter(ul => ul.innerText.trim()).map(ul => ({
    id: ul.id,
    describers: Array.from(document.querySelectorAll('[aria-describedby]'))
      .filter(el => el.getAttribute('aria-describedby').split(/\\s+/).includes(ul.id))
      .map(el => el.tagName.toLowerCase() + (el.getAttribute('aria-invalid') === 'true' ? '[invalid]' : ''))})),
  links: Array.from(document.querySelectorAll('#error-summary a')).map(a => ({
    href: a.getAttribute('href'), target: !!document.getElementById(a.getAttribute('href').slice(1))}))})"""


def assert_error_summary(page, at_least: int) -> None:
    """The summary is announced and focused; every field error is tied to its field and linked."""
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Es wurde nichts gespeichert.")
    found = page.evaluate(ERRORS_JS)
    errors, links = found["errors"], found["links"]
    assert len(errors) >= at_least, errors
    for error in errors:
        assert error["describers"], f"{error['id']} is named by no aria-describedby"
        assert any(d in ("fieldset", "input[invalid]", "select[invalid]", "textarea[invalid]")
                   for d in error["describers"]), error
    assert len(links) == len(errors) and all(link["target"] for link in links), (links, errors)
    # Following a link in the summary moves the focus to that field.
    first = links[0]["href"]
    summary.locator(f'a[href="{first}"]').click()
    expect(page.locator(first)).to_be_focused()
    check_page(page)


def submit_form(page, button: str) -> None:
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=button).click()


def test_empty_forms_announce_and_link_their_errors(site, page):
    base, ids = site
    # The quick capture of a consultation, submitted as it comes (date and kind are prefilled).
    sign_in(page, base, "k201")
    page.goto(f"{base}/beratung/neu")
    submit_form(page, "Kontakt speichern")
    assert_error_summary(page, at_least=2)
    # A group of checkboxes is reached through its first box.
    expect(page.locator("#error-summary a[href='#themen-0']")).to_have_count(1)

    # A task form with a list of goals: the Bedarfsermittlung submitted empty.
    page.context.clear_cookies()
    sign_in(page, base, "fb36")
    page.goto(f"{base}/aufgaben/{ids['bedarf_task']}")
    submit_form(page, "Abschließen")
    assert_error_summary(page, at_least=3)
    expect(page.locator("#bedarf")).to_have_attribute("aria-describedby", re.compile(r"\bbedarf-error\b"))


def test_second_factor_enrolment_and_login_pass_axe(site, page):
    """Set up a second factor (key shown as text in blocks of four, a wrong code refused with the
    error summary, the recovery codes once), then log in with the password and a recovery code.
    mbe2 is no role of the sweep above, so its pages are not affected."""
    import pyotp

    base, _ids = site
    page.set_viewport_size({"width": 320, "height": 720})
    sign_in(page, base, "mbe2")
    page.goto(f"{base}/konto/zwei-faktor")
    check_page(page)
    submit_form(page, "Zweiten Faktor einrichten")
    check_page(page, extra_tags=("best-practice",))
    secret = page.locator(".totp-secret code").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill("12345")  # five digits: never a code
    submit_form(page, "Bestätigen")
    assert_error_summary(page, at_least=1)
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    submit_form(page, "Bestätigen")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check_page(page, extra_tags=("best-practice",))
    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("Benutzername").fill("mbe2")
    page.get_by_label("Passwort").fill("demo")
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert page.url == f"{base}/login/zweiter-faktor"
    check_page(page, extra_tags=("best-practice",))
    page.get_by_label("Code").fill(codes[0])  # the app's code of this half-minute is spent
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert page.url == f"{base}/aufgaben"
