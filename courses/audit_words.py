"""How the audit log speaks of courses, sessions, places and the rest of this package.

The core's audit log stores actions and targets as codes and ids; these words and name
lookups let the admin pages say "Changed a course: Mindfulness" in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from college.audit import (
    register_audit_actions,
    register_audit_detail_words,
    register_audit_kinds,
    register_audit_sentences,
    register_audit_subject,
    register_audit_target,
)
from college.extensions import db
from college.models import User
from courses.enrolment.models import Enrolment, RemovalReason
from courses.models import Course, CourseSession, Partner, Term, Venue

AUDIT_ACTIONS = {
    "term.created": _l("Added a term"),
    "term.updated": _l("Changed a term"),
    "venue.created": _l("Added a venue"),
    "venue.updated": _l("Changed a venue"),
    "partner.created": _l("Added a partner"),
    "partner.updated": _l("Changed a partner"),
    "course.created": _l("Created a course"),
    "course.updated": _l("Changed a course"),
    "course.pair": _l("Chose a course's trainers"),
    "course.published": _l("Published a course"),
    "course.cancelled": _l("Cancelled a course"),
    "course.archived": _l("Archived a course"),
    "session.added": _l("Added a session"),
    "session.series": _l("Added a series of sessions"),
    "session.rescheduled": _l("Moved a session"),
    "session.cancelled": _l("Cancelled a session"),
    "session.deleted": _l("Deleted a session"),
    "session.facilitators": _l("Changed who facilitates a session"),
    "session.facilitator_replaced": _l("Put one trainer in another's place on a session"),
    "qualification.recorded": _l("Recorded a qualification"),
    "qualification.removed": _l("Removed a qualification"),
    "enrolments.viewed": _l("Opened a course's list of enrolments"),
    "enrolment.removed": _l("Took someone off a course"),
    "waitlist.moved": _l("Moved someone on a waiting list"),
    "register.viewed": _l("Opened a session's register"),
    "register.saved": _l("Saved a session's register"),
    "register.exported": _l("Downloaded a session's register"),
}

AUDIT_SENTENCES = {
    "term.created": _l("%(who)s added the term “%(target)s”"),
    "term.updated": _l("%(who)s changed the term “%(target)s”"),
    "venue.created": _l("%(who)s added the venue “%(target)s”"),
    "venue.updated": _l("%(who)s changed the venue “%(target)s”"),
    "partner.created": _l("%(who)s added the partner “%(target)s”"),
    "partner.updated": _l("%(who)s changed the partner “%(target)s”"),
    "course.created": _l("%(who)s created the course “%(target)s”"),
    "course.updated": _l("%(who)s changed the course “%(target)s”"),
    "course.pair": _l("%(who)s chose the trainers of the course “%(target)s”"),
    "course.published": _l("%(who)s published the course “%(target)s”"),
    "course.cancelled": _l("%(who)s cancelled the course “%(target)s”"),
    "course.archived": _l("%(who)s archived the course “%(target)s”"),
    "session.added": _l("%(who)s added the session “%(target)s”"),
    "session.rescheduled": _l("%(who)s moved the session “%(target)s”"),
    "session.cancelled": _l("%(who)s cancelled the session “%(target)s”"),
    "session.facilitators": _l("%(who)s changed who facilitates the session “%(target)s”"),
    "qualification.recorded": _l("%(who)s recorded a qualification for %(target)s"),
    "qualification.removed": _l("%(who)s removed a qualification from %(target)s"),
    "enrolments.viewed": _l("%(who)s opened the enrolments of the course “%(target)s”"),
    "enrolment.removed": _l("%(who)s took %(target)s off the course"),
    "waitlist.moved": _l("%(who)s moved %(target)s on the waiting list"),
    "register.viewed": _l("%(who)s opened the register of the session “%(target)s”"),
    "register.saved": _l("%(who)s saved the register of the session “%(target)s”"),
    "register.exported": _l("%(who)s downloaded the register of the session “%(target)s”"),
}

# What the audit log calls the kinds of record the courses touch.
AUDIT_KINDS = {
    "Term": _l("Term"),
    "Venue": _l("Venue"),
    "Partner": _l("Partner"),
    "Course": _l("Course"),
    "CourseSession": _l("Session"),
    "Enrolment": _l("Place on a course"),
}


def course_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(ids)))
    return {course_id: title for course_id, title in rows}


def session_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(CourseSession.id, Course.title, CourseSession.starts_at)
        .join(Course, CourseSession.course_id == Course.id)
        .where(CourseSession.id.in_(ids))
    )
    return {
        session_id: f"{title}, {format_date(starts_at, 'medium')}"
        for session_id, title, starts_at in rows
    }


def enrolment_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Enrolment.id, User.display_name, Course.title)
        .join(User, Enrolment.student_id == User.id)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Enrolment.id.in_(ids))
    )
    return {enrolment_id: f"{name} ({title})" for enrolment_id, name, title in rows}


def names_of(
    model: type[Term] | type[Venue] | type[Partner],
) -> Callable[[list[int]], dict[int, str]]:
    def names(ids: list[int]) -> dict[int, str]:
        rows = db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids)))
        return {row_id: name for row_id, name in rows}

    return names


def enrolments_of(person_id: int) -> sa.Select[Any]:
    return sa.select(Enrolment.id).where(Enrolment.student_id == person_id)


def init_app(app: Flask) -> None:
    """Give the audit log the words and names of this package's actions and targets."""
    register_audit_actions(app, AUDIT_ACTIONS)
    register_audit_kinds(app, AUDIT_KINDS)
    register_audit_sentences(app, AUDIT_SENTENCES)
    register_audit_detail_words(app, "reason", dict(RemovalReason.choices()))
    register_audit_target(app, "Course", course_names)
    register_audit_target(app, "CourseSession", session_names)
    register_audit_target(app, "Enrolment", enrolment_names)
    for model in (Term, Venue, Partner):
        register_audit_target(app, model.__name__, names_of(model))
    register_audit_subject(app, "Enrolment", enrolments_of)
