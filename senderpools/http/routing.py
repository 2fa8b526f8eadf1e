"""Path routing: a tree of path segments, matched in one walk.

A literal segment is tried before a parameter at the same depth (``/v1/SenderPools/Operations``
before ``/v1/SenderPools/{senderPoolId}``). When the path matches somewhere but no match takes the
method, the answer is 405 with every method the matches take; when nothing matches, 404.
A ``{name:path}`` parameter takes the rest of the path (static files).

Most requests take a shortcut with the same answer: a path without parameters is one dict lookup,
and other paths one greedy descent (literal first at each depth, no going back). Only when that
finds nothing for the method is the tree searched in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

_PARAM = re.compile(r"^\{(\w+)(:path)?\}$")


@dataclass(slots=True)
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    param: tuple[str, _Node[T]] | None = None
    rest: str | None = None  # a {name:path} parameter ends here
    rest_targets: dict[str, T] = field(default_factory=dict)
    targets: dict[str, T] = field(default_factory=dict)  # by method


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    target: T | None  # None: the path exists, the method does not (405)
    params: dict[str, str]
    allowed: tuple[str, ...] = ()  # methods the path takes, when ``target`` is None


class Router(Generic[T]):
    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._static: dict[str, dict[str, T]] = {}  # path -> targets, for paths without parameters

    def add(self, method: str, path: str, target: T) -> None:
        self._add_to_tree(method, path, target)
        if "{" not in path:
            self._put(self._static.setdefault(path, {}), method, path, target)

    def _add_to_tree(self, method: str, path: str, target: T) -> None:
        node = self._root
        for segment in path[1:].split("/"):
            found = _PARAM.match(segment)
            if found is None:
                node = node.literals.setdefault(segment, _Node())
            elif found.group(2):
                node.rest = found.group(1)
                self._put(node.rest_targets, method, path, target)
                return
            else:
                if node.param is None:
                    node.param = (found.group(1), _Node())
                elif node.param[0] != found.group(1):
                    raise ValueError(f"{path}: parameter {found.group(1)} clashes with {node.param[0]}")
                node = node.param[1]
        self._put(node.targets, method, path, target)

    @staticmethod
    def _put(targets: dict[str, T], method: str, path: str, target: T) -> None:
        if method in targets:
            raise ValueError(f"{method} {path} is declared twice")
        targets[method] = target
        if method == "GET":
            targets.setdefault("HEAD", target)

    def match(self, method: str, path: str) -> Match[T] | None:
        """The target for ``method`` at ``path``; a Match without target for 405; None for 404."""
        static = self._static.get(path)
        if static is not None and method in static:
            return Match(static[method], {})
        greedy = self._greedy(method, path)
        if greedy is not None:
            return greedy
        if not path.startswith("/"):
            return None
        segments = path[1:].split("/")
        allowed: set[str] = set()
        for targets, params in self._walk(self._root, segments, 0, {}):
            target = targets.get(method)
            if target is not None:
                return Match(target, params)
            allowed.update(targets)
        return Match(None, {}, tuple(sorted(allowed))) if allowed else None

    def _greedy(self, method: str, path: str) -> Match[T] | None:
        """The match when literals win at every depth and that path takes the method (the usual case)."""
        node, params = self._root, {}
        for segment in path[1:].split("/"):
            child = node.literals.get(segment)
            if child is None:
                if node.param is None or not segment:
                    return None
                name, child = node.param
                params[name] = segment
            node = child
        target = node.targets.get(method)
        return None if target is None else Match(target, params)

    def _walk(
        self, node: _Node[T], segments: list[str], depth: int, params: dict[str, str]
    ) -> Iterator[tuple[dict[str, T], dict[str, str]]]:
        """Every (targets, params) whose path matches, literals first."""
        if depth == len(segments):
            if node.targets:
                yield node.targets, params
            return
        segment = segments[depth]
        child = node.literals.get(segment)
        if child is not None:
            yield from self._walk(child, segments, depth + 1, params)
        if node.param is not None and segment:
            name, child = node.param
            yield from self._walk(child, segments, depth + 1, {**params, name: segment})
        if node.rest is not None:
            yield node.rest_targets, {**params, node.rest: "/".join(segments[depth:])}
