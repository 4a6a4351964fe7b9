"""connectors.delivery: the delivery worker starts, wakes when kicked and stops when asked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from connectors.delivery import DeliveryWorker
from servers.database import migrated_sqlite
from tthc_data.channels import shared_store

pytestmark = pytest.mark.rasa


async def stops_within(worker: DeliveryWorker, seconds: float) -> bool:
    """Whether ``worker.stop()`` returned in time (a stop that hangs is cancelled afterwards)."""
    stopping = asyncio.ensure_future(worker.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    if not done:
        running = worker._task
        stopping.cancel()
        if running is not None:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    return bool(done)


async def stops_within_task(stopping: asyncio.Future[None], seconds: float) -> bool:
    """Whether a ``worker.stop()`` already started has returned within ``seconds``."""
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    return bool(done)


@pytest.mark.parametrize("pause", [0.0, 0.05])
def test_a_stop_right_after_a_kick_ends_the_worker(tmp_path: Path, pause: float) -> None:
    # Server shutdown right after a reply was queued: the kick has woken the worker's sleep when
    # the stop's cancel arrives. asyncio.wait_for on Python 3.10 drops that cancel, and the
    # shutdown (and the test run with it) waited for ever.
    store = shared_store(migrated_sqlite(tmp_path / "channels.db"))

    async def scenario() -> list[bool]:
        results = []
        for _ in range(3):
            worker = DeliveryWorker(store, poll_interval=60)
            worker.start()
            await asyncio.sleep(0.1)  # the worker has scanned and sleeps until kicked
            worker.kick()
            if pause:
                await asyncio.sleep(pause)
            results.append(await stops_within(worker, 5))
        return results

    assert asyncio.run(scenario()) == [True, True, True]


class Platform:
    """The platform's end of a send (what Zalo or Telegram would receive)."""

    channel = "zalo"

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def send(self, recipient: str, message: dict[str, Any]) -> None:
        self.received.append((recipient, message))


def test_a_kick_delivers_a_queued_message_before_the_next_scan(tmp_path: Path) -> None:
    store = shared_store(migrated_sqlite(tmp_path / "channels.db"))
    platform = Platform()

    async def scenario() -> tuple[int, list[str]]:
        worker = DeliveryWorker(store, poll_interval=60)
        worker.register(platform)
        worker.start()
        await asyncio.sleep(0.2)  # scanned an empty outbox; the next scan is a minute away
        store.enqueue("zalo", "u1", [{"text": "một"}, {"text": "hai"}])
        before = len(platform.received)
        worker.kick()
        for _ in range(50):
            if len(platform.received) == 2:
                break
            await asyncio.sleep(0.05)
        assert await stops_within(worker, 5)
        return before, [m.status for m in store.all_messages("zalo")]

    before, statuses = asyncio.run(scenario())
    assert before == 0
    assert platform.received == [("u1", {"text": "một"}), ("u1", {"text": "hai"})]
    assert statuses == ["sent", "sent"]


class SlowPlatform(Platform):
    """A platform that takes its time to accept a message (``release`` lets it answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, recipient: str, message: dict[str, Any]) -> None:
        self.started.set()
        await self.release.wait()
        await super().send(recipient, message)


def test_a_stop_lets_the_send_in_flight_finish_and_records_it_sent(tmp_path: Path) -> None:
    # Cancelling the worker mid-send left a message the platform received as "sending": after
    # its lease it would be claimed and sent to the citizen a second time.
    store = shared_store(migrated_sqlite(tmp_path / "channels.db"))

    async def scenario() -> list[str]:
        platform = SlowPlatform()
        worker = DeliveryWorker(store, poll_interval=60)
        worker.register(platform)
        store.enqueue("zalo", "u1", [{"text": "một"}])
        worker.start()
        await asyncio.wait_for(platform.started.wait(), 5)
        stopping = asyncio.ensure_future(worker.stop())
        await asyncio.sleep(0.1)
        assert not stopping.done()  # waiting for the send, not cancelling it
        platform.release.set()
        assert await stops_within_task(stopping, 5)
        assert platform.received == [("u1", {"text": "một"})]
        return [m.status for m in store.all_messages("zalo")]

    assert asyncio.run(scenario()) == ["sent"]


def test_a_send_that_hangs_is_cancelled_after_the_grace(tmp_path: Path) -> None:
    store = shared_store(migrated_sqlite(tmp_path / "channels.db"))

    async def scenario() -> list[str]:
        platform = SlowPlatform()  # never released
        worker = DeliveryWorker(store, poll_interval=60)
        worker.register(platform)
        store.enqueue("zalo", "u1", [{"text": "một"}])
        worker.start()
        await asyncio.wait_for(platform.started.wait(), 5)
        assert await stops_within_task(asyncio.ensure_future(worker.stop(grace=0.2)), 5)
        return [m.status for m in store.all_messages("zalo")]

    assert asyncio.run(scenario()) == ["sending"]  # claimed, kept, sent again after its lease

