"""Peers: training programmes and cohorts, availability, and cover between colleagues.

Peers follow the courses package through the ``session_changed`` signal
(``college.signals``): a session cancelled or moved by the office closes or reopens its
cover requests, and a facilitator changed by hand settles the request they were the
subject of. Answering ``availability_requested`` they tell the office who is resting,
away or in training when it chooses a course's pair.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from college import signals
from college.landing import add_landing_page
from college.signals import extension_points
from college.templating import NavItem, add_nav_item


def programme_name(code: str) -> str:
    """The name of a training programme by its qualification code: the college's own two
    programmes by their label, any other by the name it was created with."""
    from college.models import Programme
    from peers.services import programme_by_code

    try:
        return str(Programme(code).label)
    except ValueError:
        programme = programme_by_code(code)
        return programme.name if programme else code


def init_app(app: Flask) -> None:
    """Plug the peers package into the app."""
    from college.models import Role
    from college.privacy import PersonalData, register_personal_data
    from peers import admin, cli, dashboard, demo, scaled, services, views
    from peers.services import replies
    from peers.services.mail import register_peer_mail

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    add_nav_item(
        app,
        "main",
        NavItem("peers.schedule", _l("My schedule"), roles=(str(Role.PEER), str(Role.TRAINER))),
    )
    add_nav_item(app, "main", NavItem("peers.training", _l("My training"), roles=(str(Role.PEER),)))
    for item in admin.NAV:
        add_nav_item(app, "admin", item)
    for role in (Role.PEER, Role.TRAINER):
        add_landing_page(app, role, "peers.schedule", priority=20)
    # Registers return here, and invitations lead teachers here to say they cannot come.
    points = extension_points(app)
    points.teaching_page_endpoint = "peers.schedule"
    app.jinja_env.globals["programme_name"] = programme_name
    signals.session_changed.connect(services.on_session_change, sender=app)
    signals.availability_requested.connect(services.availability.candidate_notes, sender=app)
    points.demo_seeders.append(demo.seed)
    points.scale_seeders.append(scaled.seed_scaled)
    cli.init_app(app)
    dashboard.init_app(app)
    register_peer_mail(app)
    replies.init_app(app)
    register_personal_data(
        app,
        PersonalData(
            "peer_work",
            services.PEER_TABLES,
            export=services.export_peer_data,
            erase=services.erase_peer_data,
            labels=services.personal_data.LABELS,
            values=services.personal_data.VALUES,
        ),
    )
