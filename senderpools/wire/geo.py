"""Where a phone number belongs: its country, area code and time zone, and what kind of number it is.

Every fact comes from Google's libphonenumber data (the ``phonenumbers`` package); there are no country
tables of our own. Senders get their place once, at registration (stored and indexed); recipients when
a Resolve asks for geo-matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType, phonenumberutil, timezone

from senderpools.wire.fields import PHONE_CHANNELS, Channel, SenderType

_UNKNOWN_ZONE = "Etc/Unknown"
_NON_DIGITS = re.compile(r"\D+")
# libphonenumber's own helpers and tables, behind its public functions (not in its type stubs).
_number_type_helper: Callable[[str, PhoneMetadata], int] = phonenumberutil._number_type_helper
_NO_PREFIX_WITH_AREA_CODES: frozenset[int] = phonenumberutil._COUNTRIES_WITHOUT_NATIONAL_PREFIX_WITH_AREA_CODES  # type: ignore[attr-defined]
_MOBILE_WITHOUT_AREA_CODES: frozenset[int] = phonenumberutil._GEO_MOBILE_COUNTRIES_WITHOUT_MOBILE_AREA_CODES
_country_zones: Callable[[PhoneNumber], Any] = timezone._country_level_time_zones_for_number


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


@lru_cache(maxsize=1 << 16)  # recipients recur
def phone_place(address: str) -> Place:
    """The place of an E.164 number. A number libphonenumber cannot validate keeps its country only when
    the country code names one country (a +1 number could be any of NANP's), and no area or zone.

    The answers are those of libphonenumber's public functions (``region_code_for_number``,
    ``length_of_geographical_area_code``, ``time_zones_for_number``, ``number_type``; a test checks the
    equivalence), computed from one validation of the number instead of the five those would run: a
    Resolve places up to 100 recipients."""
    try:
        number = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return NOWHERE
    country_code = number.country_code or 0
    national = phonenumbers.national_significant_number(number)
    country, kind, metadata = _region_and_type(country_code, national)
    if country is None or metadata is None:
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
        return Place(country=regions[0]) if len(regions) == 1 and regions[0] != "001" else NOWHERE
    geographic = phonenumberutil.is_number_type_geographical(kind, country_code)
    area_code = None
    if geographic and _has_area_codes(number, metadata, kind):
        length = _destination_code_length(number, kind)
        area_code = national[:length] if length else None
    if kind == PhoneNumberType.UNKNOWN:
        zones: Sequence[str] = ()
    elif geographic:
        zones = timezone.time_zones_for_geographical_number(number)
    else:
        zones = _country_zones(number)
    zone = zones[0] if len(zones) == 1 and zones[0] != _UNKNOWN_ZONE else None
    sender_type = None
    if kind != PhoneNumberType.UNKNOWN:
        sender_type = SenderType.TOLL_FREE if kind == PhoneNumberType.TOLL_FREE else SenderType.LONG_CODE
    return Place(country=None if country == "001" else country, area_code=area_code, time_zone=zone,
                 sender_type=sender_type)  # fmt: skip


def _region_and_type(country_code: int, national: str) -> tuple[str | None, int, PhoneMetadata | None]:
    """``region_code_for_number`` and ``number_type`` in one pass (and the region's metadata): the region
    whose metadata validates the number is found by computing its type, which is then the number's type."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
        kind = PhoneNumberType.UNKNOWN if metadata is None else _number_type_helper(national, metadata)
        return regions[0], kind, metadata
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return region, _number_type_helper(national, metadata), metadata
            continue
        kind = _number_type_helper(national, metadata)
        if kind != PhoneNumberType.UNKNOWN:
            return region, kind, metadata
    return None, PhoneNumberType.UNKNOWN, None


def _has_area_codes(number: PhoneNumber, metadata: PhoneMetadata, kind: int) -> bool:
    """libphonenumber's rules (``length_of_geographical_area_code``) for whether a number has an area code."""
    country_code = number.country_code
    if (
        metadata.national_prefix is None
        and not number.italian_leading_zero
        and country_code not in _NO_PREFIX_WITH_AREA_CODES
    ):
        return False  # a closed dialling plan
    return not (kind == PhoneNumberType.MOBILE and country_code in _MOBILE_WITHOUT_AREA_CODES)


def _destination_code_length(number: PhoneNumber, kind: int) -> int:
    """``length_of_national_destination_code``, for a number whose type is known. Every geographic NANP
    number is formatted NXX-NXX-XXXX (an area code of 3), so those skip the formatting."""
    if number.country_code == 1 and len(phonenumbers.national_significant_number(number)) == 10:
        return 3
    groups = _NON_DIGITS.split(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    if len(groups) <= 3:
        return 0
    if kind == PhoneNumberType.MOBILE and phonenumbers.country_mobile_token(number.country_code or 0):
        return len(groups[2]) + len(groups[3])
    return len(groups[2])
