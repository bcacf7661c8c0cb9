"""Check calendar text the way calendar clients will read it, with three independent parsers.

``check_calendar`` asserts the rules every calendar the college sends must follow (CRLF,
lines of at most 75 octets, a VTIMEZONE for every TZID) and parses the text with Python's
``icalendar``, ``vobject`` and Mozilla's ``ical.js`` under Node; every parser must agree on
each event's UID, SEQUENCE, STATUS and start and end as UTC instants, and on the instances a
calendar shows once weekly rules, EXDATEs and RECURRENCE-ID overrides are applied (icalendar
through ``recurring-ical-events``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import vobject

ROOT = Path(__file__).resolve().parent.parent
NODE_SCRIPT = Path(__file__).with_name("ical_parse.mjs")
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    sequence: int
    status: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    location: str
    attendees: tuple[str, ...]
    organizer: str | None
    recurrence_id: datetime | None = None
    rrule: str = ""
    excluded: tuple[datetime, ...] = ()


# (UID, the week it stands for, start, end, summary): one entry as a calendar shows it.
Instance = tuple[str, datetime, datetime, datetime, str]


@dataclass(frozen=True)
class ParsedCalendar:
    method: str | None
    events: list[ParsedEvent]
    properties: dict[str, str]
    instances: list[Instance]

    def by_uid(self) -> dict[str, ParsedEvent]:
        return {event.uid: event for event in self.events}


def node_problem() -> str | None:
    """Why ical.js cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ROOT / "node_modules" / "ical.js" / "package.json").exists():
        return "ical.js is not installed (run `make node-tools`)"
    return None


def parse_with_icaljs(texts: list[bytes]) -> list[dict[str, Any]] | None:
    """ical.js's reading of each text, in one Node process; None when Node is missing."""
    problem = node_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"ical.js is required in CI: {problem}")
        return None
    payload = json.dumps([text.decode("utf-8") for text in texts]).encode("utf-8")
    result = subprocess.run(
        ["node", str(NODE_SCRIPT)],
        input=payload,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def check_lines(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, f"bare line break in {line!r}"
        assert len(line) <= 75, f"{len(line)} octets: {line!r}"


def _utc(value: Any) -> datetime:
    assert isinstance(value, datetime), f"{value!r} is a date, not a time"
    assert value.tzinfo is not None, f"{value!r} is a floating time"
    return value.astimezone(UTC)


def _parse_icalendar(data: bytes) -> ParsedCalendar:
    calendar = icalendar.Calendar.from_ical(data)
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    events = []
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            tzid = event[name].params.get("TZID")
            assert tzid is None or tzid in zones, f"{name} uses {tzid} without a VTIMEZONE"
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        organizer = event.get("ORGANIZER")
        excluded = event.get("EXDATE", [])
        if not isinstance(excluded, list):
            excluded = [excluded]
        recurrence = event.get("RECURRENCE-ID")
        events.append(
            ParsedEvent(
                uid=str(event["UID"]),
                sequence=int(event.get("SEQUENCE", 0)),
                status=str(event.get("STATUS", "")),
                starts_at=_utc(event.decoded("DTSTART")),
                ends_at=_utc(event.decoded("DTEND")),
                summary=str(event.get("SUMMARY", "")),
                description=str(event.get("DESCRIPTION", "")),
                location=str(event.get("LOCATION", "")),
                attendees=tuple(str(a) for a in attendees),
                organizer=str(organizer) if organizer is not None else None,
                recurrence_id=_utc(recurrence.dt) if recurrence is not None else None,
                rrule=event["RRULE"].to_ical().decode() if "RRULE" in event else "",
                excluded=tuple(_utc(d.dt) for group in excluded for d in group.dts),
            )
        )
    method = calendar.get("METHOD")
    properties = {str(k): str(v) for k, v in calendar.property_items(recursive=False)}
    return ParsedCalendar(
        str(method) if method else None, events, properties, _instances_icalendar(calendar)
    )


FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)


def _instances_icalendar(calendar: icalendar.Calendar) -> list[Instance]:
    """The entries a calendar shows, expanded by ``recurring-ical-events``."""
    masters = {str(e["UID"]) for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e}
    found = []
    for event in recurring_ical_events.of(calendar).between(FAR_PAST, FAR_FUTURE):
        uid = str(event["UID"])
        if uid not in masters:
            continue  # a CANCEL of single weeks names weeks, not entries
        recurrence = event.get("RECURRENCE-ID")
        start = _utc(event.decoded("DTSTART"))
        key = _utc(recurrence.dt) if recurrence is not None else start
        found.append((uid, key, start, _utc(event.decoded("DTEND")), str(event.get("SUMMARY"))))
    return sorted(found)


def _instances_vobject(data: bytes) -> list[Instance]:
    calendar = vobject.readOne(data.decode("utf-8"))
    events = list(getattr(calendar, "vevent_list", []))
    overrides = {
        (e.uid.value, _utc(e.recurrence_id.value)): e for e in events if hasattr(e, "recurrence_id")
    }
    found = []
    for event in events:
        if hasattr(event, "recurrence_id"):
            continue
        length = event.dtend.value - event.dtstart.value
        starts = list(event.getrruleset(addRDate=True)) if hasattr(event, "rrule") else []
        for start in starts or [event.dtstart.value]:
            key = _utc(start)
            other = overrides.get((event.uid.value, key))
            if other is not None:
                instance = (_utc(other.dtstart.value), _utc(other.dtend.value), other.summary.value)
            else:
                instance = (key, _utc(start + length), event.summary.value)
            found.append((event.uid.value, key, *instance))
    return sorted(found)


def _parse_vobject(
    data: bytes,
) -> list[tuple[str, int, str, datetime, datetime, str, datetime | None]]:
    calendar = vobject.readOne(data.decode("utf-8"))
    found = []
    for event in getattr(calendar, "vevent_list", []):
        found.append(
            (
                event.uid.value,
                int(event.sequence.value) if hasattr(event, "sequence") else 0,
                event.status.value if hasattr(event, "status") else "",
                _utc(event.dtstart.value),
                _utc(event.dtend.value),
                event.summary.value,
                _utc(event.recurrence_id.value) if hasattr(event, "recurrence_id") else None,
            )
        )
    return found


def check_calendars(texts: list[bytes]) -> list[ParsedCalendar]:
    """Assert the shared rules and that all three parsers read the same events, for each text."""
    results = []
    for data in texts:
        check_lines(data)
        results.append(_parse_icalendar(data))
    expected = [
        [
            (e.uid, e.sequence, e.status, e.starts_at, e.ends_at, e.summary, e.recurrence_id)
            for e in parsed.events
        ]
        for parsed in results
    ]
    assert [_parse_vobject(data) for data in texts] == expected
    icaljs = parse_with_icaljs(texts) if texts else []
    if icaljs is not None:
        assert [c["method"] for c in icaljs] == [parsed.method for parsed in results]
        seen = [
            [
                (
                    e["uid"],
                    e["sequence"],
                    e["status"],
                    datetime.fromisoformat(e["dtstart"]),
                    datetime.fromisoformat(e["dtend"]),
                    e["summary"],
                    datetime.fromisoformat(e["recurrence"]) if e["recurrence"] else None,
                )
                for e in calendar["events"]
            ]
            for calendar in icaljs
        ]
        assert seen == expected
        # A TZID that ical.js could not resolve would leave the time floating.
        assert all(e["zone"] != "floating" for c in icaljs for e in c["events"])
        instances = [
            sorted(
                (
                    i["uid"],
                    datetime.fromisoformat(i["recurrence"]),
                    datetime.fromisoformat(i["dtstart"]),
                    datetime.fromisoformat(i["dtend"]),
                    i["summary"],
                )
                for i in calendar["instances"]
            )
            for calendar, parsed in zip(icaljs, results, strict=True)
        ]
        assert instances == [parsed.instances for parsed in results]
    assert [_instances_vobject(data) for data in texts] == [parsed.instances for parsed in results]
    return results


def check_calendar(data: bytes) -> ParsedCalendar:
    return check_calendars([data])[0]
