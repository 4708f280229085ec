"""The small web kernel (app/web/): role decorators on every route, safe redirects, paging,
file responses, Babel formatting filters and the menu the features declare."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string
from sqlalchemy import select

from app.cli import DEMO_USERS
from app.extensions import db
from app.web.access import ROLES_ATTR, roles_required
from app.web.formatting import betrag, datum, menge, prozent, zahl
from app.web.paging import Page, bounds, paginate
from app.web.redirects import safe_target
from app.web.responses import XLSX_MIMETYPE, csv_response, xlsx_response

# --- every route says who may use it ------------------------------------------------------------

#: HTML endpoints without a role decorator, each with the reason. Everything else under the app
#: (outside /api/, which has its own token check in app/api/auth.py) must carry the mark that
#: ``roles_required``/``login_required`` of app/web/access.py leave on the view.
PUBLIC_ENDPOINTS = {
    "auth.login": "the sign-in page itself",
    "auth.second_factor": "the sign-in's second step (code after the password): not signed in yet",
    "auth.set_language": "switching the language works before signing in (login page footer)",
    "static": "CSS and scripts",
    "directory_oidc.start": "login with OpenID Connect: off to the provider, not signed in yet",
    "directory_oidc.callback": "login with OpenID Connect: the provider's answer, not signed in yet",
    "appointments.feed": "the private calendar feed: calendar programs send no login, its secret URL authenticates",
    "ops.healthz": "liveness probe (load balancer, systemd): no login, no case data",
    "ops.readyz": "readiness probe: no login, names only failing checks",
    "ops.metrics": "Prometheus: allowed client addresses or METRICS_TOKEN, else 404",
}


def _html_rules(app):
    return [r for r in app.url_map.iter_rules() if not r.rule.startswith("/api/")]


def test_every_html_route_has_a_role_decorator_or_is_listed_public(app):
    unguarded = sorted(r.endpoint for r in _html_rules(app)
                       if not hasattr(app.view_functions[r.endpoint], ROLES_ATTR))
    assert unguarded == sorted(PUBLIC_ENDPOINTS), (
        "routes without @roles_required/@login_required (app/web/access.py) must be public on purpose: "
        f"{sorted(set(unguarded) - set(PUBLIC_ENDPOINTS))}")


def test_the_public_list_names_only_existing_endpoints(app):
    assert set(PUBLIC_ENDPOINTS) <= {r.endpoint for r in _html_rules(app)}


@pytest.mark.parametrize("endpoint, roles", [
    ("useradmin.accounts", ("admin",)),
    ("notify.outbox", ("admin",)),
    ("modeler.index", ("prozess",)),
    ("decisions.index", ("prozess",)),
    ("statistics.index", ("leitung",)),
    ("monitor.index", ("leitung",)),
    ("privacy.record", ("datenschutz",)),
    ("volunteers.profile", ("ehrenamt",)),
    ("volunteers.coord_list", ("koordination", "leitung")),
    ("network.index", ("fachkraft", "koordination", "mbe", "leitung")),
    ("inbox.index", ()),
])
def test_routes_declare_their_roles(app, endpoint, roles):
    assert getattr(app.view_functions[endpoint], ROLES_ATTR) == roles


@pytest.mark.parametrize("path, user, status", [
    ("/admin/konten", "fb36", 403),
    ("/admin/konten", "admin", 200),
    ("/admin/postausgang", "leitung", 403),
    ("/admin/postausgang", "admin", 200),
    ("/entscheidungen", "admin", 403),
    ("/entscheidungen", "prozess", 200),
])
def test_role_decorator_answers_403_to_other_roles(login_as, path, user, status):
    assert login_as(user).get(path).status_code == status


def test_role_decorator_sends_anonymous_users_to_the_login_page(client):
    response = client.get("/admin/konten")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_role_decorator_shows_its_message(login_as):
    page = login_as("fb36").get("/entscheidungen").get_data(as_text=True)
    assert "Nur Prozessverantwortliche dürfen Entscheidungstabellen ansehen und ändern." in page


def test_roles_required_keeps_has_role_semantics(app):
    @roles_required("leitung", "admin")
    def view():
        return "ok"

    assert getattr(view, ROLES_ATTR) == ("leitung", "admin")
    from app.auth.models import User

    with app.test_request_context():
        from flask_login import login_user

        login_user(db.session.scalar(select(User).where(User.username == "admin")))
        assert view() == "ok"


# --- safe redirect -------------------------------------------------------------------------------

@pytest.mark.parametrize("target, expected", [
    ("/faelle?x=1", "/faelle?x=1"),
    ("/", "/"),
    ("//evil.example/x", "/fallback"),
    ("/\\evil.example", "/fallback"),
    ("https://evil.example/", "/fallback"),
    ("javascript:alert(1)", "/fallback"),
    ("faelle", "/fallback"),
    ("", "/fallback"),
    (None, "/fallback"),
])
def test_safe_target_allows_only_paths_on_this_host(ctx, target, expected):
    assert safe_target(target, "/fallback") == expected


def test_safe_target_falls_back_to_the_inbox(ctx):
    assert safe_target("https://evil.example/") == "/aufgaben"


def test_language_switch_does_not_follow_a_foreign_next(client):
    response = client.post("/sprache/en", data={"next": "//evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


# --- paging ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("total, page, size, expected", [
    (0, 1, 10, (1, 1, 0)),
    (25, 3, 10, (3, 3, 20)),
    (25, 9, 10, (3, 3, 20)),
    (25, -4, 10, (1, 3, 0)),
])
def test_bounds_clamps_the_page(total, page, size, expected):
    assert bounds(total, page, size) == expected


def test_paginate_cuts_an_ordered_query(ctx):
    from app.auth.models import User

    names = sorted(u[0] for u in DEMO_USERS)
    second = paginate(select(User).order_by(User.username), 2, 5)
    assert second.total == len(names)
    assert [u.username for u in second.items] == names[5:10]
    assert second.pages == -(-len(names) // 5)


def test_pager_macro_is_accessible(ctx):
    html = render_template_string(
        '{% from "_kernel.html" import pager %}{{ pager(page, "notify.index", "Liste") }}',
        page=Page(items=[], total=30, page=2, pages=3))
    assert '<nav class="pager" aria-label="Liste: Seiten">' in html
    assert 'aria-current="page"' in html and "Seite 2 von 3" in html
    assert 'href="/benachrichtigungen?seite=1" rel="prev"' in html
    assert 'href="/benachrichtigungen?seite=3" rel="next"' in html
    one = render_template_string('{% from "_kernel.html" import pager %}{{ pager(page, "notify.index") }}',
                                 page=Page(items=[], total=3, page=1, pages=1))
    assert "pager" not in one


def test_post_button_carries_the_csrf_token(ctx):
    html = render_template_string(
        '{% from "_kernel.html" import post_button %}'
        '{{ post_button("/x", "Los", next="/back", hidden={"a": 1}, cls="button secondary") }}')
    assert '<form method="post" action="/x" class="inline">' in html
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', html)
    assert '<input type="hidden" name="next" value="/back">' in html
    assert '<input type="hidden" name="a" value="1">' in html
    assert '<button type="submit" class="button secondary">Los</button>' in html


def test_no_template_builds_a_bare_post_form_by_hand(app):
    """Bare POST buttons use post_button; forms with fields render their WTForms csrf_token."""
    from pathlib import Path

    root = Path(app.root_path) / "templates"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.html")
                 if p.name != "_kernel.html" and "csrf_token()" in p.read_text(encoding="utf-8")
                 and p.name != "_case_referrals.html"]  # a form with fields, in a panel without a form object
    assert offenders == []


# --- file responses ------------------------------------------------------------------------------

def test_csv_response_writes_safe_cells_with_bom(ctx):
    response = csv_response([["Name", "Notiz"], ["A", "=HYPERLINK(1)"]], "x.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeffName;Notiz\r\n")
    assert "'=HYPERLINK(1)" in body


def test_csv_response_passes_ready_text_and_bytes(ctx):
    assert csv_response("a;b\r\n", "t.csv").get_data(as_text=True) == "\ufeffa;b\r\n"
    assert csv_response("\ufeffa\r\n", "t.csv").get_data(as_text=True) == "\ufeffa\r\n"
    assert csv_response(b"\xef\xbb\xbfa", "t.csv").get_data() == b"\xef\xbb\xbfa"


def test_xlsx_response(ctx):
    response = xlsx_response(b"PK..", 'bericht "1".xlsx')
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="bericht 1.xlsx"'


# --- formatting through Flask-Babel --------------------------------------------------------------

def test_filters_in_german(ctx):
    assert zahl(1234.5) == "1.234,5"
    assert zahl(2, 2) == "2,00"
    assert zahl(None) == "" and zahl("abc") == "abc"
    assert menge(Decimal("2.50")) == "2,5" and menge(Decimal("1000")) == "1000"
    assert prozent(12.5) == "12,5 %"
    assert betrag(Decimal("1234.5")) == "1.234,50 €"
    assert datum(date(2026, 12, 4)) == "04.12.2026"
    assert datum("2026-12-04") == "04.12.2026"
    assert datum("kein Datum") == "kein Datum" and datum(None) == ""


def test_filters_follow_the_locale(app):
    with app.test_request_context("/?lang=en"):
        assert zahl(1234.5) == "1,234.5"
        assert betrag(Decimal("3")) == "3.00 €"
        assert datum(date(2026, 12, 4)) == "Dec 4, 2026"


def test_filters_are_registered(ctx):
    html = render_template_string("{{ 1234.5 | zahl }}|{{ 3 | betrag }}|{{ 7.26 | prozent }}|{{ d | datumzeit }}",
                                  d=datetime(2026, 12, 4, 12, 0))
    assert html.startswith("1.234,5|3,00 €|7,3 %|04.12.26")


# --- menus declared by the features --------------------------------------------------------------

# Everyone who works on cases has these first (process owners and admin have no appointments).
STAFF = ["Aufgaben", "Fälle", "Meine Termine", "Abwesenheit", "Benachrichtigungen"]
EXPECTED_MENUS = {
    "fb36": [*STAFF, "Netzwerk", "Zeiterfassung"],
    "fb36fh": [*STAFF, "Netzwerk", "Zeiterfassung"],
    "fb31": [*STAFF, "Netzwerk", "Zeiterfassung"],
    "kim1": [*STAFF, "Netzwerk", "Angebote", "Zeiterfassung", "Zahlen für das Bündnis"],
    "kimleitung": [*STAFF, "Netzwerk", "Angebote", "Zeiterfassung", "Monitor", "Anstehende Löschungen", "Statistik",
                   "Zahlen für das Bündnis"],
    "k201": [*STAFF, "Ehrenamtliche", "Aufwand prüfen",
             "Schulungen", "Netzwerk", "Beratung erfassen", "Zeiterfassung"],
    "ehrenamt1": [*STAFF, "Mein Profil", "Meine Einsätze",
                  "Schulungen"],
    "ehrenamt2": [*STAFF, "Mein Profil", "Meine Einsätze",
                  "Schulungen"],
    "mbe1": [*STAFF, "Netzwerk", "Zeiterfassung", "Klient/innen"],
    "mbe2": [*STAFF, "Netzwerk", "Zeiterfassung", "Klient/innen"],
    "mbeleitung": [*STAFF, "Netzwerk", "Zeiterfassung", "Monitor", "Anstehende Löschungen",
                   "Statistik", "Klient/innen", "MBE-Statistik"],
    "leitung": [*STAFF, "Ehrenamtliche", "Aufwand prüfen",
                "Schulungen", "Netzwerk", "Zeiterfassung", "Monitor", "Anstehende Löschungen", "Statistik"],
    "prozess": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen", "Prozessmodelle", "Formulare",
                "Entscheidungstabellen"],
    "prozess2": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen", "Prozessmodelle", "Formulare",
                 "Entscheidungstabellen"],
    "admin": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen", "Postausgang", "Benutzerkonten",
              "Verzeichnis"],
    "dsb": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen", "Anstehende Löschungen",
            "Verarbeitungsverzeichnis", "Zugriffsprotokoll"],
    # partner organisations' staff: their inbox and their invited cases, nothing else
    "jobcenter1": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen"],
    "abh1": ["Aufgaben", "Fälle", "Abwesenheit", "Benachrichtigungen"],
}

NAV = re.compile(r'<nav aria-label="Hauptnavigation">(.*?)</nav>', re.S)
LINK = re.compile(r'<li><a href="([^"]*)"([^>]*)>(.*?)</a></li>', re.S)


def _menu(html: str) -> list[tuple[str, str, bool]]:
    nav = NAV.search(html)
    assert nav, "no main menu"
    return [(re.sub(r"<[^>]+>|\s+", " ", text).split(" (")[0].strip(), href, 'aria-current="page"' in attrs)
            for href, attrs, text in LINK.findall(nav.group(1))]


def test_every_demo_user_is_covered():
    assert set(EXPECTED_MENUS) == {u[0] for u in DEMO_USERS}


@pytest.mark.parametrize("username", sorted(EXPECTED_MENUS))
def test_menu_per_demo_user(login_as, username):
    menu = _menu(login_as(username).get("/aufgaben").get_data(as_text=True))
    assert [label for label, _href, _current in menu] == EXPECTED_MENUS[username]
    assert [label for label, _href, current in menu if current] == ["Aufgaben"]


@pytest.mark.parametrize("username, path, current", [
    ("leitung", "/monitor", "Monitor"),
    ("fb36", "/netzwerk/partner", "Netzwerk"),
    ("admin", "/admin/postausgang", "Postausgang"),
    ("k201", "/schulungen", "Schulungen"),
    ("ehrenamt1", "/benachrichtigungen", "Benachrichtigungen"),
])
def test_menu_marks_the_current_page(login_as, username, path, current):
    response = login_as(username).get(path)
    assert response.status_code == 200
    assert [label for label, _href, is_current in _menu(response.get_data(as_text=True)) if is_current] == [current]


def test_menu_shows_the_unread_count(app, login_as):
    from app.auth.models import User
    from app.notify.models import Notification

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        db.session.add(Notification(user_id=user.id, kind="task", title="T", link="/aufgaben"))
        db.session.commit()
    html = login_as("fb36").get("/faelle").get_data(as_text=True)
    assert '<a href="/benachrichtigungen" class="notifications-link">Benachrichtigungen ' \
           '<span class="unread-count">(1 ungelesen)</span></a>' in html


def test_anonymous_pages_have_no_menu(client):
    assert "Hauptnavigation" not in client.get("/login").get_data(as_text=True)
