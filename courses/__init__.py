"""Courses: terms, venues, partners, courses and sessions, enrolment, prospectus and feeds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the courses package into the app."""
