"""tthc_text.privacy: personal data is masked, procedure facts are not."""

from __future__ import annotations

import pytest

from tthc_text.privacy import mask_personal_data


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("sdt của tôi 0912345678 nhé", "0912345678"),
        ("gọi +84 912 345 678", "912 345 678"),
        ("số 090.123.4567", "090.123.4567"),
        ("cccd 001203004567 hết hạn", "001203004567"),
        ("cmnd 123456789", "123456789"),
        ("căn cước 001 203 004 567", "001 203 004 567"),
        ("mail nguyen.van.a@gmail.com giúp", "nguyen.van.a@gmail.com"),
    ],
)
def test_personal_data_is_masked(text: str, hidden: str) -> None:
    masked = mask_personal_data(text)
    assert hidden not in masked
    assert "•" in masked
    assert masked.split()[0] == text.split()[0]  # the rest of the message is untouched


@pytest.mark.parametrize(
    "text",
    [
        "thủ tục 1.001193 lệ phí 200.000 đồng",
        "lệ phí 1.500.000 đồng, 15 ngày làm việc",
        "Nghị định 13/2023/NĐ-CP, Luật số 26/2023/QH15",
        "năm 2025 phường 12 quận 3",
    ],
)
def test_procedure_facts_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def test_the_last_digits_stay_visible_for_staff_to_refer_to() -> None:
    assert mask_personal_data("0912345678").endswith("78")
    assert mask_personal_data("a@b.vn") == "a•••@b.vn"
