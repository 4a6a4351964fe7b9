"""Keys a single machine's services share without configuration (pure Python).

A key set in the settings is used as it is. Without one, the first process to ask writes a
random key to a file under ``build/`` (mode 600, never in the repository) and every later
process on that machine reads the same one, so ``make run`` works on a fresh clone while a
deployment on several machines sets the key in its environment.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


def local_key(folder: Path, name: str, configured: str | None = None) -> str:
    """``configured`` if set, else the key kept in ``folder/.name`` (created on first use).

    The file is written whole under a temporary name and then linked into place, so two
    processes starting together agree on one key and none reads a half-written file.
    """
    if configured:
        return configured
    path = folder / f".{name}"
    for _ in range(50):
        if path.exists():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        else:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(48))
            try:
                os.link(partial, path)
            except FileExistsError:
                pass  # another process was first: use its key
            finally:
                partial.unlink()
            continue
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it and start again")
