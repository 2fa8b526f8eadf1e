"""Extension fields: opt-in, so that a stock client sees byte-identical answers.

The mechanism is checked on types made for the purpose here; each extension field of the API has its
own tests beside its feature, and ``test_wire_golden.py`` keeps the stock answers byte for byte."""

from __future__ import annotations

from typing import ClassVar

import msgspec
from msgspec import UNSET, UnsetType

from senderpools.wire.encoding import has_extensions, stock, views


class Inner(msgspec.Struct, kw_only=True):
    name: str
    secret_sauce: int | UnsetType = UNSET

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("secret_sauce",)


class Outer(msgspec.Struct, kw_only=True):
    items: list[Inner]
    total: int


class Plain(msgspec.Struct, kw_only=True):
    name: str


def test_views_render_the_stock_and_the_extended_json() -> None:
    assert views(Inner(name="a", secret_sauce=3)) == (b'{"name":"a"}', b'{"name":"a","secret_sauce":3}')
    assert views(Plain(name="a")) == (b'{"name":"a"}', b'{"name":"a"}')


def test_stock_strips_extension_fields_at_any_depth() -> None:
    outer = Outer(items=[Inner(name="a", secret_sauce=1), Inner(name="b")], total=2)
    assert msgspec.json.encode(stock(outer)) == b'{"items":[{"name":"a"},{"name":"b"}],"total":2}'
    assert msgspec.json.encode(outer) == b'{"items":[{"name":"a","secret_sauce":1},{"name":"b"}],"total":2}'
    assert outer.items[0].secret_sauce == 1  # the original is left alone


def test_which_types_carry_extensions() -> None:
    assert has_extensions(Inner) and has_extensions(Outer) and not has_extensions(Plain)


class Filters(msgspec.Struct, kw_only=True):
    channel: str | None = None
    name_prefix: str | None = None

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("name_prefix",)


def test_an_extension_filter_left_out_binds_page_tokens_as_before_it_existed() -> None:
    from senderpools.http.pagination import PageTokens, filter_values

    assert filter_values(Filters(channel="SMS")) == ("SMS",)  # what a struct without name_prefix gave
    assert filter_values(Filters(channel="SMS", name_prefix="a")) == ("SMS", ("name_prefix", "a"))
    tokens = PageTokens(b"k" * 32)
    plain = tokens.page(("senders", "AC1", *filter_values(Filters(channel="SMS"))), None, 50)
    narrowed = tokens.page(("senders", "AC1", *filter_values(Filters(channel="SMS", name_prefix="a"))), None, 50)
    assert plain.scope == tokens.page(("senders", "AC1", "SMS"), None, 50).scope != narrowed.scope
