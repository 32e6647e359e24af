"""Per-replication data in long format, for pandas or a notebook.

`daily_long.csv` has one row per (replication, day, metric): `replication` (1-based),
`day` (1 = the first simulated day), `date`, `metric`, `value`. `flows.csv` has one row
per (replication, flow, item, archetype): the points issued by each earning rule, spent
on each reward tier, expired, and outstanding at the end, per member archetype. When
`pyarrow` is importable (the `parquet` extra) the same daily table is also written as
`daily_long.parquet`.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from simulation.engine import Run
from simulation.stats import fmt

DAILY_COLUMNS = ("replication", "day", "date", "metric", "value")
FLOW_COLUMNS = ("replication", "flow", "item", "archetype", "points")


def daily_rows(runs: Sequence[Run], start: date) -> Iterator[tuple[int, int, str, str, float]]:
    for r, run in enumerate(runs, start=1):
        metrics = [m for m in run.daily if m != "day"]
        for d in range(run.days):
            when = (start + timedelta(days=d)).isoformat()
            for metric in metrics:
                yield r, d + 1, when, metric, run.daily[metric][d]


def daily_long_csv(runs: Sequence[Run], start: date) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DAILY_COLUMNS)
    for rep, day, when, metric, value in daily_rows(runs, start):
        writer.writerow((rep, day, when, metric, fmt(value)))
    return buffer.getvalue()


def flows_csv(runs: Sequence[Run]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FLOW_COLUMNS)
    for r, run in enumerate(runs, start=1):
        for (flow, item, archetype), points in run.flows.items():
            writer.writerow((r, flow, item, archetype, points))
    return buffer.getvalue()


def write_parquet(path: Path, runs: Sequence[Run], start: date) -> bool:
    """`daily_long.parquet` when pyarrow is importable; False (nothing written) otherwise."""
    try:  # imported by name: pyarrow is an optional extra, typed as Any either way
        pa: Any = importlib.import_module("pyarrow")
        pq: Any = importlib.import_module("pyarrow.parquet")
    except ImportError:
        return False
    columns: tuple[list[Any], ...] = ([], [], [], [], [])
    for row in daily_rows(runs, start):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    table = pa.table(
        {
            "replication": pa.array(columns[0], pa.int32()),
            "day": pa.array(columns[1], pa.int32()),
            "date": pa.array([date.fromisoformat(d) for d in columns[2]], pa.date32()),
            "metric": pa.array(columns[3], pa.string()).dictionary_encode(),
            "value": pa.array(columns[4], pa.float64()),
        }
    )
    pq.write_table(table, path)
    return True
