"""The small web kernel: what every feature's pages share.

Here: user loading, error pages, security headers, the template context. Beside it:
``access`` (role decorators), ``redirects`` (``safe_redirect``), ``paging`` (``Page``),
``responses`` (CSV/XLSX downloads), ``formatting`` (Babel filters), ``menu`` (menu entries
declared by the features) and the macros of ``templates/_kernel.html`` (``post_button``, ``pager``).
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app import transaction
from app.web import formatting, menu
from app.web.errors import json_error

ERROR_TEXT = {
    400: (_l("Ungültige Anfrage"), _l("Die Anfrage konnte nicht verarbeitet werden.")),
    403: (_l("Keine Berechtigung"), _l("Sie dürfen diese Aktion nicht ausführen.")),
    404: (_l("Nicht gefunden"),
          _l("Die Seite oder der Vorgang existiert nicht oder ist für Sie nicht sichtbar.")),
    405: (_l("Nicht erlaubt"), _l("Diese Methode ist hier nicht erlaubt.")),
    409: (_l("Konflikt"), _l("Der Vorgang wurde inzwischen geändert.")),
    413: (_l("Zu groß"), _l("Die Anfrage ist zu groß.")),
    429: (_l("Zu viele Versuche"), _l("Bitte warten Sie einen Moment und versuchen Sie es erneut.")),
    500: (_l("Interner Fehler"), _l("Es ist ein Fehler aufgetreten. Es wurde nichts gespeichert.")),
}
STATUS_LABELS = {
    "running": _l("laufend"), "completed": _l("abgeschlossen"), "suspended": _l("angehalten"),
    "terminated": _l("beendet"), "error": _l("Fehler"),
}
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "validation_failed",
               429: "rate_limited", 500: "internal_error"}


def register_web(app: Flask) -> None:
    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(409)
    @app.errorhandler(413)
    @app.errorhandler(429)
    @app.errorhandler(500)
    def error_page(exc):
        code = getattr(exc, "code", 500) or 500
        transaction.discard()  # errors raised before a view (hooks) did not pass the edge
        title, text = ERROR_TEXT.get(code, (str(code), ""))
        if code == 413:  # say which limit applied (app/bounds.py)
            from app.web.bounds import too_large_text

            text = too_large_text()
        # Descriptions we pass to abort() ourselves are German sentences worth showing; the
        # defaults of werkzeug are English and generic.
        description = getattr(exc, "description", None)
        own = isinstance(description, str) and description != getattr(type(exc), "description", None)
        if request.path.startswith("/api/"):
            message = str(description) if own and code in (403, 409, 422) else str(text or title)
            return json_error(code, ERROR_CODES.get(code, str(code)), message)
        shown = description if own and code in (403, 409) else text
        return render_template("error.html", code=code, title=title, text=shown), code

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'",
        )
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    formatting.init_app(app)  # datum, datumzeit, zahl, menge, prozent, betrag

    @app.context_processor
    def inject():
        return {"current_locale": str(get_locale()), "status_labels": STATUS_LABELS,
                "main_menu": menu.visible_menu}  # entries from the features' menu.py
