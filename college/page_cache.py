"""HTTP caching of the pages many people read, checked against the data version.

A view opts in with :func:`cached_response`. Its ETag is made, before the view runs, from
the data version (``college.data_version``), who the response is for, its language, its
address and the clock's current period (pages say "closes tomorrow"), so:

- a client or proxy holding the response gets a ``304 Not Modified`` without the page
  being built or any of its data read (Werkzeug's ``If-None-Match`` parsing);
- this process keeps the whole response in Flask-Caching under that ETag, so a reader
  without a cached response gets it without a rebuild while the data is unchanged;
- ``Cache-Control`` and ``Vary`` tell a reverse proxy what it may keep (see
  ``docs/production.md``).

Who a response is for (:class:`CacheScope`):

- ``VISITORS``: HTML for people who are not signed in and have no message waiting, one
  copy per language; public, so a proxy may keep it, varying by cookie and language;
- ``PERSON``: a signed-in person's own pages (My courses, the dashboard), one copy per
  person and language, ``private, no-store``: cached in this process only;
- ``ANYONE``: responses that read no cookie (the JSON API, calendar feeds), one copy per
  address and language; the view says how long others may keep them.

The version may be one this process read up to ``PAGE_CACHE_VERSION_SECONDS`` (5) ago, so
a busy moment (a term opening: a sign-up every few milliseconds) rebuilds each page at most
once in that time per process rather than for every request; a signed-in person's session
remembers the version their own last change made, and their pages are never older than
that, in whichever process. Visitors' pages may be kept a minute by a proxy anyway.

A form's CSRF token belongs to one browser, so a cached body holds a placeholder and each
reader gets their own token on the way out. Only whole 200 responses are cached.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from college.data_version import current_version
from college.db import reads_only
from college.extensions import cache

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

CSRF_PLACEHOLDER = b"\x00csrf\x00"
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
UNCACHED_HEADERS = frozenset({"set-cookie", "content-length", "etag"})
SESSION_KEYS_OF_A_VISITOR = frozenset({"csrf_token", "language"})
# In a signed-in person's session: the data version their last change made.
WRITTEN_VERSION = "written_version"
# Part of every ETag: change it when the pages change for the same data (a deployment).
CACHE_FORMAT = "1"


class CacheScope(StrEnum):
    """Whom a cached response may be given to."""

    VISITORS = "visitors"
    PERSON = "person"
    ANYONE = "anyone"


VISITORS, PERSON, ANYONE = CacheScope.VISITORS, CacheScope.PERSON, CacheScope.ANYONE

DEFAULT_CACHE_CONTROL = {
    VISITORS: "public, max-age=60",
    # Pages about a person (their courses, health-related) are not stored by browsers either.
    PERSON: "private, no-store",
    ANYONE: "public, max-age=60",
}


@dataclass(frozen=True)
class CachedResponse:
    """A whole 200 response as this process keeps it, with the CSRF token taken out."""

    headers: list[tuple[str, str]]
    body: bytes
    has_csrf: bool

    def to_response(self) -> Response:
        body = self.body
        if self.has_csrf:
            body = body.replace(CSRF_PLACEHOLDER, generate_csrf().encode())
        return Response(body, headers=self.headers)


def cached_body_of(response: Response) -> CachedResponse | None:
    """What to keep of ``response``, or None when it must not be given to anyone else."""
    if response.status_code != 200 or response.direct_passthrough:
        return None
    body = response.get_data()
    token = g.get("csrf_token")
    has_csrf = bool(token) and token.encode() in body
    if has_csrf:
        body = body.replace(token.encode(), CSRF_PLACEHOLDER)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in UNCACHED_HEADERS]
    return CachedResponse(headers, body, has_csrf)


def is_plain_visitor() -> bool:
    """Nobody signed in and nothing flashed: the page is the same for every such visitor.

    A session holding nothing but these keys has no sign-in token, so no one is signed in.
    """
    return set(session.keys()) <= SESSION_KEYS_OF_A_VISITOR


def reader(scope: CacheScope) -> str | None:
    """Who the response is for, or None when this request must not use the cache."""
    if request.method not in ("GET", "HEAD"):
        return None
    if scope is VISITORS:
        return "visitor" if is_plain_visitor() else None
    if scope is PERSON:
        if "_flashes" in session or not current_user.is_authenticated:
            return None
        return f"person-{current_user.id}"
    return "anyone"


def page_language() -> str:
    """What the page's language follows, known without negotiating it: the visitor's own
    choice, else the browser's header (a person's own setting raises the data version)."""
    return f"{session.get('language', '')}|{request.headers.get('Accept-Language', '')}"


def no_language() -> str:
    """For responses whose language does not follow the request (JSON, a person's own feed)."""
    return ""


def wall_clock() -> float:
    """Seconds since the epoch: the same period in every process (tests set it)."""
    return time.time()


def response_etag(version: int, who: str, language: str, fresh_for: float) -> str:
    """The ETag of a response: the same while the data, the reader and the period are."""
    period = int(wall_clock() // fresh_for)
    environ = request.environ
    address = f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    parts = f"{CACHE_FORMAT}\0{version}\0{period}\0{who}\0{language}\0{address}"
    return hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()


def build_whole(view: Callable[..., ResponseReturnValue], *args: Any, **kwargs: Any) -> Response:
    """Run the view as if the client had no copy: the cached response must be a whole one."""
    environ = request.environ
    saved = {name: environ.pop(name) for name in CONDITIONAL_HEADERS if name in environ}
    try:
        return make_response(view(*args, **kwargs))
    finally:
        environ.update(saved)


def cached_or_built(
    key: str, fresh_for: float, view: Callable[..., ResponseReturnValue], *args: Any, **kwargs: Any
) -> Response:
    found = cast(CachedResponse | None, cache.get(key))
    if found is not None:
        return found.to_response()
    response = build_whole(view, *args, **kwargs)
    kept = cached_body_of(response)
    if kept is not None:
        cache.set(key, kept, timeout=int(fresh_for) or None)
    return response


def with_cache_headers(response: Response, cache_control: str | None, vary: str | None) -> Response:
    if cache_control:
        response.headers["Cache-Control"] = cache_control
    if vary:
        response.vary.update(part.strip() for part in vary.split(","))
    return response


def cached_response(
    scope: CacheScope,
    language: Callable[[], str] = page_language,
    cache_control: str | None = None,
    vary: str | None = None,
    fresh_for: float | None = None,
) -> Callable[[F], F]:
    """Answer from the cache while the data version is unchanged, and 304 when it may.

    ``vary`` names the request headers the response follows besides the ones its scope
    implies; ``fresh_for`` is how long the response may stand while the data does
    (``PAGE_CACHE_SECONDS`` unless given; pages that mention the clock keep that short).
    """
    control = cache_control or DEFAULT_CACHE_CONTROL[scope]
    varies = "Cookie, Accept-Language" if scope is not ANYONE else vary
    # A response for anyone reads no cookie, so even uncached it may be kept by others;
    # other pages then keep the college's default for HTML, "no-store".
    uncached_control = control if scope is ANYONE else None

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            config = current_app.config
            who = reader(scope) if config["PAGE_CACHE_SECONDS"] else None
            if who is None:
                response = make_response(view(*args, **kwargs))
                return with_cache_headers(response, uncached_control, varies)
            seconds = fresh_for or config["PAGE_CACHE_SECONDS"]
            # What the reader changed themselves shows at once, in whichever process.
            written = session.get(WRITTEN_VERSION, 0) if scope is not ANYONE else 0
            version = current_version(config["PAGE_CACHE_VERSION_SECONDS"], written)
            etag = response_etag(version, who, language(), seconds)
            if scope is not PERSON and request.if_none_match.contains(etag):
                # The client holds this very response. (Werkzeug's make_conditional would
                # come to the same 304, at a fifth of the request's cost, by also weighing
                # dates and ranges, which these responses do not carry.)
                unchanged = Response(status=304)
                unchanged.set_etag(etag)
                return with_cache_headers(unchanged, control, varies)
            answer = cached_or_built(f"response:{etag}", seconds, view, *args, **kwargs)
            if answer.status_code == 200:
                if scope is not PERSON:  # a stored copy is what an ETag is for
                    answer.set_etag(etag)
                with_cache_headers(answer, control, varies)
            return answer

        # A cached response is given without running the view, so the view may only read.
        return cast(F, reads_only(wrapped))

    return decorator


def remember_written_version(response: Response) -> Response:
    """Let a signed-in person's next pages, in any process, show what they just changed."""
    raised = g.get("raised_version")
    if raised is not None and "_user_id" in session:
        session[WRITTEN_VERSION] = raised
    return response


def clear() -> None:
    """Drop every cached response of this process (tests, and after a migration)."""
    cache.clear()


def init_app(app: Flask) -> None:
    # PAGE_CACHE_SECONDS and PAGE_CACHE_VERSION_SECONDS come from ``college.config``.
    cache.init_app(app)
    app.after_request(remember_written_version)
