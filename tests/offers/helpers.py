"""Catalogue rows for the offers tests (committed, as a user would have saved them)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Organisation
from app.extensions import db
from app.network import services as network
from app.offers import services
from app.offers.models import Offer


def org_id(key: str = "kommune") -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.key == key))


def add_offers(app, *specs: dict, org: str = "kommune") -> list[int]:
    """Offers of one invented provider; each spec gives titel, art and any other field."""
    with app.app_context():
        organisation = org_id(org)
        provider = network.save_partner(None, organisation, name="Bildungsträger Beispiel", typ="schule",
                                        intensitaet=2, wichtigkeit=2)
        ids = []
        for spec in specs:
            values = {"beschreibung": "", "aufenthaltsstatus": [], "leistungssysteme": [], "plaetze": None,
                      "plaetze_belegt": 0, "active": True, **spec}
            ids.append(services.save_offer(None, organisation, provider, values).id)
        db.session.commit()
        return ids


def soon(days: int) -> date:
    return date.today() + timedelta(days=days)


def offer_row(app, offer_id: int) -> Offer:
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        db.session.expunge(offer)
        return offer


def count(app) -> int:
    with app.app_context():
        return len(list(db.session.scalars(select(Offer.id))))
