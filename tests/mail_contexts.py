"""Every mail template written with real things from the access table's world.

The values stand for what the services pass; two variants take each template through its
branches (a new invitation to someone who teaches, with a place and a link; a changed one
to a student, without them). A template that asks for a value not given here fails
``missing_values``, so a new mail cannot slip past the language checks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import meta

from college.extensions import db
from college.models import Qualification
from college.outbox.queueing import Rendered, render_email
from courses.models import CourseSession

EMAIL = Path(__file__).parents[1] / "templates" / "email"
# Given to every template by ``render_email`` and the app.
GIVEN = {"user", "college_name", "_", "gettext", "ngettext", "programme_name", "url_for"}


def mail_names() -> list[str]:
    """Each mail as ``render_email`` names it ("courses/enrolled"), from its text template."""
    return sorted(
        str(path.relative_to(EMAIL).with_suffix(""))
        for path in EMAIL.rglob("*.txt")
        if not path.name.startswith("_")
    )


def context_for(
    values: dict[str, Any], people: dict[str, Any], first: bool, name: str = ""
) -> dict[str, Any]:
    from courses.invites import FIELD_LABELS
    from courses.prospectus import venues_of
    from peers.models import CoverRequest, TrainingProgramme

    session = db.session.get_one(CourseSession, values["session_id"])
    course = session.course
    link = "http://college.test/somewhere"
    qualification = db.session.get_one(Qualification, values["qualification_id"])
    qualification.expires_on = date(2027, 6, 1) if first else None
    programme = db.session.query(TrainingProgramme).order_by(TrainingProgramme.id).first()
    return {
        # invitations and cancellations of a session
        "number": 1,
        "count": 3,
        "title": course.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "details_url": link,
        "answer_page": link,
        "contact": "kontakt@recovery-college.example",
        "calendar_page": link,
        "location": session.venue.name if first and session.venue else None,
        "meeting_link": link if first else None,
        "updated": not first,
        "session_cancelled": False,
        "teaches": first,
        "colleagues": [people["trainer"].display_name],
        "taken_out": not first,
        "changes": []
        if first
        else [(session.starts_at, session.ends_at, [(FIELD_LABELS["when"], "10:00", "11:00")])],
        # the calendar mails list (start, end) pairs; the course mails list the sessions
        "sessions": [(session.starts_at, session.ends_at)]
        if name.startswith("calendar/")
        else course.scheduled_sessions,
        "venues": venues_of(course),
        # accounts
        "hours": 1 if first else 24,
        "link": link,
        # enrolment; the changed variant is for a discreet person
        "course": course,
        "discreet": not first,
        "course_name": course.title,
        "course_url": link,
        "courses_url": link,
        "my_courses_url": link,
        "feedback_url": link,
        # the invitation to rate before or after a course, in both wordings
        "rating_url": link,
        "rating_moment": "before" if first else "after",
        "offer_url": link,
        "session": session,
        "expires_at": session.starts_at,
        "position": 1 if first else 4,
        # a pair: the companion's invitation, and the student asked to come alone
        "student_name": people["student"].display_name,
        "invitation_url": link,
        "name": "Mor",
        "expired": first,
        # peers
        "course_session": session,
        "cover": people["other_peer"],
        "schedule_link": link,
        "board_link": link,
        "requests": [db.session.get_one(CoverRequest, values["request_id"])],
        "qualification": qualification,
        "qualifications": [qualification],
        "training_link": link,
        "programme": programme,
    }


def missing_values(name: str, context: dict[str, Any]) -> set[str]:
    """What the mail's templates ask for that ``context_for`` does not give."""
    environment = current_app.jinja_env
    asked: set[str] = set()
    for suffix in (".txt", ".html"):
        source = (EMAIL / f"{name}{suffix}").read_text(encoding="utf-8")
        asked |= meta.find_undeclared_variables(environment.parse(source))
    return asked - GIVEN - set(context)


def render_mail(
    values: dict[str, Any], people: dict[str, Any], name: str, language: str, first: bool
) -> Rendered:
    context = context_for(values, people, first, name)
    missing = missing_values(name, context)
    assert not missing, f"tests/mail_contexts.py gives email/{name} no {sorted(missing)}"
    return render_email(people["student"], language, name, "", **context)
