"""The search index: artefacts round trip, typing styles, score range, out-of-scope, FAISS."""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pytest

from guides.loader import load_guides
from retrieval.index import MANIFEST, SearchIndex, make_faiss_index
from retrieval.passages import guide_passages
from tests.small_index import (
    CAN_CUOC_DUOI_14,
    DOI_GPLX,
    HO_CHIEU,
    KET_HON,
    KHAI_SINH,
    SmallIndex,
)

STYLES = {
    KHAI_SINH: [
        "làm giấy khai sinh cho con cần những gì",
        "lam giay khai sinh cho con can nhung gi",
        "lm giấy ks cho con cần j",
    ],
    KET_HON: ["đăng ký kết hôn ở đâu", "dang ky ket hon o dau", "dkkh ở đâu"],
    HO_CHIEU: ["làm hộ chiếu mất bao lâu", "lam ho chieu mat bao lau"],
    DOI_GPLX: ["đổi bằng lái xe", "doi bang lai xe"],
}
OUT_OF_SCOPE = ["cách nấu phở bò", "giá vàng hôm nay"]


def test_load_round_trip(small_index: SmallIndex, search_index: SearchIndex) -> None:
    loaded = load_guides(small_index.procedures_dir)
    guides = loaded.published()
    assert [g.code for g in search_index.guides] == [g.code for g in guides]
    assert [(r.id, r.title, r.status) for r in search_index.guides] == [
        (g.id, g.title, "published") for g in guides
    ]
    expected = [p for i, g in enumerate(guides) for p in guide_passages(g, i)]
    assert search_index.passages == expected
    assert search_index.vectors.shape == (len(expected), 256)
    assert search_index.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(search_index.vectors, axis=1), 1.0, atol=1e-4)
    assert search_index.faiss_index.ntotal == len(expected)
    manifest = json.loads((small_index.index_dir / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["guides"] == 12 and manifest["passages"] == len(expected)
    assert manifest["input_form"] == "words" and manifest["index_type"] == "IndexFlatIP"
    assert "built_at" in manifest and manifest["fingerprint"] == small_index.manifest["fingerprint"]
    assert search_index.by_code[KHAI_SINH] == [g.code for g in guides].index(KHAI_SINH)
    # A second load answers exactly as the first.
    again = SearchIndex.load(small_index.index_dir)
    query = "làm giấy khai sinh cho con"
    assert [(h.code, round(h.score, 6)) for h in again.search(query)] == [
        (h.code, round(h.score, 6)) for h in search_index.search(query)
    ]


@pytest.mark.parametrize("code", sorted(STYLES))
def test_typing_styles_find_the_same_guide(search_index: SearchIndex, code: str) -> None:
    for text in STYLES[code]:
        for variant in (text, unicodedata.normalize("NFD", text)):
            hits = search_index.search(variant, k=5)
            assert hits and hits[0].code == code, (variant, [(h.code, h.score) for h in hits])
            assert hits[0].score >= 0.5


def test_nfd_and_nfc_score_identically(search_index: SearchIndex) -> None:
    text = "làm thẻ căn cước cho con dưới 14 tuổi"
    nfc_hits = search_index.search(text)
    nfd_hits = search_index.search(unicodedata.normalize("NFD", text))
    assert [(h.code, h.score) for h in nfc_hits] == [(h.code, h.score) for h in nfd_hits]
    assert nfc_hits[0].code == CAN_CUOC_DUOI_14


@pytest.mark.parametrize("query", ["đăng ký", "làm căn cước", "cách nấu phở bò", "thủ tục", "dkkh"])
def test_scores_are_probabilities_sorted_best_first(search_index: SearchIndex, query: str) -> None:
    hits = search_index.search(query, k=5)
    assert 1 <= len(hits) <= 5
    scores = [h.score for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert len({h.code for h in hits}) == len(hits)
    assert all(0.0 <= h.name_coverage <= 1.0 for h in hits)
    assert len(search_index.search(query, k=2)) <= 2


def test_empty_query_finds_nothing(search_index: SearchIndex) -> None:
    assert search_index.search("") == []
    assert search_index.search("   \n") == []


def test_out_of_scope_scores_below_in_scope(search_index: SearchIndex) -> None:
    in_scope = min(search_index.search(texts[0])[0].score for texts in STYLES.values())
    for query in OUT_OF_SCOPE:
        hits = search_index.search(query)
        top = hits[0].score if hits else 0.0
        assert top < 0.5, (query, hits[:2])
        assert top < in_scope


def test_hit_json_has_code_id_title_rounded_score_and_tier(search_index: SearchIndex) -> None:
    hit = search_index.search("đăng ký kết hôn")[0]
    data = hit.to_json()
    assert set(data) == {"code", "id", "title", "score", "tier"} and data["tier"] == "curated"
    assert (
        data["code"] == KET_HON
        and data["id"] == "dang-ky-ket-hon"
        and data["title"] == "Đăng ký kết hôn"
    )
    assert data["score"] == round(hit.score, 4)


@pytest.mark.parametrize(
    "query", ["làm giấy khai sinh", "doi bang lai xe", "hộ kinh doanh", "giá vàng hôm nay"]
)
def test_dense_scores_match_brute_force(search_index: SearchIndex, query: str) -> None:
    qvec = search_index.encode_query(query)
    brute = {
        g: float(np.max(search_index.vectors[search_index.passage_guide == g] @ qvec))
        for g in range(len(search_index.guides))
    }
    dense, _lexical, _tokens = search_index.candidates(query, 5)
    assert dense, query
    for g, score in dense.items():
        assert score == pytest.approx(brute[g], abs=1e-5)
    # The guides FAISS returned first are the brute-force best ones.
    best = max(brute, key=brute.__getitem__)
    assert best in dense
    exact = search_index.dense_scores(qvec, list(brute))
    assert exact == pytest.approx(brute, abs=1e-6)
    for hit in search_index.search(query, k=12):
        assert hit.dense == pytest.approx(brute[search_index.by_code[hit.code]], abs=1e-5)


def _unit(rows: int, dim: int = 8, seed: int = 3) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def test_make_faiss_index_exact_below_threshold() -> None:
    import faiss  # noqa: PLC0415

    vectors = _unit(30)
    index = make_faiss_index(vectors, exact_max=30)
    assert type(index) is faiss.IndexFlatIP
    assert index.ntotal == 30
    sims, ids = index.search(vectors[:5], 1)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]
    assert np.allclose(sims[:, 0], 1.0, atol=1e-5)


def test_make_faiss_index_hnsw_above_threshold() -> None:
    import faiss  # noqa: PLC0415

    vectors = _unit(40)
    index = make_faiss_index(vectors, exact_max=10)
    assert isinstance(index, faiss.IndexHNSW)
    assert type(index).__name__ == "IndexHNSWFlat"
    assert index.metric_type == faiss.METRIC_INNER_PRODUCT
    assert index.ntotal == 40
    sims, ids = index.search(vectors[:5], 3)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]
    exact = vectors[:5] @ vectors.T
    assert np.allclose(sims[:, 0], exact[np.arange(5), np.arange(5)], atol=1e-5)


def test_the_dense_margin_feature_is_the_distance_to_the_best_other_guide() -> None:
    from retrieval.index import top_two  # noqa: PLC0415

    assert top_two([0.2, 0.9, 0.5]) == (0.9, 0.5)
    assert top_two([0.3]) == (0.3, 0.0) and top_two([]) == (0.0, 0.0)


def test_context_around_a_question_keeps_it_confident(search_index: SearchIndex) -> None:
    # Trained and calibrated with personal context: long messages are not penalised for it.
    plain = search_index.search("đăng ký khai tử thế nào", k=2)
    long = search_index.search("bố tôi vừa mất hôm qua ở nhà, gia đình cần làm khai tử thế nào ạ", k=2)
    assert plain[0].code == long[0].code == "1.000656"
    assert long[0].score > 5 * long[1].score


def test_name_precision_says_how_much_of_a_name_the_words_say(search_index: SearchIndex) -> None:
    assert search_index.name_precision("1.004194", "đăng ký tạm trú") == 1.0
    assert search_index.name_precision("1.004194", "tạm trú") < 1.0
    assert search_index.name_precision("9.999999", "tạm trú") == 0.0
