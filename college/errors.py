"""Domain errors raised by services, and how the web shows them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the college was not met; the message is safe to show to the user."""

    status_code = 400
    message: Any = _l("That could not be done.")

    def __init__(self, message: Any = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    status_code = 404
    message = _l("We could not find that.")


class Forbidden(DomainError):
    status_code = 403
    message = _l("You do not have access to that.")


class Conflict(DomainError):
    status_code = 409


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


ERROR_TITLES = {
    400: _l("Something in the request was not right"),
    403: _l("You do not have access to this page"),
    404: _l("We could not find that page"),
    405: _l("That action is not possible here"),
    409: _l("That could not be done"),
    413: _l("What you sent is too large"),
    429: _l("Please wait a moment"),
    500: _l("Something went wrong on our side"),
    503: _l("The website is closed for a short while"),
}

# What the person can do next, said in a sentence of its own under the title.
ERROR_ADVICE = {
    403: _l("If you think you should be able to see this page, please contact us."),
    404: _l("The address may be mistyped, or the page may have moved. Try the list of courses."),
    429: _l("You have tried many times in a short while. Please wait a few minutes and try again."),
    500: _l("It is not your fault. Please try again in a moment. If it keeps happening, tell us."),
    503: _l("We are working on the website. Please try again in a little while."),
}


TOO_LARGE = _l(
    "The college takes at most 1 MB in one go. Please send shorter texts, or ask the college "
    "for help."
)


def render_error(status: int, message: Any = None) -> tuple[Any, int]:
    title = ERROR_TITLES.get(status, ERROR_TITLES[400])
    if wants_json():
        return jsonify(error={"status": status, "message": str(message or title)}), status
    advice = ERROR_ADVICE.get(status)
    page = render_template(
        "errors/error.html", status=status, title=title, message=message, advice=advice
    )
    return page, status


def page_sent_from() -> str | None:
    """The page of this site a form was sent from (browsers say so: ``same-origin``)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme != request.scheme:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def show_domain_error(error: DomainError) -> Any:
    """A refused form post goes back to its page with the message; anything else shows it.

    What does not exist or is not theirs (404, 403), and a busy database (503), get their
    error page, as does a post whose page the browser did not name.

    By the time this runs the request's transaction has been rolled back
    (``college.transactions``), so nothing of the refused change remains.
    """
    back = page_sent_from() if request.method == "POST" and not wants_json() else None
    if back and error.status_code < 500 and error.status_code not in (403, 404):
        flash(str(error), "error")
        return redirect(back, code=303)
    return render_error(error.status_code, str(error))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, show_domain_error)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> tuple[Any, int]:
        return render_error(
            400, _l("This form has expired. Please go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if error.code == 413:
            return render_error(413, TOO_LARGE)
        return render_error(error.code)

    @app.errorhandler(500)
    def handle_server_error(error: Exception) -> tuple[Any, int]:
        return render_error(500)
