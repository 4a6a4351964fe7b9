"""Dossier status figures: ``python -m benchmarks.dossier`` (part of ``make bench``).

- lookup latency (p50/p95) of a whole lookup as the bot does it — failed-proof count in the
  database, proof and record from the one-stop system, the audit line — against the local
  fake one-stop system (servers/fake_onestop.py), beside the bare HTTP round trip to the same
  fake measured in the same run (the baseline);
- status changes through the outbox: changes per second recorded with one message to each of
  N followers queued in the same transaction (pushes queued per second).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from actions.onestop import HttpOneStop, verified_lookup
from benchmarks.report import save
from servers.database import migrated_sqlite
from servers.fake_onestop import FakeOneStop, sample_record
from tthc_data import dossiers as store
from tthc_data.engine import engine_for

LOOKUPS = 200


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
                                    outcome="found" if found.record else "not_verified")
            whole.append(time.perf_counter() - started)
    await onestop.close()
    return bare, whole


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
    for key, value in results.items():
        print(f"{key:36s} {value}")
    save(results, "dossier.json")


if __name__ == "__main__":
    main()
