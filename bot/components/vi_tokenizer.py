"""A Rasa 3.6 tokenizer for Vietnamese as citizens type it.

It normalises the message (NFC, modern tone placement), segments words with underthesea,
and returns tokens whose ``start``/``end`` point into the original message. Each token's
text is the search form of the word: lower case, accent-folded, chat shorthand expanded,
syllables joined by "_", so "Đăng ký", "dang ky" and "đk" all become ``dang_ky``.
"""

from __future__ import annotations

import re
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
        return self._apply_token_pattern(tokens)
