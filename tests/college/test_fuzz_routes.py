"""No input gets a 500: every route of the access table, as every person, with hostile input.

Path ids at and beyond the database's limits, negative and huge numbers, NUL and other
control characters, long strings, unknown choices and wrong types go into the path, the
query string and the form of every route in ``tests/test_access.py``'s table, for every
person of that table, on each engine. Any answer of 500 or more fails, with the request.

Hypothesis draws the inputs from a fixed seed (``derandomize``), so CI runs the same cases
every time; ``FUZZ_EXAMPLES=200`` makes a larger run (each example covers every route).
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access import ACCESS, PEOPLE, World, pages_cached, sign_in_as, world

# The access table's own fixtures: one of everything, and the page cache on, as in production.
FIXTURES = (pages_cached, world)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
# Routes that end the signed-in session the rest of the run needs.
SKIPPED = {"auth.logout"}
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

NASTY_TEXT = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "2147483647",
        "2147483648",
        "9223372036854775808",
        "1" * 40,
        "1e309",
        "NaN",
        "\x00",
        "a\x00b",
        "line\nbreak",
        "\r\nBcc: x@example.org",
        "\t",
        "x" * 3000,
        "jøns@example.dk",
        "💥",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "2026-13-45",
        "2026-02-30T25:99",
        "true",
        "[]",
        "%00",
        "not-a-choice",
    ]
)
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=30), st.integers(-(2**70), 2**70).map(str))
HUGE_IDS = st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32, 2**63, 10**30])
QUERY_KEYS = st.sampled_from(
    [
        "page",
        "per_page",
        "q",
        "status",
        "term",
        "role",
        "next",
        "person",
        "action",
        "since",
        "until",
        "topic",
        "format",
        "venue",
        "audience",
        "figure",
        "from",
    ]
)
FORM_KEYS = st.sampled_from(
    [
        "email",
        "password",
        "current",
        "confirm",
        "display_name",
        "language",
        "consent",
        "title",
        "name",
        "summary",
        "description",
        "starts_on",
        "ends_on",
        "date",
        "starts",
        "ends",
        "capacity",
        "term_id",
        "venue_id",
        "peer_id",
        "trainer_id",
        "status",
        "roles",
        "active",
        "position",
        "reason",
        "note",
        "which",
        "message",
        "score",
        "weekday",
        "places",
    ]
)


def path_value(converter: str | None, name: str, things: World) -> st.SearchStrategy[str]:
    real = things.values.get(name)
    if converter == "int":
        known = [st.just(str(real))] if real is not None else []
        return st.one_of(*known, HUGE_IDS.map(str), st.sampled_from(["-1", "007"]))
    known = [st.just(str(real))] if real is not None else []
    return st.one_of(*known, TEXT.filter(bool))


def draw_url(data: st.DataObject, rule: str, things: World) -> str:
    def replace(match: re.Match[str]) -> str:
        value = data.draw(path_value(match["converter"], match["name"], things))
        return quote(value, safe="") or "x"

    return ARGUMENT.sub(replace, rule)


def rules(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        row = ACCESS.get(rule.endpoint)
        if row is None or rule.endpoint in SKIPPED:
            continue
        found.append((rule.endpoint, row.method, rule.rule))
    return sorted(found)


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:120] + "…"


def send(client: FlaskClient, method: str, url: str, query: Any, form: Any) -> int:
    if method == "GET":
        response = client.get(url, query_string=query)
    else:
        response = client.post(url, query_string=query, data=form)
    response.close()
    return response.status_code


@pytest.mark.parametrize("who", PEOPLE)
def test_no_route_answers_500_to_any_input(
    app: Flask,
    client: FlaskClient,
    world: World,
    who: str,
) -> None:
    sign_in_as(client, world.people.get(who))
    routes = rules(app)
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        for endpoint, method, rule in routes:
            url = draw_url(data, rule, world)
            query = data.draw(st.dictionaries(QUERY_KEYS, TEXT, max_size=3))
            form = data.draw(st.dictionaries(FORM_KEYS, TEXT, max_size=4))
            try:
                status = send(client, method, url, query, form)
            except Exception as error:  # an escaped error is a 500 as well
                failures.append(f"{endpoint} {method} {shown(url)} {shown(query)}: {error!r}")
                continue
            if status >= 500:
                failures.append(f"{endpoint} {method} {shown(url)} {shown(query)}: {status}")

    fuzz()
    assert not failures, "\n".join(failures[:20])
