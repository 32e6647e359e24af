"""The typed per-request context: the runtime, the viewer the token names, and loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.auth import Viewer
from api.loaders import Loaders
from api.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    loaders: Loaders
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    viewer: Viewer | None = None
    auth_error: str | None = None  # why a presented token was refused
    connection_params: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None  # as the HTTP request sent it (None: not given)


Info = strawberry.Info[Context, None]
