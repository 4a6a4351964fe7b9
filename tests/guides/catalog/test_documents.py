"""Documents table of the national catalog (guides.catalog.documents)."""

from __future__ import annotations

import pytest

from guides.catalog.documents import ZERO_QUANTITY, parse_documents
from guides.schema import DocumentKind

DOCS = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"


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
