"""The national administrative-procedure catalog: reading, parsing and importing it.

- :mod:`guides.catalog.records`: read the raw records (one JSON file per procedure);
- :mod:`guides.catalog.types`: :class:`~guides.catalog.types.Parsed`, what every parser returns;
- :mod:`guides.catalog.text`: whitespace, blank fields, lists, page sections, ids;
- :mod:`guides.catalog.channels`: channels, processing time and fees (and money in text);
- :mod:`guides.catalog.documents`: documents to submit or present;
- :mod:`guides.catalog.legal`: legal-basis numbers and titles;
- :mod:`guides.catalog.fields`: result, steps, conditions, levels, related codes;
- :mod:`guides.catalog.report`: the import report;
- :mod:`guides.catalog.importer`: records -> draft guides (:func:`run_import`).
"""

from __future__ import annotations

from guides.catalog.importer import run_import
from guides.catalog.records import iter_records
from guides.catalog.report import ImportReport

__all__ = ["ImportReport", "iter_records", "run_import"]
