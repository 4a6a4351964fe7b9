"""The ``tthc`` command line: ``main(argv)`` returns the exit code; ``--json`` output is
the only thing on stdout. (``procedures import`` is tested in tests/guides.)"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import yaml

from guides.loader import load_guides
from tests.catalog_records import GUIDE, guide_data, record, write_catalog
from tests.small_index import KET_HON, KHAI_SINH, SmallIndex
from tthc.cli import main
from tthc_settings import Settings

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "tests" / "fixtures" / "guides" / "valid"
BROKEN = REPO / "tests" / "fixtures" / "guides" / "broken"
METRICS = {"n", "recall@1", "recall@3", "recall@5", "mrr"}


def run(capsys: pytest.CaptureFixture[str], *argv: str, settings: Settings | None = None) -> tuple[int, str]:
    code = main(list(argv), settings=settings)
    return code, capsys.readouterr().out


# the fixtures' guides carry real codes: compare them with no catalog unless a test gives one
NO_CATALOG = Settings(catalog_dir=None)


# ------------------------------------------------------------------ procedures


def test_validate_clean_folder_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "procedures", "validate", str(VALID))
    assert code == 0
    assert out == ""


def test_validate_lists_each_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "procedures", "validate", str(BROKEN))
    assert code == 1
    problems = load_guides(BROKEN).problems
    assert len(problems) == 9
    for problem in problems:
        assert str(problem) in out
    for name in (
        "02-bad-yaml",
        "03-not-mapping",
        "04-published-incomplete",
        "05-duplicate-code",
        "06-duplicate-id",
    ):
        assert f"{BROKEN / name}.yml: " in out
    assert out.count(f"{BROKEN / '07-bad-fields.yml'}: ") == 4
    assert "01-valid.yml: " not in out and "08-valid-second.yml" not in out


def test_validate_the_project_procedures_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "procedures", "validate", str(REPO / "procedures"))
    assert (code, out) == (0, "")


def test_list_json_prints_every_guide_with_drafts_in_sub_folders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "procedures", "list", str(VALID), "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "code": "1.000656",
            "id": "dang-ky-khai-tu",
            "title": "Đăng ký khai tử",
            "status": "draft",
        },
        {
            "code": "1.000894",
            "id": "dang-ky-ket-hon",
            "title": "Đăng ký kết hôn",
            "status": "published",
        },
        {
            "code": "1.001193",
            "id": "dang-ky-khai-sinh",
            "title": "Đăng ký khai sinh",
            "status": "published",
        },
    ]


def test_list_text_is_one_line_per_guide(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "procedures", "list", str(BROKEN))
    assert code == 0
    assert out.splitlines() == [
        "1.004194\tdraft\tdang-ky-tam-tru\tĐăng ký tạm trú",
        "1.003677\tdraft\tkhai-bao-tam-vang\tKhai báo tạm vắng",
    ]


def test_stale_json_lists_guides_not_reviewed_in_n_days(capsys: pytest.CaptureFixture[str]) -> None:
    # ket-hon-cu.yml was reviewed 2019-06-01, khai-sinh.yml 2026-11-01, the draft never.
    days = (dt.date.today() - dt.date(2020, 1, 1)).days
    code, out = run(capsys, "procedures", "stale", str(VALID), "--days", str(days), "--json", settings=NO_CATALOG)
    assert code == 0
    rows = json.loads(out)
    assert rows == [
        {
            "code": "1.000656",
            "id": "dang-ky-khai-tu",
            "title": "Đăng ký khai tử",
            "last_reviewed": None,
            "path": str(VALID / "drafts" / "nested" / "khai-tu-draft.yml"),
            "reason": "not_reviewed",
            "changed_fields": [],
        },
        {
            "code": "1.000894",
            "id": "dang-ky-ket-hon",
            "title": "Đăng ký kết hôn",
            "last_reviewed": "2019-06-01",
            "path": str(VALID / "ho-tich" / "ket-hon-cu.yml"),
            "reason": "not_reviewed",
            "changed_fields": [],
        },
    ]
    # With a limit reaching back before 2019 only the never-reviewed draft is stale.
    days = (dt.date.today() - dt.date(2019, 1, 1)).days
    _, out = run(capsys, "procedures", "stale", str(VALID), "--days", str(days), "--json", settings=NO_CATALOG)
    assert [r["id"] for r in json.loads(out)] == ["dang-ky-khai-tu"]
    # With 0 days everything reviewed before today is stale.
    _, out = run(capsys, "procedures", "stale", str(VALID), "--days", "0", "--json", settings=NO_CATALOG)
    assert [r["id"] for r in json.loads(out)] == [
        "dang-ky-khai-tu",
        "dang-ky-ket-hon",
        "dang-ky-khai-sinh",
    ]


def test_stale_defaults_to_a_year_and_refuses_a_missing_catalog(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "procedures", "stale", str(VALID), "--json", settings=NO_CATALOG)
    assert {r["id"] for r in json.loads(out)} == {"dang-ky-khai-tu", "dang-ky-ket-hon"}
    code, _ = run(capsys, "procedures", "stale", str(VALID), "--catalog", str(tmp_path / "none"), settings=NO_CATALOG)
    assert code == 2


# ------------------------------------------------------------------ the fact check


def _guides(folder: Path, **changes: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = guide_data(**changes)
    (folder / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")
    return folder


def test_check_without_a_catalog_exits_2_saying_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["procedures", "check", str(_guides(tmp_path / "g"))], settings=NO_CATALOG)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "no national catalog" in " ".join(captured.err.split())
    code, _ = run(capsys, "procedures", "check", str(tmp_path / "g"), "--catalog", str(tmp_path / "none"),
                  settings=NO_CATALOG)
    assert code == 2


def test_check_exits_1_on_a_contradiction_and_0_on_omissions(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    catalog = str(write_catalog(tmp_path / "catalog", record()))
    clean = _guides(tmp_path / "clean")
    code, out = run(capsys, "procedures", "check", str(clean), "--catalog", catalog, "--json", settings=NO_CATALOG)
    assert (code, json.loads(out)) == (0, [])
    omission = _guides(tmp_path / "omission", legal_basis=[{"number": "60/2014/QH13"}])
    code, out = run(capsys, "procedures", "check", str(omission), "--catalog", catalog, "--json", settings=NO_CATALOG)
    assert code == 0
    assert json.loads(out) == [{"id": GUIDE["id"], "code": GUIDE["code"], "field": "legal_basis", "kind": "omission",
                                "guide": "60/2014/QH13", "catalog": "123/2015/NĐ-CP"}]
    channels = guide_data()["channels"]
    channels[0]["fee"] = {"kind": "amount", "amount_vnd": 99000, "text": "99.000 đồng"}
    wrong = _guides(tmp_path / "wrong", channels=channels)
    code, out = run(capsys, "procedures", "check", str(wrong), "--catalog", catalog, settings=NO_CATALOG)
    assert code == 1 and "contradiction" in out and "99.000 đồng" in out
    draft = _guides(tmp_path / "draft", channels=channels, status="draft")
    code, out = run(capsys, "procedures", "check", str(draft), "--catalog", catalog, "--json", settings=NO_CATALOG)
    assert code == 0 and [f["kind"] for f in json.loads(out)] == ["contradiction"]
    explained = _guides(tmp_path / "explained", channels=channels, catalog_differences={"fee": "HĐND tỉnh đổi mức"})
    code, out = run(capsys, "procedures", "check", str(explained), "--catalog", catalog, "--json", settings=NO_CATALOG)
    assert code == 0 and [f["kind"] for f in json.loads(out)] == ["explained"]


def test_accept_stores_the_fingerprints_and_stale_lists_the_guide_when_its_record_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = write_catalog(tmp_path / "catalog", record())
    folder = _guides(tmp_path / "g")
    args = ("--catalog", str(catalog), "--json")
    _, out = run(capsys, "procedures", "stale", str(folder), *args, settings=NO_CATALOG)
    assert [r["reason"] for r in json.loads(out)] == ["never_checked"]
    code, _ = run(capsys, "procedures", "check", str(folder), "--accept", GUIDE["id"], *args, settings=NO_CATALOG)
    assert code == 0
    assert set(load_guides(folder).guides[0].catalog_fingerprint) == {
        "fee", "time", "legal_basis", "documents", "agency", "level", "online"}
    _, out = run(capsys, "procedures", "stale", str(folder), *args, settings=NO_CATALOG)
    assert json.loads(out) == []
    cells = record()["cach_thuc_thuc_hien"].replace("10.000", "12.000")
    write_catalog(catalog, record(cach_thuc_thuc_hien=cells))
    _, out = run(capsys, "procedures", "stale", str(folder), *args, settings=NO_CATALOG)
    (row,) = json.loads(out)
    assert (row["id"], row["reason"], row["changed_fields"]) == (GUIDE["id"], "catalog_changed", ["fee"])
    code, _ = run(capsys, "procedures", "check", str(folder), "--accept", "no-such-guide", *args, settings=NO_CATALOG)
    assert code == 2


# ------------------------------------------------------------------ search and eval


def test_search_json(small_index: SmallIndex, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "search",
        "lam giay khai sinh cho con",
        "--json",
        "--index",
        str(small_index.index_dir),
    )
    assert code == 0
    hits = json.loads(out)
    assert 1 <= len(hits) <= 5
    assert all(set(h) == {"code", "id", "title", "score", "tier"} for h in hits)
    assert {h["tier"] for h in hits} == {"curated"}
    assert hits[0]["code"] == KHAI_SINH and hits[0]["id"] == "dang-ky-khai-sinh"
    scores = [h["score"] for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    _, out = run(
        capsys,
        "search",
        "đăng ký kết hôn",
        "--json",
        "--k",
        "2",
        "--index",
        str(small_index.index_dir),
    )
    hits = json.loads(out)
    assert len(hits) == 2 and hits[0]["code"] == KET_HON


def test_search_text_output(small_index: SmallIndex, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys, "search", "đăng ký kết hôn", "--k", "1", "--index", str(small_index.index_dir)
    )
    assert code == 0
    score, found, title = out.strip().split("\t")
    assert found == KET_HON and title == "Đăng ký kết hôn" and 0.5 <= float(score) <= 1.0


def test_search_without_index_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", "khai sinh", "--json", "--index", str(tmp_path)])
    assert info.value.code == 2
    assert capsys.readouterr().out == ""


def test_eval_json(
    small_index: SmallIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.yml"
    path.write_text(
        f"""- q: "làm giấy khai sinh cho con cần những gì"
  codes: ["{KHAI_SINH}"]
  aspect: documents
  style: diacritics
- q: "lam giay khai sinh cho con"
  codes: ["{KHAI_SINH}"]
  style: accentless
- q: "đăng ký kết hôn ở đâu"
  codes: ["{KET_HON}"]
  aspect: place
  style: nfd
- q: "dkkh ở đâu"
  codes: ["{KET_HON}"]
  style: teencode
- q: "xin cấp phép nuôi chó"
  codes: ["9.999999"]
  style: diacritics
- q: "cách nấu phở bò"
  codes: []
- q: "giá vàng hôm nay"
  codes: []
""",
        encoding="utf-8",
    )
    code, out = run(capsys, "eval", str(path), "--json", "--index", str(small_index.index_dir))
    assert code == 0
    report = json.loads(out)  # stdout holds the JSON report and nothing else
    assert METRICS | {"by_style", "oos_rejected"} <= set(report)
    assert report["n"] == 5
    assert report["recall@1"] == report["recall@5"] == 0.8  # the absent code is a miss
    assert report["mrr"] == 0.8
    assert sorted(report["by_style"]) == ["accentless", "diacritics", "nfd", "teencode"]
    for metrics in report["by_style"].values():
        assert set(metrics) == METRICS
    assert report["by_style"]["nfd"] == {
        "n": 1,
        "recall@1": 1.0,
        "recall@3": 1.0,
        "recall@5": 1.0,
        "mrr": 1.0,
    }
    assert (
        report["by_style"]["diacritics"]["n"] == 2
        and report["by_style"]["diacritics"]["recall@5"] == 0.5
    )
    assert report["oos_rejected"] == 1.0


def test_unknown_command_exits_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_the_installed_tthc_command_runs_from_any_folder(tmp_path: Path) -> None:
    """The entry point finds every package it uses (not only those on the current path)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    tthc = Path(sys.executable).with_name("tthc")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = subprocess.run([str(tthc), "admin", "create-user", "canbo", "--role", "clerk", "--password-stdin"],
                            input="mat-khau-du-dai\n", capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "created clerk 'canbo'" in result.stdout


def test_eval_baselines_keep_the_same_keys(
    small_index: SmallIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.yml"
    path.write_text(f'- q: "lam giay khai sinh cho con"\n  codes: ["{KHAI_SINH}"]\n- q: "cách nấu phở bò"\n  codes: []\n',
                    encoding="utf-8")
    reports = {}
    for baseline in (None, "bm25", "dense"):
        args = ["eval", str(path), "--json", "--index", str(small_index.index_dir)]
        code, out = run(capsys, *(args + (["--baseline", baseline] if baseline else [])))
        assert code == 0
        reports[baseline or "fused"] = json.loads(out)
    assert {r["ranker"] for r in reports.values()} == {"fused", "bm25", "dense"}
    keys = {frozenset(r) for r in reports.values()}
    assert len(keys) == 1
    assert all(r["recall@1"] == 1.0 for r in reports.values())
