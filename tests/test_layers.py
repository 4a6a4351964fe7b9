"""Layers import one way: a package may import only the packages below it (README, "Layout").

    benchmarks ─┐
    servers ────┤  (start the project's processes; never the tests)
    tthc (CLI) ─┘
        web ─► console
        actions      connectors (Rasa runtime)
        retrieval
        guides   tthc_data   tthc_settings   bot   dossiers
        tthc_text

Nothing imports ``tests``; channels and actions never reach into the console; the data layer
and the text helpers import nothing of the project above them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BASE = {"tthc_text"}
# package -> the project's packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "tthc_text": set(),
    "tthc_settings": BASE,
    "tthc_data": BASE,
    "dossiers": BASE,
    "guides": BASE,
    "bot": BASE,
    "retrieval": BASE | {"guides", "tthc_settings"},
    "connectors": BASE | {"tthc_data", "bot", "dossiers"},
    "actions": BASE | {"tthc_data", "tthc_settings", "guides", "retrieval", "dossiers"},
    "console": BASE | {"tthc_data", "tthc_settings", "guides", "retrieval", "dossiers"},
    "web": BASE | {"tthc_data", "tthc_settings", "console"},
}
PROJECT = set(ALLOWED) | {"tthc", "servers", "benchmarks", "tests"}
TOP = {  # the command line, and what starts processes or measures them: anything but the tests
    "tthc": PROJECT - {"tests", "servers", "benchmarks"},
    "servers": PROJECT - {"tests", "benchmarks"},
    "benchmarks": PROJECT - {"tests"},
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def crossings(package: str, allowed: set[str]) -> dict[str, list[str]]:
    """Each module of ``package`` and the project modules it imports that it may not."""
    found = {}
    for path in sorted((REPO / package).rglob("*.py")):
        wrong = sorted(m for m in imported_modules(path)
                       if m.split(".")[0] in PROJECT and m.split(".")[0] not in allowed | {package})
        if wrong:
            found[str(path.relative_to(REPO))] = wrong
    return found


@pytest.mark.parametrize("package", [*ALLOWED, *TOP])
def test_no_import_crosses_a_layer_the_wrong_way(package: str) -> None:
    assert list((REPO / package).rglob("*.py")), f"{package} has no modules"
    assert crossings(package, {**ALLOWED, **TOP}[package]) == {}


def test_the_check_sees_a_wrong_import_anywhere_in_a_module(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom console.app import create_console\ndef f():\n    import tests.ports\n"
                      "from . import sibling\n")
    assert imported_modules(module) == {"os", "console.app", "tests.ports"}


def test_the_check_reports_a_crossing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "x.py").write_text("from console.handoff import reply\nfrom tthc_data import tables\n")
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    assert crossings("actions", ALLOWED["actions"]) == {"actions/x.py": ["console.handoff"]}
