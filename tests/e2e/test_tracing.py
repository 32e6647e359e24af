"""OpenTelemetry: with a tracer provider (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set), a
request leaves a server span with strawberry's GraphQL spans inside the same trace; without
the variable nothing is traced. Spans are read back from an in-memory exporter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette

from api.app import create_app
from api.tracing import tracer_provider_from_env
from tests.e2e.conftest import e2e_settings

startup_attempts_max = 1000


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """uvicorn serving `app` in a thread on a free port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(startup_attempts_max):
        if server.started or not thread.is_alive():
            break
        started.wait(0.02)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_graphql_request_leaves_one_trace_with_http_and_graphql_spans(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = e2e_settings(tmp_path, f"sqlite:///{tmp_path / 'traced.db'}")
    app = create_app(settings, tracer_provider=provider)

    with serving(app) as base:
        response = httpx.post(f"{base}/graphql", json={"query": "query Guide { economy { id } }"})
    assert response.status_code == 200

    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert any(name.startswith("POST /graphql") for name in names), names
    assert "GraphQL Query: Guide" in names, names
    assert len({span.context.trace_id for span in spans}) == 1
    provider.shutdown()


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    assert tracer_provider_from_env({}) is None


def test_an_otlp_endpoint_turns_tracing_on_with_the_service_name() -> None:
    provider = tracer_provider_from_env(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SERVICE_NAME": "hl-test"}
    )

    assert provider is not None
    assert provider.resource.attributes["service.name"] == "hl-test"
    provider.shutdown()
