"""Service benchmark: reply latency, throughput, a soak run and memory, through the REST
channel of the real services, side by side with a bare Rasa 3.6 bot.

``python -m benchmarks.service`` (``make bench``) starts, on free 127.0.0.1 ports:

- the project: Rasa server (Vietnamese tokenizer, DIET, SQL tracker store) + action server
  (retrieval, answers from the guides), one SQLite database;
- a bare Rasa 3.6 bot: the same NLU data and intents, WhitespaceTokenizer, every intent
  answered by a fixed response, no action server, the default in-memory tracker store.
  It is trained once into ``build/bench/bare`` (never into ``bot/models``).

Then it measures, for each, in ``--runs`` (3) runs that alternate which bot goes first:
latency p50/p95/p99 of single questions and of 3-turn conversations; throughput
(messages/s) and errors at 1, 10 and 50 concurrent clients, each level at least 300
messages (3-turn conversations, one after another per client). ``latency``, ``throughput``
and ``ratios`` (project / bare bot, per run, then the median) hold the medians of the runs,
``runs`` each run. Then, for the project, a soak of 200 concurrent conversations x 5 turns,
after which every message and reply must be in the tracker store. RSS of each process is
read after the load. Results: a table on stdout and ``results/bench-service.json``.
Everything is bounded in count and time and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import yaml

from benchmarks.questions import CONVERSATION, QUESTIONS
from benchmarks.report import save
from servers.database import upgrade
from servers.ports import free_port
from servers.process import RASA_PYTHON, REPO_ROOT, Service

RESULTS = "bench-service.json"  # in results/
BARE_DIR = REPO_ROOT / "build" / "bench" / "bare"

CONCURRENCY = (1, 10, 50)
THROUGHPUT_MESSAGES = 300  # at least, per concurrency level


# --- the bare Rasa bot ------------------------------------------------------------------
def _intents() -> list[str]:
    names: list[str] = []
    for path in sorted((REPO_ROOT / "nlu_data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names += [item["intent"] for item in data.get("nlu", []) if "intent" in item]
    return sorted(set(names))


def train_bare_bot() -> Path:
    """Train (once) the comparison bot: same NLU data, WhitespaceTokenizer, fixed replies."""
    models = BARE_DIR / "models"
    existing = sorted(models.glob("*.tar.gz")) if models.exists() else []
    if existing:
        return existing[-1]
    BARE_DIR.mkdir(parents=True, exist_ok=True)
    intents = _intents()
    config = {
        "recipe": "default.v1", "language": "vi", "assistant_id": "bare-bench",
        "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "CountVectorsFeaturizer"},
                     {"name": "DIETClassifier", "epochs": 40, "number_of_transformer_layers": 1,
                      "transformer_size": 128, "random_seed": 42}],
        "policies": [{"name": "RulePolicy"}],
    }
    domain = {"version": "3.1", "intents": intents,
              "responses": {f"utter_{i}": [{"text": f"Trả lời cố định cho {i}."}] for i in intents}}
    rules = {"version": "3.1", "rules": [{"rule": i, "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
                                         for i in intents]}
    (BARE_DIR / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (BARE_DIR / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    data = BARE_DIR / "data"
    data.mkdir(exist_ok=True)
    (data / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    nlu = data / "nlu"
    if nlu.exists():
        shutil.rmtree(nlu)
    nlu.mkdir()
    for path in (REPO_ROOT / "nlu_data").glob("*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kept = [item for item in content.get("nlu", []) if "intent" in item]  # no lookups/synonyms
        (nlu / path.name).write_text(yaml.safe_dump({"version": "3.1", "nlu": kept}, allow_unicode=True),
                                     encoding="utf-8")
    rasa = Path(RASA_PYTHON).with_name("rasa")
    subprocess.run([str(rasa), "train", "--config", str(BARE_DIR / "config.yml"), "--domain",
                    str(BARE_DIR / "domain.yml"), "--data", str(data), "--out", str(models),
                    "--fixed-model-name", "bare"], check=True, cwd=BARE_DIR,
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, stdout=subprocess.DEVNULL)
    return models / "bare.tar.gz"


# --- measuring ----------------------------------------------------------------------------
def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    return {f"p{p}": round(float(np.percentile(values, p)), 1) for p in (50, 95, 99)}


async def _say(client: httpx.AsyncClient, url: str, sender: str, text: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        answer = await client.post(url, json={"sender": sender, "message": text}, timeout=60)
        ok = answer.status_code == 200 and isinstance(answer.json(), list) and len(answer.json()) > 0
    except (httpx.HTTPError, ValueError):
        ok = False
    return (time.perf_counter() - started) * 1000, ok


async def latency(url: str, tag: str, rounds: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        singles = []
        for i in range(rounds):
            ms, _ = await _say(client, url, f"{tag}-single-{i}", QUESTIONS[i % len(QUESTIONS)])
            singles.append(ms)
        conversations = []
        for i in range(max(1, rounds // 3)):
            total = 0.0
            for text in CONVERSATION:
                ms, _ = await _say(client, url, f"{tag}-conv-{i}", text)
                total += ms
            conversations.append(total)
    return {"single_ms": _pct(singles), "conversation_3_turns_ms": _pct(conversations)}


async def throughput(url: str, tag: str, concurrency: int, turns: int, messages: int = 0) -> dict[str, Any]:
    """``concurrency`` conversations at once, each ``turns`` messages in a row; with
    ``messages``, each of the ``concurrency`` clients goes on with new conversations until
    at least that many messages are sent in all."""
    errors = 0
    times: list[float] = []
    rounds = max(1, -(-messages // (concurrency * turns)))
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(limits=limits) as client:
        async def conversations(n: int) -> None:
            nonlocal errors
            for r in range(rounds):
                sender = f"{tag}-c{concurrency}-{n}-{r}"
                for t in range(turns):
                    ms, ok = await _say(client, url, sender, QUESTIONS[(n + r + t) % len(QUESTIONS)])
                    times.append(ms)
                    errors += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.gather(*(conversations(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    sent = concurrency * turns * rounds
    return {"concurrency": concurrency, "messages": sent, "seconds": round(elapsed, 1),
            "messages_per_s": round(sent / elapsed, 2), "errors": errors, "latency_ms": _pct(times)}


def rss_mb(process: subprocess.Popen[bytes] | None) -> float:
    if process is None:
        return float("nan")
    try:
        parent = psutil.Process(process.pid)
        return round(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20, 1)
    except psutil.Error:
        return float("nan")


def soak_check(database_url: str, prefix: str, conversations: int, turns: int) -> dict[str, Any]:
    """Every message and reply of the soak is in the tracker store."""
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    engine = create_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(text("select sender_id, type_name from events where sender_id like :prefix"),
                              {"prefix": prefix + "%"}).fetchall()
    finally:
        engine.dispose()
    users: dict[str, int] = {}
    bots: dict[str, int] = {}
    for sender, kind in rows:
        if kind == "user":
            users[sender] = users.get(sender, 0) + 1
        elif kind == "bot":
            bots[sender] = bots.get(sender, 0) + 1
    complete = sum(1 for s in users if users[s] == turns and bots.get(s, 0) >= turns)
    return {"conversations_in_store": len(users), "complete": complete, "expected": conversations,
            "user_messages": sum(users.values()), "bot_messages": sum(bots.values())}


# --- running --------------------------------------------------------------------------------
def start_project(tmp: Path, database_url: str) -> tuple[Service, Service, str]:
    upgrade(database_url)  # as `tthc db upgrade` before the services start
    rasa_port, action_port = free_port(), free_port()
    env = {**os.environ, "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
           "DATABASE_URL": database_url, "RASA_PORT": str(rasa_port), "RASA_INTERFACE": "127.0.0.1",
           "ACTION_HOST": "127.0.0.1", "ACTION_PORT": str(action_port), "RASA_TELEMETRY_ENABLED": "false",
           "HF_HUB_OFFLINE": "1", "RATE_LIMIT_MESSAGES": "0"}
    actions = Service("actions", [sys.executable, "-m", "actions"], env,
                      f"http://127.0.0.1:{action_port}/health", tmp / "actions.log")
    rasa = Service("rasa", [str(RASA_PYTHON), "-m", "connectors.serve"], env,
                   f"http://127.0.0.1:{rasa_port}/", tmp / "rasa.log")
    actions.start()
    rasa.start()
    return rasa, actions, f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"


def start_web(tmp: Path, rasa_url: str, database_url: str) -> Service:
    """The web front (widget API, console) in front of the project's Rasa server."""
    port = free_port()
    env = {**os.environ, "RASA_URL": rasa_url, "DATABASE_URL": database_url, "WEB_HOST": "127.0.0.1",
           "WEB_PORT": str(port), "CONSOLE_SECRET_KEY": "bench-only"}
    web = Service("web", [sys.executable, "-m", "web"], env, f"http://127.0.0.1:{port}/healthz", tmp / "web.log")
    web.start()
    return web


def start_bare(tmp: Path, model: Path) -> tuple[Service, str]:
    port = free_port()
    rasa = Path(RASA_PYTHON).with_name("rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    credentials = BARE_DIR / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    service = Service("bare", [str(rasa), "run", "--model", str(model), "--port", str(port), "--interface",
                               "127.0.0.1", "--credentials", str(credentials)], env,
                      f"http://127.0.0.1:{port}/", tmp / "bare.log")
    service.start()
    return service, f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def _median(values: list[float]) -> float:
    return round(float(np.median(values)), 2)


def ratios(run: dict[str, Any]) -> dict[str, float]:
    """Project / bare bot in one run: latency ratios (lower is better) and throughput
    ratios per concurrency (higher is better)."""
    lat = run["latency"]
    out = {f"{kind}_{p}": round(lat["project"][kind][p] / max(lat["bare_rasa"][kind][p], 0.001), 2)
           for kind in ("single_ms", "conversation_3_turns_ms") for p in ("p50", "p95")}
    for mine, bare in zip(run["throughput"]["project"], run["throughput"]["bare_rasa"]):
        out[f"throughput_c{mine['concurrency']}"] = round(mine["messages_per_s"] / max(bare["messages_per_s"], 0.001), 2)
    return out


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' medians, under the keys of one run (``latency``, ``throughput``, ``ratios``);
    errors are summed, not taken at the median."""
    first = runs[0]
    latency_out = {name: {kind: {p: _median([r["latency"][name][kind][p] for r in runs]) for p in row}
                          for kind, row in kinds.items()} for name, kinds in first["latency"].items()}
    throughput_out: dict[str, list[dict[str, Any]]] = {}
    for name, levels in first["throughput"].items():
        throughput_out[name] = []
        for i, level in enumerate(levels):
            rows = [r["throughput"][name][i] for r in runs]
            throughput_out[name].append({
                "concurrency": level["concurrency"], "messages": level["messages"],
                "messages_per_s": _median([row["messages_per_s"] for row in rows]),
                "errors": sum(row["errors"] for row in rows),
                "latency_ms": {p: _median([row["latency_ms"][p] for row in rows]) for p in ("p50", "p95", "p99")},
            })
    ratio_out = {key: _median([r["ratios"][key] for r in runs]) for key in first["ratios"]}
    return {"latency": latency_out, "throughput": throughput_out, "ratios": ratio_out}


def run(rounds: int, soak_conversations: int, soak_turns: int, runs_count: int = 3,
        store: str = "sqlite") -> dict[str, Any]:
    model = train_bare_bot()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30),
                    "platform": platform.platform(), "cpu": platform.processor() or platform.machine()},
        "date": dt.date.today().isoformat(),
        "store": store,
    }
    postgres = None
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if store == "postgresql":
            from servers.postgres import PostgresServer  # noqa: PLC0415

            postgres = PostgresServer().start()
            database_url = postgres.create_database("bench")
        else:
            database_url = f"sqlite:///{tmp / 'tthc.db'}"
        rasa, actions, url = start_project(tmp, database_url)
        web = start_web(tmp, url.removesuffix("/webhooks/rest/webhook"), database_url)
        bare, bare_url = start_bare(tmp, model)
        try:
            # warm both up
            asyncio.run(latency(url, "warm", 3))
            asyncio.run(latency(bare_url, "warm", 3))
            targets = {"project": url, "bare_rasa": bare_url}
            runs = []
            for r in range(runs_count):  # alternating: project first, then the bare bot first, ...
                names = list(targets) if r % 2 == 0 else list(reversed(targets))
                run_result: dict[str, Any] = {"latency": {}, "throughput": {}}
                for name in names:
                    run_result["latency"][name] = asyncio.run(latency(targets[name], f"lat{r}", rounds))
                    run_result["throughput"][name] = [
                        asyncio.run(throughput(targets[name], f"tp{r}-{name}", c, 3, THROUGHPUT_MESSAGES))
                        for c in CONCURRENCY
                    ]
                run_result["ratios"] = ratios(run_result)
                runs.append(run_result)
            results.update(medians(runs))
            results["runs"] = runs
            started = time.perf_counter()
            soak = asyncio.run(throughput(url, "soak", soak_conversations, soak_turns))
            soak["wall_s"] = round(time.perf_counter() - started, 1)
            soak.update(soak_check(database_url, f"soak-c{soak_conversations}-", soak_conversations, soak_turns))
            results["soak"] = soak
            results["rss_mb"] = {"rasa_server": rss_mb(rasa.process), "action_server": rss_mb(actions.process),
                                 "web_front": rss_mb(web.process), "bare_rasa_server": rss_mb(bare.process)}
            results["faults"] = faults(rasa, actions, url)
        finally:
            web.stop()
            bare.stop()
            rasa.stop()
            actions.stop()
            if postgres is not None:
                postgres.stop()
    return results


def faults(rasa: Service, actions: Service, url: str) -> dict[str, Any]:
    """The action server killed mid-conversation: how fast the polite reply comes, and
    how soon answers are back after it restarts; the Rasa server restarted: how soon the
    conversation goes on from the store."""

    async def one(sender: str, text: str) -> tuple[float, str, int]:
        async with httpx.AsyncClient() as client:
            started = time.perf_counter()
            answer = await client.post(url, json={"sender": sender, "message": text}, timeout=60)
            body = " ".join(str(r.get("text", "")) for r in answer.json())
            return (time.perf_counter() - started) * 1000, body, answer.status_code

    asyncio.run(one("fault", "làm giấy khai sinh cần giấy tờ gì"))
    assert actions.process is not None
    actions.process.kill()
    actions.process.wait()
    ms_down, body_down, _ = asyncio.run(one("fault", "còn lệ phí thì sao"))
    started = time.perf_counter()
    actions.start()
    ms_after, body_after, _ = asyncio.run(one("fault", "còn lệ phí thì sao"))
    actions_back_s = time.perf_counter() - started
    started = time.perf_counter()
    rasa.stop()
    rasa.start()
    rasa_back_s = time.perf_counter() - started
    _, body_resumed, status = asyncio.run(one("fault", "nộp ở đâu"))
    return {
        "action_server_killed_reply_ms": round(ms_down, 1),
        "polite_reply": "gián đoạn" in body_down,
        "action_server_restart_to_answer_s": round(actions_back_s, 1),
        "answer_after_restart_mentions_procedure": "khai sinh" in body_after.lower(),
        "rasa_restart_s": round(rasa_back_s, 1),
        "resumed_after_rasa_restart": status == 200 and "khai sinh" in body_resumed.lower(),
    }


def print_table(results: dict[str, Any]) -> None:
    lat = results["latency"]
    print(f"{'latency (ms)':34} {'p50':>8} {'p95':>8} {'p99':>8}")
    for name in ("project", "bare_rasa"):
        for kind in ("single_ms", "conversation_3_turns_ms"):
            row = lat[name][kind]
            print(f"{name + ' ' + kind:34} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8}")
    print(f"project / bare Rasa (median of {len(results.get('runs', [])) or 1} runs' ratios): "
          + ", ".join(f"{key} x{value}" for key, value in results.get("ratios", {}).items()))
    print(f"\n{'throughput':20} {'conc':>5} {'msg/s':>8} {'errors':>7} {'p95 ms':>8}")
    for name, rows in results["throughput"].items():
        for row in rows:
            print(f"{name:20} {row['concurrency']:>5} {row['messages_per_s']:>8} {row['errors']:>7} "
                  f"{row['latency_ms']['p95']:>8}")
    soak = results["soak"]
    print(f"\nsoak: {soak['concurrency']} conversations x {soak['messages'] // soak['concurrency']} turns, "
          f"{soak['messages_per_s']} msg/s, errors {soak['errors']}, complete in the store "
          f"{soak['complete']}/{soak['expected']}")
    print("RSS MB:", results["rss_mb"])
    print("faults:", results.get("faults"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--soak-conversations", type=int, default=200)
    parser.add_argument("--soak-turns", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3,
                        help="alternating runs of both bots; medians in latency/throughput/ratios, the runs in 'runs'")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the project's database (postgresql: a throw-away local server, fsync off as "
                             "in the tests); results in bench-service.json or bench-service-postgresql.json")
    args = parser.parse_args()
    results = run(args.rounds, args.soak_conversations, args.soak_turns, args.runs, args.store)
    print_table(results)
    save(results, RESULTS if args.store == "sqlite" else "bench-service-postgresql.json")


if __name__ == "__main__":
    main()
