"""An account being erased: its calendar entries ahead are taken out first."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from college.calendar import Mailbox, Method
from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from college.models import User
from college.outbox.queueing import Rendered, enqueue_described, render_email
from courses.invites.messages import SUBJECTS, write_itip
from courses.models import CalendarEntry, CourseSession
from courses.session_facts import Viewer, calendar_event, details_link, facts_of, neutral_title

log = logging.getLogger(__name__)

# --- an account being erased ----------------------------------------------------------------------

# The last mails to an erased person: written by the worker, naming neither them nor a course.
ERASED_RENDERER = "courses.calendar_erased"


@dataclass(frozen=True)
class Addressee:
    """Whom a message greets when the account is gone: the address it goes to."""

    display_name: str


def take_out_on_erasure(person: User, now: datetime | None = None) -> int:
    """Before an account is erased: CANCEL every entry ahead that the person holds.

    Called while the person and their entries are still there. Each invitation they hold
    (a weekly series, or a session's own) is taken out, whole when all of it is ahead, else
    week by week; the CANCELs name no person and no course (the message outlives the
    account), and are queued by description, so the erasure keeps them while it removes
    the rest of the person's unsent mail. Returns the number of messages.
    """
    now = now or now_utc()
    rows = db.session.execute(
        sa.select(CalendarEntry, CourseSession)
        .join(CourseSession, CalendarEntry.session_id == CourseSession.id)
        .where(CalendarEntry.user_id == person.id)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
    by_uid: dict[str, list[tuple[CalendarEntry, CourseSession]]] = defaultdict(list)
    for entry, session in rows:
        by_uid[entry.uid].append((entry, session))
    viewer = Viewer(0, True, taking_part=False)  # nobody's: discreet, no meeting link
    written = 0
    with force_language(person.language):
        for uid, held in by_uid.items():
            ahead = [(e, s) for e, s in held if e.digest is not None and s.ends_at > now]
            if not ahead:
                continue
            whole = len(ahead) == len(held)
            sequence = max(e.sequence for e, _s in held) + 1
            events = []
            for entry, session in ahead:
                facts = replace(facts_of(session), facilitators=(), cancelled=False)
                event = replace(calendar_event(facts, viewer), uid=uid, sequence=sequence)
                recurrence = (entry.shown or {}).get("recurrence_id")
                if not whole and recurrence:
                    event = replace(event, recurrence_id=datetime.fromisoformat(recurrence))
                events.append(event)
            if whole:
                events = events[:1]  # one CANCEL of the UID takes all of it away
            ics = write_itip(events, Method.CANCEL, Mailbox(person.email, person.email), now)
            first = facts_of(ahead[0][1])
            enqueue_described(
                person.email,
                ERASED_RENDERER,
                {
                    "email": person.email,
                    "language": person.language,
                    "sessions": [
                        [s.starts_at.isoformat(), s.ends_at.isoformat()] for _e, s in ahead
                    ],
                    "details_url": details_link(first, viewer),
                    "ics": ics,
                },
                summary="Calendar: no longer in your calendar (account erased)",
                calendar_method=str(Method.CANCEL),
            )
            written += 1
    log.info("calendar CANCEL queued on erasure user=%s count=%s", person.id, written)
    return written


def render_erased(payload: dict[str, Any]) -> Rendered:
    """Write an erased person's last CANCEL: no name and no course, only times and a link."""
    language = payload.get("language")
    with force_language(language):
        title = neutral_title()
        subject = SUBJECTS["taken_out"] % {"title": title}
    return render_email(
        Addressee(payload["email"]),  # type: ignore[arg-type]
        language,
        "calendar/cancel",
        subject,
        calendar=(str(Method.CANCEL), payload["ics"]),
        title=title,
        updated=False,
        session_cancelled=False,
        taken_out=True,
        sessions=[
            (datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in payload["sessions"]
        ],
        details_url=payload["details_url"],
    )
