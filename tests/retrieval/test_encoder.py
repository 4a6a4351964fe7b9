"""The encoder's training data (deterministic for a seed) and the text it reads."""

from __future__ import annotations

import random
import unicodedata

import numpy as np

from retrieval.encoder import (
    ASPECT_PHRASES,
    augment,
    encode,
    encoder_text,
    query_encoder,
    training_pairs,
)
from retrieval.index import SearchIndex
from retrieval.lexical import read_query
from tthc_text import normalize, search_text

DOCS = [
    (
        "Đăng ký khai sinh ; làm giấy khai sinh",
        ["Đăng ký khai sinh", "làm giấy khai sinh cho con cần những gì"],
    ),
    ("Đăng ký kết hôn", ["Đăng ký kết hôn", "đăng ký kết hôn ở đâu", "dkkh"]),
]


def test_training_pairs_are_deterministic_for_a_seed() -> None:
    assert training_pairs(DOCS, seed=7) == training_pairs(DOCS, seed=7)
    assert training_pairs(DOCS) == training_pairs(DOCS, seed=13)
    assert training_pairs(DOCS, seed=7) != training_pairs(DOCS, seed=8)


def test_training_pairs_structure() -> None:
    anchors, positives = training_pairs(DOCS, variants=3)
    assert len(anchors) == len(positives) == (2 + 3) * 4
    # Each text comes first as itself, then as its noisy variants, all against its document.
    assert (
        anchors[0] == "Đăng ký khai sinh"
        and anchors[4] == "làm giấy khai sinh cho con cần những gì"
    )
    assert anchors[8] == "Đăng ký kết hôn"
    assert positives[:8] == [DOCS[0][0]] * 8
    assert positives[8:] == [DOCS[1][0]] * 12
    anchors0, _ = training_pairs(DOCS, variants=0)
    assert anchors0 == [t for _, texts in DOCS for t in texts]


def test_augment_is_deterministic_for_a_seed() -> None:
    text = "làm giấy khai sinh cho con cần những gì"
    first = [augment(text, random.Random(3)) for _ in range(5)]
    assert len(set(first)) == 1
    a, b = random.Random(21), random.Random(21)
    assert [augment(text, a) for _ in range(20)] == [augment(text, b) for _ in range(20)]


def test_augment_keeps_words_in_order_and_adds_aspect_phrases() -> None:
    text = "làm giấy khai sinh cho con cần những gì"
    words = text.split()
    rng = random.Random(0)
    variants = [augment(text, rng) for _ in range(200)]
    with_phrase = 0
    for variant in variants:
        rest = variant
        for phrase in ASPECT_PHRASES:
            if rest.startswith(phrase + " ") or rest.endswith(" " + phrase):
                rest = rest.removeprefix(phrase + " ").removesuffix(" " + phrase)
                with_phrase += 1
                break
        kept = rest.split()
        assert kept, variant
        it = iter(words)
        assert all(w in it for w in kept), variant  # a subsequence of the original words
    assert 60 < with_phrase < 180  # about 60 % get an aspect phrase
    assert len(set(variants)) > 20


def test_augment_never_drops_words_of_short_texts() -> None:
    rng = random.Random(4)
    for _ in range(50):
        assert "dkkh" in augment("dkkh", rng).split()
        assert "làm khai sinh" in augment("làm khai sinh", rng)  # three words: all kept, in order


def test_encoder_text_forms() -> None:
    text = "Làm Giấy KS cho bé"
    assert encoder_text(text, "folded") == search_text(text)
    assert encoder_text(text, "normalized") == normalize(text)
    # the project's models read the syllables, then each pair of neighbours as one token
    assert encoder_text("Bóng đá hôm nay", "words") == "bong da hom nay bong_da da_hom hom_nay"
    for form in ("words", "folded"):
        assert encoder_text("lam giay khai sinh", form) == encoder_text("làm giấy khai sinh", form)
    nfd = unicodedata.normalize("NFD", "làm giấy khai sinh")
    assert encoder_text(nfd, "normalized") == encoder_text("làm giấy khai sinh", "normalized")


def test_encode_unit_vectors_accent_insensitive(search_index: SearchIndex) -> None:
    model = search_index.model
    vectors = encode(model, ["làm giấy khai sinh", "lam giay khai sinh", "cấp hộ chiếu"], "words")
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[1], atol=1e-6)
    assert not np.allclose(vectors[0], vectors[2])
    empty = encode(model, [], "words")
    assert empty.shape == (0, 256) and empty.dtype == np.float32


def test_a_query_is_encoded_as_sentence_transformers_encodes_it(search_index: SearchIndex) -> None:
    """The project's static model reads one query from its token table directly: the same
    unit vector as the library's batched encode, for text with and without tokens the
    vocabulary knows, and none for a text without any token."""
    one = query_encoder(search_index.model, "words")
    texts = ["làm giấy khai sinh cho con", "Xin hỏi, công ty tôi muốn đổi trụ sở thì nộp ở đâu?",
             "qwzx vvv", "dkkh mất bao lâu ạ"]
    expected = encode(search_index.model, texts, "words")
    for text, vector in zip(texts, expected):
        got = one(read_query(text))
        assert got.dtype == np.float32 and got.shape == vector.shape
        assert np.allclose(got, vector, atol=1e-6), text
    blank = one(read_query("   "))
    assert blank.shape == (256,) and not blank.any()
    assert not encode(search_index.model, ["   "], "words").any()


def test_wordpiece_vocab_is_deterministic_and_keeps_whole_syllables_first() -> None:
    from retrieval.encoder import wordpiece_vocab

    texts = ["dang ky khai sinh", "dang ky ket hon", "khai tu"]
    vocab = wordpiece_vocab(texts, size=100)
    assert vocab == wordpiece_vocab(list(texts), size=100)
    # the most frequent syllables first, ties in alphabetical order
    assert list(vocab)[:5] == ["[UNK]", "[PAD]", "dang", "khai", "ky"]
    assert {"khai", "sinh", "ket", "hon", "tu"} <= set(vocab)
    assert "##h" in vocab and "kh" in vocab  # pieces an unknown or misspelt syllable falls back to
    assert sorted(vocab.values()) == list(range(len(vocab)))


def test_wordpiece_vocab_respects_the_size_for_whole_syllables() -> None:
    from retrieval.encoder import wordpiece_vocab

    vocab = wordpiece_vocab(["a b c d e f"], size=2)
    whole = [t for t in vocab if not t.startswith("##") and not t.startswith("[")]
    assert whole[:2] == ["a", "b"] and "f" in vocab  # "f" survives as a character piece
