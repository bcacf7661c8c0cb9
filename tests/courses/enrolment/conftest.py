"""Helpers for enrolment tests: mail sent to a person, and a course to fill."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import OutboxMessage, User
from college.outbox import queueing
from courses.models import Course
from tests import factories


def mail_to(user: User, *, invitations: bool = False) -> list[OutboxMessage]:
    """Mail about places to a person; with ``invitations`` also calendar updates of their own.

    Mail is written by the worker, so what is due is rendered first, as it would be. A
    mail about a place may carry an invitation; it is counted either way.
    """
    queueing.render_pending()
    statement = sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
    if not invitations:
        statement = statement.where(
            sa.or_(OutboxMessage.calendar_method.is_(None), OutboxMessage.renderer.is_not(None))
        )
    return list(db.session.scalars(statement.order_by(OutboxMessage.id)))


def subjects_to(user: User) -> list[str]:
    return [m.subject for m in mail_to(user)]


@pytest.fixture
def small_course(peer: User, trainer: User) -> Callable[..., Course]:
    def make(capacity: int = 2, **kwargs: object) -> Course:
        return factories.make_published_course(
            peer=peer, trainer=trainer, capacity=capacity, **kwargs
        )

    return make
