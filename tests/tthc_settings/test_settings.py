"""tthc_settings: safe defaults for the action-side services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from tthc_settings import Settings
from tthc_text.paths import REPO_ROOT


def test_the_action_server_and_the_web_front_listen_on_this_machine_only_unless_told(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACTION_HOST", "WEB_HOST", "ACTION_SERVER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.action_host, settings.web_host) == ("127.0.0.1", "127.0.0.1")
    monkeypatch.setenv("ACTION_HOST", "0.0.0.0")
    assert Settings(_env_file=None).action_host == "0.0.0.0"  # type: ignore[call-arg]


def test_the_action_servers_key_is_the_configured_one_or_the_checkouts_own() -> None:
    assert Settings(action_server_token="set-here").action_token() == "set-here"
    own = Settings(action_server_token=None).action_token()
    assert len(own) >= 40 and Settings(action_server_token="").action_token() == own


@pytest.mark.parametrize(("values", "reason"), [
    ({"widget_allowed_origins": ["phuong.gov.vn"]}, "not a site's origin"),
    ({"widget_allowed_origins": ["https://phuong.gov.vn/chat"]}, "not a site's origin"),
    ({"public_url": "localhost:8000"}, "PUBLIC_URL must start with"),
    ({"console_https_only": True, "public_url": "http://cong.example.vn"}, "CONSOLE_HTTPS_ONLY"),
    ({"web_port": 5055, "action_port": 5055}, "WEB_PORT and ACTION_PORT"),
    ({"answer_threshold": 1.5}, "answer_threshold"),
    ({"retention_days": 0}, "retention_days"),
], ids=["origin without scheme", "origin with a path", "public url", "https-only over http", "one port",
        "threshold", "retention"])
def test_settings_that_do_not_work_are_refused_with_the_reason(values: dict[str, object], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_settings_that_work_together_are_kept() -> None:
    settings = Settings(_env_file=None, widget_allowed_origins=["https://phuong.gov.vn", "http://localhost:3000"],  # type: ignore[call-arg]
                        console_https_only=True, public_url="https://cong.example.vn")
    assert settings.widget_allowed_origins == ["https://phuong.gov.vn", "http://localhost:3000"]
    assert Settings(_env_file=None, widget_allowed_origins=["*"]).widget_allowed_origins == ["*"]  # type: ignore[call-arg]


@pytest.mark.parametrize("module", ["web", "actions"])
def test_a_service_with_settings_that_do_not_work_stops_with_the_reason(module: str, tmp_path: Path) -> None:
    env = {**os.environ, "CONSOLE_HTTPS_ONLY": "true", "PUBLIC_URL": "http://cong.example.vn"}
    done = subprocess.run([sys.executable, "-m", module], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "do not work" in done.stderr and "CONSOLE_HTTPS_ONLY" in done.stderr
    assert "Traceback" not in done.stderr
