"""tthc_settings: safe defaults for the action-side services."""

from __future__ import annotations

import pytest

from tthc_settings import Settings


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
