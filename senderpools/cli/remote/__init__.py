"""Commands that talk to a server through the SDK (pools, senders, operations; plan, apply, export).

Every command takes ``--base-url`` and credentials (flags or the TWILIO_* variables) and ``--json``.
Output is a readable table by default and the wire JSON with ``--json``. Exit codes: 0 ok, 1 the API
refused something (or some rows of an import failed), 2 usage; ``plan`` alone exits 2 for "changes to
make" and 1 for usage errors.
"""
