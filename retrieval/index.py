"""The search index: passages, their vectors in FAISS, BM25, and the fused, calibrated score.

``build_index`` writes the artefacts to a folder; ``SearchIndex.load`` reads them back.
A search returns guides with a score in [0, 1] that means the same thing for every query:
the estimated probability that the guide answers it. Hits follow the fusion's ranker,
except that the confidence picks the first among guides of one tier (see
:mod:`retrieval.calibrate`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from guides.schema import Guide
from retrieval.calibrate import Fusion, features
from retrieval.encoder import InputForm, load_encoder, query_encoder
from retrieval.lexical import LexicalScorer, Query, query_tokens, read_query
from retrieval.passages import Passage
from retrieval.siblings import choose
from tthc_text import lexical_tokens, syllables

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
GUIDES = "guides.json"
ENTRIES = "entries.jsonl"  # the catalog tier's entries, whole (the curated guides are files)
PASSAGES = "passages.jsonl"
VECTORS = "vectors.npy"
FAISS_INDEX = "faiss.index"
MODEL_DIR = "model"
CALIBRATION = "calibration.json"
CURATED_DIR = "curated"  # with a catalog tier: the curated guides' own index

# A clear answer from the curated guides' own index stays first over the whole index's
# ranking when the whole index's ranker gives that guide at least CURATED_FLOOR and within
# CURATED_GAP of its own first (a catalog entry it clearly prefers still wins).
CURATED_LEAD = 0.5
CURATED_FLOOR = 0.1
CURATED_GAP = 0.3

NAME_KINDS = ("title", "alias")
# How many nearest passages FAISS returns per query, and lexical candidates per query.
DENSE_PASSAGES = 64
LEXICAL_GUIDES = 20


@dataclass(frozen=True)
class GuideRef:
    """What the index keeps about a guide (the full guide is loaded by the caller)."""

    code: str
    id: str
    title: str
    status: str
    tier: str = "curated"


@dataclass(frozen=True)
class Hit:
    code: str
    id: str
    title: str
    score: float
    dense: float
    name_coverage: float  # share of the query's IDF mass the guide's names (title, aliases) cover (0..1)
    name_precision: float = 0.0  # how fully the query covers the guide's best-covered name (0..1)
    tier: str = "curated"  # "curated" guide or "catalog" entry

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "id": self.id, "title": self.title, "score": round(self.score, 4),
                "tier": self.tier}


def top_two(values: Iterable[float]) -> tuple[float, float]:
    """The best and the second-best of some cosines (0.0 where there are fewer)."""
    best = sorted(values, reverse=True)[:2]
    return (best[0] if best else 0.0, best[1] if len(best) > 1 else 0.0)


def make_faiss_index(vectors: np.ndarray, exact_max: int):  # type: ignore[no-untyped-def]
    """Exact inner product up to ``exact_max`` vectors, HNSW (approximate) above."""
    import faiss  # noqa: PLC0415

    dim = vectors.shape[1]
    index: Any
    if len(vectors) <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    index.add(vectors)
    return index


class SearchIndex:
    """A loaded index: call :meth:`search`."""

    def __init__(
        self,
        guides: list[GuideRef],
        passages: list[Passage],
        vectors: np.ndarray,
        faiss_index,  # type: ignore[no-untyped-def]
        model,  # type: ignore[no-untyped-def]
        form: InputForm,
        calibration: Fusion,
        manifest: dict[str, object],
        curated: SearchIndex | None = None,
    ) -> None:
        self.guides = guides
        self.curated = curated
        self.passages = passages
        self.vectors = vectors
        self.faiss_index = faiss_index
        self.model = model
        self.form: InputForm = form
        self._encode = query_encoder(model, form)
        self.calibration = calibration
        self.manifest = manifest
        self.passage_guide = np.asarray([p.guide for p in passages], dtype=np.int64)
        order = np.argsort(self.passage_guide, kind="stable")
        self._by_guide = np.split(order, np.cumsum(np.bincount(self.passage_guide, minlength=len(guides)))[:-1])
        # The lexical side matches the names of procedures (titles and aliases): sample
        # questions share aspect words ("bao lâu", "ở đâu") that would match across guides.
        names = [p for p in passages if p.kind in NAME_KINDS]
        self.lexical = LexicalScorer([lexical_tokens(p.text) for p in names], [p.guide for p in names], len(guides))
        # ... and every passage (sample questions, summary), for how much of a long message
        # the guide's own words explain
        self.text = LexicalScorer([lexical_tokens(p.text) for p in passages], [p.guide for p in passages],
                                  len(guides))
        self.by_code = {g.code: i for i, g in enumerate(guides)}
        self._title_words = [frozenset(syllables(g.title)) for g in guides]  # for retrieval.siblings

    # -- loading -----------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path) -> SearchIndex:
        import faiss  # noqa: PLC0415

        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        guides = [GuideRef(**g) for g in json.loads((folder / GUIDES).read_text(encoding="utf-8"))]
        passages = [
            Passage(**json.loads(line))
            for line in (folder / PASSAGES).read_text(encoding="utf-8").splitlines()
            if line
        ]
        vectors = np.load(folder / VECTORS)
        faiss_index = faiss.read_index(str(folder / FAISS_INDEX))
        model_ref = str(manifest["model"])
        model = load_encoder(str(folder / MODEL_DIR) if model_ref == MODEL_DIR else model_ref)
        calibration = Fusion.from_json(json.loads((folder / CALIBRATION).read_text("utf-8")))
        curated = cls.load(folder / CURATED_DIR) if (folder / CURATED_DIR / MANIFEST).exists() else None
        return cls(guides, passages, vectors, faiss_index, model, manifest["input_form"], calibration, manifest,  # type: ignore[arg-type]
                   curated)

    # -- searching ---------------------------------------------------------------------
    def encode_query(self, query: str | Query) -> np.ndarray:
        return self._encode(read_query(query))

    def dense_scores(self, qvec: np.ndarray, guides: Sequence[int]) -> dict[int, float]:
        """Exact best cosine per guide over its passages."""
        return {
            g: float(np.max(self.vectors[self._by_guide[g]] @ qvec)) if len(self._by_guide[g]) else 0.0
            for g in guides
        }

    def nearest_guides(self, qvec: np.ndarray, k: int) -> dict[int, float]:
        """The guides of the nearest passages in FAISS, each at its best cosine."""
        n = min(len(self.passages), max(DENSE_PASSAGES, k * 8))
        dense: dict[int, float] = {}
        if n:
            sims, ids = self.faiss_index.search(qvec[None, :], n)
            for sim, pid in zip(sims[0], ids[0]):
                if pid >= 0:
                    dense.setdefault(int(self.passage_guide[pid]), float(sim))
        return dense

    def candidates(
        self, query: str | Query, k: int, extra: Sequence[int] = ()
    ) -> tuple[dict[int, float], dict[int, float], list[str]]:
        """Cosines of the dense side's and the lexical side's candidates (and of ``extra``
        guides), the lexical side's BM25 scores, and the query's lexical tokens."""
        query = read_query(query)
        qvec = self.encode_query(query)
        tokens = query.terms
        dense = self.nearest_guides(qvec, k)
        lexical = self.lexical.top_guides(tokens, max(LEXICAL_GUIDES, k))
        missing = [g for g in [*lexical, *extra] if g not in dense]
        dense.update(self.dense_scores(qvec, missing))
        return dense, lexical, tokens

    def candidate_features(self, query: str | Query, k: int, extra: Sequence[int] = ()) -> dict[int, np.ndarray]:
        """The calibration features of every candidate guide for ``query``."""
        dense, lexical, tokens = self.candidates(query, k, extra)
        best, second = top_two(dense.values())
        best_bm25, second_bm25 = top_two(lexical.values())
        dense_rank = {g: i for i, g in enumerate(sorted(dense, key=lambda g: -dense[g]))}
        bm25_rank = {g: i for i, g in enumerate(sorted(lexical, key=lambda g: -lexical[g]))}
        guides = list(dense)
        name_weights = self.lexical.query_weights(tokens)
        coverage = self.lexical.coverages(name_weights, guides)
        precision = self.lexical.precisions(name_weights, guides)
        text_coverage = self.text.coverages(self.text.query_weights(tokens), guides)
        rows = {}
        for i, (g, cosine) in enumerate(dense.items()):
            own = lexical.get(g, 0.0)
            others = second_bm25 if g in lexical and own >= best_bm25 else best_bm25  # the best other guide's
            rows[g] = features(
                cosine,
                coverage[i],
                precision[i],
                own / best_bm25 if best_bm25 > 0 else 0.0,
                cosine - (second if cosine >= best else best),
                text_coverage[i],
                (own - others) / best_bm25 if best_bm25 > 0 else 0.0,
                1.0 / (1 + dense_rank[g]),
                1.0 / (1 + bm25_rank[g]) if g in bm25_rank else 0.0,
                self.guides[g].tier == "catalog",
            )
        return rows

    def name_precision(self, code: str, text: str) -> float:
        """How fully ``text`` covers the best-covered name (title, alias) of guide ``code``."""
        position = self.by_code.get(code)
        return 0.0 if position is None else self.lexical.precision(query_tokens(text), position)

    def search(self, query: str | Query, k: int = 5) -> list[Hit]:
        """Guides in the ranker's order, except that the confidence picks the first among
        guides of one tier; each score is the confidence, capped at the hits' before it.

        With a curated index beside (a catalog tier), a guide that index is sure of
        (:data:`CURATED_LEAD`) comes first with that index's score, unless the whole
        index's ranker clearly prefers something else; the rest follow the whole index."""
        query = read_query(query)
        if not query.text.strip() or not self.guides:
            return []
        lead = self._curated_lead(query, k)
        rows = self.candidate_features(query, k, () if lead is None else (self.by_code[lead.code],))
        if not rows:
            return []
        matrix = np.stack(list(rows.values()))
        rank = dict(zip(rows, self.calibration.ranker.scores(matrix).tolist()))
        hits = self._ranked(rows, matrix, rank, k)
        if lead is not None and (hits[0].code == lead.code or self._ranker_allows(rank, lead.code)):
            hits = [lead, *(replace(h, score=min(h.score, lead.score)) for h in hits if h.code != lead.code)][:k]
        return self._siblings(query, hits)

    def _siblings(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """The hits with the sibling the query means first (:mod:`retrieval.siblings`)."""
        at = self.by_code
        # a name's content syllables, from the name scorer's passages (aspect and filler words
        # already left out); a guide's whole vocabulary from the text scorer's
        return choose(hits, title_words=lambda code: self._title_words[at[code]],
                      names=lambda code: [frozenset(t for t in content if "_" not in t)
                                          for content, _ in self.lexical.guide_passages[at[code]]],
                      text_words=lambda code: self.text.guide_vocab[at[code]],
                      words=frozenset(t for t in query.terms if "_" not in t))

    def _curated_lead(self, query: Query, k: int) -> Hit | None:
        if self.curated is None:
            return None
        hits = self.curated.search(query, k)
        if not hits or hits[0].score < CURATED_LEAD or hits[0].code not in self.by_code:
            return None
        return hits[0]

    def _ranker_allows(self, rank: dict[int, float], code: str) -> bool:
        own = rank.get(self.by_code[code], 0.0)
        return own >= CURATED_FLOOR and max(rank.values()) - own < CURATED_GAP

    def _ranked(self, rows: dict[int, np.ndarray], matrix: np.ndarray, rank: dict[int, float], k: int) -> list[Hit]:
        """``matrix``: the rows of ``rows`` stacked, in its order."""
        confidence = dict(zip(rows, self.calibration.confidence.scores(matrix).tolist()))
        order = sorted(rows, key=lambda g: (-rank[g], -rows[g][0]))
        first = max(rows, key=lambda g: (confidence[g], rows[g][0]))
        if self.guides[first].tier == self.guides[order[0]].tier:
            # the ranker decides between a curated guide and a catalog entry, not within a tier
            order.remove(first)
            order.insert(0, first)
        hits = []
        cap = 1.0
        for g in order[:k]:
            ref, x = self.guides[g], rows[g]
            cap = min(cap, confidence[g])
            hits.append(Hit(ref.code, ref.id, ref.title, cap, float(x[0]), float(x[1]), float(x[2]), ref.tier))
        return hits


def load_entries(folder: Path) -> list[Guide]:
    """The catalog entries an index was built with (none for an older or curated-only one)."""
    path = folder / ENTRIES
    if not path.exists():
        return []
    return [Guide.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def save_index(
    folder: Path,
    guides: Sequence[Guide],
    passages: Sequence[Passage],
    vectors: np.ndarray,
    faiss_index,  # type: ignore[no-untyped-def]
    calibration: Fusion,
    manifest: dict[str, object],
) -> None:
    """Write every artefact; the manifest last, so a reader never sees a half-written index."""
    import faiss  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    refs = [asdict(GuideRef(g.code, g.id, g.title, g.status.value, g.tier)) for g in guides]
    (folder / GUIDES).write_text(json.dumps(refs, ensure_ascii=False), encoding="utf-8")
    (folder / ENTRIES).write_text("".join(g.model_dump_json() + "\n" for g in guides if g.is_catalog),
                                  encoding="utf-8")
    (folder / PASSAGES).write_text(
        "".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in passages), encoding="utf-8"
    )
    np.save(folder / VECTORS, vectors)
    faiss.write_index(faiss_index, str(folder / FAISS_INDEX))
    (folder / CALIBRATION).write_text(json.dumps(calibration.to_json()), encoding="utf-8")
    manifest = {**manifest, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(folder / MANIFEST)
