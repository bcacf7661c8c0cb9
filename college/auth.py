"""Flask-Login wiring: a signed-in browser is valid only while its server-side session exists."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import Flask, abort, current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_babel import refresh as refresh_language
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer

from college import services
from college.db import request_reads_only
from college.extensions import cache, db, login_manager
from college.models import Role, User
from college.page_cache import WRITTEN_VERSION

SESSION_KEY = "sid"
F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in person, while their server-side session lasts.

    A request that only reads (a GET of a ``reads_only`` view: My courses, the dashboard)
    may use the person this process read for the same browser in the last
    ``PAGE_CACHE_VERSION_SECONDS``: the same few seconds in which a process may show a page
    older than the latest data. Their own changes show at once (the key holds the version
    their last change made); a session ended elsewhere stops its reads within those
    seconds, and anything that writes always asks the database.
    """
    token = session.get(SESSION_KEY)
    key = kept_person_key(user_id, token) if request_reads_only() else None
    if key is not None:
        kept = cast(User | None, cache.get(key))
        if kept is not None:
            return db.session.merge(kept, load=False)
    user = read_session_user(user_id, token)
    if user is None or not user.is_active:
        return None
    if key is not None:
        # Whole seconds, at least one: a timeout of 0 would keep the person for ever.
        seconds = math.ceil(current_app.config["PAGE_CACHE_VERSION_SECONDS"])
        cache.set(key, user, timeout=seconds)
    return user


def kept_person_key(user_id: str, token: str | None) -> str | None:
    if not token or not current_app.config["PAGE_CACHE_VERSION_SECONDS"]:
        return None
    written = session.get(WRITTEN_VERSION, 0)
    return f"person:{user_id}:{services.hash_token(token)}:{written}"


def read_session_user(user_id: str, token: str | None) -> User | None:
    try:
        return services.load_session_user(user_id, token)
    except sa.exc.DBAPIError as error:
        # The request's hooks run before its unit of work, which would try again: after a
        # database restart SQLAlchemy has let go of the old connections, so try once more.
        if not error.connection_invalidated:
            raise
        db.session.rollback()
        return services.load_session_user(user_id, token)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user``: a new cookie and a new server-side record."""
    session.clear()
    token = services.start_login_session(user)
    session[SESSION_KEY] = token
    session.permanent = True
    login_user(user)
    # The rest of this request speaks the person's own language, the welcome included.
    refresh_language()


def sign_out() -> None:
    # The goodbye, and the pages after it, stay in the language the person chose.
    language = current_user.language if current_user.is_authenticated else session.get("language")
    if current_user.is_authenticated:
        key = kept_person_key(current_user.get_id(), session.get(SESSION_KEY))
        if key is not None:
            cache.delete(key)
    services.end_login_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()
    if language:
        session["language"] = language
        refresh_language()


def current_token() -> str | None:
    return session.get(SESSION_KEY)


def may_be_signed_in() -> bool:
    """Whether loading the user is worth it: without a session token nobody is signed in."""
    return SESSION_KEY in session


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Let only signed-in people holding one of ``roles`` reach the view."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the signer made once per set of keys.

    Flask makes it anew for every request, cookie or not, which costs a cached page a
    noticeable share of its time.
    """

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = super().get_signing_serializer(app)
            if signer is None:
                return None
            self._signers[keys] = signer
        return signer


def init_app(app: Flask) -> None:
    from datetime import timedelta

    app.session_interface = CookieSessions()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None
    # The college never sets Flask-Login's remember cookie (a sign-in lives in its
    # server-side session), yet this hook reads the session on every response, which makes
    # every response "Vary: Cookie", the public feeds and the API too, so no shared cache
    # could store them.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    app.permanent_session_lifetime = timedelta(days=app.config["SESSION_LIFETIME_DAYS"])
