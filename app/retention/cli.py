"""``flask retention run [--now ISO]``: erase every case whose retention period is over."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from app.retention import services


def parse_now(text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (without a zone: UTC); None for no text."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise click.BadParameter(
            "Bitte einen Zeitpunkt im ISO-8601-Format angeben, z. B. 2027-01-10T09:00:00+01:00 "
            f"(erhalten: {text!r}).", param_hint="--now") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register_retention_cli(app: Flask) -> None:
    retention = AppGroup("retention", help="Retention of closed cases.")

    @retention.command("run")
    @click.option("--now", "now_text", default=None,
                  help="ISO 8601 moment to run for (default: now), e.g. 2027-01-10T09:00:00+01:00")
    def retention_run(now_text):
        """Erase the personal data of every closed case whose retention period is over (each case in
        its own transaction; cases on legal hold are left alone), then delete the account data
        whose period is over (expired API tokens, old mails and notifications)."""
        result = services.run(parse_now(now_text), via="cli")
        click.echo(f"cases erased: {result.erased}" + (f"; failed: {result.failed}" if result.failed else ""))
        click.echo(f"account data rows deleted: {result.account_rows}")

    app.cli.add_command(retention)
