"""The multi-turn conversation tests in bot/tests/test_stories.yml, run by Rasa itself
(`rasa test core`) against the trained model: every story must pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STORIES = REPO_ROOT / "bot" / "tests" / "test_stories.yml"

pytestmark = pytest.mark.slow


def test_there_are_at_least_25_conversation_tests() -> None:
    text = STORIES.read_text(encoding="utf-8")
    assert text.count("- story:") >= 25


def test_every_test_story_passes(tmp_path: Path) -> None:
    models = sorted((REPO_ROOT / "bot" / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.skip("no trained model in bot/models: run `make model`")
    rasa = Path(sys.executable).with_name("rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [str(rasa), "test", "core", "--model", str(models[-1]), "--stories", str(STORIES), "--out", str(tmp_path)],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=600,
    )
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed
    report = json.loads((tmp_path / "story_report.json").read_text(encoding="utf-8"))
    assert report["accuracy"] == 1.0
