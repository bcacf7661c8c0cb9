"""Ratings before and after: stored without a person, paired, and the link removed."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from college import privacy
from college.extensions import db
from courses.enrolment.models import EnrolmentStatus
from courses.outcomes import services
from courses.outcomes.models import Moment, OutcomeAnswer, OutcomePairing
from tests import factories
from tests.courses.outcomes.conftest import (
    after_time,
    before_time,
    ended_course,
    rate_pair,
    scores,
)


def answers(course_id: int) -> list[OutcomeAnswer]:
    return list(
        db.session.scalars(sa.select(OutcomeAnswer).where(OutcomeAnswer.course_id == course_id))
    )


def test_a_pair_is_counted_and_the_link_is_gone_afterwards():
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    services.rate(enrolment, Moment.BEFORE, scores(course, [3]), now=before_time(course))
    pairing = db.session.get(OutcomePairing, enrolment.id)
    assert pairing is not None and pairing.before == "answered"
    held = pairing.pair
    assert held is not None and len(held) == 32
    change = services.rate(enrolment, Moment.AFTER, scores(course, [7]), now=after_time(course))
    assert change is not None and {(c.before, c.after, c.difference) for c in change} == {(3, 7, 4)}
    db.session.refresh(pairing)
    assert pairing.pair is None and pairing.after == "answered"
    before, after = sorted(answers(course.id), key=lambda a: a.moment, reverse=True)
    # The two answers still belong together, under a value the student's row never held.
    assert before.pair == after.pair and before.pair not in (None, held)
    assert {before.moment, after.moment} == {"before", "after"}


def test_either_answer_alone_is_stored_without_a_pair():
    course = ended_course()
    only_after = factories.make_enrolment(course)
    services.skip(only_after, Moment.BEFORE, now=before_time(course))
    assert (
        services.rate(only_after, Moment.AFTER, scores(course, [5]), now=after_time(course)) is None
    )
    stored = answers(course.id)
    assert [(a.moment, a.pair) for a in stored] == [("after", None)]


def test_answers_carry_no_column_that_names_a_person():
    columns = set(OutcomeAnswer.__table__.columns.keys())
    assert columns == {"id", "course_id", "questionnaire_id", "moment", "pair"}


def test_skipping_is_fine_and_never_asked_twice():
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    assert services.is_due(enrolment, Moment.BEFORE, before_time(course))
    services.skip(enrolment, Moment.BEFORE, now=before_time(course))
    assert not services.is_due(enrolment, Moment.BEFORE, before_time(course))
    with pytest.raises(services.RatingAlreadyDone):
        services.skip(enrolment, Moment.BEFORE, now=before_time(course))
    with pytest.raises(services.RatingAlreadyDone):
        services.rate(enrolment, Moment.BEFORE, scores(course, [5]), now=before_time(course))
    assert services.due_ratings([enrolment.id], before_time(course)) == {}
    assert services.due_ratings([enrolment.id], after_time(course)) == {enrolment.id: Moment.AFTER}


def test_a_rating_is_given_once():
    course = ended_course()
    enrolment = rate_pair(course, [4], [6])
    with pytest.raises(services.RatingAlreadyDone):
        services.rate(enrolment, Moment.AFTER, scores(course, [6]), now=after_time(course))
    assert len(answers(course.id)) == 2


@pytest.mark.parametrize(
    ("moment", "when"),
    [
        (Moment.BEFORE, lambda c: c.sessions[0].ends_at),  # the first session has ended
        (Moment.AFTER, lambda c: c.sessions[-1].starts_at),  # the course has not ended
        (Moment.AFTER, lambda c: c.sessions[-1].ends_at + services.AFTER_WINDOW),
    ],
)
def test_ratings_are_open_only_in_their_window(moment, when):
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    with pytest.raises(services.RatingNotOpen):
        services.rate(enrolment, moment, scores(course, [5]), now=when(course))
    assert answers(course.id) == []


def test_only_enrolled_students_rate():
    course = ended_course()
    waiting = factories.make_enrolment(course, status=EnrolmentStatus.WAITLISTED, waitlist_number=1)
    with pytest.raises(services.NotFound):
        services.rate(waiting, Moment.BEFORE, scores(course, [5]), now=before_time(course))


@pytest.mark.parametrize(
    "bad", [{}, "missing one", "eleven", "minus", "text", "extra area", "true"]
)
def test_bad_scores_change_nothing(bad):
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    good = scores(course, [5])
    first = next(iter(good))
    given = (
        {
            "missing one": {k: v for k, v in good.items() if k != first},
            "eleven": {**good, first: 11},
            "minus": {**good, first: -1},
            "text": {**good, first: "5"},
            "extra area": {**good, 999_999: 5},
            "true": {**good, first: True},
        }.get(bad, {})
        if isinstance(bad, str)
        else bad
    )
    with pytest.raises(services.InvalidRating):
        services.rate(enrolment, Moment.BEFORE, given, now=before_time(course))
    assert answers(course.id) == []
    assert services.is_due(enrolment, Moment.BEFORE, before_time(course))


def test_the_link_is_removed_when_the_window_closes():
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    services.rate(enrolment, Moment.BEFORE, scores(course, [5]), now=before_time(course))
    closes = course.sessions[-1].ends_at + services.AFTER_WINDOW
    assert services.forget_closed_pairings(closes - timedelta(minutes=1)) == 0
    assert services.forget_closed_pairings(closes) == 1
    pairing = db.session.get(OutcomePairing, enrolment.id, populate_existing=True)
    assert pairing is not None and pairing.pair is None
    # The before answer still counts, alone.
    assert [a.moment for a in answers(course.id)] == ["before"]


def test_erasure_removes_the_link_and_the_export_never_carries_it(app):
    course = ended_course()
    student = factories.make_student()
    enrolment = factories.make_enrolment(course, student)
    services.rate(enrolment, Moment.BEFORE, scores(course, [5]), now=before_time(course))
    held = db.session.get(OutcomePairing, enrolment.id).pair
    exported = privacy.export_person(student)
    assert held not in repr(exported)
    assert exported["outcomes"] == {
        "ratings": [{"course": course.title, "before": "answered", "after": None}]
    }
    privacy.erase_person(None, student)
    assert db.session.get(OutcomePairing, enrolment.id, populate_existing=True).pair is None


def test_the_link_is_never_logged(caplog):
    course = ended_course()
    enrolment = factories.make_enrolment(course)
    with caplog.at_level(logging.DEBUG):
        services.rate(enrolment, Moment.BEFORE, scores(course, [5]), now=before_time(course))
        held = db.session.get(OutcomePairing, enrolment.id).pair
        services.rate(enrolment, Moment.AFTER, scores(course, [6]), now=after_time(course))
    kept = {a.pair for a in answers(course.id)}
    for record in caplog.records:
        text = record.getMessage()
        assert held not in text and not any(value and value in text for value in kept)
