"""The score calibration: a non-negative logistic model fitted by Newton's method."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from retrieval.calibrate import DEFAULT, FEATURES, Calibration, Fusion, features, fit


def _noisy(n: int = 1200, seed: int = 5, weights=(5.0, 3.0, 0.0, 0.0), bias: float = -4.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, 4))
    z = x @ np.asarray(weights) + bias + rng.normal(0.0, 0.5, n)
    return list(x), [int(v > 0) for v in z]


def test_features_vector_order() -> None:
    assert FEATURES == ("dense", "coverage", "precision", "bm25_relative", "dense_margin", "text_coverage",
                        "bm25_margin", "dense_rank", "bm25_rank", "catalog_bm25")
    curated = features(0.1, 0.2, 0.3, 0.4, -0.5, 0.6, -0.7, 1.0, 0.5)
    assert list(curated) == [0.1, 0.2, 0.3, 0.4, -0.5, 0.6, -0.7, 1.0, 0.5, 0.0]
    # a catalog entry's relative BM25 score counts a second time, for the ranker to weigh
    assert list(features(0.1, 0.2, 0.3, 0.4, catalog=True))[-1] == 0.4
    assert len(DEFAULT.weights) == len(FEATURES)


def test_fit_recovers_a_monotone_model() -> None:
    x, y = _noisy()
    model = fit(x, y)
    assert model != DEFAULT
    w = np.asarray(model.weights)
    assert len(w) == 4 and (w >= 0).all()
    # The two informative features carry the weight, in about the generating ratio 5:3.
    assert w[0] > 5 and w[1] > 3
    assert 1.2 < w[0] / w[1] < 2.4
    assert w[2] < 1.5 and w[3] < 1.5
    assert model.bias < 0
    scores = np.array([model.score(v) for v in x])
    labels = np.array(y)
    assert ((scores >= 0.5) == (labels == 1)).mean() > 0.9
    assert scores[labels == 1].mean() > 0.7
    assert scores[labels == 0].mean() < 0.3
    # Monotone: raising any feature never lowers the score.
    base = np.array([0.4, 0.4, 0.4, 0.4])
    for i in range(4):
        up = base.copy()
        up[i] += 0.3
        assert model.score(up) >= model.score(base)


def test_fit_on_perfectly_separable_data_stays_finite() -> None:
    rng = np.random.default_rng(1)
    pos = rng.uniform(0.6, 1.0, size=(200, 4))
    neg = rng.uniform(0.0, 0.4, size=(200, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fit(list(np.vstack([pos, neg])), [1] * 200 + [0] * 200)
    assert all(np.isfinite(model.weights)) and np.isfinite(model.bias)
    assert all(w >= 0 for w in model.weights)
    assert min(model.score(v) for v in pos) > 0.9
    assert max(model.score(v) for v in neg) < 0.1


def test_fit_never_returns_negative_weights() -> None:
    # The third feature counts *against* a match in this data: it is dropped, not negated.
    x, y = _noisy(weights=(5.0, 3.0, -4.0, 0.0), bias=-2.0, seed=11)
    model = fit(x, y)
    assert model != DEFAULT
    assert all(w >= 0 for w in model.weights)
    assert model.weights[2] == 0.0
    assert model.weights[0] > 0 and model.weights[1] > 0


def test_fit_with_every_feature_against_returns_default() -> None:
    x, y = _noisy(weights=(-3.0, -3.0, -3.0, -3.0), bias=6.0, seed=2)
    assert 0 < sum(y) < len(y)
    assert fit(x, y) == DEFAULT


@pytest.mark.parametrize(
    "labels",
    [
        [1, 0, 1, 0, 1, 0, 1, 0, 1],  # too few (9)
        [1] * 50,  # one class
        [0] * 50,
        [],
    ],
)
def test_fit_returns_default_without_enough_data(labels: list[int]) -> None:
    x = [np.full(4, i / 50) for i in range(len(labels))]
    assert fit(x, labels) is DEFAULT


def test_score_is_a_probability_and_round_trips_through_json() -> None:
    weights = (2.0, 1.0, 0.5) + (0.0,) * (len(FEATURES) - 3)
    model = Calibration(weights, -1.5)
    n = len(FEATURES)
    for v in (np.zeros(n), np.ones(n), np.full(n, 100.0), np.full(n, -100.0)):
        assert 0.0 <= model.score(v) <= 1.0
    assert model.score(np.zeros(n)) == pytest.approx(1 / (1 + np.exp(1.5)))
    data = model.to_json()
    assert data == {"features": list(FEATURES), "weights": list(weights), "bias": -1.5}
    assert Calibration.from_json(data) == model
    assert DEFAULT.score(np.ones(len(FEATURES))) > 0.99
    assert DEFAULT.score(np.zeros(len(FEATURES))) < 0.001


def test_fusion_round_trips_and_reads_an_older_single_model() -> None:
    confidence = Calibration(tuple(float(i) for i in range(len(FEATURES))), -2.0)
    ranker = Calibration(tuple(0.5 for _ in FEATURES), -1.0)
    fusion = Fusion(confidence, ranker)
    assert Fusion.from_json(fusion.to_json()) == fusion
    # calibration.json of an index built before the ranker and the rank features
    old = {"features": list(FEATURES[:7]), "weights": [1.0] * 7, "bias": -3.0}
    read = Fusion.from_json(old)
    assert read.confidence == read.ranker
    assert read.confidence.weights == (1.0,) * 7 + (0.0,) * (len(FEATURES) - 7)
