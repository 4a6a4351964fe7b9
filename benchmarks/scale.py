"""Throughput with one and two Rasa replicas on the same machine: ``python -m benchmarks.scale``.

The stack of deploy/ (tthc.deploy's local topology) on 127.0.0.1: a real PostgreSQL and
Redis, two action servers and two Rasa replicas behind nginx. The same load (N
conversations at once, each a few messages in a row, every message a new turn) is sent to
one replica directly, then to both through the balancer. Figures, not assertions; written
to results/scale.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.report import save
from benchmarks.service import throughput
from servers.postgres import PostgresServer
from servers.redis_server import RedisServer
from servers.stack import start_stack
from tthc import deploy

RESULTS = "scale.json"  # in results/


def run(levels: list[int], turns: int) -> dict[str, Any]:
    postgres = PostgresServer().start()
    redis = RedisServer().start()
    folder = Path(tempfile.mkdtemp(prefix="tthc-scale-bench-"))
    stack = None
    try:
        database = postgres.create_database("bench")
        stack = start_stack(folder, database, redis.url(0), deploy.Replicas(rasa=2, actions=2, web=1),
                            {"RATE_LIMIT_MESSAGES": "0"})
        one = next(iter(stack.replicas.values()))
        targets = {"1 replica": f"{one}/webhooks/rest/webhook",
                   "2 replicas (nginx)": f"{stack.rasa_url}/webhooks/rest/webhook"}
        # warm both replicas (first messages load lazily)
        for name, url in targets.items():
            asyncio.run(throughput(url, f"warm-{name[0]}", 4, 3))
        figures: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for level in levels:
            for name, url in targets.items():
                figures[name].append(asyncio.run(throughput(url, f"{name[0]}-{level}", level, turns)))
        return {"machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "stack": "PostgreSQL + Redis lock store, 2 action servers behind nginx", "throughput": figures}
    finally:
        if stack is not None:
            stack.stop()
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def print_table(results: dict[str, Any]) -> None:
    print(f"\nThroughput on {results['machine']['cores']} cores ({results['stack']})")
    print(f"{'':22}{'conversations':>14}{'messages':>10}{'msg/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for name, rows in results["throughput"].items():
        for row in rows:
            print(f"{name:22}{row['concurrency']:>14}{row['messages']:>10}{row['messages_per_s']:>8}"
                  f"{row['latency_ms']['p50']:>9}{row['latency_ms']['p95']:>9}{row['errors']:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--turns", type=int, default=6)
    args = parser.parse_args()
    results = run(args.levels, args.turns)
    print_table(results)
    save(results, RESULTS)


if __name__ == "__main__":
    main()
