"""The sender inventory and sender resolution."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from msgspec import UNSET

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import Conflict, FieldError, InvalidRequest, NotFound, Where
from senderpools.records import ACCOUNT_SCOPE, SenderChanges, SenderFilter, StickySender
from senderpools.service.paging import PageRequest
from senderpools.service.rules import check_addresses, repeats
from senderpools.service.selection import CandidateSet, Choice, Chooser, Options, timestamp
from senderpools.store import Store
from senderpools.wire.bodies import RecipientAddress, RegisterSenderRequest
from senderpools.wire.encoding import Listed, Rendered
from senderpools.wire.fields import (
    DEFAULT_WEIGHT,
    Channel,
    Health,
    SenderStatus,
    Stickiness,
    Tags,
    channels_for,
)
from senderpools.wire.geo import phone_place, place_of
from senderpools.wire.replies import Reason, ReasonCode, RecipientExplanation, StickyMapping
from senderpools.wire.resources import Sender


@dataclass(frozen=True, slots=True)
class NewSender:
    address: str
    channel: Channel
    display_name: str | None = None
    status: SenderStatus = SenderStatus.ACTIVATED
    tags: Tags | None = None
    weight: int = DEFAULT_WEIGHT
    health: Health = Health.HEALTHY

    @classmethod
    def of(cls, request: RegisterSenderRequest) -> NewSender:
        weight = DEFAULT_WEIGHT if request.weight is UNSET else request.weight
        health = Health.HEALTHY if request.health is UNSET else request.health
        return cls(request.address, request.channel, request.display_name, request.status, request.tags, weight, health)


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    channel: str  # a sender channel, or PHONE


@dataclass(frozen=True, slots=True)
class Resolution:
    sender: Sender
    recipient: Recipient
    priority: int
    reasons: list[Reason] | None = None  # with ``explain``


@dataclass(frozen=True, slots=True)
class Resolved:
    results: list[Resolution]
    explanations: list[RecipientExplanation] | None = None  # with ``explain``, one per recipient


class CandidateCache:
    """Candidates per scope (account, pool) in this process, valid while their version is the stored
    one: a Resolve reads the version (one indexed row per key) and reloads only after a change.
    Least recently used scopes go first once more than ``max_senders`` senders are held."""

    def __init__(self, max_senders: int) -> None:
        self._max = max_senders
        self._held = 0
        self._entries: OrderedDict[tuple[str, str | None], tuple[tuple[int, int], CandidateSet]] = OrderedDict()

    def get(self, key: tuple[str, str | None], version: tuple[int, int]) -> CandidateSet | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: tuple[str, str | None], version: tuple[int, int], candidates: CandidateSet) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._held -= old[1].size
        if candidates.size > self._max:
            return
        self._entries[key] = (version, candidates)
        self._held += candidates.size
        while self._held > self._max:
            _, (_, evicted) = self._entries.popitem(last=False)
            self._held -= evicted.size


def build_senders(new: Sequence[NewSender]) -> list[Sender]:
    """Sender records for registration requests: fresh time-ordered IDs, created now."""
    now = ids.now_ms()
    created = to_datetime(now)
    senders = []
    for n in new:
        place = place_of(n.channel, n.address)
        senders.append(
            Sender(
                id=ids.new_id(ids.SENDER_PREFIX, now),
                display_name=n.display_name,
                address=n.address,
                channel=n.channel,
                status=n.status,
                tags=n.tags or {},
                created_at=created,
                updated_at=created,
                weight=n.weight,
                health=n.health,
                country=place.country,
                area_code=place.area_code,
                time_zone=place.time_zone,
                sender_type=place.sender_type,
            )
        )
    return senders


def check_registrations(new: Sequence[NewSender]) -> None:
    """Per-channel address rules (400), then channel+address repeated within the request (409)."""
    check_addresses([(n.channel, n.address) for n in new])
    repeated = repeats((n.channel, n.address) for n in new)
    if repeated:
        raise Conflict.of(
            [
                FieldError(f"{new[i].channel} address {new[i].address} appears more than once.", Where(i))
                for i in repeated
            ]
        )


def already_registered(senders: Sequence[Sender], taken: Sequence[int]) -> Conflict:
    """A 409 naming every sender whose channel+address the account already has."""
    errors = [
        FieldError(f"A {senders[i].channel} sender with address {senders[i].address} already exists.", Where(i))
        for i in taken
    ]
    return Conflict.of(errors)


def _sender_not_found(sender_id: str) -> NotFound:
    return NotFound(f"Sender {sender_id} was not found.")


class SenderService:
    def __init__(self, store: Store, sticky_ttl: float = 0.0, cache_senders: int = 500_000) -> None:
        self._store = store
        self._sticky_ttl_ms = int(sticky_ttl * 1000)  # 0: sticky senders never expire
        self._cache = CandidateCache(cache_senders)

    async def register(self, account: str, new: Sequence[NewSender], actor: str | None = None) -> list[Sender]:
        """All or nothing: every sender, or a 400/409 naming each offending item. ``actor``, here and in
        every method that changes something: the credential that asked (its events name it)."""
        check_registrations(new)
        senders = build_senders(new)
        taken = await self._store.create_senders(account, senders, actor)
        if taken:
            raise already_registered(senders, taken)
        return senders

    async def require(self, account: str, sender_id: str) -> None:
        """404 unless the account has this sender."""
        if not await self._store.sender_exists(account, sender_id):
            raise _sender_not_found(sender_id)

    async def fetch(self, account: str, sender_id: str, extended: bool = False) -> Rendered[Sender]:
        doc = await self._store.get_sender(account, sender_id, extended)
        if doc is None:
            raise _sender_not_found(sender_id)
        return Rendered(doc)

    async def list_senders(
        self, account: str, page: PageRequest, where: SenderFilter, extended: bool = False
    ) -> Listed:
        return await self._store.list_senders(account, page.window(ids.SENDER_PREFIX), where, extended)

    async def update(
        self, account: str, sender_id: str, changes: SenderChanges, extended: bool = False, actor: str | None = None
    ) -> Rendered[Sender]:
        """Change the display name, status and/or tags; at least one of them."""
        if not changes:  # the stock message: weight and health are extensions
            raise InvalidRequest("The request must change at least one of displayName, status and tags.")
        doc = await self._store.update_sender(account, sender_id, changes, ids.now_ms(), extended, actor)
        if doc is None:
            raise _sender_not_found(sender_id)
        return Rendered(doc)

    async def delete(self, account: str, sender_id: str, actor: str | None = None) -> None:
        if not await self._store.delete_sender(account, sender_id, ids.now_ms(), actor):
            raise _sender_not_found(sender_id)

    async def resolve(
        self,
        account: str,
        recipients: Sequence[Recipient],
        pool_id: str | None,
        sender_addresses: Sequence[str] | None,
        filter_in: Sequence[Channel] | None,
        priority: Sequence[Channel],
        options: Options = Options(),  # noqa: B008 (frozen)
    ) -> Resolved:
        """For each recipient, one ACTIVATED sender per usable channel, best channel first; the rules
        within a channel are ``selection.Chooser``'s."""
        check_addresses([(r.channel, r.address) for r in recipients])
        if options.stickiness is Stickiness.POOL and pool_id is None:
            raise InvalidRequest("stickiness POOL needs a senderPoolId.", Where(field="stickiness"))
        scope = await self._store.resolve_scope(account, pool_id)
        if scope is None:
            raise _pool_not_found(pool_id)
        selection = scope.selection
        pool_priority = selection.channel_priority if selection is not None else []
        # The first mention of a channel decides its rank: the request's, the pool's, then the contract's order.
        rank = {channel: i for i, channel in enumerate(dict.fromkeys([*priority, *pool_priority, *Channel]))}
        wanted = {c for r in recipients for c in channels_for(r.channel)}
        if filter_in is not None:
            wanted &= set(filter_in)
        candidates = await self._candidates(account, pool_id, sender_addresses, wanted, scope.version)
        sticky_scope = pool_id if options.stickiness is Stickiness.POOL and pool_id else ACCOUNT_SCOPE
        now = ids.now_ms()
        fresh_after = now - self._sticky_ttl_ms if self._sticky_ttl_ms else None
        remembered: dict[tuple[str, Channel], StickySender] = {}
        if options.stickiness is not Stickiness.NONE and candidates.size:
            found = await self._store.sticky_senders(account, sticky_scope, sorted({r.address for r in recipients}))
            remembered = {
                (m.recipient, m.channel): m for m in found if fresh_after is None or m.created_ms >= fresh_after
            }
        type_priority = selection.sender_type_priority if selection is not None else []
        chosen: list[tuple[Recipient, Channel, int, Choice]] = []
        explanations = []
        for recipient in recipients:
            usable = sorted(
                (c for c in channels_for(recipient.channel) if c in wanted and candidates.channel(c)),
                key=rank.__getitem__,
            )
            # A sticky answer needs no place: libphonenumber is asked only when geo-matching decides.
            geo = options.geo_match and recipient.channel not in (Channel.EMAIL, Channel.PUSH)
            place = partial(phone_place, recipient.address) if geo else None
            lost = []
            position = 0
            for channel in usable:
                chooser = Chooser(channel, options.explain)
                if options.explain:
                    chooser.because(
                        ReasonCode.CHANNEL_PRIORITY,
                        f"{channel} ranks {usable.index(channel) + 1} of {len(usable)} among the channels with"
                        " candidates for this recipient (the request's priority, the pool's, then the usual order).",
                    )
                choice = chooser.choose(
                    candidates.channel(channel),
                    recipient.address,
                    place,
                    remembered.get((recipient.address, channel)),
                    options,
                    type_priority,
                )
                lost += chooser.lost
                if choice is not None:
                    position += 1
                    chosen.append((recipient, channel, position, choice))
            if options.explain:
                total = sum(len(candidates.channel(c)) for c in usable)
                explanations.append(
                    RecipientExplanation(
                        to=RecipientAddress(address=recipient.address, channel=recipient.channel),
                        candidates=total,
                        lost=lost,
                    )
                )
        if options.stickiness is not Stickiness.NONE:
            await self._remember(account, sticky_scope, chosen, options, now, fresh_after)
        results = [
            Resolution(choice.sender, recipient, position, choice.reasons if options.explain else None)
            for recipient, _, position, choice in chosen
        ]
        return Resolved(results, explanations if options.explain else None)

    async def _candidates(
        self,
        account: str,
        pool_id: str | None,
        addresses: Sequence[str] | None,
        channels: set[Channel],
        version: tuple[int, int],
    ) -> CandidateSet:
        """The scope's candidates: from this process's cache while their version holds."""
        if not channels:
            return CandidateSet([])
        if addresses is not None:  # at most 1,000 addresses: read them, not the whole scope
            return CandidateSet(await self._store.eligible_senders(account, pool_id, addresses, sorted(channels)))
        key = (account, pool_id)
        cached = self._cache.get(key, version)
        if cached is not None:
            return cached
        loaded = await self._store.resolve_candidates(account, pool_id)
        if loaded is None:
            raise _pool_not_found(pool_id)
        candidates = CandidateSet(loaded.senders)
        self._cache.put(key, loaded.version, candidates)
        return candidates

    async def _remember(
        self,
        account: str,
        scope: str,
        chosen: list[tuple[Recipient, Channel, int, Choice]],
        options: Options,
        now: int,
        fresh_after: int | None,
    ) -> None:
        """Make new choices sticky (unless ``dryRun``). Of two requests choosing for one recipient at
        once, the first stored wins, and the other answers with its choice."""
        new = {
            (recipient.address, channel): StickySender(scope, recipient.address, channel, choice.sender.id, now)
            for recipient, channel, _, choice in chosen
            if not choice.remembered  # a sticky sender not eligible here stays the recipient's
        }
        if not new:
            return
        if options.dry_run:
            for _, _, _, choice in chosen:
                if not choice.remembered and options.explain:
                    choice.reasons.append(
                        Reason(code=ReasonCode.STICKY_DRY_RUN, message="Would become sticky; dryRun stores nothing.")
                    )
            return
        stored = {
            (m.recipient, m.channel): m for m in await self._store.stick(account, list(new.values()), fresh_after)
        }
        for index, (recipient, channel, position, choice) in enumerate(chosen):
            mapping = stored.get((recipient.address, channel))
            if choice.remembered or mapping is None:
                continue
            if mapping.sender_id != choice.sender.id:  # another request chose first: its choice stands
                winner = choice.eligible.by_id.get(mapping.sender_id)
                if winner is not None:
                    reasons = [
                        Reason(
                            code=ReasonCode.STICKY,
                            message=f"The recipient's sticky sender since {timestamp(mapping.created_ms)}"
                            " (chosen by a concurrent request).",
                        )
                    ]
                    chosen[index] = (recipient, channel, position, Choice(winner, choice.eligible, True, True, reasons))
            elif options.explain:
                where = "this pool" if scope != ACCOUNT_SCOPE else "every pool of the account"
                choice.reasons.append(
                    Reason(code=ReasonCode.STICKY_CREATED, message=f"Now the recipient's sticky sender in {where}.")
                )

    async def sticky_mappings(self, account: str, recipient: str) -> list[StickyMapping]:
        """The recipient's sticky senders, every scope and channel."""
        ttl = self._sticky_ttl_ms
        now = ids.now_ms()
        return [
            StickyMapping(
                recipient=m.recipient,
                channel=m.channel,
                scope="ACCOUNT" if m.scope == ACCOUNT_SCOPE else m.scope,
                sender_id=m.sender_id,
                created_at=to_datetime(m.created_ms),
                expires_at=to_datetime(m.created_ms + ttl) if ttl else None,
            )
            for m in await self._store.list_sticky_senders(account, recipient)
            if not ttl or m.created_ms + ttl > now
        ]

    async def clear_sticky(self, account: str, recipient: str, scope: str | None) -> int:
        """Forget the recipient's sticky senders (in one scope: a pool ID or ``ACCOUNT``; or all)."""
        stored_scope = ACCOUNT_SCOPE if scope == "ACCOUNT" else scope
        return await self._store.clear_sticky_senders(account, recipient, stored_scope)


def _pool_not_found(pool_id: str | None) -> NotFound:
    return NotFound(f"SenderPool {pool_id} was not found.", Where(field="senderPoolId"))
