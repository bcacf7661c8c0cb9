"""The admin blueprint and the helpers its pages share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, selectinload

from college.auth import roles_required
from college.errors import DomainError
from college.extensions import db
from college.models import Role, User, UserRole
from college.signals import extension_points
from college.templating import NavItem
from courses import services
from courses.models import Course, CourseFacilitator, CourseSession, SessionFacilitator, Venue

bp = Blueprint("courses_admin", __name__, url_prefix="/admin")

ID = "int(max=2147483647)"
PAGE_SIZE = 50
Handler = Callable[[], Any]


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Every page here is for administrators only."""


def course_links() -> list[NavItem]:
    """Links other packages add to a course's admin page; each endpoint takes ``course_id``."""
    return extension_points().course_admin_links


# --- helpers ---------------------------------------------------------------------------------


def save(form: FlaskForm, write: Handler, done: str, target: Callable[[Any], str]) -> Any:
    """Validate, call the service and redirect; a refusal is rolled back and shown on the form."""
    if not form.validate_on_submit():
        return None
    try:
        with db.session.begin_nested():
            result = write()
    except services.ProblemsError as error:
        form.form_errors.extend([str(error.message), *error.problems])
        return None
    except DomainError as error:
        form.form_errors.append(str(error))
        return None
    flash(done, "success")
    return redirect(target(result))


def show(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    status = 400 if form.errors else 200
    return render_template(template, form=form, **context), status


def people_with(role: Role) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == str(role), User.active.is_(True), User.anonymised_at.is_(None))
        .order_by(User.display_name, User.id)
    )
    return [(row.id, row.display_name) for row in rows]


def rows_of(model: Any) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in db.session.scalars(sa.select(model).order_by(model.name))]


def get_user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def get_venue(venue_id: int | None) -> Venue | None:
    return db.session.get(Venue, venue_id) if venue_id is not None else None


def load_course(course_id: int) -> Course:
    course = db.session.scalar(
        sa.select(Course)
        .where(Course.id == course_id)
        .options(
            joinedload(Course.term),
            joinedload(Course.venue),
            selectinload(Course.partners),
            selectinload(Course.facilitators).joinedload(CourseFacilitator.user),
            selectinload(Course.sessions).options(
                joinedload(CourseSession.venue),
                selectinload(CourseSession.facilitators).joinedload(SessionFacilitator.user),
            ),
        )
    )
    if course is None:
        abort(404)
    return course


def to_course(course: Course) -> str:
    return url_for("courses_admin.course", course_id=course.id)
