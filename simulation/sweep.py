"""Sweeps: a grid of variants of one experiment, run in parallel, compared side by side.

`--set rules.post_with_photos.points=10,20,40` names a field of the parsed economy (or,
when the first segment is a population table, of the population) and its values. A
segment that meets an array of tables picks the entry whose `id` matches (or an index):
`levels.seasoned.threshold=800,1000`. Variants are applied to the parsed TOML data, which
is written back as TOML and parsed again, so the economy's validation still applies.
"""

from __future__ import annotations

import copy
import importlib
import itertools
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from datetime import time as dtime
from typing import Any

from domain.errors import EconomyInvalid
from simulation.assertions import failures
from simulation.engine import Run
from simulation.jobs import workers
from simulation.population import TOP_LEVEL as POPULATION_TABLES
from simulation.runner import (
    HEADLINE,
    Experiment,
    check_assertions,
    run_all,
    summarize,
    validate,
)
from simulation.stats import fmt

variants_max = 1_000
values_per_setting_max = 100
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class SweepInvalid(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Setting:
    path: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


def parse_value(text: str) -> Any:
    """A TOML value (`10`, `0.5`, `true`, `"x"`, `[1, 2]`); anything else is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_setting(text: str) -> Setting:
    """`PATH=V1,V2,...` (values split on commas outside brackets and quotes)."""
    if "=" not in text:
        raise SweepInvalid(f"--set {text!r}: write PATH=V1,V2,...")
    path, raw = text.split("=", 1)
    segments = tuple(s for s in path.strip().split(".") if s)
    if not segments:
        raise SweepInvalid(f"--set {text!r}: the path is empty")
    values: list[str] = []
    depth, quote, current = 0, "", ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            values.append(current)
            current = ""
            continue
        current += ch
    values.append(current)
    parsed = tuple(parse_value(v.strip()) for v in values if v.strip())
    if not parsed:
        raise SweepInvalid(f"--set {text!r}: give at least one value")
    if len(parsed) > values_per_setting_max:
        raise SweepInvalid(f"--set {text!r}: at most {values_per_setting_max} values")
    return Setting(segments, parsed)


def apply_setting(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set `value` at `path` inside parsed TOML data (in place)."""
    node: Any = data
    for i, segment in enumerate(path[:-1]):
        where = ".".join(path[: i + 1])
        if isinstance(node, dict):
            if segment not in node:
                raise SweepInvalid(f"{'.'.join(path)}: there is no {where!r}")
            node = node[segment]
        elif isinstance(node, list):
            node = _pick(node, segment, where, path)
        else:
            raise SweepInvalid(f"{'.'.join(path)}: {where!r} is a value, not a table")
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        target = _pick(node, last, ".".join(path), path)
        raise SweepInvalid(f"{'.'.join(path)}: names a whole entry ({target!r}), not a field")
    else:
        raise SweepInvalid(f"{'.'.join(path)}: the parent is a value, not a table")


def _pick(items: list[Any], segment: str, where: str, path: Sequence[str]) -> Any:
    for item in items:
        if isinstance(item, dict) and item.get("id") == segment:
            return item
    if segment.isdigit() and int(segment) < len(items):
        return items[int(segment)]
    raise SweepInvalid(f"{'.'.join(path)}: no entry with id {segment!r} in {where!r}")


# --- TOML writing (the parsed data back to text, for parse_economy) -----------------------


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise SweepInvalid(f"cannot write {value!r} as TOML")


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for parsed data: one `key = value` line per top-level key (inline tables)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


# --- the grid -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    label: str
    settings: tuple[tuple[str, Any], ...]
    experiment: Experiment


def variants(base: Experiment, settings: Sequence[Setting]) -> list[Variant]:
    """Every combination of the settings' values, validated up front."""
    economy_data = tomllib.loads(base.economy_text)
    grid = list(itertools.product(*(s.values for s in settings)))
    if len(grid) > variants_max:
        raise SweepInvalid(f"{len(grid)} variants; at most {variants_max}")
    out: list[Variant] = []
    for combo in grid:
        eco = copy.deepcopy(economy_data)
        pop = copy.deepcopy(dict(base.population_data))
        chosen: list[tuple[str, Any]] = []
        for setting, value in zip(settings, combo, strict=True):
            target = pop if setting.path[0] in POPULATION_TABLES else eco
            apply_setting(target, setting.path, value)
            chosen.append((setting.name, value))
        label = ", ".join(f"{name}={_value(v)}" for name, v in chosen) or "baseline"
        experiment = replace(
            base,
            economy_text=dumps(eco),
            economy_source=f"{base.economy_source} [{label}]",
            population_data=pop,
        )
        try:
            validate(experiment)
        except (EconomyInvalid, ValueError) as error:  # PopulationInvalid is a ValueError
            raise SweepInvalid(f"variant {label}: {error}") from error
        out.append(Variant(label, tuple(chosen), experiment))
    return out


def run_variant(variant: Variant) -> dict[str, Any]:
    """Run one variant's replications (in a worker) and return its comparison row."""
    return run_variant_runs(variant)[0]


def run_variant_runs(variant: Variant) -> tuple[dict[str, Any], list[Run]]:
    """Run one variant's replications (in a worker): its comparison row and its runs."""
    experiment = variant.experiment
    economy, population = validate(experiment)
    runs = run_all(experiment)
    outcomes = check_assertions(runs, economy, population)
    summary = summarize(experiment, runs, economy, population, outcomes)
    final = summary["final_day"]
    row: dict[str, Any] = {"variant": variant.label}
    for name, value in variant.settings:
        row[name] = value
    for name in HEADLINE:
        row[name] = final[name]["mean"]
    for level, info in summary["levels"].items():
        med = info["median_days_to_reach"]
        row[f"days_to_{level}"] = med["mean"] if med else None
    out = [info["day"]["mean"] for info in summary["stockouts"].values() if info["day"]]
    row["rewards_run_out"] = len(out)
    row["first_stockout_day"] = min(out) if out else None
    row["assertions_failed"] = [o.text for o in failures(outcomes)]
    row["assertions_not_applicable"] = [o.text for o in outcomes if not o.applicable]
    return row, runs


Progress = Callable[[int, int], None]


def run_sweep(
    variant_list: Sequence[Variant],
    jobs: int = 2,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Rows in variant order: on local worker processes, or on a Dask cluster."""
    return [row for row, _ in run_sweep_runs(variant_list, jobs, scheduler, progress)]


def run_sweep_runs(
    variant_list: Sequence[Variant],
    jobs: int = 2,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[tuple[dict[str, Any], list[Run]]]:
    """Each variant's row and runs, in variant order (local processes or Dask)."""
    if scheduler is not None:
        return _on_dask(variant_list, scheduler)
    results: list[tuple[dict[str, Any], list[Run]]] = []
    count = workers(jobs, len(variant_list))
    if count == 1:
        for i, variant in enumerate(variant_list, start=1):
            results.append(run_variant_runs(variant))
            if progress:
                progress(i, len(variant_list))
        return results
    with ProcessPoolExecutor(max_workers=count) as pool:
        for i, result in enumerate(pool.map(run_variant_runs, variant_list), start=1):
            results.append(result)
            if progress:
                progress(i, len(variant_list))
    return results


def _on_dask(
    variant_list: Sequence[Variant], scheduler: str
) -> list[tuple[dict[str, Any], list[Run]]]:
    try:  # imported by name: Dask is an optional extra, typed as Any either way
        distributed: Any = importlib.import_module("distributed")
    except ImportError as error:
        raise SweepInvalid(
            "--scheduler needs Dask: pip install -e '.[dask]' (dask[distributed])"
        ) from error
    client = distributed.Client(scheduler)
    try:
        futures = client.map(run_variant_runs, list(variant_list), pure=False)
        return list(client.gather(futures))
    finally:
        client.close()


def comparison_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    lines = [",".join(columns)]
    for row in rows:
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, list):
                text = "; ".join(str(x) for x in v)
            elif isinstance(v, bool) or not isinstance(v, int | float):
                text = "" if v is None else str(v)
            else:
                text = fmt(v)
            cells.append(
                '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text
            )
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
