"""Outcomes that show change: anonymous self-ratings before and after a course.

Modules: ``models`` (questionnaire versions, areas, answers, the pairing), ``services``
(every write, and when each rating is open), ``stats`` (paired statistics from SciPy),
``figures`` (what the college sees, behind the one threshold), ``charts``, ``export``
(CSV and JSON for evaluators), ``views`` (the student's pages), ``admin`` (areas, reports).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from college.signals import extension_points
from college.templating import NavItem, add_nav_item


def init_app(app: Flask) -> None:
    """Plug the ratings into the app: pages, dashboard panel, retention, personal data, demo."""
    from college.privacy import PersonalData, register_personal_data
    from college.reports import add_dashboard_panel
    from courses.outcomes import admin, demo, personal_data, services, views

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    add_nav_item(app, "admin", NavItem("outcomes_admin.report_page", _l("Outcomes")))
    add_dashboard_panel(app, admin.change_panel)
    points = extension_points(app)
    points.retention_tasks.append(services.forget_closed_pairings)
    points.demo_seeders.append(demo.seed)
    points.scale_seeders.append(demo.seed_scaled)
    register_personal_data(
        app,
        PersonalData(
            "outcomes",
            ("outcome_pairings",),
            export=personal_data.export_steps,
            erase=personal_data.erase_pairings,
            labels=personal_data.LABELS,
            values=personal_data.VALUES,
        ),
    )
