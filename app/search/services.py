"""The case search: one SQL query within ``visible_instance_ids(user)``; names and dates of birth
only of cases whose person the user may recognise (``identity_condition``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, event, func, literal, or_, select

from app.auth.access import visible_instance_ids
from app.auth.models import User
from app.cases.services import case_names, identity_condition
from app.engine.models import ProcessInstance
from app.extensions import db
from app.mbe.clients import cases_born_on, normalise
from app.web.paging import Page, bounds, count

MAX_QUERY = 100  # characters: a name, a number or a date, never a text
WORD_SIMILARITY = 0.45  # pg_trgm word similarity from which a name counts as found despite a typo
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@event.listens_for(ProcessInstance.title, "set")
def _keep_search_name(target: ProcessInstance, value, _old, _initiator) -> None:
    """The search form of the title follows every change of the title."""
    target.search_name = normalise(value) if value else ""


def parse_date(text: str) -> date | None:
    """A date of birth as typed: "12.03.1985" or "1985-03-12"; None if the text is no date."""
    found = _GERMAN_DATE.match(text)
    parts = (found.group(3), found.group(2), found.group(1)) if found else None
    if parts is None and (iso := _ISO_DATE.match(text)):
        parts = (iso.group(1), iso.group(2), iso.group(3))
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def search_query(user: User, text: str):
    """The ordered query of the cases ``user`` may see that match ``text``."""
    text = text.strip()
    visible = ProcessInstance.id.in_(visible_instance_ids(user))
    matches = [func.lower(ProcessInstance.reference).contains(text.lower(), autoescape=True)]
    born = parse_date(text)
    words = normalise(text).split()
    name_match: ColumnElement[bool] | None = None
    if born is not None:
        name_match = ProcessInstance.id.in_(cases_born_on(born, user.organisation_id))
    elif words:
        each = [ProcessInstance.search_name.contains(word, autoescape=True) for word in words]
        name_match = and_(*each)
        if _postgres():  # a typo: trigram word similarity over the GIN index
            # The operator's threshold is a setting (default 0.6: "Amadi" for "Ahmadi" is 0.5),
            # set for this transaction only.
            db.session.execute(select(func.set_config("pg_trgm.word_similarity_threshold",
                                                      str(WORD_SIMILARITY), True)))
            phrase = " ".join(words)
            name_match = or_(name_match, literal(phrase).op("<%")(ProcessInstance.search_name))
    if name_match is not None:
        matches.append(name_match & identity_condition(user))
    query = select(ProcessInstance).where(visible, or_(*matches))
    if words and born is None and _postgres():
        query = query.order_by(func.word_similarity(" ".join(words), ProcessInstance.search_name).desc(),
                               ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    else:
        query = query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    return query


@dataclass
class Hit:
    instance: ProcessInstance
    name: str


def search(user: User, text: str, page: int = 1, per_page: int = 25) -> Page:
    """One page of matching cases with the name each is shown with to ``user``."""
    query = search_query(user, text)
    total = count(query)
    page, pages, offset = bounds(total, page, per_page)
    instances = list(db.session.scalars(query.limit(per_page).offset(offset)))
    names = case_names(user, instances)
    return Page(items=[Hit(i, names.get(i.id, "")) for i in instances], total=total, page=page, pages=pages)
