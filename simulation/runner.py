"""Replications of one experiment, their summary, and the files a run writes.

An experiment is an economy, a population, a seed and a size. Replication `i` uses the
`i`-th child of `SeedSequence(seed)`; within it each random purpose has its own stream.
Outputs carry no timestamps and format every number the same way, so the same inputs
give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.economy import Economy, parse_economy
from simulation.assertions import Assertion, Outcome, check, metric_names, parse_assertion
from simulation.engine import Run, Simulation
from simulation.jobs import workers
from simulation.population import Population, check_against, parse_population
from simulation.rng import replication_seeds, streams_for
from simulation.stats import fmt, mean_ci, median, rounded

DEFAULT_POPULATION = Path(__file__).parent / "populations" / "default.toml"
member_days_max = 2_000_000_000  # a limit on one run's size (members x days)

ProgressFn = Callable[[int, int, int, int], None]  # (replication, replications, day, days)


@dataclass(frozen=True, slots=True)
class Experiment:
    """Everything a run depends on, as plain data (picklable for worker processes)."""

    economy_text: str
    economy_source: str
    population_data: Mapping[str, Any]
    population_source: str
    seed: int = 1
    replications: int = 3
    members: int | None = None
    days: int | None = None

    def economy(self) -> Economy:
        return parse_economy(self.economy_text, self.economy_source)

    def population(self) -> Population:
        return parse_population(self.population_data, self.population_source)


def load_population(path: Path | None) -> tuple[dict[str, Any], str]:
    chosen = path or DEFAULT_POPULATION
    return tomllib.loads(chosen.read_text(encoding="utf-8")), str(chosen)


def validate(experiment: Experiment) -> tuple[Economy, Population]:
    """Parse and cross-check the economy, the population and its assertions (before any
    run starts: a typo in an assertion is reported at once)."""
    economy = experiment.economy()
    population = experiment.population()
    check_against(population, economy)
    parse_assertions(economy, population)
    members = experiment.members or population.members
    days = experiment.days or population.days
    assert experiment.replications >= 1, "at least one replication"
    if members * days > member_days_max:
        raise ValueError(f"{members} members x {days} days exceeds {member_days_max} member-days")
    return economy, population


def run_one(
    experiment: Experiment, index: int, progress: ProgressFn | None = None, keep_log: bool = False
) -> Run:
    """Replication `index` (0-based) of the experiment (`keep_log`: with its commands)."""
    economy, population = validate(experiment)
    seeds = replication_seeds(experiment.seed, experiment.replications)
    total = experiment.replications

    def day_done(day: int, days: int) -> None:
        if progress is not None:
            progress(index + 1, total, day, days)

    sim = Simulation(
        economy,
        population,
        streams_for(seeds[index]),
        members=experiment.members,
        days=experiment.days,
        progress=day_done,
        keep_log=keep_log,
    )
    return sim.run()


def _run_index(args: tuple[Experiment, int]) -> Run:
    return run_one(args[0], args[1])


def run_all(experiment: Experiment, progress: ProgressFn | None = None, jobs: int = 1) -> list[Run]:
    """The replications in order, on up to `jobs` worker processes (the same runs either way)."""
    validate(experiment)
    indices = range(experiment.replications)
    count = workers(jobs, experiment.replications)
    if count == 1:
        return [run_one(experiment, i, progress) for i in indices]
    runs: list[Run] = []
    with ProcessPoolExecutor(max_workers=count) as pool:
        for i, run in enumerate(pool.map(_run_index, [(experiment, i) for i in indices])):
            runs.append(run)
            if progress is not None:
                progress(i + 1, experiment.replications, run.days, run.days)
    return runs


def run_experiments(experiments: Sequence[Experiment], jobs: int = 1) -> list[list[Run]]:
    """Each experiment's replications, all of them sharing one pool of up to `jobs` processes."""
    for experiment in experiments:
        validate(experiment)
    tasks = [(e, i) for e in experiments for i in range(e.replications)]
    count = workers(jobs, len(tasks))
    if count == 1:
        done = [_run_index(task) for task in tasks]
    else:
        with ProcessPoolExecutor(max_workers=count) as pool:
            done = list(pool.map(_run_index, tasks))
    grouped: list[list[Run]] = []
    start = 0
    for experiment in experiments:
        grouped.append(done[start : start + experiment.replications])
        start += experiment.replications
    return grouped


def parse_assertions(economy: Economy, population: Population) -> list[Assertion]:
    metrics = metric_names(economy)
    return [parse_assertion(text, economy, metrics) for text in population.assertions]


def check_assertions(
    runs: Sequence[Run], economy: Economy, population: Population
) -> list[Outcome]:
    return [check(a, runs, economy) for a in parse_assertions(economy, population)]


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "text": outcome.text,
        "passed": outcome.passed,
        "result": outcome.result,
        "detail": outcome.detail,
    }


# --- summary ------------------------------------------------------------------------------


def daily_bands(runs: Sequence[Run]) -> dict[str, list[tuple[float, float, float]]]:
    """Per metric and day: (mean, low, high) over the replications."""
    out: dict[str, list[tuple[float, float, float]]] = {}
    for name in runs[0].daily:
        series = [run.daily[name] for run in runs]
        out[name] = [mean_ci(values) for values in zip(*series, strict=True)]
    return out


HEADLINE = (
    "members",
    "alive",
    "dau",
    "mau",
    "dau_mau",
    "issued",
    "spent",
    "expired",
    "outstanding",
    "earn_to_burn",
    "breakage",
    "gini",
    "honors_awarded",
)


def summarize(
    experiment: Experiment,
    runs: Sequence[Run],
    economy: Economy,
    population: Population,
    outcomes: Sequence[Outcome],
) -> dict[str, Any]:
    """The summary of a run as JSON-ready data (stable numbers, no timestamps)."""

    def band(values: Sequence[float]) -> dict[str, Any]:
        mean, low, high = mean_ci(values)
        return {"mean": rounded(mean), "ci95": [rounded(low), rounded(high)]}

    final = {name: band([run.daily[name][-1] for run in runs]) for name in runs[0].daily}
    levels: dict[str, Any] = {}
    for level in economy.levels:
        medians = [median(run.days_to_level[level.id]) for run in runs]
        reached = [len(run.days_to_level[level.id]) / run.daily["members"][-1] for run in runs]
        known = [m for m in medians if m is not None]
        levels[level.id] = {
            "median_days_to_reach": band(known) if known else None,
            "share_reached": band(reached),
        }
    stockouts: dict[str, Any] = {}
    for reward in economy.rewards:
        if reward.stock is None:
            continue
        days = [run.stockout_day[reward.id] for run in runs]
        out = [d + 1 for d in days if d is not None]
        stockouts[reward.id] = {
            "tier": reward.tier,
            "runs_out_in": f"{len(out)} of {len(runs)} replications",
            "day": band(out) if out else None,
            "days": [None if d is None else d + 1 for d in days],
        }
    honors = {h: band([run.honors_awarded[h] for run in runs]) for h in runs[0].honors_awarded}
    quests = {
        q: {name: band([run.quests[q][name] for run in runs]) for name in counts}
        for q, counts in runs[0].quests.items()
    }
    tasks = {
        t: {name: band([run.tasks[t][name] for run in runs]) for name in counts}
        for t, counts in runs[0].tasks.items()
    }
    contests = {
        c: {name: band([run.contests[c][name] for run in runs]) for name in counts}
        for c, counts in runs[0].contests.items()
    }
    roles = {
        r: {name: band([run.roles[r][name] for run in runs]) for name in counts}
        for r, counts in runs[0].roles.items()
    }
    mentors = {name: band([run.mentors[name] for run in runs]) for name in runs[0].mentors}

    def per_member(q: str) -> dict[str, Any]:
        return band([run.friends[q]["joins"] / run.daily["members"][-1] for run in runs])

    friends = {
        q: {name: band([run.friends[q][name] for run in runs]) for name in counts}
        | {"per_member": per_member(q)}
        for q, counts in runs[0].friends.items()
    }
    membership: dict[str, Any] = {}
    if runs[0].membership:
        membership = {
            name: band([run.membership[name] for run in runs])
            for name in ("started", "renewed", "expired", "active", "extra_points")
        }
        membership["over_time"] = [  # (review day, mean active paid members)
            [day, rounded(mean_ci([run.membership["over_time"][i][1] for run in runs])[0])]
            for i, (day, _) in enumerate(runs[0].membership["over_time"])
        ]
    spend = {name: band([run.spend[name] for run in runs]) for name in runs[0].spend}
    referrals: dict[str, Any] = {}
    if runs[0].referrals:
        referrals = {
            name: band([run.referrals[name] for run in runs]) for name in runs[0].referrals
        }
    campaigns: dict[str, Any] = {}
    if runs[0].campaigns:
        per = runs[0].campaigns["campaigns"]
        numbers = ("applied", "refused", "chosen", "waitlisted", "confirmed", "declined",
                   "offered", "points", "oversubscription")  # fmt: skip
        campaigns = {
            "campaigns": {
                c: {name: band([run.campaigns["campaigns"][c][name] for run in runs])
                    for name in numbers}
                | {"places": per[c]["places"]}
                | {f"{key}_total": _summed([run.campaigns["campaigns"][c][key] for run in runs])
                   for key in ("by_level", "by_tier")}
                for c in per
            },
            "repeat_winners": band([run.campaigns["repeat_winners"] for run in runs]),
            "winners": band([run.campaigns["winners"] for run in runs]),
        }  # fmt: skip
    redemptions = {
        r: band([run.redemptions_by_reward[r] for run in runs])
        for r in runs[0].redemptions_by_reward
    }
    errors: dict[str, int] = {}
    for run in runs:
        for code, count in run.errors.items():
            errors[code] = errors.get(code, 0) + count
    return {
        "economy": economy.id,
        "economy_file": experiment.economy_source,
        "population_file": experiment.population_source,
        "seed": experiment.seed,
        "replications": len(runs),
        "members_initial": experiment.members or population.members,
        "days": runs[0].days,
        "member_days": sum(run.member_days for run in runs),
        "activities": sum(run.activities for run in runs),
        "final_day": final,
        "levels": levels,
        "stockouts": stockouts,
        "honors_awarded": honors,
        "quests": quests,
        "tasks": tasks,
        "contests": contests,
        "roles": roles,
        "mentors": mentors,
        "friends": friends,
        "membership": membership,
        **({"spend": spend} if spend else {}),  # spend-driven levels only
        "referrals": referrals,
        "campaigns": campaigns,
        "redemptions_by_reward": redemptions,
        "retention_by_cohort": retention(runs),
        "rejected_commands": dict(sorted(errors.items())),
        "assertions": [outcome_json(o) for o in outcomes],
    }


def _summed(counts: Sequence[Mapping[str, int]]) -> dict[str, int]:
    """Counts per group added up over the replications (shares are read from them)."""
    out: dict[str, int] = {}
    for one in counts:
        for group, n in one.items():
            out[group] = out.get(group, 0) + n
    return dict(sorted(out.items()))


def retention(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Per 30-day join cohort: the mean share active in each 30-day month of membership."""
    cohorts = min(len(run.cohort_size) for run in runs)
    out: list[dict[str, Any]] = []
    for c in range(cohorts):
        ages = min(len(run.cohort_active[c]) for run in runs)
        shares = []
        for a in range(ages):
            values = [
                run.cohort_active[c][a] / run.cohort_size[c] if run.cohort_size[c] else 0.0
                for run in runs
            ]
            shares.append(rounded(mean_ci(values)[0]))
        size = mean_ci([float(run.cohort_size[c]) for run in runs])[0]
        out.append(
            {
                "cohort": c,
                "joined_days": [c * 30 + 1, c * 30 + 30],
                "size": rounded(size),
                "active_share_by_month": shares,
            }
        )
    return out


# --- files --------------------------------------------------------------------------------


def daily_csv(bands: Mapping[str, list[tuple[float, float, float]]]) -> str:
    """One row per day: each metric's mean with its 95% band (`_lo`, `_hi`)."""
    names = [n for n in bands if n != "day"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["day"]
    for name in names:
        header += [name, f"{name}_lo", f"{name}_hi"]
    writer.writerow(header)
    for i, (day, _, _) in enumerate(bands["day"]):
        row = [fmt(day)]
        for name in names:
            mean, low, high = bands[name][i]
            row += [fmt(mean), fmt(low), fmt(high)]
        writer.writerow(row)
    return buffer.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def summary_table(summary: Mapping[str, Any]) -> str:
    """The plain-text table `simulate` prints: final-day headline metrics."""
    lines = [f"{'metric':<34} {'mean':>14}   {'95% CI'}"]
    final = summary["final_day"]
    for name in HEADLINE:
        if name in final:
            entry = final[name]
            low, high = entry["ci95"]
            lines.append(f"{name:<34} {fmt(entry['mean']):>14}   {fmt(low)}..{fmt(high)}")
    for level, info in summary["levels"].items():
        med = info["median_days_to_reach"]
        text = fmt(med["mean"]) if med else "-"
        lines.append(f"{'median days to ' + level:<34} {text:>14}")
    for reward, info in summary["stockouts"].items():
        day = info["day"]
        text = fmt(day["mean"]) if day else "never"
        lines.append(f"{'stock-out day ' + reward:<34} {text:>14}   {info['runs_out_in']}")
    return "\n".join(lines)
