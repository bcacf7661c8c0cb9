"""Calendar invitations by email (iTIP over iMIP): what an entry shows is what was last sent.

The rule: for every person and every upcoming session they take part in, the last
invitation the college sent them shows the event it would send now. Nothing here lists the
changes that matter. Each round of the mail worker (``reconcile``) renders, for every
upcoming session and every person who takes part in it (``invitees``), the event exactly as
that person's calendar would show it (title or neutral title, times, place, link, teachers,
description, in their language), and compares a digest of it with the digest stored when it
was last sent to them (``CalendarEntry``). Only where the two differ is a message written,
and only to that person: a renamed course, a venue's new meeting link, a replaced teacher,
a person turning discreet mode on — and any field added to the event later — reach exactly
the people whose entry changes, because the comparison is of what the entry shows.

Why in the mail worker's round, and not at the end of each writing transaction: the round
needs no list of the writes that may change an event (an edit of a venue, a rename, a
person's settings, cover), so none can be forgotten; changes made together, in one form or
in several quick requests, are sent together; and nothing is added to the requests
themselves, among them a sign-up holding its course's row. The price is a few seconds'
delay, which mail has anyway. One worker reconciles at a time (a transaction-level
advisory lock on PostgreSQL), so two workers never send the same update.

What is sent, per person and course:

- a course whose sessions follow a weekly pattern is ONE invitation: a weekly RRULE in the
  college's zone with EXDATE for the weeks without a session, and an override (RECURRENCE-ID)
  for a session that moved or shows something else (another teacher). Other courses get one
  invitation per session, under the session's own UID;
- a change sends the whole invitation again (REQUEST, SEQUENCE + 1, which every client
  applies), saying in its text what changed, old and new; a single week of a series that
  is cancelled, or that the person no longer takes part in, when nothing else changed, is
  a CANCEL of that week alone; an invitation the person no longer holds at all is a CANCEL
  of its UID. A cancelled session and one the person was removed from are worded apart;
- a mail about a place (the confirmation of a place, a withdrawal) still waiting to be
  written carries the invitation itself, so enrolling in a weekly course is one mail.

The SEQUENCE is kept per person and course: every message a person receives about a course
carries a higher number than the one before, whatever it changed.

Modules: ``plans`` (who takes part, and what each person must be sent), ``messages``
(the iTIP text and the mail around it), ``rounds`` (the mail worker's round), ``erasure``
(an account's entries taken out before it is erased).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from college import signals
from college.models import User
from college.outbox.queueing import register_mail_preparer, register_renderer
from college.signals import extension_points
from courses.invites.erasure import ERASED_RENDERER, render_erased, take_out_on_erasure
from courses.invites.messages import build_calendar, write_mail
from courses.invites.plans import (
    FIELD_LABELS,
    Occurrence,
    Outgoing,
    course_of_series,
    invitees,
    plan_person,
    read_occurrences,
    series_uid,
)
from courses.invites.rounds import reconcile
from courses.models import CourseSession

__all__ = [
    "FIELD_LABELS",
    "Occurrence",
    "Outgoing",
    "build_calendar",
    "init_app",
    "invitees",
    "plan_person",
    "read_occurrences",
    "reconcile",
    "series_uid",
    "take_out_on_erasure",
    "write_mail",
]


def init_app(app: Flask) -> None:
    """Reconcile calendars before the mail worker writes mail; name enrolled students'
    sessions for their feed, and the course a reply to a weekly invitation is about."""
    signals.personal_feed_requested.connect(enrolled_session_ids, sender=app)
    extension_points(app).series_lookups.append(course_of_series)
    register_mail_preparer(app, reconcile)
    register_renderer(app, ERASED_RENDERER, render_erased)


def enrolled_session_ids(_app: Flask, *, user: User) -> sa.Select[Any]:
    """The personal feed's sessions from the person's confirmed places."""
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    return (
        sa.select(CourseSession.id)
        .join(Enrolment, Enrolment.course_id == CourseSession.course_id)
        .where(Enrolment.student_id == user.id, Enrolment.status == EnrolmentStatus.ENROLLED)
    )
