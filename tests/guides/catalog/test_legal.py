"""Legal-basis table of the national catalog (guides.catalog.legal)."""

from __future__ import annotations

import pytest

from guides.catalog.legal import parse_legal_basis

LEGAL = "Tên văn bản pháp lýMã văn bản"


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
