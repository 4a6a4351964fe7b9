"""Rasa's regex featurizer with each lookup table matched as a trie.

Rasa turns a lookup table into one alternation, ``(\\bname1\\b|\\bname2\\b|...)``, and the
regular expression engine tries every name at every position of the message: for the 7,500
place names (with their accent-free twins) that is about 1.2 ms per message. The same names
factored by their common prefixes match the same text in a few microseconds.

The factoring keeps the names in their order, so at each position the engine tries them in
the same order as Rasa's alternation and every match is the same (same start, same end); the
features are therefore the same as :class:`RegexFeaturizer`'s, only the pattern stored in the
model differs. Regex features (``- regex:`` in the training data) are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.utils.pattern_utils import _generate_lookup_regex, read_lookup_table_file
from rasa.shared.nlu.training_data.training_data import TrainingData


def _factor(words: Sequence[str]) -> str:
    """An expression matching ``words`` and trying them in their order.

    Consecutive words that begin with the same character share it; an empty word (one that
    ended at this point) is an empty alternative, tried where it stood in the list.
    """
    alternatives: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word:
            alternatives.append("")
            i += 1
            continue
        j = i + 1
        while j < len(words) and words[j][:1] == word[0]:
            j += 1
        if j == i + 1:
            alternatives.append(re.escape(word))
        else:
            alternatives.append(re.escape(word[0]) + _factor([w[1:] for w in words[i:j]]))
        i = j
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def lookup_trie_pattern(elements: Sequence[str], use_word_boundaries: bool = True) -> str:
    """The lookup table ``elements`` as one prefix-factored expression.

    It finds what Rasa's ``_generate_lookup_regex`` pattern finds in any text, with the same
    flags.
    """
    if not elements:
        return _generate_lookup_regex({"elements": []}, use_word_boundaries)
    body = _factor(list(elements))
    return f"(\\b{body}\\b)" if use_word_boundaries else f"({body})"


def _elements(table: dict[str, object]) -> list[str]:
    elements = table["elements"]
    return list(elements) if isinstance(elements, list) else read_lookup_table_file(str(elements))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class LookupTrieRegexFeaturizer(RegexFeaturizer):
    """:class:`RegexFeaturizer`, storing each lookup table's pattern prefix-factored."""

    def train(self, training_data: TrainingData) -> Resource:
        super().train(training_data)
        if not self._config["use_lookup_tables"]:
            return self._resource
        boundaries = self._config["use_word_boundaries"]
        factored: dict[tuple[str, str], str] = {}
        for table in training_data.lookup_tables:
            elements = _elements(table)
            rasa_pattern = _generate_lookup_regex({"elements": elements}, boundaries)
            factored[(table["name"], rasa_pattern)] = lookup_trie_pattern(elements, boundaries)
        for pattern in self.known_patterns:
            replacement = factored.get((pattern["name"], pattern["pattern"]))
            if replacement is not None:
                pattern["pattern"] = replacement
        self._persist()
        return self._resource
