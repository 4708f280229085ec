"""The volunteers' blueprint, apart from its views: ``routes`` and ``routes_work`` both add to it,
and neither needs to import the other for it (that was an import cycle)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("volunteers", __name__, template_folder="../templates")
