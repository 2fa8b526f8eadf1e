"""Declarative pools: what the server has, what a pools file asks for, and the plan between them.

``observe`` reads the server through the SDK (only what the Comms API itself offers: pools, their
members, the inventory's list, fetch and Search); ``make_plan`` compares without any I/O; ``render``
writes the plan for people. ``execute.py`` carries a plan out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import msgspec
from msgspec import UNSET
from rich.text import Text

from senderpools.cli.remote.poolfile import Member, PoolFileError, PoolsDocument, Problem, address_key
from senderpools.client import Client, NotFoundError
from senderpools.wire.fields import Channel
from senderpools.wire.resources import Sender, SenderPool

LOOKUP_ONE_BY_ONE = 100  # past this many unknown senders, reading the inventory once is cheaper
SHOWN_MEMBERS = 10  # member lines shown per pool and direction; the rest are counted


# -- what the server has -------------------------------------------------------------------------------
@dataclass
class Observed:
    """The account's state, as far as one pools file needs it."""

    pools_by_name: dict[str, list[SenderPool]]
    members: dict[str, list[Sender]]  # pool ID -> its members, for the matched pools whose senders are managed
    by_address: dict[str, Sender] = field(default_factory=dict)  # "CHANNEL:address" -> the inventory's sender
    by_id: dict[str, Sender] = field(default_factory=dict)  # every sender seen, by ID
    missing_ids: set[str] = field(default_factory=set)  # sender IDs of the file the account does not have

    def know(self, senders: Iterable[Sender]) -> None:
        for sender in senders:
            self.by_id[sender.id] = sender
            self.by_address.setdefault(address_key(sender.channel, sender.address), sender)


def observe(client: Client, document: PoolsDocument) -> Observed:
    """Read the pools the file names, their members, and the senders the file refers to."""
    pools_by_name: dict[str, list[SenderPool]] = {}
    for pool in client.sender_pools.list(page_size=1000):
        pools_by_name.setdefault(pool.name, []).append(pool)
    observed = Observed(pools_by_name, {})
    for wanted in document.content.pools:
        found = pools_by_name.get(wanted.name, [])
        if len(found) == 1 and wanted.senders is not UNSET:
            members = list(client.sender_pools.list_senders(found[0].id, page_size=1000))
            observed.members[found[0].id] = members
            observed.know(members)
    listed = [m for pool in document.content.pools if pool.senders is not UNSET for m in pool.senders]
    _look_up_addresses(client, observed, {m.key(): m for m in listed if m.sender_id is UNSET})
    _check_ids(client, observed, {m.sender_id for m in listed if m.sender_id is not UNSET})
    return observed


def _look_up_addresses(client: Client, observed: Observed, wanted: dict[str, Member]) -> None:
    """Find the inventory's senders for members given by address: Search each, or read their channels."""
    unknown = [m for key, m in wanted.items() if key not in observed.by_address and _valid_address(m)]
    if len(unknown) <= LOOKUP_ONE_BY_ONE:
        for member in unknown:
            assert member.address is not UNSET and member.channel is not UNSET
            found = client.senders.search(member.address, member.channel, page_size=50).first_page().items
            observed.know(s for s in found if s.channel == member.channel and s.address == member.address)
        return
    for channel in sorted({m.channel for m in unknown if m.channel is not UNSET}):
        observed.know(client.senders.list(channel=channel, page_size=1000))


def _check_ids(client: Client, observed: Observed, wanted: set[str]) -> None:
    """Which of the file's sender IDs the account has: fetch each, or read the inventory once."""
    unknown = sorted(wanted - observed.by_id.keys())
    if len(unknown) <= LOOKUP_ONE_BY_ONE:
        for sender_id in unknown:
            try:
                observed.know([client.senders.fetch(sender_id)])
            except NotFoundError:
                observed.missing_ids.add(sender_id)
        return
    observed.know(client.senders.list(page_size=1000))
    observed.missing_ids.update(i for i in unknown if i not in observed.by_id)


def _valid_address(member: Member) -> bool:
    return (
        member.channel is not UNSET
        and member.address is not UNSET
        and not member.channel.address_problem(member.address)
    )


# -- the plan ------------------------------------------------------------------------------------------
class MemberRef(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """A sender the plan adds or removes; ``senderId`` is None for a sender registered first."""

    sender_id: str | None
    channel: Channel | None = None
    address: str | None = None

    def label(self) -> str:
        where = f"{self.channel} {self.address}" if self.channel and self.address else ""
        if self.sender_id is None:
            return f"{where} (to register)"
        return f"{self.sender_id} ({where})" if where else self.sender_id

    @classmethod
    def of(cls, sender: Sender) -> MemberRef:
        return cls(sender_id=sender.id, channel=sender.channel, address=sender.address)


class NewSenderRef(msgspec.Struct, kw_only=True):
    """A sender ``--register-missing`` registers before the pools change."""

    channel: Channel
    address: str


Action = Literal["create", "update", "unchanged"]


class PoolPlan(msgspec.Struct, rename="camel", kw_only=True):
    """What happens to one pool of the file."""

    name: str
    action: Action
    id: str | None  # None for a pool to create
    tags: dict[str, str] | None  # the tags to set; None when they stay as they are
    tags_before: dict[str, str] | None
    add: list[MemberRef]
    remove: list[MemberRef]
    members_before: int | None  # None when the pool is new or the file leaves its membership alone
    unlisted_kept: int  # members the file does not list that stay (no --prune)

    @property
    def changes(self) -> bool:
        return self.action != "unchanged"


class Plan(msgspec.Struct, rename="camel", kw_only=True):
    """Everything ``apply`` would do, in order: register senders, then create, update and fill pools."""

    register: list[NewSenderRef]
    pools: list[PoolPlan]

    @property
    def changes(self) -> bool:
        return bool(self.register) or any(p.changes for p in self.pools)

    def counts(self) -> dict[str, int]:
        return {
            "create": sum(p.action == "create" for p in self.pools),
            "update": sum(p.action == "update" for p in self.pools),
            "add": sum(len(p.add) for p in self.pools),
            "remove": sum(len(p.remove) for p in self.pools),
            "register": len(self.register),
        }


def make_plan(document: PoolsDocument, observed: Observed, *, prune: bool, register_missing: bool) -> Plan:
    """Compare the file with the server; raises PoolFileError listing every problem with its line."""
    problems: list[Problem] = []
    register: dict[str, NewSenderRef] = {}
    plans: list[PoolPlan] = []
    first_line: dict[str, int] = {}
    for index, wanted in enumerate(document.content.pools):
        where = f"$.pools[{index}]"
        if wanted.name in first_line:
            problems.append(
                document.problem(f"{where}.name", f"pool {wanted.name!r} is also on line {first_line[wanted.name]}")
            )
            continue
        first_line[wanted.name] = document.line(f"{where}.name")
        found = observed.pools_by_name.get(wanted.name, [])
        if len(found) > 1:
            ids = ", ".join(p.id for p in found)
            problems.append(
                document.problem(
                    f"{where}.name",
                    f"{len(found)} pools on the server are named {wanted.name!r} ({ids}): the file cannot tell which "
                    "one it means. Rename or delete all but one of them.",
                )
            )
            continue
        current = found[0] if found else None
        desired = _desired_members(document, index, observed, register_missing, register, problems)
        plans.append(_pool_plan(wanted.name, wanted.tags, current, desired, observed, prune))
    if problems:
        raise PoolFileError(document.path, sorted(problems, key=lambda p: (p.line, p.column)))
    return Plan(register=list(register.values()), pools=plans)


def _desired_members(
    document: PoolsDocument,
    index: int,
    observed: Observed,
    register_missing: bool,
    register: dict[str, NewSenderRef],
    problems: list[Problem],
) -> list[MemberRef] | None:
    """The members a pool of the file should have (None: the file leaves membership alone)."""
    senders = document.content.pools[index].senders
    if senders is UNSET:
        return None
    desired: dict[str, MemberRef] = {}
    seen_at: dict[str, int] = {}
    for position, member in enumerate(senders):
        where = f"$.pools[{index}].senders[{position}]"
        ref = _resolve(member, observed, register_missing, register)
        if isinstance(ref, str):
            problems.append(document.problem(where, ref))
            continue
        key = ref.sender_id or member.key()
        if key in seen_at:
            problems.append(document.problem(where, f"the same sender as line {seen_at[key]}"))
            continue
        seen_at[key] = document.line(where)
        desired[key] = ref
    return list(desired.values())


def _resolve(
    member: Member, observed: Observed, register_missing: bool, register: dict[str, NewSenderRef]
) -> MemberRef | str:
    """The member as a sender of the account (or one to register), or the reason it cannot be."""
    if member.sender_id is not UNSET:
        if member.sender_id in observed.missing_ids:
            return f"the account has no sender {member.sender_id}"
        known = observed.by_id.get(member.sender_id)
        return MemberRef.of(known) if known else MemberRef(sender_id=member.sender_id)
    assert member.channel is not UNSET and member.address is not UNSET
    problem = member.channel.address_problem(member.address)
    if problem:
        return f"address {problem}"
    found = observed.by_address.get(member.key())
    if found is not None:
        return MemberRef.of(found)
    if not register_missing:
        return f"the account has no {member.channel} sender {member.address} (register it, or use --register-missing)"
    register.setdefault(member.key(), NewSenderRef(channel=member.channel, address=member.address))
    return MemberRef(sender_id=None, channel=member.channel, address=member.address)


def _pool_plan(
    name: str,
    tags: dict[str, str] | msgspec.UnsetType,
    current: SenderPool | None,
    desired: list[MemberRef] | None,
    observed: Observed,
    prune: bool,
) -> PoolPlan:
    if current is None:
        return PoolPlan(
            name=name,
            action="create",
            id=None,
            tags=None if tags is UNSET else tags,
            tags_before=None,
            add=desired or [],
            remove=[],
            members_before=None,
            unlisted_kept=0,
        )
    new_tags = None if tags is UNSET or tags == current.tags else tags
    add: list[MemberRef] = []
    remove: list[MemberRef] = []
    before: int | None = None
    unlisted = 0
    if desired is not None:
        members = observed.members[current.id]
        have = {s.id for s in members}
        wanted = {m.sender_id for m in desired}
        add = [m for m in desired if m.sender_id not in have]
        extra = [MemberRef.of(s) for s in members if s.id not in wanted]
        remove, unlisted = (extra, 0) if prune else ([], len(extra))
        before = len(members)
    return PoolPlan(
        name=name,
        action="unchanged" if new_tags is None and not add and not remove else "update",
        id=current.id,
        tags=new_tags,
        tags_before=current.tags if new_tags is not None else None,
        add=add,
        remove=remove,
        members_before=before,
        unlisted_kept=unlisted,
    )


# -- for people ----------------------------------------------------------------------------------------
def _tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in tags.items()) or "(none)"


def _members(count: int) -> str:
    return f"{count} member{'' if count == 1 else 's'}"


def render(plan: Plan) -> Text:
    """The plan as a readable diff: ``+`` create or add, ``-`` remove, ``~`` change, per pool."""
    out = Text()
    for pool in plan.pools:
        if pool.action == "create":
            out.append(f"+ {pool.name}", "green").append("  (new pool)\n")
        elif pool.changes:
            out.append(f"~ {pool.name}", "yellow").append(f"  {pool.id}\n")
        else:
            size = "" if pool.members_before is None else f", {_members(pool.members_before)}"
            out.append(f"  {pool.name}  {pool.id}: no changes{size}\n", "dim")
            continue
        if pool.tags is not None:
            before = "" if pool.tags_before is None else f"{_tags(pool.tags_before)} -> "
            out.append(f"    tags: {before}{_tags(pool.tags)}\n")
        _member_lines(out, "+", "green", pool.add)
        _member_lines(out, "-", "red", pool.remove)
        if pool.members_before is not None:
            after = pool.members_before + len(pool.add) - len(pool.remove)
            out.append(f"    members: {pool.members_before} -> {after}\n")
        if pool.unlisted_kept:
            out.append(f"    {_members(pool.unlisted_kept)} not in the file stay (--prune removes them)\n", "dim")
    if plan.register:
        out.append(f"+ register {len(plan.register)} new sender(s) first\n", "green")
        for new in plan.register[:SHOWN_MEMBERS]:
            out.append(f"    + {new.channel} {new.address}\n", "green")
        if len(plan.register) > SHOWN_MEMBERS:
            out.append(f"    ... and {len(plan.register) - SHOWN_MEMBERS} more\n")
    out.append(summary(plan), "bold")
    return out


def _member_lines(out: Text, sign: str, style: str, members: list[MemberRef]) -> None:
    if not members:
        return
    out.append(f"    {sign} {_members(len(members))}\n", style)
    for member in members[:SHOWN_MEMBERS]:
        out.append(f"      {sign} {member.label()}\n", style)
    if len(members) > SHOWN_MEMBERS:
        out.append(f"      ... and {len(members) - SHOWN_MEMBERS} more\n")


def summary(plan: Plan) -> str:
    if not plan.changes:
        return "No changes: the server matches the file."
    c = plan.counts()
    text = (
        f"Plan: {c['create']} pool(s) to create, {c['update']} to update; "
        f"{c['add']} member(s) to add, {c['remove']} to remove"
    )
    return text + (f"; {c['register']} sender(s) to register." if c["register"] else ".")
