"""The form of a new group mapping entry (German messages next to the fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app.auth.models import ROLES, Team
from app.directory.models import LEAD, MEMBER, SOURCES
from app.extensions import db
from forms.base import AppForm


class MappingForm(AppForm):
    source = SelectField(_l("Anmeldeverfahren"), validate_choice=False,
                         choices=[SelectChoice("ldap", "LDAP / Active Directory"),
                                  SelectChoice("oidc", "OpenID Connect")])
    group_name = StringField(_l("Gruppe (Name oder DN)"),
                             description=_l("LDAP: der DN der Gruppe oder ihr cn; OpenID Connect: der Wert im "
                                            "Claim „groups“. Groß-/Kleinschreibung zählt nicht."))
    team = SelectField(_l("Team"), validate_choice=False)
    kind = SelectField(_l("Im Team als"), validate_choice=False,
                       choices=[SelectChoice(MEMBER, _l("Mitglied")), SelectChoice(LEAD, _l("Leitung"))])
    role = SelectField(_l("Rolle"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(t.id): t for t in db.session.scalars(select(Team).order_by(Team.name))}
        self.team.choices = [SelectChoice("", _l("– kein Team –"))] + [
            SelectChoice(key, f"{t.name} ({t.key})") for key, t in self.teams.items()]
        self.role.choices = [SelectChoice("", _l("– keine Rolle –"))] + [SelectChoice(r, r) for r in ROLES]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.source.data not in SOURCES:
            self.source.errors = [*self.source.errors, _l("Bitte ein Anmeldeverfahren wählen.")]
            ok = False
        name = (self.group_name.data or "").strip()
        if not name:
            self.group_name.errors = [*self.group_name.errors, _l("Bitte die Gruppe angeben.")]
            ok = False
        elif len(name) > 300:
            self.group_name.errors = [*self.group_name.errors,
                                      _l("Der Gruppenname ist zu lang (höchstens 300 Zeichen).")]
            ok = False
        if self.team.data and self.team.data not in self.teams:
            self.team.errors = [*self.team.errors, _l("Dieses Team gibt es nicht.")]
            ok = False
        if self.kind.data not in (MEMBER, LEAD):
            self.kind.errors = [*self.kind.errors, _l("Bitte Mitglied oder Leitung wählen.")]
            ok = False
        if self.role.data and self.role.data not in ROLES:
            self.role.errors = [*self.role.errors, _l("Diese Rolle gibt es nicht.")]
            ok = False
        if not self.team.data and not self.role.data:
            self.team.errors = [*self.team.errors, _l("Bitte ein Team oder eine Rolle wählen (oder beides).")]
            ok = False
        return ok

    def selected_team(self) -> Team | None:
        return self.teams.get(self.team.data or "")
