"""``flask directory sync``: deactivate LDAP accounts the directory no longer knows (cron / timer)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.transaction import unit_of_work


def register_directory_cli(app: Flask) -> None:
    directory = AppGroup("directory", help="Directory (LDAP) accounts.")

    @directory.command("sync")
    def directory_sync():
        """Check every active LDAP account against the directory; deactivate the ones deleted there
        or without a mapped group (their sessions and API tokens end)."""
        from app.directory import ldap

        if "ldap" not in ldap.login_methods() or not app.config.get("LDAP_URL"):
            raise click.ClickException("LDAP ist nicht als Anmeldeverfahren eingerichtet (LOGIN_METHODS, LDAP_URL).")
        try:
            with unit_of_work():
                result = ldap.sync()
        except ldap.DirectoryUnavailable as exc:
            raise click.ClickException(f"Verzeichnis nicht erreichbar, nichts geändert: {exc}") from exc
        click.echo(f"ldap accounts checked: {result.checked}; deactivated: {len(result.deactivated)}"
                   + (f" ({', '.join(result.deactivated)})" if result.deactivated else ""))

    app.cli.add_command(directory)
