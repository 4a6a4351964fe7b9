"""Where the benchmarks keep their figures: ``results/`` (not committed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tthc_text.paths import REPO_ROOT

RESULTS_DIR = REPO_ROOT / "results"


def save(results: Any, name: str) -> Path:
    """Write ``results`` as ``results/<name>`` (JSON) and say where."""
    path = RESULTS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {path.relative_to(REPO_ROOT)}")
    return path
