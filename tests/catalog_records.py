"""Invented catalog records in the national catalog's JSON format (cells run together as the
portal exports them), and guides that agree with them: what the fact check and the
stale-content alerts are tested on. Nothing here is copied from the real catalog."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

CODE = "1.900101"

RECORD: dict[str, Any] = {
    "ma_thu_tuc": CODE,
    "detail_url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/fixture-1-900101",
    "formality_id": "",
    "ten_thu_tuc": "Cấp giấy xác nhận thử nghiệm",
    "so_quyet_dinh": "1/QĐ-BTP",
    "cap_thuc_hien": "Cấp xã",
    "loai_thu_tuc": "",
    "linh_vuc": "Hộ tịch",
    "doi_tuong_thuc_hien": "Công dân Việt Nam",
    "co_quan_co_tham_quyen": "",
    "dia_chi_tiep_nhan": "",
    "co_quan_duoc_uy_quyen": "",
    "co_quan_phoi_hop": "",
    "thu_tuc_lien_quan": "Không có thông tin",
    "trinh_tu_thuc_hien": "- Người yêu cầu nộp hồ sơ tại Ủy ban nhân dân cấp xã.\n- Công chức kiểm tra và cấp giấy.",
    "cach_thuc_thuc_hien": (
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việcLệ phí : 20.000 Đồng"
        "Trực tuyến5 Ngày làm việcLệ phí : 10.000 ĐồngNộp qua ứng dụng VNeID"
    ),
    "thanh_phan_ho_so": (
        "--Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai đề nghị cấp giấy xác nhận;Mau TK.doc1 bản chính"
        "Giấy chứng nhận kết hôn.0 bản chính,1 bản sao"
    ),
    "can_cu_phap_ly": (
        "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH1360/2014/QH13"
        "Nghị định quy định chi tiết123/2015/NĐ-CP"
    ),
    "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
    "yeu_cau_dieu_kien": "Không có thông tin",
    "ket_qua_xu_ly": "Giấy xác nhận",
    "raw_text": "",
}

GUIDE: dict[str, Any] = {
    "code": CODE,
    "id": "cap-giay-xac-nhan-thu-nghiem",
    "title": "Cấp giấy xác nhận thử nghiệm",
    "status": "published",
    "summary": "Xin giấy xác nhận ở UBND xã; 20.000 đồng, 5 ngày làm việc.",
    "aliases": ["giấy xác nhận thử nghiệm", "xin xác nhận thử nghiệm"],
    "field": "Hộ tịch",
    "level": ["commune"],
    "agency": "Ủy ban nhân dân cấp xã",
    "who": "Công dân Việt Nam",
    "documents": [
        {"name": "Tờ khai đề nghị cấp giấy xác nhận", "kind": "original"},
        {"name": "Bản sao giấy chứng nhận kết hôn", "kind": "copy"},
    ],
    "steps": ["Nộp hồ sơ tại UBND xã hoặc trên ứng dụng VNeID.", "Nhận giấy xác nhận."],
    "channels": [
        {"type": "in_person", "time": {"text": "5 ngày làm việc", "value": 5, "unit": "working_day"},
         "fee": {"kind": "amount", "amount_vnd": 20000, "text": "20.000 đồng"}},
        {"type": "online", "time": {"text": "5 ngày làm việc", "value": 5, "unit": "working_day"},
         "fee": {"kind": "amount", "amount_vnd": 10000, "text": "10.000 đồng"}},
    ],
    "processing_time": {"text": "5 ngày làm việc", "value": 5, "unit": "working_day"},
    "result": "Giấy xác nhận",
    "legal_basis": [{"number": "60/2014/QH13", "title": "Luật Hộ tịch"},
                    {"number": "123/2015/NĐ-CP", "title": "Nghị định"}],
    "online_system": "Ứng dụng VNeID",
    "sample_questions": ["xin giấy xác nhận ở đâu", "mất bao lâu", "bao nhiêu tiền"],
    "source": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/fixture-1-900101",
    "last_reviewed": "2026-12-01",
}


def record(**changes: str) -> dict[str, Any]:
    return {**copy.deepcopy(RECORD), **changes}


def guide_data(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(GUIDE), **changes}


def write_catalog(folder: Path, *records: dict[str, Any]) -> Path:
    """A catalog folder holding these records (``<folder>/bo-tu-phap/<code>.json``)."""
    ministry = folder / "bo-tu-phap"
    ministry.mkdir(parents=True, exist_ok=True)
    for item in records:
        (ministry / f"{item['ma_thu_tuc']}.json").write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    return folder
