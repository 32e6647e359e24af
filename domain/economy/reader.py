"""The economy file reader: `parse_economy(text, source)` turns TOML text into the frozen
model or raises `EconomyInvalid` listing every problem with the file, table, field and
(where it can be found) line. Reading the file is the caller's business: the domain does
no I/O."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.economy.campaigns_reader import read_campaigns
from domain.economy.contests_reader import read_contests
from domain.economy.model import (
    FULFILMENTS,
    HONOR_TRIGGERS,
    PERIODS,
    QUEST_KINDS,
    Condition,
    Economy,
    Expiry,
    Honor,
    HonorTier,
    KocProgram,
    KocTier,
    Level,
    LevelReview,
    Limit,
    PerUnit,
    Quest,
    QuestKind,
    QuestReward,
    QuestStep,
    Reward,
    RewardTier,
    Rule,
    Streak,
    attribute_value_max,
    clock_skew_seconds_max,
    late_arrival_days_max,
    levels_max,
    pending_days_max,
    points_max,
    recorded_kinds,
    rules_max,
)
from domain.economy.paid_tiers_reader import read_paid_tiers
from domain.economy.referrals_reader import read_referrals
from domain.economy.roles_reader import read_roles
from domain.economy.seasons_reader import read_seasons
from domain.economy.tasks_reader import read_tasks
from domain.economy.team_help_reader import read_help_quests, read_team_quests
from domain.errors import EconomyInvalid, EconomyIssue

_HEADER_RE = re.compile(r"^\s*\[\[?\s*[\w\"'. \-]+\s*\]\]?\s*(#.*)?$")
IDENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CONDITION_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


class _Reader:
    """Collects issues while reading typed values out of nested TOML tables."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.issues: list[EconomyIssue] = []

    def line_of(self, table: str, key: str | None = None) -> int | None:
        """Best-effort line of `key` inside `table` (or of the table itself).

        `table` is a dotted path; a `[n]` suffix names the n-th entry (0-based) of an array
        of tables, written either as `[[table]]` headers or inline (`limits = [{...}]`).
        """
        span = self._span(table)
        if span is None:
            return self._unique(rf"^\s*{re.escape(key)}\s*=") if key else None
        start, end, occurrence = span
        if not key:
            return start
        quoted = rf"""["']?{re.escape(key)}["']?"""
        exact = self._find(rf"^\s*{quoted}\s*=(?!=)", start, end)
        if exact and occurrence == 0:
            return exact[0]
        inline = self._find(rf"(?<![\w.\-]){quoted}\s*=(?!=)", start, end)
        if inline:
            return inline[min(occurrence, len(inline) - 1)]
        if not table:  # a top-level table named by a header: [key] or [key.sub]
            header = self._find(rf"^\s*\[\[?\s*{re.escape(key)}\s*[.\]]", 1, len(self.lines))
            return header[0] if header else None
        return start

    def _find(self, pattern: str, start: int, end: int) -> list[int]:
        regex = re.compile(pattern)
        return [n for n in range(start, end + 1) if regex.search(self.lines[n - 1])]

    def _unique(self, pattern: str) -> int | None:
        hits = self._find(pattern, 1, len(self.lines))
        return hits[0] if len(hits) == 1 else None

    def _nested_span(self, base: str, index: int, rest: str) -> tuple[int, int, int] | None:
        """A table inside the `index`-th entry of the array of tables `base`, such as
        `quests[0].reward` ([quests.reward] after the first [[quests]]) or
        `quests[1].steps[2]`, or an inline table (`eligibility = {...}`) inside it."""
        headers = self._find(_HEADER_RE.pattern, 1, len(self.lines))
        entries = [
            n
            for n in headers
            if re.match(rf"^\s*\[\[\s*{re.escape(base)}\s*\]\]", self.lines[n - 1])
        ]
        if index >= len(entries):
            return None
        start = entries[index]
        inside = re.compile(rf"^\s*\[\[?\s*{re.escape(base)}\.")
        region_end = len(self.lines)
        for n in headers:
            if n > start and not inside.match(self.lines[n - 1]):
                region_end = n - 1
                break
        name, entry = rest, 0
        indexed = re.fullmatch(r"(.+)\[(\d+)\]", rest)
        if indexed:
            name, entry = indexed[1], int(indexed[2])
        own = re.compile(rf"^\s*\[\[?\s*{re.escape(base)}\.{re.escape(name)}\s*\]\]?\s*(#.*)?$")
        mine = [n for n in headers if start < n <= region_end and own.match(self.lines[n - 1])]
        if mine:
            first = mine[min(entry, len(mine) - 1)]
            later = [n for n in headers if n > first]
            return first, (later[0] - 1 if later else len(self.lines)), 0
        inline = self._find(rf"^\s*{re.escape(name)}\s*=", start, region_end)
        return (inline[0], inline[0], 0) if inline else None

    def _span(self, table: str) -> tuple[int, int, int] | None:
        """(first line, last line, which inline entry) of a table path, or None."""
        if not table:
            first_header = next(iter(self._find(_HEADER_RE.pattern, 1, len(self.lines))), None)
            return 1, (first_header or len(self.lines) + 1) - 1, 0
        nested = re.fullmatch(r"([\w.]+)\[(\d+)\]\.(.+)", table)
        if nested:
            return self._nested_span(nested[1], int(nested[2]), nested[3])
        name, entry = table, None
        indexed = re.fullmatch(r"(.+)\[(\d+)\]", table)
        if indexed:
            name, entry = indexed[1], int(indexed[2])
        headers = self._find(_HEADER_RE.pattern, 1, len(self.lines))
        own = re.compile(r"^\s*\[\[?\s*" + re.escape(name) + r"\s*\]\]?\s*(#.*)?$")
        mine = [n for n in headers if own.match(self.lines[n - 1])]
        if mine:
            start = mine[min(entry or 0, len(mine) - 1)]
            later = [n for n in headers if n > start]
            return start, (later[0] - 1 if later else len(self.lines)), 0
        parent, _, child = name.rpartition(".")
        outer = self._span(parent)
        if outer is None:
            return None
        quoted = rf"""["']?{re.escape(child)}["']?"""
        hits = self._find(rf"^\s*{quoted}\s*=", outer[0], outer[1]) or self._find(
            rf"(?<![\w.\-]){quoted}\s*=", outer[0], outer[1]
        )
        if not hits:
            return None
        start = hits[0]
        following = self._find(r"^\s*[\w\"'.\-]+\s*=", start + 1, outer[1])
        return start, (following[0] - 1 if following else outer[1]), entry or 0

    def problem(self, table: str, key: str, message: str) -> None:
        self.issues.append(
            EconomyIssue(self.source, table, key, message, self.line_of(table, key or None))
        )

    def table(self, data: Mapping[str, Any], table: str, key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(table, key, f"must be a table, got {type(value).__name__}")
            return {}
        return value

    def known(self, data: Mapping[str, Any], table: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(table, key, f"unknown field (expected one of: {hint})")

    def string(
        self, data: Mapping[str, Any], table: str, key: str, default: str | None = None
    ) -> str:
        value = data.get(key, default)
        if value is None:
            self.problem(table, key, "is required")
            return ""
        if not isinstance(value, str):
            self.problem(table, key, f"must be a string, got {value!r}")
            return ""
        return value

    def opt_string(self, data: Mapping[str, Any], table: str, key: str) -> str | None:
        return self.string(data, table, key) if key in data else None

    def integer(
        self,
        data: Mapping[str, Any],
        table: str,
        key: str,
        default: int | None = None,
        minimum: int = 0,
        maximum: int = points_max,
    ) -> int:
        value = data.get(key, default)
        if value is None:
            self.problem(table, key, "is required")
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(table, key, f"must be a whole number, got {value!r}")
            return minimum
        if not minimum <= value <= maximum:
            self.problem(table, key, f"must be between {minimum} and {maximum}, got {value}")
            return minimum
        return value

    def opt_integer(
        self, data: Mapping[str, Any], table: str, key: str, minimum: int = 0
    ) -> int | None:
        if key not in data:
            return None
        return self.integer(data, table, key, minimum=minimum)

    def boolean(self, data: Mapping[str, Any], table: str, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(table, key, f"must be true or false, got {value!r}")
            return default
        return value

    def strings(self, data: Mapping[str, Any], table: str, key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(table, key, "must be a list of strings")
            return ()
        return tuple(value)

    def ident(self, table: str, key: str, ident: str) -> None:
        if ident and not IDENT_RE.match(ident):  # a missing one is reported where it is read
            self.problem(table, key, f"{ident!r} must be lower_snake_case (a-z, 0-9, _)")

    def when(self, data: Mapping[str, Any], table: str, key: str) -> datetime | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.problem(
                table, key, "must be a date-time with an offset, e.g. 2027-01-01T00:00:00+08:00"
            )
            return None
        return value


def parse_economy(text: str, source: str = "<economy>") -> Economy:
    """Parse and validate an economy file's text. Raises `EconomyInvalid` with every issue."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        line = int(line_match.group(1)) if line_match else None
        raise EconomyInvalid(
            [EconomyIssue(source, _table_at(text, line), "", f"not valid TOML: {exc}", line)]
        ) from exc
    reader = _Reader(text, source)
    economy = _build(reader, data)
    if reader.issues:
        raise EconomyInvalid(reader.issues)
    assert economy is not None
    return economy


def _table_at(text: str, line: int | None) -> str:
    """The table whose header precedes `line` (for locating TOML syntax errors)."""
    table = ""
    for current in text.splitlines()[: (line or 0)]:
        header = _HEADER_RE.match(current)
        if header:
            table = current.split("#", 1)[0].strip().strip("[]").strip()
    return table


TOP_LEVEL = {"economy", "expiry", "rules", "levels", "level_review", "koc", "honors",
             "reward_tiers", "rewards", "quests", "tasks", "contests", "seasons",
             "roles", "team_quests", "help_quests", "paid_tiers",
             "referrals", "campaigns"}  # fmt: skip


def _build(r: _Reader, data: dict[str, Any]) -> Economy | None:
    r.known(data, "", TOP_LEVEL)
    head = r.table(data, "", "economy")
    if "economy" not in data:
        r.problem("economy", "", "the [economy] table is required")
    r.known(head, "economy", {"id", "name", "description", "currency", "timezone", "daily_cap",
                              "clock_skew_seconds", "late_arrival_days", "attributes"})  # fmt: skip
    eco_id = r.string(head, "economy", "id")
    r.ident("economy", "id", eco_id)
    tz_name = r.string(head, "economy", "timezone", "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        r.problem("economy", "timezone", f"unknown time zone {tz_name!r} (use an IANA name)")
        tz = ZoneInfo("UTC")
    daily_cap = r.opt_integer(head, "economy", "daily_cap", minimum=1)
    skew = r.integer(head, "economy", "clock_skew_seconds", 300, 0, clock_skew_seconds_max)
    late_days = r.integer(head, "economy", "late_arrival_days", 3, 0, late_arrival_days_max)
    bounds = _attribute_bounds(r, r.table(head, "economy", "attributes"))

    expiry_data = r.table(data, "", "expiry")
    r.known(expiry_data, "expiry", {"after_months"})
    expiry = (
        Expiry(r.integer(expiry_data, "expiry", "after_months", minimum=1, maximum=120))
        if expiry_data
        else None
    )
    rules = _rules(r, r.table(data, "", "rules"), bounds)
    levels = _levels(r, data.get("levels", []))
    review = _level_review(r, r.table(data, "", "level_review"), levels)
    level_ids = {lv.id for lv in levels}
    koc = _koc(r, r.table(data, "", "koc")) if "koc" in data else None
    _check_spend_kind(r, review, levels, recorded_kinds(rules, koc))
    streak_rules = {x.id for x in rules if x.streak is not None}
    honors = _honors(r, r.table(data, "", "honors"), streak_rules, level_ids)
    _check_kinds(r, rules, koc, honors)
    tiers = _reward_tiers(r, r.table(data, "", "reward_tiers"))
    rewards = _rewards(r, r.table(data, "", "rewards"), {t.id for t in tiers}, level_ids)
    quests = _quests(r, data.get("quests", []), rules, koc, honors, rewards, level_ids)
    tasks = read_tasks(r, data.get("tasks", []))
    contests = read_contests(r, data.get("contests", []), rules, koc, honors, rewards, level_ids)
    seasons = read_seasons(r, data["seasons"]) if "seasons" in data else None
    roles = read_roles(r, data.get("roles", []), honors, level_ids)
    team_quests = read_team_quests(r, data.get("team_quests", []))
    help_quests = read_help_quests(r, data.get("help_quests", []), {q.id for q in team_quests})
    paid_tiers = read_paid_tiers(r, data.get("paid_tiers", []), rules, rewards)
    statuses = level_ids | ({t.id for t in koc.tiers} if koc else set())
    referrals = read_referrals(r, data["referrals"], statuses) if "referrals" in data else None
    campaigns = read_campaigns(r, data.get("campaigns", []), zone=tz.key, level_ids=level_ids,
                               koc=koc, honors=honors, rewards=rewards, tasks=tasks)  # fmt: skip
    if r.issues:
        return None
    return Economy(
        id=eco_id,
        name=r.string(head, "economy", "name", eco_id),
        description=r.string(head, "economy", "description", ""),
        currency=r.string(head, "economy", "currency", "points"),
        timezone=tz,
        daily_cap=daily_cap,
        rules=rules,
        levels=levels,
        level_review=review,
        koc=koc,
        honors=honors,
        reward_tiers=tiers,
        rewards=rewards,
        expiry=expiry,
        quests=quests,
        clock_skew_seconds=skew,
        late_arrival_days=late_days,
        attribute_bounds=bounds,
        tasks=tasks,
        contests=contests,
        seasons=seasons,
        roles=roles,
        team_quests=team_quests,
        help_quests=help_quests,
        paid_tiers=paid_tiers,
        referrals=referrals,
        campaigns=campaigns,
    )


def _attribute_bounds(r: _Reader, data: dict[str, Any]) -> dict[str, int]:
    """`[economy.attributes]`: `name = { max = N }` sets a lower bound than the default."""
    out: dict[str, int] = {}
    for name, raw in data.items():
        table = f"economy.attributes.{name}"
        r.ident("economy.attributes", name, name)
        if not isinstance(raw, dict):
            r.problem("economy.attributes", name, "must be a table like { max = 100000 }")
            continue
        r.known(raw, table, {"max"})
        out[name] = r.integer(raw, table, "max", maximum=attribute_value_max)
    return out


RULE_FIELDS = {"title", "description", "kind", "points", "when", "per_unit", "limits",
               "once_per_subject", "cooldown_seconds", "exempt_from_daily_cap", "group",
               "streak", "pending_days"}  # fmt: skip


def _rules(r: _Reader, data: dict[str, Any], bounds: dict[str, int]) -> tuple[Rule, ...]:
    if not data:
        r.problem("rules", "", "at least one earning rule is required")
    if len(data) > rules_max:
        r.problem("rules", "", f"at most {rules_max} rules are allowed")
    out: list[Rule] = []
    for rule_id, raw in data.items():
        table = f"rules.{rule_id}"
        r.ident(table, "", rule_id)
        if not isinstance(raw, dict):
            r.problem("rules", rule_id, "must be a table")
            continue
        r.known(raw, table, RULE_FIELDS)
        conditions = _conditions(r, raw, table)
        per_unit = None
        if "per_unit" in raw:
            pu = r.table(raw, table, "per_unit")
            pt = f"{table}.per_unit"
            r.known(pu, pt, {"attribute", "size", "points", "max_units"})
            per_unit = PerUnit(
                attribute=r.string(pu, pt, "attribute"),
                size=r.integer(pu, pt, "size", 1, minimum=1),
                points=r.integer(pu, pt, "points", minimum=1),
                max_units=r.opt_integer(pu, pt, "max_units", minimum=1),
            )
        limits: list[Limit] = []
        raw_limits = raw.get("limits", [])
        if not isinstance(raw_limits, list):
            r.problem(table, "limits", "must be a list of tables")
            raw_limits = []
        for index, item in enumerate(raw_limits):
            lt = f"{table}.limits[{index}]"
            if not isinstance(item, dict):
                r.problem(lt, "", "each limit must be a table like {period='day', max_count=1}")
                continue
            r.known(item, lt, {"period", "max_count", "max_points"})
            period = r.string(item, lt, "period")
            if period not in PERIODS:
                if period:
                    r.problem(lt, "period", f"{period!r} must be one of {', '.join(PERIODS)}")
                continue
            limit = Limit(
                period,
                r.opt_integer(item, lt, "max_count", minimum=1),
                r.opt_integer(item, lt, "max_points", minimum=1),
            )
            if limit.max_count is None and limit.max_points is None:
                r.problem(lt, "", "a limit needs max_count, max_points or both")
            limits.append(limit)
        streak = None
        if "streak" in raw:
            sd = r.table(raw, table, "streak")
            st = f"{table}.streak"
            r.known(sd, st, {"bonus_per_day", "max_bonus", "milestones"})
            milestones_raw = r.table(sd, st, "milestones")
            milestones: list[tuple[int, int]] = []
            for day, _pts in milestones_raw.items():
                if not day.isdigit() or int(day) < 1:
                    r.problem(st, "milestones", f"{day!r} must be a streak length in days")
                    continue
                milestones.append((int(day), r.integer(milestones_raw, st, day, minimum=1)))
            streak = Streak(
                bonus_per_day=r.integer(sd, st, "bonus_per_day", 0),
                max_bonus=r.integer(sd, st, "max_bonus", 0),
                milestones=tuple(sorted(milestones)),
            )
        kind = r.string(raw, table, "kind")
        r.ident(table, "kind", kind)
        once = r.boolean(raw, table, "once_per_subject", False)
        rule = Rule(
            id=rule_id,
            title=r.string(raw, table, "title", rule_id.replace("_", " ").capitalize()),
            description=r.string(raw, table, "description", ""),
            kind=kind,
            points=r.integer(raw, table, "points", 0 if per_unit else None),
            conditions=conditions,
            per_unit=per_unit,
            limits=tuple(limits),
            once_per_subject=once,
            cooldown_seconds=r.integer(raw, table, "cooldown_seconds", 0, maximum=31_622_400),
            exempt_from_daily_cap=r.boolean(raw, table, "exempt_from_daily_cap", False),
            group=r.string(raw, table, "group", kind),
            streak=streak,
            pending_days=r.integer(raw, table, "pending_days", 0, 0, pending_days_max),
        )
        if rule.per_unit is None and type(raw.get("points")) is int and rule.points == 0:
            r.problem(table, "points", "a rule must award points (points or per_unit)")
        most = _most_points(rule, bounds)
        if most > points_max:
            r.problem(table, "per_unit" if per_unit else "streak", f"can pay up to {most} points "
                      f"for one activity; at most {points_max} (set max_units)")  # fmt: skip
        out.append(rule)
    _check_shadowed(r, tuple(out), data)
    return tuple(out)


def _conditions(r: _Reader, raw: Mapping[str, Any], table: str) -> tuple[Condition, ...]:
    """The `when` list: conditions like 'photos >= 1' that must all hold."""
    conditions: list[Condition] = []
    for text in r.strings(raw, table, "when"):
        match = CONDITION_RE.match(text)
        if not match:
            r.problem(table, "when", f"{text!r} is not a condition like 'photos >= 1'")
            continue
        conditions.append(Condition(match[1], match[2], float(match[3])))
    return tuple(conditions)


def _most_points(rule: Rule, bounds: dict[str, int]) -> int:
    """The most `rule` can pay for one activity, attributes at their bound, streak at its peak."""
    most = rule.points
    if rule.per_unit is not None:
        units = bounds.get(rule.per_unit.attribute, attribute_value_max) // rule.per_unit.size
        if rule.per_unit.max_units is not None:
            units = min(units, rule.per_unit.max_units)
        most += units * rule.per_unit.points
    if rule.streak is not None:
        most += rule.streak.max_bonus + max((p for _, p in rule.streak.milestones), default=0)
    return most


def _check_shadowed(r: _Reader, rules: tuple[Rule, ...], data: dict[str, Any]) -> None:
    """A rule without conditions wins every match in its group: later rules never fire."""
    catch_all: dict[tuple[str, str], str] = {}
    for rule in rules:
        earlier = catch_all.get((rule.kind, rule.group))
        if earlier is not None:
            message = (
                f"can never fire: rule {earlier!r} (same kind and group, no conditions) "
                "comes first; list the more specific rule first"
            )
            r.problem(f"rules.{rule.id}", "", message)
        elif not data[rule.id].get("when"):  # written conditions count, even unparsable ones
            catch_all[(rule.kind, rule.group)] = rule.id


def _check_kinds(
    r: _Reader, rules: tuple[Rule, ...], koc: KocProgram | None, honors: tuple[Honor, ...]
) -> None:
    """Honors and KOC tiers count activity kinds; a kind nothing records is a typo."""
    kinds = recorded_kinds(rules, koc)
    for honor in honors:
        for kind in honor.kinds:
            if kind not in kinds:
                r.problem(f"honors.{honor.id}", "kinds", f"names activity kind {kind!r}, which no "
                          "rule or KOC setting uses")  # fmt: skip


LEVEL_FIELDS = {"id", "title", "threshold", "keep", "privileges", "name_colour", "hall_of_fame",
                "spend_min", "purchases_min", "keep_spend", "keep_purchases"}  # fmt: skip
purchases_min_max = 100_000  # purchases in one review window a level may ask for
# The criteria a level is reached by, each at least the one below's: (field, in words).
LEVEL_CRITERIA = (("threshold", "points"), ("spend_min", "spend"),
                  ("purchases_min", "purchases"))  # fmt: skip


def _levels(r: _Reader, raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        r.problem("levels", "", "at least one [[levels]] entry is required")
        return ()
    if len(raw) > levels_max:
        r.problem("levels", "", f"at most {levels_max} levels are allowed")
    out: list[Level] = []
    for rank, item in enumerate(raw):
        table = f"levels[{rank}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each level must be a table")
            continue
        r.known(item, table, LEVEL_FIELDS)
        level_id = r.string(item, table, "id")
        r.ident(table, "id", level_id)
        by_spend = "spend_min" in item or "purchases_min" in item
        threshold = r.integer(item, table, "threshold", 0 if by_spend else None)
        spend_min = r.integer(item, table, "spend_min", 0, maximum=attribute_value_max)
        purchases_min = r.integer(item, table, "purchases_min", 0, maximum=purchases_min_max)
        level = Level(
            id=level_id,
            rank=rank,
            title=r.string(item, table, "title", level_id),
            threshold=threshold,
            keep=r.integer(item, table, "keep", 0),
            privileges=r.strings(item, table, "privileges"),
            name_colour=r.opt_string(item, table, "name_colour"),
            hall_of_fame=r.boolean(item, table, "hall_of_fame", False),
            spend_min=spend_min,
            purchases_min=purchases_min,
            keep_spend=r.integer(item, table, "keep_spend", spend_min, maximum=attribute_value_max),
            keep_purchases=r.integer(
                item, table, "keep_purchases", purchases_min, maximum=purchases_min_max
            ),
        )
        _check_level(r, table, level, out[-1] if out else None)
        out.append(level)
    if out and out[0].threshold != 0:
        r.problem("levels[0]", "threshold", "the first level must have threshold = 0")
    if out and (out[0].spend_min or out[0].purchases_min):
        field = "spend_min" if out[0].spend_min else "purchases_min"
        r.problem("levels[0]", field, "everyone starts at the first level: it cannot ask for "
                  "spend or purchases")  # fmt: skip
    if len({lv.id for lv in out}) != len(out):
        r.problem("levels", "id", "level ids must be unique")
    return tuple(out)


def _check_level(r: _Reader, table: str, level: Level, below: Level | None) -> None:
    """A level's criteria against themselves and the level below: each criterion at least
    the one below's and one of them more, so reaching a level reaches every level below."""
    if level.keep > level.threshold:
        r.problem(table, "keep", f"level {level.id!r}: keep ({level.keep}) cannot exceed "
                  f"its threshold ({level.threshold})")  # fmt: skip
    for keep, reach, words in (("keep_spend", "spend_min", "spend"),
                               ("keep_purchases", "purchases_min", "purchases")):  # fmt: skip
        kept, needed = getattr(level, keep), getattr(level, reach)
        if needed and kept > needed:
            r.problem(table, keep, f"level {level.id!r}: {keep} ({kept}) cannot exceed "
                      f"{reach} ({needed}): reaching it would already warn of {words}")  # fmt: skip
    if below is None:
        return
    if not (level.by_spend or below.by_spend):  # a ladder of points, as it always was
        if level.threshold <= below.threshold:
            r.problem(table, "threshold", f"level {level.id!r} must need more points than "
                      f"{below.id!r} ({below.threshold})")  # fmt: skip
        return
    for name, words in LEVEL_CRITERIA:
        if getattr(level, name) < getattr(below, name):
            r.problem(table, name, f"level {level.id!r} cannot need less {words} than "
                      f"{below.id!r} ({getattr(below, name)})")  # fmt: skip
    if all(getattr(level, name) == getattr(below, name) for name, _ in LEVEL_CRITERIA):
        r.problem(table, "threshold", f"level {level.id!r} must need more than {below.id!r}: "
                  "raise threshold, spend_min or purchases_min")  # fmt: skip


def _level_review(r: _Reader, data: dict[str, Any], levels: tuple[Level, ...]) -> LevelReview:
    table = "level_review"
    r.known(data, table, {"window_days", "grace_days", "floor", "purchase_kind",
                          "amount_attribute"})  # fmt: skip
    review = LevelReview(
        window_days=r.integer(data, table, "window_days", 90, 1, 3660),
        grace_days=r.integer(data, table, "grace_days", 30, 0, 3660),
        floor=r.opt_string(data, table, "floor"),
        purchase_kind=r.string(data, table, "purchase_kind", "purchase"),
        amount_attribute=r.string(data, table, "amount_attribute", "amount"),
    )
    r.ident(table, "purchase_kind", review.purchase_kind)
    r.ident(table, "amount_attribute", review.amount_attribute)
    if review.floor is not None and review.floor not in {lv.id for lv in levels}:
        r.problem(table, "floor", f"names unknown level {review.floor!r}")
    return review


def _check_spend_kind(
    r: _Reader, review: LevelReview, levels: tuple[Level, ...], kinds: set[str]
) -> None:
    """A ladder with spend criteria counts the purchase kind: some rule must record it."""
    spending = next((lv for lv in levels if lv.by_spend), None)
    if spending is None or review.purchase_kind in kinds:
        return
    r.problem("level_review", "purchase_kind", f"level {spending.id!r} counts spend, but no "
              f"rule records activity kind {review.purchase_kind!r}: add a rule of that kind (e.g. "
              f"[rules.purchase] with kind = {review.purchase_kind!r})")  # fmt: skip


def _koc(r: _Reader, data: dict[str, Any]) -> KocProgram | None:
    table = "koc"
    r.known(data, table, {"note_kinds", "metrics_kind", "interactions_attribute", "tiers",
                          "review_recent_notes", "review_min_interactions"})  # fmt: skip
    tiers: list[KocTier] = []
    raw_tiers = data.get("tiers", [])
    if not isinstance(raw_tiers, list) or not raw_tiers:
        r.problem(table, "tiers", "at least one [[koc.tiers]] entry is required")
        raw_tiers = []
    for rank, item in enumerate(raw_tiers):
        tt = f"koc.tiers[{rank}]"
        if not isinstance(item, dict):
            r.problem(tt, "", "each tier must be a table")
            continue
        r.known(item, tt, {"id", "title", "min_notes", "within_days", "viral_interactions",
                           "privileges"})  # fmt: skip
        tier_id = r.string(item, tt, "id")
        r.ident(tt, "id", tier_id)
        tiers.append(
            KocTier(
                id=tier_id,
                rank=rank,
                title=r.string(item, tt, "title", tier_id),
                min_notes=r.integer(item, tt, "min_notes", 0),
                within_days=r.opt_integer(item, tt, "within_days", minimum=1),
                viral_interactions=r.opt_integer(item, tt, "viral_interactions", minimum=1),
                privileges=r.strings(item, tt, "privileges"),
            )
        )
        if not tiers[-1].min_notes and tiers[-1].viral_interactions is None:
            r.problem(tt, "min_notes", f"tier {tier_id!r} needs min_notes or viral_interactions")
        elif tiers[-1].viral_interactions is not None and tiers[-1].min_notes:
            r.problem(tt, "min_notes", f"tier {tier_id!r}: a viral tier is reached by one note "
                      "with viral_interactions; drop min_notes")  # fmt: skip
    if len({t.id for t in tiers}) != len(tiers):
        r.problem(table, "tiers", "KOC tier ids must be unique")
    note_kinds = r.strings(data, table, "note_kinds")
    if not note_kinds:
        r.problem(table, "note_kinds", "name at least one activity kind that publishes a note")
    return KocProgram(
        note_kinds=note_kinds,
        metrics_kind=r.string(data, table, "metrics_kind", "note_metrics"),
        interactions_attribute=r.string(data, table, "interactions_attribute", "interactions"),
        tiers=tuple(tiers),
        review_recent_notes=r.integer(data, table, "review_recent_notes", 3, 1, 100),
        review_min_interactions=r.integer(data, table, "review_min_interactions", 100),
    )


HONOR_FIELDS = {"title", "description", "manual", "trigger", "kinds", "rule", "level",
                "interactions", "tiers", "hall_of_fame", "max_holders"}  # fmt: skip


def _honors(
    r: _Reader, data: dict[str, Any], rule_ids: set[str], level_ids: set[str]
) -> tuple[Honor, ...]:
    out: list[Honor] = []
    for honor_id, raw in data.items():
        table = f"honors.{honor_id}"
        r.ident(table, "", honor_id)
        if not isinstance(raw, dict):
            r.problem("honors", honor_id, "must be a table")
            continue
        r.known(raw, table, HONOR_FIELDS)
        manual = r.boolean(raw, table, "manual", False)
        trigger = r.opt_string(raw, table, "trigger")
        tiers: list[HonorTier] = []
        raw_tiers = raw.get("tiers", [])
        if not isinstance(raw_tiers, list):
            r.problem(table, "tiers", "must be a list of {name, at} tables")
            raw_tiers = []
        for index, item in enumerate(raw_tiers):
            ht = f"{table}.tiers[{index}]"
            if not isinstance(item, dict):
                r.problem(ht, "", "each tier must be a table like {name='gold', at=100}")
                continue
            r.known(item, ht, {"name", "at"})
            name = r.string(item, ht, "name")
            tiers.append(HonorTier(name, r.integer(item, ht, "at", minimum=1)))
        honor = Honor(
            id=honor_id,
            title=r.string(raw, table, "title", honor_id),
            description=r.string(raw, table, "description", ""),
            manual=manual,
            trigger=trigger,
            kinds=r.strings(raw, table, "kinds"),
            rule=r.opt_string(raw, table, "rule"),
            level=r.opt_string(raw, table, "level"),
            interactions=r.opt_integer(raw, table, "interactions", minimum=1),
            tiers=tuple(tiers),
            hall_of_fame=r.boolean(raw, table, "hall_of_fame", False),
            max_holders=r.opt_integer(raw, table, "max_holders", minimum=1),
        )
        _check_honor(r, table, honor, rule_ids, level_ids)
        out.append(honor)
    return tuple(out)


def _check_honor(r: _Reader, table: str, h: Honor, rule_ids: set[str], level_ids: set[str]) -> None:
    if h.manual:
        if h.trigger is not None:
            r.problem(table, "trigger", "a manual honor has no trigger")
        return
    if h.trigger not in HONOR_TRIGGERS:
        r.problem(table, "trigger", f"must be one of {', '.join(HONOR_TRIGGERS)} "
                  "(or set manual = true)")  # fmt: skip
        return
    ats = [t.at for t in h.tiers]
    if h.trigger != "level_reached" and (not ats or ats != sorted(set(ats))):
        r.problem(table, "tiers", "needs at least one tier, with strictly increasing 'at'")
    if h.trigger == "activity_count" and not h.kinds:
        r.problem(table, "kinds", "an activity_count honor must name the kinds it counts")
    if h.trigger == "streak" and h.rule not in rule_ids:  # rule_ids: rules with a streak
        r.problem(table, "rule", f"must name an earning rule with a streak, got {h.rule!r}")
    if h.trigger == "level_reached" and h.level not in level_ids:
        r.problem(table, "level", f"must name a level, got {h.level!r}")
    if h.trigger == "viral_note" and h.interactions is None:
        r.problem(table, "interactions", "a viral_note honor needs the interactions threshold")


def _reward_tiers(r: _Reader, data: dict[str, Any]) -> tuple[RewardTier, ...]:
    out: list[RewardTier] = []
    for rank, (tier_id, raw) in enumerate(data.items()):
        table = f"reward_tiers.{tier_id}"
        r.ident(table, "", tier_id)
        if not isinstance(raw, dict):
            r.problem("reward_tiers", tier_id, "must be a table")
            continue
        r.known(raw, table, {"title", "description"})
        out.append(RewardTier(tier_id, rank, r.string(raw, table, "title", tier_id),
                              r.string(raw, table, "description", "")))  # fmt: skip
    return tuple(out)


REWARD_FIELDS = {"title", "description", "tier", "price", "stock", "per_member_limit",
                 "min_level", "available_from", "available_until", "fulfilment"}  # fmt: skip


def _rewards(
    r: _Reader, data: dict[str, Any], tier_ids: set[str], level_ids: set[str]
) -> tuple[Reward, ...]:
    out: list[Reward] = []
    for reward_id, raw in data.items():
        table = f"rewards.{reward_id}"
        r.ident(table, "", reward_id)
        if not isinstance(raw, dict):
            r.problem("rewards", reward_id, "must be a table")
            continue
        r.known(raw, table, REWARD_FIELDS)
        tier = r.string(raw, table, "tier")
        if tier and tier not in tier_ids:
            r.problem(table, "tier", f"names unknown reward tier {tier!r}")
        stock: int | None
        if raw.get("stock", "unlimited") == "unlimited":
            stock = None
        elif isinstance(raw["stock"], str):
            r.problem(
                table, "stock", f'must be a whole number or "unlimited", got {raw["stock"]!r}'
            )
            stock = None
        else:
            stock = r.integer(raw, table, "stock")
        min_level = r.opt_string(raw, table, "min_level")
        if min_level is not None and min_level not in level_ids:
            r.problem(table, "min_level", f"names unknown level {min_level!r}")
        fulfilment = r.string(raw, table, "fulfilment", "manual")
        if fulfilment not in FULFILMENTS:
            r.problem(table, "fulfilment", f"must be one of {', '.join(FULFILMENTS)}")
        reward = Reward(
            id=reward_id,
            title=r.string(raw, table, "title", reward_id),
            description=r.string(raw, table, "description", ""),
            tier=tier,
            price=r.integer(raw, table, "price", minimum=1),
            stock=stock,
            per_member_limit=r.opt_integer(raw, table, "per_member_limit", minimum=1),
            min_level=min_level,
            available_from=r.when(raw, table, "available_from"),
            available_until=r.when(raw, table, "available_until"),
            fulfilment=fulfilment,
        )
        if (
            reward.available_from
            and reward.available_until
            and reward.available_until <= reward.available_from
        ):
            r.problem(table, "available_until", "must be later than available_from")
        out.append(reward)
    return tuple(out)


QUEST_FIELDS = {"id", "title", "guideline", "kind", "starts", "ends", "steps", "ordered",
                "opt_in", "claim", "capacity", "eligibility", "reward"}  # fmt: skip
quests_max = 200
quest_steps_max = 20


def _quests(
    r: _Reader,
    raw: Any,
    rules: tuple[Rule, ...],
    koc: KocProgram | None,
    honors: tuple[Honor, ...],
    rewards: tuple[Reward, ...],
    level_ids: set[str],
) -> tuple[Quest, ...]:
    if not isinstance(raw, list):
        r.problem("quests", "", "must be an array of tables ([[quests]])")
        return ()
    if len(raw) > quests_max:
        r.problem("quests", "", f"at most {quests_max} quests are allowed")
    kinds = recorded_kinds(rules, koc)
    out: list[Quest] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        table = f"quests[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each quest must be a table")
            continue
        r.known(item, table, QUEST_FIELDS)
        quest_id = r.string(item, table, "id")
        r.ident(table, "id", quest_id)
        if quest_id in seen:
            r.problem(table, "id", f"quest {quest_id!r} is declared twice")
        seen.add(quest_id)
        kind = _quest_kind(r, item, table)
        steps = _quest_steps(r, item.get("steps"), table, kinds)
        starts, ends = r.when(item, table, "starts"), r.when(item, table, "ends")
        if starts is not None and ends is not None and ends <= starts:
            r.problem(table, "ends", "must be later than starts")
        eligibility = r.table(item, table, "eligibility")
        et = f"{table}.eligibility"
        r.known(eligibility, et, {"min_level", "koc_tier", "honor"})
        min_level = r.opt_string(eligibility, et, "min_level")
        if min_level is not None and min_level not in level_ids:
            r.problem(et, "min_level", f"names unknown level {min_level!r}")
        koc_tier = r.opt_string(eligibility, et, "koc_tier")
        if koc_tier is not None and (koc is None or koc_tier not in {t.id for t in koc.tiers}):
            r.problem(et, "koc_tier", f"names unknown KOC tier {koc_tier!r}")
        needed_honor = r.opt_string(eligibility, et, "honor")
        honor_ids = {h.id for h in honors}
        if needed_honor is not None and needed_honor not in honor_ids:
            r.problem(et, "honor", f"names unknown honor {needed_honor!r}")
        reward = _quest_reward(r, item, table, honors, rewards)
        out.append(
            Quest(
                id=quest_id,
                title=r.string(item, table, "title", quest_id.replace("_", " ").capitalize()),
                guideline=r.string(item, table, "guideline", ""),
                kind=kind,
                steps=steps,
                reward=reward,
                starts=starts,
                ends=ends,
                ordered=r.boolean(item, table, "ordered", False),
                opt_in=r.boolean(item, table, "opt_in", False),
                claim=r.boolean(item, table, "claim", False),
                capacity=r.opt_integer(item, table, "capacity", minimum=1),
                min_level=min_level,
                koc_tier=koc_tier,
                honor=needed_honor,
            )
        )
    return tuple(out)


def _quest_kind(r: _Reader, item: Mapping[str, Any], table: str) -> QuestKind:
    value = r.string(item, table, "kind", "one_off")
    for kind in QUEST_KINDS:
        if value == kind:
            return kind
    r.problem(table, "kind", f"{value!r} must be one of {', '.join(QUEST_KINDS)}")
    return "one_off"


def _quest_steps(r: _Reader, raw: Any, table: str, kinds: set[str]) -> tuple[QuestStep, ...]:
    if not isinstance(raw, list) or not raw:
        r.problem(table, "steps", "a quest needs at least one step ([[quests.steps]])")
        return ()
    if len(raw) > quest_steps_max:
        r.problem(table, "steps", f"at most {quest_steps_max} steps are allowed")
    steps: list[QuestStep] = []
    for index, item in enumerate(raw):
        st = f"{table}.steps[{index}]"
        if not isinstance(item, dict):
            r.problem(st, "", "each step must be a table like {kind = 'post', count = 3}")
            continue
        r.known(item, st, {"kind", "count", "when"})
        kind = r.string(item, st, "kind")
        if kind and kind not in kinds:
            known = ", ".join(sorted(kinds))
            r.problem(st, "kind", f"no rule or KOC program knows activity kind {kind!r} ({known})")
        count = r.integer(item, st, "count", 1, minimum=1, maximum=10_000)
        steps.append(QuestStep(kind, count, _conditions(r, item, st)))
    return tuple(steps)


def _quest_reward(
    r: _Reader,
    item: Mapping[str, Any],
    table: str,
    honors: tuple[Honor, ...],
    rewards: tuple[Reward, ...],
) -> QuestReward:
    raw = r.table(item, table, "reward")
    rt = f"{table}.reward"
    r.known(raw, rt, {"points", "honor", "coupon"})
    reward = QuestReward(
        points=r.integer(raw, rt, "points", 0),
        honor=r.opt_string(raw, rt, "honor"),
        coupon=r.opt_string(raw, rt, "coupon"),
    )
    granted = next((h for h in honors if h.id == reward.honor), None)
    if reward.honor is not None and (granted is None or not granted.manual):
        r.problem(rt, "honor", f"{reward.honor!r} must name a manual honor")
    if reward.coupon is not None:
        pool = next((w for w in rewards if w.id == reward.coupon), None)
        if pool is None or pool.fulfilment != "coupon_code":
            r.problem(
                rt, "coupon", f"{reward.coupon!r} must name a reward fulfilled by coupon_code"
            )
    if not any(key in raw for key in ("points", "honor", "coupon")):
        r.problem(rt, "", "a quest must reward something: points, an honor or a coupon")
    return reward
