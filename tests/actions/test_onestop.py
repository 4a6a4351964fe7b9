"""actions.onestop against a local fake one-stop system (servers/fake_onestop.py): the
contract, retries with backoff within DOSSIER_TIMEOUT, slow, failing and malformed answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from actions.onestop import HttpOneStop, OneStopUnavailable, verified_lookup
from servers.fake_onestop import FakeOneStop, Misbehaviour, sample_record

CODE = "000.00.12.H40-251201-0007"


@pytest.fixture()
def fake() -> Iterator[FakeOneStop]:
    with FakeOneStop() as server:
        server.add(sample_record(CODE, status="needs_documents", missing=["Bản sao giấy kết hôn"]), "5678")
        yield server


def lookup(fake: FakeOneStop, digits: str = "5678", code: str = CODE, timeout: float = 3.0, key: str | None = None):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        onestop = HttpOneStop(fake.url, key, backoff=0.05)
        try:
            return await verified_lookup(onestop, code, digits, timeout)
        finally:
            await onestop.close()
    return asyncio.run(run())


def test_a_passed_proof_gives_the_record(fake: FakeOneStop) -> None:
    found = lookup(fake)
    assert found is not None and found.status == "needs_documents"
    assert found.missing == ("Bản sao giấy kết hôn",)
    assert fake.requests == [("POST", "/dossiers/verify"), ("GET", f"/dossiers/{CODE}")]


def test_a_wrong_proof_or_an_unknown_code_never_reads_the_record(fake: FakeOneStop) -> None:
    assert lookup(fake, digits="1111") is None
    assert lookup(fake, code="000.00.12.H40-251201-0099") is None
    assert [m for m, _ in fake.requests] == ["POST", "POST"]


def test_the_key_is_sent(fake: FakeOneStop) -> None:
    fake.misbehaviour.api_key = "city-key"
    with pytest.raises(OneStopUnavailable):  # 401 without it
        lookup(fake)
    assert lookup(fake, key="city-key") is not None


def test_failures_are_retried_while_time_is_left(fake: FakeOneStop) -> None:
    fake.misbehaviour.fail_next = 2
    assert lookup(fake) is not None
    assert len(fake.requests) == 4  # two 503s, then the proof and the record


@pytest.mark.parametrize("misbehaviour", [
    Misbehaviour(delay=5.0),  # slower than the whole budget
    Misbehaviour(fail_next=1000),  # down
    Misbehaviour(malformed=True),  # an HTML error page
    Misbehaviour(wrong_shape=True),  # JSON, not the contract's
])
def test_a_system_that_misbehaves_is_unavailable_within_the_timeout(fake: FakeOneStop,
                                                                     misbehaviour: Misbehaviour) -> None:
    fake.misbehaviour = misbehaviour
    started = time.monotonic()
    with pytest.raises(OneStopUnavailable):
        lookup(fake, timeout=1.5)
    assert time.monotonic() - started < 1.5 + 0.5


def test_a_record_that_breaks_the_contract_is_not_shown(fake: FakeOneStop) -> None:
    fake.update(CODE, status="overdue")  # not a status of the contract
    with pytest.raises(OneStopUnavailable, match="malformed"):
        lookup(fake)
    fake.update(CODE, status="in_progress", code="000.00.12.H40-251201-0001")  # someone else's dossier
    with pytest.raises(OneStopUnavailable, match="malformed"):
        lookup(fake)
