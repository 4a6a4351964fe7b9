"""Masking personal data in what staff see and export: phone numbers, CCCD/CMND numbers,
e-mail addresses, dossier codes (Decree 13/2023/NĐ-CP: show only what the work needs)."""

from __future__ import annotations

import re

from tthc_text.dossier_codes import MASK, mask_codes

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese mobile/landline numbers: 0 or +84/84, then 9 digits, spaces/dots/dashes allowed
PHONE = re.compile(r"(?<![\w.])(?:\+?84|0)[\s.-]?[1-9](?:[\s.-]?\d){8}(?![\w])")
# CCCD (12 digits) and CMND (9 digits), written in one piece or in groups
ID_NUMBER = re.compile(r"(?<![\w.])\d{3}[\s-]?\d{3}[\s-]?\d{3}(?:[\s-]?\d{3})?(?![\w.])")


def _mask_digits(text: str, keep_end: int = 2) -> str:
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(digits[:-keep_end] if keep_end else digits)
    return "".join(MASK if i in hidden else c for i, c in enumerate(text))


def _mask_email(match: re.Match[str]) -> str:
    local, _, domain = match.group(0).partition("@")
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses, phone numbers, ID numbers and dossier codes masked."""
    if not text:
        return text
    text = mask_codes(text)
    text = EMAIL.sub(_mask_email, text)
    text = PHONE.sub(lambda m: _mask_digits(m.group(0)), text)
    return ID_NUMBER.sub(lambda m: _mask_digits(m.group(0)), text)


def mask_all_digits(text: str) -> str:
    """Every digit hidden: what a citizen typed to prove a dossier is theirs (the last
    digits of a phone number) is never shown, whatever else the message says."""
    return "".join(MASK if c.isdigit() else c for c in text) if text else text
