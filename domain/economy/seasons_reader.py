"""The `[seasons]` table of an economy file: a cadence (`every = "quarter"` from
`starts`) or named periods (`[[seasons.periods]]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import SEASON_CADENCES, Season, SeasonCadence, Seasons

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

season_periods_max = 200


def read_seasons(r: _Reader, raw: Any) -> Seasons | None:
    if not isinstance(raw, dict):
        r.problem("", "seasons", "must be a table ([seasons])")
        return None
    r.known(raw, "seasons", {"every", "starts", "periods"})
    every: SeasonCadence | None = None
    if "every" in raw:
        value = r.string(raw, "seasons", "every")
        every = next((c for c in SEASON_CADENCES if c == value), None)
        if every is None:
            r.problem("seasons", "every", f"{value!r} must be one of {', '.join(SEASON_CADENCES)}")
    starts = r.when(raw, "seasons", "starts")
    periods = _periods(r, raw.get("periods", []))
    if every is not None and periods:
        r.problem("seasons", "periods", "declare a cadence (every) or named periods, not both")
    if "every" in raw and starts is None:
        r.problem("seasons", "starts", "a cadence of seasons needs the first season's start")
    if starts is not None and (starts.day != 1 or (starts.hour, starts.minute) != (0, 0)):
        r.problem("seasons", "starts", "must be midnight on the first day of a month")
    if every is None and not periods and "every" not in raw:
        r.problem(
            "seasons", "", 'declare every = "quarter" (or month, year) or [[seasons.periods]]'
        )
    return Seasons(every, starts, periods)


def _periods(r: _Reader, raw: Any) -> tuple[Season, ...]:
    if not isinstance(raw, list):
        r.problem("seasons", "periods", "must be an array of tables ([[seasons.periods]])")
        return ()
    if len(raw) > season_periods_max:
        r.problem("seasons", "periods", f"at most {season_periods_max} seasons are allowed")
    out: list[Season] = []
    for index, item in enumerate(raw):
        table = f"seasons.periods[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each season must be a table")
            continue
        r.known(item, table, {"id", "title", "starts", "ends"})
        season_id = r.string(item, table, "id")
        r.ident(table, "id", season_id)
        starts, ends = r.when(item, table, "starts"), r.when(item, table, "ends")
        if starts is None or ends is None:
            r.problem(table, "ends" if starts else "starts", "a season needs starts and ends")
            continue
        if ends <= starts:
            r.problem(table, "ends", "must be later than starts")
            continue
        if any(s.id == season_id for s in out):
            r.problem(table, "id", f"season {season_id!r} is declared twice")
        overlap = next((s for s in out if s.starts < ends and starts < s.ends), None)
        if overlap is not None:
            r.problem(table, "starts", f"overlaps season {overlap.id!r}")
        out.append(Season(season_id, r.string(item, table, "title", season_id), starts, ends))
    return tuple(out)
