"""One way to cut a list into pages: a :class:`Page` and the ``pager`` macro (``_kernel.html``).

Lists page with SQL ``LIMIT``/``OFFSET`` over an ordered query; the page number comes from a
query argument (``seite`` by default) and is clamped into 1 … pages, so a stale or typed link
shows the last page instead of an empty one. Lists that first select the ids of a page over a
narrow index (the monitor) use :func:`bounds` and build the :class:`Page` themselves; the inbox
pages by key instead (app/inbox/listing.py: a cursor after the last row, no OFFSET).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from app.extensions import db


@dataclass
class Page:
    """One page of a list. Templates may also read it like a mapping (``page['items']``)."""

    items: Sequence[Any]
    total: int
    page: int
    pages: int
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        return getattr(self, key)


def page_arg(name: str = "seite") -> int:
    """The page number the request asks for (1 when absent or not a number)."""
    return request.args.get(name, 1, type=int) or 1


def bounds(total: int, page: int, size: int) -> tuple[int, int, int]:
    """``(page, pages, offset)``: the page clamped into 1 … pages (at least one page)."""
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    return page, pages, (page - 1) * size


def paginate(query: Select, page: int, size: int, *, total: int | None = None) -> Page:
    """One page of the ordered ``query``; ``total`` if the caller counts more cheaply."""
    if total is None:
        total = count(query)
    page, pages, offset = bounds(total, page, size)
    items = db.session.scalars(query.limit(size).offset(offset)).all()
    return Page(items=items, total=total, page=page, pages=pages)


def count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def paginate_ids(ids: Select, load: Callable[[list[Any]], Iterable[Any]], page: int, size: int, *,
                 total: int | None = None) -> Page:
    """One page in two steps: the ordered ``ids`` query (count and sort over a narrow index,
    not over whole rows), then ``load(page_ids)`` fetches only the page's rows (objects with
    an ``id``), returned in the order of the ids."""
    if total is None:
        total = count(ids)
    page, pages, offset = bounds(total, page, size)
    page_ids = list(db.session.scalars(ids.limit(size).offset(offset)))
    by_id = {row.id: row for row in load(page_ids)} if page_ids else {}
    return Page(items=[by_id[i] for i in page_ids if i in by_id], total=total, page=page, pages=pages)
