"""Inputs that used to reach a 500 get a clear answer instead, in the reader's language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from college.forms import CollegeForm
from tests import factories


@pytest.mark.parametrize(
    "path",
    [
        "/admin/people/2147483648",
        "/admin/people/99999999999999999999",
        "/admin/mail/2147483648/retry",
        "/me/enrolments/4294967296/certificate",
    ],
)
def test_ids_beyond_the_database_are_not_found(client: FlaskClient, auth, path: str):
    auth.login(factories.make_admin())
    response = client.post(path) if path.endswith("retry") else client.get(path)
    assert response.status_code == 404


def test_the_largest_id_the_database_holds_is_looked_up(client: FlaskClient, auth):
    auth.login(factories.make_admin())
    assert client.get("/admin/people/2147483647").status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999", "-5", "abc", "1e9", "\x00"])
def test_any_page_number_is_a_page(client: FlaskClient, auth, page: str):
    auth.login(factories.make_admin())
    for path in ("/admin/people", "/admin/audit", "/admin/courses/"):
        response = client.get(path, query_string={"page": page})
        assert response.status_code in (200, 400), path


def test_a_nul_in_an_admin_filter_is_read_as_a_space(client: FlaskClient, auth):
    auth.login(factories.make_admin())
    response = client.get("/admin/people", query_string={"q": "a\x00b", "role": "\x00"})
    assert response.status_code == 200


@pytest.mark.parametrize(("language", "says"), [("en", "at most 1 MB"), ("da", "højst 1 MB")])
def test_a_body_over_one_megabyte_gets_a_clear_413_page(
    client: FlaskClient, language: str, says: str
):
    response = client.post(
        "/auth/login",
        data={"email": "a@example.org", "password": "x" * (1024 * 1024 + 1)},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 413
    assert says in response.get_data(as_text=True)


def test_every_form_of_the_college_cleans_its_text(app: Flask):
    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        return found.union(*(subclasses(sub) for sub in found)) if found else found

    from flask_wtf import FlaskForm

    strays = {
        f"{form.__module__}.{form.__name__}"
        for form in subclasses(FlaskForm)
        if form.__module__.split(".")[0] in {"college", "courses", "peers"}
        and not issubclass(form, CollegeForm)
    }
    assert not strays


def test_a_multi_line_field_refuses_nul_and_keeps_line_breaks(app: Flask):
    from werkzeug.datastructures import MultiDict
    from wtforms import TextAreaField

    class NoteForm(CollegeForm):
        note = TextAreaField()

    with app.test_request_context():
        refused = NoteForm(formdata=MultiDict({"note": "one\x00two"}), meta={"csrf": False})
        assert not refused.validate()
        assert "NUL" in refused.note.errors[0]
        kept = NoteForm(formdata=MultiDict({"note": "one\r\ntwo\x0bthree"}), meta={"csrf": False})
        assert kept.validate()
        assert kept.note.data == "one\r\ntwothree"


def test_a_single_line_field_loses_every_control_character(app: Flask):
    from werkzeug.datastructures import MultiDict
    from wtforms import StringField

    class TitleForm(CollegeForm):
        title = StringField()

    with app.test_request_context():
        form = TitleForm(
            formdata=MultiDict({"title": " Angst\r\nog\x00uro\u2028\x85 "}), meta={"csrf": False}
        )
        assert form.title.data == "Angst og uro"


@pytest.mark.parametrize("path", ["/courses/a%00b", "/courses/%00/enrol", "/courses/x%0Ay"])
def test_a_control_character_in_a_path_finds_no_page(client: FlaskClient, path: str):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in {404, 405}
