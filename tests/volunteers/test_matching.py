"""Matching in "Vermittlung": ranking a hand-made pool, exclusion of the ineligible."""

from __future__ import annotations

from app.auth.models import User
from app.volunteers.matching import rank_volunteers

CASE = {"sprachen": "Arabisch, Kurdisch", "stunden_pro_woche": 3,
        "anschrift": "Lindenweg 4, 12345 Musterstadt"}


def volunteer(user_id: int, name: str, sprachen: list[str], stunden: float, orte: list[str],
              schulungen: tuple[str, ...] = ("b",), schweigepflicht: str | None = "2024-01-10",
              status: str = "aktiv") -> User:
    PROFILES[user_id] = {"sprachen": sprachen, "stunden_pro_woche": stunden, "orte": orte,
               "schulungen": {t: "2024-01-10" for t in schulungen},
               "schweigepflicht_am": schweigepflicht, "fuehrungszeugnis_am": None, "status": status}
    return User(id=user_id, username=f"u{user_id}", display_name=name, roles=["ehrenamt"])


PROFILES: dict[int, dict] = {}  # user id → profile, filled by volunteer()


POOL = [
    volunteer(1, "Anna Arabisch", ["Arabisch"], 2, ["Nordheim"]),
    volunteer(2, "Bernd Breit", ["Deutsch", "Kurdisch", "Arabisch"], 5, ["Musterstadt"],
              ("a", "b", "c")),
    volunteer(3, "Carla Nah", ["Deutsch"], 4, ["Musterstadt"], ("b", "d")),
    volunteer(4, "Dora Dicht", ["arabisch"], 3, ["Musterstadt"]),
    volunteer(5, "Aaron Nah", ["Deutsch"], 4, ["Musterstadt"], ("b", "d")),
    volunteer(6, "Emil Ohne", ["Arabisch"], 6, ["Musterstadt"], schweigepflicht=None),
    volunteer(7, "Frieda Pause", ["Arabisch", "Kurdisch"], 6, ["Musterstadt"], status="pausiert"),
    volunteer(8, "Gustav Neu", ["Arabisch"], 6, ["Musterstadt"], ("a",)),
]
ASSIGNMENTS = {2: 2, 4: 1, 6: 0}


def test_ranks_the_pool_by_fit_with_reasons() -> None:
    matches = rank_volunteers(CASE, POOL, ASSIGNMENTS, PROFILES)
    eligible = [(m.user.display_name, m.score, m.reasons) for m in matches if m.eligible]
    assert eligible == [
        ("Bernd Breit", 79, ["spricht Kurdisch, Arabisch", "5 Std./Woche", "erreicht Musterstadt",
                             "weitere Schulungen: a, c", "2 laufende Einsätze"]),
        ("Dora Dicht", 75, ["spricht arabisch", "3 Std./Woche", "erreicht Musterstadt",
                            "1 laufender Einsatz"]),
        ("Anna Arabisch", 50, ["spricht Arabisch", "nur 2 von 3 Std./Woche",
                               "kein laufender Einsatz"]),
        # same score: alphabetical
        ("Aaron Nah", 32, ["4 Std./Woche", "erreicht Musterstadt", "weitere Schulungen: d",
                           "kein laufender Einsatz"]),
        ("Carla Nah", 32, ["4 Std./Woche", "erreicht Musterstadt", "weitere Schulungen: d",
                           "kein laufender Einsatz"]),
    ]


def test_excludes_the_ineligible_with_the_reason() -> None:
    matches = rank_volunteers(CASE, POOL, ASSIGNMENTS, PROFILES)
    assert [m.eligible for m in matches] == [True] * 5 + [False] * 3
    excluded = {m.user.display_name: m.reasons for m in matches if not m.eligible}
    assert excluded == {
        "Emil Ohne": ["Schweigepflichterklärung fehlt"],
        "Frieda Pause": ["Status: pausiert"],
        "Gustav Neu": ["Schulung b fehlt"],
    }


def test_unknown_hours_and_address_are_ignored() -> None:
    matches = rank_volunteers({"sprachen": "Russisch"}, POOL[:5], {}, PROFILES)
    assert [(m.user.display_name, m.score) for m in matches] == [
        ("Bernd Breit", 4), ("Aaron Nah", 2), ("Carla Nah", 2), ("Anna Arabisch", 0),
        ("Dora Dicht", 0),
    ]
    assert matches[1].reasons == ["4 Std./Woche", "weitere Schulungen: d", "kein laufender Einsatz"]
