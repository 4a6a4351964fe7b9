"""Building the index artefacts from the guides: ``build_index`` and its fingerprint.

The fingerprint covers the guide files, the training texts and the settings that shape
the artefacts, so an unchanged project is not rebuilt and a changed one always is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import random
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

import tthc_text
from guides.aspects import NOT_ABOUT_A_PROCEDURE
from guides.catalog.entries import catalog_entries
from guides.catalog.records import catalog_files
from guides.loader import guide_files, load_guides
from guides.schema import Guide
from retrieval import calibrate
from retrieval.encoder import (
    augment,
    encode,
    load_encoder,
    model_input_form,
    train_static_encoder,
    training_pairs,
)
from retrieval.index import (
    CURATED_DIR,
    MANIFEST,
    MODEL_DIR,
    GuideRef,
    SearchIndex,
    make_faiss_index,
    save_index,
)
from retrieval.noise import CONTEXT_FILE, ContextNoise, load_noise, maybe_wrap
from retrieval.passages import Passage, guide_document, guide_passages

logger = logging.getLogger(__name__)

BUILD_VERSION = "6"  # bump when the artefact format or the build logic changes
OFFTOPIC_FILE = Path(__file__).parent / "data" / "offtopic.yml"
MIN_RICH_GUIDES = 20
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class BuildOptions:
    procedures_dir: Path
    out_dir: Path
    include_drafts: bool = False
    embedding_model: str | None = None  # None: train the project's own model
    embedding_dim: int = 256
    embedding_epochs: int = 6
    embedding_vocab_size: int = 12000
    exact_index_max: int = 50_000
    nlu_dir: Path | None = None
    # Folders of published guides that teach the encoder (their aliases and sample
    # questions) without being indexed, e.g. the curated guides when indexing the catalog.
    train_dirs: tuple[Path, ...] = ()
    # The national catalog (one JSON record per procedure): every record without a curated
    # guide is indexed as an entry of the catalog tier. None: the curated guides alone.
    catalog_dir: Path | None = None

    def settings_key(self) -> dict[str, object]:
        return {
            "include_drafts": self.include_drafts,
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "embedding_epochs": self.embedding_epochs,
            "embedding_vocab_size": self.embedding_vocab_size,
            "exact_index_max": self.exact_index_max,
            "train_dirs": [str(p) for p in self.train_dirs],
            "catalog": bool(self.catalog_dir),
            "build_version": BUILD_VERSION,
        }


def _nlu_files(nlu_dir: Path | None) -> list[Path]:
    if nlu_dir is None or not nlu_dir.is_dir():
        return []
    return sorted(p for p in nlu_dir.rglob("*") if p.suffix in (".yml", ".yaml"))


def fingerprint(options: BuildOptions) -> str:
    """SHA-256 over guide files, calibration texts and artefact-shaping settings."""
    digest = hashlib.sha256()
    digest.update(json.dumps(options.settings_key(), sort_keys=True).encode())
    roots = [options.procedures_dir, *options.train_dirs]
    files = [f for root in roots if root.exists() for f in guide_files(root)]
    # The text normalisation (shorthand table, folding) shapes every token the index holds.
    text_code = sorted(Path(tthc_text.__file__).parent.glob("*.py"))
    catalog = catalog_files(options.catalog_dir) if options.catalog_dir and options.catalog_dir.is_dir() else []
    for path in [*files, *_nlu_files(options.nlu_dir), OFFTOPIC_FILE, CONTEXT_FILE, *text_code, *catalog]:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_stale(options: BuildOptions) -> bool:
    manifest = options.out_dir / MANIFEST
    if not manifest.exists():
        return True
    try:
        stored = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        return True
    return stored != fingerprint(options)


def offtopic_texts(nlu_dir: Path | None) -> list[str]:
    """Messages no guide answers: the built-in list plus off-topic NLU examples."""
    texts = list(yaml.safe_load(OFFTOPIC_FILE.read_text(encoding="utf-8")))
    for path in _nlu_files(nlu_dir):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for item in data.get("nlu") or []:
            if item.get("intent") in NOT_ABOUT_A_PROCEDURE and isinstance(item.get("examples"), str):
                for line in item["examples"].splitlines():
                    line = line.strip().removeprefix("- ").strip()
                    if line:
                        texts.append(_ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line))
    return texts


def select_guides(options: BuildOptions) -> list[Guide]:
    """The curated guides to index, then the catalog's entries whose code has none."""
    loaded = load_guides(options.procedures_dir)
    for problem in loaded.problems:
        logger.warning("guide skipped: %s", problem)
    curated = [g for g in loaded.guides if g.is_published or options.include_drafts]
    if options.catalog_dir is None:
        return curated
    if not options.catalog_dir.is_dir():
        logger.warning("catalog folder %s not found: indexing the curated guides alone", options.catalog_dir)
        return curated
    by_code = {g.code: i for i, g in enumerate(curated)}
    entries = []
    for entry in catalog_entries(options.catalog_dir):
        position = by_code.get(entry.code)
        if position is None:
            entries.append(entry)
        elif entry.title.casefold() != curated[position].title.casefold():
            # the curated guide is found by the catalog's official title too
            guide = curated[position]
            curated[position] = guide.model_copy(update={"aliases": [*guide.aliases, entry.title]})
    return curated + entries


_TITLE_LEAD = re.compile(r"^thủ tục\s+", re.IGNORECASE)
_TITLE_LEVEL = re.compile(r"\s*\((?:thực hiện )?(?:tại |ở )?cấp [^)]*\)\s*$", re.IGNORECASE)


def short_title(title: str) -> str:
    """"Thủ tục đăng ký khai sinh (thực hiện tại cấp xã)" -> "đăng ký khai sinh"."""
    return _TITLE_LEVEL.sub("", _TITLE_LEAD.sub("", title)).strip()


def _anchor_texts(guide: Guide) -> list[str]:
    short = short_title(guide.title)
    names = [guide.title] + ([short] if short and short != guide.title else [])
    return [*names, *guide.aliases, *guide.sample_questions]


FIELD_DOCUMENTS = 3  # document names of a catalog entry that teach the encoder, with its result
FIELD_WORDS = 14  # each cut to its first words


def field_training_data(guides: list[Guide]) -> list[tuple[str, list[str]]]:
    """(document, texts) per catalog entry: the names of its first documents and its result.

    A formal question names what a procedure is about in other words than its title ("sà lan
    đóng mới" for "đăng ký phương tiện thủy nội địa lần đầu"); the record's documents and
    result use those words ("hợp đồng đóng mới phương tiện").
    """
    data = []
    for guide in guides:
        if not guide.is_catalog:
            continue
        texts = [d.name for d in guide.documents[:FIELD_DOCUMENTS]] + ([guide.result] if guide.result else [])
        texts = [" ".join(t.split()[:FIELD_WORDS]) for t in texts if len(t.split()) >= 3]
        if texts:
            data.append((guide_document(guide), texts))
    return data


def encoder_training_data(guides: list[Guide], options: BuildOptions) -> dict[str, tuple[str, list[str]]]:
    """(document, anchors) per indexed guide, enriched by the training-only guides.

    A training-only guide with the same code as an indexed one adds its aliases and
    sample questions to that guide's anchors, so colloquial names ("làm sổ đỏ") are
    learnt against the indexed text (e.g. the catalog's official title).
    """
    anchors: dict[str, list[str]] = {g.code: _anchor_texts(g) for g in guides}
    documents: dict[str, str] = {g.code: guide_document(g) for g in guides}
    indexed_paths = {options.procedures_dir.resolve()}
    for root in options.train_dirs:
        if root.resolve() in indexed_paths or not root.exists():
            continue
        for guide in load_guides(root).published():
            anchors.setdefault(guide.code, []).extend(_anchor_texts(guide))
            documents.setdefault(guide.code, guide_document(guide))
    return {code: (documents[code], texts) for code, texts in anchors.items()}


def citizen_questions(
    index: SearchIndex, anchors: dict[str, list[str]], offtopic: list[str], seed: int = 29,
    noise: ContextNoise | None = None,
) -> list[tuple[str, int | None]]:
    """Synthesised in-scope questions and off-topic messages, with the guide that answers each.

    In-scope questions are noisy variants of each indexed guide's anchor texts (titles,
    aliases, sample questions, including those of training-only guides), answered by that
    guide; off-topic messages are answered by nothing.
    """
    rng = random.Random(seed)
    queries: list[tuple[str, int | None]] = []
    # Citizens ask in their own words: calibrate on guides that have some (aliases, sample
    # questions), not on bare catalog titles, which the lexical side matches trivially.
    rich = {code: texts for code, texts in anchors.items()
            if len(texts) > 1 and code in index.by_code and index.guides[index.by_code[code]].tier != "catalog"}
    if len(rich) >= MIN_RICH_GUIDES:
        anchors = rich
    per_guide = max(1, min(8, 3000 // max(1, len(anchors))))
    for code, texts in anchors.items():
        position = index.by_code.get(code)
        if position is None or not texts:
            continue
        for _ in range(per_guide):
            queries.append((maybe_wrap(augment(rng.choice(texts), rng), rng, noise), position))
    queries += [(text, None) for text in offtopic]
    if noise is not None:  # off-topic messages with context are still off-topic
        queries += [(noise.wrap(text, rng), None) for text in offtopic]
    # the larger the index, the more an off-topic message finds something close: weigh them so
    # that they are at least a fifth of the examples
    while noise is not None and 5 * sum(answer is None for _, answer in queries) < len(queries):
        queries += [(noise.wrap(augment(text, rng), rng), None) for text in offtopic]
    return queries


CATALOG_DROP = 0.35  # share of a catalog name's words a formal question leaves out or rewords


def formal_questions(index: SearchIndex, guides: list[Guide], seed: int = 31,
                     noise: ContextNoise | None = None) -> list[tuple[str, int]]:
    """With a catalog tier, one formal question per indexed guide (curated too, so that the
    ranker learns no preference for a tier), from its name: some words left out (as a
    paraphrase does), an aspect phrase, sometimes an asker ("công ty tôi ..."). None without."""
    rng = random.Random(seed)
    queries: list[tuple[str, int]] = []
    if not any(guide.is_catalog for guide in guides):
        return queries
    for guide in guides:
        if guide.code not in index.by_code:
            continue
        words = short_title(guide.title).split()
        if len(words) > 3:
            words = [w for w in words if rng.random() > CATALOG_DROP] or words
        text = augment(" ".join(words), rng)
        if noise is not None and noise.askers and rng.random() < 0.5:
            text = f"{rng.choice(noise.askers)} {text}"
        queries.append((text, index.by_code[guide.code]))
    return queries


def labelled_features(index: SearchIndex, queries: list[tuple[str, int | None]]) -> tuple[list[np.ndarray], list[int]]:
    """Features and labels of each query's four best dense candidates and its answer."""
    x: list[np.ndarray] = []
    y: list[int] = []
    for query, answer in queries:
        rows = index.candidate_features(query, 5, () if answer is None else (answer,))
        ranked = sorted(rows, key=lambda g: -rows[g][0])[:4]
        if answer is not None and answer not in ranked:
            ranked.append(answer)
        for g in ranked:
            x.append(rows[g])
            y.append(int(g == answer))
    return x, y


def fit_fusion(index: SearchIndex, guides: list[Guide], anchors: dict[str, list[str]], offtopic: list[str],
               noise: ContextNoise | None = None) -> tuple[calibrate.Fusion, int]:
    """The confidence on citizen-like questions; the ranker on those plus the catalog's
    formal ones (the same model when there is no catalog tier). Returns it and the number
    of labelled pairs."""
    x, y = labelled_features(index, citizen_questions(index, anchors, offtopic, noise=noise))
    confidence = calibrate.fit(x, y)
    formal = formal_questions(index, guides, noise=noise)
    if not formal:
        return calibrate.Fusion(confidence, confidence), len(y)
    fx, fy = labelled_features(index, list(formal))
    return calibrate.Fusion(confidence, calibrate.fit(x + fx, y + fy)), len(y) + len(fy)


def build_index(options: BuildOptions, progress: Callable[[str], None] = logger.info) -> dict[str, object]:
    """Build every artefact from the guides under ``options.procedures_dir``; returns the manifest."""
    return build_from_guides(select_guides(options), options, progress)


def _build_curated(guides: list[Guide], options: BuildOptions) -> dict[str, object]:
    """The curated guides' own index (run in a process of its own, beside the whole one)."""
    import torch  # noqa: PLC0415

    torch.set_num_threads(1)  # the whole index trains on the other core
    return build_from_guides(guides, options, progress=lambda _message: None)


def build_from_guides(
    guides: list[Guide], options: BuildOptions, progress: Callable[[str], None] = logger.info
) -> dict[str, object]:
    """Build every artefact for ``guides`` into ``options.out_dir``; returns the manifest.

    With catalog entries among them, the curated guides alone are indexed too, into the
    ``curated`` sub-folder and in a second process while the whole index is built: an encoder
    and a calibration learnt on the curated guides alone know them better than those learnt
    over 2,600 entries, and the search uses them to keep a clear curated answer first (see
    :meth:`retrieval.index.SearchIndex.search`)."""
    started = time.perf_counter()
    if not guides:
        raise ValueError(f"no guides to index under {options.procedures_dir}")
    sub_folder = options.out_dir / CURATED_DIR
    if sub_folder.exists():
        shutil.rmtree(sub_folder)
    curated = [g for g in guides if not g.is_catalog]
    if not curated or len(curated) == len(guides):
        return _build_artefacts(guides, options, progress, started)
    progress(f"indexing the {len(curated)} curated guides alone, in a second process")
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving it on an error stops the process
        pending = pool.apply_async(_build_curated, (curated, replace(options, out_dir=sub_folder, catalog_dir=None)))
        manifest = _build_artefacts(guides, options, progress, started, pending.get)
        pool.close()
        pool.join()
    return manifest


def _build_artefacts(
    guides: list[Guide], options: BuildOptions, progress: Callable[[str], None], started: float,
    curated_manifest: Callable[[], dict[str, object]] | None = None,
) -> dict[str, object]:
    """The artefacts of one index; ``curated_manifest`` waits for the curated guides' own."""
    progress(f"{len(guides)} guides to index")
    passages: list[Passage] = [p for i, g in enumerate(guides) for p in guide_passages(g, i)]
    offtopic = offtopic_texts(options.nlu_dir)
    training = encoder_training_data(guides, options)
    noise = load_noise(options.nlu_dir)

    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if options.embedding_model:
        progress(f"loading the pretrained encoder {options.embedding_model}")
        model = load_encoder(options.embedding_model)
        form = model_input_form(options.embedding_model)
        model_ref = options.embedding_model
    else:
        progress("training the project's embedding model")
        anchors, positives = training_pairs(list(training.values()), noise=noise)
        # the catalog's fields with one noisy variant each (no context: they are not questions)
        field_anchors, field_positives = training_pairs(field_training_data(guides), seed=17, variants=1)
        anchors += field_anchors
        positives += field_positives
        corpus: Iterable[str] = [p.text for p in passages] + [guide_document(g) for g in guides] + offtopic
        model = train_static_encoder(
            corpus,
            anchors,
            positives,
            out / MODEL_DIR,
            dim=options.embedding_dim,
            vocab_size=options.embedding_vocab_size,
            epochs=options.embedding_epochs,
        )
        form = "words"
        model_ref = MODEL_DIR
    encoder_seconds = time.perf_counter() - t0

    progress(f"encoding {len(passages)} passages")
    vectors = encode(model, [p.text for p in passages], form)  # type: ignore[arg-type]
    faiss_index = make_faiss_index(vectors, options.exact_index_max)
    manifest: dict[str, object] = {
        "fingerprint": fingerprint(options),
        "settings": options.settings_key(),
        "model": model_ref,
        "input_form": form,
        "guides": len(guides),
        "published": sum(g.is_published for g in guides),
        "catalog_entries": sum(g.is_catalog for g in guides),
        "passages": len(passages),
        "index_type": type(faiss_index).__name__,
    }
    refs = [GuideRef(g.code, g.id, g.title, g.status.value, g.tier) for g in guides]
    index = SearchIndex(refs, passages, vectors, faiss_index, model, form, calibrate.DEFAULT_FUSION, manifest)  # type: ignore[arg-type]
    progress("calibrating the score")
    calibration, pairs = fit_fusion(index, guides, {code: texts for code, (_, texts) in training.items()},
                                    offtopic, noise=noise)
    manifest["calibration_pairs"] = pairs
    manifest["encoder_seconds"] = round(encoder_seconds, 2)
    if curated_manifest is not None:
        manifest[CURATED_DIR] = curated_manifest()
    manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    save_index(out, guides, passages, vectors, faiss_index, calibration, manifest)
    progress(f"index written to {out} in {manifest['build_seconds']} s")
    return manifest
