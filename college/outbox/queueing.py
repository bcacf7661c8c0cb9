"""Queue messages in the caller's transaction, and write their subject and bodies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, render_template

from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from college.models import OutboxMessage, OutboxStatus, User
from college.signals import extension_points

log = logging.getLogger(__name__)


def enqueue(
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    calendar: tuple[str, str] | None = None,
) -> OutboxMessage:
    """Queue one email in the current transaction; ``calendar`` is (METHOD, ics text)."""
    queued_at = now_utc()
    message = OutboxMessage(
        created_at=queued_at,
        next_attempt_at=queued_at,
        recipient=recipient,
        subject=subject[:255],
        text_body=text_body,
        html_body=html_body,
        calendar_method=calendar[0] if calendar else None,
        calendar_body=calendar[1] if calendar else None,
    )
    db.session.add(message)
    return message


# --- queueing by description, rendered by the worker -------------------------------------------


@dataclass
class Rendered:
    """What a renderer writes: the subject and bodies of one message."""

    subject: str
    text_body: str
    html_body: str | None = None
    calendar: tuple[str, str] | None = None


Renderer = Callable[[dict[str, Any]], Rendered]


class Undeliverable(Exception):
    """Raised by a renderer when there is nothing left to send (e.g. the person is gone)."""


class NoLongerNeeded(Exception):
    """Raised by a renderer when the message's reason has passed since it was queued."""


class UnknownRenderer(LookupError):
    pass


def render_email(
    user: User,
    language: str | None,
    template: str,
    subject: Any,
    calendar: tuple[str, str] | None = None,
    **context: Any,
) -> Rendered:
    """``templates/email/<template>.{txt,html}`` and the subject, in ``language``."""
    with force_language(language):
        context.setdefault("user", user)
        context.setdefault("college_name", current_app.config["COLLEGE_NAME"])
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        subject_text = str(subject)
    return Rendered(subject_text, text, html, calendar)


def renderers(app: Flask | None = None) -> dict[str, Renderer]:
    return extension_points(app).outbox_renderers


def register_renderer(app: Flask, name: str, renderer: Renderer) -> None:
    """Let messages queued under ``name`` be written by ``renderer(payload)``."""
    renderers(app)[name] = renderer


def enqueue_described(
    recipient: str,
    renderer: str,
    payload: dict[str, Any],
    *,
    summary: str,
    calendar_method: str | None = None,
) -> OutboxMessage:
    """Queue a message that the worker will render, in the current transaction.

    Nothing is rendered here: a sign-up queues its confirmation and every invitation while
    the course row is held. The session writes the message with the rest of the change, in
    one batch with the transaction's other messages. ``summary`` stands in for the subject
    until the worker writes it (admins see it on the mail page); it never leaves the
    college. ``payload`` must be JSON.
    """
    queued_at = now_utc()
    message = OutboxMessage(
        created_at=queued_at,
        next_attempt_at=queued_at,
        recipient=recipient,
        subject=summary[:255],
        calendar_method=calendar_method,
        renderer=renderer,
        payload=payload,
    )
    db.session.add(message)
    return message


def render_message(message: OutboxMessage) -> None:
    """Write the subject and bodies of a message queued by description (no commit).

    A calendar part added to the message while it waited (see ``register_mail_preparer``)
    is kept when the renderer writes none of its own.
    """
    if not message.needs_rendering:
        return
    renderer = renderers().get(message.renderer or "")
    if renderer is None:
        raise UnknownRenderer(f"no renderer named {message.renderer!r}")
    rendered = renderer(dict(message.payload or {}))
    if rendered.calendar is not None or message.calendar_body is None:
        method = rendered.calendar[0] if rendered.calendar else None
        if method != message.calendar_method:
            raise ValueError(f"renderer wrote METHOD {method}, queued as {message.calendar_method}")
        message.calendar_body = rendered.calendar[1] if rendered.calendar else None
    message.subject = rendered.subject[:255]
    message.text_body = rendered.text_body
    message.html_body = rendered.html_body


# --- preparing mail before it is written --------------------------------------------------------


def mail_preparers(app: Flask | None = None) -> list[Callable[[], object]]:
    return extension_points(app).mail_preparers


def register_mail_preparer(app: Flask, preparer: Callable[[], object]) -> None:
    """Run ``preparer()`` before the worker writes and sends mail, in the same transaction.

    A domain package queues there the mail that the data asks for (calendar updates), or
    adds to messages still waiting to be written; it flushes, never commits.
    """
    mail_preparers(app).append(preparer)


def prepare_mail() -> None:
    for preparer in mail_preparers():
        preparer()


def render_pending() -> int:
    """Render every message still waiting for its bodies, in this transaction (no sending).

    What the worker does before sending; tests and tools that read bodies call it.
    """
    prepare_mail()
    db.session.flush()
    waiting = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.text_body.is_(None), OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    ).all()
    for message in waiting:
        try:
            render_message(message)
        except NoLongerNeeded as reason:
            cancel_message(message, reason)
    db.session.flush()
    return len(waiting)


def cancel_message(message: OutboxMessage, reason: NoLongerNeeded) -> None:
    """Keep a message that will never be sent, with why, until retention removes it."""
    message.status = OutboxStatus.CANCELLED
    message.last_error = f"No longer needed: {reason}"[:500]
    log.info("mail %s cancelled (%s): %s", message.id, message.renderer, reason)
