"""What the other services share: addresses, hashed tokens and passwords, the audit log."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from functools import cache
from importlib import resources

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.errors import DomainError
from college.extensions import db
from college.models import AuditEvent, User

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class WeakPassword(DomainError):
    message = _l("Please choose a different password.")


# --- addresses, tokens and passwords --------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(raw: str) -> str:
    """Tokens are stored hashed so that a copy of the database cannot sign anyone in."""
    return hashlib.sha256(raw.encode()).hexdigest()


def keyed_hash(value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def password_hasher() -> PasswordHasher:
    config = current_app.config
    return _cached_hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@cache
def _cached_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("college").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the account exists."""
    hasher = password_hasher()
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        if stored is None:
            hasher.verify(_dummy_hash(hasher), password + "x")
            return False
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash_for(params: tuple[int, int]) -> str:
    return PasswordHasher(time_cost=params[0], memory_cost=params[1]).hash(secrets.token_hex(8))


def _dummy_hash(hasher: PasswordHasher) -> str:
    return _dummy_hash_for((hasher.time_cost, hasher.memory_cost))


def check_password_policy(password: str, *, email: str = "", display_name: str = "") -> None:
    """Refuse passwords that are short, huge, common or just the person's own name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _l("Your password must have at least %(count)s characters."),
            count=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            _l("Your password can have at most %(count)s characters."), count=MAX_PASSWORD_LENGTH
        )
    lowered = password.strip().lower()
    personal = {normalise_email(email), normalise_email(email).split("@")[0], display_name.lower()}
    if lowered in _common_passwords() or lowered in personal or len(set(lowered)) < 3:
        raise WeakPassword(
            _l("This password is too easy to guess. Try a few words that mean something to you.")
        )


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


# --- audit ---------------------------------------------------------------------------------


def record_audit(
    actor: User | None,
    action: str,
    target: object | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append an audit event; the detail never holds health data, only what was changed."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        detail=detail[:500] if detail else None,
    )
    db.session.add(event)
    return event
