"""Rules and writes for people: accounts, sign-in, passwords, roles and the audit log.

Services take model instances and plain values, flush but never commit, and raise
``DomainError`` subclasses whose messages can be shown to the person as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from college import page_cache
from college.account_mail import queue_account_mail
from college.db import UTCDateTime, now_utc
from college.errors import DomainError, Forbidden
from college.extensions import db
from college.models import (
    AuditEvent,
    CalendarChoice,
    LoginFailure,
    LoginSession,
    PasswordResetToken,
    Role,
    User,
    UserRole,
)
from college.signals import calendar_choice_changed
from college.urls import absolute_url

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class WeakPassword(DomainError):
    message = _l("Please choose a different password.")


class UnknownCalendarChoice(DomainError):
    message = _l("Please choose invitations by email or your calendar address.")


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


class InvalidResetLink(DomainError):
    message = _l("This link has expired or has already been used. Please ask for a new one.")


class ConsentRequired(DomainError):
    message = _l("Please read and accept the privacy notice to create an account.")


class LastAdmin(DomainError):
    status_code = 409
    message = _l("The college must keep at least one administrator.")


# --- helpers -------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(raw: str) -> str:
    """Tokens are stored hashed so that a copy of the database cannot sign anyone in."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _keyed_hash(value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def _hasher() -> PasswordHasher:
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
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the account exists."""
    hasher = _hasher()
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


# --- accounts ------------------------------------------------------------------------------


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def register_user(
    *,
    email: str,
    display_name: str,
    password: str,
    language: str,
    consent: bool,
    discreet: bool = True,
    roles: tuple[Role, ...] = (Role.STUDENT,),
    address: str | None = None,
) -> User | None:
    """Create a student account with the privacy-notice consent recorded.

    An address that already has an account gets no second one, and the page says nothing
    different: its owner is told by mail, with a way to reset their password, and None is
    returned. The password is hashed either way, so the work (and the time) is the same.
    Discreet mode is on unless the person turned it off while signing up.
    """
    if not consent:
        raise ConsentRequired()
    email = normalise_email(email)
    display_name = display_name.strip()
    check_password_policy(password, email=email, display_name=display_name)
    count_request("signup", address)
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)
        if existing.is_active:
            queue_account_mail(existing, "signup_attempt", link=absolute_url("auth.reset_request"))
        log.info("sign-up for an address that has an account")
        return None
    user = create_user(
        email=email,
        display_name=display_name,
        password=password,
        language=language,
        roles=roles,
    )
    user.discreet = bool(discreet)
    user.consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    user.consented_at = now_utc()
    db.session.flush()
    queue_account_mail(user, "welcome", link=absolute_url("auth.login"))
    log.info("account registered user=%s", user.id)
    return user


def create_user(
    *,
    email: str,
    display_name: str,
    password: str | None,
    language: str = "da",
    roles: tuple[Role, ...] = (Role.STUDENT,),
) -> User:
    """Create an account without the sign-up checks (used by admins, the CLI and the demo)."""
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password else None,
        language=language,
        role_rows=[UserRole(role=role) for role in roles],
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_language(user: User, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("That language is not available."))
    user.language = language


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
    return _keyed_hash("\x1f".join((kind, *parts)))


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
    hasher = _hasher()
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


# --- passwords -----------------------------------------------------------------------------


def create_password_reset(email: str, address: str | None) -> tuple[User, str] | None:
    """Make a one-time reset token for a known, active account and mail its link to them.

    ``None`` for anyone else; the caller shows the same message either way, so the page
    reveals nothing. Requests are counted per requester address (too many are refused) and
    per account (past the limit no more mail is sent, and the page still says the same);
    they are never counted as failed sign-ins, so asking cannot lock anyone out.
    """
    count_request("reset", address)
    account_key = _stored_key("reset-account", normalise_email(email))
    recent = _count_since(account_key, now_utc() - _lock_window())
    _record([account_key])
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


# --- roles and accounts by admins ----------------------------------------------------------


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden()


def _admin_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(UserRole)
            .join(User)
            .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        )
        or 0
    )


def set_roles(actor: User, user: User, roles: set[Role]) -> None:
    """Give a person exactly these roles, keeping at least one administrator."""
    require_admin(actor)
    if not roles:
        raise DomainError(_l("A person needs at least one role."))
    current = user.roles
    if Role.ADMIN in current and Role.ADMIN not in roles and _admin_count() <= 1:
        raise LastAdmin()
    for row in list(user.role_rows):
        if Role(row.role) not in roles:
            user.role_rows.remove(row)
    for role in sorted(roles - current):
        user.role_rows.append(UserRole(role=role))
    db.session.flush()
    if roles != current:
        record_audit(actor, "user.roles", user, ",".join(sorted(roles)))


def set_account_active(actor: User, user: User, active: bool) -> None:
    """Disable or re-enable an account; disabling signs the person out everywhere."""
    require_admin(actor)
    if not active and user.is_admin and _admin_count() <= 1:
        raise LastAdmin()
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all_sessions(user)
    record_audit(actor, "user.enabled" if active else "user.disabled", user)


def make_admin(email: str, display_name: str, password: str) -> User:
    """Create an administrator, or give an existing account the admin role (CLI)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_policy(password, email=email, display_name=display_name)
        user = create_user(
            email=email, display_name=display_name, password=password, roles=(Role.ADMIN,)
        )
    elif Role.ADMIN not in user.roles:
        user.role_rows.append(UserRole(role=Role.ADMIN))
    record_audit(None, "user.made_admin", user)
    db.session.flush()
    return user


def needs_new_consent(user: User, version: str) -> bool:
    """True when the person agreed to an older privacy notice than ``version``.

    Accounts made by administrators (staff) never gave consent and are not asked:
    their details are kept because they work here, not because they agreed.
    """
    return user.consent_version is not None and user.consent_version != version


def record_consent(user: User, version: str) -> None:
    """Record that the person agreed to privacy notice ``version`` now."""
    user.consent_version = version
    user.consented_at = now_utc()
    record_audit(user, "consent.given", user, version)


def update_settings(user: User, *, language: str, discreet: bool) -> None:
    set_language(user, language)
    user.discreet = discreet


# --- calendar feed addresses ---------------------------------------------------------------

CALENDAR_TOKEN_BYTES = 32
MAX_CALENDAR_TOKEN_LENGTH = 64
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def renew_calendar_token(user: User) -> str:
    """Give the person a new secret feed address; any earlier one stops working at once."""
    token = secrets.token_urlsafe(CALENDAR_TOKEN_BYTES)
    user.calendar_token = token
    db.session.flush()
    log.info("calendar token renewed user=%s", user.id)
    return token


def revoke_calendar_token(user: User) -> None:
    """Switch the person's feed address off; calendars that use it get "not found"."""
    user.calendar_token = None
    db.session.flush()
    log.info("calendar token revoked user=%s", user.id)


def choose_calendar(user: User, choice: str) -> bool:
    """Take the person's sessions by invitation or by their feed; True when it changed.

    Choosing the feed gives them a feed address if they have none. The packages that send
    invitations hear of the change (``calendar_choice_changed``) in this transaction and
    take the invited entries out, or send them again.
    """
    if choice not in set(CalendarChoice):
        raise UnknownCalendarChoice()
    if user.calendar_choice == choice:
        return False
    user.calendar_choice = CalendarChoice(choice)
    if choice == CalendarChoice.FEED and user.calendar_token is None:
        renew_calendar_token(user)
    db.session.flush()
    calendar_choice_changed.send(current_app._get_current_object(), user=user)  # type: ignore[attr-defined]
    log.info("calendar choice changed user=%s choice=%s", user.id, choice)
    return True


def find_user_by_calendar_token(token: str) -> User | None:
    """The active person whose feed address holds ``token``, if any."""
    # Tokens are URL-safe base64; anything else (a NUL byte, say) is not worth a query.
    if not token or len(token) > MAX_CALENDAR_TOKEN_LENGTH or not TOKEN_CHARS.fullmatch(token):
        return None
    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is None or not user.is_active:
        return None
    return user
