"""Pages many people read, kept ready in each process while the data they show is unchanged.

Every committed write to the college's data raises one counter, the *data version*, in the
same transaction (bookkeeping that no page shows — sign-ins, throttling, the audit log — does
not count). A kept response names the version it was built from and is used only while the
counter still has that value, and for at most ``PAGE_CACHE_SECONDS``, so pages that depend on
the clock ("enrolment closes tomorrow") move on too. A page is therefore never behind the
data, any process can build it again at any time, and processes share nothing but the
database.

Views opt in with :func:`kept`:

- ``VISITORS``: public pages, kept for people who are not signed in and have no message
  waiting, one copy per language;
- ``PERSON``: a signed-in person's own pages (My courses, the dashboard), one copy per person.
  Everything about the person that decides what they may see (roles, whether the account is
  active, consent, language) lives in tables that raise the data version, so while the
  version is unchanged only their sign-in needs checking: a kept copy is served before the
  person is loaded at all (:func:`serve_kept_early`);
- ``ANYONE``: answers that read no cookie at all (the JSON API, calendar feeds). Calendar
  clients ask for them over and over, mostly to hear "unchanged", so a kept copy is served
  before the other request hooks run (:func:`serve_kept_early`), and one that depends on
  its address alone before the app is asked at all (:class:`EarlyAnswers`).

A form's CSRF token belongs to one visitor, so it is never kept: the visitor's own token is
put in its place on the way out. Only 200 answers are kept; when the view gave an ETag (or
``etag=True`` makes one from the body), a matching ``If-None-Match`` gets a 304 straight
from the kept copy.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from flask import Flask, current_app, g, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.http import HTTP_STATUS_CODES, is_resource_modified
from werkzeug.wrappers import Response

from college.extensions import BindableSession, db
from college.models import DataVersion

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

DATA = "data"
# Writes here change nothing any kept page shows: sign-in bookkeeping and the audit log.
BOOKKEEPING_TABLES = frozenset(
    {"login_sessions", "login_failures", "password_reset_tokens", "audit_events", "data_versions"}
)
# Columns of shown tables that no page shows either: a sign-in is not a change of data.
BOOKKEEPING_COLUMNS = {"users": frozenset({"last_login_at"})}
CSRF_PLACEHOLDER = "\x00csrf\x00"
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
UNKEPT_HEADERS = frozenset({"set-cookie", "content-length"})
SESSION_KEYS_OF_A_VISITOR = frozenset({"csrf_token", "language"})
# Where an answer for anyone names, for ``EarlyAnswers``, the copy it was given from.
SENT_COPY = "college.sent_copy"


class Audience(StrEnum):
    VISITORS = "visitors"
    PERSON = "person"
    ANYONE = "anyone"


VISITORS, PERSON, ANYONE = Audience.VISITORS, Audience.PERSON, Audience.ANYONE


# --- the data version ----------------------------------------------------------------------------


def mark_changed(session: Session) -> None:
    """Count this transaction's writes as a change of data.

    Done for every flush and ORM statement; called by hand only for writes the ORM does
    not see (``execute_write``, the outbox's queue).
    """
    session.info["data_changed"] = True


def execute_write(
    statement: sa.UpdateBase, parameters: dict[str, Any], *, raise_version: bool = False
) -> sa.CursorResult[Any]:
    """Run a prebuilt INSERT, UPDATE or DELETE straight on the session's connection.

    For the few writes on a busy path: the ORM's own work per statement is skipped (on a
    sign-up that work, done while the course row is held, was most of what the next person
    waited for). The ORM no longer sees such a write, so it is counted here, as a flush
    would count it. What is pending is flushed first, as an ORM statement would autoflush,
    so the write lands after the changes made before it.

    ``raise_version`` raises the data version in this same statement on PostgreSQL, so the
    commit needs no statement of its own for it. It is for the last write of a transaction
    that holds a busy lock: that lock is then held for one round trip less, while the
    version's row, which every write transaction takes, is held from this statement on
    rather than from just before the commit. Once is enough: whatever else the transaction
    writes becomes visible at the same commit.
    """
    session = db.session()
    session.flush()
    mark_changed(session)
    connection = session.connection()
    if raise_version and _may_raise_in_statement(session, connection):
        statement = with_raised_version(statement)
        session.info[VERSION_RAISED] = True
        forget_version()
    return connection.execute(statement, parameters)


# Set on a session whose transaction has raised the data version already.
VERSION_RAISED = "page_cache.version_raised"


def _may_raise_in_statement(session: Session, connection: sa.Connection) -> bool:
    """Only PostgreSQL writes to two tables in one statement; and a savepoint that rolls
    back would take the raised version with it, so within one the commit raises it."""
    return connection.dialect.name == "postgresql" and not session.in_nested_transaction()


@lru_cache(maxsize=32)
def with_raised_version(statement: sa.UpdateBase) -> sa.UpdateBase:
    """``statement`` with the version's upsert as a CTE; made once per prebuilt statement."""
    return statement.add_cte(RAISE_VERSION["postgresql"].cte("raised_version"))


def _table_of(instance: object) -> sa.Table | None:
    table = getattr(sa.inspect(instance).mapper, "local_table", None)
    return table if isinstance(table, sa.Table) else None


def _shows_change(instance: object, deleted: bool) -> bool:
    table = _table_of(instance)
    if table is None or table.name in BOOKKEEPING_TABLES:
        return False
    ignored = BOOKKEEPING_COLUMNS.get(table.name)
    if deleted or not ignored:
        return True
    state = sa.inspect(instance)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return not state.persistent or not changed or bool(changed - ignored)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    written = [(o, False) for o in (*session.new, *session.dirty)]
    written += [(o, True) for o in session.deleted]
    if any(_shows_change(instance, deleted) for instance, deleted in written):
        mark_changed(session)


def _after_execute(state: ORMExecuteState) -> None:
    """Bulk INSERT, UPDATE and DELETE statements bypass the flush; count them here."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in BOOKKEEPING_TABLES:
        mark_changed(state.session)


def _version_upsert(insert: Any) -> sa.Insert:
    table = DataVersion.__table__
    statement = insert(table).values(name=DATA, version=1)
    return cast(
        sa.Insert,
        statement.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1}
        ),
    )


# Built once: the upsert runs at the end of every write transaction, while its locks are held
# (or in the transaction's last write on a busy path, see ``execute_write``).
RAISE_VERSION = {
    "postgresql": _version_upsert(postgresql_insert),
    "sqlite": _version_upsert(sqlite_insert),
}


def _raise_version_before_commit(session: Session) -> None:
    # Pending objects are flushed first, so their writes are counted in this commit.
    session.flush()
    changed = session.info.pop("data_changed", False)
    if session.info.pop(VERSION_RAISED, False) or not changed:
        return
    connection = session.connection()
    connection.execute(RAISE_VERSION[connection.dialect.name])
    forget_version()


def _forget_changes(session: Session, *args: Any) -> None:
    session.info.pop("data_changed", None)
    session.info.pop(VERSION_RAISED, None)


def listen_for_writes() -> None:
    """Count every write of every session of the app (the test sessions too)."""
    if event.contains(BindableSession, "after_flush", _after_flush):
        return
    event.listen(BindableSession, "after_flush", _after_flush)
    event.listen(BindableSession, "do_orm_execute", _after_execute)
    event.listen(BindableSession, "before_commit", _raise_version_before_commit)
    event.listen(BindableSession, "after_rollback", _forget_changes)


READ_VERSION = sa.select(DataVersion.version).where(DataVersion.name == DATA)
# The version as a column of another query: the sign-in lookup reads it in the same trip.
VERSION_COLUMN = READ_VERSION.scalar_subquery()
# A version read by this process, reused for PAGE_CACHE_VERSION_SECONDS when that is set.
_remembered: tuple[float, int] | None = None


def forget_version() -> None:
    global _remembered
    _remembered = None
    if g:
        g.pop("data_version", None)


def data_version(fresh: bool = True) -> int:
    """The data version, read once per request.

    Unless ``fresh``, a version this process read less than ``PAGE_CACHE_VERSION_SECONDS``
    ago will do: pages for people who are not signed in may be that far behind, since none
    of them has just changed anything (a commit in this process forgets the version).
    """
    if "data_version" in g:
        return cast(int, g.data_version)
    recent = None if fresh else recent_version(current_app.config["PAGE_CACHE_VERSION_SECONDS"])
    if recent is not None:
        g.data_version = recent
        return recent
    return note_version(db.session.scalar(READ_VERSION))


def recent_version(reuse: float) -> int | None:
    """The version this process read less than ``reuse`` seconds ago, if it did."""
    remembered = _remembered
    if reuse and remembered is not None and time.monotonic() - remembered[0] < reuse:
        return remembered[1]
    return None


def note_version(found: int | None) -> int:
    """Take a version just read from the database as this request's and this process's."""
    global _remembered
    version = found or 0
    _remembered = (time.monotonic(), version)
    g.data_version = version
    return version


# --- kept responses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptResponse:
    version: int
    kept_at: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    has_csrf: bool
    # What a 304 carries: the same headers but the type of a body it does not have.
    not_modified_headers: tuple[tuple[str, str], ...]
    # The headers the app sent with this copy, its own hooks' included, by status: what
    # ``EarlyAnswers`` repeats without asking the app. A copy it gives is kept under its
    # address, URL scheme included, so headers that follow the scheme (HSTS) stay right.
    sent: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict, compare=False)

    def is_unchanged_for(self, environ: WSGIEnvironment) -> bool:
        """Whether the client already holds this copy (its ``If-None-Match`` names it)."""
        return bool(self.etag) and not is_resource_modified(environ, etag=self.etag)

    def answer(self) -> Response:
        if self.is_unchanged_for(request.environ):
            return Response(status=304, headers=list(self.not_modified_headers))
        body = self.body
        if self.has_csrf:
            body = body.replace(CSRF_PLACEHOLDER.encode(), generate_csrf().encode())
        return Response(body, status=self.status, headers=list(self.headers))


class ResponseStore:
    """A least-recently-used store of responses, bounded by their total size."""

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, KeptResponse] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> KeptResponse | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: KeptResponse, limit: int) -> None:
        if len(item.body) > limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._items[key] = item
            self._size += len(item.body)
            while self._size > limit and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


store = ResponseStore()


def clear() -> None:
    """Drop every kept response of this process (tests, and after a deployment's migration)."""
    store.clear()
    forget_version()


def is_plain_visitor() -> bool:
    """Nobody signed in and nothing flashed: the page is the same for every such visitor.

    A session holding nothing but these keys has no sign-in token, so no one is signed in.
    """
    return set(session.keys()) <= SESSION_KEYS_OF_A_VISITOR


def audience_key(audience: Audience) -> Hashable | None:
    """Who the page is for, or None when this request must not use a kept page."""
    if request.method not in ("GET", "HEAD"):
        return None
    if audience is VISITORS:
        return "visitor" if is_plain_visitor() else None
    if audience is PERSON:
        if not current_user.is_authenticated or "_flashes" in session:
            return None
        return person_key(int(current_user.id))
    return "anyone"


def person_key(person_id: int) -> Hashable:
    return ("person", person_id)


def person_language() -> Hashable:
    """What a person's language follows, known without loading them: their own setting
    (unchanged while the data version is), else the switch, else the browser's."""
    return (session.get("language"), request.headers.get("Accept-Language", ""))


def store_key(who: Hashable, language: Hashable) -> Hashable:
    return (request.endpoint, request.full_path, who, language)


def is_fresh(found: KeptResponse, version: int, lifetime: float) -> bool:
    return found.version == version and time.monotonic() - found.kept_at < lifetime


def fresh_copy(key: Hashable, version: int, lifetime: float) -> KeptResponse | None:
    """The copy kept under ``key`` when it was built under ``version`` and is young enough."""
    found = store.get(key)
    return found if found is not None and is_fresh(found, version, lifetime) else None


def answer_for_anyone(copy: KeptResponse) -> Response:
    """Answer from ``copy`` and let ``EarlyAnswers`` learn what the app sent with it."""
    request.environ[SENT_COPY] = copy
    return copy.answer()


def serve_kept_early() -> Response | None:
    """Answer a kept ``PERSON`` or ``ANYONE`` page straight away, before the other hooks run.

    A person's copy was built for them under this data version, so their roles, consent
    and language are what they were then; their sign-in is all that is left to check. An
    answer for anyone reads no cookie, so nothing about the request is left to check.
    """
    lifetime = current_app.config["PAGE_CACHE_SECONDS"]
    if not lifetime or request.method not in ("GET", "HEAD"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    audience = getattr(view, "kept_audience", None)
    if audience is ANYONE:
        language = cast(Callable[[], str], view.kept_language)  # type: ignore[union-attr]
        found = fresh_copy(anyone_key(language), data_version(fresh=False), lifetime)
        return answer_for_anyone(found) if found is not None else None
    if audience is not PERSON or "_flashes" in session:
        return None
    from college import auth  # auth needs services, which need this module

    person = auth.claimed_person_id()
    if person is None:
        return None
    found = store.get(store_key(person_key(person), person_language()))
    if found is None or not auth.sign_in_holds(person):
        return None
    if not is_fresh(found, data_version(), lifetime):
        return None
    return found.answer()


def anyone_key(language: Callable[[], str]) -> Hashable:
    """Where an answer for anyone is kept. One whose language does not follow the request
    depends on nothing but its address, so ``EarlyAnswers`` can find it by that alone."""
    if language is no_language:
        return address_of(request.environ)
    return store_key("anyone", language())


def address_of(environ: WSGIEnvironment) -> Hashable:
    """The request's address as the client wrote it; the host and scheme too, since links
    in an answer (a feed's, say) are written for them."""
    return (
        "address",
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def default_language() -> str:
    return str(get_locale())


def no_language() -> str:
    """For answers whose language does not follow the request (JSON, a person's own feed)."""
    return ""


def keep(response: Response, version: int, etag: bool, audience: Audience) -> KeptResponse | None:
    """A copy of ``response`` fit to give to the next reader, or None when it is not."""
    if response.status_code != 200 or response.direct_passthrough:
        return None
    # A page that showed a message is not kept. Answers for anyone show none, and they do
    # not look at the session at all: reading it would make them "Vary: Cookie".
    if audience is not ANYONE and "_flashes" in session:
        return None
    body = response.get_data()
    token = g.get("csrf_token")
    has_csrf = bool(token) and token.encode() in body
    if has_csrf:
        body = body.replace(token.encode(), CSRF_PLACEHOLDER.encode())
    if etag and not response.get_etag()[0]:
        response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in UNKEPT_HEADERS)
    not_modified = tuple((k, v) for k, v in headers if k.lower() != "content-type")
    return KeptResponse(
        version=version,
        kept_at=time.monotonic(),
        status=response.status_code,
        headers=headers,
        body=body,
        etag=response.get_etag()[0],
        has_csrf=has_csrf,
        not_modified_headers=not_modified,
    )


def build_fresh(view: Callable[..., ResponseReturnValue], *args: Any, **kwargs: Any) -> Response:
    """Run the view as if the client had no copy: the kept answer must be a whole one."""
    environ = request.environ
    saved = {name: environ.pop(name) for name in CONDITIONAL_HEADERS if name in environ}
    try:
        return make_response(view(*args, **kwargs))
    finally:
        environ.update(saved)


def kept(
    audience: Audience, language: Callable[[], str] = default_language, etag: bool = False
) -> Callable[[F], F]:
    """Serve the view's answer from this process's store while the data is unchanged."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            lifetime = current_app.config["PAGE_CACHE_SECONDS"]
            who = audience_key(audience) if lifetime else None
            if who is None:
                return view(*args, **kwargs)
            if audience is ANYONE:
                key = anyone_key(language)
            else:
                key = store_key(who, person_language() if audience is PERSON else language())
            version = data_version(fresh=audience is PERSON)
            copy = fresh_copy(key, version, lifetime)
            if copy is None:
                response = build_fresh(view, *args, **kwargs)
                copy = keep(response, version, etag, audience)
                if copy is None:
                    return response
                store.put(key, copy, current_app.config["PAGE_CACHE_MAX_BYTES"])
            return answer_for_anyone(copy) if audience is ANYONE else copy.answer()

        wrapped.kept_audience = audience  # type: ignore[attr-defined]
        wrapped.kept_language = language  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return decorator


# --- answers before the app --------------------------------------------------------------------


class EarlyAnswers:
    """Give kept answers for anyone straight from the store, before Flask makes a request.

    Calendar clients poll their feeds all day, mostly to hear "unchanged". An answer for
    anyone that depends on its address alone (a personal feed, the JSON API) is given here
    while the data version this process read last is young enough, exactly as the first
    request hook would give it (``serve_kept_early``), but without the cost of a request,
    its context and its hooks. The headers are the ones the app itself sent with the same
    copy, its hooks' included, learnt on the way out; until the app has sent a copy with a
    given status, such a request goes to the app. Anything else goes to the app unchanged.
    """

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            answered = self.answer(environ, start_response)
            if answered is not None:
                return answered
        return self.wsgi_app(environ, self.learning(environ, start_response))

    def answer(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        lifetime = self.app.config["PAGE_CACHE_SECONDS"]
        version = recent_version(self.app.config["PAGE_CACHE_VERSION_SECONDS"])
        if not lifetime or version is None:
            return None
        found = store.get(address_of(environ))
        if found is None or found.has_csrf or not is_fresh(found, version, lifetime):
            return None
        unchanged = found.is_unchanged_for(environ)
        status = 304 if unchanged else found.status
        headers = found.sent.get(status)
        if headers is None:
            return None
        if unchanged:
            start_response("304 Not Modified", list(headers))
            return []
        start_response(
            f"{status} {HTTP_STATUS_CODES.get(status, '')}".strip(),
            [*headers, ("Content-Length", str(len(found.body)))],
        )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [found.body]

    def learning(self, environ: WSGIEnvironment, start_response: StartResponse) -> StartResponse:
        """Pass the answer on, noting its headers when it was given from a copy for anyone."""

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            copy = environ.get(SENT_COPY)
            if copy is not None and exc_info is None and environ["REQUEST_METHOD"] == "GET":
                note_sent(copy, int(status[:3]), headers)
            return start_response(status, headers, exc_info)

        return cast("StartResponse", start)


def note_sent(copy: KeptResponse, status: int, headers: list[tuple[str, str]]) -> None:
    """Keep what the app sent with ``copy``, unless it was meant for this client alone."""
    names = {name.lower() for name, _value in headers}
    if status not in (copy.status, 304) or "set-cookie" in names:
        return
    kept_headers = tuple((k, v) for k, v in headers if k.lower() != "content-length")
    copy.sent[status] = kept_headers


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE_SECONDS", 60)
    app.config.setdefault("PAGE_CACHE_VERSION_SECONDS", 1)
    app.config.setdefault("PAGE_CACHE_MAX_BYTES", 64 * 1024 * 1024)
    listen_for_writes()
    # create_app registers this first: before the CSRF check and the hooks that load the
    # signed-in person (consent, admin access).
    app.before_request(serve_kept_early)
    # Inside any proxy fix added later, so the URL scheme it sees is the client's.
    app.wsgi_app = EarlyAnswers(app, app.wsgi_app)  # type: ignore[method-assign]
