"""The lexical side: BM25 (bm25s) over folded syllables and syllable pairs, and an
IDF-weighted coverage of the query that is comparable across queries (0..1).

Sums of IDF weights are taken with ``math.fsum``: the tokens are sets, whose order changes
with Python's hash seed, and a plain sum's last bit with it (a name the query covers whole
gave 1.0000000000000002 in some processes); correctly rounded sums are the same in all."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tthc_text import lexical_tokens

# Tokens that ask about an aspect or are chat filler: they never name a procedure. Folded
# forms that are ambiguous after folding (can = cần/căn, the = thế/thẻ, ho = hồ/hộ) are
# only listed as pairs.
STOP_TOKENS = frozenset(
    """gi la thi co khong duoc nao nhu toi em anh minh a cho hoi muon va voi cua o de ra sao
    vay nhe oi ah nhi u ak ban giup nhung cac nhieu bi roi nua di phai ma neu khi lau xong tren
    giay_to ho_so le_phi bao_nhieu bao_lau o_dau thu_tuc nhu_the the_nao can_gi can_nhung
    nhung_gi lam_sao lam_gi gi_a bao_gio cho_toi toi_hoi cho_hoi hoi_ve muon_lam lam_the
    mat_bao mat_phi nop_o nop_ho ra_sao duoc_khong co_duoc khong_a vay_a""".split()
)


@dataclass(frozen=True)
class Query:
    """A searched text, normalised once: the encoder and the lexical side of both indexes
    (curated and whole) read the same tokens."""

    text: str
    words: tuple[str, ...]  # folded syllables and adjacent-syllable pairs (lexical_tokens)

    @property
    def terms(self) -> list[str]:
        """The words without aspect and filler words: what the lexical side matches."""
        return [t for t in self.words if t not in STOP_TOKENS]


def read_query(text: str | Query) -> Query:
    """``text`` read as a :class:`Query` (a query already read is returned as it is)."""
    return text if isinstance(text, Query) else Query(text, tuple(lexical_tokens(text)))


def query_tokens(text: str) -> list[str]:
    """Lexical tokens of a text, aspect and filler words removed."""
    return read_query(text).terms


class LexicalScorer:
    """BM25 over passages plus IDF coverage over each guide's vocabulary."""

    def __init__(
        self, passage_tokens: Sequence[Sequence[str]], passage_guide: Sequence[int], n_guides: int | None = None
    ) -> None:
        import bm25s  # noqa: PLC0415

        self.passage_guide = np.asarray(passage_guide, dtype=np.int64)
        inferred = int(self.passage_guide.max()) + 1 if len(self.passage_guide) else 0
        self.n_guides = max(inferred, n_guides or 0)
        self.bm25 = bm25s.BM25()
        self.bm25.index([list(t) or ["<empty>"] for t in passage_tokens], show_progress=False)
        df: Counter[str] = Counter()
        guide_vocab: list[set[str]] = [set() for _ in range(self.n_guides)]
        for tokens, guide in zip(passage_tokens, passage_guide):
            guide_vocab[guide].update(tokens)
        for vocab in guide_vocab:
            df.update(vocab)
        n = max(self.n_guides, 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.unknown_idf = math.log(1 + n)
        self.guide_vocab = guide_vocab
        # each guide's passages without aspect words, with their IDF mass, for :meth:`precision`
        self.guide_passages: list[list[tuple[frozenset[str], float]]] = [[] for _ in range(self.n_guides)]
        for tokens, guide in zip(passage_tokens, passage_guide):
            content = frozenset(t for t in tokens if t not in STOP_TOKENS)
            total = math.fsum(self.weight(t) for t in content)
            if total > 0:
                self.guide_passages[guide].append((content, total))

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.unknown_idf)

    def query_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """The IDF weight of each distinct query token (computed once per query)."""
        return {t: self.weight(t) for t in set(tokens)}

    def coverage(self, tokens: Sequence[str], guide: int) -> float:
        """Share of the query's IDF mass found in the guide's passages (0..1)."""
        return self.coverages(self.query_weights(tokens), [guide])[0]

    def coverages(self, weights: dict[str, float], guides: Sequence[int]) -> list[float]:
        """:meth:`coverage` of each guide, from the query's :meth:`query_weights`."""
        total = math.fsum(weights.values())
        if total == 0:
            return [0.0] * len(guides)
        terms = frozenset(weights)
        # the shared terms by one set intersection each, not a Python test per query term
        return [math.fsum(weights[t] for t in terms & self.guide_vocab[g]) / total for g in guides]

    def precision(self, tokens: Sequence[str], guide: int) -> float:
        """How fully the query covers the guide's best-covered passage (0..1).

        "đăng ký kết hôn" covers the title "Đăng ký kết hôn" fully but not "Đăng ký lại kết
        hôn": this keeps a sibling procedure with an extra distinguishing word below.
        """
        return self.precisions(self.query_weights(tokens), [guide])[0]

    def precisions(self, weights: dict[str, float], guides: Sequence[int]) -> list[float]:
        """:meth:`precision` of each guide, from the query's :meth:`query_weights`."""
        query = frozenset(weights)
        out = []
        for guide in guides:
            best = 0.0
            for passage, total in self.guide_passages[guide]:
                if not query.isdisjoint(passage):
                    best = max(best, math.fsum(weights[t] for t in passage & query) / total)
            out.append(best)
        return out

    def top_guides(self, tokens: Sequence[str], k: int) -> dict[int, float]:
        """Best BM25 score per guide among the top passages."""
        if not tokens or not len(self.passage_guide):
            return {}
        scores = self.bm25.get_scores(list(tokens))
        negative = -scores
        n = min(len(scores), k * 8)
        # the n best passages, best first (ties in passage order), without bm25s's thread pool
        top = np.argpartition(negative, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, negative[top]))]
        best: dict[int, float] = {}
        for doc, score in zip(top, scores[top]):
            if score <= 0:
                continue
            guide = int(self.passage_guide[int(doc)])
            if float(score) > best.get(guide, 0.0):
                best[guide] = float(score)
            if len(best) >= k:
                break
        return best
