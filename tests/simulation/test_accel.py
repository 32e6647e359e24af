"""The optional compiled accelerator (tools/accel.py, `make accel`): the pure packages stay
the reference, HONORLOOP_ACCEL=1 really imports the compiled modules, the simulator's
outputs are byte-identical both ways, and a build stale against the sources is refused.

The specs that need a build run in `make test-accel` (which builds first); under
`make test` they are skipped, naming the target."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.compiled import accel_active
from tools.accel import (
    MANIFEST,
    MODULES,
    ROOT,
    AccelUnavailable,
    CompiledFinder,
    build_dir,
    build_key,
    install,
    locate,
    source_hashes,
)

EXT_SUFFIX = str(sysconfig.get_config_var("EXT_SUFFIX"))
needs_build = pytest.mark.skipif(
    not accel_active(), reason="runs on the compiled modules: `make test-accel`"
)


def _pure_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "HONORLOOP_ACCEL"}


def _module_files(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import importlib, json, sys; "
        "print(json.dumps({m: importlib.import_module(m).__file__ for m in sys.argv[1:]}))"
    )
    names = [*MODULES, "domain", "domain.services", "domain.model"]
    done = subprocess.run(
        [sys.executable, "-c", code, *names],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    files: dict[str, str] = json.loads(done.stdout)
    return files


def test_without_the_flag_every_module_is_its_python_source() -> None:
    files = _module_files(_pure_env())

    for name, file in files.items():
        assert file.endswith(".py"), name
        assert Path(file).is_relative_to(ROOT), name


@needs_build
def test_with_the_flag_the_compiled_modules_are_imported_and_the_rest_stays_python() -> None:
    files = _module_files({**os.environ, "HONORLOOP_ACCEL": "1"})

    for name in MODULES:
        assert files[name].endswith(EXT_SUFFIX), name
        assert Path(files[name]).is_relative_to(ROOT / ".accel"), name
    for name in ("domain", "domain.services", "domain.model"):  # not compiled: the sources
        assert files[name] == str(ROOT.joinpath(*name.split("."), "__init__.py")) or files[
            name
        ] == str(ROOT.joinpath(*name.split(".")).with_suffix(".py"))


@needs_build
def test_this_test_run_imports_the_compiled_modules() -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        assert str(module.__file__).endswith(EXT_SUFFIX), name


def _simulate(env: dict[str, str], out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "honorloop.cli",
            "simulate",
            "economies/koc_community.toml",
            "--members",
            "400",
            "--days",
            "30",
            "--seed",
            "7",
            "--replications",
            "1",
            "--jobs",
            "1",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )


@needs_build
def test_simulator_outputs_are_byte_identical_compiled_and_pure(tmp_path: Path) -> None:
    _simulate(_pure_env(), tmp_path / "pure")
    _simulate({**os.environ, "HONORLOOP_ACCEL": "1"}, tmp_path / "compiled")

    pure = sorted(p.relative_to(tmp_path / "pure") for p in (tmp_path / "pure").rglob("*"))
    compiled = sorted(
        p.relative_to(tmp_path / "compiled") for p in (tmp_path / "compiled").rglob("*")
    )
    assert pure == compiled
    assert any(p.suffix == ".csv" for p in pure)
    for relative in pure:
        a, b = tmp_path / "pure" / relative, tmp_path / "compiled" / relative
        if a.is_file():
            assert a.read_bytes() == b.read_bytes(), relative


# The build's bookkeeping, on a miniature source tree (no compiler needed).


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "src"
    for package in ("domain", "persistence"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "domain" / "earning.py").write_text("X = 1\n")
    return root, tmp_path / "accel"


def _fake_build(root: Path, accel_dir: Path) -> Path:
    hashes = source_hashes(root)
    directory = build_dir(build_key(hashes), accel_dir)
    (directory / "lib").mkdir(parents=True)
    (directory / "lib" / f"earning{EXT_SUFFIX}").write_bytes(b"")
    manifest = {"extensions": {"domain.earning": f"lib/earning{EXT_SUFFIX}"}, "sources": hashes}
    (directory / MANIFEST).write_text(json.dumps(manifest))
    return directory


def test_no_build_is_refused_naming_the_target(tmp_path: Path) -> None:
    root, accel_dir = _tree(tmp_path)

    with pytest.raises(AccelUnavailable, match=r"no compiled build .* run `make accel`"):
        locate(root, accel_dir)


def test_a_build_of_the_current_sources_is_found(tmp_path: Path) -> None:
    root, accel_dir = _tree(tmp_path)
    directory = _fake_build(root, accel_dir)

    assert locate(root, accel_dir) == {"domain.earning": directory / "lib" / f"earning{EXT_SUFFIX}"}


def test_a_build_stale_against_the_sources_is_refused_naming_the_changed_file(
    tmp_path: Path,
) -> None:
    root, accel_dir = _tree(tmp_path)
    _fake_build(root, accel_dir)
    (root / "domain" / "earning.py").write_text("X = 2\n")

    with pytest.raises(AccelUnavailable, match=r"stale .*domain/earning\.py.* `make accel`"):
        locate(root, accel_dir)


def test_a_new_source_file_also_makes_the_build_stale(tmp_path: Path) -> None:
    root, accel_dir = _tree(tmp_path)
    _fake_build(root, accel_dir)
    (root / "persistence" / "memory.py").write_text("")

    with pytest.raises(AccelUnavailable, match=r"persistence/memory\.py"):
        locate(root, accel_dir)


def test_a_build_with_a_missing_extension_is_refused(tmp_path: Path) -> None:
    root, accel_dir = _tree(tmp_path)
    directory = _fake_build(root, accel_dir)
    (directory / "lib" / f"earning{EXT_SUFFIX}").unlink()

    with pytest.raises(AccelUnavailable, match="missing from the build"):
        locate(root, accel_dir)


def test_the_finder_refuses_at_the_first_project_import_and_ignores_other_modules(
    tmp_path: Path,
) -> None:
    root, accel_dir = _tree(tmp_path)
    finder = CompiledFinder(root, accel_dir)

    assert finder.find_spec("json") is None  # never looks for a build
    with pytest.raises(AccelUnavailable):
        finder.find_spec("domain.earning")


def test_the_finder_serves_only_the_built_modules(tmp_path: Path) -> None:
    root, accel_dir = _tree(tmp_path)
    directory = _fake_build(root, accel_dir)
    finder = CompiledFinder(root, accel_dir)

    spec = finder.find_spec("domain.earning")
    assert spec is not None
    assert spec.origin == str(directory / "lib" / f"earning{EXT_SUFFIX}")
    assert finder.find_spec("domain.model") is None  # not compiled: the source


def test_the_hook_does_nothing_without_the_flag() -> None:
    assert install({}) is None
    assert install({"HONORLOOP_ACCEL": "0"}) is None
