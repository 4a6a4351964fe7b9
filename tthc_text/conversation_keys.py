"""Conversation keys scoped by channel, for both runtimes.

A Zalo user's conversation is ``zalo:<user id>`` and a Telegram chat's ``telegram:<chat id>``:
the platform ids are plain numbers or strings a REST or web client could also choose, so
without the prefix a client choosing "777000222" would share Telegram user 777000222's
conversation, tickets and replies. REST and web clients may not choose an id with one of
these prefixes; replies on Zalo and Telegram go to the platform id, without it.
"""

from __future__ import annotations

from tthc_text.rate_limit import identity  # the one spelling-blind form of an id

PUSH_CHANNELS = ("zalo", "telegram")
# the channels a message can reach after the turn it answers: the widget fetches its later
# messages, the platforms are sent them (a staff reply, a dossier update)
LATER_CHANNELS = ("web", *PUSH_CHANNELS)
RESERVED_PREFIXES = tuple(f"{channel}:" for channel in PUSH_CHANNELS)
# The widget's conversations: ids the web front issues (web.conversation_ids), reached only
# through it; a REST client may not choose one.
WIDGET_PREFIX = "web-"


def conversation_key(channel: str, platform_id: str) -> str:
    """The conversation of a platform user: ``zalo:123``; other channels' ids as they are."""
    return f"{channel}:{platform_id}" if channel in PUSH_CHANNELS else platform_id


def platform_id(channel: str, key: str) -> str:
    """Whom a platform sends to for a conversation key (``zalo:123`` -> ``123``)."""
    prefix = f"{channel}:"
    return key[len(prefix):] if channel in PUSH_CHANNELS and key.startswith(prefix) else key


def is_reserved(sender: str) -> bool:
    """Whether a client-chosen id would name a Zalo or Telegram conversation (however it is
    written: case, full-width letters, invisible characters)."""
    return identity(sender).startswith(RESERVED_PREFIXES)


def is_widget_id(sender: str) -> bool:
    """Whether an id has the form of the widget's (however it is written)."""
    return identity(sender).startswith(WIDGET_PREFIX)
