"""Read-only JSON API of the prospectus for partner websites, described by OpenAPI 3.

Only public facts leave here: facilitators appear by display name (or only their role's
name, when they chose that) and role, never by account, and online meeting links are kept
for enrolled people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from college.db import now_utc
from college.extensions import csrf
from college.page_cache import ANYONE, cached_response, no_language
from college.urls import absolute_url
from courses import facilitator_name, prospectus
from courses.models import (
    Audience,
    Course,
    CourseFormat,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    PartnerKind,
    SessionStatus,
    Term,
    Topic,
    Venue,
    Weekday,
)
from courses.services.joining import (
    Joining,
    JoinState,
    join_state_of_loaded,
    open_for_enrolment_now,
)
from courses.times import to_local

bp = Blueprint("courses_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.after_request
def allow_partner_sites(response: Response) -> Response:
    """Any website may read the public prospectus, and caches may keep it for a minute."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 200:
        response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/courses")
@cached_response(ANYONE, language=no_language)
def list_courses() -> ResponseReturnValue:
    """List published courses of current and coming terms, filtered and paginated."""
    parsed = prospectus.parse_filters(request.args, strict=True, allow_per_page=True)
    if parsed.problems:
        return bad_request(parsed.problems)
    page = prospectus.find_courses(parsed.filters)
    states = prospectus.join_states(page.items)
    return jsonify(
        items=[course_summary(course, states[course.id]) for course in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
    )


@bp.get("/courses/<slug>")
@cached_response(ANYONE, language=no_language)
def get_course(slug: str) -> ResponseReturnValue:
    """Show one course with its sessions, venues, pair and partners."""
    course = prospectus.find_course(slug)
    if course is None:
        abort(404)
    return jsonify(course_detail(course))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this API as an OpenAPI 3 document."""
    return jsonify(openapi_document())


def bad_request(problems: list[prospectus.FilterProblem]) -> ResponseReturnValue:
    details = [{"parameter": p.parameter, "message": p.message} for p in problems]
    message = "; ".join(p.message for p in problems)
    return jsonify(error={"status": 400, "message": message, "details": details}), 400


# --- representations ---------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in the college's local time, with its offset."""
    return to_local(moment).isoformat(timespec="seconds") if moment is not None else None


def venue_json(venue: Venue | None) -> dict[str, Any] | None:
    if venue is None:
        return None
    return {
        "id": venue.id,
        "name": venue.name,
        "address": venue.address,
        "accessibility_notes": venue.accessibility_notes,
        "online": venue.is_online,
    }


def term_json(term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "name": term.name,
        "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat(),
        "enrolment_opens_at": iso(term.enrolment_opens_at),
        "enrolment_closes_at": iso(term.enrolment_closes_at),
    }


def facilitators_json(rows: list[Any]) -> list[dict[str, str]]:
    """Display names as the people chose to be named in public (else their role's name)."""
    return [{"display_name": facilitator_name(row), "role": row.role} for row in rows]


def course_summary(
    course: Course,
    state: JoinState,
    first_session_at: datetime | None = None,
    session_count: int | None = None,
) -> dict[str, Any]:
    """The list entry; the detail passes figures it counted from the sessions it loaded."""
    if session_count is None:
        first_session_at, session_count = course.first_session_at, course.session_count or 0
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "topic": course.topic,
        "audience": course.audience,
        "format": course.format,
        "status": course.status,
        "capacity": course.capacity,
        "places_left": course.open_places,
        "joining": state.joining.value,
        "open_for_enrolment": open_for_enrolment_now(course, state),
        "drop_in": course.drop_in,
        "room_capacity": course.room_capacity,
        "first_session_at": iso(first_session_at),
        "session_count": session_count,
        "term": term_json(course.term),
        "venue": venue_json(course.venue),
        "facilitators": facilitators_json(course.facilitators),
        "url": absolute_url("courses.detail", slug=course.slug),
    }


def session_json(session: CourseSession) -> dict[str, Any]:
    return {
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "status": session.status,
        "venue": venue_json(session.venue),
        "facilitators": facilitators_json(session.facilitators),
    }


def course_detail(course: Course) -> dict[str, Any]:
    scheduled = course.scheduled_sessions
    first = scheduled[0].starts_at if scheduled else None
    return {
        **course_summary(course, join_state_of_loaded(course, now_utc()), first, len(scheduled)),
        "description": course.description,
        "learning_outcomes": course.outcomes,
        "partners": [{"name": p.name, "kind": p.kind} for p in course.partners],
        "sessions": [session_json(s) for s in course.sessions],
    }


# --- OpenAPI -----------------------------------------------------------------------------------


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


DATE_TIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
COUNT = {"type": "integer", "minimum": 0}


def _schemas() -> dict[str, Any]:
    facilitator = _object(
        {"display_name": TEXT, "role": {"type": "string", "enum": _values(FacilitatorRole)}}
    )
    venue = _object(
        {
            "id": {"type": "integer"},
            "name": TEXT,
            "address": _nullable(TEXT),
            "accessibility_notes": _nullable(TEXT),
            "online": {"type": "boolean"},
        }
    )
    term = _object(
        {
            "id": {"type": "integer"},
            "name": TEXT,
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "enrolment_opens_at": _nullable(DATE_TIME),
            "enrolment_closes_at": _nullable(DATE_TIME),
        }
    )
    summary_properties = {
        "slug": {"type": "string", "pattern": prospectus.SLUG_RE.pattern},
        "title": TEXT,
        "summary": TEXT,
        "topic": {"type": "string", "enum": _values(Topic)},
        "audience": {"type": "string", "enum": _values(Audience)},
        "format": {"type": "string", "enum": _values(CourseFormat)},
        "status": {"type": "string", "enum": _values(CourseStatus)},
        "capacity": {"type": "integer", "minimum": 1},
        "places_left": COUNT,
        "joining": {
            "type": "string",
            "enum": _values(Joining),
            "description": (
                "Whether the course can be joined now: open, not_yet_open (enrolment opens "
                "later), closed (enrolment has closed), begun, ended, not_published, or "
                "drop_in (no sign-up: people just come to a session)."
            ),
        },
        "open_for_enrolment": {
            "type": "boolean",
            "description": "Places left and the course can be joined now (joining is open).",
        },
        "drop_in": {
            "type": "boolean",
            "description": "A drop-in course: nobody signs up, people just come.",
        },
        "room_capacity": _nullable(
            {
                "type": "integer",
                "minimum": 1,
                "description": "How many people the room of a drop-in course holds, if told.",
            }
        ),
        "first_session_at": _nullable(DATE_TIME),
        "session_count": COUNT,
        "term": _ref("Term"),
        "venue": _nullable(_ref("Venue")),
        "facilitators": {"type": "array", "items": _ref("Facilitator")},
        "url": {"type": "string", "format": "uri"},
    }
    session = _object(
        {
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "status": {"type": "string", "enum": _values(SessionStatus)},
            "venue": _nullable(_ref("Venue")),
            "facilitators": {"type": "array", "items": _ref("Facilitator")},
        }
    )
    partner = _object({"name": TEXT, "kind": {"type": "string", "enum": _values(PartnerKind)}})
    detail_properties = {
        **summary_properties,
        "description": TEXT,
        "learning_outcomes": {"type": "array", "items": TEXT},
        "partners": {"type": "array", "items": _ref("Partner")},
        "sessions": {"type": "array", "items": _ref("Session")},
    }
    page = _object(
        {
            "items": {"type": "array", "items": _ref("CourseSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": prospectus.MAX_PER_PAGE},
            "total": COUNT,
            "pages": COUNT,
        }
    )
    error = _object(
        {
            "error": _object(
                {
                    "status": {"type": "integer"},
                    "message": TEXT,
                    "details": {
                        "type": "array",
                        "items": _object({"parameter": TEXT, "message": TEXT}),
                    },
                },
                optional=("details",),
            )
        }
    )
    return {
        "Facilitator": facilitator,
        "Venue": venue,
        "Term": term,
        "Partner": partner,
        "Session": session,
        "CourseSummary": _object(summary_properties),
        "CourseDetail": _object(detail_properties),
        "CoursePage": page,
        "Error": error,
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": prospectus.MAX_ID}


def _list_parameters() -> list[dict[str, Any]]:
    return [
        _query(
            "q",
            "Words to find in the title, summary or description (any case, Danish letters too).",
            {
                "type": "string",
                "maxLength": prospectus.MAX_QUERY_LENGTH,
                "pattern": "^[^\\u0000-\\u001F\\u007F]*$",
            },
        ),
        _query("topic", "Topic of the course.", {"type": "string", "enum": _values(Topic)}),
        _query("term", "Id of a term.", ID_SCHEMA),
        _query(
            "format",
            "How the course takes place.",
            {"type": "string", "enum": _values(CourseFormat)},
        ),
        _query("audience", "Who the course is for.", {"type": "string", "enum": _values(Audience)}),
        _query(
            "day",
            "Courses with a session on this weekday (in the college's time zone).",
            {"type": "string", "enum": _values(Weekday)},
        ),
        _query("venue", "Id of a venue where the course meets.", ID_SCHEMA),
        _query(
            "month",
            "Courses whose first session is in this month (YYYY-MM, the college's time zone).",
            {"type": "string", "pattern": prospectus.MONTH_RE.pattern},
        ),
        _query(
            "available",
            "1: only courses open for enrolment now: places left, enrolment open (its term's "
            "enrolment window) and the first session not yet begun. A full course that can "
            "still be joined offers its waiting list and is left out.",
            {"type": "integer", "enum": [0, 1]},
        ),
        _query(
            "begun",
            "1: also list courses whose first session has begun (marked by `joining`); "
            "by default only courses still to begin are listed.",
            {"type": "integer", "enum": [0, 1]},
        ),
        _query(
            "page",
            "Page of results, from 1.",
            {"type": "integer", "minimum": 1, "maximum": prospectus.MAX_PAGE, "default": 1},
        ),
        _query(
            "per_page",
            "Results per page.",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": prospectus.MAX_PER_PAGE,
                "default": prospectus.DEFAULT_PER_PAGE,
            },
        ),
    ]


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def openapi_document() -> dict[str, Any]:
    """The API's contract; a test fuzzes the API against it."""
    name = current_app.config["COLLEGE_NAME"]
    base = current_app.config["COLLEGE_BASE_URL"].rstrip("/")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{name} prospectus",
            "version": "1.0.0",
            "description": (
                "The public prospectus: published courses, their sessions, venues, "
                "co-producing partners and facilitating pair. Times are ISO 8601 with the "
                "college's UTC offset. Read-only; no account needed."
            ),
        },
        "servers": [{"url": f"{base}/api/v1"}],
        "paths": {
            "/courses": {
                "get": {
                    "operationId": "listCourses",
                    "summary": "List published courses of current and coming terms.",
                    "parameters": _list_parameters(),
                    "responses": {
                        "200": _json_response("One page of courses.", "CoursePage"),
                        "400": _json_response("A parameter could not be used.", "Error"),
                    },
                }
            },
            "/courses/{slug}": {
                "get": {
                    "operationId": "getCourse",
                    "summary": "One course with all its sessions.",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "maxLength": prospectus.MAX_SLUG_LENGTH,
                                "pattern": prospectus.SLUG_RE.pattern,
                            },
                        }
                    ],
                    "responses": {
                        "200": _json_response("The course.", "CourseDetail"),
                        "404": _json_response("No public course has this address.", "Error"),
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
