"""Helpers for browser journeys: logging in, checking accessibility, screenshots, reading emails."""

from __future__ import annotations

import itertools
import re
import secrets
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from college.demo import DEMO_DOMAIN, DEMO_PASSWORD
from tests.servers import ROOT

try:
    from playwright.sync_api import expect
except ImportError:  # the browser_tools fixture then skips the tests, or fails them in CI
    expect = None  # type: ignore[assignment]

__all__ = [
    "DEMO_ADMIN",
    "DEMO_PASSWORD",
    "DEMO_PEER",
    "DEMO_STUDENT",
    "DEMO_TRAINER",
    "EVERY_ROLE",
    "assert_accessible",
    "axe_violations",
    "expect",
    "link_in",
    "login",
    "logout",
    "screenshot",
    "unique",
]

AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

DEMO_ADMIN = f"admin@{DEMO_DOMAIN}"
DEMO_PEER = f"peer@{DEMO_DOMAIN}"
DEMO_TRAINER = f"trainer@{DEMO_DOMAIN}"
DEMO_STUDENT = f"student@{DEMO_DOMAIN}"
# One account with every role, so a single login reaches every page.
EVERY_ROLE = f"every-role@{DEMO_DOMAIN}"

_counter = itertools.count(1)
_axe_source: str | None = None


def unique(prefix: str) -> str:
    """A name no other test on the shared server uses."""
    return f"{prefix}-{next(_counter)}-{secrets.token_hex(3)}"


def add_every_role_account() -> None:
    """Add an account holding every role (call inside an app context)."""
    from college import services
    from college.models import Role

    user = services.create_user(
        email=EVERY_ROLE,
        display_name="Alex Every",
        password=DEMO_PASSWORD,
        language="en",
        roles=tuple(Role),
    )
    user.consent_version = "browser-tests"


# --- pages ---------------------------------------------------------------------------------


def login(page: Any, email: str, password: str) -> None:
    """Log in through the real form and wait until the site says so."""
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    flash = page.locator(".flash-success")
    if not flash.count():
        raise AssertionError(f"login as {email} failed: {page.locator('main').inner_text()}")


def logout(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


# --- accessibility -------------------------------------------------------------------------


def _axe() -> str:
    global _axe_source
    if _axe_source is None:
        _axe_source = Path(AXE_PATH).read_text(encoding="utf-8")
    return _axe_source


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return every WCAG 2.1 A/AA violation.

    The site's Content-Security-Policy forbids inline scripts, so ``add_script_tag`` cannot
    inject axe; evaluating its source through the DevTools protocol is not subject to CSP,
    and the page keeps the policy it really has.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """Fail, listing them, when axe-core finds serious or critical WCAG 2.1 A/AA violations."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"


# --- screenshots ---------------------------------------------------------------------------

# Written by every run, for a person to look at; git ignores the folder.
SCREENSHOTS = ROOT / "test-results" / "screenshots"


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as ``test-results/screenshots/<name>.png``, named by journey and step.

    ``name`` reads like a path ("student/03-course-page-da"); anything but letters, digits,
    "-", "_" and "/" becomes "-", so a name is always a safe file name.
    """
    safe = re.sub(r"[^A-Za-z0-9_/-]+", "-", name).strip("-/")
    path = SCREENSHOTS / f"{safe}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# --- mail ----------------------------------------------------------------------------------

LINK = re.compile(r"https?://[^\s<>\"']+")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def link_in(message: EmailMessage, containing: str = "") -> str:
    """The first link in the message's text that contains ``containing``."""
    for link in LINK.findall(text_of(message)):
        if containing in link:
            return link
    raise AssertionError(f"no link with {containing!r} in:\n{text_of(message)}")
