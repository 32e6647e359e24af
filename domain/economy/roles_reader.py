"""The `[[roles]]` tables of an economy file: seats of responsibility held for a term."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import ROLE_ENTRIES, Honor, Role

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

ROLE_FIELDS = {"id", "title", "duties", "seats", "term_days", "entry", "nominated_by",
               "min_level", "honors", "honor", "mentees", "mentee_level",
               "mentor_honor"}  # fmt: skip
roles_max = 50
role_seats_max = 10_000
role_term_days_max = 3_660
role_mentees_max = 100


def read_roles(
    r: _Reader, raw: Any, honors: tuple[Honor, ...], level_ids: set[str]
) -> tuple[Role, ...]:
    if not isinstance(raw, list):
        r.problem("roles", "", "must be an array of tables ([[roles]])")
        return ()
    if len(raw) > roles_max:
        r.problem("roles", "", f"at most {roles_max} roles are allowed")
    by_honor = {h.id: h for h in honors}
    out: list[Role] = []
    for index, item in enumerate(raw):
        table = f"roles[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each role must be a table")
            continue
        r.known(item, table, ROLE_FIELDS)
        role_id = r.string(item, table, "id")
        r.ident(table, "id", role_id)
        if any(role.id == role_id for role in out):
            r.problem(table, "id", f"role {role_id!r} is declared twice")
        entry = r.string(item, table, "entry", "appointment")
        if entry not in ROLE_ENTRIES:
            r.problem(table, "entry", f"{entry!r} must be one of {', '.join(ROLE_ENTRIES)}")
        role = Role(
            id=role_id,
            title=r.string(item, table, "title", role_id.replace("_", " ").capitalize()),
            duties=r.string(item, table, "duties", ""),
            seats=r.integer(item, table, "seats", 1, 1, role_seats_max),
            term_days=r.integer(item, table, "term_days", 90, 1, role_term_days_max),
            entry=entry,
            nominated_by=r.strings(item, table, "nominated_by"),
            min_level=r.opt_string(item, table, "min_level"),
            honors=r.strings(item, table, "honors"),
            honor=r.opt_string(item, table, "honor"),
            mentees=r.integer(item, table, "mentees", 0, 0, role_mentees_max),
            mentee_level=r.opt_string(item, table, "mentee_level"),
            mentor_honor=r.opt_string(item, table, "mentor_honor"),
        )
        _check_role(r, table, role, by_honor, level_ids)
        out.append(role)
    role_ids = {role.id for role in out}
    for index, role in enumerate(out):
        for other in role.nominated_by:
            if other not in role_ids:
                r.problem(f"roles[{index}]", "nominated_by", f"names unknown role {other!r}")
            elif other == role.id:
                r.problem(f"roles[{index}]", "nominated_by",
                          "holders of a role cannot nominate for that same role")  # fmt: skip
    return tuple(out)


def _check_role(
    r: _Reader, table: str, role: Role, honors: dict[str, Honor], level_ids: set[str]
) -> None:
    if not role.duties.strip():
        r.problem(table, "duties", "a role tells its holders their duties")
    if role.min_level is not None and role.min_level not in level_ids:
        r.problem(table, "min_level", f"names unknown level {role.min_level!r}")
    for honor_id in role.honors:
        if honor_id not in honors:
            r.problem(table, "honors", f"names unknown honor {honor_id!r}")
    if role.nominated_by and role.entry != "nomination":
        r.problem(table, "nominated_by", "only a role entered by nomination names nominators")
    for key in ("honor", "mentor_honor"):
        named: str | None = getattr(role, key)
        if named is None:
            continue
        honor = honors.get(named)
        if honor is None:
            r.problem(table, key, f"names unknown honor {named!r}")
        elif not honor.manual:
            r.problem(table, key, f"honor {named!r} must be manual (manual = true)")
        elif honor.max_holders is not None and honor.max_holders < role.seats:
            r.problem(table, key, f"honor {named!r} has {honor.max_holders} seats, fewer "
                      f"than the role's {role.seats}")  # fmt: skip
    if role.mentees == 0:
        for key in ("mentee_level", "mentor_honor"):
            if getattr(role, key) is not None:
                r.problem(table, key, "only a mentor role (mentees >= 1) declares it")
        return
    if role.mentee_level is None:
        r.problem(table, "mentee_level", "a mentor role names the level a mentee must reach")
    elif role.mentee_level not in level_ids:
        r.problem(table, "mentee_level", f"names unknown level {role.mentee_level!r}")
    mentor_honor = honors.get(role.mentor_honor or "")
    if mentor_honor is not None and mentor_honor.manual:
        ats = [tier.at for tier in mentor_honor.tiers]
        if not ats or ats != sorted(set(ats)):
            r.problem(table, "mentor_honor", f"honor {mentor_honor.id!r} needs tiers with "
                      "strictly increasing 'at' (credited mentees)")  # fmt: skip
