"""Readiness: whether this process can serve requests now, check by check (``GET /readyz``)."""

from __future__ import annotations

import asyncio

from senderpools.store import Store

CHECK_TIMEOUT = 2.0  # seconds the database has to answer a readiness check


class Readiness:
    def __init__(self, store: Store, timeout: float = CHECK_TIMEOUT) -> None:
        self._store = store
        self._timeout = timeout

    async def checks(self) -> dict[str, str]:
        """Each check's result: ``ok``, or what failed. ``database``: a read answered in time; ``schema``:
        every migration this version ships has been applied."""
        try:
            missing = await asyncio.wait_for(self._store.missing_migrations(), self._timeout)
        except TimeoutError:
            return {"database": f"failed: no answer within {self._timeout:g} s", "schema": "not checked"}
        except Exception as exc:  # whatever the failure, the answer is "not ready" and why
            return {"database": f"failed: {type(exc).__name__}", "schema": "not checked"}
        schema = "ok" if not missing else f"failed: migrations not applied: {', '.join(missing)}"
        return {"database": "ok", "schema": schema}
