"""The widget's conversation ids, issued by the web front: random, and signed with the
console's secret, so that a browser cannot choose one (another visitor's, or a number that
looks like a chat id of another channel). ``POST /api/session`` gives one; ``/api/chat`` and
``/api/updates`` answer 403 to any other."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from tthc_text.conversation_keys import WIDGET_PREFIX

PREFIX = WIDGET_PREFIX
_PURPOSE = b"tthc web conversation id:"


def issue(secret: str) -> str:
    """A new conversation id: ``web-<22 random characters>.<signature>``."""
    token = secrets.token_urlsafe(16)
    return f"{PREFIX}{token}.{_signature(secret, token)}"


def is_issued(secret: str, sender: object) -> bool:
    """Whether ``sender`` is an id this web front issued (with this secret)."""
    if not isinstance(sender, str) or not sender.startswith(PREFIX) or len(sender) > 128:
        return False
    token, dot, signature = sender[len(PREFIX):].rpartition(".")
    return bool(token and dot) and hmac.compare_digest(signature, _signature(secret, token))


def _signature(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), _PURPOSE + token.encode(), hashlib.sha256).hexdigest()[:24]
