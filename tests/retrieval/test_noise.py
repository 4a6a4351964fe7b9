"""Personal context mixed into synthesised questions at build time."""

from __future__ import annotations

import random
from pathlib import Path

from retrieval.encoder import training_pairs
from retrieval.noise import CONTEXT_RATE, ContextNoise, load_noise, maybe_wrap

REPO = Path(__file__).resolve().parents[2]


def test_the_project_context_and_its_places_load() -> None:
    noise = load_noise(REPO / "nlu_data")
    assert len(noise.people) >= 10 and len(noise.situations) >= 10
    assert len(noise.place_names) > 1000  # pre-2025 and current units, from nlu_data
    assert all("{place}" in p for p in noise.places)
    assert load_noise(None).place_names == ()


def test_wrapping_keeps_the_question_and_adds_context() -> None:
    noise = load_noise(REPO / "nlu_data")
    rng = random.Random(1)
    for _ in range(50):
        wrapped = noise.wrap("làm giấy khai sinh cần gì", rng)
        assert "làm giấy khai sinh cần gì" in wrapped and wrapped != "làm giấy khai sinh cần gì"
        assert "{place}" not in wrapped


def test_about_a_third_of_the_questions_get_context_deterministically() -> None:
    noise = ContextNoise(("bố tôi",), ("hôm qua",), (), (), (), ())
    rng = random.Random(7)
    wrapped = [maybe_wrap("khai sinh", rng, noise) != "khai sinh" for _ in range(2000)]
    assert abs(sum(wrapped) / len(wrapped) - CONTEXT_RATE) < 0.04
    assert [maybe_wrap("khai sinh", random.Random(3), noise) for _ in range(3)] == \
        [maybe_wrap("khai sinh", random.Random(3), noise) for _ in range(3)]
    assert maybe_wrap("khai sinh", rng, None) == "khai sinh"


def test_training_pairs_with_noise_keep_their_documents() -> None:
    noise = load_noise(REPO / "nlu_data")
    plain = training_pairs([("Đăng ký khai sinh", ["làm giấy khai sinh"])], seed=3)
    noisy = training_pairs([("Đăng ký khai sinh", ["làm giấy khai sinh"])], seed=3, noise=noise)
    assert len(plain[0]) == len(noisy[0]) and set(noisy[1]) == {"Đăng ký khai sinh"}
    assert noisy[0][0] == "làm giấy khai sinh"
    assert any(len(a.split()) > len(b.split()) + 1 for a, b in zip(noisy[0], plain[0]))
