"""Which operation of a document runs, checked before execution (a schema extension).

- A document with several operations must say which one in `operationName` (GraphQL
  spec, "GetOperation"); strawberry would run the first.
- A subscription needs a stream: over plain HTTP (one JSON response) it is refused with a
  400 that says to use the WebSocket (graphql-transport-ws on the same path).

Both answer a GraphQL error with `extensions.code` BAD_REQUEST and HTTP status 400."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.context import Context
from api.errors import BAD_REQUEST, ApiError


def refusal(context: Context, operations: int, operation: OperationType) -> str | None:
    """Why this operation may not run on this request, or None."""
    if not isinstance(context.request, Request):
        return None  # a WebSocket: every operation arrives with its own subscribe message
    if operations > 1 and context.operation_name is None:
        return f"the document has {operations} operations: name one in operationName"
    if operation is OperationType.SUBSCRIPTION:
        return (
            "subscriptions need a stream: use the WebSocket (graphql-transport-ws) on "
            "this path, sending the token in connection_init"
        )
    return None


class OperationChoice(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if isinstance(context, Context) and document is not None:
            operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            reason = refusal(context, operations, execution.operation_type)
            if reason is not None:
                execution.result = ExecutionResult(None, [ApiError(reason, BAD_REQUEST)])
                if isinstance(context.response, Response):
                    context.response.status_code = 400
        yield
