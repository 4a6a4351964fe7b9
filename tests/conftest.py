"""Fixtures shared by the whole suite (imported by both runtimes: keep imports light)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def catalog_dir() -> Path | None:
    """The national catalog beside the repository (../shared), or TTHC_CATALOG_DIR."""
    configured = os.environ.get("TTHC_CATALOG_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "national-procedures"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def national_catalog() -> Path:
    path = catalog_dir()
    if path is None:
        pytest.skip("the national catalog (../shared/data/national-procedures) is not available here")
    return path
