"""A small real index of twelve of the project's guides, for the tests of retrieval, the
actions and the command-line tool (the session's ``small_index`` and ``search_index``
fixtures in tests/conftest.py build it once).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
PROCEDURES = REPO / "procedures"

# Twelve guides: enough siblings (khai sinh / khai tử, thường trú / tạm trú, căn cước for
# two ages) to make ranking meaningful, few enough to build in seconds.
SMALL_GUIDES = (
    "ho-tich/dang-ky-khai-sinh.yml",
    "ho-tich/dang-ky-ket-hon.yml",
    "ho-tich/dang-ky-khai-tu.yml",
    "cu-tru/dang-ky-thuong-tru.yml",
    "cu-tru/dang-ky-tam-tru.yml",
    "cu-tru/tach-ho.yml",
    "can-cuoc/cap-the-can-cuoc-tu-du-14-tuoi.yml",
    "can-cuoc/cap-the-can-cuoc-duoi-14-tuoi.yml",
    "ho-chieu/cap-ho-chieu-pho-thong-trong-nuoc.yml",
    "dat-dai/cap-so-do-lan-dau.yml",
    "kinh-doanh/dang-ky-thanh-lap-ho-kinh-doanh.yml",
    "giay-phep-lai-xe/doi-giay-phep-lai-xe.yml",
)

KHAI_SINH = "1.001193"
KET_HON = "1.000894"
KHAI_TU = "1.000656"
THUONG_TRU = "1.004222"
TAM_TRU = "1.004194"
HO_CHIEU = "1.001456"
DOI_GPLX = "3.000347"
CAN_CUOC_14 = "1.014061"
CAN_CUOC_DUOI_14 = "1.014062"


def copy_guides(dest: Path, names: tuple[str, ...] = SMALL_GUIDES) -> Path:
    """Copy guide files (keeping their sub-folder) into ``dest``."""
    for name in names:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROCEDURES / name, target)
    return dest


def small_options(procedures_dir: Path, out_dir: Path, **changes: object):  # type: ignore[no-untyped-def]
    from retrieval.build import BuildOptions  # noqa: PLC0415

    values: dict[str, object] = {
        "procedures_dir": procedures_dir,
        "out_dir": out_dir,
        "embedding_epochs": 3,
        "train_dirs": (),
    }
    values.update(changes)
    return BuildOptions(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SmallIndex:
    procedures_dir: Path
    index_dir: Path
    manifest: dict[str, object]

    @property
    def options(self):  # type: ignore[no-untyped-def]
        return small_options(self.procedures_dir, self.index_dir)

    def copy_to(self, dest: Path) -> SmallIndex:
        """A private copy (guides and artefacts) a test may change."""
        shutil.copytree(self.procedures_dir, dest / "procedures")
        shutil.copytree(self.index_dir, dest / "index")
        return SmallIndex(dest / "procedures", dest / "index", self.manifest)


def build_small_index(root: Path) -> SmallIndex:
    """Build the twelve guides' index under ``root`` (the guides are copied there first)."""
    from retrieval.build import build_index  # noqa: PLC0415

    procedures = copy_guides(root / "procedures")
    manifest = build_index(small_options(procedures, root / "index"), progress=lambda _m: None)
    return SmallIndex(procedures, root / "index", manifest)
