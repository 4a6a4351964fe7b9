"""Places citizens name (pre-2025 or current), resolved to 2025 units, and their office."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.places import (
    OFFICES_FILE,
    Office,
    OfficeFileError,
    Place,
    find_office,
    load_offices,
    office_for,
    office_line,
    resolve_place,
)
from guides.schema import Guide, Level

HOA_CUONG = "20257"
DA_NANG = "48"

DIRECTORY = tuple(Office.model_validate(entry) for entry in (
    {
        "level": "commune",
        "ward_code": "20257",
        "province_code": "48",
        "name": "Một cửa phường Hòa Cường",
        "address": "1 Đường A",
        "hours": "7h30-17h",
        "phone": "0236 000",
    },
    {"level": "commune", "ward_code": "99999", "province_code": "48", "name": "Một cửa xã khác"},
    {
        "level": "province",
        "province_code": "48",
        "name": "Trung tâm Phục vụ hành chính công Đà Nẵng",
    },
    {
        "level": "province",
        "province_code": "79",
        "name": "Trung tâm Phục vụ hành chính công TP.HCM",
    },
))


def test_pre_2025_ward_and_district_resolve_to_the_new_ward() -> None:
    place = resolve_place("phường Hòa Cường Bắc, quận Hải Châu, Đà Nẵng")
    assert place is not None
    assert place.ward == "Phường Hòa Cường" and place.ward_code == HOA_CUONG
    assert place.province == "Thành phố Đà Nẵng" and place.province_code == DA_NANG
    assert place.legacy_district == "Quận Hải Châu"
    assert place.label == "Phường Hòa Cường, Thành phố Đà Nẵng"


def test_accentless_legacy_address_resolves_the_same() -> None:
    assert resolve_place("phuong Hoa Cuong Bac, quan Hai Chau, Da Nang") == resolve_place(
        "phường Hòa Cường Bắc, quận Hải Châu, Đà Nẵng"
    )


def test_current_ward_name_resolves_without_a_legacy_district() -> None:
    place = resolve_place("phường Hòa Cường, Đà Nẵng")
    assert place is not None
    assert (place.ward_code, place.province_code, place.legacy_district) == (
        HOA_CUONG,
        DA_NANG,
        None,
    )


def test_a_legacy_district_alone_resolves_to_its_province() -> None:
    place = resolve_place("quận 1")
    assert place is not None
    assert place.province == "Thành phố Hồ Chí Minh" and place.province_code == "79"
    assert place.ward is None and place.legacy_district == "Quận 1"
    assert place.label == "Quận 1 cũ (Thành phố Hồ Chí Minh)"


def test_a_province_alone() -> None:
    place = resolve_place("Đà Nẵng")
    assert place is not None and place.ward is None and place.province_code == DA_NANG
    assert place.label == "Thành phố Đà Nẵng"


@pytest.mark.parametrize("text", ["", "   ", "asdkjh qwe", "xyz 123", "xin chào"])
def test_nonsense_is_not_a_place(text: str) -> None:
    assert resolve_place(text) is None


@pytest.mark.parametrize("text", ["cách nấu phở bò", "giá vàng hôm nay"])
def test_vietnamese_sentences_without_a_place_are_not_places(text: str) -> None:
    assert resolve_place(text) is None


def test_find_office_for_a_commune_level_procedure() -> None:
    place = Place("Thành phố Đà Nẵng", DA_NANG, "Phường Hòa Cường", HOA_CUONG)
    assert find_office(place, Level.commune, DIRECTORY) is DIRECTORY[0]
    # Without a ward the commune office is unknown.
    assert find_office(Place("Thành phố Đà Nẵng", DA_NANG), Level.commune, DIRECTORY) is None


def test_find_office_for_a_province_level_procedure() -> None:
    place = Place("Thành phố Đà Nẵng", DA_NANG, "Phường Hòa Cường", HOA_CUONG)
    assert find_office(place, Level.province, DIRECTORY) is DIRECTORY[2]
    assert (
        find_office(Place("Thành phố Hồ Chí Minh", "79"), Level.ministry, DIRECTORY) is DIRECTORY[3]
    )
    assert find_office(Place("Tỉnh X", "01"), Level.province, DIRECTORY) is None


def test_find_office_with_an_empty_directory() -> None:
    assert (
        find_office(
            Place("Thành phố Đà Nẵng", DA_NANG, "Phường Hòa Cường", HOA_CUONG), Level.commune, ()
        )
        is None
    )


def test_office_line() -> None:
    assert office_line(DIRECTORY[0]) == "Một cửa phường Hòa Cường — 1 Đường A — 7h30-17h — 0236 000"
    assert office_line(DIRECTORY[2]) == "Trung tâm Phục vụ hành chính công Đà Nẵng"


def test_office_for_uses_the_guide_level() -> None:
    guide = Guide.model_validate(
        {
            "code": "1.000001",
            "id": "x",
            "title": "Thủ tục X",
            "level": ["commune"],
            "source": "https://a.vn/x",
        }
    )
    result = office_for("phường Hòa Cường Bắc, quận Hải Châu, Đà Nẵng", guide)
    assert result is not None
    label, office = result
    assert label == "Phường Hòa Cường, Thành phố Đà Nẵng"
    # The project's directory (offices/offices.yml) may or may not list this ward.
    assert office is None or isinstance(office, str)
    assert office_for("asdkjh qwe", guide) is None


def test_the_projects_office_directory_follows_its_schema() -> None:
    assert isinstance(load_offices(OFFICES_FILE), tuple)


@pytest.mark.parametrize(("entry", "reason"), [
    ("- {level: commune, province_code: '48', name: Một cửa phường A}", "ward_code"),
    ("- {level: district, province_code: '48', name: Một cửa quận}", "level"),
    ("- {level: province, province_code: '048', name: Trung tâm}", "province_code"),
    ("- {level: province, province_code: '48', name: Trung tâm, fax: '0236'}", "fax"),
    ("level: province", "a list"),
], ids=["commune without ward", "unknown level", "bad code", "unknown field", "not a list"])
def test_a_broken_office_directory_is_refused_with_the_entry_and_field(tmp_path: Path, entry: str, reason: str) -> None:
    path = tmp_path / "offices.yml"
    path.write_text(entry + "\n", encoding="utf-8")
    with pytest.raises(OfficeFileError, match=reason):
        load_offices(path)


def test_codes_written_as_numbers_are_read_as_codes(tmp_path: Path) -> None:
    path = tmp_path / "offices.yml"
    path.write_text("- {level: commune, ward_code: 20257, province_code: 48, name: Một cửa phường Hòa Cường}\n",
                    encoding="utf-8")
    (office,) = load_offices(path)
    assert (office.ward_code, office.province_code) == ("20257", "48")
    place = Place("Thành phố Đà Nẵng", DA_NANG, "Phường Hòa Cường", HOA_CUONG)
    assert find_office(place, Level.commune, (office,)) is office
