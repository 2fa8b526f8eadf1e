"""Rules that requests must follow beyond their schema, in domain terms.

Each rule reports problems by position (``Where``: item 3's address); the HTTP edge turns positions
into JSON paths, since only it knows where in the body the items were.

The order in which a request is judged is a rule too: the resources a request names come first, so
an unknown pool is a 404 whatever the body says. The edge applies it by looking up the path's IDs
(``Services.require``) before it reads the body.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from senderpools.errors import FieldError, InvalidRequest, Where
from senderpools.wire.fields import RECIPIENT_CHANNELS, channels_for


def repeats(keys: Iterable[Hashable]) -> list[int]:
    """Positions whose key already appeared earlier in ``keys``."""
    seen: set[Hashable] = set()
    found = []
    for i, key in enumerate(keys):
        if key in seen:
            found.append(i)
        seen.add(key)
    return found


def address_problems(items: Iterable[tuple[int, object, object]]) -> list[FieldError]:
    """Per-channel address rules for (position, channel, address) triples, typed or raw JSON values. A
    channel or address that is not even a string of the right kind is skipped: the schema reports it."""
    errors = []
    for i, channel, address in items:
        if isinstance(address, str) and isinstance(channel, str) and channel in RECIPIENT_CHANNELS:
            problem = channels_for(channel)[0].address_problem(address)
            if problem:
                errors.append(FieldError(f"{problem} for channel {channel}.", Where(i, "address"), about_place=True))
    return errors


def check_addresses(items: Sequence[tuple[object, object]]) -> None:
    """400 for every (channel, address) whose address does not suit its channel."""
    errors = address_problems((i, channel, address) for i, (channel, address) in enumerate(items))
    if errors:
        raise InvalidRequest.of(errors)


def unique_sender_ids(sender_ids: Sequence[str]) -> None:
    """400 at each repeat of a sender ID within one request."""
    repeated = repeats(sender_ids)
    if repeated:
        raise InvalidRequest.of(
            [FieldError(f"Sender {sender_ids[i]} appears more than once.", Where(i, "senderId")) for i in repeated]
        )
