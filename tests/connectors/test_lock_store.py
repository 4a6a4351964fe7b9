"""connectors.lock_store: Rasa's ticket lock in a real Redis, shared by several replicas."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config

from connectors import serve
from connectors.lock_store import UrlRedisLockStore, redis_options
from connectors.settings import RasaSettings, get_settings

pytestmark = pytest.mark.rasa


def test_redis_urls_become_the_lock_stores_options() -> None:
    assert redis_options("redis://127.0.0.1:6380/2") == {
        "host": "127.0.0.1", "port": 6380, "db": 2, "username": None, "password": None, "use_ssl": False}
    secure = redis_options("rediss://tthc:p%40ss@cache.internal")
    assert secure["host"] == "cache.internal" and secure["port"] == 6379 and secure["db"] == 0
    assert secure["username"] == "tthc" and secure["password"] == "p@ss" and secure["use_ssl"] is True
    for bad in ("http://host:6379", "redis://", "redis://host/zero", "host:6379"):
        with pytest.raises(ValueError, match="REDIS_URL|database"):
            redis_options(bad)


def test_replicas_issuing_tickets_at_once_never_share_or_lose_one(redis_url: str) -> None:
    replicas = [UrlRedisLockStore(url=redis_url), UrlRedisLockStore(url=redis_url)]
    threads_per_replica, per_thread = 6, 15
    start = threading.Barrier(2 * threads_per_replica)
    issued: list[int] = []
    guard = threading.Lock()

    def issue(store: UrlRedisLockStore) -> None:
        start.wait()
        for _ in range(per_thread):
            ticket = store.issue_ticket("citizen-1", lock_lifetime=60)
            with guard:
                issued.append(ticket)

    threads = [threading.Thread(target=issue, args=(store,)) for store in replicas for _ in range(threads_per_replica)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = 2 * threads_per_replica * per_thread
    assert len(issued) == total
    assert len(set(issued)) == total, "two callers got the same ticket"
    stored = replicas[0].get_lock("citizen-1")
    assert stored is not None
    assert sorted(t.number for t in stored.tickets) == sorted(issued), "a ticket was lost"


def test_one_message_of_a_conversation_at_a_time_in_ticket_order_across_replicas(redis_url: str) -> None:
    """Two replicas (two event loops, two connections) handle messages of the same
    conversation: never two at once, and in the order their tickets were issued."""
    log: list[tuple[str, int, str]] = []
    guard = threading.Lock()

    async def handle(store: UrlRedisLockStore, name: str, count: int) -> None:
        async def one(i: int) -> None:
            await asyncio.sleep(0.003 * i)
            async with store.lock("citizen-2", lock_lifetime=30, wait_time_in_seconds=0.01) as lock:
                ticket = lock.now_serving
                with guard:
                    log.append(("enter", ticket, name))
                await asyncio.sleep(0.01)
                with guard:
                    log.append(("exit", ticket, name))

        await asyncio.gather(*(one(i) for i in range(count)))

    threads = [threading.Thread(target=asyncio.run, args=(handle(UrlRedisLockStore(url=redis_url), name, 12),))
               for name in ("rasa-1", "rasa-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 48
    assert {name for _, _, name in log} == {"rasa-1", "rasa-2"}
    inside = 0
    for kind, _, _ in log:
        inside += 1 if kind == "enter" else -1
        assert inside in (0, 1), "two messages of one conversation were handled at once"
    served = [ticket for kind, ticket, _ in log if kind == "enter"]
    assert served == sorted(served), "tickets were not served in the order they were issued"
    assert UrlRedisLockStore(url=redis_url).get_lock("citizen-2") is None  # cleaned up with the last


def test_finishing_never_deletes_a_ticket_another_replica_just_took(redis_url: str) -> None:
    first, second = UrlRedisLockStore(url=redis_url), UrlRedisLockStore(url=redis_url)
    a = first.issue_ticket("citizen-3", 30)
    b = second.issue_ticket("citizen-3", 30)
    first.cleanup("citizen-3", a)
    lock = second.get_lock("citizen-3")
    assert lock is not None and lock.now_serving == b and not lock.is_locked(b)


def test_an_expired_ticket_of_a_killed_replica_stops_blocking(redis_url: str) -> None:
    store = UrlRedisLockStore(url=redis_url)
    store.issue_ticket("citizen-4", lock_lifetime=0.3)  # its replica died holding it
    waiting = store.issue_ticket("citizen-4", lock_lifetime=30)
    assert store.get_lock("citizen-4").is_locked(waiting)  # type: ignore[union-attr]
    time.sleep(0.4)
    store.update_lock("citizen-4")
    assert not store.get_lock("citizen-4").is_locked(waiting)  # type: ignore[union-attr]


def test_rasa_builds_the_lock_store_from_the_written_endpoints(
        redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "k")  # as serve.main sets it: Rasa expands it in the file
    get_settings.cache_clear()
    try:
        path = serve.write_endpoints(get_settings(), tmp_path / "endpoints.yml")
        assert "lock_store" in path.read_text(encoding="utf-8")
        store = LockStore.create(read_endpoint_config(str(path), "lock_store"))
        assert isinstance(store, UrlRedisLockStore)
        ticket = store.issue_ticket("citizen-5")
        assert UrlRedisLockStore(url=redis_url).get_lock("citizen-5").now_serving == ticket  # type: ignore[union-attr]
    finally:
        get_settings.cache_clear()


def test_without_redis_there_is_no_shared_lock_store_and_secrets_stay_out_of_the_file(tmp_path: Path) -> None:
    alone = serve.endpoints(RasaSettings(redis_url=None))
    assert "lock_store" not in alone
    assert alone["tracker_store"]["type"] == "connectors.tracker_store.UrlSQLTrackerStore"
    path = serve.write_endpoints(RasaSettings(redis_url="redis://:hunter2@cache:6379/1"), tmp_path / "e.yml")
    text = path.read_text(encoding="utf-8")
    assert "connectors.lock_store.UrlRedisLockStore" in text and "hunter2" not in text
    with pytest.raises(ValueError):
        serve.endpoints(RasaSettings(redis_url="cache:6379"))


def test_a_message_waiting_behind_a_dead_replica_is_handled_when_both_tickets_expire(redis_url: str) -> None:
    """Rasa's lock gives up (LockError) when the waiting ticket expires with the dead one;
    here the message queues again and is handled."""
    store = UrlRedisLockStore(url=redis_url)
    store.issue_ticket("citizen-6", lock_lifetime=0.3)  # held by a replica that died

    async def handle() -> str:
        async with store.lock("citizen-6", lock_lifetime=0.3, wait_time_in_seconds=0.05):
            return "handled"

    started = time.monotonic()
    assert asyncio.run(handle()) == "handled"
    assert 0.25 < time.monotonic() - started < 5
    assert store.get_lock("citizen-6") is None
