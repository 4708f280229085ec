"""The Content-Security-Policy of pages that show a bpmn-js diagram.

Scripts stay ``'self'`` only (the bundles in static/build, no inline JS). bpmn-js/diagram-js
position overlays, the canvas and the properties panel's popups by setting ``style``
*attributes* from JavaScript; under ``style-src 'self'`` Chromium refuses those
(``style-src-attr``). So these pages — and only these — allow inline style attributes
(``style-src-attr 'unsafe-inline'``); ``<style>`` elements and every script source stay locked.
Style attributes cannot run code; the risk is limited to CSS-based UI redressing by injected
markup, which Jinja's autoescaping already prevents.
"""

from __future__ import annotations

from functools import wraps

from flask import make_response

DIAGRAM_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "script-src 'self'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def diagram_csp(response):
    response.headers["Content-Security-Policy"] = DIAGRAM_CSP
    return response


def diagram_page(view):
    """Decorator for views whose page shows a diagram (modeler or viewer bundle)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return diagram_csp(make_response(view(*args, **kwargs)))

    return wrapper
