"""The baselines the fused ranker is compared against, on the same index: BM25 alone over
the procedure names (accent-folded syllables and pairs), and the encoder alone (cosine),
each without the other and without the calibration."""

from __future__ import annotations

from retrieval.index import Hit, SearchIndex
from retrieval.lexical import query_tokens


class Bm25Baseline:
    """``search()`` like :class:`SearchIndex`, ranked by BM25 alone (score = BM25 / best)."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def search(self, query: str, k: int = 5) -> list[Hit]:
        scores = self.index.lexical.top_guides(query_tokens(query), k)
        best = max(scores.values(), default=0.0)
        ranked = sorted(scores.items(), key=lambda item: -item[1])[:k]
        return [
            Hit(self.index.guides[g].code, self.index.guides[g].id, self.index.guides[g].title, s / best, 0.0, 0.0,
                0.0, self.index.guides[g].tier)
            for g, s in ranked
        ]


class DenseBaseline:
    """``search()`` like :class:`SearchIndex`, ranked by the encoder alone: the best cosine
    between the query and each guide's passages (score = that cosine, clipped to [0, 1])."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def search(self, query: str, k: int = 5) -> list[Hit]:
        if not query.strip() or not self.index.guides:
            return []
        best = self.index.nearest_guides(self.index.encode_query(query), k)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
        refs = self.index.guides
        return [Hit(refs[g].code, refs[g].id, refs[g].title, min(1.0, max(0.0, s)), s, 0.0, 0.0, refs[g].tier)
                for g, s in ranked]
