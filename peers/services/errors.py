"""Named reasons a change about peers is refused."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from college.errors import Conflict, DomainError, NotFound


class PeriodOutOfOrder(DomainError):
    message = _l("The end of the period must come after its start.")


class PeriodTooLong(DomainError):
    message = _l("A period of absence can last at most %(days)s days. Please add another one.")


class PeriodInThePast(DomainError):
    message = _l("The period has already ended. Please choose a period that is still to come.")


class AbsenceWithdrawn(Conflict):
    message = _l("This absence was withdrawn and can no longer be changed.")


class NotYourSession(NotFound):
    message = _l("We could not find that session in your schedule.")


class OfferNotFound(NotFound):
    message = _l("We could not find that cover offer.")


class CoverTaken(Conflict):
    message = _l("Thank you, but a colleague has already taken this session.")


class CoverClosed(Conflict):
    message = _l("This session no longer needs cover.")


class NotACandidate(Conflict):
    message = _l("%(name)s cannot cover this session: %(reason)s")


class InvalidWeeklyMaximum(DomainError):
    message = _l("The weekly maximum must be between 0 and %(max)s sessions.")


class InvalidProgramme(DomainError):
    message = _l(
        "A programme needs a name, a code of lower-case letters, digits and underscores, "
        "between 1 and 60 meetings, and a share between 1 and 100 percent."
    )


class ProgrammeCodeTaken(Conflict):
    message = _l("Another programme already uses that code.")


class InvalidCohort(DomainError):
    message = _l(
        "A cohort needs a name, between 1 and 200 places and exactly %(count)s meetings, "
        "each ending after it starts."
    )


class CohortFull(Conflict):
    message = _l("All %(places)s places of this cohort are taken.")


class AlreadyPlaced(Conflict):
    message = _l("%(name)s already has a place in this cohort.")


class NotPlaced(DomainError):
    message = _l("%(name)s has no place in this cohort.")


class NotComplete(Conflict):
    message = _l("%(name)s has not completed the programme yet.")


class PeerRoleNotAgreed(Conflict):
    message = _l(
        "Granting the qualification also gives %(name)s the peer role. Please confirm that first."
    )


class NotEligible(Conflict):
    message = _l(
        "%(name)s cannot be given a place: training is for peers and applicants, and "
        "this account runs the college or teaches."
    )
