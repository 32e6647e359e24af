"""The ASGI application: `create_app(settings)` wires Starlette routes, the GraphQL view
and a typed lifespan that opens the store, brings the schema to head (or refuses to start
when `auto_migrate` is off and it is not at head) and syncs reward stock rows."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from api.auth import InvalidToken, utc_now, viewer_from_header
from api.context import Context
from api.cors import cors_middleware
from api.economy_types import GuideIndex
from api.errors import BAD_REQUEST
from api.events import Broker, EventBroker, RedisBroker
from api.graphiql import offline_page, static_mount
from api.graphql_http import GraphQLOverHTTPView
from api.limits import BodySizeLimit
from api.loaders import Loaders
from api.metrics import MeteredBroker, Metrics
from api.persisted import PersistedQueries, TrustedDocuments
from api.request_log import RequestId
from api.runtime import Runtime, StoreFactory, db_executor, db_threads_max
from api.schema import build_schema
from api.settings import Settings
from api.tracing import instrument, tracer_provider_from_env
from api.websocket import TextFrameAdapter
from domain import services
from domain.economy import Economy, parse_economy
from domain.guide import build_guide
from persistence.sql import SqlStore, migrate, schema_status
from persistence.sql.engine import is_sqlite, pool_size

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

assert db_threads_max <= pool_size, "every database thread must find a pooled connection"

log = logging.getLogger("honorloop.api")
postgres_group_writers = 4  # at most db_threads_max: each group holds a database thread
assert postgres_group_writers <= db_threads_max


def load_economy(path: str) -> Economy:
    """Read and validate the economy file (raises `EconomyInvalid` naming the field)."""
    return parse_economy(Path(path).read_text(encoding="utf-8"), path)


class NotReady(RuntimeError):
    """The database is not usable by this version (schema not at head)."""


@dataclass(frozen=True, slots=True)
class Opened:
    store: StoreFactory
    ready: Callable[[], tuple[bool, str]]
    close: Callable[[], None]


def open_sql_store(settings: Settings, economy: Economy) -> Opened:
    """Migrate (or check) the schema and sync stock rows; blocking, run it off the loop."""
    url = settings.database_url
    if settings.auto_migrate:
        migrate(url)
    else:
        ok, message = schema_status(url)
        if not ok:
            raise NotReady(
                f"the database is not ready: {message}"
            )  # no URL: it may hold a password
    store = SqlStore(url)
    services.sync_rewards(store(), economy)
    return Opened(store=store, ready=lambda: schema_status(url), close=store.dispose)


def group_writers(settings: Settings, engine: object) -> int:
    """How many group-commit transactions may run at once (`api.group_commit`), 0 for
    none. SQLite has one writer: one group at a time, on unless `off`. On PostgreSQL
    groups run side by side, but only when `on`: measured, they cost throughput there
    (a group holds its members' row locks for all its activities; docs/performance.md)."""
    if settings.group_commit == "off":
        return 0
    if isinstance(engine, Engine) and not is_sqlite(engine):
        return postgres_group_writers if settings.group_commit == "on" else 0
    return 1


def request_error(message: str, status_code: int) -> Response:
    """A refused HTTP request, answered as GraphQL errors are: `{"errors": [...]}`."""
    body = {"errors": [{"message": message, "extensions": {"code": BAD_REQUEST}}]}
    return Response(orjson.dumps(body), status_code, media_type="application/json")


class GraphQLView(GraphQLOverHTTPView):
    """Strawberry's ASGI view with our context, auth, fast JSON, text WebSocket frames,
    GraphiQL served from the app, and refused requests answered as GraphQL errors."""

    websocket_adapter_class = TextFrameAdapter  # type: ignore[assignment]  # as strawberry's

    def __init__(self, runtime_of: Callable[[Request | WebSocket], Runtime], **kw: Any) -> None:
        super().__init__(**kw)
        self._runtime_of = runtime_of

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        runtime = self._runtime_of(request)
        context = Context(runtime, Loaders.create(runtime), request, response)
        try:
            context.viewer = viewer_from_header(
                runtime.settings.jwt_secret, request.headers.get("authorization")
            )
        except InvalidToken as error:
            context.auth_error = str(error)
        return context

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """graphql-transport-ws: a token in `connection_init` ({"Authorization": ...})."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None:
            return None
        if not isinstance(header, str):
            raise ConnectionRejectionError({"reason": "Authorization must be a string"})
        try:
            context.viewer = viewer_from_header(context.runtime.settings.jwt_secret, header)
        except InvalidToken as error:
            raise ConnectionRejectionError({"reason": str(error)}) from None
        return None

    @property
    def graphql_ide_html(self) -> str:
        return offline_page(super().graphql_ide_html)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As strawberry's, but a refused HTTP request (strawberry's `HTTPException`: a body
        that is not a JSON object, an operation type the method does not allow, ...) is
        answered with a GraphQL error body instead of plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = request_error(error.reason, error.status_code)
        await response(scope, receive, send)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if isinstance(request_data, GraphQLRequestData):  # for `OperationChoice`
            context.operation_name = request_data.operation_name
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)  # its JSONDecodeError is json's: still a 400
        if not isinstance(decoded, dict | list):  # a list is a batch: strawberry refuses it
            raise HTTPException(400, "the request body must be a JSON object")
        return decoded

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(
    settings: Settings,
    *,
    economy: Economy | None = None,
    opener: Callable[[Settings, Economy], Opened] = open_sql_store,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Starlette:
    """Build the app (no I/O beyond reading the economy file); resources open in lifespan.
    Traces go to `tracer_provider`, else to OTEL_EXPORTER_OTLP_ENDPOINT when it is set.
    `clock` tells when a request arrived (a replay of a recorded stream passes its own)."""
    economy = economy if economy is not None else load_economy(settings.economy_path)
    if tracer_provider is None:
        tracer_provider = tracer_provider_from_env()
    schema = build_schema(settings, tracer_provider=tracer_provider)
    guide = GuideIndex(build_guide(economy))
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = await run_in_threadpool(opener, settings, economy)
        inner: EventBroker = RedisBroker(settings.redis_url) if settings.redis_url else Broker()
        broker = MeteredBroker(inner, metrics)
        engine = getattr(opened.store, "engine", None)
        if engine is not None:
            metrics.watch_pool(engine, pool_size)
        executor = db_executor()
        try:
            await broker.start()
            app.state.runtime = Runtime(
                settings, economy, guide, opened.store, broker, executor, clock,
                group_writers(settings, engine),
            )  # fmt: skip
            app.state.ready = opened.ready
            yield
        finally:
            await broker.stop()
            executor.shutdown(wait=True)
            opened.close()

    def runtime_of(request: Request | WebSocket) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    view = GraphQLView(
        runtime_of,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,  # queries only: a mutation over GET gets 405
        allowed_origins=settings.cors_origin_list,  # the WebSocket handshake's origin check
    )

    view.persisted = PersistedQueries(
        TrustedDocuments.load(settings.trusted_documents_path),
        trusted_only=settings.trusted_documents_only,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            ok, message = await run_in_threadpool(request.app.state.ready)
        except Exception as error:  # any failure to reach the database means not ready
            log.warning("readiness check failed: %s", error)
            ok, message = False, "database unreachable"
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "detail": message},
            status_code=200 if ok else 503,
        )

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            *([static_mount()] if settings.graphiql_enabled else []),
        ],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.add_middleware(BodySizeLimit, max_bytes=settings.body_size_max_bytes)
    app.add_middleware(RequestId)
    for middleware in cors_middleware(settings.cors_origin_list):  # outermost: preflights
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    if tracer_provider is not None:
        instrument(app, tracer_provider)
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` workers: settings come from the environment.

    What exists once the app is built (modules, the schema, the economy) lives as long as
    the process, so it is moved out of the cyclic collector's way: full collections then
    scan only what requests left behind. Measured with 32 concurrent viewer queries: the
    longest collections went from ~150 ms to ~50 ms, p99 from ~210 ms to ~80 ms."""
    app = create_app(Settings.from_env().validated())
    gc.collect()
    gc.freeze()
    return app
