"""The main menu, declared by the features: each one lists its entries in its own ``menu.py``.

Why: ``base.html`` used to know every feature and its role rules (``{% if
current_user.has_role('koordination') %}`` …); a new feature meant editing the shared layout and
repeating its access rule there. Now a feature package holds a ``menu.py`` with ``ENTRIES`` (a
sequence of :class:`MenuEntry`); when the feature's blueprint is registered on the app, the
kernel reads them (:func:`collect`), and ``base.html`` shows the entries visible to the current
user in one loop, ordered by ``order``. Hiding an entry is never the protection: the route's
role decorator and the view's per-object check are.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user

EXTENSION_KEY = "fallwerk_menu"
COLLECTED_KEY = "fallwerk_menu_collected"


@dataclass(frozen=True)
class MenuEntry:
    """One link of the main menu.

    ``roles``: shown to users holding one of them (empty: every signed-in user).
    ``condition``: an extra test on the user (e.g. "leads a team"), called only after the roles.
    ``active_prefix``: the entry is the current page for every endpoint starting with it
    (default: only its own endpoint). ``badge``: text after the label (e.g. the unread count).
    """

    label: Any
    endpoint: str
    order: int
    roles: tuple[str, ...] = ()
    condition: Callable[[Any], bool] | None = None
    active_prefix: str | None = None
    css_class: str | None = None
    badge: Callable[[Any], Any] | None = None

    def visible_to(self, user: Any) -> bool:
        if self.roles and not user.has_role(*self.roles):
            return False
        return self.condition is None or bool(self.condition(user))

    def is_current(self, endpoint: str | None) -> bool:
        if not endpoint:
            return False
        if self.active_prefix:
            return endpoint.startswith(self.active_prefix)
        return endpoint == self.endpoint


def register(app: Flask, entries: Any) -> None:
    """Add ``entries`` to the app's menu (idempotent per entry)."""
    menu: list[MenuEntry] = app.extensions.setdefault(EXTENSION_KEY, [])
    for entry in entries:
        if not any(known is entry for known in menu):
            menu.append(entry)
    menu.sort(key=lambda e: e.order)


def collect(app: Flask) -> None:
    """Register the ``ENTRIES`` of every feature package with a blueprint on the app that has a
    ``menu`` module (``app.volunteers.routes`` → ``app.volunteers.menu``). Runs on the first
    menu shown, when every blueprint is registered, whatever order the app factory uses."""
    app.extensions[COLLECTED_KEY] = True
    seen: set[str] = set()
    for blueprint in app.blueprints.values():
        package = blueprint.import_name.rpartition(".")[0] or blueprint.import_name
        if package in seen:
            continue
        seen.add(package)
        name = f"{package}.menu"
        if importlib.util.find_spec(name) is None:
            continue
        register(app, getattr(importlib.import_module(name), "ENTRIES", ()))


def entries() -> list[MenuEntry]:
    """The app's menu entries in their order (collected on first use)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.extensions.get(COLLECTED_KEY):
        collect(app)
    return list(app.extensions.get(EXTENSION_KEY, []))


def visible_menu() -> list[dict[str, Any]]:
    """The entries the current user sees, ready for ``base.html``."""
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint
    shown = []
    for entry in entries():
        if not entry.visible_to(current_user):
            continue
        shown.append({"label": entry.label, "url": url_for(entry.endpoint), "css_class": entry.css_class,
                      "current": entry.is_current(endpoint),
                      "badge": entry.badge(current_user) if entry.badge else None})
    return shown
