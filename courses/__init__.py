"""Courses: terms, venues, partners, courses and sessions, enrolment, prospectus and feeds.

Other packages follow what happens here through the signals ``session_changed``,
``course_changed``, ``enrolment_changed`` and ``personal_feed_requested``, and add to its
pages through the registries ``course_page_panels``, ``course_admin_links`` and
``teaching_page_endpoint`` (all in ``college.signals``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from college.models import public_name_of
from college.signals import extension_points
from college.templating import NavItem, add_nav_item
from courses import models

LABELS: dict[str, dict[Any, Any]] = {
    "topic": models.TOPIC_LABELS,
    "audience": models.AUDIENCE_LABELS,
    "format": models.FORMAT_LABELS,
    "status": models.COURSE_STATUS_LABELS,
    "session_status": models.SESSION_STATUS_LABELS,
    "role": models.ROLE_LABELS,
    "partner_kind": models.PARTNER_KIND_LABELS,
    "programme": models.PROGRAMME_LABELS,
    "weekday": models.WEEKDAY_LABELS,
}


# How a course that cannot be joined is marked in the prospectus and on its page.
JOINING_LABELS = {
    "begun": _l("Begun"),
    "ended": _l("Ended"),
    "closed": _l("Enrolment closed"),
    "not_yet_open": _l("Enrolment not open yet"),
    "drop_in": _l("Drop-in: no sign-up"),
}


def month_name(month: date) -> str:
    """ "September 2030" in the reader's language ("september 2030": Danish writes month names
    in lower case), for the prospectus's "When"."""
    return format_date(month, "LLLL y")


def course_label(kind: str, value: Any) -> str:
    """A value's name in the reader's language, e.g. ``course_label("format", "online")``."""
    label = LABELS[kind].get(value)
    return str(label) if label is not None else str(value)


def public_name(name: str, visibility: str, role: str) -> str:
    """Someone teaching as the public sees them: their name, or only their role when they
    chose that (``User.public_visibility``), e.g. "Peer trainer"."""
    return public_name_of(name, visibility) or course_label("role", role)


def facilitator_name(facilitator: Any) -> str:
    """A course's or session's facilitator row as public pages show it."""
    user = facilitator.user
    return public_name(user.display_name, user.public_visibility, facilitator.role)


def init_app(app: Flask) -> None:
    """Plug the courses package into the app."""
    from college.privacy import PersonalData, register_personal_data
    from courses import (
        admin,
        api,
        dashboard,
        demo,
        dropin,
        enrolment,
        feeds,
        invites,
        mail_descriptions,
        outcomes,
        replies,
        scaled,
        services,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    feeds.init_app(app)
    invites.init_app(app)
    replies.init_app(app)
    mail_descriptions.init_app(app)
    add_nav_item(app, "main", NavItem("courses.index", _l("Courses")))
    for item in admin.NAV:
        add_nav_item(app, "admin", item)
    app.jinja_env.globals["course_label"] = course_label
    app.jinja_env.globals["facilitator_name"] = facilitator_name
    app.jinja_env.globals["course_labels"] = LABELS
    app.jinja_env.globals["joining_labels"] = JOINING_LABELS
    app.jinja_env.filters["month_name"] = month_name
    points = extension_points(app)
    points.demo_seeders.append(demo.seed)
    points.scale_seeders.append(scaled.seed_scaled)
    register_personal_data(
        app,
        PersonalData(
            "teaching",
            ("course_facilitators", "session_facilitators", "calendar_entries"),
            export=services.export_teaching,
            erase=services.erase_teaching,
            labels=services.personal_data.LABELS,
            values=services.personal_data.VALUES,
        ),
    )
    # After the courses' own seeders and personal data, so enrolment builds on them.
    enrolment.init_app(app)
    dashboard.init_app(app)
    dropin.init_app(app)
    outcomes.init_app(app)
