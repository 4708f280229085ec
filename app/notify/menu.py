"""Main-menu entries of notifications (see app/web/menu.py): the own list with its unread
count for everyone, the outbox for admins."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app import transaction
from app.auth.models import ROLE_ADMIN
from app.web.menu import MenuEntry

log = logging.getLogger(__name__)


def unread_or_none(user) -> int | None:
    """Unread notifications of ``user`` (None when unknown, e.g. DB down: the error page must
    still render)."""
    from app.notify import services

    if not user.is_authenticated:
        return None
    try:
        return services.unread_count(user)
    except SQLAlchemyError:
        log.exception("counting notifications failed")
        transaction.discard()
        return None


def _unread_badge(user) -> str | None:
    unread = unread_or_none(user)
    return _("%(count)s ungelesen", count=unread) if unread else None


ENTRIES = (
    MenuEntry(_l("Benachrichtigungen"), "notify.index", order=40, css_class="notifications-link",
              badge=_unread_badge),
    MenuEntry(_l("Postausgang"), "notify.outbox", order=130, roles=(ROLE_ADMIN,)),
)
