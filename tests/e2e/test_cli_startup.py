"""The console command starts light: `honorloop token` (and `--help`, `--version`) import
neither the API stack (strawberry, SQLAlchemy, Alembic) nor the simulator (numpy, SimPy);
the commands that need them import them when they run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from honorloop.cli import main

HEAVY = ("strawberry", "starlette", "sqlalchemy", "alembic", "numpy", "simpy", "uvicorn")
PROBE = """
import sys
from honorloop.cli import main
code = main({argv!r})
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print("HEAVY:" + ",".join(heavy))
sys.exit(code)
"""


def _imported_by(argv: list[str]) -> tuple[int, str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    line = [text for text in completed.stdout.splitlines() if text.startswith("HEAVY:")]
    assert line, completed.stderr
    return completed.returncode, line[-1].removeprefix("HEAVY:")


def test_minting_a_token_imports_neither_the_api_stack_nor_the_simulator() -> None:
    code, heavy = _imported_by(["token", "--role", "service"])

    assert code == 0
    assert heavy == ""


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("honorloop 0.")
