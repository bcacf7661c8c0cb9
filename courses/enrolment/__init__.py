"""Enrolment and the waiting list, attendance registers and anonymous feedback.

Modules: ``services`` (seats, the waiting list, offers), ``attendance``, ``feedback``, ``notices``
(emails, reminders, changes to sessions), ``queries``, ``busy`` (what a busy database
means for seats), ``personal_data``, ``demo``, plus the usual ``views``, ``admin`` and ``forms``.
"""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from college import signals
from college.cli import college_cli
from college.landing import add_landing_page
from college.models import Role
from college.outbox.queueing import register_renderer
from college.outbox.summaries import register_description
from college.signals import extension_points
from college.templating import NavItem, add_nav_item
from courses.enrolment.models import AttendanceStatus


@college_cli.command("expire-offers")
def expire_offers_command() -> None:
    """Pass on waiting-list offers nobody answered in time (safe to run often)."""
    from courses.enrolment.pairs import expire_holds
    from courses.enrolment.services import expire_offers

    count = expire_offers()
    click.echo(f"{count} offers expired.")
    held = expire_holds()
    click.echo(f"{held} places held for companions expired.")


@college_cli.command("send-reminders")
def send_reminders_command() -> None:
    """Remind students before their course starts (each person once)."""
    from courses.enrolment.notices import send_reminders

    count = send_reminders()
    click.echo(f"{count} reminders queued.")


@college_cli.command("invite-feedback")
def invite_feedback_command() -> None:
    """Invite students of courses that ended to give anonymous feedback (once)."""
    from courses.enrolment.notices import invite_feedback

    count = invite_feedback()
    click.echo(f"{count} feedback invitations queued.")


def init_app(app: Flask) -> None:
    """Plug enrolment into the app: pages, listeners, tasks, personal data, retention, demo."""
    from college.privacy import PersonalData, register_personal_data
    from courses.enrolment import (
        admin,
        attendance,
        demo,
        notices,
        pair_notices,
        pair_views,  # noqa: F401  (its pages join the enrolment blueprint on import)
        pairs,
        personal_data,
        scaled,
        services,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    # The register lists the marks to choose from (``{% for choice in AttendanceStatus %}``).
    app.jinja_env.globals["AttendanceStatus"] = AttendanceStatus
    # Staff who teach work from their schedule; My courses is where students' places are.
    add_nav_item(app, "main", NavItem("enrolment.my_courses", _l("My courses"), ("student",)))
    add_landing_page(app, Role.STUDENT, "enrolment.my_courses", priority=30)
    points = extension_points(app)
    points.course_admin_links.append(
        NavItem("enrolment_admin.enrolments", _l("Enrolments and waiting list"))
    )
    signals.session_changed.connect(notices.on_session_change, sender=app)
    signals.course_changed.connect(services.on_course_change, sender=app)
    signals.course_changed.connect(notices.on_course_change, sender=app)
    points.worker_tasks.extend(
        (
            services.expire_offers,
            pairs.expire_holds,
            notices.send_reminders,
            notices.invite_feedback,
            attendance.send_missed_notes,
        )
    )
    register_renderer(app, notices.RENDERER, notices.render_notice)
    register_description(app, notices.RENDERER, notices.describe_notice)
    register_renderer(app, pair_notices.RENDERER, pair_notices.render_companion_notice)
    register_description(app, pair_notices.RENDERER, pair_notices.describe_companion_notice)
    points.retention_tasks.append(personal_data.forget_old_terms)
    points.demo_seeders.append(demo.seed)
    points.scale_seeders.append(scaled.seed_scaled)
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
