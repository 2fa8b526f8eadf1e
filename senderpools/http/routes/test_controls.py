"""Test controls under ``/_test/``: for teams testing their Comms integrations against senderpools.

Off by default; ``senderpools serve --test-controls`` (or ``SENDERPOOLS_TEST_CONTROLS=1``) mounts
these routes. They authenticate like the API and affect only the caller's account:

- **Faults** make the account's next N matching API requests (or each one with a probability) fail
  with 429 (and ``Retry-After``), 500 or 503, or wait ``latencyMs`` first. They live in the memory of
  the process that received them: with several HTTP worker processes or nodes, each has its own.
  A fault answers before the request is processed, so nothing is changed and no Idempotency-Key is
  claimed. ``/_test/`` requests themselves are never faulted.
- **Pacing** holds the account's operations in PROCESSING (no item is applied until released) or
  applies at most ``itemsPerSecond`` of them. It is stored in the database so every worker respects
  it (workers started with test controls on); the per-second budget is kept per worker process.
- **Reset** deletes the account's pools, senders, operations, idempotency keys, pacing and (in this
  process) faults; **Seed** loads senders and pools, with their members, in one transaction.

See ``docs/test-controls.md`` for curl examples.
"""

from __future__ import annotations

import asyncio
import fnmatch
import random
import time
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta
from starlette.responses import Response
from starlette.routing import Route

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import (
    ApiError,
    FieldError,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from senderpools.http.context import Call, api
from senderpools.http.responses import json_response
from senderpools.http.routes.senders import checked_registrations
from senderpools.http.wire import Address, PoolName, RegisterSenderRequest, TagMap
from senderpools.models import Channel, Sender, SenderPool
from senderpools.service.senders import already_registered, build_senders
from senderpools.store import Store
from senderpools.store.base import Pacing as StoredPacing

PREFIX = "/_test"
FAULT_PREFIX = "fault_"
FAULT_ID_PATTERN = f"^{FAULT_PREFIX}[0-7][0-9a-hjkmnp-tv-z]{{25}}$"
FaultId = Annotated[str, Meta(pattern=FAULT_ID_PATTERN)]


# -- wire types ------------------------------------------------------------------------------------
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
    created_at: datetime

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


# -- faults: process memory ------------------------------------------------------------------------
class Faults:
    """Armed faults by account. Used only from the event loop, so no locking."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._by_account: dict[str, list[Fault]] = {}
        self._random = rng or random.Random()  # noqa: S311 (chance of a fault, not a secret)

    def add(self, account: str, fault: Fault) -> None:
        self._by_account.setdefault(account, []).append(fault)

    def list(self, account: str) -> list[Fault]:
        return list(self._by_account.get(account, ()))

    def remove(self, account: str, fault_id: str) -> bool:
        faults = self._by_account.get(account, [])
        kept = [f for f in faults if f.id != fault_id]
        self._by_account[account] = kept
        return len(kept) < len(faults)

    def clear(self, account: str) -> int:
        return len(self._by_account.pop(account, []))

    async def inject(self, call: Call) -> None:
        """Apply the first armed fault that matches and fires: wait its latency, raise its status."""
        request = call.request
        path = request.url.path
        if path.startswith(PREFIX + "/"):
            return
        for fault in self.list(call.account):
            if not fault.matches(request.method, path):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.remove(call.account, fault.id)
            elif self._random.random() >= (fault.probability or 0.0):
                continue
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            error = fault.error()
            if error is not None:
                raise error
            return


def _faults(call: Call) -> Faults:
    faults = call.services.faults
    assert faults is not None  # these routes are mounted only together with the registry
    return faults


# -- pacing: the worker hook ------------------------------------------------------------------------
class OperationPacer:
    """The worker's ``Pacer``: holds and per-second budgets from each operation's account's pacing."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._buckets: dict[str, tuple[int, float, float]] = {}  # account -> (rate, tokens, when)

    async def allowance(self, operation_id: str, batch_size: int) -> int:
        found = await self._store.operation_pacing(operation_id)
        if found is None:
            return batch_size
        account, pacing = found
        rate = pacing.items_per_second
        if pacing.hold:
            return 0
        if rate is None:
            return batch_size
        now = time.monotonic()
        last_rate, tokens, when = self._buckets.get(account, (rate, 1.0, now))  # a new budget: one item now
        if last_rate != rate:
            tokens, when = 1.0, now
        tokens = min(float(rate), tokens + (now - when) * rate)
        allowed = min(batch_size, int(tokens))
        self._buckets[account] = (rate, tokens - allowed, now)
        return allowed


# -- endpoints ---------------------------------------------------------------------------------------
@api
async def create_fault(call: Call) -> Response:
    request: FaultRequest = await call.decode(FaultRequest)
    problems = []
    if request.status is None and request.latency_ms == 0:
        problems.append(FieldError("A fault needs a status, a latencyMs, or both.", "$.status"))
    if request.count is not None and request.probability is not None:
        problems.append(FieldError("Give count or probability, not both.", "$.probability"))
    if problems:
        raise InvalidRequest.of(problems)
    now = ids.now_ms()
    fault = Fault(
        id=ids.new_id(FAULT_PREFIX, now),
        method=request.method,
        path=request.path,
        status=request.status,
        retry_after=request.retry_after if request.status in (429, 503) else None,
        latency_ms=request.latency_ms,
        remaining=None if request.probability is not None else (request.count or 1),
        probability=request.probability,
        created_at=to_datetime(now),
    )
    _faults(call).add(call.account, fault)
    return json_response(fault, 201, {"Location": call.url(f"{PREFIX}/Faults/{fault.id}")})


@api
async def list_faults(call: Call) -> Response:
    return json_response(FaultList(faults=_faults(call).list(call.account)))


@api
async def clear_faults(call: Call) -> Response:
    _faults(call).clear(call.account)
    return Response(status_code=204)


@api
async def delete_fault(call: Call) -> Response:
    fault_id = call.path("faultId")
    if not _faults(call).remove(call.account, fault_id):
        raise NotFound(f"Fault {fault_id} was not found.")
    return Response(status_code=204)


@api
async def get_pacing(call: Call) -> Response:
    stored = await call.services.store.get_pacing(call.account)
    return json_response(Pacing(hold=stored.hold, items_per_second=stored.items_per_second))


@api
async def set_pacing(call: Call) -> Response:
    pacing: Pacing = await call.decode(Pacing)
    await call.services.store.set_pacing(call.account, StoredPacing(pacing.hold, pacing.items_per_second))
    return json_response(pacing)


@api
async def reset(call: Call) -> Response:
    counts = await call.services.store.reset_account(call.account)
    _faults(call).clear(call.account)
    return json_response(
        ResetResult(sender_pools=counts["senderPools"], senders=counts["senders"], operations=counts["operations"])
    )


def _members(request: SeedRequest, senders: list[Sender]) -> list[list[str]]:
    """Each pool's member IDs; a member that is not a sender of the seed, or repeats, is a 400."""
    by_address = {(s.channel, s.address): s.id for s in senders}
    problems, members = [], []
    for i, pool in enumerate(request.sender_pools):
        ids_, seen = [], set()
        for j, member in enumerate(pool.senders):
            where = f"$.senderPools[{i}].senders[{j}]"
            sender_id = by_address.get((member.channel, member.address))
            if sender_id is None:
                problems.append(FieldError(f"No {member.channel} sender {member.address} in $.senders.", where))
            elif sender_id in seen:
                problems.append(FieldError(f"{member.channel} sender {member.address} appears more than once.", where))
            else:
                seen.add(sender_id)
                ids_.append(sender_id)
        members.append(ids_)
    if problems:
        raise InvalidRequest.of(problems)
    return members


@api
async def seed(call: Call) -> Response:
    request: SeedRequest = await call.decode(SeedRequest)
    paths = [f"$.senders[{i}]" for i in range(len(request.senders))]
    senders = build_senders(checked_registrations(request.senders, paths))
    members = _members(request, senders)
    now = ids.now_ms()
    created = to_datetime(now)
    pools = [
        SenderPool(
            id=ids.new_id(ids.POOL_PREFIX, now), name=p.name, tags=p.tags, created_at=created, updated_at=created
        )
        for p in request.sender_pools
    ]
    pairs = [(pool.id, sender_id) for pool, ids_ in zip(pools, members, strict=True) for sender_id in ids_]
    taken = await call.services.store.seed_account(call.account, senders, pools, pairs)
    if taken:
        raise already_registered(senders, taken, paths)
    return json_response(SeedResult(senders=senders, sender_pools=pools), 201)


routes = [
    Route(f"{PREFIX}/Faults", create_fault, methods=["POST"]),
    Route(f"{PREFIX}/Faults", list_faults, methods=["GET"]),
    Route(f"{PREFIX}/Faults", clear_faults, methods=["DELETE"]),
    Route(f"{PREFIX}/Faults/{{faultId}}", delete_fault, methods=["DELETE"]),
    Route(f"{PREFIX}/Pacing", get_pacing, methods=["GET"]),
    Route(f"{PREFIX}/Pacing", set_pacing, methods=["PUT"]),
    Route(f"{PREFIX}/Reset", reset, methods=["POST"]),
    Route(f"{PREFIX}/Seed", seed, methods=["POST"]),
]
