"""The dialogue evaluation's file format and scoring (the runs against a real bot are in
tests/integration/test_dialogues.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tthc.dialogue_eval import (
    Expect,
    Got,
    TurnResult,
    format_report,
    load_conversations,
    parse_reply,
    score,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_repositorys_dialogue_sets_are_valid_and_large_enough() -> None:
    for name in ("dialogues.yml", "dialogues_dev.yml"):
        conversations = load_conversations(REPO / "bot" / "tests" / name)
        assert len(conversations) >= 120, name
        assert sum(len(c.turns) for c in conversations) >= 330, name
    main = load_conversations(REPO / "bot" / "tests" / "dialogues.yml")
    assert len(main) >= 150 and sum(len(c.turns) for c in main) >= 400
    assert sum(c.nfd for c in main) >= 5
    # the conversations about procedures without a curated guide are marked and expect an answer
    about_catalog = [c for c in main if c.catalog]
    assert len(about_catalog) >= 8 and all(c.id.startswith("catalog-") for c in about_catalog)
    assert all("answer" in t.expect.outcome and t.expect.codes for c in about_catalog for t in c.turns)
    assert not any(c.catalog for c in main if not c.id.startswith("catalog-"))


def test_a_file_is_validated_with_the_conversation_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text('- id: a\n  turns:\n    - say: "x"\n      expect: {outcome: answr}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="(?s)conversation a.*turns.0.expect.outcome.*unknown outcome"):
        load_conversations(path)
    path.write_text('- id: a\n  turns:\n    - say: "x"\n      expect: {outcome: answer, aspect: price}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="unknown aspect"):
        load_conversations(path)
    path.write_text('- id: a\n  turns:\n    - say: "x"\n      expect: {outcome: greeting}\n' * 2, encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        load_conversations(path)
    path.write_text("id: a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="list of conversations"):
        load_conversations(path)


def test_single_values_and_lists_are_both_accepted() -> None:
    e = Expect.model_validate({"outcome": "answer", "codes": ["1.001193"], "aspect": "fee"})
    assert (e.outcome, e.codes, e.aspect) == (["answer"], ["1.001193"], ["fee"])
    e = Expect.model_validate({"outcome": ["answer", "clarify"]})
    assert (e.outcome, e.codes, e.aspect) == (["answer", "clarify"], [], [])


def result(conv: str, turn: int, expect: dict[str, object], outcome: str, codes: list[str],
           aspect: str | None = None) -> TurnResult:
    return TurnResult(conv, turn, "…", Expect.model_validate(expect), Got(outcome, codes, aspect, "bot text"))


def test_scoring_checks_outcome_codes_and_the_aspect_of_answers() -> None:
    results = [
        result("a", 1, {"outcome": "answer", "codes": ["1"], "aspect": "fee"}, "answer", ["1"], "fee"),
        result("a", 2, {"outcome": "answer", "codes": ["1"], "aspect": "time"}, "answer", ["1"], "fee"),  # aspect
        result("b", 1, {"outcome": ["answer", "clarify"], "codes": ["1", "2"]}, "clarify", ["2", "9"]),
        result("b", 2, {"outcome": "answer", "codes": ["1"]}, "answer", ["2"], "fee"),  # code
        result("c", 1, {"outcome": "clarify", "codes": ["1"]}, "clarify", ["1"]),  # one option only
        result("c", 2, {"outcome": ["rephrase", "offer_handoff"]}, "offer_handoff", []),
        result("d", 1, {"outcome": "greeting"}, "greeting", []),
    ]
    assert [r.success for r in results] == [True, False, True, False, False, True, True]
    report = score(results)
    assert set(report) == {"turns", "turn_success", "conversations", "conversation_success",
                           "aspect_accuracy", "by_outcome", "failures"}
    assert report["turns"] == 7 and report["turn_success"] == round(4 / 7, 4)
    assert report["conversations"] == 4 and report["conversation_success"] == 0.25
    assert report["aspect_accuracy"] == 0.5  # two answers with the right code, one with the right aspect
    assert report["by_outcome"] == {"answer": {"n": 4, "success": 0.5}, "clarify": {"n": 1, "success": 0.0},
                                    "greeting": {"n": 1, "success": 1.0}, "rephrase": {"n": 1, "success": 1.0}}
    first = report["failures"][0]
    assert first == {"id": "a", "turn": 2, "say": "…",
                     "expected": {"outcome": ["answer"], "codes": ["1"], "aspect": ["time"]},
                     "got": {"outcome": "answer", "codes": ["1"], "aspect": "fee", "text": "bot text"}}
    text = format_report(report, results)
    assert "turns 7: success 0.571" in text and "— a" in text and "✗ 2." in text and "— d" not in text


def test_a_reply_is_read_from_its_record_never_its_wording() -> None:
    got = parse_reply([{"text": "Lệ phí: miễn phí", "buttons": [{"title": "📄 Giấy tờ"}]},
                       {"custom": {"turn": {"outcome": "answer", "codes": ["1.001193"], "aspect": "fee"}}}])
    assert (got.outcome, got.codes, got.aspect) == ("answer", ["1.001193"], "fee")
    assert got.text == "Lệ phí: miễn phí [📄 Giấy tờ]"
    assert parse_reply([{"text": "xin chào"}]).outcome == "error"  # no record: the bot did not say
    assert parse_reply({"error": "x"}).outcome == "error"
