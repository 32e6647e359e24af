"""`honorloop serve` runs one worker per available core in production when Redis shares
the subscription events, unless told how many."""

from __future__ import annotations

import argparse

import pytest

from honorloop.serve_cmd import _settings, cores_available


def serve_args(mode: str | None, workers: int | None) -> argparse.Namespace:
    return argparse.Namespace(
        economy=None, database_url=None, host=None, port=None, workers=workers, mode=mode
    )


def test_production_with_redis_defaults_to_one_worker_per_available_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HONORLOOP_WORKERS", raising=False)
    monkeypatch.setenv("HONORLOOP_JWT_SECRET", "serve-secret-" + "z" * 40)
    monkeypatch.setenv("HONORLOOP_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert _settings(serve_args("production", None)).workers == cores_available()


def test_production_without_redis_stays_on_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HONORLOOP_WORKERS", raising=False)
    monkeypatch.delenv("HONORLOOP_REDIS_URL", raising=False)
    monkeypatch.setenv("HONORLOOP_JWT_SECRET", "serve-secret-" + "z" * 40)
    assert _settings(serve_args("production", None)).workers == 1


def test_production_keeps_the_workers_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONORLOOP_JWT_SECRET", "serve-secret-" + "z" * 40)
    monkeypatch.delenv("HONORLOOP_WORKERS", raising=False)
    assert _settings(serve_args("production", 3)).workers == 3
    monkeypatch.setenv("HONORLOOP_WORKERS", "2")
    assert _settings(serve_args("production", None)).workers == 2


def test_development_stays_on_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HONORLOOP_WORKERS", raising=False)
    assert _settings(serve_args("development", None)).workers == 1
