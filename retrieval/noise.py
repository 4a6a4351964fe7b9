"""Personal context mixed into synthesised questions at build time.

Citizens write "bố tôi vừa mất hôm qua ở nhà, gia đình cần làm khai tử thế nào ạ", not
"khai tử". Training the encoder and fitting the score only on clean names and aspect
phrases taught them that every extra word is evidence against a match: such messages got
low scores although their procedure ranked first. Wrapping some synthesised questions in
context (people, situations, places, openers: ``retrieval/data/context.yml``) teaches both
that these words name no procedure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

CONTEXT_FILE = Path(__file__).parent / "data" / "context.yml"
PLACES_FILE = "places_lookup.yml"
# Share of synthesised questions given some context.
CONTEXT_RATE = 0.35


@dataclass(frozen=True)
class ContextNoise:
    people: tuple[str, ...]
    situations: tuple[str, ...]
    places: tuple[str, ...]
    place_names: tuple[str, ...]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    askers: tuple[str, ...] = ()  # how a formal question starts: "Xin hỏi, công ty tôi muốn"

    def wrap(self, text: str, rng: random.Random) -> str:
        """``text`` with one to three pieces of context around it."""
        before: list[str] = []
        after: list[str] = []
        if self.people and rng.random() < 0.6:
            who = rng.choice(self.people)
            if self.situations and rng.random() < 0.7:
                who += " " + rng.choice(self.situations)
            before.append(who + ",")
        if self.places and self.place_names and rng.random() < 0.4:
            place = rng.choice(self.places).replace("{place}", rng.choice(self.place_names))
            (before if rng.random() < 0.6 else after).append(place)
        if self.openers and rng.random() < 0.3:
            before.insert(0, rng.choice(self.openers))
        if self.closers and rng.random() < 0.3:
            after.append(rng.choice(self.closers))
        if not before and not after and self.situations:
            before.append(rng.choice(self.situations) + ",")
        return " ".join([*before, text, *after])


def _place_names(nlu_dir: Path | None) -> tuple[str, ...]:
    if nlu_dir is None or not (nlu_dir / PLACES_FILE).exists():
        return ()
    data = yaml.safe_load((nlu_dir / PLACES_FILE).read_text(encoding="utf-8")) or {}
    names: list[str] = []
    for item in data.get("nlu") or []:
        examples = item.get("examples") if isinstance(item, dict) else None
        if isinstance(examples, str):
            names += [line.strip().removeprefix("- ").strip() for line in examples.splitlines() if line.strip()]
    return tuple(sorted(set(n for n in names if n)))


def load_noise(nlu_dir: Path | None, path: Path = CONTEXT_FILE) -> ContextNoise:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pick = lambda key: tuple(str(v) for v in data.get(key) or [])  # noqa: E731
    return ContextNoise(pick("people"), pick("situations"), pick("places"), _place_names(nlu_dir),
                        pick("openers"), pick("closers"), pick("askers"))


def maybe_wrap(text: str, rng: random.Random, noise: ContextNoise | None) -> str:
    """Give ``text`` context at ``CONTEXT_RATE`` (deterministic for a seeded ``rng``)."""
    if noise is None or rng.random() >= CONTEXT_RATE:
        return text
    return noise.wrap(text, rng)
