"""How Resolve chooses one sender on one channel for one recipient, and why.

The rules apply in this order, each narrowing the candidates of the one before:

1. eligibility: ACTIVATED, in the scope (pool, addresses), on the channel; with ``skipUnhealthy``, not UNHEALTHY;
2. stickiness: the recipient's sticky sender, if it is still among them;
3. geo-match: the recipient's area code, else its time zone, else its country (any country if none);
4. the pool's sender-type priority;
5. health: HEALTHY before DEGRADED (``skipUnhealthy``);
6. a weighted draw among the equals that remain, fixed for the recipient.

The draw: the equals, ordered by ID, lay their weights end to end on a line of length W; the recipient's
hash (BLAKE2b of its address) modulo W falls on one of them. The same recipient and candidates give
the same sender on every node; over many recipients each sender's share is its weight over W. With
every weight 1 this is the hash modulo the number of candidates: Resolve's choice before weights existed.

Candidates are grouped once per version of the candidates (``Group``): each narrowing is a lookup in
a partition computed on first use, and the draw a binary search, so a recipient costs the same against
ten senders or a hundred thousand.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from senderpools.clock import to_datetime
from senderpools.records import StickySender
from senderpools.wire.fields import Channel, Health, SenderType, Stickiness
from senderpools.wire.geo import Place
from senderpools.wire.replies import Loss, LossCode, Reason, ReasonCode
from senderpools.wire.resources import Sender

EXAMPLES = 5  # losing senders named in an explanation when there are no more than this


def recipient_hash(address: str) -> int:
    """Where a recipient falls among equals; the same everywhere, for good."""
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big")


class Group:
    """Candidates in ID order, with partitions and the weighted line computed once, on first use."""

    __slots__ = ("_by_id", "_line", "_partitions", "senders")

    def __init__(self, senders: list[Sender]) -> None:
        self.senders = senders
        self._line: list[int] | None = None
        self._by_id: dict[str, Sender] | None = None
        self._partitions: dict[Hashable, dict[Hashable, Group]] = {}

    def __len__(self) -> int:
        return len(self.senders)

    @property
    def by_id(self) -> dict[str, Sender]:
        if self._by_id is None:
            self._by_id = {s.id: s for s in self.senders}
        return self._by_id

    @property
    def line(self) -> list[int]:
        """Cumulative weights, in ID order."""
        if self._line is None:
            self._line = list(itertools.accumulate(_weight(s) for s in self.senders))
        return self._line

    def draw(self, point: int) -> Sender:
        line = self.line
        return self.senders[bisect.bisect_right(line, point % line[-1])]

    def part(self, name: Hashable, key: Callable[[Sender], Hashable], value: Hashable) -> Group:
        """The candidates whose ``key`` is ``value`` (``name`` names the partition by ``key``)."""
        partition = self._partitions.get(name)
        if partition is None:
            lists: dict[Hashable, list[Sender]] = {}
            for sender in self.senders:
                lists.setdefault(key(sender), []).append(sender)
            partition = self._partitions[name] = {k: Group(v) for k, v in lists.items()}
        return partition.get(value, _EMPTY)


_EMPTY = Group([])


def _weight(sender: Sender) -> int:
    return sender.weight if isinstance(sender.weight, int) else 1


def _usable(sender: Sender) -> bool:
    return sender.health != Health.UNHEALTHY


def _country(sender: Sender) -> Hashable:
    return sender.country


def _area(sender: Sender) -> Hashable:
    return (sender.country, sender.area_code)


def _zone(sender: Sender) -> Hashable:
    return (sender.country, sender.time_zone)


def _type(sender: Sender) -> Hashable:
    return sender.sender_type


def _healthy(sender: Sender) -> Hashable:
    return sender.health == Health.HEALTHY


class CandidateSet:
    """Every candidate of a scope, by channel."""

    __slots__ = ("by_channel", "size")

    def __init__(self, senders: Sequence[Sender]) -> None:
        lists: dict[Channel, list[Sender]] = {}
        for sender in senders:
            lists.setdefault(sender.channel, []).append(sender)
        self.by_channel = {channel: Group(members) for channel, members in lists.items()}
        self.size = len(senders)

    def channel(self, channel: Channel) -> Group:
        return self.by_channel.get(channel, _EMPTY)


@dataclass(frozen=True, slots=True)
class Options:
    geo_match: bool = False
    stickiness: Stickiness = Stickiness.NONE
    skip_unhealthy: bool = False
    explain: bool = False
    dry_run: bool = False


@dataclass(slots=True)
class Choice:
    """The sender chosen on one channel, with the reasons (and the losers) when explaining."""

    sender: Sender
    eligible: Group  # the candidates on the channel after the eligibility rules
    sticky: bool  # it is the recipient's sticky sender already
    remembered: bool  # the recipient has a sticky sender in the scope (this one, or one not eligible here)
    reasons: list[Reason] = field(default_factory=list)
    lost: list[Loss] = field(default_factory=list)


class Chooser:
    """The rules for one recipient on one channel; ``explain`` records why as it goes."""

    def __init__(self, channel: Channel, explain: bool) -> None:
        self.channel = channel
        self.explain = explain
        self.reasons: list[Reason] = []
        self.lost: list[Loss] = []

    def because(self, code: ReasonCode, message: str) -> None:
        if self.explain:
            self.reasons.append(Reason(code=code, message=message))

    def narrow(self, before: Group, after: Group, loss: LossCode, message: str) -> Group:
        """``after`` (a part of ``before``) goes on; the rest lost for ``loss``."""
        count = len(before) - len(after)
        if self.explain and count > 0:
            named: list[str] = []
            if count <= EXAMPLES:
                kept = after.by_id
                named = [s.id for s in before.senders if s.id not in kept]
            self.lost.append(Loss(channel=self.channel, reason=loss, count=count, message=message, sender_ids=named))
        return after

    def choose(
        self,
        group: Group,
        recipient: str,
        place: Callable[[], Place] | None,  # the recipient's place, when geo-matching (asked for lazily)
        sticky: StickySender | None,
        options: Options,
        type_priority: Sequence[SenderType],
    ) -> Choice | None:
        if options.skip_unhealthy:
            group = self.narrow(group, group.part("usable", _usable, True), LossCode.UNHEALTHY, "UNHEALTHY: skipped.")
        if not group:
            return None
        eligible, remembered = group, sticky is not None
        if sticky is not None and sticky.sender_id not in group.by_id:
            self.because(
                ReasonCode.STICKY_NOT_ELIGIBLE,
                f"The recipient's sticky sender {sticky.sender_id} is not a candidate here; it stays sticky.",
            )
        elif sticky is not None:
            winner = group.by_id[sticky.sender_id]
            self.because(ReasonCode.STICKY, f"The recipient's sticky sender since {timestamp(sticky.created_ms)}.")
            self.narrow(group, Group([winner]), LossCode.NOT_STICKY, "The recipient's sticky sender comes first.")
            return Choice(winner, eligible, True, remembered, self.reasons, self.lost)
        if place is not None:
            group = self._geo(group, place())
        for kind in type_priority:
            preferred = group.part("type", _type, kind)
            if preferred:
                self.because(ReasonCode.SENDER_TYPE, f"{kind}: first of the pool's sender types present.")
                group = self.narrow(group, preferred, LossCode.SENDER_TYPE, f"Not {kind}, which the pool prefers.")
                break
        if options.skip_unhealthy:
            healthy = group.part("healthy", _healthy, True)
            if healthy and len(healthy) < len(group):
                self.because(ReasonCode.HEALTHY, "HEALTHY, preferred to DEGRADED.")
                group = self.narrow(group, healthy, LossCode.DEGRADED, "DEGRADED, and a HEALTHY sender was as good.")
        winner = group.draw(recipient_hash(recipient))
        if self.explain:
            total = group.line[-1]
            self.because(
                ReasonCode.WEIGHTED,
                f"Weight {_weight(winner)} of {total} among {len(group)} equally good sender"
                f"{'s' if len(group) > 1 else ''}; the draw is fixed for this recipient.",
            )
            self.narrow(group, Group([winner]), LossCode.WEIGHTED_DRAW, "As good, but lost the weighted draw.")
        return Choice(winner, eligible, False, remembered, self.reasons, self.lost)

    def _geo(self, group: Group, place: Place) -> Group:
        """The best-placed candidates: same area code, else same time zone, else same country, else all."""
        if place.country is None:
            self.because(ReasonCode.PLACE_UNKNOWN, "libphonenumber does not place the recipient: no geo preference.")
            return group
        country = group.part("country", _country, place.country)
        if not country:
            self.because(ReasonCode.NO_SAME_COUNTRY, f"No eligible sender in {place.country}: any country.")
            return group
        self.narrow(group, country, LossCode.OTHER_COUNTRY, f"Not in {place.country}, the recipient's country.")
        if place.area_code is not None:
            area = group.part("area", _area, (place.country, place.area_code))
            if area:
                self.because(
                    ReasonCode.SAME_AREA_CODE, f"Same area code as the recipient: {place.area_code} ({place.country})."
                )
                return self.narrow(
                    country, area, LossCode.OTHER_AREA_CODE, f"In {place.country}, not area code {place.area_code}."
                )
        if place.time_zone is not None:
            zone = group.part("zone", _zone, (place.country, place.time_zone))
            if zone:
                self.because(ReasonCode.SAME_TIME_ZONE, f"Same time zone as the recipient: {place.time_zone}.")
                return self.narrow(
                    country, zone, LossCode.OTHER_TIME_ZONE, f"In {place.country}, not in {place.time_zone}."
                )
        self.because(ReasonCode.SAME_COUNTRY, f"Same country as the recipient: {place.country}.")
        return country


def timestamp(epoch_ms: int) -> str:
    """As the wire shows times: RFC 3339 UTC to the second."""
    return to_datetime(epoch_ms).strftime("%Y-%m-%dT%H:%M:%SZ")
