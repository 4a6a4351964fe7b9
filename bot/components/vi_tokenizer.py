"""A Rasa 3.6 tokenizer for Vietnamese as citizens type it.

It normalises the message (NFC, modern tone placement), segments words with underthesea,
and returns tokens whose ``start``/``end`` point into the original message. Each token's
text is the search form of the word: lower case, accent-folded, chat shorthand expanded,
syllables joined by "_", so "Đăng ký", "dang ky" and "đk" all become ``dang_ky``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from tthc_text.normalize import expand_token, fold
from tthc_text.offsets import normalize_with_spans, original_span
from tthc_text.segmentation import locate_words

_WORDISH = re.compile(r"\w", re.UNICODE)
# Longer messages are cut before segmentation: nobody asks a question this long, and the
# CRF segmenter's time grows with length.
MAX_CHARS = 2000


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this tokenizer's code and of tthc_text.

    It is part of the component's config, so Rasa's training cache (keyed by config and
    data, not code) retrains everything downstream when the tokenization changes.
    """
    import tthc_text  # noqa: PLC0415

    digest = hashlib.sha256()
    for path in [Path(__file__), *sorted(Path(tthc_text.__file__).parent.glob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def token_text(word: str) -> str:
    """The feature form of one segmented word."""
    lowered = word.lower()
    expanded = expand_token(lowered)
    if expanded is not None:
        lowered = expanded
    return "_".join(fold(lowered).split())


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Underthesea word segmentation over normalised text, offsets into the original."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "keep_punctuation": False,
            "code_fingerprint": code_fingerprint(),
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        if config.get("token_pattern"):
            # Rasa's token_pattern splits token texts, and these are normalised words
            # ("dang_ky" for "đk"): the pieces' offsets could not point into the message.
            raise ValueError("VietnameseTokenizer does not support token_pattern")
        super().__init__(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        original: str = message.get(attribute) or ""
        normalised, spans = normalize_with_spans(original[:MAX_CHARS])
        tokens: list[Token] = []
        for start, end in locate_words(normalised):
            word = normalised[start:end]
            if not self._config["keep_punctuation"] and not _WORDISH.search(word):
                continue
            o_start, o_end = original_span(spans, start, end)
            text = token_text(word)
            tokens.append(Token(text, o_start, o_end, lemma=text))
        return tokens
