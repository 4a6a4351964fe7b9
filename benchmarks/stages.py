"""Where one message's time goes on the Rasa side: ``.venv-rasa/bin/python -m benchmarks.stages``.

Loads the project's Rasa model in this process, with the project's endpoints (SQL tracker
store in a fresh SQLite file, the real action server started on a free 127.0.0.1 port), and
handles the service benchmark's questions (single questions and 3-turn conversations) with
Rasa's own ``MessageProcessor``, timing each stage of every message: tracker load, NLU parse,
each policy prediction, the custom action (its HTTP call and Rasa's validation of the reply),
tracker save. The channel's own work (JSON, rate limit, store health) is what the service
benchmark's REST latency adds to the total here. Prints median milliseconds per message for
each stage and writes ``results/bench-stages.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.questions import CONVERSATION, QUESTIONS
from servers.database import migrated_sqlite
from servers.ports import free_port
from servers.process import REPO_ROOT, wait_for

APP_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
RESULTS = "bench-stages.json"
STAGES = ("tracker_load", "nlu_parse", "predictions", "action_http", "action_validation", "action_other",
          "tracker_save", "other", "total")


class StageClock:
    """Milliseconds spent in each stage of the message being handled."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.messages: list[dict[str, float]] = []

    def timed(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(function):
            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self.current[stage] += (time.perf_counter() - started) * 1000
            return timed_async

        @functools.wraps(function)
        def timed_sync(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[stage] += (time.perf_counter() - started) * 1000
        return timed_sync

    def finish(self, total_ms: float) -> None:
        row = dict(self.current)
        row["action_other"] = row.get("action", 0.0) - row.get("action_http", 0.0) - row.get("action_validation", 0.0)
        known = sum(row.get(s, 0.0) for s in ("tracker_load", "nlu_parse", "predictions", "action", "tracker_save"))
        row["other"] = total_ms - known
        row["total"] = total_ms
        self.messages.append(row)
        self.current = defaultdict(float)


def instrument(agent: Any, clock: StageClock) -> None:
    """Wrap the stages of Rasa's processor (this process only: a measurement)."""
    from rasa.core.actions.action import RemoteAction  # noqa: PLC0415
    from rasa.utils.endpoints import EndpointConfig  # noqa: PLC0415

    processor = agent.processor
    store = processor.tracker_store
    store.retrieve = clock.timed("tracker_load", store.retrieve)
    store.save = clock.timed("tracker_save", store.save)
    processor.parse_message = clock.timed("nlu_parse", processor.parse_message)
    processor.predict_next_with_tracker_if_should = clock.timed(
        "predictions", processor.predict_next_with_tracker_if_should)
    RemoteAction.run = clock.timed("action", RemoteAction.run)  # type: ignore[method-assign]
    RemoteAction._validate_action_result = clock.timed(  # type: ignore[method-assign]
        "action_validation", RemoteAction._validate_action_result)
    EndpointConfig.request = clock.timed("action_http", EndpointConfig.request)  # type: ignore[method-assign]


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


async def measure(agent: Any, clock: StageClock, rounds: int) -> dict[str, dict[str, float]]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage  # noqa: PLC0415

    async def say(sender: str, text: str, keep: bool) -> None:
        started = time.perf_counter()
        await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
        if keep:
            clock.finish((time.perf_counter() - started) * 1000)
        else:
            clock.current = defaultdict(float)

    for i in range(6):  # warm-up
        await say(f"warm-{i}", QUESTIONS[i % len(QUESTIONS)], keep=False)
    results: dict[str, dict[str, float]] = {}
    for kind in ("single", "conversation"):
        clock.messages = []
        for i in range(rounds):
            if kind == "single":
                await say(f"stages-single-{i}", QUESTIONS[i % len(QUESTIONS)], keep=True)
            else:
                for text in CONVERSATION:
                    await say(f"stages-conv-{i}", text, keep=True)
        results[kind] = {stage: _median([m.get(stage, 0.0) for m in clock.messages]) for stage in STAGES}
    return results


def run(rounds: int, tuned: bool = True) -> dict[str, Any]:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        port = free_port()
        os.environ.update({"DATABASE_URL": migrated_sqlite(tmp / "tthc.db"),
                           "ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook",
                           "ACTION_HOST": "127.0.0.1", "ACTION_PORT": str(port), "HF_HUB_OFFLINE": "1"})
        from connectors.serve import newest_model, write_endpoints  # noqa: PLC0415
        from connectors.settings import RasaSettings  # noqa: PLC0415

        settings = RasaSettings()
        os.environ["ACTION_SERVER_TOKEN"] = settings.action_token()
        log_path = tmp / "actions.log"
        log = log_path.open("ab")
        actions = subprocess.Popen([str(APP_PYTHON), "-m", "actions"], cwd=REPO_ROOT, env=dict(os.environ),
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(f"http://127.0.0.1:{port}/health", actions, 180, log_path)
            from rasa.core.agent import load_agent  # noqa: PLC0415
            from rasa.core.utils import AvailableEndpoints  # noqa: PLC0415

            endpoints = AvailableEndpoints.read_endpoints(str(write_endpoints(settings, tmp / "endpoints.yml")))
            model = newest_model(Path(settings.model_dir))

            from rasa.utils.common import configure_logging_and_warnings  # noqa: PLC0415
            from rasa.utils.log_utils import configure_structlog  # noqa: PLC0415

            configure_logging_and_warnings(logging.INFO)  # as `rasa run` logs by default
            configure_structlog(logging.INFO)

            async def main() -> dict[str, dict[str, float]]:
                agent = await load_agent(model_path=str(model), endpoints=endpoints)
                if tuned:
                    from connectors.runtime import tune_process  # noqa: PLC0415

                    tune_process()  # as the served Rasa does after start-up
                clock = StageClock()
                instrument(agent, clock)
                return await measure(agent, clock, rounds)

            stages = asyncio.run(main())
        finally:
            actions.terminate()
            actions.wait(30)
    return {"rounds": rounds, "tuned": tuned, "median_ms_per_message": stages}


def print_table(results: dict[str, Any]) -> None:
    stages = results["median_ms_per_message"]
    print(f"{'stage (median ms per message)':30} {'single':>8} {'3-turn':>8}")
    for stage in STAGES:
        print(f"{stage:30} {stages['single'][stage]:>8} {stages['conversation'][stage]:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--untuned", action="store_true",
                        help="without connectors.runtime's tuning (the heap not frozen, Rasa's own reply check)")
    args = parser.parse_args()
    results = run(args.rounds, tuned=not args.untuned)
    print_table(results)
    from benchmarks.report import save  # noqa: PLC0415

    save(results, RESULTS)


if __name__ == "__main__":
    main()
