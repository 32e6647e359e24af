"""GraphQL over HTTP (the GraphQL-over-HTTP spec), on top of strawberry's ASGI view:

- the response is `application/graphql-response+json` when the client accepts it (ahead of
  `application/json`), and then a request that fails before execution (a document that does
  not parse or validate, variables that do not coerce) gets 400 and no `data` entry;
  `application/json` clients keep 200 with `data: null`, as the spec requires for them;
- GET runs queries, never mutations (405);
- a body that is not JSON (`Content-Type`) gets 415, not 400."""

from __future__ import annotations

import dataclasses

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from api.context import Context
from api.persisted import PersistedQueries, PersistedQueryError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
BODY_MEDIA_TYPES = (JSON, GRAPHQL_RESPONSE)  # what a POST body may be


def preferred_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` if accepted at least as much as JSON, else JSON
    (also for a missing header, `*/*` or anything else: the spec's legacy default)."""
    if not accept:
        return JSON
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.strip().lower()] = quality
    wanted = weights.get(GRAPHQL_RESPONSE, 0.0)
    if wanted > 0 and wanted >= weights.get(JSON, 0.0):
        return GRAPHQL_RESPONSE
    return JSON


class NegotiatedResponse(Response):
    """The view's sub-response, remembering the media type the client asked for and
    whether the request failed before execution."""

    media_type_wanted: str = JSON
    failed_before_execution: bool = False


class GraphQLOverHTTPView(GraphQL[Context, None]):
    persisted: PersistedQueries | None = None  # APQ and trusted documents (api/persisted.py)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = NegotiatedResponse()
        sub_response.status_code = None  # type: ignore[assignment]  # strawberry's "unset"
        del sub_response.headers["content-length"]
        sub_response.media_type_wanted = preferred_media_type(request.headers.get("accept"))
        return sub_response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            media_type, _ = parse_content_type(request.content_type or "")
            if media_type.lower() not in BODY_MEDIA_TYPES:
                raise HTTPException(415, f"a GraphQL request body is {JSON}")
        return await super().parse_http_body(request)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if self.persisted is not None:
            try:
                query = self.persisted.resolve(request_data.query, request_data.extensions)
            except PersistedQueryError as refused:
                if isinstance(sub_response, NegotiatedResponse):
                    sub_response.failed_before_execution = True
                return PreExecutionError(data=None, errors=[refused.as_graphql_error()])
            request_data = dataclasses.replace(request_data, query=query)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as error:
            if request_adapter.method == "GET" and isinstance(
                error.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, error.reason) from error
            raise
        if isinstance(result, PreExecutionError) and isinstance(sub_response, NegotiatedResponse):
            sub_response.failed_before_execution = True
        return result

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        wanted = JSON
        if isinstance(sub_response, NegotiatedResponse):
            wanted = sub_response.media_type_wanted
            if wanted == GRAPHQL_RESPONSE and sub_response.failed_before_execution:
                if isinstance(response_data, dict):
                    response_data.pop("data", None)
                if not sub_response.status_code:
                    sub_response.status_code = 400
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{wanted}; charset=utf-8"
        return response
