"""On SQLite, an erased person's details are gone from the database file and its WAL too."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from college import create_app
from college.extensions import db
from tests import factories
from tests.conftest import test_config as config_for_tests

NAME = "Zyxwvut Quuxbrand"
EMAIL = "zyxwvut.quuxbrand@example.org"


def stored_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.glob("college.db*")))


def test_erasing_an_account_leaves_nothing_in_the_sqlite_files(tmp_path: Path):
    app = create_app(config_for_tests(f"sqlite:///{tmp_path / 'college.db'}", tmp_path))
    with app.app_context():
        db.create_all()
        factories.make_student(email=EMAIL, name=NAME)
        db.session.commit()
        assert NAME.encode() in stored_bytes(tmp_path)  # the test can see the name at all
        client: FlaskClient = app.test_client()
        response = client.post("/auth/login", data={"email": EMAIL, "password": factories.PASSWORD})
        assert response.status_code == 302
        response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
        assert response.status_code == 302
        db.session.remove()
        files = stored_bytes(tmp_path)
        assert NAME.encode() not in files
        assert EMAIL.encode() not in files
        db.engine.dispose()
