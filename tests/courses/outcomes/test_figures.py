"""What the college sees: the threshold of 5 pairs under every filter, and the figures."""

from __future__ import annotations

import itertools
import json

import pytest
from flask.testing import FlaskClient

from courses.models import Topic
from courses.outcomes.figures import MIN_PAIRS, Scope, report
from tests import factories
from tests.courses.outcomes.conftest import ended_course, rate_pairs


@pytest.fixture
def college_term():
    """One term: two courses with 5 pairs each, two with fewer (4 and 1)."""
    term = factories.make_term()
    p1, p2 = factories.make_partner(), factories.make_partner()
    a = ended_course(term=term, topic=Topic.WELLBEING, partners=(p1,), title="A course")
    b = ended_course(term=term, topic=Topic.RECOVERY, partners=(p2,), title="B course")
    c = ended_course(term=term, topic=Topic.WELLBEING, partners=(p1,), title="C course")
    d = ended_course(term=term, topic=Topic.RECOVERY, title="D course")
    rate_pairs(a, 5)
    rate_pairs(b, 5, before=6, after=5)
    rate_pairs(c, 4)
    rate_pairs(d, 1)
    return term, {"p1": p1, "p2": p2}, {"a": a, "b": b, "c": c, "d": d}


def combinations(college_term):
    term, partners, courses = college_term
    topics = [None, Topic.WELLBEING, Topic.RECOVERY, Topic.MENTAL_HEALTH]
    for topic, partner, course in itertools.product(
        topics, [None, *partners.values()], [None, *courses.values()]
    ):
        yield Scope(term, topic and str(topic), partner, course)


def test_no_filter_combination_shows_fewer_than_five_pairs(college_term):
    _term, _partners, courses = college_term
    gated = {courses["a"].id, courses["b"].id}
    checked = 0
    for scope in combinations(college_term):
        result = report(scope)
        counted = {course_id for course_id, _title in result.courses_shown}
        assert counted <= gated, scope
        for figure in result.areas:
            assert figure.change.pairs >= MIN_PAIRS
            # Made of whole courses that passed on their own: 5 pairs each.
            assert figure.change.pairs == 5 * len(counted)
        if not counted:
            assert not result.shown and result.rates.enrolled == 0
        checked += 1
    assert checked == 4 * 3 * 5


def test_the_figures_of_a_course(college_term):
    term, _partners, courses = college_term
    result = report(Scope(term, course=courses["a"]))
    assert result.shown and result.pairs == 5
    change = result.areas[0].change
    # Befores all 4; afters 6, 7, 6, 7, 6.
    assert change.mean_before == 4 and change.mean_after == pytest.approx(6.4)
    assert change.mean_change == pytest.approx(2.4)
    assert change.improved == 1 and change.declined == 0
    assert change.ci_low is not None and change.ci_low < 2.4 < change.ci_high
    assert result.rates.enrolled == 5 and result.before_rate == 1 and result.after_rate == 1
    declined = report(Scope(term, course=courses["b"])).areas[0].change
    assert declined.declined == pytest.approx(0.6) and declined.same == pytest.approx(0.4)


def test_a_course_below_the_threshold_shows_nothing_and_is_counted_as_hidden(college_term):
    term, _partners, courses = college_term
    assert not report(Scope(term, course=courses["c"])).shown
    whole = report(Scope(term))
    assert whole.courses_hidden == 2 and whole.pairs == 10


def test_every_download_and_page_holds_to_the_threshold(
    college_term, client: FlaskClient, signed_in_admin
):
    for scope in combinations(college_term):
        args = scope.args()
        body = json.loads(client.get("/admin/outcomes/outcomes.json", query_string=args).data)
        assert all(area["pairs"] >= MIN_PAIRS for area in body["areas"]), args
        assert body["shown"] == bool(body["areas"])
        csv = client.get("/admin/outcomes/outcomes.csv", query_string=args).data.decode("utf-8-sig")
        lines = csv.strip().splitlines()
        assert len(lines) == 1 + len(body["areas"])
        page = client.get("/admin/outcomes/", query_string=args)
        assert page.status_code == 200
        assert (b"Change per statement" in page.data) == body["shown"]


def test_filters_that_name_nothing_are_ignored(college_term, client: FlaskClient, signed_in_admin):
    term, _partners, _courses = college_term
    for query in (
        {"term": term.id, "topic": "nonsense"},
        {"term": term.id, "partner": "999999999999"},
        {"term": term.id, "course": "-1"},
        {"term": "x", "course": "abc"},
    ):
        assert client.get("/admin/outcomes/", query_string=query).status_code == 200
        assert client.get("/admin/outcomes/outcomes.json", query_string=query).status_code == 200
