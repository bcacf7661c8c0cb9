"""The public prospectus: the list of courses and one page per course."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from college.db import now_utc
from college.page_cache import VISITORS, cached_response
from college.signals import extension_points
from college.urls import absolute_url, subscription_links
from courses import prospectus
from courses.enrolment.queries import waiting_counts
from courses.feeds import feed_link_args
from courses.models import Course
from courses.services.joining import join_state_of_loaded

bp = Blueprint("courses", __name__, url_prefix="/courses")

# The endpoints that may handle ``POST /courses/<slug>/enrol`` (the enrolment package's).
ENROL_ENDPOINTS = ("enrolment.enrol", "courses.enrol")

DetailPanel = Callable[[Course], Markup | None]


def detail_panels() -> list[DetailPanel]:
    """Callables other packages register to add a box (e.g. enrolment) to a course page.

    Each returns ready HTML as ``Markup`` (plain strings are escaped) or ``None``.
    """
    return extension_points().course_page_panels


def enrol_endpoint() -> str | None:
    return next((e for e in ENROL_ENDPOINTS if e in current_app.view_functions), None)


@bp.get("/")
@cached_response(VISITORS)
def index() -> str:
    """List published courses, searchable and filterable, without an account."""
    parsed = prospectus.parse_filters(request.args, strict=False)
    page = prospectus.find_courses(parsed.filters)
    terms = prospectus.listed_terms()
    feed_args = feed_link_args(parsed.filters)
    feed = absolute_url("feeds.college_feed", **feed_args)
    return render_template(
        "courses/index.html",
        page=page,
        states=prospectus.join_states(page.items),
        filters=parsed.filters,
        problems=parsed.problems,
        terms=terms,
        months=prospectus.listed_months(terms),
        venues=prospectus.listed_venues(),
        subscribe=subscription_links(feed, current_app.config["COLLEGE_NAME"]),
        feed_follows_filters=bool(feed_args),
    )


@bp.get("/<slug>")
@cached_response(VISITORS)
def detail(slug: str) -> str:
    """Show everything a student needs to decide about one course."""
    course = prospectus.find_course(slug)
    if course is None:
        abort(404)
    panels = [html for html in (panel(course) for panel in detail_panels()) if html]
    state = join_state_of_loaded(course, now_utc())
    feed = absolute_url("feeds.course_feed", slug=course.slug)
    name = f"{course.title} — {current_app.config['COLLEGE_NAME']}"
    return render_template(
        "courses/detail.html",
        course=course,
        state=state,
        next_run=None if state.can_join else prospectus.next_run_of(course),
        waiting=waiting_counts([course.id]).get(course.id, 0) if not course.open_places else 0,
        subscribe=subscription_links(feed, name),
        venues=prospectus.venues_of(course),
        panels=panels,
        enrol_endpoint=enrol_endpoint(),
        come_together="enrolment.enrol_together" in current_app.view_functions,
    )
