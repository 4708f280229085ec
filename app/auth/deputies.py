"""Who works on whose personal tasks today (absence cover), asked by access checks and the
engine, answered by the feature that keeps absences (``app/absence`` registers its query).

A hook rather than an import: the absence feature builds on users and teams, so ``app.auth``
and ``app.engine`` must not import it back (that was the auth ↔ absence import cycle).
"""

from __future__ import annotations

from collections.abc import Callable

from app.auth.models import User

CoverQuery = Callable[[User], list[int]]

_query: CoverQuery | None = None


def provide(query: CoverQuery) -> CoverQuery:
    """Register the query answering ``covered_user_ids`` (one provider; registering again replaces)."""
    global _query
    _query = query
    return query


def covered_user_ids(user: User) -> list[int]:
    """The ids of the people whose personal tasks ``user`` covers today; none without a provider."""
    return _query(user) if _query is not None else []
