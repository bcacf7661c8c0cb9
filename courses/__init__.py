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
from courses.models import FacilitatorRole
from courses.outcomes.models import Moment
from courses.services.joining import Joining


def month_name(month: date) -> str:
    """ "September 2030" in the reader's language ("september 2030": Danish writes month names
    in lower case), for the prospectus's "When"."""
    return format_date(month, "LLLL y")


def public_name(name: str, visibility: str, role: str) -> str:
    """Someone teaching as the public sees them: their name, or only their role when they
    chose that (``User.public_visibility``), e.g. "Peer trainer"."""
    return public_name_of(name, visibility) or FacilitatorRole.label_of(role)


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
        audit_words,
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
    app.jinja_env.globals["facilitator_name"] = facilitator_name
    # The codes whose members pages list as choices (``{% for topic in Topic %}``).
    app.jinja_env.globals.update(
        Audience=models.Audience,
        CourseFormat=models.CourseFormat,
        CourseStatus=models.CourseStatus,
        Joining=Joining,
        Moment=Moment,
        Topic=models.Topic,
        Weekday=models.Weekday,
    )
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
    audit_words.init_app(app)
    dropin.init_app(app)
    outcomes.init_app(app)
