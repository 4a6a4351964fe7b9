"""connectors.runtime: the Rasa server's tuning after start-up (reply validator, graphs built once,
the action server's connection kept open, frozen heap)."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.utils.endpoints import EndpointConfig

from tests.ports import free_port
from connectors.runtime import (
    close_kept_sessions,
    endpoint_session,
    run_graph,
    tune_after_start,
    validate_action_result,
)

pytestmark = pytest.mark.rasa

REPLIES: list[Any] = [
    {"events": [{"event": "slot", "name": "aspect", "value": "fee", "timestamp": None}],
     "responses": [{"text": "Dạ, lệ phí là 8.000 đồng.", "buttons": [{"title": "Nộp ở đâu", "payload": "/ask_place"}]}]},
    {"events": [], "responses": []},
    {},
    {"events": "slot", "responses": []},  # events not a list
    {"events": [{"name": "aspect", "value": "fee"}]},  # an event without its type
    {"events": [{"event": "slot", "name": 3}]},  # a slot name that is not text
    {"events": [], "responses": "Dạ"},  # responses not a list
    [],  # not an object
]


def rasa_accepts(reply: Any) -> bool:
    """What Rasa 3.6's own check says (``jsonschema.validate`` against its response schema)."""
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("reply", REPLIES)
def test_the_validator_built_once_agrees_with_rasas_check(reply: Any) -> None:
    expected = rasa_accepts(reply)
    if expected:
        assert validate_action_result(None, reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            validate_action_result(None, reply)


def test_both_kinds_of_reply_are_in_the_cases() -> None:
    verdicts = [rasa_accepts(reply) for reply in REPLIES]
    assert True in verdicts and False in verdicts


def test_tuning_installs_the_validator_and_freezes_the_heap_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    app = SimpleNamespace(ctx=SimpleNamespace())
    try:
        tune_after_start(app)
        assert RemoteAction._validate_action_result is validate_action_result
        frozen = gc.get_freeze_count()
        assert frozen > 0 and app.ctx.tthc_tuned
        monkeypatch.setattr(RemoteAction, "_validate_action_result", lambda *_: True)
        tune_after_start(app)  # the web channel registers it too: nothing happens twice
        assert RemoteAction._validate_action_result is not validate_action_result
    finally:
        gc.unfreeze()


class Add(GraphComponent):
    """A graph node that adds what its parents give it (and counts its calls)."""

    calls = 0

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: Any, resource: Any, execution_context: Any) -> Add:
        return cls()

    def add(self, left: int, right: int = 0) -> int:
        Add.calls += 1
        return left + right


def _runner(tmp_path: Any) -> DaskGraphRunner:
    node = lambda **needs: SchemaNode(needs=needs, uses=Add, constructor_name="create", fn="add",  # noqa: E731
                                      config={}, eager=True)
    schema = GraphSchema({"a": node(left="x"), "b": node(left="a", right="y"), "c": node(left="a"),
                          "d": node(left="b", right="c")})
    return DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test"))


def test_a_graph_built_once_gives_what_rasas_runner_gives(tmp_path: Any) -> None:
    """The same outputs as Rasa's runner for each set of targets, run after run with other
    inputs (the inputs of one run never stay in the graph kept for the next), and only the
    nodes the targets need are run."""
    runner = _runner(tmp_path)
    for x, y in [(1, 10), (2, 20), (3, 30)]:
        for targets in (["d"], ["b", "c"], ["a"]):
            inputs = {"x": x, "y": y} if targets != ["a"] else {"x": x}
            Add.calls = 0
            expected = DaskGraphRunner.run(runner, inputs, targets)
            needed = Add.calls
            Add.calls = 0
            assert run_graph(runner, inputs, targets) == expected
            assert Add.calls == needed
    assert run_graph(runner, {"x": 5, "y": 7}, ["d"]) == {"d": (5 + 7) + 5}  # b = a + y, c = a, d = b + c
    with pytest.raises(Exception):  # noqa: B017, PT011 - an input the graph needs is missing
        run_graph(runner, {"x": 5}, ["d"])


async def _serve_counting(port: int, peers: list[object]) -> Any:
    """An HTTP server on 127.0.0.1 that answers JSON and records each request's client port."""
    from aiohttp import web  # noqa: PLC0415

    async def answer(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1] if request.transport else None)
        return web.json_response({"events": [], "auth": request.headers.get("Authorization")})

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_the_action_servers_connection_is_kept_and_found_again_after_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls through an endpoint reuse one connection, with the endpoint's headers; when the
    server restarts, the next call reaches it on a new connection; the stop listener closes
    the session."""
    monkeypatch.setattr(EndpointConfig, "session", endpoint_session)
    unused_tcp_port = free_port()

    async def scenario() -> tuple[list[object], list[Any], bool]:
        peers: list[object] = []
        endpoint = EndpointConfig(f"http://127.0.0.1:{unused_tcp_port}/webhook", headers={"Authorization": "Bearer k"})
        server = await _serve_counting(unused_tcp_port, peers)
        answers = [await endpoint.request(json={"n": i}) for i in range(3)]
        await server.cleanup()  # the action server restarts
        server = await _serve_counting(unused_tcp_port, peers)
        answers += [await endpoint.request(json={"n": i}) for i in range(2)]
        session = endpoint._tthc_session[1]
        await close_kept_sessions()
        await server.cleanup()
        return peers, answers, session.closed

    peers, answers, closed = asyncio.run(scenario())
    assert all(a == {"events": [], "auth": "Bearer k"} for a in answers) and len(answers) == 5
    assert len(set(peers[:3])) == 1 and len(set(peers[3:])) == 1  # one connection each time
    assert peers[0] != peers[3]
    assert closed
