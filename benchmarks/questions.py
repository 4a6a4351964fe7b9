"""What the service benchmarks ask, as `benchmarks/service.py` has always asked it (both runtimes)."""

from __future__ import annotations

QUESTIONS = [
    "làm giấy khai sinh cần giấy tờ gì",
    "le phi dang ky ket hon bao nhieu",
    "đổi cccd nộp ở đâu",
    "dk tam tru mat bao lau",
    "xin chào",
    "làm hộ chiếu có nộp online được không",
    "cảm ơn",
    "đăng ký thường trú cần điều kiện gì",
]
CONVERSATION = ["làm giấy khai sinh cần giấy tờ gì", "còn lệ phí thì sao", "nộp ở đâu"]
