"""What a webhook delivery is on the wire: a CloudEvents 1.0 JSON body, signed per Standard Webhooks.

One home for both sides: the server signs with ``sign``; receivers (and the SDK's ``verify_webhook``)
check with ``verify``. The signature is ``v1,`` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))
where the key is the base64 after ``whsec_`` in the sink's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from senderpools.wire.resources import Event

SECRET_PREFIX = "whsec_"  # noqa: S105 (the form of a secret, not one)
SOURCE = "/v1/Events"  # the CloudEvents ``source`` of every event: where the log can be read
CONTENT_TYPE = "application/cloudevents+json"
TOLERANCE_S = 300  # how far a timestamp may be from the receiver's clock (Standard Webhooks' default)

_decode_event = msgspec.json.Decoder(Event).decode


class WebhookVerificationError(Exception):
    """The delivery's signature or timestamp does not check out: do not trust its body."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of a delivery: the event's ID (the same on every retry), the time, the signature."""
    at = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": CONTENT_TYPE,
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": signature(secret, msg_id, at, body),
    }


def verify(headers: Mapping[str, str], body: bytes | str, secret: str, tolerance_s: int = TOLERANCE_S) -> Any:
    """The delivery's CloudEvent as a dict, once its signature and timestamp check out; else
    ``WebhookVerificationError``. ``headers`` may use any case."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (lower.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        at = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    if abs(time.time() - at) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    raw = body.encode() if isinstance(body, str) else body
    expected = signature(secret, msg_id, at, raw)
    if not any(hmac.compare_digest(expected, given) for given in signatures.split()):
        raise WebhookVerificationError("no signature matches")
    return msgspec.json.decode(raw)


def cloudevent(event_json: bytes) -> bytes:
    """The CloudEvents 1.0 (structured mode) body for an event of the log."""
    event = _decode_event(event_json)
    return msgspec.json.encode(
        {
            "specversion": "1.0",
            "id": event.id,
            "source": SOURCE,
            "type": event.type,
            "time": event.time,
            "subject": event.resource_id,
            "datacontenttype": "application/json",
            "accountsid": event.account_sid,
            "actor": event.actor,
            "data": event.data,
        }
    )
