"""The scaled-out stack from one description (``deploy/topology.yml``).

``processes`` lists every replica of every service with its command and settings, for
containers (``compose``) or for plain processes on one machine (``local``); the docker-compose
file, the Procfile and the nginx configurations are all written from it by ``render``, so
they cannot drift apart (``stale`` tells which written file no longer matches), and the
scale-out test starts the very processes ``processes`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from tthc_text.paths import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "deploy"
TOPOLOGY = DEPLOY_DIR / "topology.yml"

Target = Literal["local", "compose"]
Service = Literal["rasa", "actions", "web"]
SERVICES: tuple[Service, ...] = ("rasa", "actions", "web")

# each service's port inside its container (the defaults of the settings)
CONTAINER_PORTS: dict[Service, int] = {"rasa": 5005, "actions": 5055, "web": 8000}
COMMANDS: dict[Service, list[str]] = {
    "rasa": [".venv-rasa/bin/python", "-m", "connectors.serve"],
    "actions": [".venv/bin/python", "-m", "actions"],
    "web": [".venv/bin/python", "-m", "web"],
}
IMAGES: dict[Service, tuple[str, str]] = {  # image, Dockerfile
    "rasa": ("tthc-rasa:latest", "deploy/Dockerfile.rasa"),
    "actions": ("tthc-app:latest", "deploy/Dockerfile.app"),
    "web": ("tthc-app:latest", "deploy/Dockerfile.app"),
}
# Run once before any service starts, in the app image: every table up to date.
MIGRATE_COMMAND = [".venv/bin/tthc", "db", "upgrade"]
HEALTH_PATHS: dict[Service, str] = {"rasa": "/", "actions": "/health", "web": "/healthz"}
HEADER = "Written by `tthc deploy render` from deploy/topology.yml: edit that file, not this one."


class Replicas(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rasa: int = Field(2, ge=1, le=32)
    actions: int = Field(2, ge=1, le=32)
    web: int = Field(1, ge=1, le=32)


class BalancerPorts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public: int = Field(8080, ge=1, le=65535)
    rasa: int = Field(5005, ge=1, le=65535)
    actions: int = Field(5055, ge=1, le=65535)


class LocalPorts(BaseModel):
    """Without containers, replica i of a service listens on base + i."""

    model_config = ConfigDict(extra="forbid")
    rasa: int = Field(5100, ge=1, le=65000)
    actions: int = Field(5150, ge=1, le=65000)
    web: int = Field(8100, ge=1, le=65000)


class Topology(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replicas: Replicas = Field(default_factory=Replicas)
    balancer: BalancerPorts = Field(default_factory=BalancerPorts)
    local_ports: LocalPorts = Field(default_factory=LocalPorts)
    lock_lifetime: int = Field(60, ge=5, le=3600)


def load(path: Path = TOPOLOGY) -> Topology:
    return Topology.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


@dataclass(frozen=True)
class Process:
    """One replica of a service: how to start it and what it is set to."""

    name: str  # e.g. rasa-2: the Procfile entry and the compose service
    service: Service
    host: str  # where it is reached from the balancer
    port: int
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return f"http://{self.address}{HEALTH_PATHS[self.service]}"


def balancer_host(target: Target) -> str:
    return "127.0.0.1" if target == "local" else "balancer"


def processes(topology: Topology, target: Target) -> list[Process]:
    """Every replica of every service, in start order (action servers before Rasa)."""
    local = target == "local"
    bind = "127.0.0.1" if local else "0.0.0.0"  # noqa: S104 - inside a container
    balancer = balancer_host(target)
    found: list[Process] = []
    for service in ("actions", "rasa", "web"):
        for i in range(1, getattr(topology.replicas, service) + 1):
            name = f"{service}-{i}"
            port = getattr(topology.local_ports, service) + i if local else CONTAINER_PORTS[service]
            if service == "rasa":
                env = {"RASA_INTERFACE": bind, "RASA_PORT": str(port),
                       "ACTION_SERVER_URL": f"http://{balancer}:{topology.balancer.actions}/webhook",
                       "TICKET_LOCK_LIFETIME": str(topology.lock_lifetime),
                       # behind the balancer: the client's address is the last X-Forwarded-For
                       # entry it adds (the per-address rate limit of the REST channel)
                       "SANIC_PROXIES_COUNT": "1"}
            elif service == "actions":
                env = {"ACTION_HOST": bind, "ACTION_PORT": str(port)}
            else:
                env = {"WEB_HOST": bind, "WEB_PORT": str(port),
                       "RASA_URL": f"http://{balancer}:{topology.balancer.rasa}"}
                if not local:  # the balancer's X-Forwarded-For names the client (login limits per address)
                    env["FORWARDED_ALLOW_IPS"] = "*"
            found.append(Process(name, service, "127.0.0.1" if local else name, port, COMMANDS[service], env))
    return found


def upstreams(topology: Topology, target: Target) -> dict[Service, list[str]]:
    grouped: dict[Service, list[str]] = {service: [] for service in SERVICES}
    for process in processes(topology, target):
        grouped[process.service].append(process.address)
    return grouped


def nginx_conf(topology: Topology, target: Target) -> str:
    """The balancer: every service's replicas, skipping one that refuses connections."""
    local = target == "local"
    internal = "127.0.0.1:" if local else ""
    pools = upstreams(topology, target)
    lines = [f"# {HEADER}", f"# The balancer for the {'plain-process' if local else 'docker-compose'} stack.",
             "worker_processes auto;"]
    if local:  # relative to the prefix (nginx -p build/nginx/)
        lines.append("pid nginx.pid;")
    lines += ["error_log stderr warn;", "", "events {", "    worker_connections 1024;", "}", "", "http {",
              "    access_log off;",
              "    # bodies and answers stay in memory: no temporary files to write",
              "    client_max_body_size 1m;", "    client_body_buffer_size 1m;", "    proxy_max_temp_file_size 0;"]
    if local:
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            lines.append(f"    {kind}_temp_path {kind}_temp;")
    lines += [
        "    proxy_http_version 1.1;",
        '    proxy_set_header Connection "";',
        "    proxy_set_header Host $host;",
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        "    proxy_connect_timeout 2s;",
        "    proxy_read_timeout 120s;",
        "    # a replica that is down (connection refused or timed out): the next one; a request",
        "    # already sent is never sent twice (POST is not idempotent)",
        "    proxy_next_upstream error timeout;",
        "",
    ]
    for service in SERVICES:
        lines.append(f"    upstream {service} {{")
        lines += [f"        server {address} max_fails=1 fail_timeout=5s;" for address in pools[service]]
        lines += ["        keepalive 32;", "    }", ""]
    lines += [
        "    server {",
        f"        listen {topology.balancer.public};",
        "        location /webhooks/ {",
        "            proxy_pass http://rasa;",
        "        }",
        "        # the widget's channel is reached through the web front, which counts addresses",
        "        location /webhooks/web/ {",
        "            return 404;",
        "        }",
        "        location / {",
        "            proxy_pass http://web;",
        "        }",
        "    }",
        "",
        "    # internal: the web front reaches Rasa, and Rasa the action servers, through these",
        "    server {",
        f"        listen {internal}{topology.balancer.rasa};",
        "        location / {",
        "            proxy_pass http://rasa;",
        "        }",
        "    }",
        "    server {",
        f"        listen {internal}{topology.balancer.actions};",
        "        location / {",
        "            proxy_pass http://actions;",
        "        }",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def nginx_command(conf: str, prefix: str, nginx: str = "nginx") -> str:
    """The shell command that runs the local balancer in the foreground."""
    return f'mkdir -p "{prefix}" && exec {nginx} -e stderr -p "{prefix}/" -c "{conf}" -g "daemon off;"'


def procfile(topology: Topology) -> str:
    lines = [
        f"# {HEADER}",
        "# Plain processes on one machine: .venv/bin/honcho -f deploy/Procfile start (from the",
        "# repository, after `make install index model` and `.venv/bin/tthc db upgrade`; `make",
        "# run-scaled` does all of it). PostgreSQL and Redis run as the machine's own services;",
        "# DATABASE_URL and REDIS_URL come from .env, like every other setting.",
    ]
    for process in processes(topology, "local"):
        settings = " ".join(f"{key}={value}" for key, value in process.env.items())
        lines.append(f"{process.name}: env {settings} {' '.join(process.command)}")
    lines.append("balancer: " + nginx_command("$PWD/deploy/nginx/local.conf", "$PWD/build/nginx"))
    return "\n".join(lines) + "\n"


def compose(topology: Topology) -> dict[str, object]:
    """The docker-compose file's content."""
    shared: dict[str, str] = {
        "DATABASE_URL": "postgresql://tthc:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/.env}@postgres:5432/tthc",
        "REDIS_URL": "redis://redis:6379/0",
    }
    # every web replica must sign console sessions with the same key
    web_secret: dict[str, str] = {"CONSOLE_SECRET_KEY": "${CONSOLE_SECRET_KEY:?set CONSOLE_SECRET_KEY in deploy/.env}"}
    # Rasa and the action servers, in separate containers, share the action server's key
    action_key: dict[str, str] = {"ACTION_SERVER_TOKEN": "${ACTION_SERVER_TOKEN:?set ACTION_SERVER_TOKEN in deploy/.env}"}
    secrets = {"web": web_secret, "rasa": action_key, "actions": action_key}
    services: dict[str, object] = {
        "postgres": {
            "image": "postgres:15-bookworm",
            "environment": {"POSTGRES_DB": "tthc", "POSTGRES_USER": "tthc",
                            "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/.env}"},
            "volumes": ["pgdata:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "tthc", "-d", "tthc"],
                            "interval": "5s", "retries": 20},
            "restart": "unless-stopped",
        },
        "redis": {
            "image": "redis:7-bookworm",
            "command": ["redis-server", "--save", "", "--appendonly", "no"],
            "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "interval": "5s", "retries": 20},
            "restart": "unless-stopped",
        },
    }
    services["migrate"] = {
        "image": IMAGES["actions"][0],
        "build": {"context": "..", "dockerfile": IMAGES["actions"][1]},
        "command": MIGRATE_COMMAND,
        "env_file": [{"path": ".env", "required": False}],
        "environment": shared,
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "restart": "no",
    }
    replicas = processes(topology, "compose")
    for process in replicas:
        image, dockerfile = IMAGES[process.service]
        python = process.command[0]
        environment: dict[str, str] = {**shared, **process.env, **secrets[process.service]}
        probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{process.port}{HEALTH_PATHS[process.service]}', timeout=5)"
        services[process.name] = {
            "image": image,
            "build": {"context": "..", "dockerfile": dockerfile},
            "command": process.command,
            "env_file": [{"path": ".env", "required": False}],
            "environment": environment,
            "depends_on": {"postgres": {"condition": "service_healthy"},
                           "redis": {"condition": "service_healthy"},
                           "migrate": {"condition": "service_completed_successfully"}},
            "healthcheck": {"test": ["CMD", python, "-c", probe], "interval": "10s", "start_period": "180s",
                            "retries": 5},
            "restart": "unless-stopped",
        }
    services["balancer"] = {
        "image": "nginx:1.22",
        "volumes": ["./nginx/compose.conf:/etc/nginx/nginx.conf:ro"],
        "ports": [f"{topology.balancer.public}:{topology.balancer.public}"],
        "depends_on": [p.name for p in replicas],
        "restart": "unless-stopped",
    }
    return {"name": "tthc", "services": services, "volumes": {"pgdata": {}}}


def render(topology: Topology) -> dict[str, str]:
    """Every deployment file, by its path under deploy/."""
    compose_text = f"# {HEADER}\n# cd deploy && docker compose up -d --build   (settings, POSTGRES_PASSWORD and the keys in deploy/.env)\n"
    compose_text += yaml.safe_dump(compose(topology), sort_keys=False, allow_unicode=True, width=1000)
    return {
        "docker-compose.yml": compose_text,
        "Procfile": procfile(topology),
        "nginx/compose.conf": nginx_conf(topology, "compose"),
        "nginx/local.conf": nginx_conf(topology, "local"),
    }


def write(topology: Topology, folder: Path = DEPLOY_DIR) -> list[Path]:
    written = []
    for name, text in render(topology).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale(topology: Topology, folder: Path = DEPLOY_DIR) -> list[str]:
    """The deployment files that do not match the description (missing or edited)."""
    return [name for name, text in render(topology).items()
            if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text]
