"""Invented demo partners (``flask demo load``), so the directory and the map have content."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth.models import Organisation
from app.extensions import db
from app.network import services
from app.network.models import Partner

# organisation key, name, type, intensity, importance (this year), last year's (or None)
DEMO_PARTNERS = [
    ("kommune", "Ausländerbehörde Musterstadt", "auslaenderbehoerde", 3, 3, (2, 3)),
    ("kommune", "Jobcenter Musterstadt", "jobcenter", 2, 3, (2, 2)),
    ("kommune", "Grundschule am Lindenplatz", "schule", 2, 2, None),
    ("kommune", "Familienberatung Nordheim", "beratungsstelle", 1, 2, (1, 1)),
    ("kommune", "Kulturverein Brücke e. V.", "migrantenorganisation", 3, 2, None),
    ("traeger", "Sprachschule Beispiel gGmbH", "integrationskurs", 3, 3, (3, 2)),
    ("traeger", "Jugendmigrationsdienst Musterstadt", "jmd", 2, 3, (2, 3)),
    ("traeger", "Jobcenter Musterstadt", "jobcenter", 2, 2, None),
]


def load_demo_partners() -> int:
    """Create the demo partners once (skipped when an organisation already has partners)."""
    created = 0
    year = date.today().year
    for org_key, name, typ, intensity, importance, last in DEMO_PARTNERS:
        org = db.session.scalar(select(Organisation).where(Organisation.key == org_key))
        if org is None or db.session.scalar(select(Partner.id).where(Partner.organisation_id == org.id,
                                                                     Partner.name == name)):
            continue
        if last is not None:
            partner = services.save_partner(None, org.id, name=name, typ=typ, intensitaet=last[0],
                                            wichtigkeit=last[1], year=year - 1)
            partner.intensitaet, partner.wichtigkeit = intensity, importance
            services.rate_year(partner, year)
        else:
            services.save_partner(None, org.id, name=name, typ=typ, intensitaet=intensity, wichtigkeit=importance)
        created += 1
    return created
