"""Emails about peers' work, written in each recipient's language, with discreet subjects.

Subjects never name a course or its topic: a lock-screen preview must not reveal what
the college teaches to whom. The details are in the body and on the site.

Each email is queued by description and written by the mail worker (renderer
``peers.mail``, see ``college.outbox``), so reporting an absence that offers a session to a
dozen colleagues renders no template while the peer waits for the page. Frozen when
queued: the recipient's address and language, and the links. Read when it is written:
the records the message is about (the session, the request and offer, the colleague who
covers, a qualification), named in the payload by their ids. They can only have become
more accurate: a session that moves afterwards sends its own message anyway, and a
record gone by then (an erased account) leaves nothing to write about.

What has passed by then is not written at all (``NoLongerNeeded``): an offer to cover a
session a colleague took first, the "it is covered" note about an offer that was never
written, or an alert about sessions that all have cover now. An alert lists only the
sessions that still need cover when it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.local import LocalProxy

from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from college.models import Qualification, Role, User, UserRole
from college.outbox.queueing import (
    NoLongerNeeded,
    Rendered,
    Undeliverable,
    enqueue_described,
    register_renderer,
    render_email,
)
from college.outbox.summaries import register_description
from college.urls import absolute_url
from courses.models import CourseSession
from courses.times import to_local
from peers.models import CoverOffer, CoverRequest, CoverStatus, OfferStatus, TrainingProgramme

RENDERER = "peers.mail"

# Each template's subject, built from the message's records in the recipient's language.
SUBJECTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "cover_offer": lambda context: _(
        "Can you cover a session on %(day)s?",
        day=format_date(to_local(context["course_session"].starts_at), "medium"),
    ),
    "cover_taken": lambda context: _("The session is covered"),
    "cover_colleague": lambda context: _("Who you teach with is changing"),
    "cover_found": lambda context: _("A colleague covers for you"),
    "cover_alert": lambda context: _("Sessions still need cover"),
    "cover_escalation": lambda context: _("Please decide about sessions without cover"),
    "qualification_lapsing": lambda context: _("Time to plan your refresher training"),
    "qualifications_lapsing_admin": lambda context: _("Qualifications lapse soon"),
    "qualified": lambda context: _("Your training is recorded"),
    "declined_session": lambda context: _("We have noted that you cannot come"),
}

# The records a message may be about, named in its payload by class and id.
MODELS: dict[str, type[Any]] = {
    model.__name__: model
    for model in (User, CourseSession, CoverRequest, CoverOffer, Qualification, TrainingProgramme)
}


def notify(user: User, template: str, **context: Any) -> None:
    """Queue ``email/peers/<template>`` to one person; the worker writes it in their language.

    ``context`` holds plain values, the records in ``MODELS`` and lists of them.
    """
    if template not in SUBJECTS:
        raise KeyError(f"no subject for peers mail {template!r}")
    context.setdefault("schedule_link", absolute_url("peers.schedule"))
    context.setdefault("board_link", absolute_url("peers_admin.cover_board"))
    context.setdefault("training_link", absolute_url("peers_admin.training"))
    payload = {
        "user_id": user.id,
        "template": template,
        "language": user.language,
        "context": {key: freeze(value) for key, value in context.items()},
    }
    enqueue_described(user.email, RENDERER, payload, summary=f"Peers {user.id}: {template}")


def freeze(value: Any) -> Any:
    if isinstance(value, LocalProxy):  # current_user, when the colleague is the one acting
        value = value._get_current_object()
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if MODELS.get(type(value).__name__) is type(value):
        if value.id is None:  # added in this transaction and not yet written
            db.session.flush()
        return {"model": type(value).__name__, "id": value.id}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot queue {type(value).__name__} in an email's description")


def thaw(value: Any) -> Any:
    if isinstance(value, list):
        return [thaw(item) for item in value]
    if isinstance(value, dict) and "model" in value:
        found = db.session.get(MODELS[value["model"]], value["id"])
        if found is None:
            raise Undeliverable(f"the {value['model']} no longer exists")
        return found
    return value


def write_open_offer(context: dict[str, Any]) -> None:
    offer, request = context["offer"], context["request"]
    if offer.status != OfferStatus.OFFERED or request.status != CoverStatus.OPEN:
        raise NoLongerNeeded(f"cover request {request.id} is {request.status}")
    offer.mailed_at = now_utc()


def follow_a_written_offer(context: dict[str, Any]) -> None:
    offer = context.get("offer")  # not named by notes queued before offers were marked
    if offer is not None and offer.mailed_at is None:
        raise NoLongerNeeded(f"cover offer {offer.id} was never written")


def keep_open_requests(context: dict[str, Any]) -> None:
    context["requests"] = [r for r in context["requests"] if r.status == CoverStatus.OPEN]
    if not context["requests"]:
        raise NoLongerNeeded("every session in it has cover or has passed")


# What a message must still be about when it is written (raises NoLongerNeeded if not), and
# what writing it records.
BEFORE_WRITING: dict[str, Callable[[dict[str, Any]], None]] = {
    "cover_offer": write_open_offer,
    "cover_taken": follow_a_written_offer,
    "cover_alert": keep_open_requests,
    "cover_escalation": keep_open_requests,
}


def render_peer_mail(payload: dict[str, Any]) -> Rendered:
    """Write a queued peers email from its payload (the mail worker calls this)."""
    user = db.session.get(User, payload["user_id"])
    if user is None or user.anonymised_at is not None:
        raise Undeliverable("the account no longer exists")
    template = payload["template"]
    context = {key: thaw(value) for key, value in payload["context"].items()}
    if template in BEFORE_WRITING:
        BEFORE_WRITING[template](context)
    with force_language(payload["language"]):
        subject = SUBJECTS[template](context)
    return render_email(user, payload["language"], f"peers/{template}", subject, **context)


def describe_peer_mail(payload: dict[str, Any]) -> str:
    """What a queued peers message is, for an admin, in the admin's language."""
    context = {key: thaw(value) for key, value in payload["context"].items()}
    return SUBJECTS[payload["template"]](context)


def register_peer_mail(app: Flask) -> None:
    register_renderer(app, RENDERER, render_peer_mail)
    register_description(app, RENDERER, describe_peer_mail)


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
