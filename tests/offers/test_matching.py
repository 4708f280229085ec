"""Matching a young adult against the catalogue: included with reasons and ranked, excluded with
the German reason — by residence status, benefits system, age, German level, places and dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.network.models import Partner
from app.offers import matching
from app.offers.models import Offer

TODAY = date(2027, 3, 1)
PROVIDER = Partner(id=1, organisation_id=1, name="Volkshochschule Beispielstadt", typ="integrationskurs")


def offer(id_: int, titel: str, art: str = "sprachkurs", **kw) -> Offer:
    values = {"aufenthaltsstatus": [], "leistungssysteme": [], "plaetze": None, "plaetze_belegt": 0,
              "alter_min": None, "alter_max": None, "sprachniveau_min": None, "beginn": None, "ende": None,
              "active": True, **kw}
    return Offer(id=id_, organisation_id=1, provider=PROVIDER, titel=titel, art=art, **values)


def person(**kw) -> dict:
    data = {"geburtsdatum": "2005-06-15", "aufenthaltsstatus": "duldung", "leistungssystem": "asylblg",
            "sprachkenntnisse": [{"sprache": "Tigrinya", "niveau": "muttersprache"},
                                 {"sprache": "Deutsch", "niveau": "A2"}],
            "ziele": [{"bereich": "arbeit", "ziel": "Arbeit finden", "status": "offen"},
                      {"bereich": "sprache", "ziel": "B1", "status": "erreicht"}]}
    return {**data, **kw}


def run(offers, **kw):
    return matching.match(person(**kw), 1, today=TODAY, offers=offers)


def excluded(result) -> dict[str, list[str]]:
    return {m.offer.titel: m.reasons for m in result.excluded}


def test_the_person_is_read_from_the_case_file(ctx):
    p = run([]).person
    assert (p.alter, p.aufenthaltsstatus, p.leistungssystem) == (21, "duldung", "asylblg")
    assert matching.LEVELS[p.deutsch] == "A2"
    assert p.bedarfe == ("arbeit",)  # a reached goal is no longer a need


def test_residence_status_excludes_with_the_reason(ctx):
    result = run([offer(1, "Integrationskurs", aufenthaltsstatus=["gestattung", "aufenthaltserlaubnis"]),
                  offer(2, "Sprachtreff")])
    assert excluded(result) == {"Integrationskurs": ["nicht zugänglich bei Duldung"]}
    assert [m.offer.titel for m in result.matches] == ["Sprachtreff"]
    included = run([offer(1, "Integrationskurs", aufenthaltsstatus=["duldung"])])
    assert [m.offer.titel for m in included.matches] == ["Integrationskurs"]


def test_benefits_system_excludes(ctx):
    result = run([offer(1, "Programm Jobcenter", art="beschaeftigung", leistungssysteme=["sgb2"])])
    assert excluded(result) == {"Programm Jobcenter": ["nicht zugänglich im Leistungssystem AsylbLG"]}


@pytest.mark.parametrize(("born", "reason"), [("2005-03-02", "erst ab 22 Jahren"), ("1999-01-01", "nur bis 25 Jahre")])
def test_age_on_the_office_day_excludes(ctx, born, reason):
    # born 2005-03-02: 21 on 2027-03-01 (the birthday is tomorrow); born 1999: 28
    result = run([offer(1, "Angebot", alter_min=22, alter_max=25)], geburtsdatum=born)
    assert excluded(result) == {"Angebot": [reason]}


def test_age_limits_are_inclusive(ctx):
    result = run([offer(1, "Angebot", alter_min=21, alter_max=21)])
    assert [m.offer.titel for m in result.matches] == ["Angebot"]


def test_german_level_excludes_and_native_speakers_pass(ctx):
    result = run([offer(1, "Berufssprachkurs", sprachniveau_min="B1"), offer(2, "Alphakurs", sprachniveau_min="A2")])
    assert excluded(result) == {"Berufssprachkurs": ["erst ab Sprachniveau B1"]}
    none = run([offer(1, "Berufssprachkurs", sprachniveau_min="B1")], sprachkenntnisse=[])
    assert excluded(none) == {"Berufssprachkurs": ["erst ab Sprachniveau B1"]}
    native = run([offer(1, "Berufssprachkurs", sprachniveau_min="C2")],
                 sprachkenntnisse=[{"sprache": "deutsch ", "niveau": "muttersprache"}])
    assert native.excluded == [] and len(native.matches) == 1


def test_places_and_dates_exclude(ctx):
    result = run([offer(1, "Voll", plaetze=10, plaetze_belegt=10),
                  offer(2, "Vorbei", beginn=TODAY - timedelta(days=60), ende=TODAY - timedelta(days=1)),
                  offer(3, "Endet heute", ende=TODAY)])
    assert excluded(result) == {"Voll": ["keine Plätze frei"], "Vorbei": ["abgelaufen"]}
    assert [m.offer.titel for m in result.matches] == ["Endet heute"]


def test_every_reason_is_named(ctx):
    result = run([offer(1, "Nichts passt", aufenthaltsstatus=["aufenthaltserlaubnis"], alter_max=20,
                        sprachniveau_min="B2", plaetze=3, plaetze_belegt=3)])
    assert excluded(result)["Nichts passt"] == ["nicht zugänglich bei Duldung", "nur bis 20 Jahre",
                                                 "erst ab Sprachniveau B2", "keine Plätze frei"]


def test_missing_situation_is_a_reason_not_a_match(ctx):
    result = run([offer(1, "Nur Gestattung", aufenthaltsstatus=["gestattung"])], aufenthaltsstatus="")
    assert excluded(result) == {"Nur Gestattung": ["Aufenthaltsstatus noch nicht erfasst"]}


def test_ranking_by_goal_then_places_then_start_with_reasons(ctx):
    soon = TODAY + timedelta(days=14)
    result = run([
        offer(1, "Sprachtreff", art="sprachkurs"),  # no open goal "Sprache"
        offer(2, "Beschäftigungsprogramm", art="beschaeftigung", plaetze=10, plaetze_belegt=6, beginn=soon),
        offer(3, "Berufsorientierung", art="berufsvorbereitung", plaetze=2, plaetze_belegt=1,
              beginn=TODAY + timedelta(days=120)),
    ])
    assert [m.offer.titel for m in result.matches] == ["Beschäftigungsprogramm", "Berufsorientierung", "Sprachtreff"]
    best = result.matches[0].reasons
    assert best == ["passt zum Ziel Arbeit / Beschäftigung", "Plätze frei: 4", "Beginn in 2 Wochen"]
    assert result.matches[2].reasons == ["Plätze frei", "Einstieg jederzeit"]


def test_covers_is_what_the_gap_report_asks(ctx):
    p = matching.person_of(person(), TODAY)
    assert matching.covers(offer(1, "Programm", art="beschaeftigung"), p, "arbeit", TODAY)
    assert not matching.covers(offer(1, "Kurs", art="sprachkurs"), p, "arbeit", TODAY)
    assert not matching.covers(offer(1, "Programm", art="beschaeftigung", aufenthaltsstatus=["gestattung"]),
                               p, "arbeit", TODAY)
