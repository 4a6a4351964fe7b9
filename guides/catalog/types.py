"""Types shared by the parsers of the national catalog's run-together fields.

The portal export flattens its tables: the cells of a row and the rows of a table run
together with no separator. Each parser (:mod:`guides.catalog.channels`,
:mod:`guides.catalog.documents`, :mod:`guides.catalog.legal`, :mod:`guides.catalog.fields`)
takes one field (already NFC) and returns a :class:`Parsed` value saying whether the
field was extracted:

- ``ok``: the field was understood and gave data;
- ``none``: the catalog explicitly says there is nothing ("Không có thông tin");
- ``missing``: the field is empty or could not be understood.

``Parsed.extracted`` is true for ``ok`` and ``none``. Parsers never raise on odd input;
what they could not read is said in ``Parsed.notes`` (Vietnamese-free, for the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
Status = Literal["ok", "none", "missing"]


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed value, whether it was extracted, and what was odd about it."""

    value: T
    status: Status
    notes: tuple[str, ...] = ()

    @property
    def extracted(self) -> bool:
        """True when the field was understood (data found, or explicitly none)."""
        return self.status != "missing"


NO_INFO = "Không có thông tin"
