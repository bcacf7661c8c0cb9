"""The one iCalendar builder: plain event data in, RFC 5545 bytes out.

Feeds (``METHOD:PUBLISH``) and invitations (iTIP ``REQUEST`` / ``CANCEL``, sent by
email as iMIP) are both built here, so every calendar the college sends follows the same
rules:

- times are written in the college's zone with a matching VTIMEZONE, never floating;
- the VTIMEZONE is a short, static, RRULE-style one derived from the zone's current
  rules (Outlook misreads the long RDATE lists that a full history produces), built once
  per zone and year and shared by every calendar object;
- DTSTAMP is the moment of sending for an invitation and the event's last change for a
  feed, so a feed's bytes do not change between two fetches when nothing changed;
- a weekly series is one event with a weekly RRULE in the college's zone (the wall-clock
  time holds across clock changes), an EXDATE per week left out, and an override per week
  that differs, named by its RECURRENCE-ID; all of them share the invitation's UID;
- text goes to the library raw; it escapes commas, semicolons, newlines and folds lines
  at 75 octets itself, which also keeps a CR/LF in a title from injecting properties.

Nothing here knows about courses or the database: callers pass plain dataclasses.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
)

from college.text import multi_line, single_line

PRODUCT_ID = "-//Recovery College//Course calendar 1.0//EN"
# How often subscribers are asked to fetch a feed again.
REFRESH_INTERVAL = timedelta(hours=1)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The static rules are checked against the zone's real changes for this many years ahead.
RULE_CHECK_YEARS = 10


class Method(StrEnum):
    PUBLISH = "PUBLISH"
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Mailbox:
    """An organiser or attendee: an email address and the name shown for it."""

    email: str
    name: str


@dataclass(frozen=True)
class CalendarEvent:
    """One event, with aware datetimes; ``changed_at`` is its last organiser-side change."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    changed_at: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    created_at: datetime | None = None
    # A weekly series: this event is the first of ``weekly_count`` weeks (RRULE in the
    # college's zone, so the wall-clock time holds across clock changes), less the
    # ``excluded`` weeks (EXDATE). An override of one week names it in ``recurrence_id``.
    weekly_count: int | None = None
    excluded: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None
    # A discreet person's entry: shared calendars show it as busy, without its text.
    private: bool = False


# --- the time zone ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A yearly change of offset: the nth (or last, -1) weekday of a month at a wall time."""

    month: int
    weekday: int
    nth: int
    wall_time: timedelta
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    def local_moment(self, year: int) -> datetime:
        """The wall-clock moment (in the offset before the change) of the change in ``year``."""
        days = [
            day
            for week in gregorian.Calendar().monthdatescalendar(year, self.month)
            for day in week
            if day.month == self.month and day.weekday() == self.weekday
        ]
        day = days[self.nth - 1] if self.nth > 0 else days[self.nth]
        return datetime.combine(day, datetime.min.time()) + self.wall_time

    def instant(self, year: int) -> datetime:
        return (self.local_moment(year) - self.offset_from).replace(tzinfo=UTC)


def _offset(zone: tzinfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    if offset is None:  # pragma: no cover - zoneinfo always knows its offset
        raise ValueError(f"{zone} has no UTC offset at {moment}")
    return offset


def _changes_in(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in ``year`` at which the zone's offset changes, to the second."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    changes = []
    previous = _offset(zone, start)
    for day in range(1, 367):
        moment = start + timedelta(days=day)
        current = _offset(zone, moment)
        if current == previous:
            continue
        low, high = moment - timedelta(days=1), moment
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if _offset(zone, middle) == previous:
                low = middle
            else:
                high = middle
        if high.year == year:
            changes.append(high.replace(microsecond=0))
        previous = current
    return changes


def _rule_for(zone: ZoneInfo, instant: datetime) -> _Rule:
    offset_from = _offset(zone, instant - timedelta(seconds=1))
    after = instant.astimezone(zone)
    wall = (instant + offset_from).replace(tzinfo=None)
    last_day = gregorian.monthrange(wall.year, wall.month)[1]
    nth = -1 if wall.day + 7 > last_day else (wall.day - 1) // 7 + 1
    return _Rule(
        month=wall.month,
        weekday=wall.weekday(),
        nth=nth,
        wall_time=wall - datetime.combine(wall.date(), datetime.min.time()),
        offset_from=offset_from,
        offset_to=_offset(zone, instant),
        name=after.tzname() or zone.key,
        daylight=bool(after.dst()),
    )


def _rules_hold(zone: ZoneInfo, rules: list[_Rule], year: int) -> bool:
    for later in range(year + 1, year + 1 + RULE_CHECK_YEARS):
        expected = sorted(rule.instant(later) for rule in rules)
        if _changes_in(zone, later) != expected:
            return False
    return True


def _sub_component(rule: _Rule) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if rule.daylight else TimezoneStandard()
    part.add("dtstart", rule.local_moment(1970))
    part.add("tzoffsetfrom", rule.offset_from)
    part.add("tzoffsetto", rule.offset_to)
    part.add("tzname", rule.name)
    part.add(
        "rrule",
        {
            "freq": "yearly",
            "bymonth": rule.month,
            "byday": f"{rule.nth}{WEEKDAY_CODES[rule.weekday]}",
        },
    )
    return part


def _fixed_offset_zone(zone: ZoneInfo, year: int) -> Timezone:
    moment = datetime(year, 1, 1, tzinfo=UTC)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))  # noqa: DTZ001 - VTIMEZONE wall time
    standard.add("tzoffsetfrom", _offset(zone, moment))
    standard.add("tzoffsetto", _offset(zone, moment))
    standard.add("tzname", moment.astimezone(zone).tzname() or zone.key)
    component = Timezone()
    component.add("tzid", zone.key)
    component.add_component(standard)
    return component


@cache
def timezone_component(zone_name: str, year: int) -> Timezone:
    """A static VTIMEZONE for ``zone_name`` from the rules in force in ``year``.

    Built once per zone and year and shared: treat it as read-only. A zone whose changes
    cannot be written as yearly "nth weekday of a month" rules falls back to the
    library's transition list.
    """
    zone = ZoneInfo(zone_name)
    changes = _changes_in(zone, year)
    if not changes:
        return _fixed_offset_zone(zone, year)
    rules = [_rule_for(zone, instant) for instant in changes]
    if not _rules_hold(zone, rules, year):
        return Timezone.from_tzid(
            zone_name, first_date=date(year - 1, 1, 1), last_date=date(year + 5, 12, 31)
        )
    component = Timezone()
    component.add("tzid", zone.key)
    for rule in sorted(rules, key=lambda r: r.daylight):
        component.add_component(_sub_component(rule))
    return component


def _zone_for_now(zone_name: str) -> Timezone:
    return timezone_component(zone_name, datetime.now(UTC).year)


# --- events -------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be aware; floating times are never written")
    return moment.astimezone(UTC).replace(microsecond=0)


def _calendar_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment in the college's zone; in UTC when its local time happens twice.

    A local time in the repeated autumn hour is read as its first occurrence by
    every client, so the second occurrence is written in UTC to keep its instant.
    """
    local = _utc(moment).astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return _utc(moment)
    return local


def _vevent(event: CalendarEvent, zone: ZoneInfo, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _utc(stamp))
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", _calendar_time(event.recurrence_id, zone))
    vevent.add("dtstart", _calendar_time(event.starts_at, zone))
    vevent.add("dtend", _calendar_time(event.ends_at, zone))
    if event.weekly_count is not None:
        vevent.add("rrule", {"freq": "weekly", "count": event.weekly_count})
    for week in event.excluded:
        # One EXDATE per week: a list shares one TZID, and a week in the repeated autumn
        # hour would be written in UTC (see ``_calendar_time``).
        vevent.add("exdate", _calendar_time(week, zone))
    # No control character but line breaks and tabs (which iCalendar escapes): the forms
    # clean what is typed, and this keeps a value stored before they did from breaking it.
    vevent.add("summary", multi_line(event.summary))
    if event.description:
        vevent.add("description", multi_line(event.description))
    if event.location:
        vevent.add("location", multi_line(event.location))
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if event.private:
        vevent.add("class", "PRIVATE")
    if event.created_at is not None:
        vevent.add("created", _utc(event.created_at))
    vevent.add("last-modified", _utc(event.changed_at))
    return vevent


def _calendar(zone_name: str, method: Method) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", str(method))
    calendar.add_component(_zone_for_now(zone_name))
    return calendar


def _address(mailbox: Mailbox, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{mailbox.email}")
    address.params["CN"] = single_line(mailbox.name)
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def build_feed(
    events: Iterable[CalendarEvent], *, zone_name: str, name: str = "", description: str = ""
) -> bytes:
    """A feed: each event once, in start order, no attendees or addresses.

    With a ``name`` it is a subscription (named, with a refresh interval); without one it
    is a file to import once, e.g. a single session.
    """
    calendar = _calendar(zone_name, Method.PUBLISH)
    name = single_line(name)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        if description:
            calendar.add("x-wr-caldesc", multi_line(description))
        calendar.add("x-wr-timezone", zone_name)
        calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    seen: set[str] = set()
    entries = []
    for event in sorted(events, key=lambda e: (_utc(e.starts_at), e.uid)):
        if event.uid in seen:
            continue
        seen.add(event.uid)
        entries.append(_feed_entry(event, zone_name))
    # The same bytes the library writes for the whole calendar: its events come last.
    frame = calendar.to_ical()
    return frame.removesuffix(CALENDAR_END) + b"".join(entries) + CALENDAR_END


CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=20_000)  # about 10 MB per process
def _feed_entry(event: CalendarEvent, zone_name: str) -> bytes:
    """One feed event's text, cached: the library takes milliseconds to fold its lines.

    The event is frozen and its fields are all the text depends on (its stamp is its
    last change), so two equal events always give the same bytes; any change (a new
    sequence, time, title, language or discretion) is a new key.
    """
    return _vevent(event, ZoneInfo(zone_name), event.changed_at).to_ical()


def build_invite(
    event: CalendarEvent,
    *,
    method: Method,
    organizer: Mailbox,
    attendee: Mailbox,
    sent_at: datetime,
    zone_name: str,
    overrides: Sequence[CalendarEvent] = (),
) -> bytes:
    """An iTIP REQUEST or CANCEL for one event that lists only the one participant.

    ``overrides`` are weeks of a series that differ from its rule (same UID, each with a
    RECURRENCE-ID); a CANCEL of single weeks passes those weeks as ``event`` and
    ``overrides``, each with its RECURRENCE-ID, and no master.

    It asks for no reply (``RSVP=FALSE``); the replies calendar apps send anyway are read
    by ``college.inbox``.
    """
    if method not in (Method.REQUEST, Method.CANCEL):
        raise ValueError(f"an invitation is a REQUEST or a CANCEL, not {method}")
    if any(other.uid != event.uid for other in overrides):
        raise ValueError("an invitation carries one UID")
    calendar = _calendar(zone_name, method)
    for part in (event, *overrides):
        if method == Method.CANCEL and not part.cancelled:
            part = replace(part, cancelled=True)
        vevent = _vevent(part, ZoneInfo(zone_name), sent_at)
        vevent.add("organizer", _address(organizer))
        vevent.add(
            "attendee",
            _address(
                attendee,
                cutype="INDIVIDUAL",
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                # Replies reach no person: the college is told through its own pages.
                rsvp="FALSE",
            ),
        )
        calendar.add_component(vevent)
    return calendar.to_ical()
