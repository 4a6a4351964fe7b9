"""A real running bot for system tests: the Rasa server (.venv-rasa) and the action server
(.venv) started as processes on free ports, each with its own temporary databases, shared
by every test of the session. Needs the trained model (bot/models) and the index
(build/index) that ``make test`` builds first."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

from servers.fake_onestop import FakeOneStop
from servers.fake_platforms import FakeTelegram, FakeZalo
from servers.ports import free_port
from servers.process import RASA_PYTHON, REPO_ROOT, Service
from tests.integration.harness import STAFF_CHAT, Bot, Platforms
from tests.system_packages import require


@pytest.fixture(scope="session")
def platforms() -> Iterator[Platforms]:
    """Local fakes of Zalo's and Telegram's APIs that the bot's channels send to."""
    with FakeZalo() as zalo, FakeTelegram() as telegram:
        yield Platforms(zalo, telegram, zalo_oa_secret="it-oa-secret", telegram_secret="it-webhook-secret")


ONESTOP_KEY = "it-onestop-key"
DOSSIER_SECRET = "it-dossier-secret"


@pytest.fixture(scope="session")
def onestop() -> Iterator[FakeOneStop]:
    """A local fake of the city's one-stop system (its dossiers are added by each test)."""
    with FakeOneStop() as server:
        server.misbehaviour.api_key = ONESTOP_KEY
        yield server


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory, platforms: Platforms, onestop: FakeOneStop) -> Iterator[Bot]:
    if not RASA_PYTHON.exists() or not list((REPO_ROOT / "bot" / "models").glob("*.tar.gz")):
        pytest.skip("needs .venv-rasa and a trained model: run `make test`")
    if not (REPO_ROOT / "build" / "index" / "manifest.json").exists():
        pytest.skip("needs the search index: run `make test`")
    tmp = tmp_path_factory.mktemp("bot")
    rasa_port, action_port = free_port(), free_port()
    # one database for everything, as by default: conversations, channel queues, console data
    database_url = f"sqlite:///{tmp / 'tthc.db'}"
    tracker_url = database_url
    action_token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "DATABASE_URL": database_url,
        "RASA_PORT": str(rasa_port),
        "RASA_INTERFACE": "127.0.0.1",
        "ACTION_HOST": "127.0.0.1",
        "ACTION_PORT": str(action_port),
        "ACTION_SERVER_TOKEN": action_token,
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "REPLY_TIMEOUT": "20",
        # 20 messages per sender per 3 s: the dialogue test's long conversation meets a 429
        "RATE_LIMIT_MESSAGES": "20",
        "RATE_LIMIT_WINDOW": "3",
        # Zalo and Telegram enabled, talking to the local fakes
        "ZALO_APP_ID": platforms.zalo.app_id,
        "ZALO_OA_SECRET_KEY": platforms.zalo_oa_secret,
        "ZALO_APP_SECRET_KEY": platforms.zalo.app_secret,
        "ZALO_ACCESS_TOKEN": platforms.zalo.access_token,
        "ZALO_REFRESH_TOKEN": platforms.zalo.refresh_token,
        "ZALO_API_BASE": platforms.zalo.url,
        "ZALO_OAUTH_BASE": platforms.zalo.url,
        "TELEGRAM_TOKEN": platforms.telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": platforms.telegram_secret,
        "TELEGRAM_API_BASE": platforms.telegram.base_url,
        "TELEGRAM_MODE": "webhook",
        "DELIVERY_POLL_INTERVAL": "0.5",
        "DELIVERY_BACKOFF_BASE": "0.2",
        # new handoff tickets are announced to this staff Telegram group
        "STAFF_TELEGRAM_CHAT_ID": STAFF_CHAT,
        "PUBLIC_URL": "https://tthc.example.gov.vn",
        # dossier lookups ask the fake one-stop system, which reports changes to the signed webhook
        "DOSSIER_API_URL": onestop.url,
        "DOSSIER_API_KEY": ONESTOP_KEY,
        "DOSSIER_WEBHOOK_SECRET": DOSSIER_SECRET,
    }
    actions = Service(
        "actions", [sys.executable, "-m", "actions"], env, f"http://127.0.0.1:{action_port}/health", tmp / "actions.log"
    )
    rasa = Service(
        "rasa", [str(RASA_PYTHON), "-m", "connectors.serve"], env, f"http://127.0.0.1:{rasa_port}/", tmp / "rasa.log"
    )
    # the tables, as a deployment makes them before the services start
    subprocess.run([sys.executable, "-m", "tthc.cli", "db", "upgrade", "--url", database_url],
                   check=True, timeout=300, env=env)
    actions.start()
    rasa.start()
    yield Bot(rasa, actions, f"http://127.0.0.1:{rasa_port}", database_url, tracker_url, platforms,
              f"http://127.0.0.1:{action_port}", action_token, onestop, DOSSIER_SECRET)
    rasa.stop()
    actions.stop()


@pytest.fixture(scope="session")
def web_front(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web front (widget, console) on a free port, in front of the test bot."""
    port = free_port()
    env = {**os.environ, "RASA_URL": bot.rasa_url, "DATABASE_URL": bot.database_url, "WEB_HOST": "127.0.0.1",
           "WEB_PORT": str(port), "CONSOLE_SECRET_KEY": "integration-secret", "HF_HUB_OFFLINE": "1"}
    web = Service("web", [sys.executable, "-m", "web"], env, f"http://127.0.0.1:{port}/healthz",
                  tmp_path_factory.mktemp("web") / "web.log")
    web.start()
    yield f"http://127.0.0.1:{port}"
    web.stop()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    require(os.path.exists(CHROMIUM), "chromium", "chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield chromium
        chromium.close()
