"""Why a change to an enrolment is refused, in words the person can read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from college.errors import DomainError


class CourseNotOpen(DomainError):
    message = _l("This course is not open for enrolment.")


class NoSignUpNeeded(CourseNotOpen):
    message = _l("This is a drop-in: just come — you don't need to sign up.")


class EnrolmentClosed(DomainError):
    message = _l("Enrolment for this course is closed.")


class EnrolmentNotYetOpen(DomainError):
    message = _l("Enrolment for this course opens on %(date)s.")


class CourseAlreadyStarted(DomainError):
    message = _l("This course has already started, so it is no longer possible to enrol.")


class CourseEnded(DomainError):
    message = _l("This course has ended, so it is no longer possible to enrol.")


class ConfirmAudience(DomainError):
    message = _l("Please confirm that you belong to the group this course is for.")


class NothingToWithdraw(DomainError):
    message = _l("You are not enrolled on this course or its waiting list.")


class NotWaiting(DomainError):
    message = _l("This person is not on the waiting list.")


class OfferNotAvailable(DomainError):
    status_code = 409
    message = _l("This offer is no longer available.")
