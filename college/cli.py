"""Command-line tasks of the core: ``flask college <command>`` (see ``--help``)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from werkzeug.datastructures import MultiDict

from college import demo, services
from college.db import checkpoint_sqlite_wal
from college.errors import DomainError
from college.extensions import db
from college.forms import AdminAccountForm, CollegeForm
from college.models import Role
from college.outbox import delivery
from college.signals import extension_points
from college.transactions import CommandGroup, transaction

log = logging.getLogger(__name__)

college_cli = CommandGroup("college", help="Recovery College tasks.")


def worker_tasks() -> list[Callable[[], object]]:
    """Periodic jobs that domain packages add to the mail worker's loop."""
    return extension_points().worker_tasks


def validated(form_class: type[CollegeForm], **values: str) -> CollegeForm:
    """Check command-line values with the web form's own validators, or stop with its message."""
    form = form_class(formdata=MultiDict(values), meta={"csrf": False})
    if not form.validate():
        first = next(iter(form.errors.values()))[0]
        raise click.ClickException(str(first))
    return form


@college_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", help="Display name for a new account.")
@click.password_option(envvar="COLLEGE_ADMIN_PASSWORD", help="Password for a new account.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator, or make an existing account one."""
    form = validated(AdminAccountForm, email=email, display_name=name)
    try:
        user = services.make_admin(form.email.data, form.display_name.data, password)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{user.email} is an administrator.")


def run_worker_round() -> delivery.DeliveryReport:
    """Run each periodic task in a transaction of its own, then send what is due."""
    for task in worker_tasks():
        with transaction(writes=True):
            task()
    return delivery.deliver_due()


@college_cli.command("deliver-mail")
@click.option("--once", is_flag=True, help="Send what is due, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def deliver_mail(once: bool, interval: float) -> None:
    """Send queued mail, retrying with backoff; keeps running unless --once."""
    while True:
        try:
            report = run_worker_round()
        except Exception:  # the worker outlives a bad round (a database restart, say)
            if once:
                raise
            log.exception("mail worker round failed; trying again")
            db.session.remove()
            time.sleep(interval)
            continue
        if report.sent or report.retrying or report.failed or report.cancelled:
            click.echo(
                f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
                f"no longer needed {report.cancelled}"
            )
        db.session.remove()
        if once:
            return
        time.sleep(interval)


@college_cli.command("receive-mail")
@click.option("--interval", default=0.0, help="Keep reading every so many seconds (0: once).")
def receive_mail_command(interval: float) -> None:
    """Read the college's mailbox: act on the replies calendar apps send, once each."""
    from college.inbox import receive_mail

    while True:
        report = receive_mail()
        if report is None:
            raise click.ClickException("No mailbox is configured (INBOX_HOST).")
        if report.read:
            outcomes = ", ".join(
                f"{name} {count}" for name, count in sorted(report.outcomes.items())
            )
            click.echo(f"read {report.read}, seen before {report.seen_before}; {outcomes}")
        db.session.remove()
        if not interval:
            return
        time.sleep(interval)


@college_cli.command("apply-retention")
def apply_retention_command() -> None:
    """Remove personal details the college no longer needs (safe to run daily from cron)."""
    from college.retention import apply_retention

    with transaction(writes=True):
        counts = apply_retention()
    # Only once the erasures are committed can the old pages leave SQLite's log.
    checkpoint_sqlite_wal(db.engine)
    for what, count in counts.items():
        click.echo(f"{what}: {count}")


@college_cli.command("demo")
@click.option("--force", is_flag=True, help="Replace everything in the database with the demo.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if there is data.")
@click.option("--scale", type=float, default=None, help="Generate a large data set (1 = a region).")
@click.option("--verbose", is_flag=True, help="Show what the services log while seeding.")
def demo_command(force: bool, if_empty: bool, scale: float | None, verbose: bool) -> None:
    """Fill an empty database with a believable demo college."""
    if not current_app.config["ALLOW_DEMO_LOGINS"]:
        raise click.ClickException("Demo data is refused in a production configuration.")
    if scale is not None and not 0 < scale <= 20:
        raise click.ClickException("--scale must be above 0 and at most 20.")
    if not demo.database_is_empty():
        if if_empty:
            click.echo("The database has data already; no demo added.")
            return
        if not force:
            raise click.ClickException(
                "The database is not empty. Use --force to replace its data with the demo."
            )
        demo.clear_database()
    with contextlib.nullcontext() if verbose else demo.quiet_logs():
        if scale is not None:
            demo.seed_scaled(scale)
        else:
            demo.seed()
    click.echo("Demo college created.")


ROLE_NAMES = {
    Role.ADMIN: "administrator",
    Role.PEER: "peer worker",
    Role.TRAINER: "professional trainer",
    Role.STUDENT: "student",
}


@college_cli.command("welcome")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Its address.")
def welcome_command(url: str) -> None:
    """Say where the college is served, where its mail goes and how to sign in."""
    for line in welcome_lines(url):
        click.echo(line)


def shown_path(folder: str) -> str:
    """A folder inside the working directory as a relative path, others in full."""
    path = Path(folder).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def welcome_lines(url: str) -> list[str]:
    config = current_app.config
    lines = ["", f"The college is served at {url} (Ctrl+C stops it)."]
    if config["MAIL_BACKEND"] == "files":
        lines.append(
            f"Mail is written to {shown_path(config['MAIL_FILE_DIR'])}/ as .eml files: "
            "open them in any mail program."
        )
    else:
        lines.append(f"Mail is sent through {config['MAIL_SERVER']}:{config['MAIL_PORT']}.")
    logins = demo.demo_logins() if config["ALLOW_DEMO_LOGINS"] else []
    if logins:
        lines.append(f"Demo logins, all with the password {demo.DEMO_PASSWORD}:")
        lines += [f"  {ROLE_NAMES[role]:<22}{email}" for role, email in logins]
    return [*lines, ""]


def init_app(app: Flask) -> None:
    app.cli.add_command(college_cli)
