"""The benchmarks' no-op mutation (the ceiling of `make bench-api`) exists only when the
benchmark setting enables it, never in the served schema by default."""

from __future__ import annotations

from api.schema import build_schema, sdl
from api.settings import Settings


def test_the_default_schema_has_no_noop_mutation() -> None:
    assert "benchNoop" not in build_schema(Settings()).as_str()
    assert "benchNoop" not in sdl()


def test_the_benchmark_setting_adds_the_noop_mutation_and_keeps_the_others() -> None:
    schema = build_schema(Settings(bench_noop=True))
    mutation = schema._schema.mutation_type
    assert mutation is not None
    assert "benchNoop" in mutation.fields
    assert "recordActivity" in mutation.fields


def test_the_setting_comes_from_the_environment() -> None:
    assert Settings.from_env({"HONORLOOP_BENCH_NOOP": "1"}).bench_noop is True
    assert Settings.from_env({}).bench_noop is False
