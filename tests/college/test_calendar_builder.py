"""The calendar builder: static time zones, DTSTAMP rules, raw text, iTIP methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from college.calendar import (
    CalendarEvent,
    Mailbox,
    Method,
    build_feed,
    build_invite,
    timezone_component,
)
from tests.calendar_checks import check_calendar

ZONE = "Europe/Copenhagen"
COPENHAGEN = ZoneInfo(ZONE)
CHANGED = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
COLLEGE = Mailbox("college@recovery-college.example", "Recovery College")
PERSON = Mailbox("åse@example.org", 'Åse Ærø; "Ø", Jr.')


def local(*args: int) -> datetime:
    """A local Copenhagen wall-clock time (never in the repeated autumn hour)."""
    return datetime(*args, tzinfo=COPENHAGEN)  # type: ignore[misc]


def event(
    uid: str = "session-1@college.test", start: datetime | None = None, **kw
) -> CalendarEvent:
    start = start or local(2030, 9, 10, 17, 0)
    values = {
        "uid": uid,
        "sequence": 0,
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "summary": "Mindfulness",
        "changed_at": CHANGED,
    }
    values.update(kw)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def test_the_time_zone_is_a_short_static_rule_for_copenhagen():
    text = timezone_component(ZONE, 2030).to_ical().decode()
    assert "TZID:Europe/Copenhagen" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "RDATE" not in text
    assert text.count("BEGIN:STANDARD") == 1 and text.count("BEGIN:DAYLIGHT") == 1
    assert "DTSTART:19700329T020000" in text and "DTSTART:19701025T030000" in text
    # Built once and shared by every calendar object.
    assert timezone_component(ZONE, 2030) is timezone_component(ZONE, 2030)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney", "Asia/Tokyo", "UTC"])
def test_other_zones_get_rules_that_every_parser_reads_the_same(zone: str):
    tz = ZoneInfo(zone)
    events = [
        event(f"e{n}@college.test", datetime(2030, month, 15, 12, 0, tzinfo=tz))
        for n, month in enumerate(range(1, 13))
    ]
    parsed = check_calendar(build_feed(events, zone_name=zone, name="Zones"))
    assert [e.starts_at for e in parsed.events] == [e.starts_at.astimezone(UTC) for e in events]


def test_times_either_side_of_both_clock_changes_are_the_same_instant_everywhere():
    starts = [
        local(2030, 3, 30, 17, 0),  # the Saturday before summer time
        local(2030, 3, 31, 10, 0),  # the Sunday it starts, after the change
        local(2030, 10, 26, 17, 0),  # the Saturday before winter time
        local(2030, 10, 27, 10, 0),  # the Sunday it ends, after the change
    ]
    events = [event(f"dst{n}@college.test", start) for n, start in enumerate(starts)]
    parsed = check_calendar(build_feed(events, zone_name=ZONE, name="DST"))
    assert [e.starts_at for e in parsed.events] == [s.astimezone(UTC) for s in starts]
    text = build_feed(events, zone_name=ZONE, name="DST").decode()
    assert "DTSTART;TZID=Europe/Copenhagen:20300331T100000" in text


def test_the_second_pass_of_the_repeated_hour_keeps_its_instant_in_utc():
    second = datetime(2030, 10, 27, 1, 30, tzinfo=UTC)  # 02:30 local, the second time
    parsed = check_calendar(build_feed([event(start=second)], zone_name=ZONE))
    assert parsed.events[0].starts_at == second


def test_naive_times_are_refused():
    naive = datetime(2030, 9, 10, 17, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="floating"):
        build_feed([event(start=naive)], zone_name=ZONE)


def test_text_goes_in_raw_and_comes_back_the_same_in_every_parser():
    title = 'Angst, uro; og "søvn"\nÆble, Ø, å — a very long title ' + "æøå" * 20
    injection = "Nice\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil"
    feed = build_feed(
        [event(summary=title, description=injection, location="Skolegade 12; 8000 Aarhus")],
        zone_name=ZONE,
        name="Café, ØST; test",
    )
    parsed = check_calendar(feed)
    (only,) = parsed.events
    assert only.summary == title
    assert only.description == injection.replace("\r\n", "\n")
    assert only.location == "Skolegade 12; 8000 Aarhus"
    assert feed.count(b"\r\nBEGIN:VEVENT\r\n") == 1
    assert parsed.properties["X-WR-CALNAME"] == "Café, ØST; test"


def test_a_feed_uses_the_last_change_as_dtstamp_and_holds_each_uid_once():
    first = build_feed([event(), event(), event("b@college.test")], zone_name=ZONE, name="F")
    again = build_feed([event("b@college.test"), event()], zone_name=ZONE, name="F")
    assert first == again
    calendar = icalendar.Calendar.from_ical(first)
    stamps = {e.decoded("DTSTAMP") for e in calendar.walk("VEVENT")}
    assert stamps == {CHANGED}
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")].count("session-1@college.test") == 1
    text = first.decode()
    for line in (
        "METHOD:PUBLISH",
        "NAME:F",
        "X-WR-CALNAME:F",
        "X-WR-TIMEZONE:Europe/Copenhagen",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert line + "\r\n" in text
    assert "ATTENDEE" not in text and "mailto:" not in text


def test_a_request_names_organizer_and_the_one_attendee_and_is_stamped_when_sent():
    sent = datetime(2030, 8, 1, 12, 0, 5, tzinfo=UTC)
    data = build_invite(
        event(sequence=3),
        method=Method.REQUEST,
        organizer=COLLEGE,
        attendee=PERSON,
        sent_at=sent,
        zone_name=ZONE,
    )
    parsed = check_calendar(data)
    assert parsed.method == "REQUEST"
    (only,) = parsed.events
    assert only.sequence == 3 and only.status == "CONFIRMED"
    assert only.attendees == ("mailto:åse@example.org",)
    assert only.organizer == "mailto:college@recovery-college.example"
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert vevent.decoded("DTSTAMP") == sent
    params = vevent["ATTENDEE"].params
    assert params["PARTSTAT"] == "NEEDS-ACTION" and params["RSVP"] == "FALSE", (
        "invitations ask for no reply"
    )
    assert params["CN"] == PERSON.name
    assert "X-WR-CALNAME" not in data.decode()


def test_a_cancel_always_carries_status_cancelled():
    data = build_invite(
        event(sequence=4),
        method=Method.CANCEL,
        organizer=COLLEGE,
        attendee=PERSON,
        sent_at=CHANGED,
        zone_name=ZONE,
    )
    parsed = check_calendar(data)
    assert parsed.method == "CANCEL"
    assert parsed.events[0].status == "CANCELLED"


def test_an_invitation_is_a_request_or_a_cancel():
    with pytest.raises(ValueError, match="REQUEST or a CANCEL"):
        build_invite(
            event(),
            method=Method.PUBLISH,
            organizer=COLLEGE,
            attendee=PERSON,
            sent_at=CHANGED,
            zone_name=ZONE,
        )


@pytest.mark.parametrize("method", [Method.REQUEST, Method.CANCEL])
def test_a_private_event_carries_class_private_in_invitations_and_feeds(method: Method):
    invite = build_invite(
        event(private=True),
        method=method,
        organizer=COLLEGE,
        attendee=PERSON,
        sent_at=CHANGED,
        zone_name=ZONE,
    )
    feed = build_feed([event(private=True)], zone_name=ZONE, name="Mine")
    for data in (invite, feed):
        vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
        assert vevent["CLASS"] == "PRIVATE"
    public = build_feed([event()], zone_name=ZONE, name="All")
    assert "CLASS" not in icalendar.Calendar.from_ical(public).walk("VEVENT")[0]
