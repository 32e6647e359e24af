"""Every response carries an `X-Request-Id` (the client's when it is a safe token, else a
new one), and each log line written while serving the request names it, as JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import Role
from api.request_log import JsonFormatter, RequestIdFilter, logging_config, request_id_from
from tests.e2e.conftest import Api, e2e_settings, live_server
from tests.e2e.test_production_mode import broken_store


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("logs")
    settings = e2e_settings(directory, "sqlite:///unused.db", mode="production")
    with live_server(settings, broken_store) as server, httpx.Client(timeout=10) as client:
        yield Api(server.base_url, client)


@pytest.fixture
def captured() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("strawberry.execution")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_a_response_carries_a_new_request_id(api: Api) -> None:
    response = api.client.get(f"{api.base_url}/healthz")

    assert len(response.headers["x-request-id"]) == 32


def test_a_safe_request_id_from_the_client_is_kept(api: Api) -> None:
    response = api.client.get(f"{api.base_url}/healthz", headers={"X-Request-Id": "edge-42.a"})

    assert response.headers["x-request-id"] == "edge-42.a"


def test_an_unsafe_request_id_is_replaced() -> None:
    assert request_id_from("a b\nc") != "a b\nc"
    assert request_id_from("x" * 129) != "x" * 129


def test_a_log_line_written_while_serving_names_the_request_id_as_json(
    api: Api, captured: Lines
) -> None:
    response = api.client.post(
        api.url,
        json={"query": "query Me { viewer { handle } }"},
        headers={"Authorization": f"Bearer {api.token('m-1', Role.MEMBER)}"},
    )

    request_id = response.headers["x-request-id"]
    lines = [json.loads(line) for line in captured.lines]
    assert lines, "the unexpected error was logged"
    assert {line["request_id"] for line in lines} == {request_id}
    assert all(line["level"] == "ERROR" for line in lines)


def test_the_json_logging_config_formats_uvicorn_and_the_app() -> None:
    config = logging_config("json")

    assert config["formatters"]["default"] == {"()": "api.request_log.JsonFormatter"}
    assert set(config["loggers"]) >= {"uvicorn", "uvicorn.access", "honorloop", "strawberry"}
