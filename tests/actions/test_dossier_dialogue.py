"""actions.dossier_dialogue: which messages start a lookup, the steps of one, and the two
sets of messages written blind (bot/tests/dossier_messages_*.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.dossier_dialogue import DossierState, next_step, proof_digits
from tthc_text.dossier_codes import EXAMPLE_FORMS

CODE = "000.00.12.H40-251201-0007"
SETS = Path(__file__).resolve().parents[2] / "bot" / "tests"


@pytest.mark.parametrize("text", ["tra cứu hồ sơ", "hồ sơ của tôi đến đâu rồi", "ho so cua toi den dau roi",
                                  "hs của mik tới đâu r ad", "hồ sơ cấp đổi cccd của tôi đã xong chưa",
                                  "nộp hồ sơ hộ chiếu 10 ngày rồi mà chưa thấy gì"])
def test_a_status_question_asks_for_the_code(text: str) -> None:
    step = next_step(text, DossierState())
    assert step is not None and step.kind == "ask_code" and step.state.stage == "code"


@pytest.mark.parametrize("text", ["hồ sơ đăng ký khai sinh gồm những gì", "nộp hồ sơ tạm trú ở đâu",
                                  "thời gian giải quyết hồ sơ kết hôn bao lâu", "hồ sơ bị trả lại thì làm sao",
                                  "kiểm tra hồ sơ trước khi nộp cần lưu ý gì", "xin chào", "5678"])
def test_a_procedure_question_is_not_a_lookup(text: str) -> None:
    assert next_step(text, DossierState()) is None


@pytest.mark.parametrize("written", EXAMPLE_FORMS)
def test_a_code_in_any_listed_form_asks_for_the_proof(written: str) -> None:
    step = next_step(f"mã hồ sơ {written}", DossierState())
    assert step is not None and step.kind == "ask_proof" and step.code == CODE
    assert step.state == DossierState("proof", CODE, None)


def test_the_steps_of_a_lookup() -> None:
    asked = next_step("tra cuu ho so", DossierState())
    assert asked is not None
    with_code = next_step(CODE, asked.state)
    assert with_code is not None and with_code.kind == "ask_proof"
    proof = next_step("số cuối là 5678 ạ", with_code.state)
    assert proof is not None and (proof.kind, proof.code, proof.digits) == ("check", CODE, "5678")
    assert proof.state.stage is None
    again = next_step("56", with_code.state)
    assert again is not None and again.kind == "repeat_proof" and again.state == with_code.state
    gave_up = next_step("thôi không tra nữa", with_code.state)
    assert gave_up is not None and gave_up.kind == "cancel" and gave_up.state == DossierState()
    assert next_step("làm giấy khai sinh cần gì", with_code.state) is None  # moved on: the policy answers


def test_following_needs_a_passed_proof() -> None:
    assert next_step("theo dõi hồ sơ này", DossierState()).kind == "follow_needs_lookup"  # type: ignore[union-attr]
    step = next_step("theo dõi hồ sơ này", DossierState(verified=CODE))
    assert step is not None and (step.kind, step.code) == ("follow", CODE)
    other = next_step("theo dõi hồ sơ 000.00.12.H40-251201-0008", DossierState(verified=CODE))
    assert other is not None and other.kind == "ask_proof"  # another dossier: its own proof first
    assert next_step("hủy theo dõi", DossierState()).kind == "unfollow"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "digits"), [("5678", "5678"), ("5 6 7 8", "5678"), ("số cuối 5678 ạ", "5678"),
                                               ("4 số cuối là 5678", "5678"), ("3 số cuối 789", None),
                                               ("0905 123 456", "3456"), ("0905.123.456", "3456"),
                                               ("56789", None), ("12", None), ("năm sáu bảy tám", None),
                                               (f"{CODE} 5678", "5678")])
def test_the_proof_digits(text: str, digits: str | None) -> None:
    assert proof_digits(text) == digits


@pytest.mark.parametrize("name", ["dossier_messages_blind.yml", "dossier_messages_holdout.yml",
                                  "dossier_messages_blind3.yml"])
def test_the_blind_sets(name: str) -> None:
    """Floors under the rates measured (README): a change of the cues that loses them fails."""
    data = yaml.safe_load((SETS / name).read_text(encoding="utf-8"))
    status = [next_step(t, DossierState()) for t in data["status"]]
    coded = [next_step(t, DossierState()) for t in data["status_with_code"]]
    procedure = [next_step(t, DossierState()) for t in data["procedure"]]
    assert sum(s is not None and s.kind == "ask_code" for s in status) >= 0.8 * len(status)
    assert all(s is not None and s.kind == "ask_proof" for s in coded)
    assert sum(s is not None for s in procedure) <= 0.02 * len(procedure)


def kind(text: str, state: DossierState) -> str | None:
    step = next_step(text, state)
    return step.kind if step else None


def test_the_third_blind_set_through_a_whole_lookup() -> None:
    """Proofs, following, stopping and giving up as the third set's writer phrased them."""
    data = yaml.safe_load((SETS / "dossier_messages_blind3.yml").read_text(encoding="utf-8"))
    proofs = [proof_digits(p["text"]) == p["digits"] for p in data["proof"]]
    assert sum(proofs) >= 0.95 * len(proofs)
    follow = [kind(t, DossierState(verified=CODE)) == "follow" for t in data["follow"]]
    assert sum(follow) >= 0.9 * len(follow)
    unfollow = [kind(t, DossierState()) == "unfollow" for t in data["unfollow"]]
    assert sum(unfollow) >= 0.9 * len(unfollow)
    for waiting in (DossierState("code"), DossierState("proof", CODE)):
        ended = [kind(t, waiting) in ("cancel", "without") for t in data["cancel"]]
        assert sum(ended) >= 0.9 * len(ended)


def _messages_of_the_other_sets() -> list[str]:
    """Every citizen message of the conversation and retrieval sets (none about a dossier)."""
    texts: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("user", "question", "text", "q", "message") and isinstance(value, str):
                    texts.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    root = SETS.parents[1]
    for path in sorted([*SETS.glob("dialogues*.yml"), *(root / "retrieval" / "data").glob("*.yml")]):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(texts)


def test_no_procedure_question_of_the_other_sets_is_taken_for_a_dossier() -> None:
    texts = _messages_of_the_other_sets()
    assert len(texts) > 1000
    for state in (DossierState(), DossierState(verified=CODE)):  # before and after a lookup
        assert [t for t in texts if next_step(t, state) is not None] == []


@pytest.mark.parametrize(("text", "expected"), [
    ("có kết quả thì nhắn cho tôi nhé", "follow"), ("báo mình khi nào xong", "follow"),
    ("không cần thông báo nữa", "unfollow"), ("hủy nhận tin hồ sơ", "unfollow"),
    ("hồ sơ xây dựng bao nhiêu tiền", None), ("sao tôi không nhận được thông báo gì về hồ sơ", None)])
def test_telling_and_not_telling_after_a_lookup(text: str, expected: str | None) -> None:
    assert kind(text, DossierState(verified=CODE)) == expected


def test_without_a_code_the_lookup_ends_with_where_to_ask() -> None:
    assert kind("em không có mã hồ sơ", DossierState("code")) == "without"
    assert kind("số đó không phải số của tôi", DossierState("proof", CODE)) == "without"
    assert kind("tôi làm mất giấy hẹn rồi", DossierState()) is None  # nothing asked: not a lookup
