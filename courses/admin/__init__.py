"""Administration of courses: terms, venues, partners, courses, sessions, facilitators and
qualifications recorded by hand. Local times are entered and shown; the services store UTC.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from college.templating import NavItem
from courses.admin import catalogue, course_pages
from courses.admin.common import bp, course_links

__all__ = ["NAV", "bp", "catalogue", "course_links", "course_pages"]

NAV = [
    NavItem("courses_admin.courses", _l("Courses")),
    NavItem("courses_admin.terms", _l("Terms")),
    NavItem("courses_admin.venues", _l("Venues")),
    NavItem("courses_admin.partners", _l("Partners")),
    NavItem("courses_admin.qualifications", _l("Qualifications")),
]
