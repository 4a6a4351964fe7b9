"""Retrieval evaluation: recall@k and MRR over labelled questions, by typing style.

An eval file is a YAML list of ``{q, codes, aspect, style}``. An item is a hit at k when
any of its codes is among the top k; a code absent from the index is simply a miss.
Items with empty ``codes`` are out of scope: they are left out of the recall figures and
reported as ``oos_rejected``, the share whose top score is below the answer threshold.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

KS = (1, 3, 5)


@dataclass(frozen=True)
class EvalItem:
    q: str
    codes: tuple[str, ...]
    aspect: str = "general"
    style: str = "diacritics"

    @property
    def in_scope(self) -> bool:
        return bool(self.codes)


class _Hit(Protocol):
    code: str
    score: float


class _Index(Protocol):
    def search(self, query: str, k: int = 5) -> Sequence[_Hit]: ...


def load_eval_items(path: Path) -> list[EvalItem]:
    """Read an eval file; items of style ``nfd`` are sent decomposed, as such keyboards do."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    items = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("q"), str):
            raise ValueError(f"{path}: every item needs a text 'q': {entry!r}")
        style = str(entry.get("style") or "diacritics")
        q = unicodedata.normalize("NFD", entry["q"]) if style == "nfd" else entry["q"]
        codes = entry.get("codes") or ()
        if isinstance(codes, str):  # one code written without a list
            codes = (codes,)
        items.append(EvalItem(q, tuple(str(c) for c in codes), str(entry.get("aspect") or "general"), style))
    return items


def _metrics(ranks: Iterable[int | None]) -> dict[str, float | int]:
    ranks = list(ranks)
    n = len(ranks)
    out: dict[str, float | int] = {"n": n}
    for k in KS:
        out[f"recall@{k}"] = round(sum(r is not None and r <= k for r in ranks) / n, 4) if n else 0.0
    out["mrr"] = round(sum(1 / r for r in ranks if r is not None) / n, 4) if n else 0.0
    return out


def evaluate(index: _Index, items: Sequence[EvalItem], threshold: float, k: int = 5) -> dict[str, object]:
    """The report: top-level metrics, per style, per aspect and the out-of-scope rejection."""
    ranks: list[int | None] = []
    by_style: dict[str, list[int | None]] = defaultdict(list)
    by_aspect: dict[str, list[int | None]] = defaultdict(list)
    in_scope_top: list[float] = []
    oos_top: list[float] = []
    for item in items:
        hits = index.search(item.q, k=k)
        top = hits[0].score if hits else 0.0
        if not item.in_scope:
            oos_top.append(top)
            continue
        in_scope_top.append(top)
        rank = next((i + 1 for i, h in enumerate(hits) if h.code in item.codes), None)
        ranks.append(rank)
        by_style[item.style].append(rank)
        by_aspect[item.aspect].append(rank)
    report: dict[str, object] = dict(_metrics(ranks))
    report["by_style"] = {s: _metrics(r) for s, r in sorted(by_style.items())}
    report["by_aspect"] = {a: _metrics(r) for a, r in sorted(by_aspect.items())}
    report["oos_n"] = len(oos_top)
    report["oos_rejected"] = round(sum(s < threshold for s in oos_top) / len(oos_top), 4) if oos_top else None
    report["in_scope_answered"] = (
        round(sum(s >= threshold for s in in_scope_top) / len(in_scope_top), 4) if in_scope_top else None
    )
    report["threshold"] = threshold
    return report


def format_report(report: dict[str, object]) -> str:
    """A plain-text table of the report."""
    lines = [f"{'':12} {'n':>5} {'R@1':>6} {'R@3':>6} {'R@5':>6} {'MRR':>6}"]

    def row(name: str, m: dict[str, object]) -> str:
        return f"{name:12} {m['n']:>5} {m['recall@1']:>6} {m['recall@3']:>6} {m['recall@5']:>6} {m['mrr']:>6}"

    lines.append(row("all", report))
    for style, m in report["by_style"].items():  # type: ignore[union-attr]
        lines.append(row(style, m))
    lines.append(
        f"out of scope: {report['oos_n']} questions, rejected {report['oos_rejected']} "
        f"(in scope answered {report['in_scope_answered']}) at threshold {report['threshold']}"
    )
    return "\n".join(lines)
