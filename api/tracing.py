"""OpenTelemetry traces, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a server span per HTTP
request (the Starlette instrumentation) with strawberry's spans for parsing, validation and
each resolver inside it, exported over OTLP/HTTP. The standard `OTEL_*` variables configure
the exporter and the service name (`honorloop` unless `OTEL_SERVICE_NAME` says otherwise).
Nothing is imported from OpenTelemetry unless tracing is on."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from starlette.applications import Starlette
    from strawberry.extensions import SchemaExtension

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_NAME_ENV = "OTEL_SERVICE_NAME"
default_service_name = "honorloop"


def tracer_provider_from_env(environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A provider exporting to the OTLP endpoint in the environment, or None (no tracing)."""
    env = os.environ if environ is None else environ
    endpoint = env.get(ENDPOINT_ENV)
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = env.get(SERVICE_NAME_ENV) or default_service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def graphql_extension(provider: TracerProvider) -> Callable[[], SchemaExtension]:
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return lambda: OpenTelemetryExtension(tracer_provider=provider)


def instrument(app: Starlette, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
