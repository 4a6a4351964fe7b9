"""What the actions know: the guides and the search index, swapped in when they change.

``Knowledge.current()`` returns the loaded state; it checks (at most once every few
seconds) whether the index manifest was rewritten, by a rebuild or a clerk's publish, and
then loads the new artefacts and guides in the background of that call, replacing the
old ones atomically. A failed reload keeps the previous state.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from guides.loader import load_guides
from guides.schema import Guide
from retrieval.index import MANIFEST, Hit, SearchIndex, load_entries
from retrieval.lexical import query_tokens
from tthc_settings import Settings
from tthc_text import lexical_tokens

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 2.0


@dataclass(frozen=True)
class KnowledgeState:
    index: SearchIndex
    guides: dict[str, Guide]  # by code: published curated guides (drafts if indexed), then catalog entries
    manifest_mtime: float

    def search(self, text: str, k: int = 5) -> list[Hit]:
        return [h for h in self.index.search(text, k=k) if h.code in self.guides]

    @cached_property
    def _tokens(self) -> dict[str, frozenset[str]]:
        """Each guide's lexical tokens: folded syllables and syllable pairs of its text."""
        tokens = {}
        for code, guide in self.guides.items():
            # (a catalog entry's steps are long portal prose: its other fields say what it is about)
            parts = [guide.title, *guide.aliases, guide.summary or "", guide.who, guide.agency, guide.result,
                     *guide.conditions, *([] if guide.is_catalog else guide.steps), *guide.sample_questions,
                     guide.field]
            parts += [f"{d.name} {d.note or ''}" for d in guide.documents]
            tokens[code] = frozenset(lexical_tokens(" . ".join(parts)))
        return tokens

    def naming(self, code: str, current: str, text: str) -> tuple[float, float]:
        """How ``text`` names procedure ``code`` rather than ``current``: the IDF weight of
        its tokens that are in code's names (titles, aliases) but nowhere in current's
        guide, and the share of code's best-covered name it says (0..1)."""
        position = self.index.by_code.get(code)
        if position is None:
            return 0.0, 0.0
        lexical = self.index.lexical
        tokens = set(query_tokens(text))
        novel = (tokens & lexical.guide_vocab[position]) - self._tokens.get(current, frozenset())
        return sum(lexical.weight(t) for t in novel), lexical.precision(list(tokens), position)

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(self.guides)

    @cached_property
    def titles(self) -> dict[str, str]:
        return {code: guide.title for code, guide in self.guides.items()}

    @cached_property
    def levels(self) -> dict[str, tuple[str, ...]]:
        return {code: tuple(level.value for level in guide.level) for code, guide in self.guides.items()}

    @cached_property
    def related(self) -> dict[str, frozenset[str]]:
        """The guides each guide lists as related, and those that list it (either way round)."""
        out: dict[str, set[str]] = {code: set() for code in self.guides}
        for code, guide in self.guides.items():
            for other in guide.related:
                if other in out and other != code:
                    out[code].add(other)
                    out[other].add(code)
        return {code: frozenset(codes) for code, codes in out.items()}

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every folded word the curated guides use (computed once per loaded state).

        What tells a follow-up about the conversation's procedure ("bao lâu") from an aside
        ("thời tiết thế nào"): 2,500 catalog records use nearly every word ("chi tiết", "tạm
        thời"), so theirs would make no message foreign."""
        return frozenset(t for code, tokens in self._tokens.items() if not self.guides[code].is_catalog
                         for t in tokens if "_" not in t)


class Knowledge:
    """Thread-safe holder of the current :class:`KnowledgeState`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._state: KnowledgeState | None = None
        self._lock = threading.Lock()
        self._last_check = 0.0

    @property
    def manifest_path(self) -> Path:
        return self.settings.index_dir / MANIFEST

    def _load(self) -> KnowledgeState:
        mtime = self.manifest_path.stat().st_mtime
        index = SearchIndex.load(self.settings.index_dir)
        loaded = load_guides(self.settings.procedures_dir)
        built_with: dict[str, object] = index.manifest.get("settings") or {}  # type: ignore[assignment]
        include_drafts = bool(built_with.get("include_drafts"))
        guides = {g.code: g for g in loaded.guides if g.is_published or include_drafts}
        catalog = 0
        for entry in load_entries(self.settings.index_dir):  # a curated guide always wins
            if entry.code not in guides:
                guides[entry.code] = entry
                catalog += 1
        logger.info("knowledge loaded: %d curated guides, %d catalog entries, index built %s",
                    len(guides) - catalog, catalog, index.manifest.get("built_at"))
        return KnowledgeState(index, guides, mtime)

    def current(self) -> KnowledgeState:
        """The loaded state, reloaded first if the index changed on disk."""
        now = time.monotonic()
        state = self._state
        if state is not None and now - self._last_check < CHECK_EVERY_SECONDS:
            return state
        with self._lock:
            self._last_check = now
            try:
                mtime = self.manifest_path.stat().st_mtime
            except OSError:
                mtime = None
            if self._state is None or (mtime is not None and mtime != self._state.manifest_mtime):
                try:
                    self._state = self._load()
                except Exception:
                    if self._state is None:
                        raise
                    logger.exception("reloading the index failed; keeping the previous one")
            return self._state
