"""Dossier status figures: ``python -m benchmarks.dossier`` (part of ``make bench``).

- lookup latency (p50/p95) of a whole lookup as the bot does it — failed-proof count in the
  database, proof and record from the one-stop system, the audit line — against the local
  fake one-stop system (servers/fake_onestop.py), beside the bare HTTP round trip to the same
  fake measured in the same run (the baseline);
- status changes through the outbox: changes per second recorded with one message to each of
  N followers queued in the same transaction (pushes queued per second);
- pushes delivered: the real Rasa server (its status webhook and its delivery worker with the
  real Telegram and Zalo senders) against the local fakes of those APIs: signed reports of
  changes to a dossier followed on both platforms, timed until the fakes hold every message
  (in order per follower), beside bare sequential sends to the same fakes (the baseline).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from actions.onestop import HttpOneStop, verified_lookup
from benchmarks.report import save
from servers.database import migrated_sqlite
from servers.fake_onestop import FakeOneStop, sample_record
from servers.fake_platforms import FakeTelegram, FakeZalo
from servers.ports import free_port
from servers.process import RASA_PYTHON, Service
from tthc_data import dossiers as store
from tthc_data.engine import engine_for

LOOKUPS = 200
FOLLOWERS = 25  # on each platform
CHANGES = 20
SECRET = "bench-dossier-secret"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _lookups(fake: FakeOneStop, database: str) -> tuple[list[float], list[float]]:
    onestop = HttpOneStop(fake.url, backoff=0.05)
    engine = engine_for(database)
    bare: list[float] = []
    whole: list[float] = []
    async with httpx.AsyncClient() as client:
        for i in range(LOOKUPS):
            code = f"000.00.12.H40-251201-{i:04d}"
            started = time.perf_counter()
            await client.get(f"{fake.url}/dossiers/{code}")
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            await asyncio.to_thread(store.proofs_paused, engine, sender=f"web-{i}", code=code)
            found = await verified_lookup(onestop, code, "5678", 3.0)
            await asyncio.to_thread(store.audit_dossier, engine, action="dossier.lookup", code=code, channel="web",
                                    outcome="found" if found else "not_verified")
            whole.append(time.perf_counter() - started)
    await onestop.close()
    return bare, whole


def _report(url: str, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{url}/webhooks/dossier/status", content=raw, timeout=30, headers={
        "content-type": "application/json", "X-Dossier-Timestamp": stamp, "X-Dossier-Signature": mac})


def _bare_sends(telegram: FakeTelegram, count: int) -> float:
    """Sends per second of one client posting sendMessage to the fake, one after another."""
    with httpx.Client() as client:
        started = time.perf_counter()
        for n in range(count):
            client.post(f"{telegram.base_url}{telegram.token}/sendMessage", json={"chat_id": 1, "text": f"m{n}"})
        return count / (time.perf_counter() - started)


def deliveries(folder: Path) -> dict[str, object]:
    """Pushes delivered per second through the webhook, the outbox and the real senders."""
    database = migrated_sqlite(folder / "deliver.db")
    engine = engine_for(database)
    code = "000.00.12.H40-251203-0001"

    def due(n: int) -> dt.date:
        return dt.date.today() + dt.timedelta(days=30 + n)

    with FakeTelegram() as telegram, FakeZalo() as zalo:
        bare = _bare_sends(telegram, FOLLOWERS * CHANGES)
        with telegram.lock:
            telegram.sent.clear()
        for n in range(FOLLOWERS):
            store.subscribe(engine, code=code, channel="telegram", recipient=str(800000 + n))
            store.subscribe(engine, code=code, channel="zalo", recipient=f"zalo-bench-{n}")
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database, "RASA_PORT": str(port), "RASA_INTERFACE": "127.0.0.1",
               "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook", "RASA_TELEMETRY_ENABLED": "false",
               "HF_HUB_OFFLINE": "1", "DOSSIER_WEBHOOK_SECRET": SECRET, "DELIVERY_POLL_INTERVAL": "0.5",
               "TELEGRAM_TOKEN": telegram.token, "TELEGRAM_WEBHOOK_SECRET": "bench-telegram",
               "TELEGRAM_API_BASE": telegram.base_url, "TELEGRAM_MODE": "webhook",
               "ZALO_APP_ID": zalo.app_id, "ZALO_OA_SECRET_KEY": "bench-oa", "ZALO_APP_SECRET_KEY": zalo.app_secret,
               "ZALO_ACCESS_TOKEN": zalo.access_token, "ZALO_REFRESH_TOKEN": zalo.refresh_token,
               "ZALO_API_BASE": zalo.url, "ZALO_OAUTH_BASE": zalo.url,
               # nobody wrote to the OA: outside the window, sent as transaction messages
               "ZALO_OUTSIDE_WINDOW": "transaction"}
        rasa = Service("rasa", [str(RASA_PYTHON), "-m", "connectors.serve"], env, f"http://127.0.0.1:{port}/",
                       folder / "rasa.log")
        rasa.start()
        try:
            total = 2 * FOLLOWERS * CHANGES

            def delivered() -> int:
                with telegram.lock, zalo.lock:
                    return len(telegram.sent) + len(zalo.sent)

            started = time.perf_counter()
            for n in range(CHANGES):
                status = "needs_documents" if n % 2 else "in_progress"
                answer = _report(f"http://127.0.0.1:{port}", {
                    "event_id": f"bench-{n}", "code": code, "status": status, "due_date": due(n).isoformat(),
                    "missing": [f"Giấy tờ số {n}"] if n % 2 else [], "pickup_place": None})
                answer.raise_for_status()
            accepted = time.perf_counter() - started
            deadline = time.monotonic() + 300
            while delivered() < total and time.monotonic() < deadline:
                time.sleep(0.05)
            seconds = time.perf_counter() - started
        finally:
            rasa.stop()
        with telegram.lock:
            telegram_texts = [(m.chat_id, m.text) for m in telegram.sent]
        told = [due(n).strftime("%d/%m/%Y") for n in range(CHANGES)]  # each change has its own due date
        in_order = all([next(d for d in told if d in t) for chat, t in telegram_texts if chat == str(800000 + n)]
                       == told for n in range(FOLLOWERS))
    return {"push_followers": 2 * FOLLOWERS, "push_changes": CHANGES, "pushes": total,
            "pushes_delivered": delivered(), "pushes_in_order_per_follower": in_order,
            "reports_accepted_per_s": round(CHANGES / accepted, 1),
            "pushes_delivered_per_s": round(delivered() / seconds, 1),
            "bare_sends_per_s": round(bare, 1),
            "delivered_vs_bare_sends": round(delivered() / seconds / bare, 2)}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, FakeOneStop() as fake:
        for i in range(LOOKUPS):
            fake.add(sample_record(f"000.00.12.H40-251201-{i:04d}"), "5678")
        database = migrated_sqlite(Path(folder) / "bench.db")
        bare, whole = asyncio.run(_lookups(fake, database))
        engine = engine_for(database)
        results: dict[str, object] = {
            "lookups": LOOKUPS,
            "lookup_p50_ms": round(1000 * statistics.median(whole), 1),
            "lookup_p95_ms": round(1000 * _percentile(whole, 0.95), 1),
            "bare_http_p50_ms": round(1000 * statistics.median(bare), 1),
            "lookup_vs_bare_http_p50": round(statistics.median(whole) / statistics.median(bare), 1),
        }
        for followers in (1, 50):
            code = f"000.00.12.H40-251202-{followers:04d}"
            for n in range(followers):
                store.subscribe(engine, code=code, channel="telegram", recipient=f"{followers}-{n}")
            changes = 40
            started = time.perf_counter()
            for n in range(changes):
                store.apply_change(engine, code=code, event_key=f"bench:{followers}:{n}", status="in_progress",
                                   fingerprint=f"f{n}", final=False, text=f"Hồ sơ {code}: cập nhật {n}")
            seconds = time.perf_counter() - started
            results[f"changes_per_s_{followers}_followers"] = round(changes / seconds, 1)
            results[f"pushes_queued_per_s_{followers}_followers"] = round(changes * followers / seconds, 1)
        results.update(deliveries(Path(folder)))
    for key, value in results.items():
        print(f"{key:36s} {value}")
    save(results, "dossier.json")


if __name__ == "__main__":
    main()
