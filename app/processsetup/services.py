"""Creating process models and setting who starts them and where their lanes go.

Services only flush; the request edge commits. Refusals raise ``SetupError`` (German message,
per field) and change nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import delete, func, select

from app.auth.models import Team, User
from app.engine import lanes
from app.engine.modelrules import ProcessLaneRule, ProcessStarterTeam, lane_rules, starter_team_ids
from app.engine.models import ProcessModel
from app.engine.service import latest_version
from app.extensions import db
from app.modeler import services as modeler
from app.modeler.models import ProcessDraft
from app.modeler.validation import validate_bpmn
from app.modeler.xmlsafe import BPMN_NS, safe_parser
from app.partners.services import PARTNER_DEPARTMENTS
from app.processsetup import blueprints

#: A process key: lower-case letters, digits and underscores, starting with a letter (also a
#: valid BPMN process id and URL part).
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,39}$")
RESERVED_KEYS = {"neu"}  # /prozessmodelle/neu is the page that creates one


class SetupError(Exception):
    """A refused input; ``field`` names the input, ``str()`` is a German message."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.status = field, status


def suggest_key(name: str) -> str:
    """A process key from a German name: "Hilfe für Familien" -> "hilfe_fuer_familien"."""
    text = name.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:40].rstrip("_")
    if key and not key[0].isalpha():
        key = f"p_{key}"[:40]
    return key


def check_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) < 3 or len(name) > 200:
        raise SetupError("name", _("Der Name muss 3 bis 200 Zeichen lang sein."))
    return name


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not KEY_PATTERN.match(key) or key in RESERVED_KEYS:
        raise SetupError("key", _("Der Schlüssel darf nur Kleinbuchstaben (a–z), Ziffern und Unterstriche "
                                  "enthalten, muss mit einem Buchstaben beginnen und 3 bis 40 Zeichen lang sein."))
    if db.session.scalar(select(ProcessModel.id).where(func.lower(ProcessModel.key) == key)) is not None:
        raise SetupError("key", _("Den Schlüssel „%(key)s“ hat schon ein anderes Verfahren.", key=key), status=409)
    return key


def create_model(key: str, name: str) -> ProcessModel:
    """A new process model without versions (nobody may start it until its starter teams are set)."""
    name, key = check_name(name), check_key(key)
    model = ProcessModel(key=key, name=name, start_departments="", start_role="", reference_prefix="FALL")
    db.session.add(model)
    db.session.flush()
    return model


def start_from_template(model: ProcessModel, template: str, user: User) -> ProcessDraft:
    """The model's first draft from a template; its lanes go to the owner team until changed."""
    xml = blueprints.TEMPLATES[template](model.key, model.name)
    for lane in lanes_of(xml, model.key):
        if lane not in lanes.LANE_RULES:
            db.session.add(ProcessLaneRule(model_id=model.id, lane=lane, rule=lanes.OWNER_TEAM))
    db.session.flush()
    return modeler.create_draft(model, user, xml, comment=_("Aus einer Vorlage angelegt"))


def start_from_copy(model: ProcessModel, source: ProcessModel, user: User) -> ProcessDraft:
    """The model's first draft: the newest version of ``source``, with its lane rules and starter teams."""
    newest = latest_version(source)
    if newest is None:
        raise SetupError("source", _("Dieses Verfahren hat noch keine Version, die kopiert werden kann."))
    for row in db.session.scalars(select(ProcessLaneRule).where(ProcessLaneRule.model_id == source.id)):
        db.session.add(ProcessLaneRule(model_id=model.id, lane=row.lane, rule=row.rule, team_id=row.team_id,
                                       field=row.field))
    for team_id in starter_team_ids(source.id):
        db.session.add(ProcessStarterTeam(model_id=model.id, team_id=team_id))
    db.session.flush()
    return modeler.create_draft(model, user, newest.bpmn_xml,
                                comment=_("Kopie von %(name)s, Version %(n)s", name=source.name, n=newest.number))


def start_from_file(model: ProcessModel, data: bytes, filename: str, user: User) -> ProcessDraft:
    """The model's first draft from an uploaded file (its process becomes the model's process);
    raises ``xmlsafe.UnsafeXml`` for what is no safe BPMN file."""
    return modeler.create_draft(model, user, data, comment=_("Hochgeladen: %(name)s", name=filename))


# --- settings ------------------------------------------------------------------------------------

def lanes_of(xml: str, key: str) -> list[str]:
    """The lane names of the model's process in ``xml`` (innermost lanes; in document order)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=safe_parser())
    except etree.XMLSyntaxError:
        return []
    processes = root.findall(f"{{{BPMN_NS}}}process")
    process = next((p for p in processes if p.get("id") == key), processes[0] if len(processes) == 1 else None)
    if process is None:
        return []
    names = []
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        name = (lane.get("name") or "").strip()
        if name and lane.find(f"{{{BPMN_NS}}}childLaneSet") is None:
            names.append(name)
    return list(dict.fromkeys(names))


def current_xml(model: ProcessModel) -> str | None:
    """The newest open draft's content, else the newest version's (the lanes the settings show)."""
    drafts = modeler.open_drafts(model)
    if drafts:
        return drafts[0].bpmn_xml
    newest = latest_version(model)
    return newest.bpmn_xml if newest is not None else None


def starter_teams_offered() -> list[Team]:
    """Teams that may be chosen as starters or for a lane: the organisation's own teams, not those
    of partner organisations (they see only consented data, app/partners)."""
    return list(db.session.scalars(select(Team).where(Team.department.not_in(list(PARTNER_DEPARTMENTS)))
                                   .order_by(Team.name)))


@dataclass(frozen=True)
class LaneSetting:
    lane: str
    rule: str
    team_key: str | None
    field: str | None
    own: bool  # set for this model (else the shipped rule of that lane name, or the default)


def lane_settings(model: ProcessModel) -> list[LaneSetting]:
    """Each lane of the newest draft / version with the rule that applies to it now."""
    xml = current_xml(model)
    own = lane_rules(model.id)
    result = []
    for lane in lanes_of(xml, model.key) if xml else []:
        rule, arg = own.get(lane) or lanes.LANE_RULES.get(lane, (lanes.OWNER_TEAM, None))
        result.append(LaneSetting(lane, rule, arg if rule == lanes.TEAM else None,
                                  arg if rule == lanes.USER_FROM_DATA else None, lane in own))
    return result


def save_settings(model: ProcessModel, starter_keys: list[str], rules: dict[str, tuple[str, str | None]]) -> None:
    """Set the model's starter teams and lane rules (lane -> (rule, team key or data field)), then
    check its open drafts again (a lane unknown before may be known now)."""
    teams = {t.key: t for t in starter_teams_offered()}  # own teams only: no group task for a partner
    offered = set(teams)
    if unknown := [k for k in starter_keys if k not in offered]:
        raise SetupError("starters", _("Unbekanntes Team: %(keys)s", keys=", ".join(unknown)))
    checked: dict[str, tuple[str, int | None, str | None]] = {}
    for lane, (rule, arg) in rules.items():
        if rule not in lanes.RULES:
            raise SetupError(lane, _("Die Bahn „%(lane)s“: unbekannte Regel.", lane=lane))
        if rule == lanes.TEAM and arg not in teams:
            raise SetupError(lane, _("Die Bahn „%(lane)s“: bitte ein Team wählen.", lane=lane))
        if rule == lanes.USER_FROM_DATA and not re.fullmatch(r"[a-z_][a-z0-9_]{0,79}", arg or ""):
            raise SetupError(lane, _("Die Bahn „%(lane)s“: bitte das Feld der Falldaten angeben, das die Person "
                                     "nennt (z. B. ehrenamtliche).", lane=lane))
        checked[lane] = (rule, teams[arg].id if rule == lanes.TEAM and arg else None,
                         arg if rule == lanes.USER_FROM_DATA else None)
    db.session.execute(delete(ProcessStarterTeam).where(ProcessStarterTeam.model_id == model.id))
    for key in dict.fromkeys(starter_keys):
        db.session.add(ProcessStarterTeam(model_id=model.id, team_id=teams[key].id))
    existing = {r.lane: r for r in db.session.scalars(select(ProcessLaneRule)
                                                      .where(ProcessLaneRule.model_id == model.id))}
    for lane, (rule, team_id, field) in checked.items():
        if lane not in existing and rules[lane] == lanes.LANE_RULES.get(lane):
            continue  # as shipped (processes/<key>.lanes.toml): no copy that would hide a later change
        row = existing.get(lane) or ProcessLaneRule(model_id=model.id, lane=lane)
        row.rule, row.team_id, row.field = rule, team_id, field
        db.session.add(row)
    db.session.flush()
    recheck_drafts(model)


def recheck_drafts(model: ProcessModel) -> None:
    for draft in modeler.open_drafts(model):
        problems = validate_bpmn(draft.bpmn_xml, model.key, modeler.max_bytes())
        draft.problems = [p.as_dict() for p in problems]
        draft.valid = not problems
    db.session.flush()
