"""``flask users set-password``, ``flask users unlock`` and ``flask users reset-2fa``: for when
nobody can log in; ``flask users reseal-secrets`` after a change of ``SECRET_ENCRYPTION_KEY``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth import sessions, throttle, twofactor
from app.auth.models import User
from app.auth.passwords import password_problems
from app.extensions import db
from app.transaction import unit_of_work


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Kein Konto mit dem Benutzernamen {username!r}.")
    return user


def register_user_cli(app: Flask) -> None:
    users = AppGroup("users", help="Benutzerkonten.")

    @users.command("set-password")
    @click.argument("username")
    @click.password_option(prompt="Neues Passwort")
    @click.option("--temporary", is_flag=True,
                  help="Die Person muss bei der nächsten Anmeldung ein eigenes Passwort wählen.")
    def set_password(username: str, password: str, temporary: bool) -> None:
        """Set a password (policy applies); ends the account's sessions and API tokens.
        ``--temporary``: the person must choose their own at the next login (local accounts)."""
        user = _user(username)
        problems = password_problems(password, username)
        if problems:
            raise click.ClickException(" ".join(problems))
        with unit_of_work():
            sessions.change_password(user, password, must_change=temporary and user.auth_source == "local")
            throttle.unlock(username)
        click.echo(f"Passwort von {username} gesetzt." + (" Es muss bei der nächsten Anmeldung geändert werden."
                                                         if temporary else ""))

    @users.command("unlock")
    @click.argument("username")
    def unlock(username: str) -> None:
        """Lift a login lockout of a user name."""
        with unit_of_work():
            done = throttle.unlock(username)
        click.echo(f"{username} entsperrt." if done else f"{username} war nicht gesperrt.")

    @users.command("reset-2fa")
    @click.argument("username")
    def reset_second_factor(username: str) -> None:
        """Remove an account's second factor (lost device and recovery codes, no admin left);
        ends its sessions and API tokens. Recorded as a reset without an acting account."""
        user = _user(username)
        if not (user.has_second_factor or user.enrolling_second_factor):
            click.echo(f"{username} hat keinen zweiten Faktor.")
            return
        with unit_of_work():
            twofactor.remove(user, None, kind="reset")
            sessions.end_all_sessions(user)
            sessions.revoke_tokens(user)
        click.echo(f"Zweiter Faktor von {username} zurückgesetzt.")

    @users.command("reseal-secrets")
    def reseal_secrets() -> None:
        """Seal every stored second-factor seed under the first key of SECRET_ENCRYPTION_KEY
        (seeds stored in plain by an older version, or under a key being retired). Seeds that no
        configured key opens are listed: their owners need a reset (reset-2fa)."""
        with unit_of_work():
            resealed, unreadable = twofactor.reseal_all()
        for username in unreadable:
            click.echo(f"Nicht lesbar (Schlüssel fehlt): {username} – zweiten Faktor zurücksetzen.", err=True)
        click.echo(f"{resealed} Geheimnis(se) neu versiegelt, {len(unreadable)} nicht lesbar.")
        if unreadable:
            raise SystemExit(1)

    app.cli.add_command(users)
