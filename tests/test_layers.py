"""The import rule: ``college`` (the core) <- ``courses`` <- ``peers``.

The core names neither domain package and ``courses`` never names ``peers``; they learn of
each other only through the hooks a package registers in ``init_app``. Read from the source,
so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may not import.
FORBIDDEN = {"college": ("courses", "peers"), "courses": ("peers",)}


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_never_imports_the_ones_built_on_it(package: str):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & set(FORBIDDEN[package]))
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_rule_would_see_a_hidden_import(tmp_path: Path):
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from peers.services import cover\n    import courses.models\n")
    assert imported_packages(module) == {"peers", "courses"}
