"""Held-out NLU evaluation: ``python -m bot.nlu_evaluation [--out DIR]`` (in .venv-rasa).

Splits nlu_data/ 80/20 per intent (``rasa data split nlu``), trains an NLU-only model on
the 80% with the project's pipeline, tests it on the 20% and reports intent macro-F1,
accuracy and accuracy by typing style (accented, accentless, shorthand). The comparison
model is written under build/, never to bot/models.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tthc_text.abbreviations import ABBREVIATIONS
from tthc_text.normalize import fold

_WORD = re.compile(r"[^\W_]+")


def style_of(text: str) -> str:
    """accented, accentless or shorthand (a chat abbreviation anywhere wins)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if any(w.replace("đ", "d") in ABBREVIATIONS and fold(w) == w.replace("đ", "d") and len(w) <= 5 for w in words
           if w not in ("a", "e", "c", "v", "r")):
        return "shorthand"
    return "accentless" if fold(text) == text.replace("đ", "d").replace("Đ", "D") else "accented"


def rasa(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("rasa")), *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_evaluation")
    parser.add_argument("--out", type=Path, default=Path("build/nlu-eval"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    out: Path = args.out
    split = out / "split"
    rasa("data", "split", "nlu", "--nlu", "nlu_data", "--training-fraction", "0.8",
         "--random-seed", str(args.seed), "--out", str(split))
    rasa("train", "nlu", "--config", "bot/config.yml", "--nlu", str(split / "training_data.yml"),
         "--out", str(out), "--fixed-model-name", "nlu-heldout")
    results = out / "results"
    rasa("test", "nlu", "--model", str(out / "nlu-heldout.tar.gz"), "--nlu", str(split / "test_data.yml"),
         "--out", str(results), "--successes")
    report = json.loads((results / "intent_report.json").read_text(encoding="utf-8"))
    outcomes: list[tuple[str, bool]] = []
    for name, correct in (("intent_successes.json", True), ("intent_errors.json", False)):
        path = results / name
        if path.exists():
            outcomes += [(item["text"], correct) for item in json.loads(path.read_text(encoding="utf-8"))]
    by_style: dict[str, list[bool]] = defaultdict(list)
    for text, correct in outcomes:
        by_style[style_of(text)].append(correct)
    summary = {
        "n_test": len(outcomes),
        "intent_macro_f1": round(report["macro avg"]["f1-score"], 4),
        "intent_accuracy": round(report["accuracy"], 4),
        "accuracy_by_style": {s: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for s, v in sorted(by_style.items())},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
