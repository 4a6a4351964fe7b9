"""The committed place lookup table is what the generator makes from the dataset."""

from __future__ import annotations

import pytest

pytest.importorskip("vietnamadminunits")

from bot.lookups import OUT, place_names, render  # noqa: E402


def test_committed_lookup_table_matches_the_dataset() -> None:
    assert OUT.read_text(encoding="utf-8") == render(place_names()), "run `python -m bot.lookups`"


def test_lookup_covers_new_wards_old_districts_and_both_spellings() -> None:
    names = set(place_names())
    assert {"Phường Hòa Cường", "Quận Hải Châu", "Thành phố Đà Nẵng", "Quang Nam", "Quận 1"} <= names
    assert "Phuong Hoa Cuong" in names  # typed without diacritics
