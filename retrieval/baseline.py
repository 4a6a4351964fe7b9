"""The BM25-only baseline the README compares against: BM25 over the same index's
procedure names (accent-folded syllables and pairs), without the encoder or calibration."""

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
            Hit(self.index.guides[g].code, self.index.guides[g].id, self.index.guides[g].title, s / best, 0.0, 0.0)
            for g, s in ranked
        ]
