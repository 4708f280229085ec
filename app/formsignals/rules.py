"""Which ticked form field tells whom what: one declarative table.

A rule fires when a task of ``form_key`` is completed with ``field`` set (a ticked box, a filled
text); it puts a to-do with ``title`` into the group tasks of the ``recipient`` team of the case,
with the text the user wrote in ``context_fields`` (shown on the to-do, kept in the history).
``unless`` names fields of the same form whose rule already says it all (one to-do, not two).
Titles are data (like BPMN task names), stored in German.

Recipients:

- ``OWNER_TEAM``: the case-owning FB team (``ProcessInstance.owner_team``);
- ``COORDINATION``: the team of the Koordinierungsstelle 201 taking part in the case (the
  volunteer's contact at 201).
"""

from __future__ import annotations

from dataclasses import dataclass

OWNER_TEAM, COORDINATION = "owner_team", "coordination"

# Not a task form: the volunteer's question in the thread of the assignment (app/volunteers/threads.py).
THREAD_QUESTION = "volunteers.thread"


@dataclass(frozen=True)
class SignalRule:
    form_key: str
    field: str
    recipient: str
    title: str
    context_fields: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        return f"signal:{self.field}"


RULES: tuple[SignalRule, ...] = (
    SignalRule("alltagsbegleitung.zwischengespraech", "fb_einbeziehen", OWNER_TEAM,
               "Fachbereich einbeziehen (aus dem Zwischengespräch)",
               ("probleme", "fragen_ehrenamt", "notizen")),
    SignalRule("alltagsbegleitung.rueckmeldung", "problem", COORDINATION,
               "Dringendes Problem der Alltagsbegleitung klären",
               ("bericht", "fragen")),
    SignalRule("alltagsbegleitung.rueckmeldung", "fragen", COORDINATION,
               "Fragen der Alltagsbegleitung beantworten",
               ("fragen",), unless=("problem",)),
    SignalRule(THREAD_QUESTION, "nachricht", COORDINATION,
               "Frage der Alltagsbegleitung im Fragenverlauf beantworten", ("nachricht",)),
)


def rules_for(form_key: str | None) -> list[SignalRule]:
    return [rule for rule in RULES if rule.form_key == form_key]


def fired(form_key: str | None, data: dict) -> list[SignalRule]:
    """The rules of ``form_key`` that ``data`` (a completed task's input) sets off."""
    return [rule for rule in rules_for(form_key)
            if _set(data.get(rule.field)) and not any(_set(data.get(other)) for other in rule.unless)]


def _set(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)
