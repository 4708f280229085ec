"""Forms of the account pages: password change (every user), account actions (admin)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from app.auth.passwords import password_problems
from forms.base import AppForm


class PasswordChangeForm(AppForm):
    current_password = PasswordField(
        _l("Bisheriges Passwort"), validators=[DataRequired(_l("Bitte das bisherige Passwort eingeben."))],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("Neues Passwort"), validators=[DataRequired(_l("Bitte ein neues Passwort eingeben."))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[DataRequired(_l("Bitte das neue Passwort wiederholen."))],
        render_kw={"autocomplete": "new-password"})

    def __init__(self, username: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username
        self.new_password.description = _(
            "Mindestens %(min)d Zeichen, kein verbreitetes Passwort und nicht Ihr Benutzername. "
            "Mehrere Wörter sind leicht zu merken und schwer zu erraten.",
            min=current_app.config["PASSWORD_MIN_LENGTH"])

    def validate_new_password(self, field: PasswordField) -> None:
        problems = password_problems(field.data or "", self.username)
        if field.data and field.data == self.current_password.data:
            problems.append(_("Das neue Passwort muss sich vom bisherigen unterscheiden."))
        if problems:
            field.errors = [*field.errors, *problems[:-1]]  # every broken rule next to the field
            raise ValidationError(problems[-1])

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new_password.data:
            raise ValidationError(_("Die beiden neuen Passwörter stimmen nicht überein."))
