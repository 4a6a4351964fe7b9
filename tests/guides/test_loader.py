"""Loading guide folders: bad files are reported (file + field) and skipped, the rest load."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from guides.loader import Problem, guide_files, load_guides, parse_guide

REPO = Path(__file__).resolve().parents[2]
GUIDES = REPO / "tests" / "fixtures" / "guides"
VALID = GUIDES / "valid"
BROKEN = GUIDES / "broken"


def _problems_by_file(problems: list[Problem]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in problems:
        out.setdefault(p.path.name, []).append((p.field, p.message))
    return out


def test_valid_folder_loads_every_guide_including_nested_drafts() -> None:
    result = load_guides(VALID)
    assert result.problems == []
    assert sorted(g.id for g in result.guides) == [
        "dang-ky-ket-hon",
        "dang-ky-khai-sinh",
        "dang-ky-khai-tu",
    ]
    assert sorted(g.id for g in result.published()) == ["dang-ky-ket-hon", "dang-ky-khai-sinh"]
    assert result.paths["dang-ky-khai-tu"] == VALID / "drafts" / "nested" / "khai-tu-draft.yml"
    assert result.paths["dang-ky-khai-sinh"] == VALID / "ho-tich" / "khai-sinh.yml"


def test_guide_files_walks_sub_folders_in_a_stable_order(tmp_path: Path) -> None:
    shutil.copytree(VALID, tmp_path / "g")
    (tmp_path / "g" / "notes.txt").write_text("not a guide", encoding="utf-8")
    (tmp_path / "g" / ".hidden.yml").write_text("code: x", encoding="utf-8")
    (tmp_path / "g" / "ho-tich" / "extra.yaml").write_text("code: x", encoding="utf-8")
    files = list(guide_files(tmp_path / "g"))
    rel = [f.relative_to(tmp_path / "g").as_posix() for f in files]
    assert rel == sorted(rel)
    assert rel == [
        "drafts/nested/khai-tu-draft.yml",
        "ho-tich/extra.yaml",
        "ho-tich/ket-hon-cu.yml",
        "ho-tich/khai-sinh.yml",
    ]
    # A single file is its own list.
    assert list(guide_files(VALID / "ho-tich" / "khai-sinh.yml")) == [
        VALID / "ho-tich" / "khai-sinh.yml"
    ]


def test_broken_folder_reports_each_problem_and_keeps_the_good_files() -> None:
    result = load_guides(BROKEN)
    assert [g.id for g in result.guides] == ["dang-ky-tam-tru", "khai-bao-tam-vang"]
    by_file = _problems_by_file(result.problems)
    assert sorted(by_file) == [
        "02-bad-yaml.yml",
        "03-not-mapping.yml",
        "04-published-incomplete.yml",
        "05-duplicate-code.yml",
        "06-duplicate-id.yml",
        "07-bad-fields.yml",
    ]
    (bad_yaml,) = by_file["02-bad-yaml.yml"]
    assert bad_yaml[0] == "(file)" and "cannot be read as YAML" in bad_yaml[1]
    assert by_file["03-not-mapping.yml"] == [("(file)", "must be a YAML mapping of field: value")]
    (incomplete,) = by_file["04-published-incomplete.yml"]
    assert incomplete[0] == "(file)"
    assert incomplete[1].startswith("a published guide needs: aliases (at least 2), field, level")
    assert not incomplete[1].startswith("Value error")
    fields = [f for f, _ in by_file["07-bad-fields.yml"]]
    assert sorted(fields) == ["code", "id", "source", "titel"]


def test_duplicate_code_and_id_are_skipped_with_a_problem() -> None:
    result = load_guides(BROKEN)
    by_file = _problems_by_file(result.problems)
    ((field, message),) = by_file["05-duplicate-code.yml"]
    assert field == "code" and "1.004194" in message and "01-valid.yml" in message
    ((field, message),) = by_file["06-duplicate-id.yml"]
    assert field == "id" and "dang-ky-tam-tru" in message and "01-valid.yml" in message
    # The first file keeps its code and id; the duplicates are not loaded.
    assert result.paths["dang-ky-tam-tru"].name == "01-valid.yml"
    assert [g.title for g in result.guides if g.code == "1.004194"] == ["Đăng ký tạm trú"]
    assert "dang-ky-tam-tru-ban-sao" not in result.paths
    assert all(g.code != "1.002755" for g in result.guides)


def test_problem_string_names_file_field_and_message() -> None:
    result = load_guides(BROKEN)
    texts = [str(p) for p in result.problems]
    assert any(t.startswith(str(BROKEN / "07-bad-fields.yml") + ": code: '1.23'") for t in texts)
    assert any(t.startswith(str(BROKEN / "07-bad-fields.yml") + ": titel: ") for t in texts)


def test_nested_field_errors_carry_the_dotted_path(tmp_path: Path) -> None:
    text = (VALID / "ho-tich" / "khai-sinh.yml").read_text(encoding="utf-8")
    text = text.replace(
        "fee: {kind: amount, amount_vnd: 8000, text: 8.000 đồng/bản}",
        "fee: {kind: amount, text: 8.000 đồng/bản}",
    )
    path = tmp_path / "g.yml"
    path.write_text(text, encoding="utf-8")
    guide, problems = parse_guide(path)
    assert guide is None
    assert [(p.path, p.field) for p in problems] == [(path, "fees.items.1.fee")]
    assert problems[0].message == "kind 'amount' needs amount_vnd"


@pytest.mark.parametrize("content", ["", "just a string", "42"])
def test_empty_or_scalar_file_is_not_a_mapping(tmp_path: Path, content: str) -> None:
    path = tmp_path / "g.yml"
    path.write_text(content, encoding="utf-8")
    guide, problems = parse_guide(path)
    assert guide is None and [(p.field, p.message) for p in problems] == [
        ("(file)", "must be a YAML mapping of field: value")
    ]


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "g.yml"
    path.write_bytes("title: Đăng ký".encode("utf-16"))
    guide, problems = parse_guide(path)
    assert (
        guide is None
        and problems[0].field == "(file)"
        and "cannot be read as YAML" in problems[0].message
    )


def test_nfd_file_loads_as_nfc(tmp_path: Path) -> None:
    text = (VALID / "ho-tich" / "khai-sinh.yml").read_text(encoding="utf-8")
    (tmp_path / "nfd.yml").write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    result = load_guides(tmp_path)
    assert result.problems == []
    (guide,) = result.guides
    assert guide.title == "Đăng ký khai sinh"
    assert guide.documents[1].name == "Giấy chứng sinh do cơ sở y tế cấp"
    assert unicodedata.is_normalized("NFC", guide.summary or "")


def test_missing_folder_loads_nothing(tmp_path: Path) -> None:
    result = load_guides(tmp_path / "absent")
    assert result.guides == [] and result.problems == []
