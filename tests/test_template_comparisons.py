"""Templates never compare a stored code with a string literal.

A status, role or kind reaches a template as a ``LabelledEnum`` member: the template asks the
model (``course.is_published``), compares with a member (``state.joining == Joining.BEGUN``)
or shows ``.label``. ``course.status == "publishd"`` would be silently false forever; a
misspelt property or member fails loudly in the tests. Read from the templates' syntax
trees, so a comparison inside any expression counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"


def dotted_name(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{dotted_name(node.node)}.{node.attr}"
    return "?"


def is_string_literal(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.Tuple | nodes.List):
        return any(is_string_literal(item) for item in node.items)
    return False


def holds_no_code(name: str) -> bool:
    """WTForms' names for its field classes (``field.type``) and Flask's endpoint names are
    strings by nature, not stored codes."""
    return name.endswith(".type") or name == "request.endpoint"


def compared_with_strings(source: str) -> list[str]:
    """``name == "literal"`` (and ``!=``, ``in (...)``) found in a template's source."""
    found = []
    environment = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    for compare in environment.parse(source).find_all(nodes.Compare):
        operands = [compare.expr, *(operand.expr for operand in compare.ops)]
        if not any(is_string_literal(operand) for operand in operands):
            continue
        names = [dotted_name(o) for o in operands if not is_string_literal(o)]
        if names and all(holds_no_code(name) for name in names):
            continue
        found.append(f"line {compare.lineno}: {' / '.join(names)}")
    return found


def test_no_template_compares_a_stored_code_with_a_string():
    found = {
        str(path.relative_to(TEMPLATES)): compared_with_strings(path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt"}
    }
    assert {path: lines for path, lines in found.items() if lines} == {}


@pytest.mark.parametrize(
    "source",
    [
        '{% if course.status == "published" %}x{% endif %}',
        "{% if 'cancelled' != course.status %}x{% endif %}",
        '{{ "a" if enrolment.status in ("enrolled", "offered") else "b" }}',
        '{% for s in sessions if s.status == "scheduled" %}{% endfor %}',
    ],
)
def test_the_scan_sees_a_comparison_with_a_string(source: str):
    assert compared_with_strings(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% if course.is_published %}x{% endif %}",
        "{% if state.joining == Joining.BEGUN %}x{% endif %}",
        '{% if field.type == "BooleanField" %}x{% endif %}',
        "{% if request.endpoint == 'admin.people' %}x{% endif %}",
    ],
)
def test_the_scan_lets_members_properties_and_non_codes_pass(source: str):
    assert compared_with_strings(source) == []
