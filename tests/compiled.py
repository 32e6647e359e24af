"""Whether the specs run on the compiled accelerator (`make test-accel`, HONORLOOP_ACCEL=1):
a run asked for with HONORLOOP_ACCEL=1 where the compiled modules cannot be imported stops
at once, rather than silently testing the pure packages. Wired in by tests/conftest.py."""

from __future__ import annotations

import os
import sys

import pytest

ENV = "HONORLOOP_ACCEL"
ACCEL_REQUESTED = os.environ.get(ENV) == "1"


def accel_active() -> bool:
    """The `.pth` hook of `make accel` put its compiled-module finder first."""
    return any(type(finder).__name__ == "CompiledFinder" for finder in sys.meta_path)


def configure() -> None:
    if ACCEL_REQUESTED and not accel_active():
        raise pytest.UsageError(
            f"{ENV}=1 but the compiled modules' import hook is not installed in this "
            "Python: run `make accel` (or unset HONORLOOP_ACCEL for the pure packages)"
        )
