"""Calendar invitations by email (iTIP over iMIP): one message per participant per session.

A course has several sessions and an iTIP object carries one UID, so each session is its
own invitation: a ``REQUEST`` when someone joins it or it changes (time, place), and a
``CANCEL`` when it is cancelled or the person leaves it. Each message lists only its one
participant and goes out in their language; a discreet person's subject, entry and body
name no course. Sending each session on its own (rather than one recurring event with
overrides) means a change to one session touches exactly that session in every calendar,
and no client has to get RRULE/RECURRENCE-ID arithmetic across clock changes right.

The SEQUENCE of an invitation is the session's stored ``sequence``. The session services
raise it on every change a calendar must apply before the listeners here run; a person's
withdrawal raises it too (``withdraw_from``), so every message a person receives about a
session carries a higher number than the one before.

Who takes part: the session's facilitators, plus whoever ``courses.session_participants``
callables (``source(session) -> list[User]``) name, e.g. enrolled students.

Invitations are queued by description and written by the mail worker (renderer
``courses.invitation``, see ``college.outbox``): the request that causes one records who,
which session and what, and renders nothing. Frozen in the payload when it is queued, so
that the message says what it would have said then: the METHOD, the session's SEQUENCE
(read at render time it could be higher than a later CANCEL's, and a calendar would then
drop the CANCEL), whether the session counted as cancelled, the DTSTAMP, the occasion
(new, changed, cancelled), the session's number and count, the recipient's address, their
language and their discreet choice. Read when it is rendered: the course's title and
summary, the session's time, venue and link, the facilitators and the person's name. Those
are never wrong for the person: every change of time, venue or link raises the SEQUENCE
and queues its own REQUEST, so an earlier invitation that already shows the newer details
is simply overtaken by the later one, and a calendar ends at the same entry; the title and
names are shown as they are now, which is what the college's pages and feeds show too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from college.calendar import Mailbox, Method, build_invite
from college.db import now_utc
from college.extensions import db
from college.models import User
from college.outbox import (
    Rendered,
    Undeliverable,
    enqueue_described,
    register_renderer,
    render_email,
)
from college.signals import calendar_choice_changed
from college.urls import absolute_url
from courses.feeds import (
    SessionFacts,
    Viewer,
    calendar_event,
    details_link,
    entry_location,
    entry_title,
    facts_of,
    personal_session_ids,
)
from courses.models import Course, CourseSession, CourseStatus, SessionStatus
from courses.services.events import CourseChange, SessionChange

log = logging.getLogger(__name__)

ParticipantSource = Callable[[CourseSession], list[User]]

SUBJECTS = {
    "new": _l("Session %(number)s of %(count)s: %(title)s, %(when)s"),
    "changed": _l("Changed: session %(number)s of %(count)s: %(title)s, %(when)s"),
    "cancelled": _l("Cancelled: session %(number)s of %(count)s: %(title)s, %(when)s"),
    "taken_out": _l(
        "No longer in your calendar: session %(number)s of %(count)s: %(title)s, %(when)s"
    ),
}


# A package whose pages let teachers say they cannot come names its endpoint here.
TEACHING_PAGE_ENDPOINT = "courses.teaching_page_endpoint"


def answer_page(teaches: bool) -> str:
    """Where a person tells the college they cannot come: their schedule, or My courses."""
    endpoint = current_app.extensions.get(TEACHING_PAGE_ENDPOINT) if teaches else None
    return absolute_url(endpoint or "enrolment.my_courses")


def not_by_reply(page: str) -> str:
    """The invitation's word that a calendar app's answer reaches nobody."""
    return _(
        "Answering this invitation in your calendar app does not tell us anything. "
        "If you cannot come, tell us here: %(link)s",
        link=page,
    )


def session_participants() -> list[ParticipantSource]:
    """Callables naming the people (besides facilitators) who take part in a session."""
    return current_app.extensions.setdefault("courses.session_participants", [])


# --- sending one invitation ---------------------------------------------------------------------


def _position(session: CourseSession) -> tuple[int, int]:
    """Which session of the course this is, counting the sessions that still take place."""
    counted = [s for s in session.course.sessions if s is session or not s.is_cancelled]
    return counted.index(session) + 1, len(counted)


def _when(facts: SessionFacts) -> str:
    return f"{format_date(facts.starts_at, 'full')} {format_time(facts.starts_at, 'short')}"


def _organizer() -> Mailbox:
    config = current_app.config
    return Mailbox(config["MAIL_DEFAULT_SENDER"], config["COLLEGE_NAME"])


RENDERER = "courses.invitation"


def _queue(session: CourseSession, person: User, method: Method, occasion: str) -> None:
    """Record the invitation for the mail worker; nothing is rendered here."""
    number, count = _position(session)
    payload = {
        "session_id": session.id,
        "user_id": person.id,
        "email": person.email,
        "method": str(method),
        "sequence": session.sequence,
        "cancelled": session.is_cancelled,
        "occasion": occasion,
        "number": number,
        "count": count,
        "sent_at": now_utc().isoformat(),
        "language": person.language,
        "discreet": person.discreet,
    }
    enqueue_described(
        person.email,
        RENDERER,
        payload,
        summary=f"Calendar {method}: session {session.id} ({number} of {count}), {occasion}",
        calendar_method=str(method),
    )
    log.info(
        "calendar %s queued session=%s user=%s seq=%s",
        method,
        session.id,
        person.id,
        session.sequence,
    )


@dataclass(frozen=True)
class Addressee:
    """Whom a message greets when the account is gone: the address it goes to."""

    display_name: str


def render_invitation(payload: dict[str, Any]) -> Rendered:
    """Write a queued invitation from its payload (the mail worker calls this)."""
    session = db.session.get(CourseSession, payload["session_id"])
    person = db.session.get(User, payload["user_id"])
    if session is None or person is None:
        raise Undeliverable("the session or the person no longer exists")
    method = Method(payload["method"])
    facts = replace(facts_of(session), sequence=payload["sequence"], cancelled=payload["cancelled"])
    # An erased person's last CANCELs (sent so that their calendar empties) name neither
    # them nor a course: the message outlives the account.
    erased = person.anonymised_at is not None
    addressee: Any = Addressee(payload["email"]) if erased else person
    viewer = Viewer(person.id, erased or payload["discreet"])
    number, count = payload["number"], payload["count"]
    # An erased person left every session: nothing they held was cancelled for others.
    occasion = "taken_out" if erased else payload["occasion"]
    teaches = any(uid == person.id for uid, _name, _public in facts.facilitators)
    page = answer_page(teaches)
    with force_locale(payload["language"]):
        event = calendar_event(facts, viewer)
        if method == Method.REQUEST:
            # Outlook shows the entry's description as the invitation's body.
            event = replace(event, description=f"{event.description}\n\n{not_by_reply(page)}")
        ics = build_invite(
            event,
            method=method,
            organizer=_organizer(),
            attendee=Mailbox(payload["email"], addressee.display_name),
            sent_at=datetime.fromisoformat(payload["sent_at"]),
            zone_name=current_app.config["COLLEGE_TIMEZONE"],
        ).decode("utf-8")
        title = entry_title(facts, viewer)
        when = _when(facts)
        subject = str(
            SUBJECTS[occasion] % {"number": number, "count": count, "title": title, "when": when}
        )
        location = entry_location(facts, viewer)
        link = details_link(facts, viewer)
    return render_email(
        addressee,
        payload["language"],
        f"calendar/{'cancel' if method == Method.CANCEL else 'request'}",
        subject,
        calendar=(str(method), ics),
        title=title,
        number=number,
        count=count,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        location=location,
        meeting_link=facts.meeting_link if facts.online else None,
        details_url=link,
        occasion=occasion,
        teaches=teaches,
        colleagues=[name for uid, name, _public in facts.facilitators if uid != person.id],
        calendar_page=absolute_url("me.calendar"),
        answer_page=page,
    )


def send_request(session: CourseSession, person: User, *, changed: bool = False) -> None:
    """Invite one person to one session (again, with ``changed``, after a change)."""
    if person.is_active and person.wants_invitations and not session.is_cancelled:
        _queue(session, person, Method.REQUEST, "changed" if changed else "new")


def send_cancel(session: CourseSession, person: User) -> None:
    """Take one session out of one person's calendar."""
    if person.is_active and person.wants_invitations:
        _queue(session, person, Method.CANCEL, "cancelled")


# --- a person's own entries ---------------------------------------------------------------------


def upcoming_sessions_of(person: User) -> list[CourseSession]:
    """The sessions still ahead that the person holds an entry for (teaching or enrolled)."""
    return list(
        db.session.scalars(
            sa.select(CourseSession)
            .join(Course, CourseSession.course_id == Course.id)
            .where(
                CourseSession.id.in_(personal_session_ids(person)),
                CourseSession.status == SessionStatus.SCHEDULED,
                CourseSession.ends_at > now_utc(),
                Course.status == CourseStatus.PUBLISHED,
            )
            .order_by(CourseSession.starts_at, CourseSession.id)
        )
    )


def take_out_upcoming(person: User) -> int:
    """CANCEL every upcoming entry the person was invited to; returns how many.

    Sent whatever the person's choice (they hold the entries until now), with the
    SEQUENCE raised as for a withdrawal, so that an invitation later wins over it.
    """
    sessions = upcoming_sessions_of(person)
    for session in sessions:
        session.sequence += 1
        _queue(session, person, Method.CANCEL, "taken_out")
        session.sequence += 1
    db.session.flush()
    return len(sessions)


def on_calendar_choice(_app: Flask, *, user: User) -> None:
    """Invitations stop when a person takes the feed, and come again when they go back."""
    if not user.is_active:
        return
    if user.wants_invitations:
        for session in upcoming_sessions_of(user):
            send_request(session, user)
    else:
        take_out_upcoming(user)


def withdraw_from(session: CourseSession, person: User) -> None:
    """The person leaves the session: CANCEL with a raised SEQUENCE.

    The sequence goes up by two: the CANCEL carries the first number, so a later
    REQUEST (the person coming back) carries a higher one than the CANCEL did.
    """
    session.sequence += 1
    send_cancel(session, person)
    session.sequence += 1
    db.session.flush()


# --- who hears about a change -------------------------------------------------------------------


def _still_ahead(session: CourseSession) -> bool:
    return session.ends_at > now_utc()


def facilitators_of(session: CourseSession) -> list[User]:
    return [f.user for f in session.facilitators]


def participants_of(session: CourseSession) -> list[User]:
    """Everyone taking part in a session, each once: facilitators first."""
    people: dict[int, User] = {}
    for person in facilitators_of(session):
        people.setdefault(person.id, person)
    for source in session_participants():
        for person in source(session):
            people.setdefault(person.id, person)
    return list(people.values())


def _users(ids: Iterable[int]) -> list[User]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(wanted)).order_by(User.id)))


def on_session_change(session: CourseSession, kind: str, **details: Any) -> None:
    """Keep the calendars of everyone taking part in step with one session."""
    if not _still_ahead(session):
        return
    if kind == SessionChange.ADDED:
        for person in participants_of(session):
            send_request(session, person)
    elif kind == SessionChange.RESCHEDULED:
        for person in participants_of(session):
            send_request(session, person, changed=True)
    elif kind == SessionChange.CANCELLED:
        for person in participants_of(session):
            send_cancel(session, person)
    elif kind == SessionChange.FACILITATORS:
        for person in _users(details.get("added_user_ids", ())):
            send_request(session, person)
        for person in _users(details.get("removed_user_ids", ())):
            send_cancel(session, person)


def upcoming_sessions(course: Course) -> list[CourseSession]:
    return [s for s in course.sessions if s.status == SessionStatus.SCHEDULED and _still_ahead(s)]


def on_course_change(course: Course, kind: str, **details: Any) -> None:
    """A course going public invites its facilitators to each session still ahead.

    Cancelling a course cancels its sessions one by one, and each of those is heard
    by ``on_session_change``; nothing more to send here.
    """
    if kind == CourseChange.PUBLISHED and course.status == CourseStatus.PUBLISHED:
        for session in upcoming_sessions(course):
            for person in facilitators_of(session):
                send_request(session, person)


def init_app(app: Flask) -> None:
    """Listen to changes of sessions, courses and places; name enrolled students."""
    extensions = app.extensions
    extensions.setdefault("courses.session_change_listeners", []).append(on_session_change)
    extensions.setdefault("courses.course_change_listeners", []).append(on_course_change)
    extensions.setdefault("courses.enrolment_listeners", []).append(on_enrolment)
    extensions.setdefault("courses.session_participants", []).append(enrolled_students)
    extensions.setdefault("courses.personal_feed_sources", []).append(enrolled_session_ids)
    register_renderer(app, RENDERER, render_invitation)
    calendar_choice_changed.connect(on_calendar_choice, sender=app)


# --- enrolled students -------------------------------------------------------------------------


def enrolled_students(session: CourseSession) -> list[User]:
    """Students with a confirmed place on the session's course (an offer is not yet one)."""
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    return list(
        db.session.scalars(
            sa.select(User)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(
                Enrolment.course_id == session.course_id,
                Enrolment.status == EnrolmentStatus.ENROLLED,
            )
            .order_by(User.id)
        )
    )


def on_enrolment(kind: str, enrolment: Any) -> None:
    """After the plain confirmation: a REQUEST per session ahead; CANCELs on withdrawal."""
    # The confirmation queued just before need not be flushed to read the sessions: it then
    # goes in with the invitations, one statement less while the course row is locked.
    with db.session.no_autoflush:
        sessions = upcoming_sessions(enrolment.course)
    for session in sessions:
        if kind == "enrolled":
            send_request(session, enrolment.student)
        elif kind == "withdrawn":
            withdraw_from(session, enrolment.student)


def enrolled_session_ids(user: User) -> sa.Select[Any]:
    """The personal feed's sessions from the person's confirmed places."""
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    return (
        sa.select(CourseSession.id)
        .join(Enrolment, Enrolment.course_id == CourseSession.course_id)
        .where(Enrolment.student_id == user.id, Enrolment.status == EnrolmentStatus.ENROLLED)
    )
