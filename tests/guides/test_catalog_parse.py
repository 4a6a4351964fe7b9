"""Parsers of the national catalog's run-together fields (guides.catalog_parse)."""

from __future__ import annotations

import unicodedata

import pytest

from guides.catalog_parse import (
    ZERO_QUANTITY,
    guide_id,
    money_in,
    parse_channels,
    parse_conditions,
    parse_documents,
    parse_legal_basis,
    parse_levels,
    parse_result,
    parse_steps,
    processing_time,
    raw_section,
    related_codes,
    slugify,
    split_items,
)
from guides.schema import ChannelType, DocumentKind, Level

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOCS = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL = "Tên văn bản pháp lýMã văn bản"
LEFTOVER = (
    "Từ khóaKhông có thông tinMô tảKhông có thông tinChọn cơ quan thực hiệnTỉnh/ Thành phố"
    "Bộ ngành-- Chọn Tỉnh/ Thành phố --Nộp hồ sơ"
)


# ----------------------------------------------------------------------- channels


def test_channels_with_unitless_times_and_free_fees() -> None:
    parsed = parse_channels(
        f"{HEADER}Trực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp1Miễn phí"
    )
    assert parsed.status == "ok" and parsed.extracted
    assert [c.type for c in parsed.value] == [
        ChannelType.online,
        ChannelType.post,
        ChannelType.in_person,
    ]
    for channel in parsed.value:
        assert channel.time.value is None and channel.time.unit == "unknown"
        assert channel.time.text.startswith("1 ")
        assert channel.fee.kind == "free" and channel.fee.amount_vnd is None
    assert "time: no unit" in parsed.notes


@pytest.mark.parametrize(
    ("cell", "value", "unit"),
    [
        ("15 Ngày làm việc", 15, "working_day"),
        ("30 Ngày", 30, "day"),
        ("8 Giờ", 8, "hour"),
        ("6 Tháng", 6, "month"),
        ("1.5 Ngày làm việc", 1.5, "working_day"),
        ("Trong ngày", 1, "working_day"),
    ],
)
def test_time_units(cell: str, value: float, unit: str) -> None:
    parsed = parse_channels(f"{HEADER}Trực tiếp{cell}Miễn phí")
    time = parsed.value[0].time
    assert (time.value, time.unit) == (value, unit)


def test_amount_fee_with_note_and_description() -> None:
    text = (
        f"{HEADER}Trực tiếp5 Ngày làm việc2,000,000 Việt Nam Đồng"
        "(Phí thẩm định: 2.000.000 đồng/hồ sơ)"
        "05 ngày làm việc kể từ ngày nhận đủ hồ sơ."
    )
    channel = parse_channels(text).value[0]
    assert channel.fee.kind == "amount" and channel.fee.amount_vnd == 2_000_000
    assert channel.fee.text == "2.000.000 đồng"
    assert channel.fee.note == "Phí thẩm định: 2.000.000 đồng/hồ sơ"
    assert channel.note == "05 ngày làm việc kể từ ngày nhận đủ hồ sơ."


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("Lệ phí : 50.000 Đồng", 50_000),
        ("Phí : 100.000 Đồng (phí thẩm định)", 100_000),
        ("70,000 VNĐ", 70_000),
    ],
)
def test_labelled_amounts(cell: str, amount: int) -> None:
    fee = parse_channels(f"{HEADER}Trực tiếp3 Ngày{cell}").value[0].fee
    assert (fee.kind, fee.amount_vnd) == ("amount", amount)


def test_no_information_fee_counts_as_extracted() -> None:
    parsed = parse_channels(f"{HEADER}Trực tiếpKhông có thông tinKhông có thông tinNộp tại Sở")
    assert parsed.status == "ok" and parsed.extracted
    channel = parsed.value[0]
    assert channel.time.text == "Không có thông tin" and channel.time.unit == "unknown"
    assert (channel.fee.kind, channel.fee.text) == ("unknown", "Không có thông tin")
    assert channel.note == "Nộp tại Sở"


def test_fee_only_in_a_note() -> None:
    fee = (
        parse_channels(f"{HEADER}Trực tuyến3 Ngày làm việcMiễn phí(Lệ phí: 600.000 đồng/lần cấp)")
        .value[0]
        .fee
    )
    assert (fee.kind, fee.amount_vnd) == ("amount", 600_000)
    assert fee.note is not None and "Miễn phí" in fee.note


def test_fee_set_by_the_province() -> None:
    text = f"{HEADER}Trực tuyến5Miễn phí(Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định.)"
    fee = parse_channels(text).value[0].fee
    assert fee.kind == "province" and fee.amount_vnd is None


def test_time_glued_to_amount_is_split_with_the_note() -> None:
    text = (
        f"{HEADER}Trực tuyến140,000 Việt Nam Đồng(40.000 đồng/giấy)"
        "Trực tiếp120 VNĐ(20.000 vnđ /tờ khai)"
    )
    online, in_person = parse_channels(text).value
    assert online.time.text.startswith("1 ") and online.fee.amount_vnd == 40_000
    assert in_person.time.text.startswith("1 ") and in_person.fee.amount_vnd == 20_000


def test_amount_in_thousands_is_corrected_from_the_note() -> None:
    fee = (
        parse_channels(f"{HEADER}Trực tuyến7 Ngày làm việc150 VNĐ(150.000 đồng/lần/thẻ.)")
        .value[0]
        .fee
    )
    assert (fee.kind, fee.amount_vnd) == ("amount", 150_000)


def test_implausible_amount_without_confirmation_stays_unknown() -> None:
    fee = parse_channels(f"{HEADER}Trực tuyến5 Ngày45 VNĐ").value[0].fee
    assert fee.kind == "unknown" and fee.amount_vnd is None and "45 VNĐ" in fee.text


def test_fee_in_usd_is_not_converted() -> None:
    fee = parse_channels(f"{HEADER}Trực tiếp5 Ngày làm việc145 USD(145 USD/thẻ.)").value[0].fee
    assert fee.kind == "unknown" and fee.text == "145 USD"


def test_numbered_description_is_not_a_fee_note() -> None:
    channel = parse_channels(
        f"{HEADER}Trực tiếp16 Ngày làm việcKhông có thông tin(1) Trường hợp cấp mới"
    ).value[0]
    assert channel.fee.note is None
    assert channel.note == "(1) Trường hợp cấp mới"


def test_channel_word_inside_a_description_is_not_a_row() -> None:
    text = f"{HEADER}Trực tuyến3 Ngày làm việcMiễn phí+ Trực tuyến: nộp qua Cổng Dịch vụ công"
    assert len(parse_channels(text).value) == 1


def test_channels_missing_when_empty() -> None:
    assert parse_channels("").status == "missing"
    assert parse_channels(HEADER).status == "missing"


def test_processing_time_prefers_in_person() -> None:
    channels = parse_channels(f"{HEADER}Trực tuyến3 NgàyMiễn phíTrực tiếp5 NgàyMiễn phí").value
    time = processing_time(channels)
    assert time is not None and time.value == 5
    assert processing_time(channels[:1]) == channels[0].time
    assert processing_time([]) is None


def test_money_in_free_text() -> None:
    assert money_in("Phí: 15000000/lần Đồng; thêm 2.000.000 đồng/loại, tối đa 01 triệu đồng") == [
        15_000_000,
        2_000_000,
        1_000_000,
    ]
    assert money_in("Thông tư số 64/2025/TT-BTC ngày 30/6/2025") == []


# ---------------------------------------------------------------------- documents


def test_documents_sections_kinds_and_forms() -> None:
    text = (
        f"* Giấy tờ phải nộp:{DOCS}"
        "- Tờ khai đăng ký khai tử theo mẫu;Mẫu TK khai tử.docx1 bản chính"
        "- Giấy báo tử do cơ quan có thẩm quyền cấp.1 bản chính"
        "Quyết định thành lập.0 bản chính,1 bản sao"
        "Hợp đồng ủy quyền.1 bản chính,1 bản sao"
        f"* Giấy tờ phải xuất trình:{DOCS}- Giấy tờ tùy thân của người đi đăng ký.1 bản chính"
    )
    parsed = parse_documents(text)
    assert parsed.status == "ok"
    form, death, decision, proxy, identity = parsed.value
    assert (form.name, form.form, form.kind, form.quantity) == (
        "Tờ khai đăng ký khai tử theo mẫu",
        "Mẫu TK khai tử.docx",
        DocumentKind.original,
        1,
    )
    assert death.name == "Giấy báo tử do cơ quan có thẩm quyền cấp" and death.form is None
    assert (decision.kind, decision.quantity) == (DocumentKind.copy, 1)
    assert proxy.kind is DocumentKind.original_or_copy
    assert identity.kind is DocumentKind.present


def test_quantity_inside_a_name_is_not_a_row() -> None:
    text = f"--{DOCS}Hợp đồng bảo đảm (01 bản chính hoặc 01 bản sao có chứng thực)1 bản chính"
    (document,) = parse_documents(text).value
    assert document.name == "Hợp đồng bảo đảm (01 bản chính hoặc 01 bản sao có chứng thực)"


def test_digits_glued_to_the_quantity_stay_with_the_name() -> None:
    (document,) = parse_documents(f"--{DOCS}Tờ khai theo Mẫu số 011 bản chính").value
    assert (document.name, document.quantity) == ("Tờ khai theo Mẫu số 01", 1)


def test_zero_quantity_row_is_kept_with_a_note() -> None:
    text = (
        f"--{DOCS}Đơn đề nghị.1 bản chính"
        "Trường hợp nộp trực tuyến thì không nộp bản giấy.0 bản chính"
    )
    request, remark = parse_documents(text).value
    assert request.note is None
    assert remark.quantity == 0 and remark.note == ZERO_QUANTITY


def test_section_title_is_kept_as_a_note() -> None:
    text = f"Đối với người nước ngoài:{DOCS}Hộ chiếu.0 bản chính,1 bản sao"
    (document,) = parse_documents(text).value
    assert document.note == "Nhóm: Đối với người nước ngoài"


@pytest.mark.parametrize("text", ["", "--", "Không có thông tin", f"--{DOCS}"])
def test_documents_missing(text: str) -> None:
    parsed = parse_documents(text)
    assert parsed.status == "missing" and not parsed.extracted and parsed.value == []


# -------------------------------------------------------------------- legal basis


def test_legal_basis_rows_run_together() -> None:
    text = (
        f"{LEGAL}Luật 60/2014/QH1360/2014/QH13"
        "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ "
        "quy định chi tiết Luật Hộ tịch123/2015/NĐ-CP"
        "Nghị quyết số 66.7/2025/NQ-CP của Chính phủ66.7/2025/NQ-CP"
        "Thông tư hướng dẫn về phí và lệ phí85/2019/TT-BTC"
    )
    parsed = parse_legal_basis(text)
    assert parsed.status == "ok"
    assert [(item.number, item.title) for item in parsed.value] == [
        ("60/2014/QH13", "Luật 60/2014/QH13"),
        (
            "123/2015/NĐ-CP",
            "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ"
            " quy định chi tiết Luật Hộ tịch",
        ),
        ("66.7/2025/NQ-CP", "Nghị quyết số 66.7/2025/NQ-CP của Chính phủ"),
        ("85/2019/TT-BTC", "Thông tư hướng dẫn về phí và lệ phí"),
    ]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        (f"{LEGAL}Luật Đấu giá tài sản năm 201601/2016/QH14", ["01/2016/QH14"]),
        (f"{LEGAL}Về giảm nghèo nhanh và bền vữngNghị quyết số 30a/2008/NQ-CP", ["30a/2008/NQ-CP"]),
        (
            f"{LEGAL}Quy định về phân định thẩm quyền118/2025/NĐ-CLuật Đường bộ35/2024/QH15",
            ["118/2025/NĐ-CP", "35/2024/QH15"],
        ),
        (
            f"{LEGAL}Thông tư liên tịch về bảo hiểm y tế09/2015/TTLT-BCA-BYT-BTC",
            ["09/2015/TTLT-BCA-BYT-BTC"],
        ),
        (
            f"{LEGAL}Quyết định ban hành quy trình2222/QĐ-BHXHCơ quan thực hiệnBảo hiểm xã hội",
            ["2222/QĐ-BHXH"],
        ),
        (f"{LEGAL}Thông tư sửa đổi85/2024/TT-BT\u0421", ["85/2024/TT-BTC"]),  # Cyrillic Es
    ],
)
def test_legal_basis_numbers(text: str, numbers: list[str]) -> None:
    assert [item.number for item in parse_legal_basis(text).value] == numbers


def test_legal_basis_no_information() -> None:
    parsed = parse_legal_basis("Không có thông tin")
    assert parsed.status == "none" and parsed.extracted and parsed.value == []
    assert parse_legal_basis("").status == "missing"
    assert parse_legal_basis(f"{LEGAL}Luật Thú y 2015").status == "missing"


# ------------------------------------------------------------------ result, steps


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


def test_long_items_are_split_into_sentences() -> None:
    sentence = "Cơ quan tiếp nhận kiểm tra tính đầy đủ của hồ sơ và thông báo cho người nộp"
    items = split_items(". ".join([sentence] * 8) + ".", max_length=200)
    assert len(items) == 8 and all(len(item) < 200 for item in items)


def test_conditions() -> None:
    assert parse_conditions("Không có thông tin").value == []
    assert parse_conditions("Không.").status == "none"
    assert parse_conditions(
        "- Có năng lực hành vi dân sự đầy đủ;\n- Có lý lịch rõ ràng."
    ).value == [
        "Có năng lực hành vi dân sự đầy đủ;",
        "Có lý lịch rõ ràng.",
    ]


# ---------------------------------------------------------------- levels, ids, raw


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


def test_related_codes() -> None:
    assert related_codes("#Tên thủ tục1.001193 Đăng ký khai sinh; 1.004884", "1.004884") == [
        "1.001193"
    ]
    assert related_codes("Không có thông tin") == []


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
