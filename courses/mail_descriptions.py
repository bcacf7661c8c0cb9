"""What a queued calendar invitation is, in words an administrator can read on the mail page.

Invitations are now written whole by the mail worker (``courses.invites``), with their
subject; these words name the ones queued one per session before it did, which may still be
listed.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import format_datetime
from flask_babel import gettext as _

from college.extensions import db
from college.outbox.summaries import register_description
from courses.models import CourseSession

# Invitations queued by description, one per session, before the worker wrote them whole.
QUEUED_INVITATION = "courses.invitation"


def describe_invitation(payload: dict[str, Any]) -> str:
    """ "Calendar invitation: <course>, <when>" (or its cancellation), in the reader's language."""
    session = db.session.get(CourseSession, payload.get("session_id") or 0)
    if session is None:
        what = _("a session that no longer exists")
    else:
        when = format_datetime(session.starts_at, "medium")
        what = _("%(course)s, %(when)s", course=session.course.title, when=when)
    if payload.get("method") == "CANCEL":
        return _("Calendar cancellation: %(what)s", what=what)
    return _("Calendar invitation: %(what)s", what=what)


def init_app(app: Flask) -> None:
    register_description(app, QUEUED_INVITATION, describe_invitation)
