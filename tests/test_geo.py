"""Where a phone number belongs (``wire.geo``): libphonenumber's answers, computed once per number."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType, timezone

from senderpools.wire.fields import Channel, SenderType
from senderpools.wire.geo import NOWHERE, Place, phone_place, place_of


def reference(address: str) -> Place:
    """The same facts from libphonenumber's public functions, one call each (as its documentation shows)."""
    try:
        number = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return NOWHERE
    country = phonenumbers.region_code_for_number(number)
    if country is None:
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0, ())
        return Place(country=regions[0]) if len(regions) == 1 and regions[0] != "001" else NOWHERE
    length = phonenumbers.length_of_geographical_area_code(number)
    zones = timezone.time_zones_for_number(number)
    kind = phonenumbers.number_type(number)
    sender_type = SenderType.TOLL_FREE if kind == PhoneNumberType.TOLL_FREE else SenderType.LONG_CODE
    return Place(
        country=None if country == "001" else country,
        area_code=phonenumbers.national_significant_number(number)[:length] if length else None,
        time_zone=zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None,
        sender_type=None if kind == PhoneNumberType.UNKNOWN else sender_type,
    )


def example_numbers() -> list[str]:
    """libphonenumber's example number of every type in every region, in E.164."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):  # PhoneNumberType's values
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return found


EXAMPLES = example_numbers()


def test_every_example_number_is_placed_as_libphonenumber_places_it() -> None:
    assert len(EXAMPLES) > 1000
    for address in EXAMPLES:
        assert phone_place.__wrapped__(address) == reference(address), address


@settings(max_examples=500, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES),
    tail=st.text("0123456789", min_size=1, max_size=4),
    cut=st.integers(0, 3),
)
def test_nearby_numbers_are_placed_as_libphonenumber_places_them(example: str, tail: str, cut: int) -> None:
    """Valid, invalid and odd-length neighbours of the examples."""
    address = example[: len(example) - cut - len(tail)] + tail if len(example) > cut + len(tail) + 2 else example
    assert phone_place.__wrapped__(address) == reference(address), address


def test_places_of_a_few_numbers() -> None:
    assert phone_place("+14155550100") == Place("US", "415", "America/Los_Angeles", SenderType.LONG_CODE)
    assert phone_place("+14162000001") == Place("CA", "416", "America/Toronto", SenderType.LONG_CODE)
    assert phone_place("+442071838750") == Place("GB", "20", "Europe/London", SenderType.LONG_CODE)
    assert phone_place("+18005550100") == Place("US", None, None, SenderType.TOLL_FREE)
    assert phone_place("+33612345678") == Place("FR", None, "Europe/Paris", SenderType.LONG_CODE)
    assert phone_place("+14150000001") == NOWHERE  # not a valid NANP number: +1 is many countries
    assert phone_place("+4930") == Place(country="DE")  # too short, but +49 is one country
    assert phone_place("+12") == NOWHERE
    assert place_of(Channel.EMAIL, "a@example.com") == NOWHERE
    assert place_of("PHONE", "+14155550100").area_code == "415"
