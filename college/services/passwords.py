"""Passwords forgotten or changed: reset links by mail, and a change while signed in."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.account_mail import queue_account_mail
from college.db import now_utc
from college.errors import DomainError
from college.extensions import db
from college.models import PasswordResetToken, User
from college.services.common import (
    check_password_policy,
    find_user_by_email,
    hash_password,
    hash_token,
    record_audit,
)
from college.services.sign_in import (
    InvalidCredentials,
    check_current_password,
    clear_login_failures,
    count_request,
    count_reset_request,
    end_all_sessions,
)
from college.urls import absolute_url

log = logging.getLogger(__name__)


class InvalidResetLink(DomainError):
    message = _l("This link has expired or has already been used. Please ask for a new one.")


# --- passwords -----------------------------------------------------------------------------


def create_password_reset(email: str, address: str | None) -> tuple[User, str] | None:
    """Make a one-time reset token for a known, active account and mail its link to them.

    ``None`` for anyone else; the caller shows the same message either way, so the page
    reveals nothing. Requests are counted per requester address (too many are refused) and
    per account (past the limit no more mail is sent, and the page still says the same);
    they are never counted as failed sign-ins, so asking cannot lock anyone out.
    """
    count_request("reset", address)
    recent = count_reset_request(email)
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    if recent >= current_app.config["RESET_MAX_PER_ACCOUNT"]:
        log.info("reset request over the limit for user=%s; no mail sent", user.id)
        return None
    raw = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordResetToken(
            user=user, token_hash=hash_token(raw), expires_at=now_utc() + timedelta(hours=hours)
        )
    )
    db.session.flush()
    link = absolute_url("auth.reset_password", token=raw)
    queue_account_mail(user, "password_reset", link=link, hours=hours)
    return user, raw


def end_reset_links(user: User) -> None:
    """Every reset link the person still holds stops working (their password has changed)."""
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now_utc())
    )


def find_valid_reset(raw_token: str) -> PasswordResetToken:
    reset = db.session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(raw_token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now_utc():
        raise InvalidResetLink()
    if not reset.user.is_active:
        raise InvalidResetLink()
    return reset


def reset_password(raw_token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working everywhere."""
    reset = find_valid_reset(raw_token)
    user = reset.user
    check_password_policy(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    end_reset_links(user)
    end_all_sessions(user)
    # The link proved the person holds the mailbox: whatever a guesser did is lifted.
    clear_login_failures(user.email)
    record_audit(user, "password.reset", user)
    return user


def change_password(
    user: User, current: str, new: str, keep_token: str | None, address: str | None = None
) -> None:
    """Change a password after checking the current one (counted like a sign-in)."""
    try:
        check_current_password(user, current, address)
    except InvalidCredentials:
        raise InvalidCredentials(_l("Your current password is not right.")) from None
    check_password_policy(new, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new)
    end_reset_links(user)
    end_all_sessions(user, keep_token=keep_token)
    record_audit(user, "password.changed", user)
