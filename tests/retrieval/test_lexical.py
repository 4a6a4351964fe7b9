"""The lexical side: stop tokens, IDF coverage and precision (0..1), BM25 candidates."""

from __future__ import annotations

import pytest

from retrieval.index import SearchIndex
from retrieval.lexical import STOP_TOKENS, LexicalScorer, query_tokens
from tthc_text import lexical_tokens

TITLES = ["Đăng ký kết hôn", "Đăng ký lại kết hôn", "Đăng ký khai sinh", "Cấp hộ chiếu phổ thông"]


@pytest.fixture(scope="module")
def scorer() -> LexicalScorer:
    return LexicalScorer([lexical_tokens(t) for t in TITLES], list(range(len(TITLES))))


def test_query_tokens_drop_aspect_and_filler_words() -> None:
    tokens = query_tokens("cho tôi hỏi làm giấy khai sinh cần giấy tờ gì, bao lâu thì xong")
    for stop in ("cho", "toi", "hoi", "gi", "giay_to", "bao_lau", "thi", "xong", "lau"):
        assert stop in STOP_TOKENS
        assert stop not in tokens
    for kept in ("khai", "sinh", "khai_sinh", "lam", "giay"):
        assert kept in tokens
    assert query_tokens("cho tôi hỏi thủ tục thế nào") == [
        t for t in lexical_tokens("cho tôi hỏi thủ tục thế nào") if t not in STOP_TOKENS
    ]
    assert not set(query_tokens("cho tôi hỏi thủ tục thế nào")) & STOP_TOKENS


def test_ambiguous_folded_words_are_only_stopped_as_pairs() -> None:
    # "can" folds both "cần" (need) and "căn" (căn cước): only the pair "can_gi" is a stop.
    assert "can" not in STOP_TOKENS and "can_gi" in STOP_TOKENS
    assert "can" in query_tokens("làm căn cước")
    assert "can_gi" not in query_tokens("cần gì")


def test_query_tokens_are_accent_insensitive() -> None:
    assert (
        query_tokens("đăng ký kết hôn")
        == query_tokens("dang ky ket hon")
        == query_tokens("ĐĂNG KÝ KẾT HÔN")
    )


def test_coverage_and_precision_of_an_exact_title(scorer: LexicalScorer) -> None:
    tokens = query_tokens("Đăng ký kết hôn")
    assert scorer.coverage(tokens, 0) == pytest.approx(1.0)
    assert scorer.precision(tokens, 0) == pytest.approx(1.0)
    # The sibling with an extra word ("lại") matches less on both measures.
    assert 0.5 < scorer.coverage(tokens, 1) < 1.0
    assert 0.5 < scorer.precision(tokens, 1) < 1.0
    assert 0.0 < scorer.coverage(tokens, 2) < 1.0
    assert scorer.coverage(tokens, 3) == 0.0 and scorer.precision(tokens, 3) == 0.0


def test_coverage_weights_rare_tokens_more(scorer: LexicalScorer) -> None:
    # "hộ chiếu" appears in one guide, "đăng ký" in three: its IDF is higher.
    assert scorer.weight("chieu") > scorer.weight("dang")
    assert scorer.weight("never-seen") == scorer.unknown_idf >= max(scorer.idf.values())
    assert scorer.coverage([], 0) == 0.0
    assert scorer.coverage(["never-seen"], 0) == 0.0


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký kết hôn",
        "dang ky lai ket hon o dau",
        "hộ chiếu",
        "xyz",
        "khai sinh cho con gái tôi",
    ],
)
def test_coverage_and_precision_are_in_unit_range(scorer: LexicalScorer, query: str) -> None:
    tokens = query_tokens(query)
    for guide in range(len(TITLES)):
        assert 0.0 <= scorer.coverage(tokens, guide) <= 1.0
        assert 0.0 <= scorer.precision(tokens, guide) <= 1.0


def test_top_guides_rank_the_closest_title_first(scorer: LexicalScorer) -> None:
    best = scorer.top_guides(query_tokens("đăng ký kết hôn"), 3)
    assert list(best)[:1] == [0] or max(best, key=best.__getitem__) == 0
    assert set(best) <= {0, 1, 2}
    assert 3 not in best
    assert all(score > 0 for score in best.values())
    assert scorer.top_guides([], 3) == {}
    assert len(scorer.top_guides(query_tokens("đăng ký"), 1)) == 1


def test_every_title_of_the_real_index_is_an_exact_lexical_match(search_index: SearchIndex) -> None:
    for g, ref in enumerate(search_index.guides):
        tokens = query_tokens(ref.title)
        assert search_index.lexical.coverage(tokens, g) == pytest.approx(1.0), ref.title
        assert search_index.lexical.precision(tokens, g) == pytest.approx(1.0), ref.title
