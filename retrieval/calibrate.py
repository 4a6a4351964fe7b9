"""Turning dense and lexical evidence into one score in [0, 1], and into a ranking.

The score is a logistic model over features of a (query, guide) pair: the best
cosine between the query and the guide's passages, the share of the query's IDF mass the
guide's names cover, how fully the query covers the guide's best name, the guide's BM25
score relative to the best one for that query, how far its cosine stands above the best
other guide's (negative below it), the share of the query's IDF mass all the guide's
passages cover (its sample questions and summary too), how far its BM25 score stands above
the best other guide's, its places in the dense and the BM25 rankings (reciprocal), and,
for a catalog entry only, its relative BM25 score again. Its weights are fitted at build
time on questions synthesised from the content (noisy variants of titles, aliases and
sample questions, answered by their guide) and on off-topic messages (answered by
nothing), so a score means the same for every query.

Two weight sets share these features (:class:`Fusion`): the *confidence*, fitted on the
curated guides' citizen-like questions and the off-topic messages, gives every score and
picks the first hit among guides of one tier; the *ranker*, fitted on the same plus one
formal question synthesised from each catalog entry's name, orders the hits and decides
whether the first is a curated guide or a catalog entry. A catalog entry has two names where a curated guide has dozens
of aliases and sample questions, so the encoder knows it less well and its lexical match is
the better evidence: the ranker learns how much better; the confidence keeps the off-topic
messages, which a catalog of 2,600 names always matches somewhere, rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("dense", "coverage", "precision", "bm25_relative", "dense_margin", "text_coverage", "bm25_margin",
            "dense_rank", "bm25_rank", "catalog_bm25")


def features(dense: float, coverage: float, precision: float, bm25_relative: float,
             dense_margin: float = 0.0, text_coverage: float = 0.0, bm25_margin: float = 0.0,
             dense_rank: float = 0.0, bm25_rank: float = 0.0, catalog: bool = False) -> np.ndarray:
    """The feature vector, in the order of ``FEATURES``; the ranks are reciprocal (1, 1/2,
    ..., 0 when the guide is not among the candidates of that side)."""
    return np.array([dense, coverage, precision, bm25_relative, dense_margin, text_coverage, bm25_margin,
                     dense_rank, bm25_rank, bm25_relative if catalog else 0.0], dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    bias: float

    def score(self, x: np.ndarray) -> float:
        z = float(np.dot(self.weights, x) + self.bias)
        return float(1.0 / (1.0 + np.exp(-z)))

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`score` of each row of a (candidates x features) matrix."""
        return 1.0 / (1.0 + np.exp(-(rows @ np.asarray(self.weights) + self.bias)))

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibration:
        stored: list[float] = data["weights"]  # type: ignore[assignment]
        weights = [float(w) for w in stored]
        # a model fitted before a feature was added gives it no weight
        weights += [0.0] * (len(FEATURES) - len(weights))
        return cls(tuple(weights), float(data["bias"]))  # type: ignore[arg-type]


# Used before fitting, and when there is too little data to fit (a handful of guides).
DEFAULT = Calibration(weights=(6.0, 4.0, 2.0, 1.0, 4.0, 1.0, 1.0, 0.5, 0.5, 0.0), bias=-8.0)


@dataclass(frozen=True)
class Fusion:
    """The confidence (every hit's score) and the ranker (which hit comes first)."""

    confidence: Calibration
    ranker: Calibration

    def to_json(self) -> dict[str, object]:
        return {"confidence": self.confidence.to_json(), "ranker": self.ranker.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Fusion:
        if "confidence" not in data:  # an index built before the ranker: one model for both
            single = Calibration.from_json(data)
            return cls(single, single)
        confidence = Calibration.from_json(data["confidence"])  # type: ignore[arg-type]
        return cls(confidence, Calibration.from_json(data["ranker"]))  # type: ignore[arg-type]


DEFAULT_FUSION = Fusion(DEFAULT, DEFAULT)


def _newton(data: np.ndarray, labels: np.ndarray, l2: float, iterations: int) -> np.ndarray:
    w = np.zeros(data.shape[1])
    reg = np.full(data.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(data @ w)))
        grad = data.T @ (p - labels) + reg * w
        hess = (data * (p * (1 - p))[:, None]).T @ data + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def fit(x: Sequence[np.ndarray], y: Sequence[int], l2: float = 1e-3, iterations: int = 50) -> Calibration:
    """L2-regularised logistic regression by Newton's method, with non-negative weights.

    Every feature is evidence for a match, so the score must not decrease when one grows:
    a feature whose fitted weight comes out negative (collinearity in the synthetic data)
    is dropped and the rest refitted.
    """
    labels = np.asarray(y, dtype=np.float64)
    if len(labels) < 10 or labels.min() == labels.max():
        return DEFAULT
    features = np.asarray(x, dtype=np.float64)
    active = list(range(features.shape[1]))
    while active:
        data = np.column_stack([features[:, active], np.ones(len(labels))])
        w = _newton(data, labels, l2, iterations)
        negative = [i for i, v in zip(active, w[:-1]) if v < 0]
        if not negative:
            weights = np.zeros(features.shape[1])
            weights[active] = w[:-1]
            return Calibration(tuple(float(v) for v in weights), float(w[-1]))
        active = [i for i in active if i not in negative]
    return DEFAULT
