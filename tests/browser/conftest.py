"""Browser tests: the real app in a live server, a real SMTP server, and Chromium.

Every test here is marked ``@pytest.mark.browser`` (put ``pytestmark = pytest.mark.browser`` at
the top of a module). Without Chromium, Playwright or ``node_modules/axe-core`` the tests are
skipped; with ``CI=true`` they fail instead.

Fixtures (reuse them in your own journeys):

``live_server`` (session)
    A :class:`LiveServer`: the app from ``create_app`` served by a threaded werkzeug server on a
    free loopback port, on a fresh database built by the migrations and filled with the demo
    college (``college.demo.seed``). SQLite by default; ``BROWSER_ENGINE=postgresql`` uses a new
    database next to ``TEST_DATABASE_URL``. The server is shared by the whole session, so a test
    that creates data gives it unique names (``unique("slug")``) and never relies on an empty
    table. Attributes and helpers:

    - ``live_server.url``: base URL, e.g. ``http://127.0.0.1:41234``;
    - ``with live_server.seed() as session: ...``: an app context on the same database; the
      session is committed when the block ends (use ``tests.factories`` or the services);
    - ``live_server.app``: the Flask app (for ``url_map``, config);
    - ``live_server.errors``: exceptions the server raised; the ``page`` fixture fails a test
      that caused one, so a 500 never passes silently.

``smtp_server`` (session)
    An :class:`SmtpSink` (aiosmtpd on a free loopback port); the app sends to it with
    ``MAIL_BACKEND=smtp``.

``mailbox`` (function)
    A :class:`Mailbox`: ``mailbox.deliver()`` runs one round of outbox delivery (what
    ``flask college deliver-mail --once`` does) and returns the messages the SMTP server received
    since the previous call (or since the test began), as ``email.message.EmailMessage``;
    ``mailbox.deliver_to(address)`` keeps those for one recipient; ``helpers.link_in(message)``
    finds a link in a message's text.

``browser`` (session), ``context`` and ``page`` (function)
    Playwright's Chromium (``/usr/bin/chromium``, headless), a fresh context per test (English,
    1280 px wide, ``base_url`` set to the live server so ``page.goto("/courses/")`` works), and
    a page in it. ``phone_page`` is a 390 px wide page in its own context.

``logged_in`` (function)
    ``logged_in(email, password=DEMO_PASSWORD, width=1280)`` opens a page in a new context
    logged in as that account (the login form runs once per session; its cookie is reused).
    ``admin_page`` / ``student_page`` are such pages for the demo administrator / student.

Helpers in ``tests/browser/helpers.py``: ``login(page, email, password)``,
``logout(page)``, ``assert_accessible(page)`` (axe-core, WCAG 2.1 A/AA, fails on serious and
critical violations), ``link_in(message)``, ``unique(prefix)``, the demo logins
(``DEMO_ADMIN``, ``DEMO_STUDENT``, ``DEMO_PEER``, ``DEMO_TRAINER``, ``DEMO_PASSWORD``) and
``EVERY_ROLE`` (an account holding every role, to see every page).
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, make_server

from bench.run import free_port
from college import create_app
from college.extensions import db
from tests.browser import helpers
from tests.servers import fresh_database

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENGINE = os.environ.get("BROWSER_ENGINE", "sqlite")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing_browser_tools() -> str | None:
    """Say what the browser tests lack, or None when they can run."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not helpers.AXE_PATH.exists():
        return "node_modules/axe-core is missing (run `make node-tools`)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder, so ``-m "not browser"`` always leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Skip (or, in CI, fail) when Chromium, Playwright or axe-core is missing."""
    problem = missing_browser_tools()
    if problem:
        if IN_CI:
            pytest.fail(f"Browser tests need their tools in CI: {problem}")
        pytest.skip(f"Browser tests skipped: {problem}")


# --- SMTP ----------------------------------------------------------------------------------


class SmtpSink:
    """An SMTP server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server(browser_tools: None) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- the live server -----------------------------------------------------------------------


def live_config(database_url: str, port: int, smtp_port: int, tmp: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "browser-test-secret",
        "COLLEGE_BASE_URL": f"http://127.0.0.1:{port}",
        "COLLEGE_DEFAULT_LANGUAGE": "en",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_FILE_DIR": str(tmp / "mail"),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "LOG_LEVEL": "WARNING",
        # Many tests log in from the same address; throttling is tested elsewhere.
        "LOGIN_MAX_FAILURES": 1000,
    }


class LiveServer:
    """The app served on a loopback port from a thread of the test process."""

    def __init__(self, app: Flask, port: int, smtp: SmtpSink) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.smtp = smtp
        self.errors: list[BaseException] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        got_request_exception.connect(self._record_error, app, weak=False)

    def _record_error(self, sender: Any, exception: BaseException, **extra: Any) -> None:
        self.errors.append(exception)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @contextmanager
    def seed(self) -> Iterator[Any]:
        """An app context on the server's database; commits when the block ends."""
        with self.app.app_context():
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()

    def deliver_mail(self) -> None:
        """Run one round of the outbox worker, as ``flask college deliver-mail --once``."""
        from college.cli import run_worker_round

        # The SMTP transport sets a process-wide socket timeout; keep ours as it was.
        timeout = socket.getdefaulttimeout()
        try:
            with self.app.app_context():
                try:
                    # A round sends at most a batch; the demo queues more than one batch.
                    for _round in range(100):
                        if not run_worker_round().sent:
                            break
                finally:
                    db.session.remove()
        finally:
            socket.setdefaulttimeout(timeout)


def build_schema_and_demo(app: Flask) -> None:
    from flask_migrate import upgrade

    from college import demo

    with app.app_context():
        upgrade()
        demo.seed()
        helpers.add_every_role_account()
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def live_server(
    browser_tools: None, smtp_server: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(ENGINE, tmp, PG_URL) as database_url:
        port = free_port()
        app = create_app(live_config(database_url, port, smtp_server.port, tmp))
        build_schema_and_demo(app)
        server = LiveServer(app, port, smtp_server)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()


class Mailbox:
    """The messages the SMTP server received during one test."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.seen = len(server.smtp.received())

    def deliver(self) -> list[EmailMessage]:
        """Deliver what is due; return the messages received since the last call."""
        self.server.deliver_mail()
        received = self.server.smtp.received()
        new, self.seen = received[self.seen :], len(received)
        return new

    def deliver_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.deliver() if address.lower() in str(m["To"]).lower()]


@pytest.fixture
def mailbox(live_server: LiveServer) -> Mailbox:
    return Mailbox(live_server)


# --- Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_driver(browser_tools: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    instance = playwright_driver.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


def new_context(
    browser: Any, live_server: LiveServer, width: int = 1280, height: int = 900, **options: Any
) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": width, "height": height},
        **options,
    )
    context.set_default_timeout(10_000)
    return context


class PageProblems:
    """JavaScript errors and Content-Security-Policy violations seen by a page."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def context(browser: Any, live_server: LiveServer, page_problems: PageProblems) -> Iterator[Any]:
    errors_before = len(live_server.errors)
    ctx = new_context(browser, live_server)
    ctx.on("page", page_problems.watch)
    yield ctx
    ctx.close()
    new_errors = live_server.errors[errors_before:]
    assert not new_errors, f"the server raised: {new_errors!r}"
    assert not page_problems.problems, "\n".join(page_problems.problems)


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def phone_page(browser: Any, live_server: LiveServer, page_problems: PageProblems) -> Iterator[Any]:
    ctx = new_context(browser, live_server, width=390, height=844)
    ctx.on("page", page_problems.watch)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture(scope="session")
def login_states(browser: Any, live_server: LiveServer) -> dict[str, Any]:
    """Cookies of accounts logged in once per session, by email (see ``logged_in``)."""
    return {}


@pytest.fixture
def logged_in(
    browser: Any,
    live_server: LiveServer,
    login_states: dict[str, Any],
    page_problems: PageProblems,
) -> Iterator[Callable[..., Any]]:
    """``logged_in(email, password=DEMO_PASSWORD)``: a new page in a context logged in as them.

    The login happens through the form once per session; later contexts reuse its cookie, so
    do not log these pages out (use ``helpers.login`` on ``page`` for that).
    """
    contexts: list[Any] = []

    def open_page(email: str, password: str = helpers.DEMO_PASSWORD, width: int = 1280) -> Any:
        if email not in login_states:
            ctx = new_context(browser, live_server)
            helpers.login(ctx.new_page(), email, password)
            login_states[email] = ctx.storage_state()
            ctx.close()
        ctx = new_context(browser, live_server, width=width, storage_state=login_states[email])
        ctx.on("page", page_problems.watch)
        contexts.append(ctx)
        return ctx.new_page()

    yield open_page
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def admin_page(logged_in: Callable[..., Any]) -> Any:
    return logged_in(helpers.DEMO_ADMIN)


@pytest.fixture
def student_page(logged_in: Callable[..., Any]) -> Any:
    return logged_in(helpers.DEMO_STUDENT)
