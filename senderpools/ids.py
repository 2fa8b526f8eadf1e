"""Resource IDs: a type prefix plus a lowercase ULID.

Every resource's ID embeds its creation time (the ULID's millisecond timestamp is the resource's
``createdAt``), so ordering by ID is ordering by (createdAt, id) and a date range is an ID range.
Pagination and date filters rely on that one fact.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time

POOL_PREFIX = "comms_senderpool_"
SENDER_PREFIX = "comms_sender_"
OPERATION_PREFIX = "comms_operation_"
EVENT_PREFIX = "event_"  # senderpools' own resources (not the Comms API's): no "comms_" prefix
EVENT_SINK_PREFIX = "eventsink_"

_SUFFIX = r"[0-7][0-9a-hjkmnp-tv-z]{25,34}"
POOL_ID_PATTERN = f"^{POOL_PREFIX}{_SUFFIX}$"
SENDER_ID_PATTERN = f"^{SENDER_PREFIX}{_SUFFIX}$"
OPERATION_ID_PATTERN = f"^{OPERATION_PREFIX}{_SUFFIX}$"
EVENT_ID_PATTERN = f"^{EVENT_PREFIX}{_SUFFIX}$"
EVENT_SINK_ID_PATTERN = f"^{EVENT_SINK_PREFIX}{_SUFFIX}$"
ACCOUNT_SID_PATTERN = "^AC[0-9a-f]{32}$"
API_KEY_SID_PATTERN = "^SK[0-9a-f]{32}$"

_is_pool_id = re.compile(POOL_ID_PATTERN).fullmatch
_is_sender_id = re.compile(SENDER_ID_PATTERN).fullmatch
_is_operation_id = re.compile(OPERATION_ID_PATTERN).fullmatch

# RFC 4648 base32 output translated to Crockford's alphabet, lowercase.
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghjkmnpqrstvwxyz")
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1


def encode_ulid(timestamp_ms: int, randomness: int) -> str:
    value = (timestamp_ms << _RANDOM_BITS) | randomness
    # 128 bits as 26 five-bit groups means two leading zero bits: left-align 130 bits in 17 bytes.
    raw = (value << 6).to_bytes(17, "big")
    return base64.b32encode(raw)[:26].decode("ascii").translate(_CROCKFORD)


class UlidGenerator:
    """Monotonic within a process: IDs made in the same millisecond still sort in creation order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new(self, timestamp_ms: int) -> str:
        with self._lock:
            if timestamp_ms <= self._last_ms and self._last_random < _RANDOM_MAX:
                timestamp_ms = self._last_ms
                self._last_random += 1
            else:
                self._last_ms = timestamp_ms
                # Leave headroom so a burst within one millisecond never overflows.
                self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
            return encode_ulid(timestamp_ms, self._last_random)


_generator = UlidGenerator()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id(prefix: str, created_ms: int) -> str:
    return prefix + _generator.new(created_ms)


def id_floor(prefix: str, timestamp_ms: int) -> str:
    """The smallest ID of this type created at or after ``timestamp_ms``."""
    return prefix + encode_ulid(max(timestamp_ms, 0), 0)


def is_pool_id(value: str) -> bool:
    return _is_pool_id(value) is not None


def is_sender_id(value: str) -> bool:
    return _is_sender_id(value) is not None


def is_operation_id(value: str) -> bool:
    return _is_operation_id(value) is not None


def new_account_sid() -> str:
    return "AC" + os.urandom(16).hex()


def new_api_key_sid() -> str:
    return "SK" + os.urandom(16).hex()


def new_secret() -> str:
    return os.urandom(16).hex()


_is_account_sid = re.compile(ACCOUNT_SID_PATTERN).fullmatch


def is_account_sid(value: str) -> bool:
    return _is_account_sid(value) is not None
