"""Which procedure the search hits name: confident, ambiguous, weak or nothing."""

from __future__ import annotations

from actions.resolve import CANDIDATE_FLOOR, MAX_CHOICES, find
from retrieval.index import Hit

THRESHOLD = 0.5
MARGIN = 0.04


def hits(*rows: tuple[str, float] | tuple[str, float, float]) -> list[Hit]:
    """Hits (code, score[, name precision]), best first."""
    return [
        Hit(row[0], row[0].replace(".", "-"), f"Thủ tục {row[0]}", row[1], row[1], 0.0,
            row[2] if len(row) > 2 else 0.5)  # type: ignore[misc]
        for row in rows
    ]


def found(ranked: list[Hit]):  # type: ignore[no-untyped-def]
    return find(ranked, answer_threshold=THRESHOLD, ambiguity_margin=MARGIN)


def test_a_confident_clear_top_hit_is_named() -> None:
    f = found(hits(("1.000001", 0.9), ("1.000002", 0.6)))
    assert (f.kind, f.code, f.score, f.options) == ("named", "1.000001", 0.9, [])
    assert f.scores == {"1.000001": 0.9, "1.000002": 0.6}


def test_close_confident_hits_are_told_apart_by_their_names() -> None:
    # "đăng ký tạm trú": covers all of "Đăng ký tạm trú", part of "Xóa đăng ký tạm trú"
    f = found(hits(("1.004194", 0.977, 1.0), ("1.010028", 0.958, 0.6)))
    assert (f.kind, f.code) == ("named", "1.004194")
    f = found(hits(("1.010028", 0.977, 0.6), ("1.004194", 0.958, 1.0)))
    assert (f.kind, f.code) == ("named", "1.004194")


def test_close_confident_hits_that_names_do_not_settle_are_ambiguous() -> None:
    f = found(hits(("1.000001", 0.9, 1.0), ("1.000002", 0.88, 1.0), ("1.000003", 0.2)))
    assert f.kind == "ambiguous" and f.code is None
    assert f.option_codes == ["1.000001", "1.000002"]
    many = found(hits(*[(f"1.00000{i}", 0.9 - i / 1000, 0.5) for i in range(1, 7)]))
    assert len(many.options) == MAX_CHOICES


def test_weak_hits_are_candidates_only() -> None:
    f = found(hits(("1.000001", 0.4), ("1.000002", 0.3), ("1.000003", CANDIDATE_FLOOR - 0.01)))
    assert (f.kind, f.code) == ("weak", "1.000001")
    assert f.option_codes == ["1.000001", "1.000002"]
    single = found(hits(("1.000001", 0.3), ("1.000002", 0.01)))
    assert (single.kind, single.option_codes) == ("weak", ["1.000001"])


def test_nothing_above_the_floor_names_nothing() -> None:
    assert found([]).kind == "none"
    assert found(hits(("1.000001", CANDIDATE_FLOOR - 0.01))).kind == "none"
