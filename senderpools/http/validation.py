"""Decoding request bodies: a fast typed pass, and a full error report when it fails.

msgspec validates the common (valid) case in one allocation-light pass but stops at the first
problem. When it rejects a body we walk the JSON Schema of the same type over the parsed JSON and
report every problem at once, each with its JSON path, as the contract asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import msgspec

from senderpools.errors import FieldError, InvalidRequest

MAX_REPORTED_ERRORS = 100  # one response stays readable even if all 10,000 items are wrong


@cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


@cache
def _schema(type_: Any) -> dict[str, Any]:
    return msgspec.json.schema(type_)


def decode(body: bytes, type_: Any, also: Callable[[Any], list[FieldError]] | None = None) -> Any:
    """``body`` as ``type_``, or a 400 listing every problem. ``also`` adds the endpoint's own rules,
    run over the raw JSON when the schema fails, so its findings are reported in the same response."""
    if not body.strip():
        raise InvalidRequest("The request body is empty; a JSON document is required.")
    not_json = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)  # invalid UTF-8 is not JSON either
    try:
        return _decoder(type_).decode(body)
    except msgspec.ValidationError as exc:
        failure = exc
    except not_json:
        raise InvalidRequest("The request body is not valid JSON.") from None
    try:  # the typed pass stops early: a body can be wrong in shape *and* unparseable further on
        value = msgspec.json.decode(body)
    except not_json:
        raise InvalidRequest("The request body is not valid JSON.") from None
    # JSON Schema counts 1.0 as an integer, and so does the document: accept it as 1.
    whole = _whole_numbers(value)
    if whole is not value:
        try:
            return msgspec.convert(whole, type_)
        except msgspec.ValidationError:
            pass
    errors = collect_errors(value, type_) or [_from_msgspec(failure)]
    if also is not None:
        reported = {e.context for e in errors}
        errors += [e for e in also(value) if e.context not in reported]
    raise InvalidRequest.of(errors[:MAX_REPORTED_ERRORS])


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


def collect_errors(value: Any, type_: Any) -> list[FieldError]:
    schema = _schema(type_)
    errors: list[FieldError] = []
    _Walker(schema.get("$defs", {}), errors).check(value, schema, "$")
    return errors[:MAX_REPORTED_ERRORS]


def _member_path(path: str, key: str) -> str:
    return (
        f"{path}.{key}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
        else f"{path}[{msgspec.json.encode(key).decode()}]"
    )


_JSON_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES[name])


def _string_problem(value: str, schema: dict[str, Any]) -> str | None:
    """The first rule ``value`` breaks: one message per field reads better than three."""
    if "minLength" in schema and len(value) < schema["minLength"]:
        return "must not be empty" if schema["minLength"] == 1 else f"must be at least {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"must be at most {schema['maxLength']} characters"
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        return f"must match the pattern {schema['pattern']}"
    return None


class _Walker:
    def __init__(self, defs: dict[str, Any], errors: list[FieldError]) -> None:
        self.defs = defs
        self.errors = errors

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def fail(self, path: str, problem: str, label: str | None = None) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(FieldError(f"{label or path} {problem}", path))

    def fits(self, value: Any, schema: dict[str, Any]) -> bool:
        schema = self.resolve(schema)
        if "enum" in schema and "type" not in schema:  # string enums, or Literal integers
            return any(type(value) is type(member) for member in schema["enum"])
        kind = schema.get("type")
        return kind is None or _is_type(value, kind)

    def check(self, value: Any, schema: dict[str, Any], path: str, label: str | None = None) -> None:
        """Report what is wrong with ``value`` at ``path`` (``label`` names it in messages)."""
        schema = self.resolve(schema)
        if "anyOf" in schema:
            for branch in schema["anyOf"]:
                if self.fits(value, branch):
                    return self.check(value, branch, path, label)
            kinds = sorted({self.resolve(b).get("type", "string") for b in schema["anyOf"]})
            return self.fail(path, f"must be {' or '.join(kinds)}", label)
        kind = schema.get("type")
        if kind is not None and not _is_type(value, kind):
            return self.fail(path, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}", label)
        if "enum" in schema:
            if value not in schema["enum"]:
                self.fail(path, f"must be one of: {', '.join(map(str, schema['enum']))}", label)
            return None
        if isinstance(value, str):
            problem = _string_problem(value, schema)
            if problem:
                self.fail(path, problem, label)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                self.fail(path, f"must be at least {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                self.fail(path, f"must be at most {schema['maximum']}")
        elif isinstance(value, list):
            self.check_array(value, schema, path)
        elif isinstance(value, dict):
            self.check_object(value, schema, path)
        return None

    def check_array(self, value: list[Any], schema: dict[str, Any], path: str) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.fail(path, f"must have at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return self.fail(path, f"must have at most {schema['maxItems']} items")
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                self.check(item, items, f"{path}[{i}]")
                if len(self.errors) >= MAX_REPORTED_ERRORS:
                    break
        return None

    def check_object(self, value: dict[str, Any], schema: dict[str, Any], path: str) -> None:
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            self.fail(path, f"must have at most {schema['maxProperties']} entries")
        for name in schema.get("required", ()):
            if name not in value:
                self.fail(_member_path(path, name), "is required")
        properties = schema.get("properties", {})
        names, extra = schema.get("propertyNames"), schema.get("additionalProperties")
        for key, item in value.items():
            member = _member_path(path, key)
            if key in properties:
                self.check(item, properties[key], member)
                continue
            if names is not None:
                self.check(key, names, member, label=f"{path} key {msgspec.json.encode(key).decode()}")
            if isinstance(extra, dict):
                self.check(item, extra, member)
