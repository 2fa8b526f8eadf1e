"""The ``/_test/`` routes, bound to the test controls of one running server."""

from __future__ import annotations

from senderpools.errors import NotFound
from senderpools.http.endpoint import Call, Routes
from senderpools.records import Pacing as StoredPacing
from senderpools.service.senders import NewSender
from senderpools.testing import TestControls, endpoints, wire
from senderpools.testing.faults import PREFIX


def routes(controls: TestControls) -> Routes:
    faults, service = controls.faults, controls.service
    bound = Routes()

    @bound.handles(endpoints.create_fault)
    async def create_fault(call: Call[None, wire.FaultRequest]) -> wire.Fault:
        fault = faults.arm(call.account, call.body)
        call.located(f"{PREFIX}/Faults/{fault.id}")
        return fault

    @bound.handles(endpoints.list_faults)
    async def list_faults(call: Call[None, None]) -> wire.FaultList:
        return wire.FaultList(faults=faults.list(call.account))

    @bound.handles(endpoints.clear_faults)
    async def clear_faults(call: Call[None, None]) -> None:
        faults.clear(call.account)

    @bound.handles(endpoints.delete_fault)
    async def delete_fault(call: Call[None, None]) -> None:
        fault_id = call.path("faultId")
        if not faults.remove(call.account, fault_id):
            raise NotFound(f"Fault {fault_id} was not found.")

    @bound.handles(endpoints.fetch_pacing)
    async def fetch_pacing(call: Call[None, None]) -> wire.Pacing:
        stored = await service.pacing(call.account)
        return wire.Pacing(hold=stored.hold, items_per_second=stored.items_per_second)

    @bound.handles(endpoints.update_pacing)
    async def update_pacing(call: Call[None, wire.Pacing]) -> wire.Pacing:
        await service.set_pacing(call.account, StoredPacing(call.body.hold, call.body.items_per_second))
        return call.body

    @bound.handles(endpoints.reset)
    async def reset(call: Call[None, None]) -> wire.ResetResult:
        counts = await service.reset(call.account)
        faults.clear(call.account)
        return wire.ResetResult(
            sender_pools=counts["senderPools"], senders=counts["senders"], operations=counts["operations"]
        )

    @bound.handles(endpoints.seed)
    async def seed(call: Call[None, wire.SeedRequest]) -> wire.SeedResult:
        new = [NewSender.of(s) for s in call.body.senders]
        return await service.seed(call.account, new, call.body.sender_pools)

    return bound
