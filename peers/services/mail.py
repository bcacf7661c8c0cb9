"""Emails about peers' work, written in each recipient's language, with discreet subjects.

Subjects never name a course or its topic: a lock-screen preview must not reveal what
the college teaches to whom. The details are in the body and on the site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale

from college.extensions import db
from college.models import OutboxMessage, Role, User, UserRole
from college.outbox import enqueue_template
from college.urls import absolute_url


def notify(user: User, template: str, subject: Callable[[], str], **context: Any) -> OutboxMessage:
    """Queue ``email/peers/<template>`` to one person; ``subject`` is built in their language."""
    with force_locale(user.language):
        text = subject()
    context.setdefault("schedule_link", absolute_url("peers.schedule"))
    context.setdefault("board_link", absolute_url("peers_admin.cover_board"))
    context.setdefault("training_link", absolute_url("peers_admin.training"))
    return enqueue_template(user, f"peers/{template}", text, **context)


def administrators() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == str(Role.ADMIN),
                User.active.is_(True),
                User.anonymised_at.is_(None),
            )
            .order_by(User.id)
        )
    )
