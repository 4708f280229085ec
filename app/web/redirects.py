"""Following a ``next`` parameter without becoming an open redirect."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import redirect, url_for
from werkzeug.wrappers import Response


def safe_target(target: str | None, fallback: str | None = None) -> str:
    """``target`` if it is a path on this host (``/…``, no scheme, no host, no ``//`` or ``/\\``),
    else ``fallback`` (the inbox when not given)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parsed = urlparse(target)
        if not parsed.netloc and not parsed.scheme:
            return target
    return fallback or url_for("inbox.index")


def safe_redirect(target: str | None, fallback: str | None = None) -> Response:
    """Redirect to ``target`` when it stays on this host, else to ``fallback``."""
    return redirect(safe_target(target, fallback))
