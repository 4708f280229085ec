"""``flask statistics rebuild``: the daily aggregate rows of the step durations anew from the task rows."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app import transaction
from app.statistics import aggregates


def register_statistics_cli(app: Flask) -> None:
    statistics = AppGroup("statistics", help="Statistics of the supervisors.")

    @statistics.command("rebuild")
    def statistics_rebuild():
        """Delete and rebuild the daily aggregate rows (table stat_task_day) from every completed
        task; run once after the upgrade that adds them, and after restoring or editing task rows."""
        with transaction.unit_of_work():
            counted = aggregates.rebuild()
        click.echo(f"completed tasks counted: {counted}")

    app.cli.add_command(statistics)
