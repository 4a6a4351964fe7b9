"""The one-stop adapter: what the bot asks a city's one-stop system (một cửa điện tử).

Two questions, the whole contract a city's bridge answers (README, "Dossier status"):

- ``POST {DOSSIER_API_URL}/dossiers/verify`` ``{"code": ..., "phone_last4": "1234"}`` →
  ``{"verified": true|false}`` (an unknown code is simply not verified);
- ``GET {DOSSIER_API_URL}/dossiers/{code}`` → the dossier record (:mod:`dossiers.record`), 404
  when there is none.

Both carry ``Authorization: Bearer {DOSSIER_API_KEY}`` when a key is set. A lookup (proof and
record) has ``DOSSIER_TIMEOUT`` seconds in all, retries with backoff included: a connection
error, a timeout, 429 or 5xx is tried again while time is left; an answer that is not the
contract's JSON is not. Whatever goes wrong is :class:`OneStopUnavailable`, which the
dialogue turns into a polite "try again later".
"""

from __future__ import annotations

import time
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_before_delay, wait_exponential

from dossiers.record import DossierRecord, MalformedRecord, parse_record


class OneStopUnavailable(Exception):
    """The one-stop system did not answer in time, or not as the contract says."""


class _Transient(Exception):
    """A failure worth another try (connection, timeout, 429, 5xx)."""


class OneStop(Protocol):
    """A one-stop system, by whatever means it is reached."""

    async def verify_owner(self, code: str, phone_last4: str, *, deadline: float) -> bool:
        """Whether the phone number on dossier ``code`` ends in ``phone_last4`` (False for an
        unknown code); ``deadline`` is a ``time.monotonic()`` moment."""
        ...

    async def lookup(self, code: str, *, deadline: float) -> DossierRecord | None:
        """The dossier's record, None if there is no such dossier."""
        ...


async def verified_lookup(onestop: OneStop, code: str, phone_last4: str, timeout: float) -> DossierRecord | None:
    """The proof, then (only if it passed) the record, both within ``timeout`` seconds; None
    when the proof failed or there is no such dossier."""
    deadline = time.monotonic() + timeout
    if not await onestop.verify_owner(code, phone_last4, deadline=deadline):
        return None
    return await onestop.lookup(code, deadline=deadline)


class HttpOneStop:
    """The contract over HTTP (``DOSSIER_API_URL``)."""

    def __init__(self, base_url: str, api_key: str | None = None, *, backoff: float = 0.1) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.backoff = backoff
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(headers=self.headers, follow_redirects=False,
                                             limits=httpx.Limits(max_connections=50))
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _call(self, method: str, path: str, deadline: float, body: dict[str, Any] | None = None) -> httpx.Response:
        budget = deadline - time.monotonic()
        if budget <= 0:
            raise OneStopUnavailable("no time left for the one-stop system")
        retrying = AsyncRetrying(stop=stop_before_delay(budget), reraise=True,
                                 wait=wait_exponential(multiplier=self.backoff, max=1.0),
                                 retry=retry_if_exception_type(_Transient))
        try:
            async for attempt in retrying:
                with attempt:
                    left = deadline - time.monotonic()
                    if left <= 0.01:
                        raise OneStopUnavailable("the one-stop system did not answer in time")
                    try:
                        answer = await self.client.request(method, self.base_url + path, json=body, timeout=left)
                    except httpx.TransportError as error:  # refused, reset, timed out
                        raise _Transient(repr(error)) from error
                    if answer.status_code == 429 or answer.status_code >= 500:
                        raise _Transient(f"HTTP {answer.status_code}")
                    return answer
        except _Transient as error:
            raise OneStopUnavailable(f"the one-stop system failed: {error}") from error
        raise OneStopUnavailable("the one-stop system did not answer")  # pragma: no cover - reraise above

    @staticmethod
    def _json(answer: httpx.Response) -> Any:
        try:
            return answer.json()
        except ValueError as error:
            raise OneStopUnavailable(f"the one-stop system answered HTTP {answer.status_code} without JSON") from error

    async def verify_owner(self, code: str, phone_last4: str, *, deadline: float) -> bool:
        answer = await self._call("POST", "/dossiers/verify", deadline, {"code": code, "phone_last4": phone_last4})
        if answer.status_code == 404:
            return False
        if answer.status_code != 200:
            raise OneStopUnavailable(f"the one-stop system refused the proof check: HTTP {answer.status_code}")
        data = self._json(answer)
        if not isinstance(data, dict) or not isinstance(data.get("verified"), bool):
            raise OneStopUnavailable("the proof check's answer has no 'verified' true/false")
        return bool(data["verified"])

    async def lookup(self, code: str, *, deadline: float) -> DossierRecord | None:
        answer = await self._call("GET", f"/dossiers/{quote(code, safe='')}", deadline)
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise OneStopUnavailable(f"the one-stop system refused the lookup: HTTP {answer.status_code}")
        try:
            return parse_record(self._json(answer), expected_code=code)
        except MalformedRecord as error:
            raise OneStopUnavailable(f"the one-stop system's record is malformed: {error}") from error
