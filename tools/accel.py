"""The optional compiled accelerator (issue 11): which modules mypyc compiles, where the
build lives, and the import hook that puts the compiled modules first.

The pure-Python packages stay the reference: the build goes to `.accel/builds/<key>/`,
never into the source tree, and nothing uses it unless `HONORLOOP_ACCEL=1` is set in a
Python whose site-packages holds the `.pth` line `make accel` writes. `<key>` hashes every
source mypy reads for the build (`domain/`, `persistence/`), the module list, the
optimisation level and the build format, so a build is found only for the sources it was
compiled from. A stale or missing build is refused with `AccelUnavailable` at the first
import of a compiled module, never silently replaced by the pure modules.

Stdlib only: the `.pth` hook loads this file by path at interpreter start.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
ACCEL_DIR = ROOT / ".accel"
ENV = "HONORLOOP_ACCEL"

# The modules that hold the simulator's and record_activity's time (profile in
# docs/simulation.md, "The compiled accelerator"); the rest of domain/ stays interpreted.
# domain.ledger is left out: its Transfer subclasses a named tuple (a checked constructor),
# which mypyc cannot compile as a native class.
MODULES: tuple[str, ...] = (
    "domain.calendar",
    "domain.earning",
    "domain.levels",
    "domain.quests",
    "domain.honors",
    "domain.services.activities",
    "domain.services.pipeline",
    "domain.services.quests",
    "domain.services._support",
    "persistence.memory",
)
OPT_LEVEL = "1"  # MYPYC_OPT_LEVEL: -O1 builds 18% faster than -O2 and runs within 1% of it
# The packages whose sources the compiled modules are type-checked against: a change in
# any of them can change what mypyc generated, so each is part of the key.
SOURCE_PACKAGES: tuple[str, ...] = ("domain", "persistence")
MANIFEST = "manifest.json"
BUILD_FORMAT = "2"  # bump when tools/build_accel.py changes how it compiles (a new key)


class AccelUnavailable(ImportError):
    """HONORLOOP_ACCEL=1 but no build matches the sources: says which and what to run."""


def source_files(root: Path = ROOT) -> list[Path]:
    """Every Python source of the packages the build reads, sorted (the key's order)."""
    files: list[Path] = []
    for package in SOURCE_PACKAGES:
        files.extend(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(files)


def source_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of each source, by path relative to `root`."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in source_files(root)
    }


def build_key(
    hashes: dict[str, str],
    modules: Sequence[str] = MODULES,
    opt_level: str = OPT_LEVEL,
) -> str:
    """The cache key of a build: the sources, what is compiled and how."""
    digest = hashlib.sha256()
    for path, value in sorted(hashes.items()):
        digest.update(f"{path}\0{value}\n".encode())
    digest.update(("modules\0" + ",".join(modules) + "\n").encode())
    digest.update(f"opt\0{opt_level}\n".encode())
    digest.update(f"format\0{BUILD_FORMAT}\n".encode())
    return digest.hexdigest()[:20]


def build_dir(key: str, accel_dir: Path = ACCEL_DIR) -> Path:
    return accel_dir / "builds" / key


def read_manifest(directory: Path) -> dict[str, object] | None:
    try:
        data = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _stale_message(hashes: dict[str, str], accel_dir: Path) -> str:
    builds = sorted(
        (d for d in (accel_dir / "builds").glob("*") if read_manifest(d) is not None),
        key=lambda d: d.stat().st_mtime,
    )
    if not builds:
        return f"{ENV}=1 but there is no compiled build in {accel_dir}: run `make accel`"
    latest = read_manifest(builds[-1]) or {}
    built = latest.get("sources")
    built_hashes = built if isinstance(built, dict) else {}
    paths = set(hashes) | set(built_hashes)
    changed = sorted(p for p in paths if hashes.get(p) != built_hashes.get(p))
    what = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    if not changed:
        what = "the module list, the optimisation level or the build format"
    return (
        f"{ENV}=1 but the compiled build in {builds[-1]} is stale against the sources "
        f"({what} changed since it was built): run `make accel` to rebuild, or unset {ENV} "
        "to run the pure-Python packages"
    )


def locate(root: Path = ROOT, accel_dir: Path = ACCEL_DIR) -> dict[str, Path]:
    """The compiled extension of each module of the build that matches the sources (and
    mypyc's shared library module), or `AccelUnavailable` naming what is stale."""
    hashes = source_hashes(root)
    directory = build_dir(build_key(hashes), accel_dir)
    manifest = read_manifest(directory)
    if manifest is None:
        raise AccelUnavailable(_stale_message(hashes, accel_dir))
    extensions = manifest.get("extensions")
    if not isinstance(extensions, dict) or not extensions:
        raise AccelUnavailable(f"{directory / MANIFEST} lists no extensions: run `make accel`")
    found: dict[str, Path] = {}
    for name, relative in extensions.items():
        path = directory / str(relative)
        if not path.is_file():
            raise AccelUnavailable(f"{path} is missing from the build: run `make accel`")
        found[str(name)] = path
    return found


class CompiledFinder:
    """A meta-path finder placed first: the compiled extension of each built module; every
    other module (the packages' `__init__` included) keeps its pure-Python source."""

    def __init__(self, root: Path = ROOT, accel_dir: Path = ACCEL_DIR) -> None:
        self._root = root
        self._accel_dir = accel_dir
        self._extensions: dict[str, Path] | None = None

    def extensions(self) -> dict[str, Path]:
        if self._extensions is None:  # located at the first import that asks, once
            self._extensions = locate(self._root, self._accel_dir)
        return self._extensions

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.split(".", 1)[0] not in SOURCE_PACKAGES and not fullname.endswith("__mypyc"):
            return None
        extension = self.extensions().get(fullname)
        if extension is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(extension))
        return importlib.util.spec_from_file_location(fullname, extension, loader=loader)


def install(environ: dict[str, str] | None = None) -> CompiledFinder | None:
    """Called by the `.pth` hook at interpreter start: with HONORLOOP_ACCEL=1, puts the
    compiled modules first; otherwise does nothing (the pure packages)."""
    if (os.environ if environ is None else environ).get(ENV) != "1":
        return None
    if any(isinstance(f, CompiledFinder) for f in sys.meta_path):
        return None
    finder = CompiledFinder()
    sys.meta_path.insert(0, finder)
    return finder


def active() -> bool:
    """Whether this interpreter imports the compiled modules."""
    return any(type(f).__name__ == "CompiledFinder" for f in sys.meta_path)
