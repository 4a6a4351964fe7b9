"""The benchmarks and the local servers stand on their own: they never import the tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("package", ["benchmarks", "servers"])
def test_no_module_imports_the_tests(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    offending = {str(f.relative_to(REPO)): sorted(m for m in imported_modules(f) if m == "tests" or m.startswith("tests."))
                 for f in files}
    assert {f: m for f, m in offending.items() if m} == {}


def test_the_check_sees_an_import_of_the_tests(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom tests.integration.harness import Bot\ndef f():\n    import tests.ports\n")
    assert {"tests.integration.harness", "tests.ports"} <= imported_modules(module)
