"""Signing in: counting failed attempts in the database, checking credentials, and the
server-side sessions that keep a person signed in."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from college import page_cache
from college.db import UTCDateTime, now_utc
from college.errors import DomainError
from college.extensions import db
from college.models import LoginFailure, LoginSession, User
from college.services.common import (
    find_user_by_email,
    hash_token,
    keyed_hash,
    normalise_email,
    password_hasher,
    verify_password,
)

log = logging.getLogger(__name__)


class InvalidCredentials(DomainError):
    status_code = 401
    message = _l("The email address or password is not right. Please try again.")


class TooManyAttempts(DomainError):
    status_code = 429
    message = _l(
        "There have been too many attempts to log in. "
        "For your safety, please wait %(minutes)s minutes and try again, "
        "or ask for a link to choose a new password: it lets you in at once."
    )


class TooManyRequests(DomainError):
    status_code = 429
    message = _l(
        "There have been many requests from your network. "
        "Please wait %(minutes)s minutes and try again."
    )


# --- throttling ----------------------------------------------------------------------------
#
# Every counted attempt is a row of ``LoginFailure`` under a keyed hash, so all web processes
# share the counts and the table names no one. Sign-in failures are counted three ways:
#
# - per (address, account): the hard limit, low (``LOGIN_MAX_FAILURES``), so a guesser at
#   one address soon stops, while everyone else behind that address signs in as usual;
# - per account, from anywhere: higher (``LOGIN_MAX_FAILURES_PER_ACCOUNT``), for guessing
#   spread over many addresses; a password-reset link always lifts it, so the owner is
#   never locked out of their own account;
# - per address: high (``LOGIN_MAX_FAILURES_PER_ADDRESS``), for a shared PC or a NAT.
#
# Reset requests and sign-ups have their own counts and never count as failed sign-ins.


def _lock_window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def _stored_key(kind: str, *parts: str) -> str:
    return keyed_hash("\x1f".join((kind, *parts)))


def _count_since(key: str, since: datetime) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > since)
        )
        or 0
    )


def _record(keys: list[str]) -> None:
    now = now_utc()
    db.session.add_all([LoginFailure(key=key, at=now) for key in keys])
    # Nothing older than a day is ever counted again; keep the table small.
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))


def _login_keys(email: str, address: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    account = normalise_email(email)
    keys: list[tuple[str, int, tuple[str, ...]]] = [
        ("account", config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], (account,))
    ]
    if address:
        keys.append(("address+account", config["LOGIN_MAX_FAILURES"], (address, account)))
        keys.append(("address", config["LOGIN_MAX_FAILURES_PER_ADDRESS"], (address,)))
    return [(_stored_key(kind, *parts), limit) for kind, limit, parts in keys]


def ensure_not_throttled(email: str, address: str | None) -> None:
    """Refuse a sign-in (or a current-password check) after too many recent failures."""
    since = now_utc() - _lock_window()
    for key, limit in _login_keys(email, address):
        if _count_since(key, since) >= limit:
            raise TooManyAttempts(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def record_login_failure(email: str, address: str | None) -> None:
    _record([key for key, _limit in _login_keys(email, address)])


def clear_login_failures(email: str) -> None:
    """Forget an account's failures from everywhere (a right password, or a new one)."""
    account = normalise_email(email)
    keys = [_stored_key("account", account)]
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_(keys)))


def clear_address_failures(email: str, address: str | None) -> None:
    if address:
        key = _stored_key("address+account", address, normalise_email(email))
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == key))


def count_request(kind: str, address: str | None) -> None:
    """Count a form sent from ``address`` (sign-up, reset request), refusing one too many."""
    if not address:
        return
    limit = current_app.config[f"{kind.upper()}_MAX_PER_ADDRESS"]
    key = _stored_key(kind, address)
    if _count_since(key, now_utc() - _lock_window()) >= limit:
        raise TooManyRequests(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    _record([key])


def count_reset_request(email: str) -> int:
    """Count a reset request for the account at ``email``; returns how many came before it
    within the window (past the limit no mail is sent, see ``create_password_reset``)."""
    key = _stored_key("reset-account", normalise_email(email))
    recent = _count_since(key, now_utc() - _lock_window())
    _record([key])
    return recent


def check_current_password(user: User, password: str, address: str | None) -> None:
    """Confirm a signed-in person's password; a wrong one counts as a failed sign-in."""
    ensure_not_throttled(user.email, address)
    if not verify_password(user, password):
        record_login_failure(user.email, address)
        raise InvalidCredentials(_l("Your password is not right."))


def authenticate(email: str, password: str, address: str | None) -> User:
    """Return the user for these credentials, counting failures across all web processes."""
    ensure_not_throttled(email, address)
    user = find_user_by_email(email)
    if user is not None and not _may_sign_in(user):
        user = None
    if not verify_password(user, password) or user is None or not user.is_active:
        record_login_failure(email, address)
        raise InvalidCredentials()
    clear_address_failures(email, address)
    user.last_login_at = now_utc()
    _rehash_if_needed(user, password)
    return user


def _may_sign_in(user: User) -> bool:
    """Demo accounts have a published password; a production college never accepts them."""
    from college.demo import is_demo_account

    return current_app.config["ALLOW_DEMO_LOGINS"] or not is_demo_account(user.email)


def _rehash_if_needed(user: User, password: str) -> None:
    hasher = password_hasher()
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)


# --- server-side sessions ------------------------------------------------------------------


def start_login_session(user: User) -> str:
    """Open a server-side session and return the raw token for the browser's cookie."""
    raw = secrets.token_urlsafe(32)
    lifetime = timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])
    db.session.add(
        LoginSession(token_hash=hash_token(raw), user=user, expires_at=now_utc() + lifetime)
    )
    db.session.flush()
    return raw


# A server-side session that is still live, for the browser's token and the person it names.
LIVE_SESSION = sa.and_(
    LoginSession.token_hash == sa.bindparam("token_hash"),
    LoginSession.expires_at > sa.bindparam("now", type_=UTCDateTime),
    LoginSession.user_id == sa.bindparam("user_id"),
)
# Every signed-in request asks this, so the statement is built once; roles come with it,
# and so does the data version, which the person's own kept pages need read fresh.
SESSION_USER = (
    sa.select(User, page_cache.VERSION_COLUMN)
    .join(LoginSession, LoginSession.user_id == User.id)
    .options(joinedload(User.role_rows))
    .where(LIVE_SESSION)
)
# A kept page of the person needs only this: that the sign-in still holds (see page_cache).
SESSION_HOLDS = sa.select(page_cache.VERSION_COLUMN, sa.exists().where(LIVE_SESSION))


def _session_values(user_id: int, raw_token: str) -> dict[str, object]:
    return {"token_hash": hash_token(raw_token), "now": now_utc(), "user_id": user_id}


def load_session_user(user_id: str, raw_token: str | None) -> User | None:
    """Return the signed-in user only while their server-side session still exists."""
    if not raw_token or not user_id.isdigit():
        return None
    values = _session_values(int(user_id), raw_token)
    row = db.session.execute(SESSION_USER, values).unique().one_or_none()
    if row is None:
        return None
    user, version = row
    page_cache.note_version(version)
    return user


def session_holds(user_id: int, raw_token: str | None) -> bool:
    """Whether ``raw_token`` is a live sign-in of ``user_id``; notes the data version too."""
    if not raw_token:
        return False
    values = _session_values(user_id, raw_token)
    version, holds = db.session.connection().execute(SESSION_HOLDS, values).one()
    page_cache.note_version(version)
    return bool(holds)


def end_login_session(raw_token: str | None) -> None:
    if raw_token:
        db.session.execute(
            sa.delete(LoginSession).where(LoginSession.token_hash == hash_token(raw_token))
        )


def end_all_sessions(user: User, keep_token: str | None = None) -> None:
    """Sign a person out everywhere, except the browser holding ``keep_token``."""
    statement = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        statement = statement.where(LoginSession.token_hash != hash_token(keep_token))
    db.session.execute(statement)
