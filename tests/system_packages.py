"""The Debian packages some tests run for real (PostgreSQL, Redis, nginx, Chromium)."""

from __future__ import annotations

import os

import pytest


def require(present: bool, what: str, package: str) -> None:
    """Skip the test where ``what`` is not installed, except in CI: there ``.ci/run``
    installs it, and a missing one fails the run rather than passing it silently."""
    if present:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed: .ci/run installs Debian's {package} package")
    pytest.skip(f"{what} is not installed (Debian: apt-get install {package})")
