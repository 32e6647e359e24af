"""Fixtures for the domain specifications: the shipped economy, parsed once."""

import pytest

from domain.economy import Economy
from tests.unit.builders import World, sample_economy


@pytest.fixture(scope="session")
def koc_economy() -> Economy:
    return sample_economy()


@pytest.fixture
def koc_world(koc_economy: Economy) -> World:
    """A fresh store running the shipped koc_community economy."""
    return World(koc_economy)
