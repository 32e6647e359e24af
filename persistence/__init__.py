"""Implementations of the domain's unit-of-work port: in memory and SQL."""
