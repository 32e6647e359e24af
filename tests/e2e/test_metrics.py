"""Prometheus `/metrics`: operations by name and outcome with their latency, errors by
`extensions.code`, ledger writes, redemptions and the database pool; and with two workers a
scrape of either one counts the requests both served (prometheus-client multiprocess)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from persistence.sql.engine import pool_size
from tests.e2e.conftest import SECRET, Api, e2e_economy_file, e2e_settings, live_server

attempts_max = 400  # requests sent until both workers have served some
startup_attempts_max = 600


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("metrics")
    settings = e2e_settings(directory, f"sqlite:///{directory / 'metrics.db'}")
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


def scrape(api: Api) -> str:
    response = api.client.get(f"{api.base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_operations_are_counted_by_name_and_outcome(api: Api) -> None:
    before = scrape(api)
    api.data("query Guide { economy { id } }")
    api.post("query Broken { noSuchField }")

    after = scrape(api)

    ok = "honorloop_graphql_requests_total"
    assert value(after, ok, operation="Guide", outcome="ok") == (
        value(before, ok, operation="Guide", outcome="ok") + 1
    )
    assert value(after, ok, operation="Broken", outcome="rejected") == (
        value(before, ok, operation="Broken", outcome="rejected") + 1
    )
    assert value(after, "honorloop_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") >= 1
    assert value(after, "honorloop_graphql_request_duration_seconds_count", operation="Guide") >= 1


def test_an_unauthenticated_call_counts_as_an_error_by_code(api: Api) -> None:
    api.post("query Me { viewer { handle } }")

    after = scrape(api)

    assert value(after, "honorloop_graphql_errors_total", code="UNAUTHENTICATED") >= 1
    assert value(after, "honorloop_graphql_requests_total", operation="Me", outcome="error") >= 1


def test_ledger_writes_and_redemptions_are_counted(api: Api) -> None:
    before = scrape(api)
    member = api.register("metrics")
    api.give(member, 50)
    api.record(member, "interaction", subjectId=f"s-{secrets.token_hex(4)}")
    redeemed = api.redeem(member, "e2e_scarce", secrets.token_hex(8))
    assert redeemed["__typename"] == "RedeemRewardPayload", redeemed

    after = scrape(api)

    writes = "honorloop_ledger_writes_total"
    for event in ("PointsAdjusted", "PointsAwarded", "RedemptionUpdated"):
        assert value(after, writes, event=event) == value(before, writes, event=event) + 1
    status = redeemed["redemption"]["status"].lower()
    assert value(after, "honorloop_redemptions_total", status=status) == (
        value(before, "honorloop_redemptions_total", status=status) + 1
    )


def test_the_database_pool_is_reported(api: Api) -> None:
    after = scrape(api)

    assert value(after, "honorloop_db_pool_size") > 0
    assert value(after, "honorloop_db_connections_in_use") >= 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _worker_pids(directory: Path) -> set[str]:
    return {path.stem.rpartition("_")[2] for path in directory.glob("counter_*.db")}


def test_two_workers_report_every_request_in_one_scrape(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "HONORLOOP_JWT_SECRET": SECRET,
        "HONORLOOP_ECONOMY": str(e2e_economy_file(tmp_path)),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'workers.db'}",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "honorloop", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, log)
        sent = 0
        while len(_worker_pids(metrics_dir)) < 2 and sent < attempts_max:
            # a new connection each time, so the kernel hands requests to either worker
            with httpx.Client(timeout=30) as client:
                response = client.post(
                    f"{base}/graphql", json={"query": "query Two { __typename }"}
                )
            assert response.status_code == 200
            sent += 1
        assert len(_worker_pids(metrics_dir)) == 2, "one worker served every request"

        with httpx.Client(timeout=30) as client:
            text = client.get(f"{base}/metrics").text

        assert (
            value(text, "honorloop_graphql_requests_total", operation="Two", outcome="ok") == sent
        )
        assert value(text, "honorloop_db_pool_size") == 2 * pool_size  # one pool per worker
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(startup_attempts_max):
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        server_wait(server)
    raise AssertionError("the server did not become ready")


def server_wait(server: subprocess.Popen[bytes]) -> None:
    """Give the server a moment between probes (not an assertion on time)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=0.1)
