"""Rules and writes for terms, venues, partners, courses, sessions and facilitators.

Services take model instances and plain values with the acting person as an argument,
check the rules before they change anything, flush but never commit, and raise
``DomainError`` subclasses whose messages can be shown as they are. Every change made by
an administrator is written to the audit log. Callers import from here; the modules
behind it are grouped by subject:

- ``catalogue``: terms, venues, partners;   ``course_info``: creating and describing courses
- ``staffing``: who may facilitate when;    ``sessions``: sessions and their facilitators
- ``status``: publishing, cancelling, archiving;   ``qualifications``: recorded by hand
- ``events``: listeners other packages register;   ``personal_data``: export and erasure
"""

from __future__ import annotations

from courses.services.catalogue import (
    TermDetails,
    VenueDetails,
    create_partner,
    create_term,
    create_venue,
    overlapping_terms,
    term_overlaps,
    update_partner,
    update_term,
    update_venue,
)
from courses.services.common import (
    MAX_CAPACITY,
    MAX_SERIES_LENGTH,
    MAX_SESSION_MINUTES,
    MAX_SLUG_LENGTH,
    MIN_SESSION_MINUTES,
    status_word,
)
from courses.services.course_info import CourseDetails, create_course, slugify, update_course
from courses.services.errors import (
    CapacityBelowTaken,
    ChangeRefused,
    CourseClosed,
    DatesOutOfOrder,
    InvalidCapacity,
    InvalidDuration,
    InvalidLink,
    InvalidSeries,
    InvalidSlug,
    InvalidVenue,
    LastSession,
    MissingFacilitator,
    NameTaken,
    NotADraft,
    NotAFacilitator,
    NotPublishable,
    ProblemsError,
    QualificationDatesOutOfOrder,
    SamePerson,
    SessionIsCancelled,
    SlugTaken,
    StatusChangeNotAllowed,
    WrongRole,
)
from courses.services.events import CourseChange, SessionChange
from courses.services.personal_data import erase_teaching, export_teaching
from courses.services.qualifications import record_qualification, remove_qualification
from courses.services.sessions import (
    add_session,
    add_weekly_series,
    cancel_session,
    delete_session,
    register_is_open,
    replace_session_facilitator,
    reschedule_session,
    set_course_pair,
    set_session_facilitators,
    weekly_moments,
)
from courses.services.staffing import (
    Assignment,
    booking_clashes,
    describe_session,
    staffing_problems,
    teaching_between,
    valid_qualifications,
)
from courses.services.status import (
    archive_course,
    cancel_course,
    change_course_status,
    next_statuses,
    publication_problems,
    publish_course,
)

__all__ = [
    "MAX_CAPACITY",
    "MAX_SERIES_LENGTH",
    "MAX_SESSION_MINUTES",
    "MAX_SLUG_LENGTH",
    "MIN_SESSION_MINUTES",
    "Assignment",
    "CapacityBelowTaken",
    "ChangeRefused",
    "CourseChange",
    "CourseClosed",
    "CourseDetails",
    "DatesOutOfOrder",
    "InvalidCapacity",
    "InvalidDuration",
    "InvalidLink",
    "InvalidSeries",
    "InvalidSlug",
    "InvalidVenue",
    "LastSession",
    "MissingFacilitator",
    "NameTaken",
    "NotADraft",
    "NotAFacilitator",
    "NotPublishable",
    "ProblemsError",
    "QualificationDatesOutOfOrder",
    "SamePerson",
    "SessionChange",
    "SessionIsCancelled",
    "SlugTaken",
    "StatusChangeNotAllowed",
    "TermDetails",
    "VenueDetails",
    "WrongRole",
    "add_session",
    "add_weekly_series",
    "archive_course",
    "booking_clashes",
    "cancel_course",
    "cancel_session",
    "change_course_status",
    "create_course",
    "create_partner",
    "create_term",
    "create_venue",
    "delete_session",
    "describe_session",
    "erase_teaching",
    "export_teaching",
    "next_statuses",
    "overlapping_terms",
    "publication_problems",
    "publish_course",
    "record_qualification",
    "register_is_open",
    "remove_qualification",
    "replace_session_facilitator",
    "reschedule_session",
    "set_course_pair",
    "set_session_facilitators",
    "slugify",
    "staffing_problems",
    "status_word",
    "teaching_between",
    "term_overlaps",
    "update_course",
    "update_partner",
    "update_term",
    "update_venue",
    "valid_qualifications",
    "weekly_moments",
]
