"""After a guide is saved: rebuild the search index in the background if the edit made it
stale; the action server then swaps the new index in (see actions.knowledge)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from tthc_settings import REPO_ROOT, Settings

logger = logging.getLogger(__name__)


def rebuild_environment(settings: Settings) -> dict[str, str]:
    """The rebuild's environment: this console's content folders, whatever the process's own
    environment says (a console started with settings passed in, as in the tests, rebuilds
    its own index, not the default one)."""
    return {**os.environ, "PROCEDURES_DIR": str(settings.procedures_dir), "INDEX_DIR": str(settings.index_dir),
            "NLU_DIR": str(settings.nlu_dir), "CATALOG_DIR": str(settings.catalog_dir or "")}


def rebuild_index_in_background(settings: Settings) -> None:
    tthc = Path(sys.executable).with_name("tthc")
    try:
        subprocess.Popen([str(tthc), "index", "build", "--if-stale"], cwd=REPO_ROOT, env=rebuild_environment(settings),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        logger.exception("could not start the index rebuild")
