"""A calendar client in miniature: invitations applied as a client applies them.

Each person's calendar keeps, per UID, the last REQUEST it accepted (a REQUEST or CANCEL
with a lower SEQUENCE than the one held is ignored, as RFC 5546 says) and the weeks of it
that a CANCEL with a RECURRENCE-ID took away. What it shows is every instance of those
invitations, expanded by ``recurring-ical-events``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import icalendar
import recurring_ical_events

from tests.calendar_checks import FAR_FUTURE, FAR_PAST

# What a person sees of one entry: start and end (UTC), title, place, description.
Shown = tuple[datetime, datetime, str, str, str]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# An invitation adds where to say "I cannot come" (never a reply); a feed has no need to.
ANSWER_PAGES = ("/me/courses", "/peers/schedule")


def _description(text: str) -> str:
    paragraphs = text.split("\n\n")
    return "\n\n".join(p for p in paragraphs if not any(page in p for page in ANSWER_PAGES))


def _shown(event: icalendar.Event) -> Shown:
    return (
        _utc(event.decoded("DTSTART")),
        _utc(event.decoded("DTEND")),
        str(event.get("SUMMARY", "")),
        str(event.get("LOCATION", "")),
        _description(str(event.get("DESCRIPTION", ""))),
    )


@dataclass
class Held:
    sequence: int
    calendar: icalendar.Calendar
    removed_weeks: set[datetime] = field(default_factory=set)


@dataclass
class ModelCalendar:
    entries: dict[str, Held] = field(default_factory=dict)

    def apply(self, text: str) -> None:
        calendar = icalendar.Calendar.from_ical(text)
        method = str(calendar["METHOD"])
        events = list(calendar.walk("VEVENT"))
        uid = str(events[0]["UID"])
        sequence = int(events[0].get("SEQUENCE", 0))
        held = self.entries.get(uid)
        if held is not None and sequence < held.sequence:
            return  # out of date: a client keeps what it has
        if method == "REQUEST":
            self.entries[uid] = Held(sequence, calendar)
        elif all("RECURRENCE-ID" not in e for e in events):
            self.entries.pop(uid, None)
        elif held is not None:
            held.sequence = sequence
            held.removed_weeks |= {_utc(e.decoded("RECURRENCE-ID")) for e in events}

    def shows(self) -> set[Shown]:
        found = set()
        for held in self.entries.values():
            for event in recurring_ical_events.of(held.calendar).between(FAR_PAST, FAR_FUTURE):
                week = event.get("RECURRENCE-ID")
                key = _utc(week.dt) if week is not None else _utc(event.decoded("DTSTART"))
                if key not in held.removed_weeks:
                    found.add(_shown(event))
        return found


def feed_shows(data: bytes) -> set[Shown]:
    """What a feed shows as taking place (a cancelled session stays a while, marked so)."""
    calendar = icalendar.Calendar.from_ical(data)
    return {
        _shown(event)
        for event in calendar.walk("VEVENT")
        if str(event.get("STATUS", "")) != "CANCELLED"
    }
