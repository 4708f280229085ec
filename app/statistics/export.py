"""CSV and XLSX files of the statistics tables (the same numbers as the page)."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from app.exports import csv_writer, xlsx_append, xlsx_set
from app.statistics.tables import Table


def to_csv(tables: list[Table]) -> bytes:
    """Semicolon separated (as German spreadsheet programs expect), UTF-8 with BOM.

    Each table: a line with its title, the header line, its rows, an empty line.
    """
    out = io.StringIO()
    writer = csv_writer(out)  # user text stays text (app/exports.py)
    for table in tables:
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Tabelle"
    name, n = base, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def to_xlsx(tables: list[Table]) -> bytes:
    """One worksheet per table: title in A1, header in row 3, numbers as numbers."""
    book = Workbook()
    if book.active is not None:  # a new workbook has one empty sheet
        book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        xlsx_set(sheet, "A1", table.title).font = Font(bold=True, size=13)
        sheet.append([])
        xlsx_append(sheet, table.columns)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            xlsx_append(sheet, row)
        if table.note:
            sheet.append([])
            xlsx_append(sheet, [table.note])
        sheet.column_dimensions["A"].width = 42
        for letter in "BCDE":
            sheet.column_dimensions[letter].width = 20
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
