"""Starting one of the project's processes and waiting until it answers its health URL."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tthc_text.paths import REPO_ROOT

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    health: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting for it (several start together)."""
        handle = self.log.open("ab")
        self.process = subprocess.Popen(self.command, cwd=REPO_ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> None:
        assert self.process is not None
        wait_for(self.health, self.process, timeout, self.log)

    def kill(self) -> None:
        """Kill at once (SIGKILL), as a crash or a lost machine would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
