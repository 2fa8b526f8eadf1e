"""What ``senderpools serve`` does as a process supervisor, around granian.

- **One server per port.** granian binds its listening sockets with ``SO_REUSEPORT``, so a second
  server on a port already served would start without error and the two would share the connections
  (each on its own database). ``claim_port`` binds the port first *without* ``SO_REUSEPORT``, which
  fails if anyone serves it, and keeps that socket (bound, never listening, so it receives no
  connection) for the server's lifetime with ``SO_REUSEPORT`` turned on afterwards: granian's workers
  can bind beside it, another server cannot, even while this one is still starting.
- **Workers die with their parent.** An HTTP worker asks the kernel for SIGKILL when the process that
  forked it dies (``PR_SET_PDEATHSIG``), and checks it was not orphaned already, so a killed ``serve``
  never leaves a worker serving or applying operations. Every unit of work is one transaction: a killed
  worker loses nothing acknowledged (``tests/test_crash_many.py``).
- **Enough file descriptors.** Each connection holds one: the soft limit is raised to the hard one,
  and the connection limit is kept below what that allows.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import socket
import sys

from senderpools.composition import ServerApp, app_from_env

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FILES_RESERVED = 256  # descriptors kept for everything but connections: database, pipes, logs


class PortTaken(Exception):
    """Another process serves (or holds) the address."""


def claim_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that only sockets with ``SO_REUSEPORT`` can bind beside (see the
    module docstring); raises ``PortTaken`` when something is bound there already. Keep it open."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    guard = socket.socket(family, socket.SOCK_STREAM)
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
    try:
        guard.bind((host, port))
    except OSError as exc:
        guard.close()
        raise PortTaken(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return guard


def raise_open_file_limit() -> int:
    """Raise this process's soft limit on open files to the hard limit (the HTTP workers inherit it);
    returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):  # e.g. above the kernel's nr_open: keep what we have
            pass
    return soft


def die_with_parent() -> None:
    """In a worker process forked by multiprocessing: be SIGKILLed when the parent dies (Linux)."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent.pid:  # the parent died before prctl took effect: nobody would signal us
        os.kill(os.getpid(), signal.SIGKILL)


def worker_app() -> ServerApp:
    """granian's factory in each HTTP worker process: the application, in a worker bound to its parent."""
    die_with_parent()
    return app_from_env()
