"""JSON API v1 (see docs in ../shared/api-v1.md and GET /api/v1/openapi.json)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import routes  # noqa: E402,F401
from app.modeler import api as modeler_api  # noqa: E402,F401
from app.monitor import api as monitor_api  # noqa: E402,F401
from app.statistics import api as statistics_api  # noqa: E402,F401
from app.volunteers import api as volunteers_api  # noqa: E402,F401
