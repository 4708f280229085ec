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
        task, and set the task rows' copies of their case's team and model again; run once after
        the upgrade that adds them, and after restoring or editing task rows."""
        with transaction.unit_of_work():
            repaired = aggregates.resync_task_case_columns()
            counted = aggregates.rebuild()
        click.echo(f"task rows with their case's team and model set again: {repaired}")
        click.echo(f"completed tasks counted: {counted}")

    app.cli.add_command(statistics)
