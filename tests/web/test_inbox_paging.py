"""The inbox pages through long task lists by key ("Nächste Seite" carries a cursor, no page
number): every task once, in inbox order, whatever is done between two page loads; counts
cover every page; a cursor shows nothing its reader may not see anyway."""

from __future__ import annotations

import base64
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Team
from app.engine import service
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.inbox.listing import Key, decode_cursor, encode_cursor
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import start_case, user
from tests.flows import complete_web, start_case_web

WARNING = "Der Link auf eine weitere Seite ist nicht gültig; angezeigt wird die erste Seite."


def _section(page: str, key: str) -> str:
    """The list ``key`` ("mine" or "group") of an inbox page, without the crisis banner above."""
    if key == "mine":
        return page.split('id="mine-h"', 1)[1].split('id="group-h"', 1)[0]
    return page.split('id="group-h"', 1)[1]


def _ids(page: str, key: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/aufgaben/(\d+)"', _section(page, key))]


def _next(page: str, key: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', _section(page, key))
    return html.unescape(found.group(1)) if found else None


def _walk(client, key: str, url: str = "/aufgaben") -> list[list[int]]:
    """The ids of every page of list ``key``, following "Nächste Seite" from ``url``."""
    pages = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        text = page.data.decode()
        pages.append(_ids(text, key))
        url = _next(text, key)
        assert len(pages) < 20
    return pages


def _order(rows: list[Task]) -> list[int]:
    """The inbox order, computed here: crises first, then due date (none last), then id."""
    far = utcnow() + timedelta(days=10_000)
    return [t.id for t in sorted(rows, key=lambda t: (not t.crisis, t.due_at is None, t.due_at or far, t.id))]


@pytest.fixture
def inbox(make_app):
    """k201's team (Koordinierungsstelle) with 7 group to-dos (crises, equal due dates, undated),
    k201 with 3 own to-dos, and 2 to-dos of fb36's team ASD that k201 must never see."""
    app = make_app({"INBOX_PAGE_SIZE": 2})
    with app.app_context():
        case = db.session.get(ProcessInstance, start_case("fb36"))
        k201, fb36 = user("k201"), user("fb36")
        team, asd = (db.session.get(Team, u.member_team_ids[0]) for u in (k201, fb36))
        soon = utcnow().replace(microsecond=123456) + timedelta(days=3)
        plan = [(soon, False), (soon, False), (None, False), (soon + timedelta(days=1), True), (None, True),
                (soon - timedelta(days=1), False), (None, False)]  # the same due date twice: by id
        group = [service.create_todo(case, f"Gruppe {i}", created_by=fb36, team=team, due_at=due, crisis=crisis)
                 for i, (due, crisis) in enumerate(plan)]
        mine = [service.create_todo(case, f"Meine {i}", created_by=fb36, assignee=k201,
                                    due_at=soon + timedelta(days=i)) for i in range(3)]
        other = [service.create_todo(case, f"ASD {i}", created_by=fb36, team=asd, due_at=soon - timedelta(days=5),
                                     crisis=i == 0) for i in range(2)]
        db.session.commit()
        ids = {"group": _order(group), "mine": _order(mine), "other": [t.id for t in other], "case": case.id}
    return app, ids


def test_keyset_pages_give_every_task_once_in_inbox_order(inbox):
    app, ids = inbox
    k201 = login(app.test_client(), "k201")
    pages = _walk(k201, "group")
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert sum(pages, []) == ids["group"]
    first = k201.get("/aufgaben").data.decode()
    assert "Offene Aufgaben meiner Teams <span class=\"count\">(7)</span>" in first
    assert "Seite 1 von 4" in _section(first, "group") and "Zur ersten Seite" not in _section(first, "group")
    second = k201.get(_next(first, "group")).data.decode()
    assert "Seite 2 von 4" in _section(second, "group")
    assert "<h1>Aufgaben</h1>" in second and "(7)" in second  # heading and count on every page
    back = re.search(r'href="([^"]+)">Zur ersten Seite</a>', _section(second, "group")).group(1)
    assert _ids(k201.get(html.unescape(back)).data.decode(), "group") == pages[0]
    # each list keeps its place while the other one pages
    assert sum(_walk(k201, "mine"), []) == ids["mine"]
    both = k201.get(_next(second, "mine")).data.decode()
    assert _ids(both, "group") == pages[1] and _ids(both, "mine") == ids["mine"][2:]
    assert "Seite 2 von 4" in _section(both, "group") and "Seite 2 von 2" in _section(both, "mine")
    # an old page-number link is harmless: the first page
    assert _ids(k201.get("/aufgaben?seite_group=3").data.decode(), "group") == pages[0]


def test_a_task_done_between_two_page_loads_shifts_nothing(inbox):
    app, ids = inbox
    k201 = login(app.test_client(), "k201")
    first = k201.get("/aufgaben").data.decode()
    assert _ids(first, "group") == ids["group"][:2]
    with app.app_context():  # both tasks of page 1 are done, the one the cursor points at too
        for task_id in ids["group"][:2]:
            service.close_todo(db.session.get(Task, task_id), user("k201"), "done")
        db.session.commit()
    assert _ids(k201.get(_next(first, "group")).data.decode(), "group") == ids["group"][2:4]
    # a cursor behind the end of the list (its last tasks were done): the first page again
    with app.app_context():
        last = Key.of(db.session.get(Task, ids["group"][-1]))
    stale = k201.get(f"/aufgaben?nach_group={encode_cursor(last, 4)}").data.decode()
    assert _ids(stale, "group") == ids["group"][2:4] and WARNING not in stale


@pytest.mark.parametrize("token", [
    "x", "%%%", "MS4wLjEyMw", base64.urlsafe_b64encode(b"1.0..99999999999").decode(),
    base64.urlsafe_b64encode(b"1.1.999999999999999999.5").decode(), base64.urlsafe_b64encode(b"1.2..5").decode(),
    base64.urlsafe_b64encode("1.0.ä.5".encode()).decode(), "A" * 200, "MS4wLi4w",
])
def test_a_broken_cursor_shows_the_first_page_with_a_german_message(inbox, token):
    app, ids = inbox
    page = login(app.test_client(), "k201").get("/aufgaben", query_string={"nach_group": token})
    assert page.status_code == 200
    text = page.data.decode()
    assert WARNING in text and _ids(text, "group") == ids["group"][:2]
    assert "nach_group" not in (_next(text, "mine") or "")  # the other list's links drop it


def test_cursors_round_trip_and_reject_what_they_did_not_make():
    due = utcnow().replace(microsecond=654321)
    for key in (Key(True, due, 7), Key(False, None, 2**31 - 1)):
        assert decode_cursor(encode_cursor(key, 3)) == (key, 3)
        assert decode_cursor(encode_cursor(key)) == (key, 1)
    assert decode_cursor(encode_cursor(Key(False, due, 1))[:-2]) is None
    assert decode_cursor(base64.urlsafe_b64encode(b"1.0..2147483648").decode()) is None


def test_every_page_shows_only_the_readers_tasks_and_a_cursor_reveals_nothing(inbox):
    app, ids = inbox
    k201 = login(app.test_client(), "k201")
    seen = sum(_walk(k201, "group"), []) + sum(_walk(k201, "mine"), [])
    assert set(seen) == set(ids["group"] + ids["mine"]) and not set(seen) & set(ids["other"])
    with app.app_context():  # a cursor pointing right before the other team's tasks
        before_other = Key(True, utcnow() - timedelta(days=400), 1)
        asd_task = Key.of(db.session.get(Task, ids["other"][0]))
    for cursor in (encode_cursor(before_other, 2), encode_cursor(asd_task, 2)):
        for url_key in ("group", "mine"):
            text = k201.get(f"/aufgaben?nach_{url_key}={cursor}").data.decode()
            shown = _ids(text, "group") + _ids(text, "mine")
            assert shown and not set(shown) & set(ids["other"])
    # k201's cursor in fb36's hands: fb36's own list after that key, none of k201's tasks
    first = k201.get("/aufgaben").data.decode()
    fb36 = login(app.test_client(), "fb36")
    text = fb36.get(_next(first, "group")).data.decode()
    assert not set(_ids(text, "group") + _ids(text, "mine")) & set(ids["group"] + ids["mine"])
    # a volunteer has no group list to page, whatever the link says
    volunteer = login(app.test_client(), "ehrenamt1").get(_next(first, "group"))
    assert volunteer.status_code == 200 and not set(_ids(volunteer.data.decode(), "group")) & set(seen)


def test_inbox_order_crises_first_undated_last_and_a_capped_count(make_app):
    """The order the index branches give (app/inbox/listing.py) is the inbox order; a list
    longer than INBOX_COUNT_CAP says "mehr als …" and still pages on to its end (through the
    steps of real cases, not to-dos)."""
    app = make_app({"INBOX_PAGE_SIZE": 2, "INBOX_COUNT_CAP": 3})
    fb36 = login(app.test_client(), "fb36")
    cases = [start_case_web(fb36) for _ in range(5)]
    for case_id in cases:
        assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    with app.app_context():
        rows = sorted(db.session.scalars(select(Task).where(Task.bpmn_id == "vermittlung")).all(),
                      key=lambda r: r.instance_id)
        rows[0].due_at = None  # undated: last
        rows[1].due_at = utcnow() + timedelta(days=2)
        rows[2].due_at = utcnow() + timedelta(days=1)
        rows[3].due_at, rows[3].crisis = utcnow() + timedelta(days=9), True  # a crisis: first
        rows[4].due_at = utcnow() + timedelta(days=3)
        db.session.commit()
        expected = [rows[i].id for i in (3, 2, 1, 4, 0)]
    k201 = login(app.test_client(), "k201")
    url: str | None = "/aufgaben"
    seen: list[int] = []
    for page_no in (1, 2, 3):
        assert url is not None
        page = k201.get(url).data.decode()
        assert "Offene Aufgaben meiner Teams <span class=\"count\">(mehr als 3)</span>" in page
        assert f"Seite {page_no}</span>" in _section(page, "group")
        seen += _ids(page, "group")
        url = _next(page, "group")
    assert url is None and seen == expected
