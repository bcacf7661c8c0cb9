"""Enrolment and the waiting list, attendance registers and anonymous feedback.

Modules: ``services`` (places, queue, offers), ``attendance``, ``feedback``, ``notices``
(emails, reminders, changes to sessions), ``queries``, ``transactions`` (write lock and
retries), ``personal_data``, ``demo``, plus the usual ``views``, ``admin`` and ``forms``.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from college.cli import college_cli
from college.db import start_write_transaction
from college.extensions import db
from college.landing import add_landing_page
from college.models import Role
from college.outbox import register_description, register_renderer
from college.templating import NavItem, add_nav_item
from courses.enrolment.models import AttendanceStatus
from courses.enrolment.transactions import commit_with_retry


@college_cli.command("expire-offers")
def expire_offers_command() -> None:
    """Pass on waiting-list offers nobody answered in time (safe to run often)."""
    from courses.enrolment.services import expire_offers

    count = commit_with_retry(expire_offers)
    click.echo(f"{count} offers expired.")


@college_cli.command("send-reminders")
def send_reminders_command() -> None:
    """Remind students before their course starts (each person once)."""
    from courses.enrolment.notices import send_reminders

    count = commit_with_retry(send_reminders)
    click.echo(f"{count} reminders queued.")


@college_cli.command("invite-feedback")
def invite_feedback_command() -> None:
    """Invite students of courses that ended to give anonymous feedback (once)."""
    from courses.enrolment.notices import invite_feedback

    count = commit_with_retry(invite_feedback)
    click.echo(f"{count} feedback invitations queued.")


def in_write_transaction(task: Callable[[], int]) -> Callable[[], int]:
    """A worker task that takes the write lock first; the worker loop commits after it."""

    def run() -> int:
        start_write_transaction(db.session())
        return task()

    run.__name__ = task.__name__
    return run


def init_app(app: Flask) -> None:
    """Plug enrolment into the app: pages, listeners, tasks, personal data, retention, demo."""
    from college.privacy import PersonalData, register_personal_data
    from courses.enrolment import admin, attendance, demo, notices, personal_data, services, views

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    # The register lists the marks to choose from (``{% for choice in AttendanceStatus %}``).
    app.jinja_env.globals["AttendanceStatus"] = AttendanceStatus
    # Staff who teach work from their schedule; My courses is where students' places are.
    add_nav_item(app, "main", NavItem("enrolment.my_courses", _l("My courses"), ("student",)))
    add_landing_page(app, Role.STUDENT, "enrolment.my_courses", priority=30)
    app.extensions.setdefault("courses.admin_course_links", []).append(
        NavItem("enrolment_admin.enrolments", _l("Enrolments and waiting list"))
    )
    app.extensions.setdefault("courses.session_change_listeners", []).append(
        notices.on_session_change
    )
    course_listeners = app.extensions.setdefault("courses.course_change_listeners", [])
    course_listeners.extend([services.on_course_change, notices.on_course_change])
    app.extensions.setdefault("college.worker_tasks", []).extend(
        in_write_transaction(task)
        for task in (
            services.expire_offers,
            notices.send_reminders,
            notices.invite_feedback,
            attendance.send_missed_notes,
        )
    )
    register_renderer(app, notices.RENDERER, notices.render_notice)
    register_description(app, notices.RENDERER, notices.describe_notice)
    app.extensions.setdefault("college.retention_tasks", []).append(personal_data.forget_old_terms)
    app.extensions.setdefault("college.demo_seeders", []).append(demo.seed)
    app.extensions.setdefault("college.scale_seeders", []).append(demo.seed_scaled)
    register_personal_data(
        app,
        PersonalData(
            "enrolment",
            personal_data.TABLES,
            export=personal_data.export_enrolments,
            erase=personal_data.erase_enrolments,
            labels=personal_data.LABELS,
            values=personal_data.VALUES,
        ),
    )
