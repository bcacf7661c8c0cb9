"""Subscription feeds and "add to calendar" downloads: content, caching, privacy, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import services as college_services
from college import signals
from college.db import now_utc
from college.extensions import db
from college.models import User
from courses import feeds
from courses.models import CourseSession, CourseStatus, SessionStatus, Topic
from courses.times import local_date
from tests import factories
from tests.calendar_checks import check_calendar

ZONE = ZoneInfo("Europe/Copenhagen")


def local_moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def next_clock_changes() -> list[date]:
    """The local dates of the next two clock changes (one in spring, one in autumn)."""
    found: list[date] = []
    day = now_utc().astimezone(ZONE).date() + timedelta(days=8)
    previous = datetime.combine(day, time(12), tzinfo=ZONE).utcoffset()
    while len(found) < 2:
        day += timedelta(days=1)
        offset = datetime.combine(day, time(12), tzinfo=ZONE).utcoffset()
        if offset != previous:
            found.append(day)
            previous = offset
    return found


def soon(days: int, hour: int = 17) -> datetime:
    return local_moment(now_utc().astimezone(ZONE).date() + timedelta(days=days), hour)


def course_with(starts: list[datetime], **kwargs: object):
    peer, trainer = factories.make_peer(), factories.make_trainer()
    course = factories.make_course(status=CourseStatus.PUBLISHED, pair=(peer, trainer), **kwargs)  # type: ignore[arg-type]
    for start in starts:
        factories.make_session(course, starts_at=start, peers=(peer,), professionals=(trainer,))
    db.session.expire(course, ["sessions"])
    return course


def uids_of(course) -> set[str]:
    """The UIDs the course's sessions have in subscribed feeds."""
    return {feeds.feed_uid(s.uid) for s in course.sessions}


@pytest.fixture
def dst_course():
    """A course meeting the day before and the day after each of the next two clock changes."""
    starts = []
    for change in next_clock_changes():
        starts += [
            local_moment(change - timedelta(days=1), 17),
            local_moment(change + timedelta(days=1), 10),
        ]
    return course_with(starts, title="Angst, uro; og søvn — Æ/Ø/Å")


# --- the college feed -------------------------------------------------------------------------


def test_a_feed_is_read_alike_by_every_parser_across_clock_changes(client: FlaskClient, dst_course):
    draft = factories.make_course(status=CourseStatus.DRAFT)
    factories.make_session(draft, starts_at=soon(10))
    db.session.commit()
    response = client.get(f"/courses/{dst_course.slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in response.headers["Cache-Control"]
    parsed = check_calendar(response.data)
    assert parsed.method == "PUBLISH"
    events = parsed.by_uid()
    assert len(events) == len(parsed.events), "each UID once"
    for session in dst_course.sessions:
        assert events[feeds.feed_uid(session.uid)].starts_at == session.starts_at
        assert events[feeds.feed_uid(session.uid)].summary == "Angst, uro; og søvn — Æ/Ø/Å"
        assert events[feeds.feed_uid(session.uid)].status == "CONFIRMED"
    assert not set(events) & uids_of(draft)
    text = response.data.decode()
    assert "ATTENDEE" not in text and "mailto:" not in text
    for session in dst_course.sessions:
        for facilitator in session.facilitators:
            assert facilitator.user.email not in text
    for name in ("NAME", "X-WR-CALNAME", "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert name in parsed.properties


def test_the_college_feed_covers_the_past_week_and_the_coming_90_days(client: FlaskClient):
    inside = course_with([soon(-6), soon(85)])
    outside = course_with([soon(-9), soon(95)])
    draft = factories.make_course(status=CourseStatus.DRAFT)
    factories.make_session(draft, starts_at=soon(10))
    db.session.commit()
    response = client.get("/calendar/college.ics")
    uids = set(check_calendar(response.data).by_uid())
    assert uids_of(inside) <= uids
    assert not uids_of(outside) & uids
    assert not uids_of(draft) & uids


def test_the_college_feed_holds_the_soonest_sessions_up_to_its_bound(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(feeds, "COLLEGE_FEED_MAX_SESSIONS", 3)
    course = course_with([soon(days) for days in (40, 2, 30, 9, 20)])
    events = check_calendar(client.get("/calendar/college.ics").data).by_uid()
    soonest = sorted(course.sessions, key=lambda s: s.starts_at)[:3]
    assert set(events) == {feeds.feed_uid(s.uid) for s in soonest}
    for session in soonest:  # their teachers come with them
        assert "Teachers:" in events[feeds.feed_uid(session.uid)].description


def test_a_topic_feed_holds_that_topic_only(client: FlaskClient):
    creative = course_with([soon(3), soon(10)], topic=Topic.CREATIVITY)
    other = course_with([soon(4)], topic=Topic.WELLBEING)
    response = client.get("/calendar/college.ics?topic=creativity")
    assert response.status_code == 200
    parsed = check_calendar(response.data)
    assert set(parsed.by_uid()) == uids_of(creative)
    assert not set(parsed.by_uid()) & uids_of(other)
    assert str(Topic.CREATIVITY.label) in parsed.properties["X-WR-CALNAME"]


def test_a_venue_feed_holds_the_sessions_at_that_place_only(client: FlaskClient):
    hall, library = factories.make_venue(name="Town hall"), factories.make_venue(name="Library")
    course = course_with([soon(3), soon(10)])
    course.sessions[0].venue = hall
    course.sessions[1].venue = library
    db.session.commit()
    response = client.get(f"/calendar/college.ics?venue={hall.id}")
    parsed = check_calendar(response.data)
    assert set(parsed.by_uid()) == {feeds.feed_uid(course.sessions[0].uid)}
    assert "Town hall" in parsed.properties["X-WR-CALNAME"]
    both = client.get(f"/calendar/college.ics?venue={library.id}&topic=creativity")
    assert check_calendar(both.data).events == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("topic=astrology", "astrology is not a value we know for topic."),
        ("venue=abc", "venue must be a whole number"),
        ("venue=999999", "We know no place with that number."),
        ("topic=creativity&topic=wellbeing", "Please give topic once."),
    ],
)
def test_a_feed_filter_that_cannot_be_used_is_explained(
    client: FlaskClient, query: str, message: str
):
    response = client.get(f"/calendar/college.ics?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_feed_filter_is_explained_in_danish(client: FlaskClient):
    response = client.get("/calendar/college.ics?venue=999999", headers={"Accept-Language": "da"})
    assert response.status_code == 400
    assert "Vi kender intet sted med det nummer." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Courses in your calendar"), ("da", "Kurser i din kalender")]
)
def test_the_prospectus_links_to_the_feed_of_its_chosen_topic_and_place(
    client: FlaskClient, language: str, heading: str
):
    hall = factories.make_venue(name="Town hall")
    db.session.commit()
    headers = {"Accept-Language": language}
    page = client.get("/courses/", headers=headers).get_data(as_text=True)
    assert heading in page
    assert 'href="http://college.test/calendar/college.ics"' in page
    chosen = client.get(
        f"/courses/?topic=creativity&venue={hall.id}&q=calm&day=monday", headers=headers
    ).get_data(as_text=True)
    # The feed follows the topic and place; the other filters are for the list only.
    link = f"/calendar/college.ics?topic=creativity&amp;venue={hall.id}"
    assert f'href="http://college.test{link}"' in chosen
    assert f'href="webcal://college.test{link}"' in chosen


def test_cancelled_sessions_stay_30_days_with_status_cancelled(client: FlaskClient):
    course = course_with([soon(5), soon(12), soon(19)])
    recent, old, _kept = course.sessions
    recent.status = old.status = SessionStatus.CANCELLED
    recent.updated_at = now_utc() - timedelta(days=29)
    old.updated_at = now_utc() - timedelta(days=31)
    db.session.flush()
    events = check_calendar(client.get("/calendar/college.ics").data).by_uid()
    assert events[feeds.feed_uid(recent.uid)].status == "CANCELLED"
    assert feeds.feed_uid(old.uid) not in events


# --- caching ----------------------------------------------------------------------------------


def test_two_fetches_give_identical_bytes_and_validators_answer_304(
    client: FlaskClient, dst_course
):
    first = client.get(f"/courses/{dst_course.slug}/calendar.ics")
    feeds.clear_feed_cache()  # the second fetch builds the text anew
    second = client.get(f"/courses/{dst_course.slug}/calendar.ics")
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag == second.headers["ETag"] and etag.startswith('"')
    # No Last-Modified: the strong ETag is the one validator, so a date can never vouch
    # for a copy that has since lost an entry.
    assert "Last-Modified" not in first.headers
    not_modified = client.get(
        f"/courses/{dst_course.slug}/calendar.ics", headers={"If-None-Match": etag}
    )
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    stale = client.get(
        f"/courses/{dst_course.slug}/calendar.ics", headers={"If-None-Match": '"old"'}
    )
    assert stale.status_code == 200


@pytest.mark.parametrize(
    "value", ["yesterday", "Mon, 99 Foo 2026 25:61:00 GMT", "", "\x00\xff", "9" * 300]
)
def test_a_malformed_if_modified_since_is_ignored(client: FlaskClient, dst_course, value: str):
    response = client.get(
        f"/courses/{dst_course.slug}/calendar.ics", headers={"If-Modified-Since": value}
    )
    assert response.status_code == 200
    assert response.data.startswith(b"BEGIN:VCALENDAR")


def test_a_change_to_a_session_changes_the_etag_and_the_sequence(
    client: FlaskClient, dst_course, admin: User
):
    from courses import services

    # The factories' term starts years ahead; a moved session must stay within its term.
    dst_course.term.starts_on = min(local_date(s.starts_at) for s in dst_course.sessions)
    db.session.commit()
    before = client.get(f"/courses/{dst_course.slug}/calendar.ics")
    session = dst_course.sessions[0]
    services.reschedule_session(
        admin,
        session,
        session.starts_at + timedelta(hours=1),
        session.ends_at + timedelta(hours=1),
        session.venue,
    )
    db.session.commit()
    after = client.get(
        f"/courses/{dst_course.slug}/calendar.ics",
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    event = check_calendar(after.data).by_uid()[feeds.feed_uid(session.uid)]
    assert event.sequence == 1
    assert event.starts_at == session.starts_at


def test_a_feed_is_read_with_the_same_number_of_queries_however_long(
    client: FlaskClient, count_queries
):
    course_with([soon(3 + week * 7) for week in range(2)])
    with count_queries() as small:
        client.get("/calendar/college.ics")
    course_with([soon(4 + week * 7) for week in range(12)])
    course_with([soon(5 + week * 7) for week in range(12)])
    with count_queries() as large:
        response = client.get("/calendar/college.ics")
    assert len(check_calendar(response.data).events) == 26
    assert large.count == small.count <= 3


# --- one course ---------------------------------------------------------------------------------


def test_a_course_feed_holds_that_course_only(client: FlaskClient, dst_course):
    other = course_with([soon(6)])
    response = client.get(f"/courses/{dst_course.slug}/calendar.ics")
    assert response.status_code == 200
    parsed = check_calendar(response.data)
    assert set(parsed.by_uid()) == uids_of(dst_course)
    assert not set(parsed.by_uid()) & uids_of(other)
    assert dst_course.title in parsed.properties["X-WR-CALNAME"]


@pytest.mark.parametrize("slug", ["no-such-course", "x" * 500, "%00", "ÆØÅ", "a.b"])
def test_an_unknown_course_feed_is_not_found(client: FlaskClient, slug: str):
    assert client.get(f"/courses/{slug}/calendar.ics").status_code == 404


def test_a_draft_course_has_no_feed(client: FlaskClient):
    draft = factories.make_course(status=CourseStatus.DRAFT)
    factories.make_session(draft)
    assert client.get(f"/courses/{draft.slug}/calendar.ics").status_code == 404


# --- add one session to a calendar ----------------------------------------------------------------


def test_one_session_can_be_downloaded_from_the_course_page(client: FlaskClient, dst_course):
    session = dst_course.sessions[1]
    page = client.get(f"/courses/{dst_course.slug}").get_data(as_text=True)
    link = f"/courses/{dst_course.slug}/sessions/{session.id}.ics"
    assert link in page
    assert f"/courses/{dst_course.slug}/calendar.ics" in page
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    parsed = check_calendar(response.data)
    assert [e.uid for e in parsed.events] == [session.uid]
    assert "X-WR-CALNAME" not in parsed.properties
    assert parsed.events[0].summary == dst_course.title


def test_a_discreet_person_downloads_a_neutral_entry(client: FlaskClient, auth, dst_course):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    session = dst_course.sessions[0]
    response = client.get(f"/courses/{dst_course.slug}/sessions/{session.id}.ics")
    (event,) = check_calendar(response.data).events
    assert event.summary == "Course session — Recovery College"
    assert dst_course.title not in response.get_data(as_text=True)
    assert dst_course.slug not in response.get_data(as_text=True)


@pytest.mark.parametrize("session_id", ["999999", "99999999999999999999", "-1", "abc"])
def test_an_unknown_session_download_is_not_found(client: FlaskClient, dst_course, session_id):
    response = client.get(f"/courses/{dst_course.slug}/sessions/{session_id}.ics")
    assert response.status_code == 404


def test_a_session_of_another_course_is_not_found_under_this_one(client: FlaskClient, dst_course):
    other = course_with([soon(6)])
    response = client.get(f"/courses/{dst_course.slug}/sessions/{other.sessions[0].id}.ics")
    assert response.status_code == 404


def test_the_neutral_details_link_leads_to_the_course(client: FlaskClient, dst_course):
    session = dst_course.sessions[0]
    response = client.get(f"/calendar/sessions/{session.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{dst_course.slug}#sessions-title")
    assert client.get("/calendar/sessions/99999999999").status_code == 404
    response = client.get(f"/calendar/courses/{dst_course.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{dst_course.slug}#sessions-title")
    assert client.get("/calendar/courses/99999999999").status_code == 404


# --- my own calendar ----------------------------------------------------------------------------


@pytest.fixture
def teaching() -> Iterator[tuple[User, User, object, object]]:
    """A peer teaching two courses with a trainer, and a course they do not teach."""
    peer = factories.make_peer(name="Pia, Peer")
    trainer = factories.make_trainer(name="Tom Trainer")
    online = factories.make_venue(is_online=True, meeting_link="https://meet.example/room-7")
    taught = factories.make_course(
        status=CourseStatus.PUBLISHED, pair=(peer, trainer), title="Hope and recovery"
    )
    for start in (soon(7), soon(14)):
        factories.make_session(taught, starts_at=start, peers=(peer,), professionals=(trainer,))
    online_course = factories.make_course(
        status=CourseStatus.PUBLISHED, pair=(peer, trainer), title="Online circle", venue=online
    )
    factories.make_session(
        online_course, starts_at=soon(9), peers=(peer,), professionals=(trainer,)
    )
    other = course_with([soon(8)])
    db.session.expire_all()
    yield peer, trainer, taught, (online_course, other)


def token_for(user: User) -> str:
    token = college_services.renew_calendar_token(user)
    db.session.commit()
    return token


def test_my_feed_holds_the_sessions_i_teach_with_my_colleague_named(client: FlaskClient, teaching):
    peer, _trainer, taught, (online_course, other) = teaching
    peer.discreet = False
    token = token_for(peer)
    response = client.get(f"/calendar/u/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    parsed = check_calendar(response.data)
    assert set(parsed.by_uid()) == uids_of(taught) | uids_of(online_course)
    event = parsed.by_uid()[feeds.feed_uid(taught.sessions[0].uid)]
    assert event.summary == "Hope and recovery"
    assert "You teach this session with Tom Trainer." in event.description
    online = parsed.by_uid()[feeds.feed_uid(online_course.sessions[0].uid)]
    assert "https://meet.example/room-7" in online.description
    text = response.get_data(as_text=True)
    assert "ATTENDEE" not in text and "mailto:" not in text
    assert not set(parsed.by_uid()) & uids_of(other)
    # The meeting link is for the people taking part only.
    public = client.get("/calendar/college.ics").get_data(as_text=True)
    assert "meet.example" not in public


def test_a_discreet_feed_names_no_course(client: FlaskClient, teaching):
    peer, _trainer, taught, _rest = teaching
    assert peer.discreet
    response = client.get(f"/calendar/u/{token_for(peer)}.ics")
    parsed = check_calendar(response.data)
    assert {e.summary for e in parsed.events} == {"Course session — Recovery College"}
    text = response.get_data(as_text=True).replace("\r\n ", "")
    assert "Hope and recovery" not in text and taught.slug not in text
    assert "Online circle" not in text


def test_a_discreet_persons_entries_are_private_and_an_open_persons_are_not(
    client: FlaskClient, teaching
):
    import icalendar

    peer, trainer, *_ = teaching
    assert peer.discreet
    trainer.discreet = False
    discreet = client.get(f"/calendar/u/{token_for(peer)}.ics").data
    open_feed = client.get(f"/calendar/u/{token_for(trainer)}.ics").data
    classes = [e.get("CLASS") for e in icalendar.Calendar.from_ical(discreet).walk("VEVENT")]
    assert classes and set(classes) == {"PRIVATE"}
    assert all("CLASS" not in e for e in icalendar.Calendar.from_ical(open_feed).walk("VEVENT"))


def test_subscribed_entries_never_share_a_uid_with_an_invitation(client: FlaskClient, teaching):
    peer, _trainer, taught, (online_course, _other) = teaching
    invited = {s.uid for s in (*taught.sessions, *online_course.sessions)}
    personal = set(check_calendar(client.get(f"/calendar/u/{token_for(peer)}.ics").data).by_uid())
    course = set(check_calendar(client.get(f"/courses/{taught.slug}/calendar.ics").data).by_uid())
    assert len(personal) == 3 and len(course) == 2
    assert not (personal | course) & invited


def test_my_feed_is_in_my_language(client: FlaskClient, teaching):
    peer, *_ = teaching
    peer.language = "da"
    response = client.get(f"/calendar/u/{token_for(peer)}.ics")
    assert response.status_code == 200
    check_calendar(response.data)


def test_other_packages_can_add_sessions_to_my_feed(app: Flask, client: FlaskClient, teaching):
    from courses import feeds

    peer, _trainer, _taught, (_online, other) = teaching
    chosen = other.sessions[0].id

    def source(_app: Flask, *, user: User) -> sa.Select:
        return sa.select(CourseSession.id).where(CourseSession.id == chosen)

    with signals.personal_feed_requested.connected_to(source, sender=app):
        response = client.get(f"/calendar/u/{token_for(peer)}.ics")
    assert feeds.feed_uid(other.sessions[0].uid) in check_calendar(response.data).by_uid()


def test_my_feed_answers_304_and_is_not_shared(client: FlaskClient, teaching):
    peer, *_ = teaching
    url = f"/calendar/u/{token_for(peer)}.ics"
    first = client.get(url)
    assert client.get(url).data == first.data
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"].startswith("private")


def test_my_feed_uses_a_fixed_number_of_queries(client: FlaskClient, teaching, count_queries):
    peer, trainer, *_ = teaching
    url = f"/calendar/u/{token_for(peer)}.ics"
    with count_queries() as small:
        client.get(url)
    more = factories.make_course(status=CourseStatus.PUBLISHED, pair=(peer, trainer))
    for week in range(15):
        factories.make_session(
            more, starts_at=soon(20 + week * 7), peers=(peer,), professionals=(trainer,)
        )
    db.session.commit()
    with count_queries() as large:
        response = client.get(url)
    assert len(check_calendar(response.data).events) == 18
    assert large.count == small.count


@pytest.mark.parametrize(
    "token", ["nope", "x" * 64, "x" * 65, "a" * 5000, "%00", "'; DROP TABLE users"]
)
def test_an_unknown_token_is_not_found(client: FlaskClient, teaching, token: str):
    assert client.get(f"/calendar/u/{token}.ics").status_code == 404


def test_a_revoked_or_renewed_token_is_not_found(client: FlaskClient, teaching):
    peer, *_ = teaching
    old = token_for(peer)
    new = token_for(peer)
    assert client.get(f"/calendar/u/{old}.ics").status_code == 404
    assert client.get(f"/calendar/u/{new}.ics").status_code == 200
    college_services.revoke_calendar_token(peer)
    db.session.commit()
    assert client.get(f"/calendar/u/{new}.ics").status_code == 404


def test_a_date_alone_from_before_a_withdrawal_gets_the_new_feed(client: FlaskClient):
    from email.utils import format_datetime

    from courses.enrolment import services as enrolment_services

    student = factories.make_student()
    older = factories.make_published_course(first_start=soon(10), sessions=2)
    newer = factories.make_published_course(first_start=soon(12), sessions=2)
    enrolment_services.enrol(student, older)
    leaving = enrolment_services.enrol(student, newer)
    url = f"/calendar/u/{token_for(student)}.ics"
    before = client.get(url)
    assert len(check_calendar(before.data).events) == 4
    # A client that revalidates by date alone asks "changed since I fetched it?".
    seen_at = format_datetime(now_utc(), usegmt=True)
    enrolment_services.withdraw(student, leaving)
    db.session.commit()
    after = client.get(url, headers={"If-Modified-Since": seen_at})
    assert after.status_code == 200
    assert set(check_calendar(after.data).by_uid()) == uids_of(older)


def test_a_deactivated_person_has_no_feed(client: FlaskClient, teaching):
    peer, *_ = teaching
    token = token_for(peer)
    peer.active = False
    db.session.commit()
    assert client.get(f"/calendar/u/{token}.ics").status_code == 404
