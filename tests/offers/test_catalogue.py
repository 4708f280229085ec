"""The catalogue pages and GET /api/v1/offers: who may keep offers (the KIM team and its lead)
and who may not, validation next to the field with nothing saved, deactivating."""

from __future__ import annotations

import pytest

from tests.offers.helpers import add_offers, count, offer_row, soon

KEEPERS = ["kim1", "kimleitung"]
OTHERS = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess", "admin", "dsb"]


def valid(provider_id: int, **overrides) -> dict:
    data = {"titel": "Berufssprachkurs B1", "art": "sprachkurs", "provider": str(provider_id),
            "beschreibung": "Vormittags", "alter_min": "18", "alter_max": "27",
            "aufenthaltsstatus": ["gestattung", "aufenthaltserlaubnis"], "leistungssysteme": [],
            "sprachniveau_min": "A2", "plaetze": "12", "plaetze_belegt": "3",
            "beginn": soon(14).isoformat(), "ende": soon(200).isoformat(), "active": "y"}
    return {**data, **overrides}


@pytest.mark.parametrize("username", KEEPERS)
def test_the_team_and_its_lead_keep_the_catalogue(app, login_as, api_client, username):
    [offer_id] = add_offers(app, {"titel": "Sprachtreff", "art": "sprachkurs"})
    client = login_as(username)
    page = client.get("/angebote")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sprachtreff" in html and html.count("<h1") == 1 and 'href="/angebote"' in html  # the menu entry
    assert client.get(f"/angebote/{offer_id}").status_code == 200
    assert client.get("/angebote/luecken").status_code == 200
    answer = api_client(username).get("/api/v1/offers")
    assert answer.status_code == 200 and [o["title"] for o in answer.get_json()] == ["Sprachtreff"]


@pytest.mark.parametrize("username", OTHERS)
def test_nobody_else_sees_or_keeps_it(app, login_as, api_client, username):
    [offer_id] = add_offers(app, {"titel": "Sprachtreff", "art": "sprachkurs"})
    client = login_as(username)
    assert 'href="/angebote"' not in client.get("/").get_data(as_text=True)
    for path in ("/angebote", "/angebote/neu", f"/angebote/{offer_id}", "/angebote/luecken",
                 "/angebote/luecken?format=csv"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/angebote/{offer_id}", data={"titel": "X"}).status_code == 403
    assert client.post(f"/angebote/{offer_id}/status", data={"aktiv": "0"}).status_code == 403
    assert offer_row(app, offer_id).titel == "Sprachtreff" and offer_row(app, offer_id).active
    answer = api_client(username).get("/api/v1/offers")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"


def test_another_organisations_offer_does_not_exist(app, login_as):
    [offer_id] = add_offers(app, {"titel": "Kurs des Trägers", "art": "sprachkurs"}, org="traeger")
    kim = login_as("kim1")
    assert kim.get(f"/angebote/{offer_id}").status_code == 404
    assert "Kurs des Trägers" not in kim.get("/angebote").get_data(as_text=True)


def test_create_edit_with_german_validation_and_deactivate(app, login_as):
    [existing] = add_offers(app, {"titel": "Sprachtreff", "art": "sprachkurs"})
    provider = offer_row(app, existing).provider_id
    kim = login_as("kim1")
    form = kim.get("/angebote/neu").get_data(as_text=True)
    assert 'for="titel"' in form and "Bildungsträger Beispiel" in form
    before = count(app)
    bad = kim.post("/angebote/neu", data=valid(provider, titel="", alter_min="25", alter_max="20",
                                                 plaetze="2", plaetze_belegt="5", beginn=soon(10).isoformat(),
                                                 ende=soon(5).isoformat(), aufenthaltsstatus=["unbekannt"]))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    for message in ("Bitte den Titel angeben.", "Das Höchstalter darf nicht unter dem Mindestalter liegen.",
                    "Es können nicht mehr Plätze belegt sein, als es gibt.",
                    "Das Ende darf nicht vor dem Beginn liegen.",
                    "Es wurde nichts gespeichert."):
        assert message in html, message
    assert 'aria-invalid="true"' in html
    assert kim.post("/angebote/neu", data=valid(provider, alter_min="zwanzig")).status_code == 422
    no_kind = kim.post("/angebote/neu", data=valid(provider, art="")).get_data(as_text=True)
    assert no_kind.count("Bitte die Art des Angebots wählen.") == 1 and "aus der Liste" not in no_kind
    assert kim.post("/angebote/neu", data=valid(999999)).status_code == 422  # not a provider of the directory
    assert count(app) == before

    created = kim.post("/angebote/neu", data=valid(provider))
    assert created.status_code == 302 and count(app) == before + 1
    listing = kim.get("/angebote").get_data(as_text=True)
    assert "Berufssprachkurs B1" in listing and "9 von 12" in listing

    bad_edit = kim.post(f"/angebote/{existing}", data=valid(provider, titel="Neu", plaetze="-1"))
    assert bad_edit.status_code == 422 and offer_row(app, existing).titel == "Sprachtreff"
    assert kim.post(f"/angebote/{existing}", data=valid(provider, titel="Sprachtreff am Abend")).status_code == 302
    assert offer_row(app, existing).titel == "Sprachtreff am Abend"

    assert kim.post(f"/angebote/{existing}/status", data={"aktiv": "0"}).status_code == 302
    assert not offer_row(app, existing).active
    assert f'data-offer="{existing}"' not in kim.get("/angebote").get_data(as_text=True)
    assert f'data-offer="{existing}"' in kim.get("/angebote?aktiv=0").get_data(as_text=True)


def test_list_filters_and_the_api_filters(app, login_as, api_client):
    add_offers(app, {"titel": "Alphakurs", "art": "sprachkurs", "aufenthaltsstatus": ["duldung"]},
               {"titel": "Einstiegsqualifizierung", "art": "ausbildung", "aufenthaltsstatus": ["aufenthaltserlaubnis"]},
               {"titel": "Beratung für alle", "art": "beratung"})
    kim = login_as("kim1")
    html = kim.get("/angebote?art=ausbildung").get_data(as_text=True)
    assert "Einstiegsqualifizierung" in html and "Alphakurs" not in html
    html = kim.get("/angebote?status=duldung").get_data(as_text=True)
    assert "Alphakurs" in html and "Beratung für alle" in html and "Einstiegsqualifizierung" not in html
    api = api_client("kim1")
    titles = [o["title"] for o in api.get("/api/v1/offers?residence_status=duldung").get_json()]
    assert titles == ["Alphakurs", "Beratung für alle"]
    one = api.get("/api/v1/offers?kind=ausbildung").get_json()[0]
    assert set(one) >= {"id", "title", "kind", "provider", "age_min", "age_max", "residence_statuses",
                        "benefits_systems", "min_german_level", "places", "places_free", "start", "end", "active"}
    assert one["residence_statuses"] == ["aufenthaltserlaubnis"]
    assert one["provider"]["name"] == "Bildungsträger Beispiel"
    assert api.get("/api/v1/offers?kind=rakete").status_code == 400
