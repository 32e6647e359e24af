"""Replications, compared economies and sweep variants run on `--jobs` processes,
one per available core by default, and the outputs are the same bytes whatever the count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from honorloop.cli import build_parser, main
from simulation.jobs import available_cores, workers
from tests.simulation.builders import SAMPLE_ECONOMY, economy_text

SMALL = ["--members", "40", "--days", "10", "--replications", "3", "--seed", "3"]


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by its path relative to it."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _same_files(a: Path, b: Path) -> None:
    first, second = _files(a), _files(b)
    assert sorted(first) == sorted(second)
    assert first, "the run wrote no files"
    for name, content in first.items():
        assert content == second[name], name


def _run_with_jobs(tmp_path: Path, command: list[str], count: int) -> Path:
    out = tmp_path / f"jobs-{count}"
    assert main([*command, "--jobs", str(count), "--out", str(out)]) == 0
    return out


def test_a_simulation_writes_the_same_bytes_on_one_process_and_on_two(tmp_path: Path) -> None:
    # given a small simulation of three replications
    command = ["simulate", str(SAMPLE_ECONOMY), *SMALL]

    # when it runs on one process, then on two
    one = _run_with_jobs(tmp_path, command, 1)
    two = _run_with_jobs(tmp_path, command, 2)

    # then every file it wrote is identical, byte for byte
    _same_files(one, two)
    assert (one / "report.html").exists()
    assert (one / "daily_long.csv").exists()


def test_a_comparison_writes_the_same_bytes_on_one_process_and_on_two(tmp_path: Path) -> None:
    richer = tmp_path / "richer.toml"
    richer.write_text(economy_text(rules__daily_check_in__points=40))
    command = ["compare", str(SAMPLE_ECONOMY), str(richer), *SMALL]

    one = _run_with_jobs(tmp_path, command, 1)
    two = _run_with_jobs(tmp_path, command, 2)

    _same_files(one, two)
    assert (one / "compare.csv").exists()
    assert (one / "economy-2" / "summary.json").exists()


def test_a_sweep_writes_the_same_bytes_on_one_process_and_on_three(tmp_path: Path) -> None:
    # more processes than variants: the extra ones are never started, the bytes are the same
    command = ["sweep", str(SAMPLE_ECONOMY), "--set", "rules.daily_check_in.points=2,20", *SMALL]

    one = _run_with_jobs(tmp_path, command, 1)
    three = _run_with_jobs(tmp_path, command, 3)

    _same_files(one, three)
    assert (one / "sweep.json").exists()
    assert (one / "variant-2" / "report.html").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", str(SAMPLE_ECONOMY)],
        ["compare", str(SAMPLE_ECONOMY), str(SAMPLE_ECONOMY)],
        ["sweep", str(SAMPLE_ECONOMY), "--set", "economy.daily_cap=10"],
    ],
    ids=["simulate", "compare", "sweep"],
)
def test_jobs_default_to_the_cores_available(command: list[str]) -> None:
    args = build_parser().parse_args(command)
    assert args.jobs == available_cores()


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_jobs_below_one_or_not_a_whole_number_are_refused(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", str(SAMPLE_ECONOMY), "--jobs", value, "--out", str(tmp_path / "o")])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_cores_are_the_process_cpu_count_where_python_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "process_cpu_count", lambda: 6, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert available_cores() == 6


def test_without_process_cpu_count_the_cores_are_the_affinity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a process pinned to two cores of a larger machine counts two
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert available_cores() == 2


def test_without_affinity_the_cores_are_the_cpu_count_and_at_least_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 5)
    assert available_cores() == 5
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # undeterminable
    assert available_cores() == 1


def test_on_this_machine_the_cores_are_the_ones_this_process_may_run_on() -> None:
    if hasattr(os, "sched_getaffinity"):
        assert available_cores() == len(os.sched_getaffinity(0))
    else:
        assert available_cores() >= 1


def test_no_more_processes_start_than_there_are_tasks() -> None:
    assert workers(8, 3) == 3
    assert workers(2, 10) == 2
    assert workers(4, 0) == 1
