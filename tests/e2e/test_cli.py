"""`honorloop serve` refuses bad settings naming them; `honorloop token` mints a token the
server accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from api.app import NotReady, load_economy, open_sql_store
from api.auth import read_token
from api.settings import DEV_SECRET, Settings, SettingsError
from honorloop.cli import main

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def honorloop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    """Run the console command in-process with a clean environment plus `env`."""
    for name in list(os.environ):
        if name.startswith("HONORLOOP_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)

    def run(*args: str, **env: str) -> Ran:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def test_serve_with_an_invalid_port_stops_and_names_the_setting(
    honorloop: Callable[..., Ran],
) -> None:
    result = honorloop("serve", "--port", "70000")

    assert result.returncode == 2
    assert "HONORLOOP_PORT" in result.stderr


def test_serve_in_production_without_a_secret_stops_and_names_the_setting(
    honorloop: Callable[..., Ran],
) -> None:
    result = honorloop("serve", HONORLOOP_MODE="production")

    assert result.returncode == 2
    assert "HONORLOOP_JWT_SECRET" in result.stderr


def test_serve_with_a_missing_economy_file_stops_and_names_the_setting(
    honorloop: Callable[..., Ran],
) -> None:
    result = honorloop("serve", "--economy", "no/such/file.toml")

    assert result.returncode == 2
    assert "HONORLOOP_ECONOMY" in result.stderr


def test_serve_with_a_non_numeric_variable_stops_and_names_it(
    honorloop: Callable[..., Ran],
) -> None:
    result = honorloop("serve", HONORLOOP_WORKERS="many")

    assert result.returncode == 2
    assert "HONORLOOP_WORKERS" in result.stderr


def test_serve_with_a_broken_economy_file_stops_and_names_the_field(
    honorloop: Callable[..., Ran], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    text = (ROOT / "economies" / "koc_community.toml").read_text(encoding="utf-8")
    broken.write_text(text.replace("daily_cap = 300", 'daily_cap = "lots"'), encoding="utf-8")

    result = honorloop("serve", "--economy", str(broken))

    assert result.returncode == 2
    assert "daily_cap" in result.stderr


def test_token_for_a_member_is_accepted_with_the_configured_secret() -> None:
    """The real console command, once, in a subprocess."""
    secret = "a-long-enough-secret-for-this-test-0123456789"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HONORLOOP_")}

    result = subprocess.run(
        [sys.executable, "-m", "honorloop", "token", "--member", "mem_42", "--ttl", "30m"],
        cwd=ROOT,
        env={**environment, "HONORLOOP_JWT_SECRET": secret},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    viewer = read_token(secret, result.stdout.strip())
    assert (viewer.subject, viewer.role.value) == ("mem_42", "member")


def test_token_for_a_role_uses_the_development_secret_by_default(
    honorloop: Callable[..., Ran],
) -> None:
    result = honorloop("token", "--role", "operator")

    claims = jwt.decode(result.stdout.strip(), DEV_SECRET, algorithms=["HS256"])
    assert claims["role"] == "operator"
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_token_refuses_a_bad_ttl(honorloop: Callable[..., Ran]) -> None:
    result = honorloop("token", "--role", "service", "--ttl", "forever")

    assert result.returncode == 2
    assert "--ttl" in result.stderr


def test_settings_round_trip_through_the_environment_for_workers() -> None:
    settings = Settings(port=9001, workers=3, graphiql=False, redis_url="redis://localhost:6379")

    assert Settings.from_env(settings.to_env()) == settings


def test_a_short_secret_is_refused_naming_the_setting() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings(jwt_secret="short").validated()
    assert raised.value.name == "HONORLOOP_JWT_SECRET"


def test_without_auto_migrate_a_database_not_at_head_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(
        economy_path=str(ROOT / "economies" / "koc_community.toml"),
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        auto_migrate=False,
    ).validated()

    with pytest.raises(NotReady):
        open_sql_store(settings, load_economy(settings.economy_path))
