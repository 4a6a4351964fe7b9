"""The ``{names}`` a phrase template fills in (both runtimes check their phrase files with it)."""

from __future__ import annotations

import string


def placeholders(template: str) -> set[str]:
    """The names of the fields of a ``str.format`` template: "Hồ sơ {code}" → {"code"}; a
    positional ``{}`` is the name "" (which no phrase may use: phrases are filled by name)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
