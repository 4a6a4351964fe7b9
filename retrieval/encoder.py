"""The sentence encoder: the project's own static embedding model, or a pretrained one.

The default model is trained offline from the project's content in seconds: a WordPiece
tokenizer learnt on the accent-folded text, a ``StaticEmbedding`` (mean of token vectors)
and MultipleNegativesRankingLoss over (question-like text, guide) pairs. It reads text in
its search form (folded, shorthand expanded) with syllable pairs added, so questions typed
with or without diacritics encode identically. A pretrained model reads the normalised text with its
diacritics instead.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from retrieval.lexical import Query
from retrieval.noise import ContextNoise, maybe_wrap
from tthc_text import lexical_tokens, normalize, search_text

logger = logging.getLogger(__name__)

# "words": folded syllables and their pairs (the project's models since build 5); "folded":
# folded syllables alone (older project models); "normalized": a pretrained model's input.
InputForm = Literal["words", "folded", "normalized"]
FORM_MARKER = "tthc_encoder.json"  # written next to the project's own trained models

# Aspect phrases mixed into training anchors, so the model learns that they do not name a
# procedure ("lệ phí khai sinh" and "khai sinh" point at the same guide).
ASPECT_PHRASES = (
    "cần giấy tờ gì",
    "hồ sơ gồm những gì",
    "lệ phí bao nhiêu",
    "mất bao lâu",
    "nộp ở đâu",
    "làm online được không",
    "thủ tục thế nào",
    "các bước ra sao",
    "ai được làm",
    "căn cứ pháp lý",
    "nhận kết quả gì",
    "cho tôi hỏi",
    "muốn làm",
)


def offline_mode() -> None:
    """Forbid any download by the Hugging Face libraries (call before loading a model)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def folded_words(text: str) -> str:
    """What the project's own encoder reads: folded syllables, then adjacent-syllable pairs.

    A static model averages token vectors, so without the pairs "bóng đá" would be "bóng"
    plus "đá"; with them a compound word gets a vector of its own (as in the lexical side).
    """
    return " ".join(lexical_tokens(text))


def encoder_text(text: str, form: InputForm) -> str:
    """The text the encoder sees."""
    if form == "words":
        return folded_words(text)
    return search_text(text) if form == "folded" else normalize(text)


def augment(text: str, rng: random.Random) -> str:
    """A noisy variant of a question-like text: dropped syllables and an aspect phrase."""
    words = text.split()
    if len(words) > 3:
        words = [w for w in words if rng.random() > 0.2] or words
    if rng.random() < 0.6:
        phrase = rng.choice(ASPECT_PHRASES)
        words = [*words, phrase] if rng.random() < 0.7 else [phrase, *words]
    return " ".join(words)


def training_pairs(
    anchors_by_doc: Sequence[tuple[str, Sequence[str]]], seed: int = 13, variants: int = 3,
    noise: ContextNoise | None = None,
) -> tuple[list[str], list[str]]:
    """(anchor, positive) pairs: each anchor text and noisy variants (some with personal
    context, see :mod:`retrieval.noise`) against its document."""
    rng = random.Random(seed)
    anchors: list[str] = []
    positives: list[str] = []
    for document, texts in anchors_by_doc:
        for text in texts:
            for variant in [text] + [maybe_wrap(augment(text, rng), rng, noise) for _ in range(variants)]:
                anchors.append(variant)
                positives.append(document)
    return anchors, positives


def wordpiece_vocab(texts: Iterable[str], size: int) -> dict[str, int]:
    """A deterministic WordPiece vocabulary for folded Vietnamese text.

    Whole syllables (the most frequent first, up to ``size``), then the pieces a
    misspelt or unknown syllable falls back to: characters, two- and three-letter
    beginnings, and "##" endings. (The tokenizers library's trainer breaks ties in a
    different order on every run, which made the whole encoder irreproducible.)
    """
    counts: dict[str, int] = {}
    for text in texts:
        for word in text.lower().split():
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:size]
    # Every character seen, alone and as a continuation: any syllable can be spelt.
    pieces: set[str] = {c for word in counts for c in word} | {"##" + c for word in counts for c in word[1:]}
    for word in words:
        pieces.update(word[:n] for n in (2, 3) if len(word) > n)
        pieces.update("##" + word[-n:] for n in (2, 3) if len(word) > n)
    tokens = ["[UNK]", "[PAD]", *words, *sorted(pieces - set(words))]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}


def train_static_encoder(
    corpus: Iterable[str],
    anchors: Sequence[str],
    positives: Sequence[str],
    out_dir: Path,
    *,
    dim: int = 256,
    vocab_size: int = 12000,
    epochs: int = 6,
    seed: int = 13,
):  # -> SentenceTransformer (imported lazily: torch is heavy)
    """Train the default encoder on folded text and save it to ``out_dir``."""
    offline_mode()
    import torch  # noqa: PLC0415
    from datasets import Dataset  # noqa: PLC0415
    from sentence_transformers import (  # noqa: PLC0415
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses  # noqa: PLC0415
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding  # noqa: PLC0415
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers  # noqa: PLC0415
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers  # noqa: PLC0415

    torch.manual_seed(seed)
    np.random.seed(seed)
    folded_corpus = [folded_words(t) for t in corpus]
    tokenizer = Tokenizer(models.WordPiece(wordpiece_vocab(folded_corpus, vocab_size), unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    static = StaticEmbedding(tokenizer, embedding_dim=dim)
    model = SentenceTransformer(modules=[static], device="cpu")

    data = Dataset.from_dict(
        {"anchor": [folded_words(a) for a in anchors], "positive": [folded_words(p) for p in positives]}
    )
    loss = losses.MultipleNegativesRankingLoss(model)
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(
            output_dir=tmp,
            num_train_epochs=epochs,
            per_device_train_batch_size=256,
            learning_rate=0.1,
            warmup_ratio=0.05,
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            use_cpu=True,
            seed=seed,
            data_seed=seed,
            disable_tqdm=False,
            dataloader_num_workers=0,
        )
        SentenceTransformerTrainer(model=model, args=args, train_dataset=data, loss=loss).train()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    (out_dir / FORM_MARKER).write_text('{"input_form": "words"}', encoding="utf-8")
    return model


def model_input_form(name_or_path: str) -> InputForm:
    """What a model reads: the project's own models (marked) read folded text, with syllable pairs
    since build 5 ("words"); any other model reads normalised text."""
    marker = Path(name_or_path) / FORM_MARKER
    try:
        form = json.loads(marker.read_text(encoding="utf-8")).get("input_form")
    except (OSError, ValueError):
        return "normalized"
    return form if form in ("words", "folded") else "normalized"


def load_encoder(name_or_path: str):  # -> SentenceTransformer
    """Load a sentence-transformers model from a local folder (or the local HF cache)."""
    offline_mode()
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    return SentenceTransformer(name_or_path, device="cpu", local_files_only=True)


def encode(model, texts: Sequence[str], form: InputForm, batch_size: int = 512) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Unit-length float32 vectors for ``texts`` (inner product == cosine)."""
    if not texts:
        dim = model.get_sentence_embedding_dimension() or 1
        return np.zeros((0, dim), dtype=np.float32)
    vectors = model.encode(
        [encoder_text(t, form) for t in texts],
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


QueryEncoder = Callable[[Query], np.ndarray]


def query_encoder(model, form: InputForm) -> QueryEncoder:  # type: ignore[no-untyped-def]
    """One query's unit vector, as :func:`encode` gives it.

    For the project's own model (one ``StaticEmbedding``, the mean of token vectors) the
    vector is computed from the token table directly: sentence-transformers' batching and
    torch's per-call set-up cost several times the arithmetic for a single short query.
    Any other model goes through :func:`encode`.
    """
    static = _static_table(model)
    if static is None:
        return lambda query: encode(model, [query.text], form)[0]
    tokenizer, table = static

    def one(query: Query) -> np.ndarray:
        text = " ".join(query.words) if form == "words" else encoder_text(query.text, form)
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            return np.zeros(table.shape[1], dtype=np.float32)
        vector = table[ids].mean(axis=0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    return one


def _static_table(model):  # type: ignore[no-untyped-def]
    """(tokenizer, token vectors) of a model that is exactly one mean ``StaticEmbedding``."""
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding  # noqa: PLC0415

    modules = list(model) if hasattr(model, "__iter__") else []
    if len(modules) != 1 or not isinstance(modules[0], StaticEmbedding):
        return None
    bag = modules[0].embedding
    if getattr(bag, "mode", None) != "mean" or bag.max_norm is not None or bag.padding_idx is not None:
        return None
    return modules[0].tokenizer, bag.weight.detach().cpu().numpy().astype(np.float32)
