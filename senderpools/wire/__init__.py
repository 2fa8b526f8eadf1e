"""The wire contract, declared once: every JSON shape the API reads or writes, and every endpoint.

- ``fields``: scalar types (IDs, tags, names) and the enums (channels, statuses, outcomes).
- ``resources``: the contract's objects (SenderPool, Sender, SenderPoolOperation, ...).
- ``bodies``: request bodies. ``queries``: query strings. ``replies``: response envelopes.
- ``endpoints``: each endpoint's method, path, parameters, body, reply, errors and prose.
- ``encoding``: JSON encoding, and replies already rendered (stored at write time).

The server validates and encodes with these types, the OpenAPI document and ``/docs`` are generated
from them, and the SDK decodes with them. Prose and examples live on the types (docstrings,
``msgspec.Meta``), so the document cannot drift from what is served.
"""
