"""Clients of the MBE service: search before starting a case, linking a case to its client.

A client row exists only with recorded consent (``einwilligung`` in the Erstkontakt); without
consent the case stays anonymous (no ``CaseClient`` row) and only anonymous statistics are kept.
Every read and write of a case's client goes through this module (``client_of``, ``set_client``,
``cases_of``); the engine's tables know nothing of clients.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select

from app.auth.models import Team, User
from app.engine.models import CaseEvent, ProcessInstance, ProcessModel, ProcessVersion
from app.erasure.services import case_erasing
from app.extensions import db
from app.mbe.access import PROCESS_KEY, lead_teams
from app.mbe.models import CaseClient, Client

MAX_RESULTS = 50
_SPELT_UMLAUTS = re.compile(r"(?<=[aou])e")


def normalise(text: str | None) -> str:
    """Search form of a name: lower case, accents and punctuation dropped, umlauts and their
    spelt-out forms made equal ("Müller", "Mueller", "Muller" → "muller")."""
    text = (text or "").casefold().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _SPELT_UMLAUTS.sub("", text)
    return re.sub(r"[^\w]+", " ", text).strip()[:120]


def search(user: User, name: str = "", born: date | None = None) -> list[Client]:
    """Clients of the user's organisation whose names start with every word of ``name`` (first
    or last name) and, if given, born on ``born``. Indexed SQL; at most MAX_RESULTS."""
    words = normalise(name).split()
    if not words and born is None:
        return []
    query = select(Client).where(Client.organisation_id == user.organisation_id)
    for word in words:
        query = query.where(Client.nachname_norm.startswith(word, autoescape=True)
                            | Client.vorname_norm.startswith(word, autoescape=True)
                            | Client.nachname_norm.contains(f" {word}", autoescape=True))
    if born is not None:
        query = query.where(Client.geburtsdatum == born)
    query = query.order_by(Client.nachname_norm, Client.vorname_norm, Client.id).limit(MAX_RESULTS)
    return list(db.session.scalars(query))


def cases_born_on(born: date, organisation_id: int | None):
    """A subquery of the ids of the cases whose client (with consent) was born on ``born``: the
    clients of the searching person's organisation (index ix_mbe_client_org_dob)."""
    return (select(CaseClient.instance_id).join(Client, Client.id == CaseClient.client_id)
            .where(Client.organisation_id == organisation_id, Client.geburtsdatum == born))


def get_client(user: User, client_id: int) -> Client | None:
    client = db.session.get(Client, client_id)
    if client is None or client.organisation_id != user.organisation_id:
        return None
    return client


def client_of(instance: ProcessInstance) -> Client | None:
    """The client the case is about; None for an anonymous case."""
    return db.session.scalar(select(Client).join(CaseClient, CaseClient.client_id == Client.id)
                             .where(CaseClient.instance_id == instance.id))


def client_id_of(instance: ProcessInstance) -> int | None:
    """The id of the case's client for the access log (one primary-key read; None when anonymous)."""
    if instance.version.model.key != PROCESS_KEY:
        return None
    link = db.session.get(CaseClient, instance.id)
    return link.client_id if link is not None else None


def set_client(instance: ProcessInstance, client: Client | None) -> None:
    """Link the case to ``client`` (both flushed), or make it anonymous with None. Only flushes.

    The case is listed under the client's name (its title) only while a client with consent is
    linked; an anonymous case has no title (lists show "anonym")."""
    instance.title = client.name[:200] if client is not None else ""
    link = db.session.get(CaseClient, instance.id)
    if client is None:
        if link is not None:
            db.session.delete(link)
    elif link is None:
        db.session.add(CaseClient(instance_id=instance.id, client_id=client.id))
    else:
        link.client_id = client.id
    db.session.flush()


@dataclass
class EarlierCase:
    instance: ProcessInstance
    counsellor: User


def cases_of(client_ids: list[int]) -> dict[int, list[EarlierCase]]:
    """The MBE cases of each client, newest first (one query)."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        select(CaseClient.client_id, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == CaseClient.instance_id)
        .where(CaseClient.client_id.in_(client_ids))
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    )
    result: dict[int, list[EarlierCase]] = {}
    for client_id, instance in rows:
        result.setdefault(client_id, []).append(EarlierCase(instance, instance.responsible or instance.started_by))
    return result


def sees_client(user: User, client: Client, cases: list[EarlierCase], led: set[int] | None = None) -> bool:
    """May ``user`` see the client's row in the duplicate check (name, date of birth, cases)?
    Only the counsellor responsible for one of the client's cases and the lead of the MBE team;
    a colleague learns only that the person is a client and who is responsible. ``led``: the ids
    of the MBE teams ``user`` leads, when already known."""
    if any(e.counsellor.id == user.id for e in cases):
        return True
    led = {t.id for t in lead_teams(user)} if led is None else led
    return client.team_id in led or any(e.instance.owner_team_id in led for e in cases)


def responsible_for(cases: list[EarlierCase]) -> User | None:
    """The counsellor responsible for the client: of the newest running case, else of the newest."""
    running = [e for e in cases if e.instance.ended_at is None]
    newest = running or cases
    return newest[0].counsellor if newest else None


def find_duplicate(organisation_id: int, vorname: str, nachname: str, born: date | None) -> Client | None:
    """The existing client with the same names and date of birth (both without one also count)."""
    born_cond = Client.geburtsdatum == born if born is not None else Client.geburtsdatum.is_(None)
    return db.session.scalar(
        select(Client).where(and_(Client.organisation_id == organisation_id,
                                  Client.nachname_norm == normalise(nachname),
                                  Client.vorname_norm == normalise(vorname), born_cond))
        .order_by(Client.id).limit(1)
    )


def _as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def link_after_erstkontakt(instance: ProcessInstance, user: User, data: dict) -> Client | None:
    """Link the case to its client after an Erstkontakt: with consent the existing client (the
    one the case was started for, or the same person found by name and date of birth) or a new
    one; without consent the case stays (or becomes) anonymous. Returns the client."""
    nachname = str(data.get("nachname") or "").strip()
    linked = client_of(instance)
    if not data.get("einwilligung") or not nachname:
        if linked is not None:
            set_client(instance, None)
            db.session.add(CaseEvent(instance=instance, kind="mbe_client_unlinked", title="", actor=user))
        return None
    vorname = str(data.get("vorname") or "").strip()
    born = _as_date(data.get("geburtsdatum"))
    team: Team | None = instance.owner_team
    organisation_id = team.organisation_id if team is not None else user.organisation_id
    client = linked
    if client is None and organisation_id is not None:  # clients live in an organisation
        client = find_duplicate(organisation_id, vorname, nachname, born)
    if client is None:
        client = Client(organisation_id=organisation_id, team_id=team.id if team else None,
                        vorname=vorname[:120], nachname=nachname[:120], vorname_norm=normalise(vorname),
                        nachname_norm=normalise(nachname), geburtsdatum=born, created_by_id=user.id)
        db.session.add(client)
        db.session.flush()
    elif client.geburtsdatum is None and born is not None:
        client.geburtsdatum = born
    if linked is None or linked.id != client.id:
        set_client(instance, client)
        db.session.add(CaseEvent(instance=instance, kind="mbe_client_linked", title="", actor=user,
                                 data={"klient_id": client.id}))
    return client


def mbe_model() -> ProcessModel | None:
    return db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS_KEY,
                                                        ProcessModel.versions.any(ProcessVersion.id > 0)))


@case_erasing.connect
def _erase_client_link(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the case leaves its client (it becomes
    anonymous) and the client's row (name, date of birth) goes once no other case is linked to
    it. The anonymous statistics rows (``MbeCaseStat``, ``MbeStatFact``) stay."""
    client = client_of(instance)
    if client is None:
        return {}
    set_client(instance, None)
    db.session.flush()
    if db.session.scalar(select(CaseClient.instance_id).where(CaseClient.client_id == client.id).limit(1)) is None:
        db.session.delete(client)
        db.session.flush()
        return {"klienten": 1}
    return {}
