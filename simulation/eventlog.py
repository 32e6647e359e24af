"""The event log: an export of real (or simulated) member activity, one event a row.

Columns (CSV with a header; see docs/simulation.md, "Calibrating from an event log"):

    member_id    the member (any text)
    kind         an activity kind of the economy; `member_joined` for a registration;
                 `redemption` for a reward redeemed
    occurred_at  ISO 8601 with a UTC offset (2027-01-05T09:30:00+08:00); the day of an
                 event is the date in that offset
    subject_id   the activity's subject (a note, a post, ...), may be empty
    attributes   the activity's attributes as a JSON object ({"interactions": 812}), may
                 be empty
    reward_id    for `redemption` rows, the reward; empty otherwise

`simulated_log` writes the same rows from a simulated run (`Simulation(keep_log=True)`),
which is how the calibration is tested: parameters in, log out, parameters back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.commands import RecordActivity, RedeemReward, RegisterMember
from simulation.engine import LogEntry

COLUMNS = ("member_id", "kind", "occurred_at", "subject_id", "attributes", "reward_id")
JOINED = "member_joined"
REDEMPTION = "redemption"
rows_max = 20_000_000


class EventLogInvalid(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Event:
    member_id: str
    kind: str
    at: datetime
    subject_id: str | None = None
    attributes: tuple[tuple[str, Any], ...] = ()
    reward_id: str | None = None

    def attribute(self, name: str) -> Any:
        return next((v for k, v in self.attributes if k == name), None)


def simulated_log(log: Sequence[LogEntry]) -> list[Event]:
    """The event log of a simulated run's command stream (registrations, activities,
    redemptions that the services accepted or not: an export lists what members did)."""
    events: list[Event] = []
    for kind, payload in log:
        if kind == "register":
            assert isinstance(payload, RegisterMember)
            events.append(Event(payload.member_id or payload.handle, JOINED, payload.at))
        elif kind == "activities":
            for cmd in payload:
                assert isinstance(cmd, RecordActivity)
                attributes = tuple(sorted(cmd.attributes.items()))
                events.append(
                    Event(cmd.member_id, cmd.kind, cmd.occurred_at, cmd.subject_id, attributes)
                )
        elif kind == "redeem":
            cmd_r, redemption_id = payload
            assert isinstance(cmd_r, RedeemReward)
            if redemption_id is not None:
                events.append(
                    Event(cmd_r.member_id, REDEMPTION, cmd_r.at, reward_id=cmd_r.reward_id)
                )
    return events


def write_log(events: Iterable[Event]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in events:
        attributes = json.dumps(dict(e.attributes), sort_keys=True) if e.attributes else ""
        writer.writerow(
            (
                e.member_id,
                e.kind,
                e.at.isoformat(),
                e.subject_id or "",
                attributes,
                e.reward_id or "",
            )
        )
    return buffer.getvalue()


def read_log(text: str, source: str = "<events>") -> list[Event]:
    """Parse an event log; a bad row is an error naming its line and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c for c in ("member_id", "kind", "occurred_at") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise EventLogInvalid(f"{source}: missing column(s) {', '.join(missing)}")
    events: list[Event] = []
    for line, row in enumerate(reader, start=2):
        if len(events) >= rows_max:
            raise EventLogInvalid(f"{source}: more than {rows_max} rows")
        where = f"{source}, line {line}"
        member, kind = (row.get("member_id") or "").strip(), (row.get("kind") or "").strip()
        if not member or not kind:
            raise EventLogInvalid(f"{where}: member_id and kind must not be empty")
        try:
            at = datetime.fromisoformat((row.get("occurred_at") or "").strip())
        except ValueError as error:
            raise EventLogInvalid(f"{where}: occurred_at: {error}") from error
        if at.tzinfo is None:
            raise EventLogInvalid(f"{where}: occurred_at needs a UTC offset (e.g. +08:00)")
        raw = (row.get("attributes") or "").strip()
        attributes: tuple[tuple[str, Any], ...] = ()
        if raw:
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as error:
                raise EventLogInvalid(f"{where}: attributes: {error}") from error
            if not isinstance(parsed, dict):
                raise EventLogInvalid(f"{where}: attributes must be a JSON object")
            attributes = tuple(sorted(parsed.items()))
        reward = (row.get("reward_id") or "").strip() or None
        if kind == REDEMPTION and reward is None:
            raise EventLogInvalid(f"{where}: a redemption needs its reward_id")
        subject = (row.get("subject_id") or "").strip() or None
        events.append(Event(member, kind, at, subject, attributes, reward))
    events.sort(key=lambda e: e.at)
    return events
