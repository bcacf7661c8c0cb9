"""The data migration: feedback given before outcomes existed stays readable as version 1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from college import create_app
from college.extensions import db
from courses.models import Course, Term
from tests import conftest

REVISION = "c7a2e9d41f60"
SCHEMA = "outcomes_migration"


@pytest.fixture
def empty_app(engine_name: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of the same engine, apart from the suite's schema."""
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'migration.db'}"
    else:
        engine = sa.create_engine(conftest.PG_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        engine.dispose()
        separator = "&" if "?" in conftest.PG_URL else "?"
        url = f"{conftest.PG_URL}{separator}options=-csearch_path%3D{SCHEMA}"
    application = create_app(conftest.test_config(url, tmp_path))
    yield application
    with application.app_context():
        db.engine.dispose()
    if engine_name != "sqlite":
        engine = sa.create_engine(conftest.PG_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


@pytest.mark.committing
def test_feedback_given_before_becomes_version_1_after_answers(empty_app: Flask):
    with empty_app.app_context():
        script = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config())
        previous = script.get_revision(REVISION).down_revision
        upgrade(revision=previous)
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(Term.__table__).values(
                    id=1, name="Spring", starts_on=date(2026, 1, 5), ends_on=date(2026, 6, 20)
                )
            )
            connection.execute(
                sa.insert(Course.__table__).values(
                    id=7,
                    slug="hope",
                    title="Hope",
                    summary="s",
                    description="d",
                    topic="recovery",
                    capacity=12,
                    required_programme="five_day",
                    status="published",
                    term_id=1,
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO feedback (course_id, hope, knowledge, everyday_tools,"
                    " connectedness, comment) VALUES (7, 8, 7, 6, 9, 'Kind'), (7, 2, 3, 4, 5, NULL)"
                )
            )
        upgrade(revision=REVISION)
        with db.engine.connect() as connection:
            areas = connection.execute(
                sa.text(
                    "SELECT a.position, a.statement_en, a.statement_da FROM outcome_areas a"
                    " JOIN outcome_questionnaires q ON q.id = a.questionnaire_id"
                    " WHERE q.version = 1 ORDER BY a.position"
                )
            ).all()
            answers = connection.execute(
                sa.text(
                    "SELECT o.course_id, o.moment, o.pair, a.position, s.score"
                    " FROM outcome_answers o JOIN outcome_scores s ON s.answer_id = o.id"
                    " JOIN outcome_areas a ON a.id = s.area_id ORDER BY o.id, a.position"
                )
            ).all()
            fixed = connection.execute(
                sa.text(
                    "SELECT t.term_id, q.version FROM outcome_term_questionnaires t"
                    " JOIN outcome_questionnaires q ON q.id = t.questionnaire_id"
                )
            ).all()
            kept = connection.execute(sa.text("SELECT count(*) FROM feedback")).scalar()
    assert [(p, en) for p, en, _da in areas] == [
        (1, "I feel more hope for my own recovery"),
        (2, "I learned something I can use"),
        (3, "I have new tools for everyday life"),
        (4, "I felt connected to the others on the course"),
    ]
    assert areas[0][2] == "Jeg føler mere håb for min egen recovery"
    assert [(c, m, p) for c, m, p, _a, _s in answers] == [(7, "after", None)] * 8
    assert [s for *_rest, s in answers] == [8, 7, 6, 9, 2, 3, 4, 5]
    assert fixed == [(1, 1)]
    assert kept == 2
