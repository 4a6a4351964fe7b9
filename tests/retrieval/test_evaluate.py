"""Retrieval evaluation on a tiny fake index: recall@k, MRR, styles, out-of-scope."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from retrieval.evaluate import EvalItem, evaluate, format_report, load_eval_items

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FakeHit:
    code: str
    score: float


class FakeIndex:
    """Answers each known question with a fixed ranking (test data, not a model)."""

    def __init__(self, answers: dict[str, list[tuple[str, float]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def search(self, query: str, k: int = 5) -> list[FakeHit]:
        self.calls.append((query, k))
        return [FakeHit(c, s) for c, s in self.answers.get(query, [])][:k]


ANSWERS = {
    "q1": [("A", 0.9), ("B", 0.2)],
    "q2": [("B", 0.6), ("C", 0.5), ("A", 0.4)],
    "q3": [("A", 0.8)],  # expects Z, absent from the index
    "q4": [("C", 0.3), ("D", 0.2), ("E", 0.1), ("F", 0.05), ("B", 0.01)],
    "q5": [],
    "q6": [
        ("C", 0.1),
        ("D", 0.1),
        ("E", 0.1),
        ("F", 0.1),
        ("G", 0.1),
        ("A", 0.1),
    ],  # A only at rank 6
    "oos1": [("A", 0.3)],
    "oos2": [("A", 0.7)],
    "oos3": [],
}
ITEMS = [
    EvalItem("q1", ("A",), "documents", "diacritics"),
    EvalItem("q2", ("A",), "fee", "accentless"),
    EvalItem("q3", ("Z",), "fee", "diacritics"),
    EvalItem("q4", ("A", "B"), "time", "accentless"),
    EvalItem("q5", ("A",), "time", "teencode"),
    EvalItem("q6", ("A",), "time", "teencode"),
    EvalItem("oos1", ()),
    EvalItem("oos2", ()),
    EvalItem("oos3", (), style="teencode"),
]


@pytest.fixture()
def report() -> dict[str, object]:
    return evaluate(FakeIndex(ANSWERS), ITEMS, threshold=0.5)


def test_recall_and_mrr(report: dict[str, object]) -> None:
    # ranks: q1 1, q2 3, q3 miss (absent code), q4 5, q5 miss (no hits), q6 miss (beyond k)
    assert report["n"] == 6
    assert report["recall@1"] == round(1 / 6, 4)
    assert report["recall@3"] == round(2 / 6, 4)
    assert report["recall@5"] == round(3 / 6, 4)
    assert report["mrr"] == round((1 + 1 / 3 + 1 / 5) / 6, 4)


def test_by_style_and_by_aspect(report: dict[str, object]) -> None:
    by_style = report["by_style"]
    assert isinstance(by_style, dict)
    assert list(by_style) == ["accentless", "diacritics", "teencode"]
    assert by_style["diacritics"] == {
        "n": 2,
        "recall@1": 0.5,
        "recall@3": 0.5,
        "recall@5": 0.5,
        "mrr": 0.5,
    }
    assert by_style["accentless"] == {
        "n": 2,
        "recall@1": 0.0,
        "recall@3": 0.5,
        "recall@5": 1.0,
        "mrr": round((1 / 3 + 1 / 5) / 2, 4),
    }
    # The out-of-scope teencode item is not counted in its style.
    assert by_style["teencode"] == {
        "n": 2,
        "recall@1": 0.0,
        "recall@3": 0.0,
        "recall@5": 0.0,
        "mrr": 0.0,
    }
    for metrics in by_style.values():
        assert set(metrics) == {"n", "recall@1", "recall@3", "recall@5", "mrr"}
    by_aspect = report["by_aspect"]
    assert isinstance(by_aspect, dict)
    assert {a: m["n"] for a, m in by_aspect.items()} == {"documents": 1, "fee": 2, "time": 3}


def test_out_of_scope_items_are_reported_apart(report: dict[str, object]) -> None:
    assert report["oos_n"] == 3
    assert report["oos_rejected"] == round(2 / 3, 4)  # 0.3 and no hit are below 0.5; 0.7 is not
    # in-scope tops: 0.9, 0.6, 0.8, 0.3, 0.0, 0.1 -> three at or above 0.5
    assert report["in_scope_answered"] == 0.5
    assert report["threshold"] == 0.5


def test_threshold_moves_the_rejection() -> None:
    report = evaluate(FakeIndex(ANSWERS), ITEMS, threshold=0.8)
    assert report["oos_rejected"] == 1.0
    assert report["in_scope_answered"] == round(2 / 6, 4)


def test_searches_every_item_once_with_k() -> None:
    index = FakeIndex(ANSWERS)
    evaluate(index, ITEMS, threshold=0.5, k=5)
    assert index.calls == [(item.q, 5) for item in ITEMS]


def test_without_out_of_scope_items_rejection_is_none() -> None:
    report = evaluate(FakeIndex(ANSWERS), ITEMS[:2], threshold=0.5)
    assert report["oos_n"] == 0 and report["oos_rejected"] is None
    assert report["recall@1"] == 0.5


def test_empty_item_list() -> None:
    report = evaluate(FakeIndex({}), [], threshold=0.5)
    assert report["n"] == 0 and report["recall@1"] == 0.0 and report["mrr"] == 0.0
    assert report["by_style"] == {} and report["in_scope_answered"] is None


def test_format_report_lists_all_and_each_style(report: dict[str, object]) -> None:
    text = format_report(report)
    lines = text.splitlines()
    assert lines[1].split()[0] == "all" and lines[1].split()[1] == "6"
    assert [line.split()[0] for line in lines[2:5]] == ["accentless", "diacritics", "teencode"]
    assert "out of scope: 3 questions" in lines[-1]


def test_load_eval_items(tmp_path: Path) -> None:
    path = tmp_path / "eval.yml"
    path.write_text(
        """- q: "làm giấy khai sinh"
  codes: ["1.001193"]
  aspect: general
  style: nfd
- q: "lam giay khai sinh"
  codes: ["1.001193", "1.004884"]
  style: accentless
- q: "giá vàng hôm nay"
  codes: []
- q: "đăng ký kết hôn"
""",
        encoding="utf-8",
    )
    items = load_eval_items(path)
    assert len(items) == 4
    nfd = items[0]
    assert nfd.q == unicodedata.normalize("NFD", "làm giấy khai sinh") != "làm giấy khai sinh"
    assert nfd.style == "nfd" and nfd.codes == ("1.001193",) and nfd.in_scope
    assert items[1].q == "lam giay khai sinh" and items[1].codes == ("1.001193", "1.004884")
    assert items[1].aspect == "general"
    assert items[2].codes == () and not items[2].in_scope and items[2].style == "diacritics"
    assert items[3].codes == () and items[3].q == "đăng ký kết hôn"
    assert unicodedata.is_normalized("NFC", items[1].q) and unicodedata.is_normalized(
        "NFC", items[3].q
    )


@pytest.mark.parametrize(("content", "reason"), [
    ("- codes: ['1.001193']\n", "item 1: q: Field required"),
    ("- q: 12\n  codes: []\n", "item 1: q: Input should be a valid string"),
    ("- just text\n", "item 1"),
    ("- q: ok\n- q: '  '\n", "item 2: q: .*blank"),
    ("- q: ok\n  codes: ['1001193']\n", "codes.0"),
    ("- q: ok\n  aspect: where\n", "aspect"),
    ("- q: ok\n  style: casual\n", "style"),
    ("- q: ok\n  code: '1.001193'\n", "code: Extra inputs"),
    ("q: ok\n", "must be a list"),
], ids=["no q", "q not text", "not a mapping", "blank q", "bad code", "unknown aspect", "unknown style",
        "misspelt field", "not a list"])
def test_a_broken_eval_file_is_refused_with_the_item_and_field(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "eval.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=reason):
        load_eval_items(path)


def test_the_project_eval_file_loads() -> None:
    items = load_eval_items(REPO / "retrieval" / "data" / "eval.yml")
    assert len(items) >= 100
    styles = {i.style for i in items}
    assert {"diacritics", "accentless", "nfd"} <= styles
    assert any(not i.in_scope for i in items)
    for item in items:
        if item.style == "nfd":
            assert unicodedata.is_normalized("NFD", item.q)
        for code in item.codes:
            assert code.count(".") == 1


@pytest.mark.parametrize("name", ["faq_catalog.yml", "faq_catalog_holdout.yml", "faq_catalog_blind3.yml"])
def test_the_catalog_faq_sets_ask_about_catalog_procedures_without_a_curated_guide(
    name: str, national_catalog: Path
) -> None:
    """Each formal FAQ set asks about real catalog records the curated guides do not cover,
    formally (with or without diacritics)."""
    from guides.catalog.records import catalog_files  # noqa: PLC0415
    from guides.loader import load_guides  # noqa: PLC0415

    items = load_eval_items(REPO / "retrieval" / "data" / name)
    codes = {path.stem for path in catalog_files(national_catalog)}
    curated = {g.code for g in load_guides(REPO / "procedures").guides}
    assert len(items) >= 150
    for item in items:
        assert item.in_scope, item
        assert set(item.codes) <= codes and not set(item.codes) & curated, item
        assert item.style.startswith("formal") and unicodedata.is_normalized("NFC", item.q)
