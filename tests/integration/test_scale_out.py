"""The scaled-out stack for real, on 127.0.0.1: PostgreSQL, Redis, two Rasa replicas and two
action servers behind nginx, with the web front, started from the deployment description
(tthc.deploy, the source of deploy/Procfile and deploy/docker-compose.yml).

Messages of the same conversations go to both replicas at once; every conversation's
stored events must hold each message once, in order, each turn complete before the next.
Then one replica is killed in the middle of traffic and the other carries on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from servers.fake_platforms import FakeZalo, zalo_event
from servers.postgres import PostgresServer
from servers.process import RASA_PYTHON, REPO_ROOT
from servers.redis_server import RedisServer
from servers.stack import ScaleStack, nginx_binary, say, start_stack, turn_problems
from tests.system_packages import require
from tthc import deploy

pytestmark = pytest.mark.slow

QUESTIONS = [
    "xin chào", "làm giấy khai sinh cần giấy tờ gì", "le phi bao nhieu", "mất bao lâu thì có",
    "nộp hồ sơ ở đâu", "có làm online được không", "đăng ký kết hôn cần gì", "cảm ơn",
]
ZALO_SECRET = "scale-oa-secret"


@pytest.fixture(scope="module")
def zalo() -> Iterator[FakeZalo]:
    with FakeZalo() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer, redis_server: RedisServer,
          zalo: FakeZalo) -> Iterator[ScaleStack]:
    if not RASA_PYTHON.exists() or not list((REPO_ROOT / "bot" / "models").glob("*.tar.gz")):
        pytest.skip("needs .venv-rasa and a trained model: run `make test`")
    if not (REPO_ROOT / "build" / "index" / "manifest.json").exists():
        pytest.skip("needs the search index: run `make test`")
    require(nginx_binary() is not None, "nginx", "nginx")
    database_url = postgres_server.create_database("scale_out")
    redis_server.command("FLUSHDB", db=9)
    env = {
        "REPLY_TIMEOUT": "45",
        "DELIVERY_POLL_INTERVAL": "0.5",
        "DELIVERY_BACKOFF_BASE": "0.2",
        "ZALO_APP_ID": zalo.app_id,
        "ZALO_OA_SECRET_KEY": ZALO_SECRET,
        "ZALO_APP_SECRET_KEY": zalo.app_secret,
        "ZALO_ACCESS_TOKEN": zalo.access_token,
        "ZALO_REFRESH_TOKEN": zalo.refresh_token,
        "ZALO_API_BASE": zalo.url,
        "ZALO_OAUTH_BASE": zalo.url,
        "CONSOLE_SECRET_KEY": "scale-secret",
    }
    # a replica killed holding a conversation's lock blocks it at most 15 s
    running = start_stack(tmp_path_factory.mktemp("scale"), database_url, redis_server.url(9),
                          deploy.Replicas(rasa=2, actions=2, web=1), env, lock_lifetime=15)
    yield running
    running.stop()


def test_the_stack_runs_what_the_deployment_files_describe(stack: ScaleStack) -> None:
    local = deploy.processes(stack.topology, "local")
    assert sorted(stack.services) == sorted(p.name for p in local)
    assert [p.name for p in local if p.service == "rasa"] == ["rasa-1", "rasa-2"]
    assert [p.name for p in local if p.service == "actions"] == ["actions-1", "actions-2"]
    procfile_names = [line.split(":")[0] for line in deploy.procfile(stack.topology).splitlines()
                      if line and not line.startswith("#")]
    assert procfile_names == [p.name for p in local] + ["balancer"]


def test_interleaved_messages_on_both_replicas_are_each_handled_once_and_in_order(stack: ScaleStack) -> None:
    replicas = list(stack.replicas.values())
    conversations, rounds = 10, 3

    def converse(n: int) -> list[list[str]]:
        sender = f"interleaved-{n}"
        sent: list[list[str]] = []
        for r in range(rounds):
            ids = [f"{sender}-{r}-{k}" for k in range(2)]
            # the same conversation, two messages at once, one on each replica
            with ThreadPoolExecutor(2) as both:
                answers = list(both.map(
                    lambda k: say(replicas[k], sender, QUESTIONS[(n + 2 * r + k) % len(QUESTIONS)], ids[k]),
                    range(2)))
            for status, replies, _ in answers:
                assert status == 200, replies
                assert any(reply.get("text") for reply in replies)
            sent.append(ids)
        return sent

    with ThreadPoolExecutor(conversations) as pool:
        sent = dict(zip(range(conversations), pool.map(converse, range(conversations)), strict=True))
    stored = stack.events("interleaved-")
    assert len(stored) == conversations
    problems = {n: turn_problems(stored[f"interleaved-{n}"], sent[n]) for n in sent}
    assert not any(problems.values()), problems


def test_replies_on_a_push_channel_are_delivered_once_with_two_delivery_workers(
        stack: ScaleStack, zalo: FakeZalo) -> None:
    """Zalo events for the same users land on both replicas; each replica runs a delivery
    worker on the shared outbox: every reply reaches Zalo exactly once."""
    replicas = list(stack.replicas.values())
    users, per_user = 6, 3
    counter = itertools.count()

    def post(replica: str, user: str, question: str) -> None:
        body = zalo_event("user_send_text", user, text=question, msg_id=f"scale-{next(counter)}",
                          app_id=zalo.app_id)
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        mac = hashlib.sha256(body["app_id"].encode() + raw + body["timestamp"].encode()
                             + ZALO_SECRET.encode()).hexdigest()
        answer = httpx.post(f"{replica}/webhooks/zalo/webhook", content=raw, timeout=10,
                            headers={"X-ZEvent-Signature": f"mac={mac}", "content-type": "application/json"})
        assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text

    for i in range(per_user):
        for u in range(users):
            post(replicas[(u + i) % 2], f"zalo-scale-{u}", QUESTIONS[(u + i) % len(QUESTIONS)])
        time.sleep(0.3)
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    engine = create_engine(stack.database_url)
    query = text("SELECT recipient, status FROM channel_outbox WHERE channel = 'zalo' AND recipient LIKE 'zalo-scale-%'")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        handled = stack.events("zalo:zalo-scale-")  # conversations scoped by channel
        user_messages = sum(1 for events in handled.values() for e in events if e["type"] == "user")
        if user_messages == users * per_user and rows and all(r.status == "sent" for r in rows):
            break
        time.sleep(0.5)
    time.sleep(2)  # two workers polling: nothing more may arrive
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    engine.dispose()
    assert rows and all(r.status == "sent" for r in rows), rows
    for u in range(users):
        user = f"zalo-scale-{u}"
        queued = sum(1 for r in rows if r.recipient == user)
        assert len(zalo.texts_to(user)) == queued, f"{user}: {len(zalo.texts_to(user))} sent for {queued} queued"
        events = handled[f"zalo:{user}"]
        assert sum(1 for e in events if e["type"] == "user") == per_user
        assert not turn_problems(events, [[e["data"]["message_id"]] for e in events if e["type"] == "user"])


def test_the_web_front_and_console_work_behind_the_balancer(stack: ScaleStack) -> None:
    sender = httpx.post(f"{stack.public_url}/api/session", timeout=10).json()["sender"]  # the widget's first call
    chat = httpx.post(f"{stack.public_url}/api/chat", timeout=60,
                      json={"sender": sender, "message": "làm giấy khai sinh cần giấy tờ gì",
                            "message_id": "web-scale-1-a"})
    assert chat.status_code == 200 and any(r.get("text") for r in chat.json())
    # sent again with its id (the answer was lost): answered again, not handled twice, on
    # whichever replica the balancer picks
    for _ in range(2):
        again = httpx.post(f"{stack.public_url}/api/chat", timeout=60,
                           json={"sender": sender, "message": "làm giấy khai sinh cần giấy tờ gì",
                                 "message_id": "web-scale-1-a"})
        assert again.status_code == 200 and again.json() == chat.json()
    events = stack.events(sender)[sender]
    assert [e["data"].get("message_id") for e in events if e["type"] == "user"] == ["web-scale-1-a"]
    assert httpx.get(f"{stack.public_url}/console/login", timeout=10).status_code == 200
    assert httpx.get(f"{stack.public_url}/webhooks/rest/", timeout=10).json() == {"status": "ok"}
    # the widget's channel only through the web front, which counts each client address
    assert httpx.post(f"{stack.public_url}/webhooks/web/webhook", timeout=10,
                      json={"sender": sender, "message": "xin chào"}).status_code == 404


def test_when_a_replica_is_killed_mid_run_the_other_carries_on(stack: ScaleStack) -> None:
    conversations, per_conversation = 10, 6
    answered = itertools.count(1)
    killed_at: list[int] = []
    done_after_kill = itertools.count(1)
    tries: list[int] = []
    lock = threading.Lock()

    def converse(n: int) -> list[list[str]]:
        sender = f"failover-{n}"
        sent: list[list[str]] = []
        for k in range(per_conversation):
            message_id = f"{sender}-{k}"
            status, replies, attempts = say(stack.rasa_url, sender, QUESTIONS[(n + k) % len(QUESTIONS)],
                                            message_id, retry_for=90)
            assert status == 200, replies
            assert any(reply.get("text") for reply in replies)
            sent.append([message_id])
            with lock:
                tries.append(attempts)
                if killed_at:
                    next(done_after_kill)
            if next(answered) == 20:  # a third of the way: one replica dies, requests in flight
                stack.services["rasa-2"].kill()
                killed_at.append(time.monotonic())
        return sent

    with ThreadPoolExecutor(conversations) as pool:
        sent = dict(zip(range(conversations), pool.map(converse, range(conversations)), strict=True))
    assert killed_at and stack.services["rasa-2"].process.poll() is not None  # type: ignore[union-attr]
    assert next(done_after_kill) > conversations * per_conversation // 3  # served by the survivor
    stored = stack.events("failover-")
    problems = {n: turn_problems(stored.get(f"failover-{n}", []), sent[n]) for n in sent}
    assert not any(problems.values()), problems
    print(f"\nfailover: {sum(t > 1 for t in tries)} of {len(tries)} messages were sent again after the kill")

