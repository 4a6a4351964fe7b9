"""The scaled-out stack on one machine, for the scale-out test and benchmark.

The processes and the nginx configuration come from ``tthc.deploy`` (the description
behind deploy/Procfile and deploy/docker-compose.yml), with free ports on 127.0.0.1;
PostgreSQL and Redis are real servers started by the caller.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from servers.database import upgrade
from servers.ports import free_port
from servers.process import REPO_ROOT, Service, wait_for
from tthc import deploy


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base(count: int) -> int:
    """A port base such that base+1 .. base+count are free."""
    for _ in range(200):
        base = free_port() - count - 1
        if base > 1024 and all(_port_is_free(base + i) for i in range(1, count + 1)):
            return base
    raise RuntimeError("no free port range")


@dataclass
class ScaleStack:
    topology: deploy.Topology
    services: dict[str, Service]
    balancer: subprocess.Popen[bytes]
    database_url: str
    folder: Path

    @property
    def replicas(self) -> dict[str, str]:
        """Each Rasa replica's own URL, by name (rasa-1, ...)."""
        return {p.name: f"http://{p.address}" for p in deploy.processes(self.topology, "local") if p.service == "rasa"}

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.topology.balancer.public}"

    @property
    def rasa_url(self) -> str:
        """Rasa through the balancer."""
        return f"http://127.0.0.1:{self.topology.balancer.rasa}"

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        if self.balancer.poll() is None:
            self.balancer.terminate()
            self.balancer.wait(10)

    def events(self, sender_prefix: str) -> dict[str, list[dict[str, Any]]]:
        """Every stored event of the conversations whose id starts with the prefix."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT sender_id, type_name, action_name, data FROM events "
                         "WHERE sender_id LIKE :prefix ORDER BY id"), {"prefix": f"{sender_prefix}%"}).fetchall()
        finally:
            engine.dispose()
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(row.sender_id, []).append(
                {"type": row.type_name, "action": row.action_name, "data": json.loads(row.data)})
        return found


def start_stack(folder: Path, database_url: str, redis_url: str, replicas: deploy.Replicas,
                env: dict[str, str] | None = None, lock_lifetime: int = 60, timeout: float = 400) -> ScaleStack:
    """Start the local topology (nginx first, then every replica at once) and wait for it."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx)")
    topology = deploy.Topology(
        replicas=replicas,
        balancer=deploy.BalancerPorts(public=free_port(), rasa=free_port(), actions=free_port()),
        local_ports=deploy.LocalPorts(rasa=free_base(replicas.rasa), actions=free_base(replicas.actions),
                                      web=free_base(replicas.web)),
        lock_lifetime=lock_lifetime,
    )
    folder.mkdir(parents=True, exist_ok=True)
    upgrade(database_url)  # the tables first, as `tthc db upgrade` in a deployment
    conf = folder / "nginx.conf"
    conf.write_text(deploy.nginx_conf(topology, "local"), encoding="utf-8")
    command = deploy.nginx_command(str(conf), str(folder / "nginx"), binary)
    balancer = subprocess.Popen(["bash", "-c", command], cwd=REPO_ROOT,
                                stdout=(folder / "nginx.log").open("ab"), stderr=subprocess.STDOUT)
    common = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "HF_HUB_OFFLINE": "1",
              "RASA_TELEMETRY_ENABLED": "false", **(env or {})}
    services: dict[str, Service] = {}
    for process in deploy.processes(topology, "local"):
        executable = REPO_ROOT / process.command[0]
        services[process.name] = Service(process.name, [str(executable), *process.command[1:]],
                                         {**common, **process.env}, process.health_url,
                                         folder / f"{process.name}.log")
    stack = ScaleStack(topology, services, balancer, database_url, folder)
    try:
        for service in services.values():
            service.launch()
        for service in services.values():
            service.wait_ready(timeout)
        wait_for(f"{stack.public_url}/healthz", balancer, 30, folder / "nginx.log")
    except BaseException:
        stack.stop()
        raise
    return stack


def say(url: str, sender: str, message: str, message_id: str | None = None, retry_for: float = 0,
        timeout: float = 90) -> tuple[int, list[dict[str, Any]], int]:
    """Send one message on the REST channel; with ``retry_for``, send it again (same id) on
    a 5xx or a broken connection, as the widget does. Status, replies, tries."""
    body: dict[str, Any] = {"sender": sender, "message": message}
    if message_id:
        body["message_id"] = message_id
    deadline = time.monotonic() + retry_for
    tries = 0
    while True:
        tries += 1
        try:
            answer = httpx.post(f"{url}/webhooks/rest/webhook", json=body, timeout=timeout)
            if answer.status_code < 500 or time.monotonic() > deadline:
                return answer.status_code, answer.json() if answer.content else [], tries
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def turn_problems(events: list[dict[str, Any]], rounds: list[list[str]]) -> list[str]:
    """What is wrong with a conversation's stored events, given the message ids sent in
    rounds (a round's messages may be handled in any order, rounds in order): every id
    once, rounds in order, and each message's turn complete (a bot reply, then listening)
    before the next message starts."""
    problems: list[str] = []
    ids = [e["data"].get("message_id") for e in events if e["type"] == "user"]
    expected = [i for r in rounds for i in r]
    for message_id in expected:
        if ids.count(message_id) != 1:
            problems.append(f"{message_id} stored {ids.count(message_id)} times")
    if sorted(ids, key=str) != sorted(expected):
        problems.append(f"stored ids {ids} are not the ids sent {expected}")
    position = {i: n for n, r in enumerate(rounds) for i in r}
    order = [position.get(i, -1) for i in ids]
    if order != sorted(order):
        problems.append(f"rounds out of order: {ids}")
    turn: list[dict[str, Any]] | None = None
    for event in [*events, {"type": "user", "action": None, "data": {}}]:
        if event["type"] == "user":
            if turn is not None:
                actions = [e["action"] for e in turn if e["type"] == "action"]
                if not any(e["type"] == "bot" for e in turn):
                    problems.append("a message got no reply")
                if not actions or actions[-1] != "action_listen":
                    problems.append(f"a turn was cut by the next message: {actions}")
            turn = []
        elif turn is not None:
            turn.append(event)
    return problems
