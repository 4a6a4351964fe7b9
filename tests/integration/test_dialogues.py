"""Whole conversations against the running bot, scored from its record of each turn:
the blind conversation sets of bot/tests must meet the issue's floors, and `tthc dialogue
eval` keeps its contract."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from servers.process import REPO_ROOT
from tests.integration.harness import Bot
from tthc.dialogue_eval import Runner, format_report, load_conversations, score

pytestmark = pytest.mark.slow

SETS = ("dialogues.yml", "dialogues_dev.yml")
TURN_FLOOR, CONVERSATION_FLOOR, ASPECT_FLOOR = 0.90, 0.80, 0.90


def webhook(bot: Bot) -> str:
    return f"{bot.rasa_url}/webhooks/rest/webhook"


def index_has_catalog() -> bool:
    manifest = json.loads((REPO_ROOT / "build" / "index" / "manifest.json").read_text(encoding="utf-8"))
    return bool(manifest.get("catalog_entries"))


@pytest.mark.parametrize("name", SETS)
def test_the_blind_conversation_set_meets_the_floors(bot: Bot, name: str) -> None:
    conversations = load_conversations(REPO_ROOT / "bot" / "tests" / name)
    # the conversations about procedures without a curated guide need the catalog tier
    if not index_has_catalog():
        conversations = [c for c in conversations if not c.catalog]
    results = Runner(url=webhook(bot)).evaluate(conversations, concurrency=4)
    report = score(results)
    print(f"\n{name}: " + format_report(report, results).split("\n— ")[0])  # the figures, in the log
    assert report["turns"] == sum(len(c.turns) for c in conversations)
    assert not [f for f in report["failures"] if f["got"]["outcome"] == "error"], "the bot failed to answer"
    assert report["turn_success"] >= TURN_FLOOR, format_report(report, results)
    assert report["conversation_success"] >= CONVERSATION_FLOOR
    assert report["aspect_accuracy"] >= ASPECT_FLOOR


def test_the_trace_is_there_only_when_asked(bot: Bot) -> None:
    plain = httpx.post(webhook(bot), json={"sender": "it-trace", "message": "lam giay khai sinh can gi"},
                       timeout=60).json()
    assert all("custom" not in m for m in plain)
    traced = httpx.post(webhook(bot), json={"sender": "it-trace", "message": "có mất tiền ko",
                                            "metadata": {"trace": True}}, timeout=60).json()
    assert traced[-1] == {"recipient_id": "it-trace",
                          "custom": {"turn": {"outcome": "answer", "codes": ["1.001193"], "aspect": "fee"}}}
    assert "Lệ phí" in traced[0]["text"] and "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/" in traced[0]["text"]


def test_a_rate_limited_turn_is_waited_out_not_scored(bot: Bot, tmp_path: Path) -> None:
    # 24 turns from one sender at once: the bot answers 429 (20 per 3 s), the runner waits.
    turns = "".join('    - say: "xin chào"\n      expect: {outcome: greeting}\n' for _ in range(24))
    path = tmp_path / "long.yml"
    path.write_text(f"- id: long\n  turns:\n{turns}", encoding="utf-8")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        import time  # noqa: PLC0415

        time.sleep(seconds)

    results = Runner(url=webhook(bot), sleep=sleep).evaluate(load_conversations(path))
    assert waits, "the rate limit was never met"
    assert score(results)["turn_success"] == 1.0 and len(results) == 24


def test_the_command_prints_the_json_contract(bot: Bot, tmp_path: Path) -> None:
    path = tmp_path / "set.yml"
    path.write_text(
        "- id: birth\n  nfd: true\n  turns:\n"
        '    - say: "con mình mới sinh, làm giấy khai sinh cần mang gì"\n'
        '      expect: {outcome: answer, codes: ["1.001193"], aspect: documents}\n'
        '    - say: "có mất tiền ko"\n      expect: {outcome: answer, codes: ["1.001193"], aspect: time}\n'
        "- id: hello\n  turns:\n"
        '    - say: "xin chào"\n      expect: {outcome: [greeting, chitchat]}\n',
        encoding="utf-8",
    )
    tthc = Path(sys.executable).with_name("tthc")
    done = subprocess.run([str(tthc), "dialogue", "eval", str(path), "--url", webhook(bot), "--json"],
                          capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(done.stdout)
    assert set(report) == {"turns", "turn_success", "conversations", "conversation_success",
                           "aspect_accuracy", "by_outcome", "failures"}
    assert (report["turns"], report["conversations"]) == (3, 2)
    assert report["turn_success"] == round(2 / 3, 4) and report["conversation_success"] == 0.5
    assert report["aspect_accuracy"] == 0.5
    assert report["by_outcome"] == {"answer": {"n": 2, "success": 0.5}, "greeting": {"n": 1, "success": 1.0}}
    (failure,) = report["failures"]
    assert (failure["id"], failure["turn"], failure["got"]["aspect"]) == ("birth", 2, "fee")
    readable = subprocess.run([str(tthc), "dialogue", "eval", str(path), "--url", webhook(bot)],
                              capture_output=True, text=True, timeout=300, check=True).stdout
    assert "— birth" in readable and "got      answer ['1.001193'] fee" in readable
    # each run's conversations have fresh sender ids "eval-<run>-<id>" (left out of the statistics)
    with sqlite3.connect(bot.tracker_url.removeprefix("sqlite:///")) as db:
        senders = {r[0] for r in db.execute("select distinct sender_id from events where sender_id like 'eval-%-birth'")}
    assert len(senders) == 2
    bad = subprocess.run([str(tthc), "dialogue", "eval", str(tmp_path / "missing.yml"), "--url", webhook(bot)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
