"""Dossier codes (mã hồ sơ) as citizens type them, for both runtimes.

A one-stop system (một cửa điện tử) prints a code on the receipt: the receiving office's
electronic code, the day received (yymmdd) and a sequence number, e.g.
``000.00.12.H40-251201-0007``. Citizens type it with spaces, in lower case, without the dots
or dashes, or inside a sentence; :func:`find_code` finds it in any of these forms and gives the
one written form every other part of the project uses. :func:`mask_codes` hides all but the
office and the last two digits (logs, the console).
"""

from __future__ import annotations

import re

MASK = "•"
# between the parts: nothing, spaces, dots, dashes (ASCII or typographic), slashes, underscores
_SEP = r"[\s.\-‐‑‒–—_/]*"
CODE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(\d{3})" + _SEP + r"(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"([A-Za-z])" + _SEP
    + r"(\d{2})" + _SEP + r"(\d{2})(\d{2})(\d{2})" + _SEP + r"(\d{4})(?![0-9A-Za-z])"
)
# the written forms the README lists (each is tested)
EXAMPLE_FORMS = (
    "000.00.12.H40-251201-0007",
    "000.00.12.h40-251201-0007",
    "000 00 12 H40 251201 0007",
    "000.00.12.H40 - 251201 - 0007",
    "0000012H402512010007",
    "000.00.12.H40.251201.0007",
)


def _canonical(match: re.Match[str]) -> str | None:
    office_a, office_b, office_c, letter, office_d, yy, mm, dd, number = match.groups()
    if not (1 <= int(mm) <= 12 and 1 <= int(dd) <= 31):
        return None
    return f"{office_a}.{office_b}.{office_c}.{letter.upper()}{office_d}-{yy}{mm}{dd}-{number}"


def find_code(text: str) -> str | None:
    """The first dossier code in ``text``, in its written form, or None."""
    for match in CODE_IN_TEXT.finditer(text or ""):
        code = _canonical(match)
        if code:
            return code
    return None


def normalize_code(value: str) -> str | None:
    """``value`` as a dossier code in its written form, if it is one (and nothing else)."""
    match = CODE_IN_TEXT.fullmatch((value or "").strip())
    return _canonical(match) if match else None


def mask_code(code: str) -> str:
    """``000.00.12.H40-251201-0007`` -> ``000.00.12.H40-••••••-••07``."""
    office, _, rest = code.partition("-")
    if not rest:
        return MASK * max(0, len(code) - 2) + code[-2:]
    return office + "-" + "".join(MASK if c.isdigit() else c for c in rest[:-2]) + rest[-2:]


def mask_codes(text: str) -> str:
    """``text`` with every dossier code in it masked, however it was written."""
    if not text:
        return text

    def masked(match: re.Match[str]) -> str:
        code = _canonical(match)
        return mask_code(code) if code else match.group(0)

    return CODE_IN_TEXT.sub(masked, text)
