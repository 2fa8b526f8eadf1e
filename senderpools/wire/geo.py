"""Where a phone number belongs: its country, area code and time zone, and what kind of number it is.

Every fact comes from Google's libphonenumber data (the ``phonenumbers`` package); there are no country
tables of our own. Senders get their place once, at registration (stored and indexed); recipients when
a Resolve asks for geo-matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType, timezone

from senderpools.wire.fields import PHONE_CHANNELS, Channel, SenderType

_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True, slots=True)
class Place:
    """What libphonenumber knows of a number; None where it knows nothing (or the number is no phone)."""

    country: str | None = None  # ISO 3166-1 alpha-2 region code, e.g. "US"
    area_code: str | None = None  # the geographic area code, e.g. "415" (NANP) or "20" (London)
    time_zone: str | None = None  # the one IANA zone the number's prefix maps to, e.g. "America/Los_Angeles"
    sender_type: SenderType | None = None

    @property
    def known(self) -> bool:
        return self.country is not None


NOWHERE = Place()


def place_of(channel: Channel | str, address: str) -> Place:
    """The place of a sender or recipient address on ``channel`` (a sender channel or PHONE): only phone
    numbers have one."""
    if channel not in PHONE_CHANNELS and channel != "PHONE":
        return NOWHERE
    return phone_place(address)


@lru_cache(maxsize=1 << 16)  # recipients recur (and parsing costs tens of microseconds)
def phone_place(address: str) -> Place:
    """The place of an E.164 number. A number libphonenumber cannot validate keeps its country only when
    the country code names one country (a +1 number could be any of NANP's), and no area or zone."""
    try:
        number = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return NOWHERE
    country = phonenumbers.region_code_for_number(number)
    if country is None:
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0, ())
        return Place(country=regions[0]) if len(regions) == 1 and regions[0] != "001" else NOWHERE
    kind = phonenumbers.number_type(number)
    area_code = None
    length = phonenumbers.length_of_geographical_area_code(number)
    if length:
        area_code = phonenumbers.national_significant_number(number)[:length]
    zones = timezone.time_zones_for_number(number)
    zone = zones[0] if len(zones) == 1 and zones[0] != _UNKNOWN_ZONE else None
    sender_type = SenderType.TOLL_FREE if kind == PhoneNumberType.TOLL_FREE else SenderType.LONG_CODE
    return Place(country=None if country == "001" else country, area_code=area_code, time_zone=zone,
                 sender_type=sender_type)  # fmt: skip
