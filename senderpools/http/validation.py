"""Decoding request bodies: a fast typed pass, and a full error report when it fails.

msgspec validates the common (valid) case in one allocation-light pass but stops at the first
problem. When it rejects a body we walk the JSON Schema of the same type over the body and report
every problem at once, each with its JSON path, as the contract asks.

The walk never parses more than the schema describes, so its cost is bounded by the schema's limits,
not by the body's size: it decodes one level at a time from ``msgspec.Raw`` slices of the body; an
object is read through a struct of its known members (msgspec skips the others without building
them); an array with ``maxItems`` is read through a fixed-size array-like struct, so an array with
one item too many fails right there, before the rest is even looked at; a long map with
``maxProperties`` is decoded only when its text cannot hold more than ``MAP_ENTRIES_READ`` entries.
A 16 MiB body of 8 million items is refused after reading 10,001 of them.

The typed pass has the same bound: msgspec checks an array's or a map's length only once it has
built it, so a large body (over ``SMALL_JSON`` bytes) first has its containers' sizes checked the
same way (cheaply: only values over ``SMALL_JSON`` bytes are looked into), and goes straight to the
report when one is over its limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import msgspec

from senderpools.errors import FieldError, InvalidRequest

SMALL_JSON = 64 * 1024
"""JSON text this short is cheap to decode whatever it holds."""
MAP_ENTRIES_READ = 1000
"""A longer map with ``maxProperties`` (tags: at most 10) is decoded only if its text has at most this
many colons, so at most this many entries; else it is reported as too large without decoding it."""

_NOT_JSON = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)  # invalid UTF-8 is not JSON either
_ABSENT = msgspec.UNSET


@cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


@cache
def _schema(type_: Any) -> dict[str, Any]:
    return msgspec.json.schema(type_)


def decode(body: bytes, type_: Any, also: Callable[[Any], list[FieldError]] | None = None) -> Any:
    """``body`` as ``type_``, or a 400 listing every problem. ``also`` adds the endpoint's own rules,
    run over the JSON the report read (objects and arrays within their limits; anything else the schema
    rejected left out) when the schema fails, so its findings are reported in the same response."""
    if not body.strip():
        raise InvalidRequest("The request body is empty; a JSON document is required.")
    failure: FieldError | None = None
    raw = None
    try:
        if len(body) > SMALL_JSON:
            raw = _raw(body)
        if raw is None or _walker(type_).within_limits(raw, _schema(type_)):
            return _decoder(type_).decode(body)
    except msgspec.ValidationError as exc:
        failure = _from_msgspec(exc)
    except _NOT_JSON:
        raise InvalidRequest("The request body is not valid JSON.") from None
    try:  # a body can be wrong in shape *and* unparseable further on
        value, errors = _report(raw or _raw(body), type_, also)
    except _NOT_JSON:
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not errors and failure is not None:
        # JSON Schema counts 1.0 as an integer, and so does the document: accept it as 1.
        try:
            return msgspec.convert(_whole_numbers(value), type_)
        except msgspec.ValidationError:
            pass
    raise InvalidRequest.of(errors or [failure or FieldError("The request body is too large.", "$")])


def _raw(body: bytes) -> msgspec.Raw:
    return msgspec.json.decode(body, type=msgspec.Raw)  # checks the syntax, builds nothing


def _report(
    raw: msgspec.Raw, type_: Any, also: Callable[[Any], list[FieldError]] | None
) -> tuple[Any, list[FieldError]]:
    """Every problem of the body ``raw``, the endpoint's own rules (``also``) included, and the JSON read."""
    value, errors = check(raw, type_)
    if also is not None:
        reported = {e.context for e in errors}
        errors += [e for e in also(value) if e.context not in reported]
    return value, errors


def _whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (``1.0``) made an int; the same object when
    there is none, so the common case costs one walk and no copy."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        items = [_whole_numbers(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        members = {k: _whole_numbers(v) for k, v in value.items()}
        return value if all(members[k] is v for k, v in value.items()) else members
    return value


def _from_msgspec(exc: msgspec.ValidationError) -> FieldError:
    message, _, where = str(exc).partition(" - at `")
    return FieldError(message, where.rstrip("`") or "$")


def check(raw: msgspec.Raw, type_: Any) -> tuple[Any, list[FieldError]]:
    """Every problem of the JSON ``raw`` against ``type_``'s schema, and the JSON that was read (see
    ``decode``)."""
    walker = _walker(type_)
    errors: list[FieldError] = []
    value = walker.check(raw, _schema(type_), "$", errors)
    return value, errors


@cache
def _walker(type_: Any) -> _Walker:
    return _Walker(_schema(type_).get("$defs", {}))


def _member_path(path: str, key: str) -> str:
    return (
        f"{path}.{key}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
        else f"{path}[{msgspec.json.encode(key).decode()}]"
    )


# The JSON type of a value from the first byte of its text (msgspec.Raw slices start at the value).
_KINDS = {ord("{"): "object", ord("["): "array", ord('"'): "string", ord("t"): "boolean", ord("f"): "boolean"}
_KINDS[ord("n")] = "null"


def _kind(raw: msgspec.Raw) -> tuple[str, Any]:
    """The JSON type of ``raw`` ("integer" for a whole number) and, for a scalar, its value."""
    kind = _KINDS.get(memoryview(raw)[0], "number")
    if kind in ("object", "array"):
        return kind, None
    value = msgspec.json.decode(raw)
    if kind == "number" and (isinstance(value, int) or value.is_integer()):
        kind = "integer"  # 1.0 too, as in JSON Schema
    return kind, value


def _is_type(kind: str, name: str) -> bool:
    return kind == name or (name == "number" and kind == "integer")


def _string_problem(value: str, schema: dict[str, Any]) -> str | None:
    """The first rule ``value`` breaks: one message per field reads better than three."""
    if "minLength" in schema and len(value) < schema["minLength"]:
        return "must not be empty" if schema["minLength"] == 1 else f"must be at least {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"must be at most {schema['maxLength']} characters"
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        return f"must match the pattern {schema['pattern']}"
    return None


@cache
def _members_type(names: tuple[str, ...]) -> type[msgspec.Struct]:
    """A struct reading the members ``names`` of a JSON object as Raw slices; other members are skipped unread."""
    fields = [(f"m{i}", msgspec.Raw | msgspec.UnsetType, _ABSENT) for i in range(len(names))]
    return msgspec.defstruct("Members", fields, rename={f"m{i}": name for i, name in enumerate(names)})


@cache
def _items_type(max_items: int) -> type[msgspec.Struct]:
    """An array-like struct of ``max_items`` Raw slots: decoding a longer array fails at the first item too many."""
    fields = [(f"i{i}", msgspec.Raw | msgspec.UnsetType, _ABSENT) for i in range(max_items)]
    return msgspec.defstruct("Items", fields, array_like=True, forbid_unknown_fields=True)


class _Walker:
    """The JSON Schema of one body type, applied to JSON text one level at a time."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def fits(self, kind: str, value: Any, schema: dict[str, Any]) -> bool:
        schema = self.resolve(schema)
        if "enum" in schema and "type" not in schema:  # string enums, or Literal integers
            return any(type(value) is type(member) for member in schema["enum"])
        name = schema.get("type")
        return name is None or _is_type(kind, name)

    def branch(self, kind: str, value: Any, schema: dict[str, Any]) -> dict[str, Any] | None:
        """``schema`` itself, or the first of its ``anyOf`` branches a value of this kind fits (None: none does)."""
        found: dict[str, Any] | None = self.resolve(schema)
        while found is not None and "anyOf" in found:
            found = next((self.resolve(b) for b in found["anyOf"] if self.fits(kind, value, b)), None)
        return found

    @staticmethod
    def items(raw: msgspec.Raw, schema: dict[str, Any]) -> list[msgspec.Raw] | None:
        """The items of the JSON array ``raw``; None, without reading them, when there are more than ``maxItems``."""
        if "maxItems" not in schema:
            return msgspec.json.decode(raw, type=list[msgspec.Raw])
        try:
            slots = msgspec.json.decode(raw, type=_items_type(schema["maxItems"]))
        except msgspec.ValidationError:  # one item too many: the rest is never read
            return None
        return [item for item in msgspec.structs.astuple(slots) if item is not _ABSENT]

    @staticmethod
    def members(raw: msgspec.Raw, properties: dict[str, Any]) -> dict[str, msgspec.Raw]:
        """The members of the JSON object ``raw`` named in ``properties`` (the others are skipped unread)."""
        read = msgspec.structs.astuple(msgspec.json.decode(raw, type=_members_type(tuple(properties))))
        return {name: member for name, member in zip(properties, read, strict=True) if member is not _ABSENT}

    def within_limits(self, raw: msgspec.Raw, schema: dict[str, Any]) -> bool:
        """Whether every array in ``raw`` is within its ``maxItems`` and every map with ``maxProperties``
        has few entries (``_few_entries``), so that msgspec can decode it without building more than the
        limits allow. Only values over ``SMALL_JSON`` bytes are looked into: smaller ones are cheap
        whatever they hold."""
        if len(raw) <= SMALL_JSON:
            return True
        kind = _KINDS.get(memoryview(raw)[0], "number")
        schema = self.branch(kind, None, schema) or {}
        if kind == "array" and schema.get("type") == "array":
            items, item_schema = self.items(raw, schema), schema.get("items")
            return items is not None and (item_schema is None or all(self.within_limits(i, item_schema) for i in items))
        if kind == "object" and schema.get("type") == "object":
            if _is_map(schema):
                return "maxProperties" not in schema or _few_entries(raw)
            properties = schema.get("properties", {})
            return all(self.within_limits(m, properties[k]) for k, m in self.members(raw, properties).items())
        return True

    def check(
        self, raw: msgspec.Raw, schema: dict[str, Any], path: str, errors: list[FieldError], label: str | None = None
    ) -> Any:
        """Add what is wrong with the JSON ``raw`` at ``path`` to ``errors`` (``label`` names it in
        messages); returns the value read (None for an object or array the schema does not allow there)."""
        kind, value = _kind(raw)

        def fail(problem: str, named: bool = True) -> None:
            errors.append(FieldError(f"{(label or path) if named else path} {problem}", path))

        resolved = self.resolve(schema)
        schema = self.branch(kind, value, resolved)  # type: ignore[assignment]
        if schema is None:
            kinds = sorted({self.resolve(b).get("type", "string") for b in resolved["anyOf"]})
            fail(f"must be {' or '.join(kinds)}")
            return value
        name = schema.get("type")
        if name is not None and not _is_type(kind, name):
            fail(f"must be {'an' if name[0] in 'aeiou' else 'a'} {name}")
            return value
        if "enum" in schema:
            if value not in schema["enum"]:
                fail(f"must be one of: {', '.join(map(str, schema['enum']))}")
        elif kind == "string":
            problem = _string_problem(value, schema)
            if problem:
                fail(problem)
        elif kind in ("integer", "number"):
            if "minimum" in schema and value < schema["minimum"]:
                fail(f"must be at least {schema['minimum']}", named=False)
            if "maximum" in schema and value > schema["maximum"]:
                fail(f"must be at most {schema['maximum']}", named=False)
        elif kind == "array":
            return self.check_array(raw, schema, path, errors)
        elif kind == "object":
            return self.check_object(raw, schema, path, errors)
        return value

    def check_array(
        self, raw: msgspec.Raw, schema: dict[str, Any], path: str, errors: list[FieldError]
    ) -> list[Any] | None:
        items = self.items(raw, schema)
        if items is None:
            errors.append(FieldError(f"{path} must have at most {schema['maxItems']} items", path))
            return None
        if "minItems" in schema and len(items) < schema["minItems"]:
            errors.append(FieldError(f"{path} must have at least {schema['minItems']} item(s)", path))
        item_schema = schema.get("items")
        if item_schema is None:
            return None
        return [self.check(item, item_schema, f"{path}[{i}]", errors) for i, item in enumerate(items)]

    def check_object(
        self, raw: msgspec.Raw, schema: dict[str, Any], path: str, errors: list[FieldError]
    ) -> dict[str, Any] | None:
        properties: dict[str, Any] = schema.get("properties", {})
        names, extra = schema.get("propertyNames"), schema.get("additionalProperties")
        if not _is_map(schema):  # a struct: only its members are read
            members = self.members(raw, properties)
        else:
            limit = schema.get("maxProperties")
            if limit is not None and not _few_entries(raw):
                errors.append(FieldError(f"{path} is too large to be a map of at most {limit} entries", path))
                return None
            members = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
            if limit is not None and len(members) > limit:
                errors.append(FieldError(f"{path} must have at most {limit} entries", path))
        for name in schema.get("required", ()):
            if name not in members:
                member = _member_path(path, name)
                errors.append(FieldError(f"{member} is required", member))
        value: dict[str, Any] = {}
        for key, item in members.items():
            member = _member_path(path, key)
            if key in properties:
                value[key] = self.check(item, properties[key], member, errors)
                continue
            if names is not None:
                encoded = msgspec.json.encode(key)
                self.check(msgspec.Raw(encoded), names, member, errors, label=f"{path} key {encoded.decode()}")
            if isinstance(extra, dict):
                value[key] = self.check(item, extra, member, errors)
        return value


def _few_entries(raw: msgspec.Raw) -> bool:
    """Whether the JSON object ``raw`` is short, or has at most ``MAP_ENTRIES_READ`` entries (one colon each)."""
    return len(raw) <= SMALL_JSON or bytes(raw).count(b":") <= MAP_ENTRIES_READ


def _is_map(schema: dict[str, Any]) -> bool:
    """An object schema for a map (any keys, checked by rule) rather than a struct (named members)."""
    return isinstance(schema.get("additionalProperties"), dict) or "propertyNames" in schema
