"""connectors.runtime: the Rasa server's tuning after start-up (reply validator, graphs built once,
sparse features stacked once, the action server's connection kept open, frozen heap)."""

from __future__ import annotations

import asyncio
import copy
import gc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import numpy as np
import pytest
import scipy.sparse
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.models import RasaModel

import connectors.runtime as runtime
from connectors.runtime import (
    close_kept_sessions,
    combine_features,
    endpoint_session,
    predict_with_traced_graph,
    resolve_event_type,
    run_graph,
    stack_columns,
    tune_after_start,
    validate_action_result,
)
from servers.ports import free_port

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
    {"events": [{"event": "slot", "name": "turn", "value": {"codes": ["1.0001"]}, "timestamp": 1.5},
                {"event": "followup", "name": "action_listen"}, {"event": "bot", "text": "Dạ"},
                {"event": "action_execution_rejected", "name": "action_answer"}, {"event": "reset_slots"}]},
    {"events": [{"event": "nonsense"}]},  # no such event
    {"events": [{"event": "slot", "name": "aspect", "timestamp": "now"}]},  # a timestamp that is not a number
    {"events": [{"event": "slot", "name": "aspect", "metadata": []}]},  # metadata not an object
    {"events": [{"event": 7}]},  # an event type that is not text
    {"events": [{"event": "slot", "name": "aspect"}, "slot"]},  # one event not an object
    {"events": [{"event": "followup"}]},  # a follow-up without the action's name
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


@pytest.mark.parametrize("reply", [r for r in REPLIES if not rasa_accepts(r)])
def test_a_reply_that_does_not_fit_gets_rasas_error(reply: Any) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasa_error:  # what Rasa 3.6 calls
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(None, reply)
    assert ours.value.message.startswith(rasa_error.value.message + ". Failed to validate Action server response")
    assert list(ours.value.path) == list(rasa_error.value.path)


def test_both_kinds_of_reply_are_in_the_cases() -> None:
    verdicts = [rasa_accepts(reply) for reply in REPLIES]
    assert True in verdicts and False in verdicts


def test_tuning_installs_the_validator_and_freezes_the_heap_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Message, "_combine_features", Message.__dict__["_combine_features"])
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RasaModel, "_rasa_predict", RasaModel._rasa_predict)
    app = SimpleNamespace(ctx=SimpleNamespace())
    try:
        tune_after_start(app)
        assert RasaModel._rasa_predict is predict_with_traced_graph
        assert RemoteAction._validate_action_result is validate_action_result
        assert Message._combine_features is combine_features
        assert Event.resolve_by_type is resolve_event_type
        frozen = gc.get_freeze_count()
        assert frozen > 0 and app.ctx.tthc_tuned
        monkeypatch.setattr(RemoteAction, "_validate_action_result", lambda *_: True)
        tune_after_start(app)  # the web channel registers it too: nothing happens twice
        assert RemoteAction._validate_action_result is not validate_action_result
    finally:
        gc.unfreeze()


def _rasas_combination(features: list[Features], featurizers: list[str]) -> Features:
    """What Rasa 3.6's ``Message._combine_features`` does: copy the first, add each next one."""
    combined = copy.deepcopy(features[0])
    combined.origin = featurizers
    for more in features[1:]:
        combined.combine_with_features(more)
    return combined


def _sparse(rows: int, columns: int, seed: int, kind: str = "sequence") -> Features:
    # COO as Rasa's featurizers give them; one CSR among them, which stacking converts
    matrix = scipy.sparse.random(rows, columns, density=0.3, random_state=seed, format="csr" if seed == 2 else "coo")
    return Features(matrix, kind, "text", f"featurizer-{seed}")


@pytest.mark.parametrize("count", [1, 2, 4])
def test_sparse_features_stacked_in_one_step_are_rasas(count: int) -> None:
    for rows, kind in ((6, "sequence"), (1, "sentence")):
        features = [_sparse(rows, 3 + 5 * i, seed=i, kind=kind) for i in range(count)]
        before = [f.features.toarray() for f in features]
        expected = _rasas_combination(features, ["a", "b"])
        combined = combine_features(features, ["a", "b"])
        assert (combined.type, combined.attribute, combined.origin) == (kind, "text", ["a", "b"])
        assert combined.features.shape == expected.features.shape
        assert combined.features.format == expected.features.format
        assert combined.features.dtype == expected.features.dtype
        np.testing.assert_array_equal(combined.features.toarray(), expected.features.toarray())
        for feature, matrix in zip(features, before):  # the featurizers' own features untouched
            np.testing.assert_array_equal(feature.features.toarray(), matrix)
    assert combine_features([], ["a"]) is None


def test_columns_stacked_from_coordinates_are_scipys_hstack() -> None:
    blocks = [scipy.sparse.random(7, width, density=0.2, random_state=width, format="coo") for width in (1, 40, 3, 900)]
    blocks.append(scipy.sparse.coo_matrix((7, 5)))  # an empty block
    ours, scipys = stack_columns(blocks), scipy.sparse.hstack(blocks)
    assert (ours.format, ours.shape, ours.dtype) == (scipys.format, scipys.shape, scipys.dtype)
    np.testing.assert_array_equal(ours.row, scipys.row)
    np.testing.assert_array_equal(ours.col, scipys.col)
    np.testing.assert_array_equal(ours.data, scipys.data)


def test_features_that_do_not_stack_are_combined_or_refused_as_rasa_does() -> None:
    dense = [Features(np.ones((3, 2)), "sequence", "text", "d1"), Features(np.zeros((3, 4)), "sequence", "text", "d2")]
    np.testing.assert_array_equal(combine_features(dense, ["d"]).features, _rasas_combination(dense, ["d"]).features)
    misaligned = [_sparse(4, 3, seed=1), _sparse(5, 3, seed=2)]
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        _rasas_combination(misaligned, ["x"])
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        combine_features(misaligned, ["x"])
    with pytest.raises(ValueError, match="Cannot combine sparse and dense"):
        combine_features([_sparse(3, 2, seed=1), dense[0]], ["x"])


def test_event_types_resolve_to_rasas_event_classes() -> None:
    from rasa.shared.core import events  # noqa: PLC0415

    expected = {"user": events.UserUttered, "bot": events.BotUttered, "slot": events.SlotSet,
                "action": events.ActionExecuted, "session_started": events.SessionStarted,
                "followup": events.FollowupAction, "reset_slots": events.AllSlotsReset,
                "active_loop": events.ActiveLoop, "user_featurization": events.DefinePrevUserUtteredFeaturization}
    for _ in range(2):  # found, then remembered
        assert {name: resolve_event_type(name) for name in expected} == expected
    assert resolve_event_type("topic") is None
    assert resolve_event_type("no_such_event", events.SlotSet) is events.SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        resolve_event_type("no_such_event")
    said = [events.UserUttered("lệ phí bao nhiêu", {"name": "ask_fee", "confidence": 0.9}, timestamp=1.0),
            events.SlotSet("aspect", "fee", timestamp=2.0), events.ActionExecuted("action_answer", timestamp=3.0)]
    again = [events.Event.from_parameters(e.as_dict()) for e in said]
    assert again == said


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


REPO_ROOT = Path(__file__).resolve().parents[2]
# messages of every kind: places (entities), typing without accents, chat shorthand, one word,
# a long one, emoji, words the model never saw
MESSAGES = ["làm giấy khai sinh cần giấy tờ gì", "le phi dang ky ket hon o quan Son Tra bao nhieu",
            "đổi cccd nộp ở đâu", "dk tam tru mat bao lau", "ok", "cảm ơn nhé 👍", "xyzzy qwerty",
            "tách hộ khẩu ở phường Hòa Khánh Bắc, quận Liên Chiểu, Đà Nẵng thì cần những giấy tờ gì và mất "
            "bao lâu, có làm online được không ạ", "ho chieu", "tôi muốn gặp người thật"]


def test_diets_traced_graph_called_directly_parses_as_rasa_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's model parses every message the same (intent ranking, entities and their
    confidences, to the last digit) with its traced graph called directly, which it is."""
    from rasa.core.agent import Agent  # noqa: PLC0415

    from connectors.serve import newest_model  # noqa: PLC0415

    try:
        model = newest_model(REPO_ROOT / "bot" / "models")
    except SystemExit as missing:
        pytest.skip(str(missing))

    # Rasa's own (an earlier test may have tuned this process already)
    original = runtime._rasas_predict or RasaModel.__dict__["_rasa_predict"]
    assert original is not predict_with_traced_graph
    monkeypatch.setattr(RasaModel, "_rasa_predict", original)
    monkeypatch.setattr(runtime, "_rasas_predict", original)
    agent = Agent.load(str(model))

    async def parse_all() -> list[Any]:
        return [await agent.parse_message(text) for text in MESSAGES]

    rasas = asyncio.run(parse_all())  # Rasa's own call, which also traces the graph
    monkeypatch.setattr(RasaModel, "_rasa_predict", predict_with_traced_graph)
    through_rasa: list[int] = []

    def rasas_counted(self: Any, batch_in: Any) -> Any:
        through_rasa.append(1)
        return original(self, batch_in)

    monkeypatch.setattr(runtime, "_rasas_predict", rasas_counted)
    assert asyncio.run(parse_all()) == rasas
    assert not through_rasa  # every prediction took the direct call
    diets = _diet_models(agent)
    assert diets and all("_tthc_concrete" in model.__dict__ for model in diets)


def _diet_models(agent: Any) -> list[Any]:
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier  # noqa: PLC0415

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return [node._component.model for node in nodes if isinstance(getattr(node, "_component", None), DIETClassifier)]
