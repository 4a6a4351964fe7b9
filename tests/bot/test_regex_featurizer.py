"""bot.components.regex_featurizer: lookup tables matched as a trie, with Rasa's features."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.utils.pattern_utils import _generate_lookup_regex
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.regex_featurizer import LookupTrieRegexFeaturizer, lookup_trie_pattern
from bot.components.vi_tokenizer import VietnameseTokenizer

pytestmark = pytest.mark.rasa

REPO_ROOT = Path(__file__).resolve().parents[2]

# Names that are prefixes of one another, differ only by case or accents, carry regex
# metacharacters, and an order that is not sorted (the first listed must still win).
TRICKY = ["Hà Nam Ninh", "Hà Nam", "Hà", "hà nội", "HA NOI", "Ha Noi", "An", "An Giang", "An Giang 2",
          "Quận 1", "Quận 10", "Quận 1A", "a.b", "(x)", "x+y", "Phú", "Phú Yên", "Phu Yen", "Đà Nẵng"]
TRICKY_TEXTS = ["Hà Nam Ninh và Hà Nam, Hà", "hà nội hay HA NOI hay ha noi", "An Giang 2 An Giang An",
                "quận 10 quận 1 Quận 1A quận 1ab", "a.b (x) x+y axb", "Phú Yên phu yen Phúc", "đà nẵng ĐÀ NẴNG",
                "Hà Nam Ninhx Hà Namx", ""]


@pytest.fixture(scope="module")
def place_names() -> list[str]:
    content = yaml.safe_load((REPO_ROOT / "nlu_data" / "places_lookup.yml").read_text(encoding="utf-8"))
    table = next(item for item in content["nlu"] if item.get("lookup") == "place")
    return [line[2:].strip() for line in table["examples"].splitlines() if line.strip()]


def _nlu_texts() -> list[str]:
    texts = []
    for path in sorted((REPO_ROOT / "nlu_data").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in item:
                texts += [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:]) for line in item["examples"].splitlines()
                          if line.strip()]
    return texts


def _spans(pattern: str, text: str, flags: int) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(pattern, text, flags=flags)]


@pytest.mark.parametrize("boundaries", [True, False])
@pytest.mark.parametrize("flags", [0, re.IGNORECASE])
def test_the_trie_finds_what_rasas_alternation_finds(boundaries: bool, flags: int) -> None:
    rasa = _generate_lookup_regex({"elements": TRICKY}, boundaries)
    trie = lookup_trie_pattern(TRICKY, boundaries)
    assert trie != rasa
    texts = TRICKY_TEXTS + [f"ở {name} nhé" for name in TRICKY] + [name.upper() for name in TRICKY]
    for text in texts:
        assert _spans(trie, text, flags) == _spans(rasa, text, flags), text


def test_the_place_names_trie_matches_as_rasas_and_is_smaller(place_names: list[str]) -> None:
    rasa = _generate_lookup_regex({"elements": place_names}, True)
    trie = lookup_trie_pattern(place_names, True)
    assert len(trie) < len(rasa) / 2
    texts = _nlu_texts()[:1500] + [f"tôi ở {name} muốn hỏi" for name in place_names[::5]]
    texts += [f"{name.lower()}, {name.upper()}" for name in place_names[::17]]
    for text in texts:
        assert _spans(trie, text, re.IGNORECASE) == _spans(rasa, text, re.IGNORECASE), text


def _featurizers(tmp_path: Path) -> tuple[RegexFeaturizer, LookupTrieRegexFeaturizer, LocalModelStorage]:
    storage = LocalModelStorage(tmp_path)
    made = []
    for cls in (RegexFeaturizer, LookupTrieRegexFeaturizer):
        config = {**cls.get_default_config(), "case_sensitive": False}
        context = ExecutionContext(GraphSchema({}), node_name=cls.__name__)
        made.append(cls.create(config, storage, Resource(cls.__name__), context))
    return made[0], made[1], storage  # type: ignore[return-value]


def test_the_trained_featurizer_gives_rasas_features_and_loads_its_pattern(tmp_path: Path) -> None:
    tokenizer = VietnameseTokenizer.create(VietnameseTokenizer.get_default_config(), None, None, None)
    data = TrainingData(lookup_tables=[{"name": "place", "elements": TRICKY}],
                        regex_features=[{"name": "code", "pattern": r"\d{3}\.\d{2}"}])
    rasa, ours, storage = _featurizers(tmp_path)
    rasa.train(data)
    ours.train(data)
    by_name = {p["name"]: p["pattern"] for p in ours.known_patterns}
    assert by_name["place"] == lookup_trie_pattern(TRICKY)
    assert by_name["code"] == r"\d{3}\.\d{2}"  # regex features stay as written
    loaded = LookupTrieRegexFeaturizer.load({**LookupTrieRegexFeaturizer.get_default_config(), "case_sensitive": False},
                                            storage, Resource(LookupTrieRegexFeaturizer.__name__),
                                            ExecutionContext(GraphSchema({}), node_name="loaded"))
    assert loaded.known_patterns == ours.known_patterns
    for text in [*TRICKY_TEXTS[:-1], "mã 000.00 ở quận 1 hà nội", "không có gì"]:
        expected, got = Message(data={TEXT: text}), Message(data={TEXT: text})
        tokenizer.process([expected, got])
        rasa.process([expected])
        loaded.process([got])
        for want, have in zip(expected.get_sparse_features(TEXT), got.get_sparse_features(TEXT)):
            assert want is not None and have is not None
            np.testing.assert_array_equal(want.features.toarray(), have.features.toarray())
