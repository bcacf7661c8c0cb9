"""Admin pages: people and roles, and who may see them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.extensions import db
from college.models import AuditEvent, Role
from tests import factories

ADMIN_PAGES = ["/admin/", "/admin/people", "/admin/mail", "/admin/audit"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PEER, Role.TRAINER])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_non_admins_are_refused(client: FlaskClient, auth, role: Role, path: str):
    auth.login(factories.make_user(roles=(role,)))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_sees_admin_pages(client: FlaskClient, auth, path: str):
    auth.login(factories.make_admin())
    assert client.get(path).status_code == 200


def test_people_list_searches_and_filters(client: FlaskClient, auth):
    auth.login(factories.make_admin(name="Ada Admin"))
    factories.make_peer(name="Pernille Peer")
    factories.make_student(name="Sune Student")
    page = client.get("/admin/people?q=pernille").data
    assert b"Pernille Peer" in page and b"Sune Student" not in page
    page = client.get("/admin/people?role=student").data
    assert b"Sune Student" in page and b"Pernille Peer" not in page
    assert client.get("/admin/people?role=nonsense&page=abc").status_code == 200


def test_viewing_a_person_is_audited(client: FlaskClient, auth):
    admin = factories.make_admin()
    student = factories.make_student()
    auth.login(admin)
    assert client.get(f"/admin/people/{student.id}").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.viewed"))
    assert event is not None
    assert (event.actor_id, event.target_id) == (admin.id, student.id)


def test_unknown_person_is_404(client: FlaskClient, auth):
    auth.login(factories.make_admin())
    assert client.get("/admin/people/999999").status_code == 404


def test_grant_roles(client: FlaskClient, auth):
    admin = factories.make_admin()
    person = factories.make_student()
    auth.login(admin)
    response = client.post(f"/admin/people/{person.id}/roles", data={"roles": ["student", "peer"]})
    assert response.status_code == 302
    assert person.roles == {Role.STUDENT, Role.PEER}
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.roles"))


def test_roles_form_refuses_unknown_or_empty_roles(client: FlaskClient, auth):
    admin = factories.make_admin()
    person = factories.make_student()
    auth.login(admin)
    client.post(f"/admin/people/{person.id}/roles", data={"roles": ["wizard"]})
    assert person.roles == {Role.STUDENT}
    response = client.post(f"/admin/people/{person.id}/roles", data={}, follow_redirects=True)
    assert response.status_code == 200
    assert person.roles == {Role.STUDENT}


def test_the_last_admin_keeps_the_role(client: FlaskClient, auth):
    admin = factories.make_admin()
    auth.login(admin)
    response = client.post(
        f"/admin/people/{admin.id}/roles", data={"roles": ["student"]}, follow_redirects=True
    )
    assert b"at least one administrator" in response.data
    assert Role.ADMIN in admin.roles


def test_disable_and_enable_account(client: FlaskClient, auth):
    admin = factories.make_admin()
    person = factories.make_student()
    auth.login(admin)
    client.post(f"/admin/people/{person.id}/status", data={"active": "0"})
    assert person.active is False
    client.post(f"/admin/people/{person.id}/status", data={"active": "1"})
    assert person.active is True
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_id == person.id)
    ).all()
    assert {"user.disabled", "user.enabled"} <= set(actions)
