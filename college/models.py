"""Core models: people and their roles, qualifications, sessions, audit and mail outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from college.db import Base, UTCDateTime, now_utc
from college.labels import LabelledEnum, enum_type


class Role(LabelledEnum):
    STUDENT = "student", _l("Student")
    PEER = "peer", _l("Peer worker")
    TRAINER = "trainer", _l("Professional trainer")
    ADMIN = "admin", _l("Administrator")


class Programme(LabelledEnum):
    """Peer training programmes whose completion qualifies a peer to teach."""

    FIVE_DAY = "five_day", _l("Five-day programme for peer workers")
    FIVE_WEEK = "five_week", _l("Five-week programme for peer support")


class PublicVisibility(LabelledEnum):
    """What the public pages (prospectus, course pages, JSON API, public calendar) show of
    someone who teaches: their display name, or only their role (e.g. "Peer trainer").

    The choice is the peers package's to offer, but it lives on the account so that the
    courses package, which draws the public pages, can honour it without importing peers.
    """

    # Labels as a peer chooses; a professional trainer is offered their own wording
    # (``peers.forms``).
    NAME = "name", _l("My display name")
    ROLE_ONLY = "role_only", _l("Only \u201cpeer trainer\u201d, without my name")


class CalendarChoice(LabelledEnum):
    """How a person wants their sessions in their calendar: invitations by mail, or the
    personal feed they subscribe to. Never both, so no session shows twice."""

    INVITATIONS = "invitations", _l("Invitations by email")
    FEED = "feed", _l("My calendar address (subscription)")


def public_name_of(display_name: str, visibility: str) -> str | None:
    """The name public pages may show; None when the person shows their role only."""
    return None if visibility == PublicVisibility.ROLE_ONLY else display_name


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so that uniqueness is case-insensitive on every engine.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(5), default="da")
    active: Mapped[bool] = mapped_column(default=True)
    discreet: Mapped[bool] = mapped_column(default=True)
    consent_version: Mapped[str | None] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_visibility: Mapped[PublicVisibility] = mapped_column(
        enum_type(PublicVisibility, 16),
        default=PublicVisibility.NAME,
        server_default=PublicVisibility.NAME,
    )
    calendar_choice: Mapped[CalendarChoice] = mapped_column(
        enum_type(CalendarChoice, 16),
        default=CalendarChoice.INVITATIONS,
        server_default=CalendarChoice.INVITATIONS,
    )

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active and self.anonymised_at is None

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def public_name(self) -> str | None:
        """The name public pages may show; None when the person shows their role only."""
        return public_name_of(self.display_name, self.public_visibility)

    @property
    def wants_invitations(self) -> bool:
        return self.calendar_choice == CalendarChoice.INVITATIONS

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, 16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginSession(Base):
    """A server-side record of a signed-in browser; deleting it signs that browser out."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """One failed sign-in, keyed by a keyed hash of the email or the client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Qualification(Base):
    """A peer's completed training programme, which entitles them to teach some courses."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    programme: Mapped[str] = mapped_column(sa.String(32))
    granted_on: Mapped[date]
    expires_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("user_id", "programme", name="uq_qualifications_user"),)

    @property
    def programme_label(self) -> str:
        """The college's own programmes by their label; a programme added later by its code
        (the peers package names those)."""
        return Programme.label_of(self.programme)

    def is_valid_on(self, day: date) -> bool:
        return self.granted_on <= day and (self.expires_on is None or day <= self.expires_on)


class AuditEvent(Base):
    """An append-only record of who did what to whom; the app never edits or deletes it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(sa.String(500))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class OutboxStatus(LabelledEnum):
    """The state of a message; the labels are what a person's data export calls it."""

    PENDING = "pending", _l("Waiting to be sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Could not be delivered")
    # What it was about passed before it was written (a cover offer a colleague took first).
    CANCELLED = "cancelled", _l("Not sent, as it was no longer needed")


class MailFailure(LabelledEnum):
    """Why a message was not sent, stored so the mail page can say it in plain words."""

    SERVER_UNREACHABLE = (
        "server_unreachable",
        _l("The college could not reach its mail server. It tries again by itself."),
    )
    SERVER_BUSY = "server_busy", _l("The mail server asked to try again later. It will.")
    ADDRESS_UNSENDABLE = (
        "address_unsendable",
        _l(
            "The address has letters that the college's mail server cannot send to "
            "(such as æ, ø or å before the @). Ask the person for another address."
        ),
    )
    ADDRESS_REFUSED = (
        "address_refused",
        _l("The receiving mail server does not know this address. Check it with the person."),
    )
    MESSAGE_REFUSED = "message_refused", _l("The mail server refused the message.")
    CANNOT_BUILD = (
        "cannot_build",
        _l(
            "The message could not be put together, for example because of a line break in a "
            "title. Correct the text and try again."
        ),
    )
    CANNOT_WRITE = (
        "cannot_write",
        _l("The message could not be written from its template. It is tried again by itself."),
    )
    NO_RECIPIENT = (
        "no_recipient",
        _l("There is nobody left to write to: the account was erased."),
    )
    UNEXPECTED = (
        "unexpected",
        _l("Something unexpected went wrong. It is tried again by itself."),
    )


class OutboxMessage(Base):
    """An email waiting to be sent, written in the same transaction as its cause."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    # NULL until the mail worker renders a message queued by description (``renderer``).
    text_body: Mapped[str | None] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    calendar_method: Mapped[str | None] = mapped_column(sa.String(16))
    calendar_body: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The technical text, for whoever looks into it; ``failure`` says why in a word.
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    failure: Mapped[MailFailure | None] = mapped_column(enum_type(MailFailure, 32))
    # A message queued by description: which registered renderer writes its bodies, and
    # the values frozen when it was queued (ids, iTIP METHOD and SEQUENCE, language...).
    renderer: Mapped[str | None] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    @property
    def has_failed(self) -> bool:
        return self.status == OutboxStatus.FAILED

    @property
    def needs_rendering(self) -> bool:
        return self.text_body is None

    @property
    def failure_label(self) -> Any:
        """Why it was not sent, in plain words (old rows without a reason say "unexpected")."""
        if self.failure is not None:
            return self.failure.label
        return MailFailure.UNEXPECTED.label if self.last_error else None

    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)


class ReceivedMail(Base):
    """A message read from the college's mailbox, kept so that it is handled only once.

    Only a digest of its Message-ID and what became of it: no address, no content.
    """

    __tablename__ = "received_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    outcome: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class DataVersion(Base):
    """A counter raised by every commit that changes what pages show (see ``data_version``)."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
