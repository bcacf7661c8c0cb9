"""Where a person lands after logging in or signing up: where their work is.

Domain packages name the page for a role (``add_landing_page``); the core never names
them. The first page whose role the person holds wins, in the order of ``priority``
(lower first): administrators on the dashboard, peers and trainers on their schedule,
students on My courses.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, url_for

from college.models import Role, User
from college.signals import extension_points


@dataclass(frozen=True)
class LandingPage:
    role: Role
    endpoint: str
    priority: int


def add_landing_page(app: Flask, role: Role, endpoint: str, priority: int) -> None:
    pages = extension_points(app).landing_pages
    pages.append(LandingPage(role, endpoint, priority))
    pages.sort(key=lambda page: page.priority)


def landing_endpoint(user: User) -> str:
    """The endpoint of the page ``user`` starts on; the front page when none fits."""
    for page in extension_points().landing_pages:
        if user.has_role(page.role) and page.endpoint in current_app.view_functions:
            return page.endpoint
    return "main.index"


def landing_url(user: User) -> str:
    return url_for(landing_endpoint(user))
