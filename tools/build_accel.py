"""`make accel`: compile the hot domain modules with mypyc into `.accel/builds/<key>/`, out
of the source tree, and write the `.pth` hook that imports them when HONORLOOP_ACCEL=1.

    python -m tools.build_accel [--jobs N] [--force]

A build whose key (tools/accel.py: the sources, the module list, the optimisation level)
is already in `.accel/builds/` is reused at once; other builds are removed. The C
extensions compile in parallel (one per module, `--jobs`, default: the cores available).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import site
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tools.accel import (
    ACCEL_DIR,
    MANIFEST,
    MODULES,
    OPT_LEVEL,
    ROOT,
    build_dir,
    build_key,
    read_manifest,
    source_hashes,
)

PTH_NAME = "honorloop_accel.pth"
HOOK_MODULE = "_honorloop_accel"
# mypy settings of the build: the project's strictness, without its plugins (the domain
# and the memory store import no third-party package).
MYPY_INI = "[mypy]\nstrict = True\npython_version = 3.11\n"


def _module_path(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def groups(modules: tuple[str, ...]) -> list[tuple[list[str], str | None]]:
    """mypyc's compilation groups: one shared library per top-level package (domain, the
    memory store), so their C compiles in parallel while each group carries the mypyc
    runtime once (one group per module compiled it eleven times: a third of the build)."""
    by_package: dict[str, list[str]] = {}
    for module in modules:
        by_package.setdefault(module.split(".", 1)[0], []).append(str(_module_path(module)))
    return [(paths, f"honorloop_accel_{package}") for package, paths in by_package.items()]


def compile_modules(modules: tuple[str, ...], opt_level: str, jobs: int, target: Path) -> None:
    """mypyc: C for the modules in `groups`, then the C compiler (one extension per
    group and a small shim per module, `jobs` at a time), written under `target/lib`."""
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]  # no stubs in the venv

    with tempfile.TemporaryDirectory(prefix="accel-build-") as tmp:
        work = Path(tmp)
        (work / "mypy.ini").write_text(MYPY_INI)
        os.environ["MYPYC_OPT_LEVEL"] = opt_level
        previous = Path.cwd()
        os.chdir(work)  # setuptools reads no project configuration here
        try:
            extensions = mypycify(
                ["--config-file", str(work / "mypy.ini"), *(str(_module_path(m)) for m in modules)],
                opt_level=opt_level,
                separate=groups(modules),
                target_dir=str(work / "c"),
            )
            setup(
                name="honorloop-accel",
                ext_modules=extensions,
                script_name="build_accel",
                script_args=[
                    "--quiet",
                    "build_ext",
                    f"--build-lib={target / 'lib'}",
                    f"--build-temp={work / 'obj'}",
                    f"--parallel={jobs}",
                ],
            )
        finally:
            os.chdir(previous)


def _extensions(lib: Path) -> dict[str, str]:
    """Module name -> extension path relative to the build directory."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    found: dict[str, str] = {}
    for path in sorted(lib.rglob(f"*{suffix}")):
        relative = path.relative_to(lib)
        name = ".".join((*relative.parent.parts, relative.name[: -len(suffix)]))
        found[name] = (Path("lib") / relative).as_posix()
    return found


HOOK = '''"""Written by `make accel` (tools/build_accel.py); loaded by {pth} at interpreter
start. With HONORLOOP_ACCEL=1 the modules compiled in .accel/ are imported first; without
it, nothing changes (the pure-Python packages)."""

import os

if os.environ.get("HONORLOOP_ACCEL") == "1":
    import importlib.util

    _spec = importlib.util.spec_from_file_location("honorloop_accel", {accel!r})
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.install()
'''


def write_hook(site_packages: Path) -> Path:
    """The `.pth` line and the module it imports: at interpreter start, load
    tools/accel.py by path and install its finder when HONORLOOP_ACCEL=1."""
    accel = str(ROOT / "tools" / "accel.py")
    (site_packages / f"{HOOK_MODULE}.py").write_text(HOOK.format(pth=PTH_NAME, accel=accel))
    pth = site_packages / PTH_NAME
    pth.write_text(f"import {HOOK_MODULE}\n")
    return pth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args(argv)

    hashes = source_hashes()
    key = build_key(hashes)
    target = build_dir(key)
    started = time.monotonic()
    if args.force or read_manifest(target) is None:
        shutil.rmtree(target, ignore_errors=True)
        staging = target.with_name(key + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        compile_modules(MODULES, OPT_LEVEL, args.jobs, staging)
        extensions = _extensions(staging / "lib")
        missing = [m for m in MODULES if m not in extensions]
        if missing:
            raise SystemExit(f"accel: mypyc built no extension for {', '.join(missing)}")
        manifest = {
            "key": key,
            "modules": list(MODULES),
            "opt_level": OPT_LEVEL,
            "python": sys.version,
            "extensions": extensions,
            "sources": hashes,
            "build_seconds": round(time.monotonic() - started, 1),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        staging.rename(target)  # whole or not at all: a killed build leaves no manifest
        print(f"accel: built {len(MODULES)} modules in {manifest['build_seconds']} s -> {target}")
    else:
        print(f"accel: {target} matches the sources (cached)")
    for other in (ACCEL_DIR / "builds").iterdir():
        if other != target:
            shutil.rmtree(other, ignore_errors=True)
    pth = write_hook(Path(site.getsitepackages()[0]))
    print(f"accel: {pth} imports it when HONORLOOP_ACCEL=1")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
