"""Prometheus metrics at `/metrics`: GraphQL requests by operation name and outcome, their
latency, errors by `extensions.code`, ledger writes and redemptions (counted from the
events each command commits), and the database pool.

With several workers (`honorloop serve --workers N`) each process writes its samples to
files in `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode; `serve` sets a
fresh directory when it is unset) and a scrape of any worker adds them all up. Without that
variable the app keeps its own registry, so two apps in one process never share counters."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from api.events import EventBroker
from domain.model import Event

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
latency_buckets_s = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
operation_name_length_max = 64  # a label, not a place for arbitrary client text
# Events that move points (each is one ledger transfer committed).
LEDGER_EVENTS = {"PointsAwarded", "PointsAdjusted", "PointsExpired", "RedemptionUpdated"}


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The app's metric objects, registered on its own registry (single process) or on
    none (multiprocess mode: samples go to files)."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        self.registry = CollectorRegistry(auto_describe=True)
        owner = None if self.multiprocess else self.registry
        self.requests = Counter(
            "honorloop_graphql_requests",
            "GraphQL operations by operation name and outcome (ok, error, rejected).",
            ["operation", "outcome"],
            registry=owner,
        )
        self.latency = Histogram(
            "honorloop_graphql_request_duration_seconds",
            "Time to execute a GraphQL operation, by operation name.",
            ["operation"],
            buckets=latency_buckets_s,
            registry=owner,
        )
        self.errors = Counter(
            "honorloop_graphql_errors",
            "GraphQL errors by extensions.code.",
            ["code"],
            registry=owner,
        )
        self.ledger_writes = Counter(
            "honorloop_ledger_writes",
            "Ledger transfers committed, by the event that reports them.",
            ["event"],
            registry=owner,
        )
        self.redemptions = Counter(
            "honorloop_redemptions",
            "Redemption changes committed, by new status.",
            ["status"],
            registry=owner,
        )
        self.db_in_use = Gauge(
            "honorloop_db_connections_in_use",
            "Database connections checked out of the pool (summed over live workers).",
            registry=owner,
            multiprocess_mode="livesum",
        )
        self.db_pool_size = Gauge(
            "honorloop_db_pool_size",
            "Database connections each worker's pool keeps (summed over live workers).",
            registry=owner,
            multiprocess_mode="livesum",
        )

    def scrape(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def count_events(self, events: Sequence[Event]) -> None:
        for event in events:
            name = type(event).__name__
            if name in LEDGER_EVENTS:
                self.ledger_writes.labels(name).inc()
            if name == "RedemptionUpdated":
                status = getattr(event, "status", None)
                self.redemptions.labels(str(getattr(status, "value", status))).inc()

    def watch_pool(self, engine: Any, size: int) -> None:
        """Track checkouts of a SQLAlchemy engine's pool."""
        from sqlalchemy import event

        self.db_pool_size.set(size)
        event.listen(engine, "checkout", lambda *_: self.db_in_use.inc())
        event.listen(engine, "checkin", lambda *_: self.db_in_use.dec())

    async def endpoint(self, request: Request) -> Response:
        return Response(self.scrape(), media_type=CONTENT_TYPE_LATEST)


class MeteredBroker:
    """The event broker, counting what each command committed before delivering it."""

    def __init__(self, inner: EventBroker, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def publish(self, events: Sequence[Event]) -> None:
        self.metrics.count_events(events)
        await self.inner.publish(events)

    def subscribe(self, member_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Event]]:
        return self.inner.subscribe(member_id)

    def open(self, member_id: str) -> asyncio.Queue[Event]:
        return self.inner.open(member_id)

    def close(self, member_id: str, queue: asyncio.Queue[Event]) -> None:
        self.inner.close(member_id, queue)


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    return name[:operation_name_length_max]


class MetricsExtension(SchemaExtension):
    """Counts and times every operation; the app's `Metrics` come from `app.state`."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        metrics = self._metrics()
        if metrics is None:
            return
        context = self.execution_context
        operation = operation_label(context.operation_name)
        result = context.result
        errors = result.errors if result is not None else context.pre_execution_errors
        if errors and (result is None or isinstance(result, PreExecutionError)):
            outcome = "rejected"  # before execution: parse, validation, variable coercion
        elif errors:
            outcome = "error"
        else:
            outcome = "ok"
        metrics.requests.labels(operation, outcome).inc()
        metrics.latency.labels(operation).observe(time.perf_counter() - started)
        for error in errors or ():
            code = (error.extensions or {}).get("code", "UNKNOWN")
            metrics.errors.labels(str(code)).inc()

    def _metrics(self) -> Metrics | None:
        request = getattr(self.execution_context.context, "request", None)
        app = getattr(request, "app", None) if request is not None else None
        metrics = getattr(getattr(app, "state", None), "metrics", None)
        return metrics if isinstance(metrics, Metrics) else None
