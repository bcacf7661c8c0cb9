"""Drop-in courses: no sign-up, a head count with no names, and a sheet for hearing about
courses that keeps only what people write, with their consent.

Modules: ``models``, ``services`` (the head count, the sheet, its retention), ``reports``
(figures, chart, download, dashboard panel), ``demo``, plus ``forms`` and ``views``.
Whether a course is a drop-in is ``Course.drop_in``; the joining rule
(``courses.services.joining``) knows that such a course is never joined by sign-up.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from college.audit import register_audit_actions, register_audit_kinds
from college.reports import add_dashboard_panel
from college.signals import extension_points
from college.templating import NavItem, add_nav_item

AUDIT_ACTIONS = {
    "head_count.saved": _l("Saved the head count of a drop-in session"),
    "course_interest.recorded": _l("Wrote down someone who would like to hear about courses"),
    "course_interest.viewed": _l("Read the list of people who would like to hear about courses"),
    "course_interest.deleted": _l("Deleted an entry of the list to hear about courses"),
    "session.drop_in_opened": _l("Opened a session as a drop-in"),
    "session.drop_in_closed": _l("Closed a session to drop-in"),
}


def init_app(app: Flask) -> None:
    """Plug drop-in sessions into the app: pages, dashboard panel, retention, demo."""
    from courses.dropin import demo, reports, services, views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
    add_nav_item(app, "admin", NavItem("dropin_admin.interest_list", _l("Hear about courses")))
    add_dashboard_panel(app, reports.drop_in_panel)
    points = extension_points(app)
    points.retention_tasks.append(services.forget_old_interest)
    points.demo_seeders.append(demo.seed)
    register_audit_actions(app, AUDIT_ACTIONS)
    register_audit_kinds(app, {"CourseInterest": _l("Wish to hear about courses")})
