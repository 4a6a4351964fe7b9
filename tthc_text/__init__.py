"""Pure-Python helpers shared by both runtimes (no third-party imports).

Vietnamese text normalisation: import what you need from here; :mod:`tthc_text.normalize`
holds the functions and :mod:`tthc_text.abbreviations` the chat-shorthand table.
:mod:`tthc_text.local_keys` holds the keys the services of one machine share.
"""

from tthc_text.normalize import (
    expand_abbreviations,
    fix_tone_placement,
    fold,
    fold_char,
    lexical_tokens,
    nfc,
    normalize,
    search_text,
    syllables,
    valid_json,
    valid_text,
)
from tthc_text.segmentation import locate_words, segment

__all__ = [
    "expand_abbreviations",
    "fix_tone_placement",
    "fold",
    "fold_char",
    "lexical_tokens",
    "locate_words",
    "nfc",
    "normalize",
    "search_text",
    "segment",
    "syllables",
    "valid_json",
    "valid_text",
]
