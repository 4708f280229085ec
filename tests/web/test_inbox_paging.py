"""The inbox pages through long task lists; counts cover every page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.engine.models import Task
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import login
from tests.flows import complete_web, start_case_web


def _group_rows(page: str) -> list[str]:
    section = page.split('id="group-h"', 1)[1]
    return re.findall(r'<tr class="[^"]*" data-task="vermittlung">.*?/faelle/\d+">([^<]+)</a>', section, re.S)


def test_group_inbox_pages_in_due_order_with_total(make_app):
    app = make_app({"INBOX_PAGE_SIZE": 3})
    fb36 = login(app.test_client(), "fb36")
    cases = [start_case_web(fb36) for _ in range(7)]
    for case_id in cases:
        assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    with app.app_context():  # the newest case is due first
        rows = db.session.scalars(select(Task).where(Task.bpmn_id == "vermittlung")).all()
        for i, row in enumerate(sorted(rows, key=lambda r: r.instance_id)):
            row.due_at = utcnow() + timedelta(days=30 - i)
        db.session.commit()
        refs = {r.instance_id: r.instance.reference for r in rows}
    expected = [refs[c] for c in reversed(cases)]

    k201 = login(app.test_client(), "k201")
    seen = []
    for page_no in (1, 2, 3):
        page = k201.get(f"/aufgaben?seite_group={page_no}").data.decode()
        assert "Offene Aufgaben meiner Teams <span class=\"count\">(7)</span>" in page
        assert f"Seite {page_no} von 3" in page
        seen += _group_rows(page)
    assert seen == expected
    # out-of-range page numbers show the last page instead of an empty list
    assert _group_rows(k201.get("/aufgaben?seite_group=99").data.decode()) == expected[6:]


def test_inbox_order_crises_first_undated_last_and_a_capped_count(make_app):
    """The order the index branches give (app/inbox/listing.py) is the inbox order; a list
    longer than INBOX_COUNT_CAP says "mehr als …" and still pages on to its end."""
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
        expected = [rows[i].instance.reference for i in (3, 2, 1, 4, 0)]
    k201 = login(app.test_client(), "k201")
    seen = []
    for page_no in (1, 2, 3):
        page = k201.get(f"/aufgaben?seite_group={page_no}").data.decode()
        assert "Offene Aufgaben meiner Teams <span class=\"count\">(mehr als 3)</span>" in page
        assert ("rel=\"next\"" in page.split('id="group-h"', 1)[1]) == (page_no < 3)
        seen += _group_rows(page)
    assert seen == expected
    # beyond the end: the first page again
    assert _group_rows(k201.get("/aufgaben?seite_group=9").data.decode()) == expected[:2]
