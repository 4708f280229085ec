"""Things waiting for a second person's approval (four-eyes): process drafts, decision tables.

A feature that asks for approvals registers a *source*: a function ``(user) -> list[ApprovalItem]``
returning what that user may approve now (never what they submitted themselves). The inbox shows
the items of every source to process owners (``pending_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.auth.models import User


@dataclass(frozen=True)
class ApprovalItem:
    kind: str  # German, e.g. "Prozessmodell", "Entscheidungstabelle"
    title: str  # what is to be approved, e.g. "Alltagsbegleitung – Entwurf 12"
    url: str  # the page where the approver sees the diff and approves or rejects
    submitted_by: str  # display name
    submitted_at: datetime
    comment: str = ""


Source = Callable[[User], list[ApprovalItem]]
_SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Decorator: add a source of approval items (idempotent)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def pending_for(user: User) -> list[ApprovalItem]:
    """Every item ``user`` may approve now, oldest first."""
    items = [item for source in _SOURCES for item in source(user)]
    return sorted(items, key=lambda i: i.submitted_at)
