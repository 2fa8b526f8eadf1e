"""Every example in the README and docs/ runs as written, against a fresh server.

What runs: each fenced block marked ``sh`` or ``python``. Blocks marked ``console`` (transcripts, with
``$`` prompts and output), ``text`` or nothing are read, not run; a block right after a line
``<!-- example: not run (reason) -->`` is not run either (it starts a server, say), nor one after
``<!-- example: run by tests/x.py (...) -->``: that test runs it (``marked_block``).

How: one fresh ``senderpools serve --test-controls`` on a free loopback port with a new SQLite
database, as ``make run`` gives a newcomer. Each document's blocks run in order in one bash session
(``set -euo pipefail``: variables carry over from block to block, as in a reader's terminal); a Python
block runs as a script on its own, at its place in that order (it sees exported variables only). The environment is what the README tells a reader to set:
``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN`` from the first start, ``SENDERPOOLS_BASE_URL``, the venv's
``senderpools`` on ``PATH``, a scratch working directory. ``127.0.0.1:8080`` in a block becomes the
test server's address. ``curl`` fails on an HTTP error status (``--fail-with-body``), so an example that
answers 4xx or 5xx fails the test unless it says so (``|| true``, or ``-w`` to print the status).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.procs import ServerProcess, bootstrap_credentials, clean_env, database_url, free_port

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = ("sh", "python")
_FENCE = re.compile(r"^```(\S*)[^\n]*$")
_SKIP = re.compile(r"^<!--\s*example:\s*(not run|run by)\b.*-->\s*$")  # "run by": another test runs it
DEFAULT_ADDRESS = "127.0.0.1:8080"


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence
    language: str
    code: str

    def __str__(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks(document: Path) -> Iterator[Block]:
    """The runnable blocks of a document, in order."""
    lines = document.read_text().splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        start, language = i, opening.group(1)
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        skipped = start > 0 and _SKIP.match(lines[start - 1].strip()) is not None
        if language in RUN and not skipped:
            yield Block(document, start + 1, language, "\n".join(body) + "\n")


def marked_block(document: Path, runner: str) -> str:
    """The code of the block that ``document`` marks ``<!-- example: run by RUNNER ... -->``."""
    lines = document.read_text().splitlines()
    (start,) = [
        i for i, line in enumerate(lines) if re.match(rf"^<!--\s*example:\s*run by {re.escape(runner)}\b", line)
    ]
    assert _FENCE.match(lines[start + 1]), lines[start + 1]
    end = lines.index("```", start + 2)
    return "\n".join(lines[start + 2 : end]) + "\n"


EXAMPLES = {doc: list(blocks(doc)) for doc in DOCUMENTS}


@pytest.fixture(scope="module")
def doc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str, str]]:
    tmp = tmp_path_factory.mktemp("docs-server")
    port = free_port()
    args = ["--port", str(port), "--database-url", database_url(tmp / "senderpools.db"), "--test-controls"]
    server = ServerProcess(tmp / "logs", port, args, clean_env())
    try:
        server.wait_healthy()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        yield server, *credentials
    finally:
        server.stop()


def environment(server: ServerProcess, sid: str, token: str) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return clean_env(
        TWILIO_ACCOUNT_SID=sid,
        TWILIO_AUTH_TOKEN=token,
        SENDERPOOLS_BASE_URL=f"http://127.0.0.1:{server.port}",
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    )


def test_the_documents_have_examples() -> None:
    counted = {doc.name: len(found) for doc, found in EXAMPLES.items()}
    assert counted["README.md"] >= 4, counted
    assert all(b.language in RUN for found in EXAMPLES.values() for b in found)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_examples_run_as_written(document: Path, doc_server: tuple[ServerProcess, str, str], tmp_path: Path) -> None:
    server, sid, token = doc_server
    env = environment(server, sid, token)
    address = f"127.0.0.1:{server.port}"
    script = ["set -euo pipefail", 'curl() { command curl --fail-with-body --silent --show-error "$@"; }']
    for n, block in enumerate(EXAMPLES[document]):
        code = block.code.replace(DEFAULT_ADDRESS, address)
        script.append(f"echo '>>> {block}' >&2")
        if block.language == "sh":
            script.append(code)
        else:  # a Python block runs on its own, at its place in the document
            (tmp_path / f"example_{n}.py").write_text(code)
            script.append(f"{shlex.quote(sys.executable)} example_{n}.py")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"the examples of {document.name} failed:\n{done.stdout}\n{done.stderr}"
