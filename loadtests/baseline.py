"""The floor of a load test: the same server answering `/healthz` (no GraphQL, no
database). A locustfile of its own, so that it never mixes into the personas' figures (in
Locust's web UI, `locust -f loadtests/locustfile.py` runs only the personas); `honorloop
loadtest` runs it first, alone, and reports the personas' throughput as a ratio of it."""

from __future__ import annotations

from locust import HttpUser, between, task


class HealthBaseline(HttpUser):
    wait_time = between(0.0, 0.0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="healthz")
