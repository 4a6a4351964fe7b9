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
from typing import Annotated, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from guides.aspects import Aspect

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
    @property
    def code(self) -> str: ...
    @property
    def score(self) -> float: ...


class _Index(Protocol):
    def search(self, query: str, k: int = 5) -> Sequence[_Hit]: ...


Style = Literal["diacritics", "accentless", "no_diacritics", "formal", "formal_accentless", "mixed", "nfd",
                "shorthand", "teencode", "typo", "from_console"]
CODE = r"^\d+\.\d{6}$"  # a national catalog code, e.g. 1.001193


class EvalEntry(BaseModel):
    """One labelled question of an eval file (the file's schema)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(min_length=1)
    codes: tuple[Annotated[str, Field(pattern=CODE)], ...] = ()  # empty: out of scope
    aspect: Aspect = "general"
    style: Style = "diacritics"

    @field_validator("codes", mode="before")
    @classmethod
    def _one_code_without_a_list(cls, value: object) -> object:
        return () if value is None else (value,) if isinstance(value, str) else value

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is blank")
        return value


def load_eval_items(path: Path) -> list[EvalItem]:
    """Read an eval file, checked entry by entry; items of style ``nfd`` are sent decomposed,
    as such keyboards do. A broken entry raises ``ValueError`` naming it and the field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: must be a list of {{q, codes, aspect, style}}")
    items = []
    for number, entry in enumerate(raw, start=1):
        try:
            item = EvalEntry.model_validate(entry)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}"
                                 for e in error.errors())
            raise ValueError(f"{path}: item {number}: {problems}") from None
        q = unicodedata.normalize("NFD", item.q) if item.style == "nfd" else unicodedata.normalize("NFC", item.q)
        items.append(EvalItem(q, item.codes, item.aspect, item.style))
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
    by_style: dict[str, dict[str, object]] = report["by_style"]  # type: ignore[assignment]
    for style, m in by_style.items():
        lines.append(row(style, m))
    lines.append(
        f"out of scope: {report['oos_n']} questions, rejected {report['oos_rejected']} "
        f"(in scope answered {report['in_scope_answered']}) at threshold {report['threshold']}"
    )
    return "\n".join(lines)
