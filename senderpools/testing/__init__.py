"""Test controls: the wing of the server that exists for testing integrations against it.

Mounted only when the server runs with ``--test-controls``; the product knows it only through two
small protocols: a request hook (``http.edge.RequestHook``, faults) and the worker's ``Pacer``.

- ``wire``, ``endpoints``: its request and reply types and its endpoint declarations (``/_test/``).
- ``faults``: injected failures and latency, per account, in this process's memory.
- ``pacing``: holding or slowing the worker, per account, stored in the database.
- ``service``: reset and seed, with the product's own rules for senders.
- ``handlers``: the routes, bound to one ``TestControls``.
"""

from __future__ import annotations

from dataclasses import dataclass

from senderpools.testing.faults import Faults
from senderpools.testing.service import TestControlService


@dataclass(slots=True)
class TestControls:
    """Everything the ``/_test/`` routes act on."""

    faults: Faults
    service: TestControlService
