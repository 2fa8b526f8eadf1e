"""The test controls' endpoints (``/_test/``), declared like the product's (``wire/endpoints.py``)."""

from __future__ import annotations

from typing import Any

from senderpools.errors import Conflict
from senderpools.testing import wire
from senderpools.wire.endpoints import Endpoint, PathParam, Tag

TEST_CONTROLS = Tag(
    "TestControls", "For testing an integration: injected faults, operation pacing, reset and seed (off by default)."
)
FAULT_ID = PathParam("faultId", wire.FaultId, "Fault")  # declared before the paths that name it
_TEST_CONTROLS_NOTE = (
    " Test controls are served only when the server runs with `--test-controls` (`SENDERPOOLS_TEST_CONTROLS=1`)"
    " and affect only the caller's account."
)


create_fault: Endpoint[None, wire.FaultRequest, wire.Fault] = Endpoint(
    "POST",
    "/_test/Faults",
    "TestControls_createFault",
    TEST_CONTROLS,
    "Arm a fault",
    "Makes the account's next `count` API requests (default 1) that match `method` (or `*`) and `path` (a "
    "glob: `*` matches any characters, `/` included) fail with `status` (429 or 503 with `Retry-After: "
    "retryAfter`, or 500), or wait `latencyMs` first, or both. With `probability` instead of `count`, each "
    "matching request is affected with that probability until the fault is deleted. The first armed fault "
    "that matches and fires applies. A faulted request is answered before it is processed: nothing changes "
    "and no Idempotency-Key is claimed. Faults live in the memory of the server process that received them "
    "(each HTTP worker process and node has its own); `/_test/` requests are never faulted." + _TEST_CONTROLS_NOTE,
    201,
    "The fault, armed.",
    wire.Fault,
    headers=("Location",),
    body=wire.FaultRequest,
    body_example={"method": "POST", "path": "/v1/SenderPools", "status": 503, "retryAfter": 2, "count": 2},
)
list_faults: Endpoint[None, None, wire.FaultList] = Endpoint(
    "GET",
    "/_test/Faults",
    "TestControls_listFaults",
    TEST_CONTROLS,
    "List armed faults",
    "The account's armed faults in this server process, oldest first, with the requests each has left."
    + _TEST_CONTROLS_NOTE,
    200,
    "The armed faults.",
    wire.FaultList,
)
clear_faults: Endpoint[None, None, None] = Endpoint(
    "DELETE",
    "/_test/Faults",
    "TestControls_clearFaults",
    TEST_CONTROLS,
    "Disarm every fault",
    "Removes all of the account's faults in this server process." + _TEST_CONTROLS_NOTE,
    204,
    "Disarmed.",
)
delete_fault: Endpoint[None, None, None] = Endpoint(
    "DELETE",
    "/_test/Faults/{faultId}",
    "TestControls_deleteFault",
    TEST_CONTROLS,
    "Disarm a fault",
    "Removes one fault; 404 if it is unknown, already used up, or armed in another process." + _TEST_CONTROLS_NOTE,
    204,
    "Disarmed.",
)
fetch_pacing: Endpoint[None, None, wire.Pacing] = Endpoint(
    "GET",
    "/_test/Pacing",
    "TestControls_fetchPacing",
    TEST_CONTROLS,
    "Fetch operation pacing",
    "How the worker paces the account's operations." + _TEST_CONTROLS_NOTE,
    200,
    "The pacing.",
    wire.Pacing,
)
update_pacing: Endpoint[None, wire.Pacing, wire.Pacing] = Endpoint(
    "PUT",
    "/_test/Pacing",
    "TestControls_updatePacing",
    TEST_CONTROLS,
    "Set operation pacing",
    "`hold: true` keeps the account's operations PROCESSING: no queued item is applied (Cancel still works) "
    "until pacing is set again with `hold: false`, which releases them. `itemsPerSecond` applies at most that "
    "many of the account's items per second (per worker process). `{}` restores normal speed. Pacing is "
    "stored in the database, so every worker started with test controls respects it. A Create without "
    "senders completes at once and cannot be held." + _TEST_CONTROLS_NOTE,
    200,
    "The pacing now in force.",
    wire.Pacing,
    body=wire.Pacing,
    body_example={"hold": True},
)
reset: Endpoint[None, None, wire.ResetResult] = Endpoint(
    "POST",
    "/_test/Reset",
    "TestControls_reset",
    TEST_CONTROLS,
    "Reset the account",
    "Deletes all of the account's SenderPools, Senders and Operations (with their items and memberships), "
    "its idempotency keys and pacing, and its faults in this process, in one transaction. Credentials stay. "
    "No request body." + _TEST_CONTROLS_NOTE,
    200,
    "What was deleted.",
    wire.ResetResult,
)
seed: Endpoint[None, wire.SeedRequest, wire.SeedResult] = Endpoint(
    "POST",
    "/_test/Seed",
    "TestControls_seed",
    TEST_CONTROLS,
    "Load a seed",
    "Registers `senders` (as Register Senders does) and creates `senderPools` with members given by channel "
    "and address among those senders, all in one transaction: members are in their pools when the response "
    "is sent, and no Operation is created. A channel+address that exists in the account is a 409; a member "
    "that is not a sender of the seed is a 400. Typically sent right after Reset." + _TEST_CONTROLS_NOTE,
    201,
    "Created: the senders and pools, in request order.",
    wire.SeedResult,
    body=wire.SeedRequest,
    items="$.senders",
    body_example={
        "senders": [
            {"address": "+14155550100", "channel": "SMS"},
            {"address": "a@example.com", "channel": "EMAIL"},
        ],
        "senderPools": [{"name": "Support", "senders": [{"channel": "SMS", "address": "+14155550100"}]}],
    },
    raises=(Conflict,),
)

ENDPOINTS: tuple[Endpoint[Any, Any, Any], ...] = (
    create_fault,
    list_faults,
    clear_faults,
    delete_fault,
    fetch_pacing,
    update_pacing,
    reset,
    seed,
)
