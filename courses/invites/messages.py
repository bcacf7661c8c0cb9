"""Writing one invitation: its iTIP text and the mail around it, in the person's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from college.calendar import CalendarEvent, Mailbox, Method, build_invite
from college.languages import force_language
from college.models import User
from college.outbox.queueing import Rendered, render_email
from college.signals import extension_points
from college.templating import format_when
from college.urls import absolute_url
from courses.invites.plans import Outgoing
from courses.session_facts import SessionFacts, Viewer, calendar_event, details_link

SUBJECTS = {
    "new": _l("Invitation: %(title)s, %(when)s"),
    "new_series": _l("Invitation: %(title)s, %(count)s sessions from %(when)s"),
    "changed": _l("Changed: %(title)s, %(when)s"),
    "cancelled": _l("Cancelled: %(title)s, %(when)s"),
    "removed": _l("Removed from this session: %(title)s, %(when)s"),
    "removed_series": _l("Removed from these sessions: %(title)s"),
    # The person follows the sessions in the feed now: they still take part.
    "taken_out": _l("No longer in your calendar: %(title)s"),
}


def answer_page(teaches: bool) -> str:
    """Where a person tells the college they cannot come: their schedule, or My courses."""
    # A package whose pages let teachers say they cannot come names its endpoint.
    endpoint = extension_points().teaching_page_endpoint if teaches else None
    return absolute_url(endpoint or "enrolment.my_courses")


def not_by_reply(page: str) -> str:
    """The invitation's word that a calendar app's answer reaches nobody."""
    return _(
        "Answering this invitation in your calendar app does not tell us anything. "
        "If you cannot come, tell us here: %(link)s",
        link=page,
    )


# --- writing the messages -------------------------------------------------------------------------


def write_itip(
    events: list[CalendarEvent], method: Method, attendee: Mailbox, sent_at: datetime
) -> str:
    """One iTIP message: the first event is the master (or the only one), the rest overrides."""
    return build_invite(
        events[0],
        overrides=events[1:],
        method=method,
        organizer=_organizer(),
        attendee=attendee,
        sent_at=sent_at,
        zone_name=current_app.config["COLLEGE_TIMEZONE"],
    ).decode("utf-8")


def _organizer() -> Mailbox:
    config = current_app.config
    return Mailbox(config["MAIL_DEFAULT_SENDER"], config["COLLEGE_NAME"])


def _subject(out: Outgoing, title: str, first: SessionFacts) -> str:
    when = format_when(first.starts_at)
    key = out.occasion
    if out.method == Method.REQUEST and key == "new" and len(out.sessions) > 1:
        key = "new_series"
    if key == "removed" and out.taken_out:
        key = "taken_out"
    if key == "removed" and len(out.sessions) > 1:
        key = "removed_series"
    return str(SUBJECTS[key] % {"title": title, "when": when, "count": len(out.sessions)})


def build_calendar(person: User, out: Outgoing, sequence: int, sent_at: datetime) -> str:
    """The iTIP text of one message, in the person's language.

    A REQUEST's entries say that answering in a calendar app reaches nobody (Outlook shows
    the description as the invitation's body); that line is not part of what is compared.
    """
    events = [replace(e, sequence=sequence) for e in out.events]
    with force_language(person.language):
        if out.method == Method.REQUEST:
            teaches = any(uid == person.id for uid, _n, _p in out.sessions[0].facilitators)
            note = not_by_reply(answer_page(teaches))
            events = [replace(e, description=f"{e.description}\n\n{note}") for e in events]
        return write_itip(events, out.method, Mailbox(person.email, person.display_name), sent_at)


def write_mail(person: User, out: Outgoing, ics: str) -> Rendered:
    """The mail around an invitation: what it is about, and what changed, old and new."""
    viewer = Viewer(person.id, person.discreet)
    first = out.sessions[0]
    changed = [(f, rows) for f, rows in out.changes if rows]
    with force_language(person.language):
        title = calendar_event(replace(first, cancelled=False), viewer).summary
        subject = _subject(out, title, changed[0][0] if changed else first)
    return render_email(
        person,
        person.language,
        f"calendar/{'cancel' if out.method == Method.CANCEL else 'request'}",
        subject,
        calendar=(str(out.method), ics),
        title=title,
        updated=out.occasion == "changed",
        session_cancelled=out.occasion == "cancelled",
        taken_out=out.taken_out,
        sessions=[(f.starts_at, f.ends_at) for f in out.sessions],
        changes=[(f.starts_at, f.ends_at, rows) for f, rows in changed],
        location=out.events[0].location,
        meeting_link=first.meeting_link if first.online and out.method == Method.REQUEST else None,
        details_url=details_link(first, viewer),
        teaches=any(uid == person.id for uid, _n, _p in first.facilitators),
        colleagues=[name for uid, name, _p in first.facilitators if uid != person.id],
        calendar_page=absolute_url("me.calendar"),
        answer_page=answer_page(any(uid == person.id for uid, _n, _p in first.facilitators)),
    )
