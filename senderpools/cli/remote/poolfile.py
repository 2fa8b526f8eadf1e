"""The pools file of ``senderpools plan``, ``apply`` and ``export``.

Its format is declared once, by the structs below: reading (msgspec checks the YAML's data against
them), writing (``export``) and the JSON Schema editors use (``senderpools schema pools-file``) all
come from them. Every problem found in a file is reported with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml
from msgspec import UNSET, Meta, UnsetType

from senderpools.wire.fields import Address, Channel, PoolName, SenderId, TagMap


def address_key(channel: str, address: str) -> str:
    """How a sender given by address is named while planning: ``CHANNEL:address``."""
    return f"{channel}:{address}"


class Member(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A member of the pool: a sender ID, or a channel and address looked up in the account's inventory
    (`apply --register-missing` registers the addresses it does not have yet)."""

    sender_id: Annotated[SenderId, Meta(description="A sender of the account (`comms_sender_...`).")] | UnsetType = (
        UNSET
    )
    channel: Channel | UnsetType = UNSET
    address: (
        Annotated[Address, Meta(description="E.164 for SMS, RCS and WHATSAPP; an e-mail address for EMAIL.")]
        | UnsetType
    ) = UNSET

    def __post_init__(self) -> None:
        by_address = self.channel is not UNSET or self.address is not UNSET
        if (self.sender_id is UNSET) == (not by_address):
            raise ValueError("a member is either {senderId: ...} or {channel: ..., address: ...}")
        if by_address and (self.channel is UNSET or self.address is UNSET):
            raise ValueError("a member given by address needs both channel and address")

    def key(self) -> str:
        """What names the sender: its ID, or ``CHANNEL:address``."""
        return self.sender_id if self.sender_id is not UNSET else address_key(str(self.channel), str(self.address))


# The rule of ``Member.__post_init__``, for editors.
_ONE_WAY_TO_NAME_A_SENDER = {
    "oneOf": [
        {"required": ["senderId"], "not": {"anyOf": [{"required": ["channel"]}, {"required": ["address"]}]}},
        {"required": ["channel", "address"], "not": {"required": ["senderId"]}},
    ]
}


class Pool(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A sender pool, matched by name with the account's pools (two pools with one name are an error)."""

    # A pool setting beyond the Comms API (deletion protection) joins here as one more optional field
    # once the SDK carries it: reconcile._pool_plan compares it like the tags, Execution.shape_pools sets it.

    name: Annotated[PoolName, Meta(description="The pool's name: how the file and the server's pools are matched.")]
    tags: (
        Annotated[
            TagMap, Meta(description="The pool's tags, all of them; leave out to keep the pool's tags as they are.")
        ]
        | UnsetType
    ) = UNSET
    senders: (
        Annotated[
            list[Annotated[Member, Meta(extra_json_schema=_ONE_WAY_TO_NAME_A_SENDER)]],
            Meta(
                description="The pool's members. Missing ones are added; with `--prune`, members not listed here are "
                "removed. Leave out to leave the pool's membership alone (even with `--prune`)."
            ),
        ]
        | UnsetType
    ) = UNSET


class PoolsFile(msgspec.Struct, forbid_unknown_fields=True):
    """The sender pools an account should have, and their members (`senderpools plan|apply -f FILE`).
    Pools on the server that the file does not name are left alone."""

    pools: list[Pool]


def schema() -> dict[str, Any]:
    """The file format as a JSON Schema (draft 2020-12), for editors and validators."""
    generated = msgspec.json.schema(PoolsFile)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "senderpools pools file",
        **generated,
    }


# -- reading -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file (or with what it asks for), where it is."""

    line: int
    column: int
    message: str


class PoolFileError(Exception):
    """The file cannot be used; ``problems`` says where and why (each with its line)."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems

    def lines(self) -> Iterator[str]:
        """``FILE:LINE:COLUMN: message``, the format editors and terminals link to the spot."""
        for p in self.problems:
            yield f"{self.path}:{p.line}:{p.column}: {p.message}"


@dataclass(frozen=True, slots=True)
class PoolsDocument:
    """A file read and checked: its content, and where each value of it stands in the file."""

    path: Path
    content: PoolsFile
    marks: dict[str, tuple[int, int]] = field(repr=False)  # JSON path -> (line, column), 1-based

    def problem(self, where: str, message: str) -> Problem:
        """A problem at JSON path ``where`` (or its nearest enclosing value the file spells out)."""
        line, column = _nearest(self.marks, where)
        return Problem(line, column, f"{where}: {message}")

    def line(self, where: str) -> int:
        return _nearest(self.marks, where)[0]


def read(path: Path) -> PoolsDocument:
    """Read and check a pools file; raises PoolFileError naming the line of the (first) problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolFileError(path, [Problem(1, 1, f"cannot read the file: {exc}")]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PoolFileError(path, [Problem(1, 1, "the file is empty: it needs a `pools:` list")])
        marks: dict[str, tuple[int, int]] = {}
        duplicates: list[Problem] = []
        _mark(node, "$", marks, duplicates, set())
        if duplicates:
            raise PoolFileError(path, duplicates)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PoolFileError(path, [Problem(line, column, f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise PoolFileError(path, [Problem(1, 1, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    try:
        content = msgspec.convert(data, PoolsFile)
    except msgspec.ValidationError as exc:
        raise PoolFileError(path, [_validation_problem(str(exc), marks, data)]) from None
    return PoolsDocument(path, content, marks)


def _mark(
    node: yaml.Node, path: str, marks: dict[str, tuple[int, int]], duplicates: list[Problem], seen: set[int]
) -> None:
    """Record where every value stands (mapping values at their key), and every key given twice."""
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if id(node) in seen:  # an alias of a node already walked (YAML anchors may even be recursive)
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _mark(item, f"{path}[{index}]", marks, duplicates, seen)
    elif isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in keys:
                duplicates.append(Problem(line, column, f"{path}: `{key}` is given twice (first on line {keys[key]})"))
            keys.setdefault(key, line)
            member = _member(path, key)
            marks.setdefault(member, (line, column))
            _mark(value_node, member, marks, duplicates, seen)


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{path}[{key!r}]"


def _nearest(marks: dict[str, tuple[int, int]], path: str) -> tuple[int, int]:
    while path not in marks and path != "$":
        path = re.sub(r"(\.[^.\[]+|\[[^\]]*\])$", "", path) or "$"
    return marks.get(path, (1, 1))


_AT = re.compile(r"^(?P<message>.*?) - at `(?P<key>key)` in `(?P<in>[^`]*)`$|^(?P<msg>.*) - at `(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def _validation_problem(text: str, marks: dict[str, tuple[int, int]], data: Any) -> Problem:
    """msgspec's message (``... - at `$.pools[0].tags` ``) tied to the line of the value it is about."""
    found = _AT.match(text)
    if found is None:
        return Problem(1, 1, text)
    if found["key"]:
        message, where = f"a key: {found['message']}", found["in"]
    else:
        message, where = found["msg"], found["path"]
    unknown = _UNKNOWN.search(message)
    if unknown:
        where = _member(where, unknown.group(1))
    elif message.startswith("Expected `str") and ", got `" in message:
        message += " (quote it in YAML: phone numbers, `yes`/`no`, dates and numbers are read as other types)"
    line, column = _nearest(marks, where.replace("[...]", ""))
    return Problem(line, column, f"{where}: {message}")


# -- writing -------------------------------------------------------------------------------------------
class _FlowMapping(dict[str, Any]):
    """A mapping written on one line: ``{channel: SMS, address: '+14155550100'}``."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key, as people write them


_Dumper.add_representer(
    _FlowMapping, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)
)


def dump(content: PoolsFile, header: str = "") -> str:
    """The file as YAML: one pool per block, one member per line, values quoted where YAML needs it."""
    data = msgspec.to_builtins(content)
    for pool in data["pools"]:
        if "tags" in pool:
            pool["tags"] = _FlowMapping(pool["tags"])
        if "senders" in pool:
            pool["senders"] = [_FlowMapping(member) for member in pool["senders"]]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines()) + body
