"""Fixtures shared by the whole suite (imported by both runtimes: keep imports light)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.postgres import PostgresServer, postgres_bin
from servers.redis_server import RedisServer, redis_server_bin
from tests.small_index import SmallIndex, build_small_index
from tests.system_packages import require

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def catalog_dir() -> Path | None:
    """The national catalog beside the repository (../shared), or TTHC_CATALOG_DIR."""
    configured = os.environ.get("TTHC_CATALOG_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "national-procedures"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def national_catalog() -> Path:
    path = catalog_dir()
    if path is None:
        pytest.skip("the national catalog (../shared/data/national-procedures) is not available here")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (skipped where PostgreSQL is not installed,
    except in CI, where a missing server is a failure)."""
    require(postgres_bin() is not None, "PostgreSQL", "postgresql")
    server = PostgresServer().start()
    yield server
    server.stop()


_databases = itertools.count(1)


@pytest.fixture()
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis server for the session (skipped where Redis is not installed, except in
    CI, where a missing server is a failure)."""
    require(redis_server_bin() is not None, "Redis", "redis-server")
    server = RedisServer().start()
    yield server
    server.stop()


_redis_dbs = itertools.cycle(range(1, 16))


@pytest.fixture()
def redis_url(redis_server: RedisServer) -> str:
    """An emptied database (1-15, in turn) on the session's Redis server."""
    db = next(_redis_dbs)
    redis_server.command("FLUSHDB", db=db)
    return redis_server.url(db)


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> SmallIndex:
    """The twelve guides' index, built once per session (read-only: use ``copy_to`` to change
    anything)."""
    return build_small_index(tmp_path_factory.mktemp("small-index"))


@pytest.fixture(scope="session")
def search_index(small_index: SmallIndex):  # type: ignore[no-untyped-def]
    from retrieval.index import SearchIndex  # noqa: PLC0415

    return SearchIndex.load(small_index.index_dir)
