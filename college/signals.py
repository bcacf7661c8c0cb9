"""The college's extension points: how the domain packages plug into the core and each other.

The core never imports ``courses`` or ``peers``; they plug themselves in from their
``init_app(app)``. There are two kinds of extension point, and this module lists them all
(``docs/architecture.md`` has the same list as a table):

- **Signals** (blinker, as Flask's own ``request_started``) say that something happened.
  Receivers are connected per app, ``some_signal.connect(receiver, sender=app)``; a signal
  is sent as ``some_signal.send(sender(), **values)`` (``sender()`` is the current app),
  and each receiver is called as ``receiver(app, **values)``. Receivers run inside the
  caller's transaction: they may write and flush, they never commit, and a ``DomainError``
  one raises refuses the whole change. Their order is not defined, so no receiver may
  depend on another's work. Where the sender needs an answer (the sessions of a personal
  feed, what is known about a candidate's availability), ``send()`` returns each
  receiver's result as ``(receiver, result)`` pairs; the signal's doc says what a
  receiver returns.
- **Registries** hold what the core looks up rather than what it announces: a renderer per
  kind of mail, links in a menu, sections of a person's data export, demo seeders. They are
  the typed fields of one ``ExtensionPoints`` object per app, ``app.extensions["college"]``
  (``extension_points(app)``); the modules that own a registry offer a helper to add to it
  (``add_nav_item``, ``register_renderer``, ``register_personal_data``, …).

Receivers are held weakly (blinker's default): connect module-level functions, not lambdas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from blinker import Namespace
from flask import Flask, current_app

if TYPE_CHECKING:
    from markupsafe import Markup

    from college.audit import SubjectIds, TargetNames
    from college.demo import DemoCollege, ScaledCollege
    from college.landing import LandingPage
    from college.outbox.queueing import Renderer
    from college.outbox.summaries import Describer
    from college.privacy import PersonalData
    from college.reports import PanelProvider
    from college.templating import NavItem

signals = Namespace()

# --- signals: something happened -----------------------------------------------------------------

calendar_choice_changed = signals.signal(
    "calendar-choice-changed",
    doc="""A person changed how they want their sessions in their calendar.

    Sent by ``college.services.choose_calendar`` with ``user`` (the ``User``, already
    holding the new ``calendar_choice``). A package that sends invitations takes its entries
    out of the person's calendar when they chose the feed, and invites them again when they
    chose invitations.
    """,
)

calendar_reply_received = signals.signal(
    "calendar-reply-received",
    doc="""A calendar app answered one of the college's invitations (an iTIP REPLY).

    Sent by ``college.inbox`` with ``reply`` (a ``college.inbox.CalendarReply``): the
    person, who is the attendee the reply names and the address it came from, the UID,
    the RECURRENCE-ID if it answers one occurrence, and the PARTSTAT. Only DECLINED
    replies are sent; accepting changes nothing. A receiver that knows the UID acts on it
    and returns True; when no receiver does, the core logs the reply as unknown.
    """,
)

session_changed = signals.signal(
    "session-changed",
    doc="""A session of a published course was added, rescheduled, cancelled or given
    other facilitators.

    Sent by ``courses.services.events.session_changed`` with ``session`` (the
    ``CourseSession``, its ``sequence`` already raised and flushed), ``kind`` (a
    ``courses.services.events.SessionChange``) and details: ``with_course=True`` when the
    whole course is being cancelled; ``before`` (the old times) when rescheduled;
    ``added_user_ids`` and ``removed_user_ids`` when facilitators changed. Receivers tell
    the people concerned (people offered a place) and keep their own records in step
    (cover requests for the session).
    """,
)

course_changed = signals.signal(
    "course-changed",
    doc="""A course was published, updated while public, cancelled or archived.

    Sent by ``courses.services.events.course_changed`` with ``course`` (the ``Course``,
    flushed) and ``kind`` (a ``courses.services.events.CourseChange``). Receivers offer
    freed places to the waiting list when a public course grows, and tell everyone with a
    place or in the queue when it is cancelled.
    """,
)

enrolment_changed = signals.signal(
    "enrolment-changed",
    doc="""Someone got or lost a place on a course.

    Sent by ``courses.enrolment.services`` with ``enrolment`` (the ``Enrolment``, flushed)
    and ``kind``: ``"enrolled"`` or ``"withdrawn"``. Nothing in the college needs it today:
    invitations and personal feeds follow places by themselves. A package that keeps
    something per place (a companion, a bursary) receives it here.
    """,
)

personal_feed_requested = signals.signal(
    "personal-feed-requested",
    doc="""A person's own calendar feed is being built; which sessions are theirs?

    Sent by ``courses.feeds`` with ``user``. Each receiver returns a SELECT of the ids of
    sessions the person takes part in (a ``sqlalchemy.Select`` of one integer column); the
    feed shows the union of them and of the sessions the person facilitates.
    """,
)

availability_requested = signals.signal(
    "availability-requested",
    doc="""The office is choosing who facilitates some sessions; what should it know?

    Sent by ``courses.services.candidates`` with ``user_ids`` (the people considered) and
    ``slots`` (the sessions' ``(starts_at, ends_at)`` pairs). Each receiver returns a dict
    ``{user_id: [CandidateNote, ...]}`` of what it knows about those people at those times
    (resting, away, in training), never the reason for an absence. Notes that block rank a
    candidate lower.
    """,
)


# --- registries: what the core looks up -----------------------------------------------------------

SeriesLookup = Callable[[str], Any]
CoursePagePanel = Callable[[Any], "Markup | None"]


def _menus() -> dict[str, list[NavItem]]:
    return {"main": [], "admin": [], "me": []}


@dataclass
class ExtensionPoints:
    """Everything the packages registered with one app; ``app.extensions["college"]``.

    Lists keep the order packages registered in (the core's own entries first, then
    ``COLLEGE_PACKAGES`` in order); dicts are keyed by the name the registering package
    chose, and a later registration under the same name replaces an earlier one.
    """

    # -- pages
    nav: dict[str, list[NavItem]] = field(default_factory=_menus)
    """Links in the "main", "admin" and "me" menus (``templating.add_nav_item``)."""
    landing_pages: list[LandingPage] = field(default_factory=list)
    """Where a person lands after signing in, by role (``landing.add_landing_page``)."""
    dashboard_panels: list[PanelProvider] = field(default_factory=list)
    """``provider(args) -> Panel | None`` on the admin dashboard
    (``reports.add_dashboard_panel``)."""
    personal_feed_endpoint: str | None = None
    """The endpoint of a person's own feed (it takes ``token``), linked from Calendar."""
    teaching_page_endpoint: str | None = None
    """The page teachers work from: saved registers return there, and invitations send
    teachers there to say they cannot come."""
    course_page_panels: list[CoursePagePanel] = field(default_factory=list)
    """``panel(course) -> Markup | None``: boxes on a public course page (e.g. Join)."""
    course_admin_links: list[NavItem] = field(default_factory=list)
    """Links on a course's admin page; each endpoint takes ``course_id``."""

    # -- people's data
    personal_data: list[PersonalData] = field(default_factory=list)
    """Each package's part of a person's data export and erasure
    (``privacy.register_personal_data``)."""
    retention_tasks: list[Callable[[datetime], int]] = field(default_factory=list)
    """``task(now) -> int`` run by ``flask college apply-retention``; returns how many
    records it cleared."""

    # -- demo data
    demo_seeders: list[Callable[[DemoCollege], None]] = field(default_factory=list)
    """``seeder(DemoCollege)`` after the core's demo people (``flask college demo``)."""
    scale_seeders: list[Callable[[ScaledCollege], None]] = field(default_factory=list)
    """``seeder(ScaledCollege)`` for ``flask college demo --scale``."""

    # -- mail and calendar replies
    worker_tasks: list[Callable[[], object]] = field(default_factory=list)
    """``task()`` in every round of the mail worker, committed after each."""
    mail_preparers: list[Callable[[], object]] = field(default_factory=list)
    """``preparer()`` before the worker writes and sends, in the same transaction
    (``outbox.register_mail_preparer``)."""
    outbox_renderers: dict[str, Renderer] = field(default_factory=dict)
    """``renderer(payload) -> Rendered`` by renderer name (``outbox.register_renderer``)."""
    outbox_describers: dict[str, Describer] = field(default_factory=dict)
    """``describe(payload) -> str`` for admins, by renderer name
    (``outbox.register_description``)."""
    series_lookups: list[SeriesLookup] = field(default_factory=list)
    """``lookup(uid) -> Course | None``: the course a recurring invitation's UID stands
    for, so that a reply to it can be read (``courses.replies``)."""

    # -- the audit log's words (``audit.register_audit_*``)
    audit_actions: dict[str, Any] = field(default_factory=dict)
    """Action code -> its label."""
    audit_kinds: dict[str, Any] = field(default_factory=dict)
    """Target type -> the name of that kind of thing."""
    audit_targets: dict[str, TargetNames] = field(default_factory=dict)
    """Target type -> ``names(ids) -> {id: name}`` for the log's rows."""
    audit_sentences: dict[str, Any] = field(default_factory=dict)
    """Action code -> how a row reads ("%(who)s opened the cohort “%(target)s”")."""
    audit_detail_words: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """Detail key -> words for its values (e.g. removal reasons)."""
    audit_subjects: dict[str, SubjectIds] = field(default_factory=dict)
    """Target type -> ``ids_of(person_id) -> SELECT`` of targets that are about a person."""


def extension_points(app: Flask | None = None) -> ExtensionPoints:
    """The registries of ``app`` (by default the current one)."""
    target = app if app is not None else current_app
    points: ExtensionPoints = target.extensions["college"]
    return points


def init_app(app: Flask) -> None:
    """Give the app its registries; before anything registers in them."""
    app.extensions["college"] = ExtensionPoints()


def sender() -> Flask:
    """The app as a signal's sender: the object receivers were connected for."""
    return current_app._get_current_object()  # type: ignore[attr-defined]
