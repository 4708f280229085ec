"""The network map per year: renders as valid SVG for 0, a few and 200 partners; years stay."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.network import services
from app.network.models import PARTNER_TYPES, PartnerYear
from tests.factories import today

SVG = "{http://www.w3.org/2000/svg}"


def _org(app, username: str = "k201") -> int:
    with app.app_context():
        return db.session.scalar(select(User.organisation_id).where(User.username == username))


def _make(app, count: int, year: int = today().year) -> list[str]:
    names = []
    with app.app_context():
        org = _org(app)
        for i in range(count):
            name = f"Partner {i:03d} & Co <Test>"
            services.save_partner(None, org, name=name, typ=PARTNER_TYPES[i % len(PARTNER_TYPES)],
                                  intensitaet=i % 3 + 1, wichtigkeit=(i // 3) % 3 + 1, year=year)
            names.append(name)
        db.session.commit()
    return names


def _svg(client, year: int = today().year) -> ET.Element:
    response = client.get(f"/netzwerk/karte/{year}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)  # valid XML, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def _partner_titles(root: ET.Element) -> list[str]:
    return [g.find(f"{SVG}title").text.split(" – ")[0] for g in root.iter(f"{SVG}g") if g.get("class") == "partner"]


@pytest.mark.parametrize("count", [0, 5, 200])
def test_map_renders_with_every_partner(app, login_as, count):
    names = _make(app, count)
    client = login_as("k201")
    root = _svg(client)
    assert sorted(_partner_titles(root)) == sorted(names)
    circles = [c for g in root.iter(f"{SVG}g") if g.get("class") == "partner" for c in g.iter(f"{SVG}circle")]
    assert len(circles) == count
    for c in circles:  # inside the picture
        assert 0 <= float(c.get("cx")) <= 800 and 0 <= float(c.get("cy")) <= 800
    page = client.get(f"/netzwerk/karte?jahr={today().year}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<th scope=\"row\">") == count  # the accessible table, one row per partner
    if count:
        assert "Partner 000 &amp; Co &lt;Test&gt;" in html
    else:
        assert "Für dieses Jahr sind keine Partner bewertet." in html
    rows = list(csv.reader(io.StringIO(client.get(f"/netzwerk/karte/{today().year}.csv").get_data(as_text=True)
                                       .lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == count + 1


def test_intensity_means_closeness_and_importance_means_size(app, login_as):
    with app.app_context():
        org = _org(app)
        services.save_partner(None, org, name="Nah und wichtig", typ="schule", intensitaet=3, wichtigkeit=3)
        services.save_partner(None, org, name="Fern und klein", typ="schule", intensitaet=1, wichtigkeit=1)
        db.session.commit()
    root = _svg(login_as("k201"))
    dots = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "partner":
            c = g.find(f"{SVG}circle")
            dist = ((float(c.get("cx")) - 400) ** 2 + (float(c.get("cy")) - 400) ** 2) ** 0.5
            dots[g.find(f"{SVG}title").text.split(" – ")[0]] = (dist, float(c.get("r")))
    assert dots["Nah und wichtig"][0] < dots["Fern und klein"][0]
    assert dots["Nah und wichtig"][1] > dots["Fern und klein"][1]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "sector-label"]
    assert labels == ["Schule / Bildung (2)"]


def test_last_years_map_stays_as_it_was(app, login_as):
    with app.app_context():
        org = _org(app)
        partner = services.save_partner(None, org, name="Beratungsstelle Nord", typ="beratungsstelle",
                                        intensitaet=1, wichtigkeit=1, year=today().year - 1)
        db.session.commit()
        pid = partner.id
    k201 = login_as("k201")
    form = {"name": "Beratungsstelle Nord-Ost", "typ": "beratungsstelle", "intensitaet": "3", "wichtigkeit": "3"}
    assert k201.post(f"/netzwerk/partner/{pid}", data=form).status_code == 302
    with app.app_context():
        rows = {r.jahr: (r.name, r.intensitaet, r.wichtigkeit)
                for r in db.session.scalars(select(PartnerYear).where(PartnerYear.partner_id == pid))}
    assert rows == {today().year - 1: ("Beratungsstelle Nord", 1, 1), today().year: ("Beratungsstelle Nord-Ost", 3, 3)}
    assert _partner_titles(_svg(k201, today().year - 1)) == ["Beratungsstelle Nord"]
    assert _partner_titles(_svg(k201, today().year)) == ["Beratungsstelle Nord-Ost"]


def test_carry_over_rates_unrated_partners_for_a_new_year(app, login_as):
    _make(app, 3, year=today().year - 1)
    k201 = login_as("k201")
    assert _partner_titles(_svg(k201, today().year + 1)) == []
    assert k201.post(f"/netzwerk/karte/{today().year + 1}/uebernehmen").status_code == 302
    assert len(_partner_titles(_svg(k201, today().year + 1))) == 3
    assert login_as("fb36").post(f"/netzwerk/karte/{today().year + 2}/uebernehmen").status_code == 403


def test_demo_partners_are_idempotent_and_fill_two_years(app, login_as):
    from app.network.demo import DEMO_PARTNERS, load_demo_partners

    with app.app_context():
        assert load_demo_partners() == len(DEMO_PARTNERS)
        assert load_demo_partners() == 0
        db.session.commit()
    k201 = login_as("k201")
    this_year = _partner_titles(_svg(k201, today().year))
    assert len(this_year) == sum(1 for p in DEMO_PARTNERS if p[0] == "kommune")
    assert "Sprachschule Beispiel gGmbH" not in this_year  # the welfare association's directory
    assert len(_partner_titles(_svg(k201, today().year - 1))) == 3
