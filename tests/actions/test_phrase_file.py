"""actions.phrase_file: the phrase file answers are assembled from, checked before use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.phrase_file import PHRASES_FILE, load_phrases


def project_phrases() -> dict[str, Any]:
    return dict(yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8")))


def test_the_projects_phrases_follow_the_schema() -> None:
    assert load_phrases()["quantity"].format(n=2)


@pytest.mark.parametrize(("change", "reason"), [
    ({"online_yes": "có, tại {wher}"}, r"online_yes: unknown placeholders \['wher'\]"),
    ({"fee_line": "• {name: {text}"}, "fee_line"),
    ({"fact_fee": None}, "fact_fee: missing"),
    ({"kind": {"original": "bản chính", "copy": "bản sao"}}, "original_or_copy"),
    ({"aspect_button": {"fee": "💰 Lệ phí"}}, "missing"),
    ({"greeting_extra": "Xin chào"}, "unknown phrases"),
], ids=["misspelt placeholder", "unmatched brace", "missing phrase", "missing kind", "missing buttons", "unknown"])
def test_a_broken_phrase_file_is_refused_with_the_phrase_and_reason(
        tmp_path: Path, change: dict[str, Any], reason: str) -> None:
    data = project_phrases()
    for name, value in change.items():
        if value is None:
            del data[name]
        else:
            data[name] = value
    path = tmp_path / "phrases.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=reason):
        load_phrases(path)
