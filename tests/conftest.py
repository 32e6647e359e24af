"""Shared by every test directory; keep it generic. Hypothesis runs derandomized (the
same examples on every run and machine) with no per-example deadline: a test either
holds or it does not, never depending on how busy the machine is. Set
HYPOTHESIS_PROFILE=explore to search with fresh randomness locally."""

import os

from hypothesis import settings

from tests import compiled

settings.register_profile("honorloop", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "honorloop"))


def pytest_configure() -> None:
    compiled.configure()  # HONORLOOP_ACCEL=1 without the compiled modules stops the run
