"""Command-line arguments are checked with the web forms' own validators: one line, no trace."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import User
from courses.models import Course

PASSWORD_INPUT = "long enough password\nlong enough password\n"


@pytest.mark.parametrize(
    ("email", "name", "says"),
    [
        ("", "Boss", "Please enter your email address."),
        ("not-an-email", "Boss", "Please enter an email address like name@example.dk."),
        ("boss@example.org\nBcc: x@example.org", "Boss", "email address like"),
        ("a" * 300 + "@example.org", "Boss", "at most 254 characters"),
        ("jøns@example.dk", "Boss", "before the @"),
        ("boss@example.org", "", "Please enter a name."),
        ("boss@example.org", "B" * 81, "at most 80 characters"),
    ],
)
def test_create_admin_refuses_what_the_sign_up_form_refuses(runner, email, name, says):
    result = runner.invoke(
        args=["college", "create-admin", email, "--name", name], input=PASSWORD_INPUT
    )
    assert result.exit_code == 1
    assert says in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_admin_cleans_a_name_with_a_line_break(runner):
    result = runner.invoke(
        args=["college", "create-admin", "boss@example.org", "--name", "Mette\nLund"],
        input=PASSWORD_INPUT,
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.display_name)) == "Mette Lund"


def test_demo_force_replaces_an_existing_demo_cleanly(runner):
    assert runner.invoke(args=["college", "demo"]).exit_code == 0
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    courses = db.session.scalar(sa.select(sa.func.count()).select_from(Course))
    result = runner.invoke(args=["college", "demo", "--force"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == people
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == courses
