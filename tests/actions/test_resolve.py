"""Deciding which procedure a message is about, from the hits and the current procedure."""

from __future__ import annotations

import pytest

from actions.resolve import CANDIDATE_FLOOR, MAX_CHOICES, Resolution, resolve
from retrieval.index import Hit

THRESHOLD = 0.5
MARGIN = 0.04


def hits(*pairs: tuple[str, float]) -> list[Hit]:
    return [
        Hit(code, code.replace(".", "-"), f"Thủ tục {code}", score, score, 0.0)
        for code, score in pairs
    ]


def decide(found: list[Hit], current: str | None = None, chosen: str | None = None) -> Resolution:
    return resolve(
        found, current=current, chosen=chosen, answer_threshold=THRESHOLD, ambiguity_margin=MARGIN
    )


def test_a_button_choice_wins() -> None:
    r = decide(hits(("1.000001", 0.99)), current="1.000003", chosen="1.000002")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000002", True)
    r = decide([], current="1.000002", chosen="1.000002")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000002", False)


def test_confident_clear_top_hit_is_answered() -> None:
    r = decide(hits(("1.000001", 0.9), ("1.000002", 0.6)))
    assert (r.outcome, r.code, r.switched, r.choices) == ("answer", "1.000001", True, [])


def test_confident_new_procedure_switches_from_the_current_one() -> None:
    r = decide(hits(("1.000001", 0.95), ("1.000002", 0.2)), current="1.000002")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000001", True)
    r = decide(hits(("1.000001", 0.95)), current="1.000001")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000001", False)


def test_close_confident_hits_ask_which() -> None:
    r = decide(hits(("1.000001", 0.90), ("1.000002", 0.88), ("1.000003", 0.87), ("1.000004", 0.5)))
    assert r.outcome == "ask_which" and r.code is None
    assert r.choices == [
        ("1.000001", "Thủ tục 1.000001"),
        ("1.000002", "Thủ tục 1.000002"),
        ("1.000003", "Thủ tục 1.000003"),
    ]


def test_ask_which_offers_at_most_max_choices() -> None:
    r = decide(hits(*[(f"1.00000{i}", 0.9 - i * 0.001) for i in range(1, 8)]))
    assert r.outcome == "ask_which" and len(r.choices) == MAX_CHOICES


def test_close_hits_including_the_current_procedure_keep_it() -> None:
    r = decide(hits(("1.000001", 0.90), ("1.000002", 0.88)), current="1.000002")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000002", False)


def test_hits_beyond_the_margin_are_not_close() -> None:
    r = decide(hits(("1.000001", 0.90), ("1.000002", 0.85)))
    assert (r.outcome, r.code) == ("answer", "1.000001")


def test_follow_up_without_a_confident_hit_uses_the_current_procedure() -> None:
    r = decide(hits(("1.000009", 0.3), ("1.000008", 0.2)), current="1.000002")
    assert (r.outcome, r.code, r.switched) == ("answer", "1.000002", False)
    r = decide([], current="1.000002")
    assert (r.outcome, r.code) == ("answer", "1.000002")


def test_weak_candidates_ask_which_among_three() -> None:
    r = decide(
        hits(
            ("1.000001", 0.45),
            ("1.000002", 0.3),
            ("1.000003", 0.2),
            ("1.000004", 0.16),
            ("1.000005", 0.1),
        )
    )
    assert r.outcome == "ask_which"
    assert [c for c, _ in r.choices] == ["1.000001", "1.000002", "1.000003"]


@pytest.mark.parametrize(
    "found", [[], hits(("1.000001", CANDIDATE_FLOOR - 0.01), ("1.000002", 0.01))]
)
def test_nothing_useful_is_not_found(found: list[Hit]) -> None:
    r = decide(found)
    assert (r.outcome, r.code, r.choices) == ("not_found", None, [])


def test_threshold_is_inclusive() -> None:
    r = decide(hits(("1.000001", THRESHOLD)))
    assert (r.outcome, r.code) == ("answer", "1.000001")
    r = decide(hits(("1.000001", CANDIDATE_FLOOR)))
    assert r.outcome == "ask_which"


def test_a_moderately_named_other_procedure_switches_mid_conversation() -> None:
    hits = [Hit("1.004194", "dang-ky-tam-tru", "Đăng ký tạm trú", 0.45, 0.7, 0.4)]
    kept = resolve(hits, current="1.000894", chosen=None, answer_threshold=0.5, ambiguity_margin=0.04)
    assert kept.code == "1.000894"  # without a switch threshold: a follow-up of the current one
    switched = resolve(
        hits, current="1.000894", chosen=None, answer_threshold=0.5, ambiguity_margin=0.04, switch_threshold=0.3
    )
    assert (switched.outcome, switched.code, switched.switched) == ("answer", "1.004194", True)
    weak = [Hit("1.004194", "dang-ky-tam-tru", "Đăng ký tạm trú", 0.1, 0.4, 0.2)]
    follow = resolve(
        weak, current="1.000894", chosen=None, answer_threshold=0.5, ambiguity_margin=0.04, switch_threshold=0.3
    )
    assert follow.code == "1.000894"
