"""Channels, time and fee of the national catalog (guides.catalog.channels)."""

from __future__ import annotations

import pytest

from guides.catalog.channels import money_in, parse_channels, processing_time
from guides.schema import ChannelType

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"


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
