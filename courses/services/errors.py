"""Named reasons a change to courses is refused."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from college.errors import Conflict, DomainError


class NameTaken(Conflict):
    message = _l("That name is already used. Please choose another one.")


class SlugTaken(Conflict):
    message = _l("Another course already uses that web address. Please choose another one.")


class InvalidSlug(DomainError):
    message = _l(
        "The web address may only use lower-case letters a to z, digits and single hyphens."
    )


class DatesOutOfOrder(DomainError):
    message = _l("The end must come after the start.")


class OutsideTerm(DomainError):
    message = _l(
        "Every session of a course must fall within its term, %(term)s (%(starts)s to "
        "%(ends)s). Outside it would be: %(days)s."
    )


class InvalidVenue(DomainError):
    message = _l("Please give the address of a venue that is not online.")


class InvalidLink(DomainError):
    message = _l("The meeting link must be a web address starting with https:// or http://.")


class InvalidCapacity(DomainError):
    message = _l("The number of places must be between 1 and %(max)s.")


class InvalidRoomCapacity(DomainError):
    message = _l("The room capacity must be between 1 and %(max)s, or left empty.")


class DropInWithPlacesTaken(Conflict):
    message = _l(
        "%(taken)s places on this course are taken, so it cannot become a drop-in:"
        " people who signed up keep their places."
    )


class CapacityBelowTaken(Conflict):
    message = _l(
        "%(taken)s places are already taken, so the course needs at least %(taken)s places."
    )


class InvalidSeries(DomainError):
    message = _l("A weekly series has between 1 and %(max)s sessions.")


class InvalidDuration(DomainError):
    message = _l("A session lasts between %(min)s minutes and %(max)s hours.")


class WrongRole(DomainError):
    message = _l("%(name)s cannot be a %(role)s: they do not have that role in the college.")


class MissingFacilitator(DomainError):
    message = _l("Please choose at least one peer trainer and one professional trainer.")


class SamePerson(DomainError):
    message = _l("One person cannot be both the peer trainer and the professional trainer.")


class NotAFacilitator(Conflict):
    message = _l("%(name)s does not facilitate this session.")


class SessionIsCancelled(Conflict):
    message = _l("This session is cancelled and can no longer be changed.")


class LastSession(Conflict):
    message = _l(
        "This is the last scheduled session of a published course. "
        "Cancel the course instead if it will not take place."
    )


class NotADraft(Conflict):
    message = _l("Only sessions of draft courses can be deleted. Cancel the session instead.")


class CourseClosed(Conflict):
    message = _l("This course is %(status)s, so its sessions can no longer be changed.")


class StatusChangeNotAllowed(Conflict):
    message = _l("A course cannot go from %(old)s to %(new)s.")


class ProblemsError(Conflict):
    """A change refused for one or more reasons, all of which are kept in ``problems``."""

    def __init__(self, problems: list[str], message: Any = None) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        return " ".join([str(self.message), *self.problems])


class NotPublishable(ProblemsError):
    message = _l("The course cannot be published yet:")


class ChangeRefused(ProblemsError):
    message = _l("That change cannot be made:")


class QualificationDatesOutOfOrder(DomainError):
    message = _l("A qualification cannot expire before it was granted.")
