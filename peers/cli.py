"""Command-line tasks: ``flask college cover-alerts | expire-cover | qualification-reminders``."""

from __future__ import annotations

import click
from flask import Flask

from college.cli import college_cli
from college.signals import extension_points
from peers.services import tasks


@college_cli.command("cover-alerts")
def cover_alerts() -> None:
    """Alert admins about sessions still without cover (72 h) and escalate at 24 h."""
    expired = tasks.expire_cover_requests()
    alerted = tasks.alert_unfilled_cover()
    escalated = tasks.escalate_unstaffed()
    click.echo(f"expired {expired}, alerted {alerted}, escalated {escalated}")


@college_cli.command("qualification-reminders")
def qualification_reminders() -> None:
    """Remind peers and admins 60 days before a qualification lapses."""
    count = tasks.remind_lapsing_qualifications()
    click.echo(f"reminded {count}")


def init_app(app: Flask) -> None:
    """The commands join the ``flask college`` group; the worker runs the same tasks."""
    extension_points(app).worker_tasks.append(tasks.run_periodic_tasks)
