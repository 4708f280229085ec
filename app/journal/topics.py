"""Each process's own topic list for journal entries (keys stored, labels shown).

MBE and the counselling contact reuse the topic lists of their forms (the seed's counselling
topics, the integration office's report categories), so a journal entry and a form count under
the same keys; Alltagsbegleitung has an everyday list of its own. A process without a list here
offers no topics.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.beratungskontakt import THEMEN as CONTACT_TOPICS
from forms.mbe import THEMEN as MBE_TOPICS

EVERYDAY_TOPICS = [
    ("schule_kita", _l("Schule / Kita")),
    ("behoerden", _l("Behörden und Anträge")),
    ("gesundheit", _l("Gesundheit / Arztbesuche")),
    ("wohnen", _l("Wohnen")),
    ("arbeit", _l("Arbeit / Ausbildung")),
    ("sprache", _l("Sprache")),
    ("freizeit", _l("Freizeit / Vereine")),
    ("finanzen", _l("Geld und Finanzen")),
    ("familie", _l("Familie und Erziehung")),
    ("einsatz", _l("Ablauf des Einsatzes")),
]

# Junge Erwachsene (seed 003): the legal systems and the way into training and work.
YOUNG_ADULT_TOPICS = [
    ("aufenthalt", _l("Aufenthalt / Ausländerbehörde")),
    ("leistungen", _l("Leistungen (AsylbLG, SGB II, SGB III, SGB VIII)")),
    ("sprache", _l("Sprache")),
    ("schule", _l("Schule / Schulabschluss")),
    ("ausbildung", _l("Ausbildung / Berufsvorbereitung")),
    ("arbeit", _l("Arbeit / Beschäftigung")),
    ("anerkennung", _l("Anerkennung von Abschlüssen")),
    ("wohnen", _l("Wohnen")),
    ("gesundheit", _l("Gesundheit")),
    ("netzwerk", _l("Abstimmung mit Partnern")),
]

TOPICS = {
    "mbe_beratung": MBE_TOPICS,
    "alltagsbegleitung": EVERYDAY_TOPICS,
    "beratungskontakt": CONTACT_TOPICS,
    "junge_erwachsene": YOUNG_ADULT_TOPICS,
}


def topics_for(process_key: str | None) -> list[tuple[str, object]]:
    """(key, label) pairs a journal entry of a case of ``process_key`` may carry."""
    return list(TOPICS.get(process_key or "", []))


def topic_label(process_key: str | None, key: str) -> str:
    return str(dict(topics_for(process_key)).get(key, key))


def all_topic_labels() -> dict[str, str]:
    """Topic key → label over every process's list (for counts across processes; first wins)."""
    labels: dict[str, str] = {}
    for pairs in TOPICS.values():
        for key, label in pairs:
            labels.setdefault(key, str(label))
    return labels
