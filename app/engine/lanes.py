"""Lane rules: where the user tasks of a lane go.

A lane names a kind of participant; the rule says which team or person that is for one case.
Each process declares its lanes (and what a volunteer may see of its case file) in
``processes/<key>.lanes.toml``, next to its BPMN file; nothing here names a process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import modelrules
from app.extensions import db

OWNER_TEAM = "owner_team"  # the team that started the case (Fallverantwortung)
TEAM = "team"  # a fixed team, by key (a group task)
USER_FROM_DATA = "user_from_data"  # a user named by a field of the case data
STARTER = "starter"  # the person who started the case
OWNER_TEAM_LEADS = "owner_team_leads"  # the leads (Leitung) of the owner team, as a group

RULES = (OWNER_TEAM, TEAM, USER_FROM_DATA, STARTER, OWNER_TEAM_LEADS)
_ARGUMENT = {TEAM: "team", USER_FROM_DATA: "field"}  # the rules that name a team / a data field

#: Where each process declares its lanes: ``processes/<process key>.lanes.toml``, next to its BPMN.
LANES_DIR = Path(__file__).resolve().parent.parent.parent / "processes"


@dataclass(frozen=True)
class ProcessLanes:
    """The lanes one process declares: lane name → (rule, team key or data field), and the fields
    of the case file that a participant reached only through a ``user_from_data`` lane sees."""

    rules: dict[str, tuple[str, str | None]]
    limited_fields: frozenset[str]


def load_declarations(directory: Path = LANES_DIR) -> dict[str, ProcessLanes]:
    """Process key → its declared lanes, from every ``*.lanes.toml`` in ``directory``."""
    result = {}
    for path in sorted(directory.glob("*.lanes.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        rules: dict[str, tuple[str, str | None]] = {}
        for lane, entry in (raw.get("lanes") or {}).items():
            rule = entry.get("rule")
            if rule not in RULES:
                raise ValueError(f"{path.name}: lane {lane!r} has an unknown rule {rule!r}")
            arg = entry.get(_ARGUMENT[rule]) if rule in _ARGUMENT else None
            if rule in _ARGUMENT and not arg:
                raise ValueError(f"{path.name}: lane {lane!r} ({rule}) needs {_ARGUMENT[rule]!r}")
            rules[lane] = (rule, arg)
        fields = frozenset((raw.get("limited") or {}).get("fields") or [])
        result[path.name.removesuffix(".lanes.toml")] = ProcessLanes(rules, fields)
    return result


def _catalogue(declarations: dict[str, ProcessLanes]) -> dict[str, tuple[str, str | None]]:
    """Every declared lane name with its rule. A lane name means the same in every process
    (the modeler offers them by name for new processes); two different rules are an error."""
    catalogue: dict[str, tuple[str, str | None]] = {}
    for key, declared in declarations.items():
        for lane, rule in declared.rules.items():
            if catalogue.setdefault(lane, rule) != rule:
                raise ValueError(f"lane {lane!r} of {key!r} differs from its rule in another process")
    return catalogue


DECLARATIONS = load_declarations()
#: All lane names the shipped processes declare, with their rules. Routing goes by lane name, so
#: a process drawn or changed in the modeler may use any lane declared by any process.
LANE_RULES: dict[str, tuple[str, str | None]] = _catalogue(DECLARATIONS)
#: Every field any process shows to a participant of a ``user_from_data`` lane.
LIMITED_FIELDS: frozenset[str] = frozenset().union(*(d.limited_fields for d in DECLARATIONS.values()))


def limited_fields(process_key: str | None) -> frozenset[str]:
    """The fields a ``user_from_data`` participant sees in a case of ``process_key``: what that
    process declares; for a process without a declaration (drawn in the modeler with the shipped
    lane names) the fields of every declaring process, as its lanes come from them."""
    declared = DECLARATIONS.get(process_key or "")
    return declared.limited_fields if declared is not None else LIMITED_FIELDS


@contextmanager
def declared(directory: Path) -> Iterator[dict[str, ProcessLanes]]:
    """Route the lanes of processes that are not shipped, declared in ``directory``
    (``*.lanes.toml``), while the block runs; afterwards only the shipped declarations count.

    For the small BPMN fixtures of the engine tests (``tests/engine/fixtures/``), which are
    published as process models of their own and must not depend on a shipped process's lanes.
    The same checks apply as to shipped processes: a known rule, its argument, and a lane name
    that means the same everywhere (a fixture cannot redefine a shipped lane). Limited fields
    are not taken over (``LIMITED_FIELDS`` is a constant read at import time), so declaring
    them here is an error.
    """
    extra = load_declarations(directory)
    if clash := set(extra) & set(DECLARATIONS):
        raise ValueError(f"already declared: {sorted(clash)}")
    if limited := [key for key, lanes in extra.items() if lanes.limited_fields]:
        raise ValueError(f"limited fields cannot be declared for a test process: {limited}")
    catalogue = _catalogue({**DECLARATIONS, **extra})
    added = set(catalogue) - set(LANE_RULES)
    DECLARATIONS.update(extra)
    LANE_RULES.update(catalogue)  # in place: importers hold a reference to these dicts
    try:
        yield extra
    finally:
        for key in extra:
            DECLARATIONS.pop(key, None)
        for lane in added:
            LANE_RULES.pop(lane, None)


@dataclass
class Route:
    team: Team | None = None
    user: User | None = None
    for_leads: bool = False


class RoutingError(Exception):
    pass


def rule_for(lane: str | None, model_id: int | None) -> tuple[str, str | None]:
    """The rule of ``lane`` in a process model: what its process owner set (app/engine/modelrules.py),
    else the shipped declaration of that lane name, else the owner team."""
    return resolver(model_id)(lane)


def resolver(model_id: int | None) -> Callable[[str | None], tuple[str, str | None]]:
    """``rule_for`` for many lanes of one model, with one query."""
    own = modelrules.lane_rules(model_id)

    def rule(lane: str | None) -> tuple[str, str | None]:
        return own.get(lane or "") or LANE_RULES.get(lane or "", (OWNER_TEAM, None))

    return rule


def known_lanes(process_key: str | None) -> list[str]:
    """Lane names a process may use: the shipped ones and those its process owner set rules for."""
    return list(dict.fromkeys([*LANE_RULES, *modelrules.lane_rules(modelrules.model_id_of(process_key))]))


def instance_model_id(instance) -> int | None:
    version = getattr(instance, "version", None)
    return version.model_id if version is not None else None


def route(lane: str | None, instance) -> Route:
    """Resolve a lane to a candidate team or an assignee for one case (a ProcessInstance)."""
    kind, arg = rule_for(lane, instance_model_id(instance))
    data = instance.data or {}
    if kind == OWNER_TEAM:
        return Route(team=instance.owner_team)
    if kind == OWNER_TEAM_LEADS:
        return Route(team=instance.owner_team, for_leads=True)
    if kind == TEAM:
        team = db.session.scalar(select(Team).where(Team.key == arg))
        if team is None:
            raise RoutingError(f"Team „{arg}“ für die Bahn „{lane}“ ist nicht eingerichtet.")
        return Route(team=team)
    if kind == USER_FROM_DATA:
        username = data.get(arg or "")
        user = db.session.scalar(select(User).where(User.username == username)) if username else None
        if user is None:
            raise RoutingError(f"Für die Bahn „{lane}“ ist keine Person festgelegt ({arg}).")
        return Route(user=user)
    return Route(user=instance.responsible or instance.started_by)  # STARTER: until handed over
