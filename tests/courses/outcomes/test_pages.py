"""The student's pages and mails, the areas page, and the dashboard's panel."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import User
from courses.enrolment import notices
from courses.outcomes import services
from courses.outcomes.models import Moment, OutcomeAnswer, OutcomeArea, Questionnaire
from tests import factories
from tests.courses.enrolment.conftest import mail_to
from tests.courses.outcomes.conftest import before_time, ended_course, rate_pairs, scores
from tests.danish_text import english_in, lines_of_html


def form_of(course, values: int) -> dict[str, str]:
    return {f"area_{area_id}": str(v) for area_id, v in scores(course, [values]).items()}


def test_a_student_rates_before_from_my_courses(client: FlaskClient, signed_in_student: User):
    course = factories.make_published_course()  # its first session is years away
    enrolment = factories.make_enrolment(course, signed_in_student)
    page = client.get("/me/courses").get_data(as_text=True)
    link = f"/me/enrolments/{enrolment.id}/ratings/before"
    assert link in page
    form = client.get(link).get_data(as_text=True)
    assert "stored without your name" in form and "Skip this" in form
    refused = client.post(
        link, data={**form_of(course, 5), f"area_{next(iter(scores(course, [1])))}": "11"}
    )
    assert refused.status_code == 400
    assert "Please choose a number from 0 to 10." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OutcomeAnswer.id))) == 0
    sent = client.post(link, data=form_of(course, 5))
    assert sent.status_code == 302
    assert link not in client.get("/me/courses").get_data(as_text=True)
    again = client.get(link)
    assert again.status_code == 409 and "already answered or skipped" in again.get_data(
        as_text=True
    )


def test_a_student_sees_what_changed_once_and_it_is_not_kept(
    client: FlaskClient, signed_in_student: User
):
    course = ended_course()
    enrolment = factories.make_enrolment(course, signed_in_student)
    services.rate(enrolment, Moment.BEFORE, scores(course, [3]), now=before_time(course))
    link = f"/me/enrolments/{enrolment.id}/ratings/after"
    assert link in client.get("/me/courses").get_data(as_text=True)
    shown = client.post(link, data=form_of(course, 8))
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "What changed for you" in text
    assert "<td>3</td>" in text and "<td>8</td>" in text and "<td>+5</td>" in text
    # Nothing to read it back from: the page is gone, and the link with it.
    later = client.get(link).get_data(as_text=True)
    assert "What changed for you" not in later and "<td>+5</td>" not in later
    assert "+5" not in client.get("/me/courses").get_data(as_text=True)


def test_skipping_asks_no_more(client: FlaskClient, signed_in_student: User):
    course = factories.make_published_course()
    enrolment = factories.make_enrolment(course, signed_in_student)
    response = client.post(f"/me/enrolments/{enrolment.id}/ratings/before/skip")
    assert response.status_code == 302
    page = client.get("/me/courses").get_data(as_text=True)
    assert "We will not ask you again." in page
    assert "/ratings/before" not in page
    again = client.post(f"/me/enrolments/{enrolment.id}/ratings/before/skip")
    assert again.status_code == 302
    assert "already answered or skipped" in client.get("/me/courses").get_data(as_text=True)


def test_someone_elses_rating_does_not_exist(client: FlaskClient, signed_in_student: User):
    enrolment = factories.make_enrolment(factories.make_published_course())
    assert client.get(f"/me/enrolments/{enrolment.id}/ratings/before").status_code == 404
    assert client.post(f"/me/enrolments/{enrolment.id}/ratings/before/skip").status_code == 404


def test_the_rating_pages_in_danish(client: FlaskClient, signed_in_student: User):
    client.get("/me/courses")  # the sign-in's greeting, said in English
    signed_in_student.language = "da"
    course = ended_course()
    enrolment = factories.make_enrolment(course, signed_in_student)
    services.rate(enrolment, Moment.BEFORE, scores(course, [3]), now=before_time(course))
    link = f"/me/enrolments/{enrolment.id}/ratings/after"
    form = client.get(link).get_data(as_text=True)
    assert not english_in(lines_of_html(form)), english_in(lines_of_html(form))
    changed = client.post(link, data=form_of(course, 6)).get_data(as_text=True)
    assert "Det har ændret sig for dig" in changed
    assert not english_in(lines_of_html(changed)), english_in(lines_of_html(changed))


def test_the_confirmation_invites_to_rate_before_until_it_is_done(student: User):
    course = factories.make_published_course()
    enrolment = factories.make_enrolment(course, student)
    notices.send(enrolment, "enrolled")
    body = mail_to(student)[-1].text_body
    assert f"/me/enrolments/{enrolment.id}/ratings/before" in body
    services.skip(enrolment, Moment.BEFORE)
    notices.send(enrolment, "reminder", starts_at=course.sessions[0].starts_at)
    assert "/ratings/" not in mail_to(student)[-1].text_body


def test_areas_make_a_new_version_and_keep_the_old(client: FlaskClient, signed_in_admin: User):
    first = services.latest_questionnaire()
    assert first is not None
    old_statements = [a.statement_en for a in first.areas]
    rows = {
        "areas-0-statement_en": "I have hope",
        "areas-0-statement_da": "Jeg har håb",
        "areas-0-low_en": "Not at all",
        "areas-0-low_da": "Slet ikke",
        "areas-0-high_en": "Completely",
        "areas-0-high_da": "Helt",
        "areas-1-statement_en": "",
    }
    response = client.post("/admin/outcomes/areas", data=rows)
    assert response.status_code == 302
    latest = services.latest_questionnaire()
    assert latest.version == first.version + 1
    assert [a.statement_da for a in latest.areas] == ["Jeg har håb"]
    db.session.expire_all()
    assert [a.statement_en for a in db.session.get(Questionnaire, first.id).areas] == old_statements
    same = client.post("/admin/outcomes/areas", data=rows)
    assert same.status_code == 302
    assert services.latest_questionnaire().version == latest.version
    half = client.post("/admin/outcomes/areas", data={**rows, "areas-0-high_da": ""})
    assert half.status_code == 400
    assert "in English and Danish" in half.get_data(as_text=True)
    assert services.latest_questionnaire().version == latest.version


def test_a_term_keeps_the_version_of_its_first_answer(signed_in_admin: User):
    course = ended_course()
    rate_pairs(course, 1)
    used = services.questionnaire_for_term(course.term_id)
    newer = services.save_areas([services.AreaText("A", "B", "C", "D", "E", "F")])
    assert newer.version == used.version + 1
    assert services.questionnaire_for_term(course.term_id).id == used.id
    assert services.questionnaire_for_term(factories.make_term().id).id == newer.id
    count = db.session.scalar(
        sa.select(sa.func.count(OutcomeArea.id)).where(OutcomeArea.questionnaire_id == used.id)
    )
    assert count == len(used.areas)


def test_the_dashboard_shows_change_this_term(client: FlaskClient, signed_in_admin: User):
    today = now_utc().date()
    term = factories.make_term(
        starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=30)
    )
    course = ended_course(term=term)
    rate_pairs(course, 5)
    html = client.get(f"/admin/?term={term.id}").get_data(as_text=True)
    assert "Change this term" in html
    assert "from 5 pairs of answers" in html
    report = client.get(f"/admin/outcomes/?term={term.id}").get_data(as_text=True)
    assert 'role="img"' in report and "Change per statement" in report


def test_the_dashboard_asks_the_same_number_of_queries_however_many_answers(
    client: FlaskClient, signed_in_admin: User, count_queries
):
    today = now_utc().date()
    term = factories.make_term(
        starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=30)
    )
    rate_pairs(ended_course(term=term), 5)
    with count_queries() as small:
        assert client.get(f"/admin/?term={term.id}").status_code == 200
    for _ in range(3):
        rate_pairs(ended_course(term=term), 6)
    with count_queries() as large:
        assert client.get(f"/admin/?term={term.id}").status_code == 200
    assert small.count == large.count, "\n".join(large.statements)
