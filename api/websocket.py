"""WebSocket frames as text: graphql-transport-ws messages are JSON, and a browser hands a
binary frame to the `graphql-ws` client as a `Blob`, which it cannot parse. The view's
`encode_json` returns orjson's bytes (right for HTTP bodies), so the adapter decodes them."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrameAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
