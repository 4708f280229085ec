"""A volunteer's correction of an expense entry that 201 approved a moment ago (after the page
had loaded it): refused with 409, the approval is never undone."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.volunteers import expenses
from app.volunteers.models import ExpenseEntry
from tests.volunteers.helpers import running_case
from tests.volunteers.test_expenses import _add, _rows


def test_correction_after_a_concurrent_approval_is_refused(app, login_as, monkeypatch):
    case_id = running_case(login_as)
    mira = login_as("ehrenamt1")
    assert _add(mira, case_id, stunden="2").status_code == 302
    entry_id = _rows(app, case_id)[-1].id
    original = expenses.save_entry

    def approved_meanwhile(entry, *args, **kwargs):  # 201 approves between load and write
        with db.engine.begin() as other:
            other.execute(ExpenseEntry.__table__.update().where(ExpenseEntry.id == entry_id)
                          .values(status=expenses.APPROVED))
        return original(entry, *args, **kwargs)

    monkeypatch.setattr(expenses, "save_entry", approved_meanwhile)
    response = mira.post(f"/ehrenamt/aufwand/{entry_id}", data={"datum": date.today().isoformat(), "stunden": "9"})
    assert response.status_code == 409
    final = _rows(app, case_id)[-1]
    assert (final.status, final.stunden) == (expenses.APPROVED, 2)
