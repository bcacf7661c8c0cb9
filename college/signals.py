"""Signals the core sends for the domain packages to act on (blinker, which Flask uses too).

The core names what happened; the packages that own the sessions decide what it means.
Receivers run inside the caller's transaction: they flush, never commit.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

calendar_choice_changed = signals.signal(
    "calendar-choice-changed",
    doc="""A person changed how they want their sessions in their calendar.

    Sent with the app as sender and ``user`` (the ``User``, already holding the new
    ``calendar_choice``). A package that sends invitations takes its entries out of the
    person's calendar when they chose the feed, and invites them again when they chose
    invitations.
    """,
)

calendar_reply_received = signals.signal(
    "calendar-reply-received",
    doc="""A calendar app answered one of the college's invitations (an iTIP REPLY).

    Sent with the app as sender and ``reply`` (a ``college.inbox.CalendarReply``): the
    person, who is the attendee the reply names and the address it came from, the UID,
    the RECURRENCE-ID if it answers one occurrence, and the PARTSTAT. Only DECLINED
    replies are sent; accepting changes nothing. A receiver that knows the UID acts on it
    and returns True; when no receiver does, the core logs the reply as unknown.
    """,
)
