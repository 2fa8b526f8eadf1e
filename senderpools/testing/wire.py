"""Request and reply types of the test controls (``/_test/``)."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from senderpools.errors import ApiError, FieldError, ServiceUnavailable, TooManyRequests
from senderpools.wire.bodies import RegisterSenderRequest
from senderpools.wire.fields import Address, Channel, PoolName, TagMap, Timestamp
from senderpools.wire.resources import Sender, SenderPool

FAULT_PREFIX = "fault_"
FAULT_ID_PATTERN = f"^{FAULT_PREFIX}[0-7][0-9a-hjkmnp-tv-z]{{25}}$"
FaultId = Annotated[str, Meta(pattern=FAULT_ID_PATTERN)]


class FaultRequest(msgspec.Struct, rename="camel", kw_only=True):
    method: Annotated[str, Meta(pattern="^(\\*|GET|POST|PATCH|PUT|DELETE)$")] = "*"
    path: Annotated[str, Meta(min_length=1, max_length=1024, pattern="^[/*]")] = "*"
    status: Literal[429, 500, 503] | None = None
    retry_after: Annotated[int, Meta(ge=0, le=86_400)] = 1
    latency_ms: Annotated[int, Meta(ge=0, le=60_000)] = 0
    count: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    probability: Annotated[float, Meta(ge=0, le=1)] | None = None


class Fault(msgspec.Struct, rename="camel", kw_only=True):
    """A fault armed for the account's API requests in this process."""

    id: FaultId
    method: str
    path: str
    status: int | None
    retry_after: int | None
    latency_ms: int
    remaining: int | None
    probability: float | None
    created_at: Timestamp

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)

    def error(self) -> ApiError | None:
        note = f" (injected by test controls: fault {self.id})"
        error: ApiError
        if self.status == 429:
            error = TooManyRequests(self.retry_after or 0)
        elif self.status == 503:
            error = ServiceUnavailable(self.retry_after or 0)
        elif self.status == 500:
            error = ApiError()
        else:
            return None
        error.errors = [FieldError(error.errors[0].message + note)]
        return error


class FaultList(msgspec.Struct, kw_only=True):
    """The account's armed faults in this process, oldest first."""

    faults: list[Fault]


class Pacing(msgspec.Struct, rename="camel", kw_only=True):
    """How the worker paces the account's operations."""

    hold: bool = False
    items_per_second: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None


class ResetResult(msgspec.Struct, rename="camel", kw_only=True):
    """How many of each resource were deleted."""

    sender_pools: int
    senders: int
    operations: int


class SeedMember(msgspec.Struct, kw_only=True):
    """A sender of the same seed, by channel and address."""

    channel: Channel
    address: Address


class SeedPool(msgspec.Struct, rename="camel", kw_only=True):
    name: PoolName = ""
    tags: TagMap = msgspec.field(default_factory=dict)
    senders: Annotated[list[SeedMember], Meta(max_length=10_000)] = msgspec.field(default_factory=list)


class SeedRequest(msgspec.Struct, rename="camel", kw_only=True):
    """Senders to register and pools to create with them as members, all in one transaction."""

    senders: Annotated[list[RegisterSenderRequest], Meta(max_length=10_000)] = msgspec.field(default_factory=list)
    sender_pools: Annotated[list[SeedPool], Meta(max_length=1_000)] = msgspec.field(default_factory=list)


class SeedResult(msgspec.Struct, rename="camel", kw_only=True):
    """What the seed created, in request order."""

    senders: list[Sender]
    sender_pools: list[SenderPool]
