"""tthc.deploy: the deployment files are written from one description and agree.

There is no Docker engine here, so the compose file cannot run: these tests parse it and
check it against the description the scale-out test runs (tests/integration/test_scale_out.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tthc import deploy
from tthc.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def topology() -> deploy.Topology:
    return deploy.load()


@pytest.fixture(scope="module")
def compose_file() -> dict:
    return yaml.safe_load((REPO_ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_committed_files_are_written_from_the_description(topology: deploy.Topology) -> None:
    assert deploy.stale(topology) == [], "run `tthc deploy render` and commit deploy/"


def test_the_description_asks_for_several_replicas(topology: deploy.Topology) -> None:
    assert topology.replicas.rasa >= 2 and topology.replicas.actions >= 2


def test_compose_has_every_process_of_the_plain_topology_and_the_infrastructure(
        topology: deploy.Topology, compose_file: dict) -> None:
    services = compose_file["services"]
    local = deploy.processes(topology, "local")
    assert set(services) == {p.name for p in local} | {"postgres", "redis", "migrate", "balancer"}
    # the tables are brought up to date once, before any replica starts
    migrate = services["migrate"]
    assert migrate["command"][-2:] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["environment"]["DATABASE_URL"].startswith("postgresql://")
    for process in local:
        service = services[process.name]
        # the same program, in the image of its runtime
        assert service["command"] == process.command
        assert service["image"] == deploy.IMAGES[process.service][0]
        assert (REPO_ROOT / service["build"]["dockerfile"]).exists()
        assert service["build"]["context"] == ".."
        # the same settings (addresses aside), plus the shared stores
        environment = service["environment"]
        # ... and the keys each needs, from deploy/.env: the console's for the web front, the
        # action server's for Rasa and the action servers (separate containers, one key)
        keys = {"web": {"CONSOLE_SECRET_KEY"}, "rasa": {"ACTION_SERVER_TOKEN"}, "actions": {"ACTION_SERVER_TOKEN"}}
        # ... and, in containers, the web front trusts the balancer's X-Forwarded-For
        trusted = {"FORWARDED_ALLOW_IPS"} if process.service == "web" else set()
        assert set(environment) == set(process.env) | {"DATABASE_URL", "REDIS_URL"} | keys[process.service] | trusted
        for key in keys[process.service]:
            assert environment[key] == f"${{{key}:?set {key} in deploy/.env}}"  # required, never in the file
        assert environment["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert {"postgres", "redis"} <= set(service["depends_on"])
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["balancer"]["ports"] == [f"{topology.balancer.public}:{topology.balancer.public}"]
    assert set(services["balancer"]["depends_on"]) == {p.name for p in local}
    # nothing but the balancer is published
    assert [name for name, s in services.items() if "ports" in s] == ["balancer"]


def test_services_reach_each_other_through_the_balancer(topology: deploy.Topology, compose_file: dict) -> None:
    services = compose_file["services"]
    for name, service in services.items():
        env = service.get("environment", {})
        if name.startswith("rasa-"):
            assert env["ACTION_SERVER_URL"] == f"http://balancer:{topology.balancer.actions}/webhook"
            assert env["TICKET_LOCK_LIFETIME"] == str(topology.lock_lifetime)
        if name.startswith("web-"):
            assert env["RASA_URL"] == f"http://balancer:{topology.balancer.rasa}"


def upstream_servers(conf: str) -> dict[str, list[str]]:
    return {name: re.findall(r"server (\S+) ", body) for name, body in re.findall(r"upstream (\w+) \{(.*?)\}", conf, re.S)}


@pytest.mark.parametrize("target", ["local", "compose"])
def test_each_balancer_lists_every_replica_of_its_stack(topology: deploy.Topology, target: deploy.Target) -> None:
    name = "local.conf" if target == "local" else "compose.conf"
    conf = (REPO_ROOT / "deploy" / "nginx" / name).read_text(encoding="utf-8")
    expected = {service: [p.address for p in deploy.processes(topology, target) if p.service == service]
                for service in deploy.SERVICES}
    assert upstream_servers(conf) == expected
    listens = re.findall(r"listen (\S+);", conf)
    prefix = "127.0.0.1:" if target == "local" else ""
    assert listens == [str(topology.balancer.public), f"{prefix}{topology.balancer.rasa}",
                       f"{prefix}{topology.balancer.actions}"]


def test_the_procfile_starts_the_same_processes(topology: deploy.Topology) -> None:
    lines = [line for line in (REPO_ROOT / "deploy" / "Procfile").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    entries = dict(line.split(": ", 1) for line in lines)
    for process in deploy.processes(topology, "local"):
        assert entries[process.name].endswith(" ".join(process.command))
        for key, value in process.env.items():
            assert f"{key}={value}" in entries[process.name]
    assert "deploy/nginx/local.conf" in entries["balancer"]


def test_the_replica_settings_are_documented() -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for name in ("REDIS_URL", "TICKET_LOCK_LIFETIME", "DATABASE_URL"):
        assert name in example
    compose_env = (REPO_ROOT / "deploy" / ".env.example").read_text(encoding="utf-8")
    assert "POSTGRES_PASSWORD=" in compose_env and "\nCONSOLE_SECRET_KEY=" in compose_env


def test_bad_descriptions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "topology.yml"
    path.write_text("replicas:\n  rasa: 0\n", encoding="utf-8")
    assert main(["deploy", "render", "--topology", str(path)]) == 2
    path.write_text("replicas:\n  rasa: 2\n  gpu: 1\n", encoding="utf-8")
    assert main(["deploy", "render", "--topology", str(path)]) == 2
    assert not (tmp_path / "docker-compose.yml").exists()


def test_render_then_check(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "deploy" / "topology.yml", tmp_path / "topology.yml")
    topology_file = tmp_path / "topology.yml"
    assert main(["deploy", "render", "--topology", str(topology_file), "--check"]) == 1  # nothing written yet
    assert main(["deploy", "render", "--topology", str(topology_file)]) == 0
    assert main(["deploy", "render", "--topology", str(topology_file), "--check"]) == 0
    # three Rasa replicas: a third one everywhere
    topology_file.write_text(topology_file.read_text(encoding="utf-8").replace("rasa: 2", "rasa: 3"), encoding="utf-8")
    assert main(["deploy", "render", "--topology", str(topology_file), "--check"]) == 1
    assert main(["deploy", "render", "--topology", str(topology_file)]) == 0
    compose = yaml.safe_load((tmp_path / "docker-compose.yml").read_text(encoding="utf-8"))
    assert "rasa-3" in compose["services"]
    assert "rasa-3:" in (tmp_path / "Procfile").read_text(encoding="utf-8")
    assert "server 127.0.0.1:5103 " in (tmp_path / "nginx" / "local.conf").read_text(encoding="utf-8")
