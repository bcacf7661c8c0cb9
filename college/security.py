"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, Request, Response, request
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from college.text import single_line

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def comes_from_this_site() -> bool:
    """Whether the browser says a form post came from a page of this site.

    Browsers send ``Sec-Fetch-Site`` (or at least ``Origin``) with every form post; a
    client that sends neither is not a browser being tricked by another site.
    """
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None:
        return fetched_from in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    return True


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One look at the names already set: Headers.setdefault would scan them all per header,
    # on every response.
    present = {name.lower() for name, _value in headers.items()}
    missing = [pair for pair in SECURITY_HEADERS if pair[0].lower() not in present]
    if request.is_secure and HSTS[0].lower() not in present:
        missing.append(HSTS)
    # Pages about people are private; never let a shared cache keep them.
    if "cache-control" not in present and response.mimetype == "text/html":
        missing.append(("Cache-Control", "no-store"))
    headers.extend(missing)
    return response


class CollegeRequest(Request):
    """Flask's request, with every query parameter cleaned as a single-line field is.

    Searches, filters and ``next`` addresses then never carry a control character (a NUL
    that PostgreSQL refuses, a line break into a header) to a view.
    """

    @cached_property
    def args(self) -> MultiDict[str, str]:
        pairs = parse_qsl(
            self.query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote"
        )
        return self.parameter_storage_class((key, single_line(value)) for key, value in pairs)


def init_app(app: Flask) -> None:
    app.request_class = CollegeRequest
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.after_request(add_security_headers)
