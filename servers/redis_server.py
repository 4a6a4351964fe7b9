"""A real, throw-away Redis server for the tests and benchmarks (Debian's redis-server package).

``RedisServer().start()`` runs redis-server on a free 127.0.0.1 port, without persistence,
its files in a new temporary folder (removed by ``stop``); ``url(db)`` gives a
``redis://`` URL. Standard library only: both runtimes use it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from servers.ports import free_port


def redis_server_bin() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


class RedisServer:
    def __init__(self) -> None:
        binary = redis_server_bin()
        if binary is None:
            raise FileNotFoundError("Redis is not installed (Debian: apt-get install redis-server)")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="tthc-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        log = open(self.folder / "redis.log", "wb")  # noqa: SIM115 - kept open while it runs
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.folder / 'redis.log').read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer in 20 s")

    def command(self, *args: str, db: int = 0) -> bytes:
        """Run one command (RESP over a socket, no client library) and return the raw reply."""
        def resp(*words: str) -> bytes:
            return f"*{len(words)}\r\n".encode() + b"".join(
                f"${len(w.encode())}\r\n".encode() + w.encode() + b"\r\n" for w in words)

        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(resp("SELECT", str(db)) + resp(*args))
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n", 1)[1]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
