"""CSV and XLSX files: the one place where cells are written, so user text stays text.

Why: a spreadsheet program treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula. A volunteer's expense note ``=HYPERLINK(...)`` reached
201's monthly statement as a live formula (CSV injection); every export wrote user text the
same way. Every CSV and XLSX file of the application is written through this module:

- CSV: such text gets a leading apostrophe, which the spreadsheet shows as text and does not
  evaluate (the OWASP recommendation);
- XLSX: such text is stored as a string cell marked "quote prefix" (openpyxl would otherwise
  store a leading ``=`` as a formula); control characters XLSX cannot hold are dropped.

Numbers (``int``, ``float``, ``Decimal``) stay numbers, and text that is only a number ("-3,5",
"+49 170 123") stays as it is: digits cannot call anything.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

#: First characters that make a spreadsheet read a cell as a formula (with full-width forms).
FORMULA_PREFIXES = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+\-\uff0b\uff0d]?[\d\s.,]*\d[\d\s.,]*%?")


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet could evaluate ``text`` (leading spaces are looked past)."""
    start = text.lstrip(" ")
    return bool(start) and start[0] in FORMULA_PREFIXES and not _NUMBER.fullmatch(start)


def safe_cell(value: Any) -> Any:
    """A CSV cell: numbers as they are, text with a formula prefix behind an apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if is_formula_like(text) else text


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, *, delimiter: str = ";", lineterminator: str = "\r\n") -> SafeCsvWriter:
    """A safe writer; semicolons and CRLF by default, as German spreadsheet programs expect."""
    return SafeCsvWriter(out, delimiter=delimiter, lineterminator=lineterminator)


def xlsx_value(value: Any) -> Any:
    """A value openpyxl can store: text without the control characters XLSX cannot hold."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def xlsx_append(sheet: Worksheet, row: Iterable[Any]) -> None:
    """``sheet.append(row)``, with formula-like text kept as text (string cell, quote prefix)."""
    values = [xlsx_value(value) for value in row]
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if isinstance(value, str) and is_formula_like(value):
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True


def xlsx_set(sheet: Worksheet, coordinate: str, value: Any) -> Any:
    """``sheet[coordinate] = value`` the safe way; returns the cell (e.g. to set its font)."""
    cell = sheet[coordinate]
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str) and is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
