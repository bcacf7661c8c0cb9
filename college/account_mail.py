"""Mail about a person's own account (the welcome, a password-reset link), written by the worker.

Queued by description with the change that causes it, like every other message of the
college, so no template is rendered while the person waits for the page. The payload holds
what must not change before it is written (the language chosen, the reset link, its hours);
the person is read again when it is written, so an account erased meanwhile gets nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.models import User
from college.outbox.queueing import (
    Rendered,
    Undeliverable,
    enqueue_described,
    register_renderer,
    render_email,
)
from college.outbox.summaries import register_description

RENDERER = "college.account"
# Each kind's template, and its subject built when the message is written (in its language).
MESSAGES: dict[str, tuple[str, Callable[[], Any]]] = {
    "welcome": (
        "college/welcome",
        lambda: _l("Welcome to %(college)s", college=current_app.config["COLLEGE_NAME"]),
    ),
    "password_reset": ("college/password_reset", lambda: _l("Reset your password")),
    "signup_attempt": (
        "college/signup_attempt",
        lambda: _l("Someone tried to create an account with your address"),
    ),
}


def queue_account_mail(user: User, kind: str, **context: str | int) -> None:
    """Queue the ``kind`` message to ``user``; ``context`` holds plain values for its template."""
    payload = {"user_id": user.id, "kind": kind, "language": user.language, "context": context}
    enqueue_described(user.email, RENDERER, payload, summary=f"Account {user.id}: {kind}")


def render_account_mail(payload: dict[str, Any]) -> Rendered:
    """Write a queued account message from its payload (the mail worker calls this)."""
    user = db.session.get(User, payload["user_id"])
    if user is None or user.anonymised_at is not None:
        raise Undeliverable("the account no longer exists")
    template, subject = MESSAGES[payload["kind"]]
    return render_email(user, payload["language"], template, subject(), **payload["context"])


def describe_account_mail(payload: dict[str, Any]) -> str:
    """What a queued account message is, for an admin, in the admin's language."""
    _template, subject = MESSAGES[payload["kind"]]
    return str(subject())


def init_app(app: Flask) -> None:
    register_renderer(app, RENDERER, render_account_mail)
    register_description(app, RENDERER, describe_account_mail)
