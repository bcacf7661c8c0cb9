"""HTTP caching of the pages many people read, checked against the data version.

A view opts in with :func:`cached_response`. Its ETag is made, before the view runs, from
the data version (``college.data_version``), who the response is for, its language, its
address and the clock's current period (pages say "closes tomorrow"), so:

- a client or proxy holding the response gets a ``304 Not Modified`` without the page
  being built or any of its data read (Werkzeug's ``make_conditional``);
- this process keeps the whole response in Flask-Caching under that ETag, so a reader
  without a copy gets it without a rebuild while the data is unchanged;
- ``Cache-Control`` and ``Vary`` tell a reverse proxy what it may keep (see
  ``docs/production.md``).

Who a response is for (:class:`CacheScope`):

- ``VISITORS``: HTML for people who are not signed in and have no message waiting, one
  copy per language; public, so a proxy may keep it, varying by cookie and language;
- ``PERSON``: a signed-in person's own pages (My courses, the dashboard), one copy per
  person and language, private, revalidated on every view;
- ``ANYONE``: responses that read no cookie (the JSON API, calendar feeds), one copy per
  address and language; the view says how long others may keep them.

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
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from college.data_version import current_version
from college.extensions import cache

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])

CSRF_PLACEHOLDER = b"\x00csrf\x00"
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
UNCACHED_HEADERS = frozenset({"set-cookie", "content-length", "etag"})
SESSION_KEYS_OF_A_VISITOR = frozenset({"csrf_token", "language"})
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
    PERSON: "private, no-cache",
    ANYONE: "public, max-age=60",
}
NOT_CACHED = "private, no-cache"


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
    return str(get_locale())


def no_language() -> str:
    """For responses whose language does not follow the request (JSON, a person's own feed)."""
    return ""


def response_etag(version: int, who: str, language: str, fresh_for: float) -> str:
    """The ETag of a response: the same while the data, the reader and the period are."""
    period = int(time.time() // fresh_for)
    parts = (CACHE_FORMAT, version, period, who, language, request.endpoint, request.full_path)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


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


def with_cache_headers(response: Response, cache_control: str, vary: str | None) -> Response:
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
    # A response for anyone reads no cookie, so even uncached it may be kept by others.
    uncached_control = control if scope is ANYONE else NOT_CACHED

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            config = current_app.config
            who = reader(scope) if config["PAGE_CACHE_SECONDS"] else None
            if who is None:
                response = make_response(view(*args, **kwargs))
                return with_cache_headers(response, uncached_control, varies)
            seconds = fresh_for or config["PAGE_CACHE_SECONDS"]
            # A person's own pages must show what they have just done, wherever they did it.
            max_age = 0 if scope is PERSON else config["PAGE_CACHE_VERSION_SECONDS"]
            etag = response_etag(current_version(max_age), who, language(), seconds)
            if request.if_none_match.contains(etag):
                answer = Response(status=304)
            else:
                answer = cached_or_built(f"response:{etag}", seconds, view, *args, **kwargs)
            if answer.status_code not in (200, 304):
                return answer
            answer.set_etag(etag)
            return with_cache_headers(answer, control, varies).make_conditional(request)

        return cast(F, wrapped)

    return decorator


def clear() -> None:
    """Drop every cached response of this process (tests, and after a migration)."""
    cache.clear()


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE_SECONDS", 60)
    app.config.setdefault("PAGE_CACHE_VERSION_SECONDS", 1)
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_THRESHOLD", 2000)
    cache.init_app(app)
