"""A teacher's "Decline" in a calendar app is their "I can't make it" (see ``college.inbox``).

Cover opens exactly as from the button on their schedule, and they get a mail that says
so, with the way to take it back (withdrawing the absence on the schedule). A reply for a
whole recurring series is not read as an absence from every session: that is too much to
decide from one click, so it is left to the person (the core logs it as not acted on).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from college.db import now_utc
from college.errors import DomainError
from college.signals import calendar_reply_received
from courses.models import SessionStatus
from courses.replies import answered_by
from peers.services.availability import absent_user_ids, cannot_make_it
from peers.services.mail import notify

log = logging.getLogger(__name__)


def on_teacher_reply(_app: Flask, *, reply: Any) -> bool:
    """DECLINED by someone who teaches the session: "I can't make it", and a mail saying so."""
    answered = answered_by(reply.uid, reply.recurrence_id)
    session = answered.session if answered is not None else None
    person = reply.person
    if session is None or person.id not in {f.user_id for f in session.facilitators}:
        return False
    if session.status != SessionStatus.SCHEDULED or session.ends_at <= now_utc():
        log.info("session %s: declined by a teacher too late", session.id)
        return True
    if absent_user_ids([person.id], session.starts_at, session.ends_at):
        return True  # already said so, by the button or an earlier reply
    try:
        cannot_make_it(person, session)
    except DomainError as error:  # e.g. the session has just begun
        log.info("session %s: declined, not recorded (%s)", session.id, type(error).__name__)
        return True
    notify(person, "declined_session", course_session=session)
    log.info("session %s: a teacher's calendar reply is taken as an absence", session.id)
    return True


def init_app(app: Flask) -> None:
    calendar_reply_received.connect(on_teacher_reply, sender=app)
