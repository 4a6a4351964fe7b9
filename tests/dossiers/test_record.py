"""dossiers.record and dossiers.wording: the one-stop contract checked, and said plainly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dossiers.record import STATUSES, MalformedRecord, parse_record
from dossiers.wording import check_phrases, lookup_text, phrases, update_text

CODE = "000.00.12.H40-251201-0007"


def record(**changes: Any) -> dict[str, Any]:
    return {"code": CODE, "procedure_name": "Đăng ký khai sinh", "status": "in_progress", "due_date": "2025-12-08",
            "missing": [], "pickup_place": "Bộ phận một cửa UBND phường Hải Châu", **changes}


@pytest.mark.parametrize("bad", [
    [], "x", {"status": "in_progress"}, record(code="not a code"), record(status="overdue"), record(status=None),
    record(due_date="8/12/2025"), record(due_date=20251208), record(missing="bản sao"), record(missing=[1]),
    record(missing=["x"] * 21), record(pickup_place="x" * 301), record(procedure_name=["a"]),
])
def test_what_is_not_the_contract_is_refused(bad: Any) -> None:
    with pytest.raises(MalformedRecord):
        parse_record(bad)


def test_text_is_normalised_and_the_code_written_one_way() -> None:
    decomposed = "Đăng ky\u0301 khai sinh"  # NFD accent
    parsed = parse_record(record(code="0000012h402512010007", procedure_name=decomposed, missing=["  bản   sao "]))
    assert parsed.code == CODE and parsed.procedure_name == "Đăng ký khai sinh" and parsed.missing == ("bản sao",)
    with pytest.raises(MalformedRecord):
        parse_record(record(), expected_code="000.00.12.H40-251201-0008")


def test_overdue_is_derived_from_the_due_date_while_the_office_holds_it() -> None:
    late = parse_record(record())
    assert late.overdue_days(dt.date(2025, 12, 10)) == 2
    assert late.overdue_days(dt.date(2025, 12, 8)) == 0
    assert parse_record(record(status="result_ready")).overdue_days(dt.date(2025, 12, 10)) == 0
    text = lookup_text(late, dt.date(2025, 12, 10), can_follow=True)
    assert "08/12/2025" in text and "quá hạn hẹn trả 2 ngày" in text and "theo dõi hồ sơ này" in text
    assert "quá hạn" not in lookup_text(late, dt.date(2025, 12, 1), can_follow=False)


def test_each_status_is_worded_and_says_what_the_citizen_needs() -> None:
    today = dt.date(2025, 12, 1)
    worded = {status: update_text(parse_record(record(status=status)), today) for status in STATUSES}
    assert len(set(worded.values())) == len(STATUSES)
    needs = update_text(parse_record(record(status="needs_documents", missing=["Bản sao giấy kết hôn"])), today)
    assert "Bản sao giấy kết hôn" in needs
    ready = update_text(parse_record(record(status="result_ready")), today)
    assert "Bộ phận một cửa UBND phường Hải Châu" in ready
    for final in ("completed", "returned", "cancelled"):
        assert "ngừng theo dõi" in worded[final]
        assert "theo dõi hồ sơ này" not in lookup_text(parse_record(record(status=final)), today, can_follow=True)
    assert all(len(text) < 600 for text in worded.values())


def test_the_phrase_file_is_checked() -> None:
    good = dict(phrases())
    with pytest.raises(ValueError, match="update"):
        check_phrases({**good, "update": "Hồ sơ {ma} có cập nhật"})
    with pytest.raises(ValueError, match="status"):
        check_phrases({**good, "status": {"received": "x"}})
