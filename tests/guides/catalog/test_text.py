"""Text helpers of the national catalog: lists, ids, page sections (guides.catalog.text)."""

from __future__ import annotations

import unicodedata

from guides.catalog.text import guide_id, raw_section, slugify, split_items

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOCS = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL = "Tên văn bản pháp lýMã văn bản"


def test_long_items_are_split_into_sentences() -> None:
    sentence = "Cơ quan tiếp nhận kiểm tra tính đầy đủ của hồ sơ và thông báo cho người nộp"
    items = split_items(". ".join([sentence] * 8) + ".", max_length=200)
    assert len(items) == 8 and all(len(item) < 200 for item in items)


def test_guide_id_and_slug() -> None:
    assert guide_id("Thủ tục đăng ký khai sinh", "1.001193") == "dang-ky-khai-sinh-1-001193"
    nfd = unicodedata.normalize("NFD", "Cấp đổi thẻ Căn cước")
    assert (
        guide_id(unicodedata.normalize("NFC", nfd), "1.000001") == "cap-doi-the-can-cuoc-1-000001"
    )
    long_title = (
        "Cấp giấy chứng nhận đăng ký mã số đơn vị có quan hệ với ngân sách nhà nước cho dự án"
    )
    slug = slugify(long_title)
    assert len(slug) <= 60 and not slug.endswith("-") and long_title.startswith("Cấp")
    assert guide_id("???", "2.000123") == "thu-tuc-2-000123"


def test_raw_section_cuts_the_page_tables() -> None:
    raw = (
        "Trình Tự Thực Hiện Lập hồ sơ theo mục Thành phần hồ sơ; nộp."
        f"Cách Thức Thực Hiện{HEADER}Trực tiếp10 Ngày làm việcMiễn phí"
        f"Thành phần hồ sơ--{DOCS}Văn bản đề nghị.1 bản chính"
        f"Căn cứ pháp lý{LEGAL}Thông tư hướng dẫn12/2024/TT-NHNN"
        "Cơ quan thực hiệnNgân hàng Nhà nướcKết quả xử lýGiấy phépMã: KQ.G13.000010"
    )
    assert raw_section(raw, "channels") == f"{HEADER}Trực tiếp10 Ngày làm việcMiễn phí"
    assert raw_section(raw, "documents") == f"--{DOCS}Văn bản đề nghị.1 bản chính"
    assert raw_section(raw, "legal_basis") == f"{LEGAL}Thông tư hướng dẫn12/2024/TT-NHNN"
    assert raw_section(raw, "result") == "Giấy phépMã: KQ.G13.000010"
    assert raw_section("", "documents") == ""
