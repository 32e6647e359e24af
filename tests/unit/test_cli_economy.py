"""`honorloop economy check|guide`: exit codes and what a designer reads on the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from domain.economy import parse_economy
from honorloop.cli import main
from tests.unit.builders import SAMPLE_ECONOMY

HONORLOOP = Path(sys.executable).with_name("honorloop")


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped economy with one edit, written to `tmp_path`."""
    text = SAMPLE_ECONOMY.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the sample economy should contain {old!r} once"
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def sample_titles() -> list[str]:
    economy = parse_economy(SAMPLE_ECONOMY.read_text(encoding="utf-8"))
    return [rule.title for rule in economy.rules]


# --- check --------------------------------------------------------------------------------


def test_check_accepts_the_shipped_economy_and_counts_what_it_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["economy", "check", str(SAMPLE_ECONOMY)])

    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith(f"OK: {SAMPLE_ECONOMY}: ")
    assert "13 rules, 5 levels, 3 KOC tiers" in out
    assert out.rstrip().endswith(
        "3 roles, 1 team quest, 1 help quest, 1 paid tier, 1 campaign, referrals"
    )
    assert err == ""


def test_check_of_a_broken_copy_fails_naming_file_line_table_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_copy(tmp_path, "threshold = 4000", "threshold = 900")
    line = path.read_text(encoding="utf-8").splitlines().index("threshold = 900") + 1

    code = main(["economy", "check", str(path)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert f"{path}:{line}: [levels[3]] threshold: level 'navigator' must need more" in err
    assert "1 problem;" in err


def test_check_lists_every_problem_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_copy(tmp_path, "points = 30\n", 'points = 30\ncolour = "red"\n')
    path.write_text(
        path.read_text(encoding="utf-8").replace('fulfilment = "manual"', 'fulfilment = "post"'),
        encoding="utf-8",
    )

    code = main(["economy", "check", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert "[rules.short_video] colour: unknown field" in err
    assert err.count("[rewards.deep_service] fulfilment: must be one of") == 1
    assert err.count("[rewards.vip_invitation] fulfilment: must be one of") == 1
    assert err.strip().splitlines()[-1].endswith("3 problems; see docs/economy.md")


def test_check_of_invalid_toml_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_copy(tmp_path, "[rules.post]", "[rules.post")

    code = main(["economy", "check", str(path)])

    err = capsys.readouterr().err
    line = path.read_text(encoding="utf-8").splitlines().index("[rules.post") + 1
    assert code == 1
    assert f"{path}:{line}: " in err
    assert "not valid TOML" in err


def test_check_of_a_missing_file_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.toml"

    code = main(["economy", "check", str(missing)])

    assert code == 2
    assert capsys.readouterr().err == f"honorloop: {missing}: no such file\n"


def test_check_of_a_directory_or_binary_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "image.toml"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")

    assert main(["economy", "check", str(tmp_path)]) == 2
    assert main(["economy", "check", str(binary)]) == 2

    err = capsys.readouterr().err
    assert "is a directory" in err
    assert "not UTF-8 text" in err


def test_economy_without_an_action_prints_usage_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["economy"])

    assert code == 2
    assert "check" in capsys.readouterr().err


# --- guide --------------------------------------------------------------------------------


def test_guide_prints_every_rule_title(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["economy", "guide", str(SAMPLE_ECONOMY)])

    out = capsys.readouterr().out
    assert code == 0
    assert all(title in out for title in sample_titles())
    assert "LEVELS" in out
    assert "REWARDS" in out


def test_guide_as_markdown_is_a_document_with_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["economy", "guide", str(SAMPLE_ECONOMY), "--format", "markdown"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("# KOC Community")
    assert "| Contribution | Earns | Conditions and limits |" in out
    assert all(title in out for title in sample_titles())


def test_guide_as_json_holds_the_structured_guide(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["economy", "guide", str(SAMPLE_ECONOMY), "--format", "json"])

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["economy_id"] == "koc_community"
    assert [r["title"] for r in data["rules"]] == sample_titles()
    assert data["levels"][0]["threshold"] == 0


def test_guide_of_a_broken_file_prints_the_problems_not_a_guide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_copy(tmp_path, 'timezone = "Asia/Shanghai"', 'timezone = "Shanghai"')

    code = main(["economy", "guide", str(path)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "[economy] timezone: unknown time zone 'Shanghai'" in err


def test_guide_rejects_an_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["economy", "guide", str(SAMPLE_ECONOMY), "--format", "pdf"])

    assert exited.value.code == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


# --- the installed console command ----------------------------------------------------------


def test_installed_command_checks_a_broken_copy_and_names_the_field(tmp_path: Path) -> None:
    assert HONORLOOP.exists(), f"{HONORLOOP} is missing: run `make install`"
    broken = broken_copy(tmp_path, "keep = 150", "keep = 1500")

    good = subprocess.run(
        [str(HONORLOOP), "economy", "check", str(SAMPLE_ECONOMY)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    bad = subprocess.run(
        [str(HONORLOOP), "economy", "check", str(broken)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert (good.returncode, bad.returncode) == (0, 1)
    assert good.stdout.startswith("OK: ")
    assert "[levels[2]] keep: level 'seasoned': keep (1500) cannot exceed" in bad.stderr
