"""Stored codes that carry their own names: one place per code for its translated label.

A status, role or topic is stored as a short string and shown in the reader's language.
Each is a ``LabelledEnum`` whose members are written as the stored value followed by the
label, so that adding a code means adding one line::

    class CourseStatus(LabelledEnum):
        DRAFT = "draft", _l("Draft")

Python code and templates then say ``course.status.label``; a column declared with
``enum_type`` gives loaded rows enum members on every engine, not plain strings, and a
plain string assigned to it (``course.status = "published"``) becomes the member at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members know their translated label (``member.label``)."""

    # ``label`` has a default only so that type checkers accept ``CourseStatus("draft")``,
    # which looks a member up and never reaches ``__new__``.
    def __new__(cls, value: str, label: Any = None) -> Self:
        if label is None:
            raise TypeError(f"{cls.__name__}.{value} needs a label")
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label  # type: ignore[attr-defined]
        return member

    @property
    def label(self) -> Any:
        """The member's name in the reader's language (a lazy string: it translates late)."""
        return self._label  # type: ignore[attr-defined]

    @classmethod
    def label_of(cls, code: Any) -> str:
        """A stored code's label; a code that is no longer one of the members shows as it is."""
        try:
            return str(cls(code).label)
        except ValueError:
            return str(code)

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """``(value, label)`` pairs in the order of definition, for forms and filters."""
        return [(member.value, member.label) for member in cls]


def enum_type(enum: type[StrEnum], length: int) -> sa.Enum:
    """The column type of a stored code: ``VARCHAR(length)`` in the database, with no CHECK
    constraint and no native enum type, and an enum member in Python on every engine."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        # Store the values ("published"), not SQLAlchemy's default of the names.
        values_callable=lambda members: [member.value for member in members],
        # A query for a code that does not exist finds nothing rather than failing: a filter
        # from a URL can never become an error page. Assignments are checked below.
        validate_strings=False,
    )


def label_or_code(labels: Mapping[Any, Any], code: Any) -> str:
    """A code's label from a table that packages fill in (audit actions, target kinds); a code
    nobody described shows as it is."""
    label = labels.get(code)
    return str(label) if label is not None else str(code)


@event.listens_for(Mapper, "mapper_configured")
def _assign_members(mapper: Mapper[Any], class_: type) -> None:
    """Make every ``enum_type`` attribute hold a member from the moment it is assigned, so
    that ``.label`` works on a row before it is read back; an unknown code fails right there
    (``ValueError``), not at the next flush."""
    for column_attr in mapper.column_attrs:
        column_type = column_attr.columns[0].type
        if isinstance(column_type, sa.Enum) and column_type.enum_class is not None:
            event.listen(
                column_attr.class_attribute,
                "set",
                _member_of(column_type.enum_class),
                retval=True,
            )


def _member_of(enum: type[Any]) -> Any:
    def to_member(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
        return value if value is None else enum(value)

    return to_member
