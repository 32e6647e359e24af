"""Benchmarks of the API, the SQL store and the simulator; outside the shipped packages
(`make bench`). They print figures and assert nothing."""
