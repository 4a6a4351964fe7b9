"""Where the checkout is: the one definition of ``REPO_ROOT`` (both runtimes install the
repository in place, so the packages sit in it)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
