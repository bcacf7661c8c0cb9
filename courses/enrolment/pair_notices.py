"""Mail to a companion, who may have no account yet: the invitation and its withdrawal.

Queued by description like every mail about places (``courses.enrolment.notices``) and
written by the mail worker in the student's language, since the companion's is not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.outbox.queueing import Rendered, Undeliverable, enqueue_described, render_email
from college.urls import absolute_url
from courses.enrolment import notices
from courses.enrolment.models import Companion, CompanionRelation
from courses.prospectus import venues_of

RENDERER = "courses.companion_notice"

SUBJECTS: dict[str, Any] = {
    "invited": _l("%(name)s would like you to come along — %(college)s"),
    "cancelled": _l("About the invitation from %(name)s — %(college)s"),
}


def send_to_companion(companion: Companion, kind: str, **context: str) -> None:
    """Queue a mail to the companion, in the student's language (theirs is not known yet)."""
    student = companion.student_enrolment.student
    if companion.email is None or student is None:
        return
    payload = {
        "companion_id": companion.id,
        "kind": kind,
        "language": student.language,
        "student_name": student.display_name,
        "context": context,
    }
    summary = f"Course {companion.course_id}: companion {kind}"
    enqueue_described(companion.email, RENDERER, payload, summary=summary)


@dataclass(frozen=True)
class Guest:
    """Someone the college writes to who may have no account yet."""

    display_name: str
    language: str


def render_companion_notice(payload: dict[str, Any]) -> Rendered:
    """Write a queued mail to a companion (the mail worker calls this)."""
    companion = db.session.get(Companion, payload["companion_id"])
    if companion is None:
        raise Undeliverable("the pair no longer exists")
    kind, language = payload["kind"], payload["language"]
    course = companion.course
    college = current_app.config["COLLEGE_NAME"]
    subject = notices.Formatted(
        SUBJECTS[kind], {"name": payload["student_name"], "college": college}
    )
    token = payload["context"].get("token")
    link = absolute_url("enrolment.invitation", invitation_token=token) if token else None
    return render_email(
        Guest(companion.name or "", language),  # type: ignore[arg-type]
        language,
        f"courses/companion_{kind}",
        subject,
        course=course,
        discreet=False,
        student_name=payload["student_name"],
        relation=CompanionRelation(companion.relation),
        expires_at=companion.hold_expires_at,
        sessions=course.scheduled_sessions,
        venues=venues_of(course),
        invitation_url=link,
        course_url=absolute_url("courses.detail", slug=course.slug),
        contact=notices.college_contact(),
    )


def describe_companion_notice(payload: dict[str, Any]) -> str:
    """What a queued mail to a companion is, for an admin."""
    subject = SUBJECTS.get(payload.get("kind", ""), SUBJECTS["invited"])
    college = current_app.config["COLLEGE_NAME"]
    return str(subject) % {"name": payload.get("student_name", ""), "college": college}
