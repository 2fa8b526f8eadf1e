"""Settings: every option has a default and an environment variable ``SENDERPOOLS_<NAME>``."""

from __future__ import annotations

import os
from typing import Any, Literal

import msgspec


class Settings(msgspec.Struct, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = "sqlite:///./senderpools.db"
    public_url: str | None = None  # base of Location URLs; default: the request's scheme and Host
    workers: int = 1  # HTTP worker processes
    run_worker: bool = True  # apply operations inside the server process
    rate_limit: float = 10_000.0  # requests per second per account (and process, see scope); 0 turns limiting off
    rate_burst: float = 20_000.0
    # "process": buckets in each process's memory; "database": one set shared by every node on the database
    rate_limit_scope: Literal["process", "database"] = "process"
    max_body_bytes: int = 16 * 1024 * 1024
    # Connections (serve): one client's idle, slow or silent connections must not lock anyone else out.
    max_connections: int = 10_000  # open connections per HTTP worker process; more wait in the listen backlog
    # seconds a connection has to send a request's head: from connecting (so a silent connection is closed),
    # and from its previous response (keep-alive idle); a slow head is cut off at the same moment
    header_timeout: float = 10.0
    body_timeout: float = 30.0  # seconds a request's whole body has to arrive once its head has (else 408)
    auth_cache_ttl: float = 60.0  # seconds a verified credential is remembered
    # failed authentications per second (and burst) allowed per client address before 429; 0 turns it off
    auth_failure_limit: float = 10.0
    auth_failure_burst: float = 50.0
    idempotency_ttl: float = 86_400.0  # seconds an Idempotency-Key is remembered (then ignored and purged)
    idempotency_lease: float = 60.0  # seconds after which a claimed key whose response was never stored is free
    idempotency_wait: float = 5.0  # seconds a request waits for another in progress with its key, then 409
    sticky_ttl: float = 0.0  # seconds a sticky sender is kept from its first choice; 0: until it is released
    resolve_cache_senders: int = 500_000  # candidates Resolve keeps in memory per process, across scopes
    # Events and webhooks (docs/events.md)
    event_retention_days: float = 30.0  # days an event is kept (then purged by the worker, with its deliveries)
    webhook_allow_private: bool = False  # allow sinks on private, loopback and link-local addresses
    webhook_timeout: float = 10.0  # seconds a delivery attempt may take (connect to last byte)
    webhook_retry_base: float = 5.0  # seconds before the first retry; each retry waits twice as long (+-20% jitter)
    webhook_retry_max: float = 3600.0  # the longest wait between two attempts
    webhook_retry_window: float = 86_400.0  # seconds of retries (nominal waits added up), then dead-lettered
    webhook_concurrency: int = 4  # attempts in flight per sink (per process): a slow sink never holds up others
    webhook_poll_interval: float = 0.05  # seconds between looks for due deliveries when there were none
    test_controls: bool = False  # serve /_test/ (faults, pacing, reset, seed) for integration testing
    worker_batch_size: int = 1000
    worker_poll_interval: float = 0.25  # seconds between looks for work queued by other processes
    database_pool_size: int = 10  # PostgreSQL connections per process
    sqlite_synchronous: str = "NORMAL"  # NORMAL survives process crashes; FULL also survives power loss
    # seconds a write waits (other requests served meanwhile) for a write lock another process holds, then 503
    sqlite_lock_timeout: float = 1.0
    log_level: str = "info"
    access_log: bool = False  # one line per request on stderr (granian's access log); never credentials

    @staticmethod
    def env_name(field: str) -> str:
        return "SENDERPOOLS_" + field.upper()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        environ = dict(os.environ) if environ is None else environ
        raw: dict[str, Any] = {}
        for field in cls.__struct_fields__:
            value = environ.get(cls.env_name(field))
            if value is not None:
                raw[field] = value
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(raw, cls, strict=False)

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in a child process (HTTP workers)."""
        env = {}
        for field in self.__struct_fields__:
            value = getattr(self, field)
            if value is not None:
                env[self.env_name(field)] = str(value).lower() if isinstance(value, bool) else str(value)
        return env
