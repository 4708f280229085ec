"""Forms of the account pages: password change and second factor (every user), account actions (admin)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

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

    def __init__(self, username: str, *args, required: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username
        if required:
            self.current_password.description = _("Das Passwort, das Sie von der Administration erhalten haben.")
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


def _code_field(label, message):
    return StringField(label, validators=[DataRequired(message), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "none",
                                  "spellcheck": "false"})


class SecondFactorForm(AppForm):
    """The second step of the login: a code of the app, or a recovery code."""

    code = _code_field(_l("Code"), _l("Bitte den Code eingeben."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.code.description = _("Die sechs Ziffern aus Ihrer Authenticator-App – oder einer Ihrer "
                                  "Wiederherstellungscodes, wenn Sie die App nicht zur Hand haben.")


class EnrolConfirmForm(AppForm):
    code = _code_field(_l("Code aus der App"), _l("Bitte den Code aus der App eingeben."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.code.description = _("Die sechs Ziffern, die Ihre App jetzt für Fallwerk anzeigt.")


class SecondFactorOffForm(AppForm):
    """Switch one's own second factor off (to set up a new one): password and a current code."""

    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte Passwort eingeben."))],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field(_l("Code aus der App oder Wiederherstellungscode"), _l("Bitte den Code eingeben."))
