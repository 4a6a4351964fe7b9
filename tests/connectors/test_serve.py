"""connectors.serve: the arguments the Rasa server is started with, and model choice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors import serve
from connectors.settings import RasaSettings
from servers.database import migrated_sqlite

pytestmark = pytest.mark.rasa


def settings(**values: Any) -> RasaSettings:
    return RasaSettings(**{"rasa_api_token": None, "rasa_port": 5005, "rasa_interface": "0.0.0.0", **values})


def option(args: list[str], name: str) -> str:
    assert args.count(name) == 1, args
    return args[args.index(name) + 1]


def test_without_a_token_the_http_api_is_off(tmp_path: Path) -> None:
    model = tmp_path / "m.tar.gz"
    args = serve.rasa_arguments(settings(), model, Path("build/credentials.yml"))
    assert args[0] == "run"
    assert "--enable-api" not in args
    assert "--auth-token" not in args
    assert option(args, "--model") == str(model)
    assert option(args, "--endpoints") == "bot/endpoints.yml"
    assert option(args, "--credentials") == "build/credentials.yml"
    assert option(args, "--port") == "5005"
    assert option(args, "--interface") == "0.0.0.0"
    assert "--cors" not in args  # no cross-origin browser call unless sites are named


def test_cross_origin_calls_only_from_the_named_sites(tmp_path: Path) -> None:
    args = serve.rasa_arguments(settings(rasa_cors_origins=["https://a.gov.vn", "https://b.gov.vn"]),
                                tmp_path / "m.tar.gz", tmp_path / "c.yml")
    assert args[args.index("--cors"):][:3] == ["--cors", "https://a.gov.vn", "https://b.gov.vn"]


@pytest.mark.parametrize("token", [None, ""])
def test_an_empty_token_does_not_enable_the_api(tmp_path: Path, token: str | None) -> None:
    args = serve.rasa_arguments(settings(rasa_api_token=token), tmp_path / "m.tar.gz", tmp_path / "c.yml")
    assert "--enable-api" not in args and "--auth-token" not in args


def test_with_a_token_the_api_is_on_and_always_protected(tmp_path: Path) -> None:
    args = serve.rasa_arguments(settings(rasa_api_token="s3cret", rasa_port=6006), tmp_path / "m.tar.gz", tmp_path / "c.yml")
    assert "--enable-api" in args
    assert option(args, "--auth-token") == "s3cret"
    assert option(args, "--port") == "6006"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RASA_API_TOKEN", "from-env")
    monkeypatch.setenv("RASA_PORT", "7007")
    monkeypatch.setenv("RASA_INTERFACE", "127.0.0.1")
    args = serve.rasa_arguments(RasaSettings(), tmp_path / "m.tar.gz", tmp_path / "c.yml")
    assert option(args, "--auth-token") == "from-env"
    assert option(args, "--port") == "7007"
    assert option(args, "--interface") == "127.0.0.1"


def test_newest_model_picks_the_most_recent_archive(tmp_path: Path) -> None:
    for name, mtime in [("b.tar.gz", 3_000), ("a.tar.gz", 1_000), ("c.tar.gz", 2_000), ("z.zip", 9_000)]:
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (mtime, mtime))
    assert serve.newest_model(tmp_path) == tmp_path / "b.tar.gz"
    os.utime(tmp_path / "a.tar.gz", (5_000, 5_000))
    assert serve.newest_model(tmp_path) == tmp_path / "a.tar.gz"


@pytest.mark.parametrize("make_dir", [True, False])
def test_newest_model_exits_with_a_message_when_there_is_none(tmp_path: Path, make_dir: bool) -> None:
    model_dir = tmp_path / "models"
    if make_dir:
        model_dir.mkdir()
        (model_dir / "notes.txt").write_text("no models yet")
    with pytest.raises(SystemExit) as exit_info:
        serve.newest_model(model_dir)
    message = str(exit_info.value.code)
    assert str(model_dir) in message
    assert "make model" in message


def test_main_execs_rasa_with_the_newest_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "only.tar.gz"
    model.write_bytes(b"x")
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5999/webhook")
    monkeypatch.setenv("RASA_API_TOKEN", "tok")
    monkeypatch.setenv("RASA_PORT", "5123")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "action-key")
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite(tmp_path / "tthc.db"))
    monkeypatch.chdir(tmp_path)  # the channel list is written to ./build/rasa-5123/credentials.yml
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append((path, argv)))
    serve.main()
    ((path, argv),) = calls
    assert Path(path).name == "rasa" and Path(path).parent == Path(serve.sys.executable).parent
    assert argv[0] == path
    run_dir = Path("build") / "rasa-5123"
    assert argv[1:] == serve.rasa_arguments(RasaSettings(), model, run_dir / "credentials.yml",
                                            run_dir / "endpoints.yml")
    written = (tmp_path / run_dir / "endpoints.yml").read_text(encoding="utf-8")
    assert "url: http://127.0.0.1:5999/webhook" in written and "lock_store" not in written  # one server: locks in memory
    assert "connectors.web.WebInput:" in (tmp_path / run_dir / "credentials.yml").read_text(encoding="utf-8")
    assert option(argv, "--auth-token") == "tok"
    assert os.environ["ACTION_SERVER_URL"] == "http://127.0.0.1:5999/webhook"
    assert os.environ["ACTION_SERVER_TOKEN"] == "action-key" and "action-key" not in written


def test_rest_and_web_are_always_on_and_platforms_follow_their_settings(tmp_path: Path) -> None:
    assert serve.enabled_channels(settings()) == ["connectors.rest.PoliteRestInput", "connectors.web.WebInput"]
    both = settings(zalo_app_id="1", zalo_oa_secret_key="zalo-oa-secret", telegram_token="1:telegram-token",
                    telegram_webhook_secret="telegram-webhook-secret")
    assert serve.enabled_channels(both)[2:] == ["connectors.zalo.ZaloInput", "connectors.telegram.TelegramInput"]
    # an app id alone is not enough to verify Zalo's signatures: the settings say so
    with pytest.raises(ValidationError, match="ZALO_OA_SECRET_KEY"):
        settings(zalo_app_id="1")
    path = serve.write_credentials(both, tmp_path / "build" / "credentials.yml")
    text = path.read_text(encoding="utf-8")
    assert "connectors.telegram.TelegramInput:" in text
    assert not any(secret in text for secret in ("zalo-oa-secret", "telegram-token", "telegram-webhook-secret"))


def test_telegram_webhook_mode_needs_a_secret() -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        settings(telegram_token="1:x")
    with pytest.raises(ValidationError, match="'webhook' or 'polling'"):
        settings(telegram_token="1:x", telegram_mode="push")
    polling = serve.enabled_channels(settings(telegram_token="1:x", telegram_mode="polling"))
    assert polling[-1] == "connectors.telegram.TelegramInput"


def test_a_malformed_redis_url_stops_the_start_with_its_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "m.tar.gz").write_bytes(b"x")
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "cache.internal:6379")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: pytest.fail("Rasa must not start"))
    with pytest.raises(SystemExit, match="REDIS_URL"):
        serve.main()


def test_telegram_polling_is_refused_on_replicas() -> None:
    with pytest.raises(ValidationError, match="several replicas"):
        settings(telegram_token="1:x", telegram_mode="polling", redis_url="redis://r:6379/0")
    # without a Telegram token the mode does not matter
    assert settings(telegram_mode="polling", redis_url="redis://r:6379/0").telegram_enabled is False


def test_settings_that_do_not_work_together_stop_the_start_with_the_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_TOKEN", "1:x")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: pytest.fail("Rasa must not start"))
    with pytest.raises(SystemExit, match="do not work together(.|\\n)*TELEGRAM_WEBHOOK_SECRET"):
        serve.main()
    monkeypatch.setenv("REPLY_TIMEOUT", "0")
    monkeypatch.setenv("TELEGRAM_MODE", "polling")
    with pytest.raises(SystemExit, match="REPLY_TIMEOUT must be more than 0"):
        serve.main()


def test_the_settings_are_read_from_a_dot_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As the README says: copy .env.example to .env and edit it (python-dotenv is needed)."""
    for name in ("RASA_PORT", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("RASA_PORT=6116\nREDIS_URL=redis://cache:6379/2\n# a comment\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = RasaSettings()
    assert settings.rasa_port == 6116 and settings.redis_url == "redis://cache:6379/2"


def test_rasa_sends_the_action_servers_key_which_stays_out_of_the_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from rasa.utils.endpoints import read_endpoint_config  # noqa: PLC0415

    key = "k-" + os.urandom(8).hex()
    path = serve.write_endpoints(settings(action_server_token=key), tmp_path / "e.yml")
    assert key not in path.read_text(encoding="utf-8")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", key)  # what main() sets before starting Rasa
    endpoint = read_endpoint_config(str(path), "action_endpoint")
    assert endpoint is not None and endpoint.headers == {"Authorization": f"Bearer {key}"}


def test_every_service_listens_on_this_machine_only_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_INTERFACE", raising=False)
    assert RasaSettings(_env_file=None).rasa_interface == "127.0.0.1"  # type: ignore[call-arg]
