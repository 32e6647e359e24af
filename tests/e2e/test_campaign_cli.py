"""`honorloop review` opens the sample's product trial (committing a seed drawn with
`secrets`), runs its lottery once the window has closed, and `honorloop campaign verify`
re-runs the draw from the stored audit record: exit 0 when it matches, 1 with a clear
message when the record was tampered with or there is no selection."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain import services
from domain.commands import ApplyToCampaign, LockLevel, RegisterMember
from domain.economy import Economy
from domain.services import campaigns
from honorloop.cli import main
from persistence.sql import SqlStore, migrate
from tests.e2e.conftest import DATABASES, database_url
from tests.unit.builders import sample_economy

ECONOMY = "economies/koc_community.toml"
BEFORE = "2027-02-20T09:00:00+08:00"
DURING = datetime(2027, 3, 5, 9, tzinfo=UTC)
AFTER = "2027-03-15T10:00:00+08:00"  # the window closes exclusive: selection is due


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(params=DATABASES)
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def koc_economy() -> Economy:
    return sample_economy()


@pytest.fixture
def cli(sql_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--economy", ECONOMY, "--database-url", sql_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def applicants(url: str, economy: Economy, count: int) -> list[str]:
    store = SqlStore(url)
    try:
        ids = []
        for n in range(count):
            member = services.register_member(
                RegisterMember(f"fan{n}", f"Fan {n}", DURING), store(), economy
            )
            services.lock_level(LockLevel(member.id, "regular", "setup", "op", DURING), store(),
                                economy)  # fmt: skip
            cmd = ApplyToCampaign(member.id, "product_trial", "I love it", f"k{n}", DURING)
            campaigns.apply_to_campaign(cmd, store(), economy)
            ids.append(member.id)
        return ids
    finally:
        store.dispose()


def test_the_review_draws_the_lottery_once_and_verify_confirms_it(
    cli: Cli, sql_url: str, koc_economy: Economy
) -> None:
    code, out, _ = cli("review", "--as-of", BEFORE)
    assert code == 0
    assert "campaigns: 1 opened (seed committed), 0 selections run" in out
    members = applicants(sql_url, koc_economy, 25)

    first = cli("review", "--as-of", AFTER)
    second = cli("review", "--as-of", AFTER)
    verified = cli("campaign", "verify", "product_trial")

    assert "1 selections run" in first[1]
    assert "0 selections run" in second[1]
    code, out, err = verified
    assert (code, err) == (0, "")
    assert out.startswith("OK: selection of 'product_trial' verified: lottery, 25 applicants")
    assert "10 chosen, 15 on the waitlist" in out
    store = SqlStore(sql_url)
    try:
        with store() as uow:
            record = uow.campaigns.get("product_trial")
    finally:
        store.dispose()
    assert record is not None
    assert record.seed is not None
    assert len(record.seed) >= 32  # drawn by `secrets` at the edge
    assert record.commitment == hashlib.sha256(record.seed.encode()).hexdigest()
    assert f"seed: {record.seed}" in out
    chosen = set(out.split("chosen: ")[1].split("\n")[0].split(", "))
    assert len(chosen) == 10
    assert chosen <= set(members)


def test_verify_fails_with_a_clear_message_when_the_record_was_changed(
    cli: Cli, sql_url: str, koc_economy: Economy
) -> None:
    cli("review", "--as-of", BEFORE)
    applicants(sql_url, koc_economy, 12)
    cli("review", "--as-of", AFTER)
    store = SqlStore(sql_url)
    try:
        with store() as uow:
            record = uow.campaigns.get("product_trial")
            assert record is not None
            assert record.audit is not None
            record.audit = record.audit.replace('"seed":"', '"seed":"x', 1)  # another seed
            assert uow.campaigns.save(record)
            uow.commit()
    finally:
        store.dispose()

    code, out, err = cli("campaign", "verify", "product_trial")

    assert (code, out) == (1, "")
    assert "product_trial: DOES NOT MATCH: the seed does not match the commitment" in err


def test_verify_without_a_selection_or_of_an_unknown_campaign_exits_1(cli: Cli) -> None:
    none_yet = cli("campaign", "verify", "product_trial")
    unknown = cli("campaign", "verify", "no_such_campaign")

    assert none_yet[0] == 1
    assert "has no selection to verify" in none_yet[2]
    assert unknown[0] == 1
    assert "no_such_campaign" in unknown[2]
