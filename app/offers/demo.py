"""Invented demo offers (``flask demo load``) from invented providers of the municipality's partner
directory, so that kim1's demo cases show matching offers, exclusions with reasons and gaps
(no training offer is open to people with a Duldung or without German)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Organisation
from app.extensions import db
from app.network import services as network
from app.network.models import Partner
from app.offers import services
from app.offers.models import Offer

ORG = "kommune"
# provider name, partner type (created in the directory when missing)
PROVIDERS = {
    "Volkshochschule Musterstadt": "integrationskurs",
    "Kulturverein Brücke e. V.": "migrantenorganisation",
    "Kreishandwerkerschaft Musterstadt": "sonstige",
    "Kreisklinikum Musterstadt": "gesundheit",
    "Bildungswerk Handwerk Musterstadt": "schule",
    "Beschäftigungsinitiative Neustart gGmbH": "verein",
    "Jugendmigrationsdienst Musterstadt": "jmd",
    "Flüchtlingsrat Musterstadt e. V.": "beratungsstelle",
    "Berufskolleg Musterstadt": "schule",
    "Logistikzentrum Nordheim GmbH": "sonstige",
}
ALL: list[str] = []
# title, kind, provider, age (min, max), statuses, systems, German level, (places, taken), start, end (days from today)
DEMO_OFFERS = [
    ("Integrationskurs mit Alphabetisierung", "sprachkurs", "Volkshochschule Musterstadt", (None, None),
     ["gestattung", "aufenthaltserlaubnis", "niederlassungserlaubnis"], ALL, None, (20, 12), 14, 300),
    ("Berufssprachkurs B2", "sprachkurs", "Volkshochschule Musterstadt", (None, None),
     ["gestattung", "aufenthaltserlaubnis", "niederlassungserlaubnis", "ausbildungsduldung"],
     ["sgb2", "sgb3", "asylblg"], "B1", (16, 10), 30, 200),
    ("Sommerkurs Deutsch intensiv", "sprachkurs", "Volkshochschule Musterstadt", (None, None), ALL, ALL, None,
     (15, 9), -90, -30),
    ("Offener Sprachtreff „Deutsch im Alltag“", "sprachkurs", "Kulturverein Brücke e. V.", (None, None), ALL, ALL,
     None, (None, 0), None, None),
    ("Einstiegsqualifizierung Handwerk", "ausbildung", "Kreishandwerkerschaft Musterstadt", (18, 27),
     ["gestattung", "aufenthaltserlaubnis", "niederlassungserlaubnis", "ausbildungsduldung"], ALL, "A2", (8, 5), 21,
     385),
    ("Ausbildung Pflegefachkraft", "ausbildung", "Kreisklinikum Musterstadt", (None, None),
     ["aufenthaltserlaubnis", "niederlassungserlaubnis"], ALL, "B1", (3, 1), 60, 1155),
    ("Ausbildung Fachkraft für Lagerlogistik", "ausbildung", "Logistikzentrum Nordheim GmbH", (None, None),
     ["aufenthaltserlaubnis", "niederlassungserlaubnis"], ALL, "B1", (2, 2), 45, 775),
    ("Berufsorientierung für Geflüchtete", "berufsvorbereitung", "Bildungswerk Handwerk Musterstadt", (18, 25),
     ["gestattung", "aufenthaltserlaubnis"], ALL, "A2", (12, 4), 10, 190),
    ("Beschäftigungsprogramm Neustart", "beschaeftigung", "Beschäftigungsinitiative Neustart gGmbH", (18, 27), ALL,
     ["sgb2"], None, (10, 3), -20, 345),
    ("Arbeitsgelegenheit Grünpflege", "beschaeftigung", "Beschäftigungsinitiative Neustart gGmbH", (18, None),
     ["gestattung", "duldung"], ["asylblg"], None, (6, 2), None, None),
    ("Anerkennungs- und Bildungsberatung", "beratung", "Jugendmigrationsdienst Musterstadt", (18, 27), ALL, ALL,
     None, (None, 0), None, None),
    ("Beratung zu Ausbildungs- und Beschäftigungsduldung", "beratung", "Flüchtlingsrat Musterstadt e. V.",
     (None, None), ["gestattung", "duldung", "ausbildungsduldung", "beschaeftigungsduldung"], ALL, None, (None, 0),
     None, None),
    ("Hauptschulabschluss am Abend", "schule", "Berufskolleg Musterstadt", (18, 25), ALL, ALL, "A2", (25, 20), 40, 400),
]


def _provider(org: Organisation, name: str) -> Partner:
    partner = db.session.scalar(select(Partner).where(Partner.organisation_id == org.id, Partner.name == name))
    if partner is None:
        partner = network.save_partner(None, org.id, name=name, typ=PROVIDERS[name], intensitaet=2, wichtigkeit=2)
    return partner


def load_demo_offers(today: date | None = None) -> int:
    """Create the demo offers once (skipped when the organisation's catalogue has offers)."""
    org = db.session.scalar(select(Organisation).where(Organisation.key == ORG))
    if org is None or db.session.scalar(select(Offer.id).where(Offer.organisation_id == org.id).limit(1)):
        return 0
    today = today or date.today()

    def day(offset: int | None) -> date | None:
        return None if offset is None else today + timedelta(days=offset)

    for title, kind, provider, (age_min, age_max), statuses, systems, level, (places, taken), start, end \
            in DEMO_OFFERS:
        services.save_offer(None, org.id, _provider(org, provider), {
            "titel": title, "art": kind, "beschreibung": "", "alter_min": age_min, "alter_max": age_max,
            "aufenthaltsstatus": list(statuses), "leistungssysteme": list(systems), "sprachniveau_min": level,
            "plaetze": places, "plaetze_belegt": taken, "beginn": day(start), "ende": day(end), "active": True})
    return len(DEMO_OFFERS)
