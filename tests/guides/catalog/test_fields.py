"""Result, steps, conditions, levels and related codes (guides.catalog.fields)."""

from __future__ import annotations

from guides.catalog.fields import (
    parse_conditions,
    parse_levels,
    parse_result,
    parse_steps,
    related_codes,
)
from guides.schema import Level

LEFTOVER = (
    "Từ khóaKhông có thông tinMô tảKhông có thông tinChọn cơ quan thực hiệnTỉnh/ Thành phố"
    "Bộ ngành-- Chọn Tỉnh/ Thành phố --Nộp hồ sơ"
)


def test_result_strips_codes_and_page_leftovers() -> None:
    assert parse_result(f"Giấy khai sinhMã: KQ.G15.000031{LEFTOVER}").value == "Giấy khai sinh"
    two = parse_result(
        "Quyết định giao đấtMã: KQ.G10.000870"
        "Giấy chứng nhận quyền sử dụng đất.Mã: KQ.G10.001148Từ khóa"
    )
    assert two.value == "Quyết định giao đất; Giấy chứng nhận quyền sử dụng đất"


def test_result_missing() -> None:
    assert parse_result("").status == "missing"
    assert parse_result("...Mã: KQ.G01.000279Từ khóaKhông có thông tin").status == "missing"


def test_steps_split_into_short_items() -> None:
    text = "Bước 1: Nộp hồ sơ. Bước 2: Nhận kết quả.\n- Cán bộ kiểm tra hồ sơ;\n+ Trả kết quả."
    assert parse_steps(text).value == [
        "Bước 1: Nộp hồ sơ.",
        "Bước 2: Nhận kết quả.",
        "Cán bộ kiểm tra hồ sơ;",
        "Trả kết quả.",
    ]
    assert parse_steps("").status == "missing"


def test_conditions() -> None:
    assert parse_conditions("Không có thông tin").value == []
    assert parse_conditions("Không.").status == "none"
    assert parse_conditions(
        "- Có năng lực hành vi dân sự đầy đủ;\n- Có lý lịch rõ ràng."
    ).value == [
        "Có năng lực hành vi dân sự đầy đủ;",
        "Có lý lịch rõ ràng.",
    ]


def test_levels() -> None:
    assert parse_levels("Cấp bộ, Cấp tỉnh, Cấp xã, Cơ quan khác").value == [
        Level.ministry,
        Level.province,
        Level.commune,
        Level.other,
    ]
    district = parse_levels("Cấp huyện, Cấp xã")
    assert district.value == [Level.commune]
    assert any("Cấp huyện" in note for note in district.notes)
    assert parse_levels("Cấp thôn").status == "missing"


def test_related_codes() -> None:
    assert related_codes("#Tên thủ tục1.001193 Đăng ký khai sinh; 1.004884", "1.004884") == [
        "1.001193"
    ]
    assert related_codes("Không có thông tin") == []
