"""Comparing economies on one population with common random numbers.

Every economy (an "arm") runs the same experiment: the same population, size, seed and
replications. Replication `i` of every arm draws from the same streams (`SeedSequence(seed)`'s
`i`-th child, one stream per purpose), so the members, their visits and their choices
start out identical and differ only where the economies make them differ. A difference is
therefore measured per replication (`d_i = other_i - baseline_i`) and its 95% interval is
the Student t interval of the mean of the `d_i`: a paired comparison, much tighter than
comparing two independent bands. Identical economies give a difference of exactly zero.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from domain.economy import Economy
from simulation.assertions import Outcome, failures
from simulation.charts import (
    Colours,
    chart,
    dates,
    esc,
    number,
    page,
    result,
    scale_of,
    table,
)
from simulation.engine import Run
from simulation.population import Population
from simulation.report import key_parameters, targets_for
from simulation.runner import (
    Experiment,
    check_assertions,
    daily_bands,
    run_experiments,
    validate,
)
from simulation.stats import fmt, mean_ci

COMPARED_METRICS = (
    "issued",
    "spent",
    "expired",
    "outstanding",
    "issued_today",
    "members",
    "alive",
    "dau",
    "mau",
    "dau_mau",
    "earn_to_burn",
    "breakage",
    "gini",
    "honors_awarded",
)
METRIC_TITLES = {
    "issued": "Points issued (cumulative)",
    "spent": "Points spent (cumulative)",
    "expired": "Points expired (cumulative)",
    "outstanding": "Outstanding points (the liability)",
    "issued_today": "Points issued per day",
    "members": "Members joined",
    "alive": "Members still around",
    "dau": "Daily active members",
    "mau": "Monthly active members",
    "dau_mau": "DAU / MAU",
    "earn_to_burn": "Earn-to-burn (points issued per point spent)",
    "breakage": "Breakage (share of issued points never redeemed)",
    "gini": "Balance inequality (Gini)",
    "honors_awarded": "Honors awarded (cumulative)",
}
arms_max = 20


@dataclass(frozen=True, slots=True)
class Arm:
    """One economy in a comparison, under the title the page shows."""

    label: str
    experiment: Experiment


@dataclass(frozen=True, slots=True)
class Difference:
    """The paired difference of a final-day metric against the baseline."""

    mean: float
    low: float
    high: float
    significant: bool | None  # None: one replication, no interval


def paired_difference(baseline: Sequence[float], other: Sequence[float]) -> Difference:
    """Mean of `other_i - baseline_i` with its 95% Student t interval; significant when
    the interval excludes zero."""
    assert len(baseline) == len(other), "paired samples have one value per replication each"
    diffs = [o - b for b, o in zip(baseline, other, strict=True)]
    mean, low, high = mean_ci(diffs)
    if len(diffs) < 2:
        return Difference(mean, low, high, None)
    return Difference(mean, low, high, low > 0 or high < 0)


@dataclass(frozen=True, slots=True)
class ArmResult:
    label: str
    experiment: Experiment
    economy: Economy
    population: Population
    runs: list[Run]
    outcomes: list[Outcome]


def arms_for(base: Experiment, economies: Sequence[tuple[str, str]]) -> list[Arm]:
    """One arm per (economy text, source), titled by the economy's name (made unique)."""
    if not 1 <= len(economies) <= arms_max:
        raise ValueError(f"compare 1 to {arms_max} economies, not {len(economies)}")
    arms: list[Arm] = []
    seen: dict[str, int] = {}
    for text, source in economies:
        experiment = replace(base, economy_text=text, economy_source=source)
        economy, _ = validate(experiment)
        label = economy.name or economy.id
        if label in seen:
            label = f"{label} ({Path(source).name})"
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} #{seen[label]}"
        arms.append(Arm(label, experiment))
    return arms


def run_arms(arms: Sequence[Arm], jobs: int = 1) -> list[ArmResult]:
    """Every arm's replications on one pool of up to `jobs` processes, gathered in order."""
    results: list[ArmResult] = []
    every_run = run_experiments([arm.experiment for arm in arms], jobs=jobs)
    for arm, runs in zip(arms, every_run, strict=True):
        economy, population = validate(arm.experiment)
        outcomes = check_assertions(runs, economy, population)
        results.append(ArmResult(arm.label, arm.experiment, economy, population, runs, outcomes))
    return results


def same_outputs(a: Sequence[Run], b: Sequence[Run]) -> bool:
    """Whether two arms produced the same daily series in every replication."""
    return len(a) == len(b) and all(x.daily == y.daily for x, y in zip(a, b, strict=True))


def differences(
    baseline: Sequence[Run], other: Sequence[Run], metrics: Sequence[str]
) -> dict[str, Difference]:
    return {
        m: paired_difference([r.daily[m][-1] for r in baseline], [r.daily[m][-1] for r in other])
        for m in metrics
    }


def final_mean(runs: Sequence[Run], metric: str) -> float:
    return mean_ci([r.daily[metric][-1] for r in runs])[0]


def differences_csv(results: Sequence[ArmResult], metrics: Sequence[str]) -> str:
    """One row per (economy, metric): the final day's means and the paired difference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "economy",
            "metric",
            "baseline",
            "value",
            "difference",
            "diff_lo",
            "diff_hi",
            "significant",
        ]
    )
    base = results[0]
    for arm in results[1:]:
        for metric, d in differences(base.runs, arm.runs, metrics).items():
            sig = "" if d.significant is None else ("yes" if d.significant else "no")
            writer.writerow(
                [
                    arm.label,
                    metric,
                    fmt(final_mean(base.runs, metric)),
                    fmt(final_mean(arm.runs, metric)),
                    fmt(d.mean),
                    fmt(d.low),
                    fmt(d.high),
                    sig,
                ]
            )
    return buffer.getvalue()


def any_failed(results: Sequence[ArmResult], strict: bool = False) -> bool:
    return any(failures(r.outcomes, strict) for r in results)


# --- the page -----------------------------------------------------------------------------


def _signed(value: float, metric: str) -> str:
    text = number(abs(value), scale_of(metric))
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def parameters_table(results: Sequence[ArmResult]) -> str:
    """The economies' key parameters side by side (the page's first screen)."""
    return key_parameters([(r.label, r.experiment.economy_source, r.economy) for r in results])


def differences_table(
    results: Sequence[ArmResult], metrics: Sequence[str], flagged: Sequence[str] = ()
) -> str:
    base = results[0]
    rows: list[list[object]] = []
    row_class: dict[int, str] = {}
    for arm in results[1:]:
        diffs = differences(base.runs, arm.runs, metrics)
        for metric, d in diffs.items():
            scale = scale_of(metric)
            if d.significant is None:
                sig = "- (one replication)"
            else:
                sig = "yes" if d.significant else "no"
            if arm.label in flagged:
                row_class[len(rows)] = "flag"
            rows.append(
                [
                    arm.label,
                    metric,
                    number(final_mean(base.runs, metric), scale),
                    number(final_mean(arm.runs, metric), scale),
                    _signed(d.mean, metric),
                    f"{_signed(d.low, metric)} .. {_signed(d.high, metric)}",
                    sig,
                ]
            )
    return table(
        [
            "economy",
            "metric",
            f"{base.label}",
            "this economy",
            "difference",
            "paired 95% interval",
            "significant",
        ],
        rows,
        2,
        row_class,
    )


def assertions_table(results: Sequence[ArmResult], strict: bool = False) -> str:
    texts: list[str] = []
    for arm in results:
        texts += [o.text for o in arm.outcomes if o.text not in texts]
    rows: list[list[object]] = []
    for text in texts:
        row: list[object] = [text]
        for arm in results:
            found = [o for o in arm.outcomes if o.text == text]
            if not found:
                row.append("-")
                continue
            o = found[0]
            label = "fail" if o.fails(strict) else o.result
            row.append(result(label))
        rows.append(row)
    return table(["assertion", *[r.label for r in results]], rows)


def render_compare(
    title: str,
    results: Sequence[ArmResult],
    metrics: Sequence[str] = COMPARED_METRICS,
    strict: bool = False,
    flagged: Sequence[str] = (),
    links: Mapping[str, str] | None = None,
    intro: str = "",
) -> str:
    """compare.html: parameters, assertions, paired differences, then one chart per metric
    with each economy's mean line and band (one colour per economy throughout)."""
    base = results[0]
    exp = base.experiment
    colours = Colours([r.label for r in results])
    x = dates(base.population.start_date, base.runs[0].days)
    members = exp.members or base.population.members
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">{esc(intro)} {len(results)} economies on the same population '
        f"(<code>{esc(exp.population_source)}</code>): {members:,} initial members, "
        f"{base.runs[0].days} days from {x[0]}, {len(base.runs)} replications, seed "
        f"{exp.seed}. Common random numbers: replication i of every economy draws from the "
        "same random streams, so each difference is paired per replication. Lines are means "
        "over replications, bands their 95% interval.</p>",
        "<h2>Economies</h2>",
        parameters_table(results),
    ]
    if links:
        items = "".join(
            f'<li><a href="{esc(href)}">{esc(label)}</a></li>' for label, href in links.items()
        )
        body.append(f"<p>Reports per economy:</p><ul>{items}</ul>")
    if flagged:
        body.append(
            '<p class="flag">Same outputs as the baseline in every replication (the setting '
            "changed nothing): " + esc(", ".join(flagged)) + "</p>"
        )
    if any(r.outcomes for r in results):
        body += ["<h2>Designers' assertions</h2>", assertions_table(results, strict)]
    if len(results) > 1:
        body += [
            f"<h2>Final day: differences against {esc(base.label)}</h2>",
            '<p class="note">Difference = this economy − the baseline, per replication; '
            "significant when the paired 95% interval excludes zero.</p>",
            differences_table(results, metrics, flagged),
        ]
    body.append("<h2>Over time</h2>")
    bands = [(r.label, daily_bands(r.runs)) for r in results]
    for i, metric in enumerate(metrics):
        series = [(label, b[metric]) for label, b in bands]
        targets = targets_for(base.economy, base.population, metric)
        body.append(
            chart(f"c{i}", METRIC_TITLES.get(metric, metric), metric, x, series, colours, targets)
        )
    return page(title, body)
