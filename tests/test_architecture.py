"""The shape of the code: no import circles, layers that only look down, and a testing wing the product
never imports (only the composition root mounts it).

Every ``import`` in the package counts, wherever it stands (module level, inside a function, under
``TYPE_CHECKING``): a circle hidden in a function is still a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "senderpools"

# What each layer may import from the package (besides itself). A module belongs to the first layer
# whose prefix it starts with.
FOUNDATION = ("senderpools.ids", "senderpools.clock", "senderpools.errors")
LAYERS: dict[str, tuple[str, ...]] = {
    "senderpools.wire": FOUNDATION,
    "senderpools.records": (*FOUNDATION, "senderpools.wire"),
    "senderpools.store": (*FOUNDATION, "senderpools.wire", "senderpools.records"),
    "senderpools.worker": (*FOUNDATION, "senderpools.store"),
    # The webhook delivery loop: claims from the store, sends with the service's webhook sender.
    "senderpools.deliveries": (
        *FOUNDATION,
        "senderpools.wire",
        "senderpools.records",
        "senderpools.store",
        "senderpools.service",
    ),
    "senderpools.service": (*FOUNDATION, "senderpools.wire", "senderpools.records", "senderpools.store"),
    "senderpools.http": (
        *FOUNDATION,
        "senderpools.config",
        "senderpools.wire",
        "senderpools.records",
        "senderpools.service",
    ),
    "senderpools.testing": (
        *FOUNDATION,
        "senderpools.wire",
        "senderpools.records",
        "senderpools.store",
        "senderpools.service",
        "senderpools.http",
    ),
    "senderpools.client": (*FOUNDATION, "senderpools.wire"),
    "senderpools.cli": (
        *FOUNDATION,
        "senderpools.config",
        "senderpools.wire",
        "senderpools.client",
        "senderpools.store",
        "senderpools.service",
        "senderpools.composition",
    ),
    # The pytest plugin for users' test suites: not product code. It runs the composed server and drives
    # the test controls through their own declarations (senderpools.testing's wire and endpoints).
    "senderpools.pytest_plugin": (
        *FOUNDATION,
        "senderpools.config",
        "senderpools.composition",
        "senderpools.service",
        "senderpools.client",
        "senderpools.testing.wire",
        "senderpools.testing.endpoints",
    ),
}
COMPOSITION_ROOT = "senderpools.composition"  # the one module that mounts the testing wing
TEST_TOOLS = ("senderpools.pytest_plugin",)  # outside the product: may use the testing wing's declarations


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> Iterator[str]:
    """The package's modules that ``name`` imports: ``from a.b import c`` is ``a.b.c`` when c is a module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("senderpools") and target in MODULES and target != name:
                yield target


GRAPH = {name: set(imports(name)) for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in GRAPH[node]:
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    return found


def layer(name: str) -> str | None:
    return next((prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), None)


def test_the_graph_sees_the_package() -> None:
    assert len(MODULES) > 50
    assert "senderpools.wire.endpoints" in GRAPH["senderpools.http.openapi"]
    assert "senderpools.testing" in GRAPH[COMPOSITION_ROOT]


def test_no_import_circles() -> None:
    assert cycles() == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    GRAPH["senderpools.ids"].add("senderpools.errors")
    GRAPH["senderpools.errors"].add("senderpools.ids")
    try:
        assert ["senderpools.errors", "senderpools.ids"] in cycles()
    finally:
        GRAPH["senderpools.ids"].discard("senderpools.errors")
        GRAPH["senderpools.errors"].discard("senderpools.ids")


def test_no_product_module_imports_the_testing_wing() -> None:
    offenders = {
        name: sorted(t for t in targets if t == "senderpools.testing" or t.startswith("senderpools.testing."))
        for name, targets in GRAPH.items()
        if not name.startswith("senderpools.testing") and name not in (COMPOSITION_ROOT, *TEST_TOOLS)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_layers_only_import_what_they_stand_on() -> None:
    breaches = []
    for name, targets in GRAPH.items():
        own = layer(name)
        if own is None:
            continue
        allowed = (own, *LAYERS[own])
        for target in targets:
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                breaches.append(f"{name} -> {target}")
    assert breaches == []
