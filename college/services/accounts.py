"""Accounts: signing up, accounts made by administrators and the CLI, roles, consent,
settings and the choice of calendar."""

from __future__ import annotations

import logging
import re
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from college import signals
from college.account_mail import queue_account_mail
from college.db import now_utc
from college.errors import DomainError, Forbidden
from college.extensions import db
from college.models import CalendarChoice, Role, User, UserRole
from college.services.common import (
    check_password_policy,
    find_user_by_email,
    hash_password,
    normalise_email,
    record_audit,
)
from college.services.sign_in import count_request, end_all_sessions
from college.urls import absolute_url

log = logging.getLogger(__name__)


class UnknownCalendarChoice(DomainError):
    message = _l("Please choose invitations by email or your calendar address.")


class ConsentRequired(DomainError):
    message = _l("Please read and accept the privacy notice to create an account.")


class LastAdmin(DomainError):
    status_code = 409
    message = _l("The college must keep at least one administrator.")


# --- accounts ------------------------------------------------------------------------------


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


# --- roles and accounts by admins ----------------------------------------------------------


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden()


def count_admins() -> int:
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
    if Role.ADMIN in current and Role.ADMIN not in roles and count_admins() <= 1:
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
    if not active and user.is_admin and count_admins() <= 1:
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
    signals.calendar_choice_changed.send(signals.sender(), user=user)
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
