"""Flask-Login wiring: a signed-in browser is valid only while its server-side session exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_babel import refresh as refresh_language
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer

from college import services
from college.extensions import db, login_manager
from college.models import Role, User

SESSION_KEY = "sid"
# Where Flask-Login keeps the signed-in person's id in the session.
F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    token = session.get(SESSION_KEY)
    try:
        user = services.load_session_user(user_id, token)
    except sa.exc.DBAPIError as error:
        # The request's hooks run before its unit of work, which would try again: after a
        # database restart SQLAlchemy has let go of the old connections, so try once more.
        if not error.connection_invalidated:
            raise
        db.session.rollback()
        user = services.load_session_user(user_id, token)
    if user is None or not user.is_active:
        return None
    return user


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
