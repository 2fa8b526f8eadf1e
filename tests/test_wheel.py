"""The built package installs clean: ``python -m build`` makes a wheel and an sdist holding every file of
the package (console, migrations, ...), and the wheel installed with its dependencies into a fresh
virtual environment (by the README's own commands) serves the API, the console, /docs and the OpenAPI document from there."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx

from tests.procs import clean_env, start_server
from tests.test_docs_examples import marked_block

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def package_files() -> set[str]:
    """Every file of the package in the source tree (what the wheel must hold), as ``senderpools/...``."""
    package = ROOT / "senderpools"
    return {
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_the_wheel_installs_into_a_fresh_virtual_environment_and_serves(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a clean copy: no build leftovers (an old egg-info's file list) can help
    shutil.copytree(ROOT / "senderpools", source / "senderpools", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # The README's "Installing from the wheel" block, as written, with this test's interpreter and venv.
    venv = tmp_path / "venv"
    env = {k: v for k, v in clean_env().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    readme = marked_block(ROOT / "README.md", "tests/test_wheel.py")
    script = (
        readme.replace("make install && ", "")  # this test's interpreter has what `make install` installs
        .replace(".venv/bin/python", shlex.quote(sys.executable))
        .replace("/tmp/senderpools-venv", shlex.quote(str(venv)))
    )
    assert "senderpools --help" in script and str(venv) in script, script
    run("bash", "-c", f"set -euo pipefail\n{script}", cwd=source, env=env)
    dist = source / "dist"
    run(sys.executable, "-m", "build", "--sdist", "--outdir", dist, source, cwd=source)
    (wheel,) = dist.glob("senderpools-*.whl")
    (sdist,) = dist.glob("senderpools-*.tar.gz")
    expected = package_files()
    assert {"senderpools/console/static/js/app.js", "senderpools/store/migrations/sqlite/0001_initial.sql"} <= expected
    with zipfile.ZipFile(wheel) as archive:
        assert expected - set(archive.namelist()) == set()
        entry_points = archive.read(f"{wheel.name.split('-py3')[0]}.dist-info/entry_points.txt").decode()
    assert "senderpools = senderpools.pytest_plugin" in entry_points
    with tarfile.open(sdist) as archive:
        top = sdist.name.removesuffix(".tar.gz")
        assert {f"{top}/{f}" for f in expected} - set(archive.getnames()) == set()

    where = run(venv / "bin" / "python", "-c", "import senderpools; print(senderpools.__file__)", cwd=tmp_path, env=env)
    assert where.startswith(str(venv)), where  # the installed copy, not this source tree
    schema = json.loads(run(venv / "bin" / "senderpools", "schema", "pools-file", cwd=tmp_path, env=env))
    assert schema["title"] == "senderpools pools file"

    server = start_server(
        tmp_path / "logs",
        tmp_path / "senderpools.db",
        env={**env, "HOME": str(tmp_path)},
        program=str(venv / "bin" / "senderpools"),
    )
    try:
        with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
            assert http.get("/healthz").status_code == 200
            console = http.get("/console")
            assert console.status_code == 200 and "/console/static/js/app.js" in console.text
            for asset in ("js/app.js", "js/views/pools.js", "console.css", "favicon.svg"):
                assert http.get(f"/console/static/{asset}").status_code == 200, asset
            document = http.get("/openapi.json")
            assert document.status_code == 200 and "/v1/SenderPools" in document.json()["paths"]
            assert http.get("/docs").status_code == 200
    finally:
        assert server.stop() == 0, server.describe()
    assert os.path.exists(tmp_path / "senderpools.db")  # migrated by the installed copy's migrations
