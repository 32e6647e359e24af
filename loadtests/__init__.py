"""Locust load tests (HTTP only; import no project code)."""
