"""Forms of the user administration: an account (new or edited), a password reset."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (  # type: ignore[attr-defined]  # stubs lag WTForms 3.3 (SelectChoice)
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.models import LEAD, MEMBER, ROLES, Organisation, Team
from app.auth.passwords import password_problems
from app.useradmin.services import ROLE_LABELS
from forms.base import AppForm

NO_TEAM = "none"
TEAM_CHOICES = [SelectChoice(NO_TEAM, _l("nicht im Team")), SelectChoice(MEMBER, _l("Mitglied")),
                SelectChoice(LEAD, _l("Leitung"))]
GENERATE, SET = "generate", "set"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _password_modes():
    return [SelectChoice(GENERATE, _l("Einmalpasswort erzeugen (wird nur einmal angezeigt)")),
            SelectChoice(SET, _l("Passwort selbst festlegen"))]


class _PasswordChoice:
    """Mixin rules: a generated password, or one typed twice that follows the policy."""

    password_mode: RadioField
    new_password: PasswordField
    confirm: PasswordField

    def _username_for_policy(self) -> str:
        raise NotImplementedError

    def validate_new_password(self, field: PasswordField) -> None:
        if self.password_mode.data != SET:
            return
        if not field.data:
            raise ValidationError(_("Bitte ein Passwort eingeben oder ein Einmalpasswort erzeugen lassen."))
        problems = password_problems(field.data, self._username_for_policy())
        if problems:
            field.errors = [*field.errors, *problems[:-1]]
            raise ValidationError(problems[-1])

    def validate_confirm(self, field: PasswordField) -> None:
        if self.password_mode.data == SET and field.data != self.new_password.data:
            raise ValidationError(_("Die beiden Passwörter stimmen nicht überein."))


def _password_fields() -> dict[str, Any]:
    return {
        "password_mode": RadioField(_l("Anfangspasswort"), choices=_password_modes(), default=GENERATE,
                                    validators=[DataRequired(_l("Bitte wählen Sie, wie das Passwort entsteht."))]),
        "new_password": PasswordField(_l("Passwort"), validators=[Optional()],
                                      render_kw={"autocomplete": "new-password"}),
        "confirm": PasswordField(_l("Passwort wiederholen"), validators=[Optional()],
                                 render_kw={"autocomplete": "new-password"}),
    }


class AccountForm(AppForm):
    username = StringField(_l("Benutzername"), validators=[
        DataRequired(_l("Bitte einen Benutzernamen eingeben.")), Length(max=80)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    display_name = StringField(_l("Anzeigename"), validators=[
        DataRequired(_l("Bitte den Namen eingeben, unter dem die Person angezeigt wird.")), Length(max=200)])
    email = StringField(_l("E-Mail-Adresse"), validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "off", "type": "email"})
    organisation = SelectField(_l("Organisation"), validate_choice=False)
    roles = SelectMultipleField(_l("Rollen"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
                                validate_choice=False)

    team_fields: list[tuple[Team, SelectField]]

    def validate_email(self, field: StringField) -> None:
        if field.data and not _EMAIL.match(field.data.strip()):
            raise ValidationError(_("Bitte eine gültige E-Mail-Adresse eingeben, z. B. name@beispiel.de."))

    def validate_roles(self, field: SelectMultipleField) -> None:
        if set(field.data or []) - set(ROLES):
            raise ValidationError(_("Bitte nur Rollen aus der Liste wählen."))

    def validate_organisation(self, field: SelectField) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:  # type: ignore[union-attr]
            raise ValidationError(_("Bitte eine Organisation aus der Liste wählen."))

    def chosen_teams(self) -> dict[int, str]:
        return {team.id: f.data for team, f in self.team_fields if f.data in (MEMBER, LEAD)}

    def organisation_id(self) -> int | None:
        return int(self.organisation.data) if self.organisation.data else None


class NewAccountForm(_PasswordChoice, AccountForm):
    password_mode = _password_fields()["password_mode"]
    new_password = _password_fields()["new_password"]
    confirm = _password_fields()["confirm"]

    def _username_for_policy(self) -> str:
        return self.username.data or ""


class PasswordResetForm(_PasswordChoice, AppForm):
    password_mode = RadioField(_l("Neues Passwort"), choices=_password_modes(), default=GENERATE,
                               validators=[DataRequired(_l("Bitte wählen Sie, wie das Passwort entsteht."))])
    new_password = _password_fields()["new_password"]
    confirm = _password_fields()["confirm"]

    def __init__(self, username: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._username = username

    def _username_for_policy(self) -> str:
        return self._username


def _describe_password(form: Any) -> None:
    form.new_password.description = _(
        "Nur wenn Sie das Passwort selbst festlegen: mindestens %(min)d Zeichen, kein verbreitetes Passwort "
        "und nicht der Benutzername.", min=current_app.config["PASSWORD_MIN_LENGTH"])


def account_form(teams: list[Team], organisations: list[Organisation], *, new: bool, **kwargs) -> AccountForm:
    """The account form with one member/lead choice per team."""
    base = NewAccountForm if new else AccountForm
    attrs = {f"team_{t.id}": SelectField(t.name, choices=TEAM_CHOICES, default=NO_TEAM) for t in teams}
    cls = type("BoundAccountForm", (base,), attrs)
    form = cls(**kwargs)
    form.organisation.choices = [SelectChoice(str(o.id), o.name) for o in organisations]
    form.team_fields = [(t, getattr(form, f"team_{t.id}")) for t in teams]
    if new:
        _describe_password(form)
    return form


def password_reset_form(username: str, **kwargs) -> PasswordResetForm:
    form = PasswordResetForm(username, **kwargs)
    _describe_password(form)
    return form
