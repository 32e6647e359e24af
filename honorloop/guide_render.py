"""The contribution-value guide rendered for people: text for a terminal and markdown
for a wiki. The guide itself (data and summaries) comes from `domain.guide`."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.guide import (
    Guide,
    GuideCampaign,
    GuideContest,
    GuideFriendQuest,
    GuideKoc,
    GuideLevel,
    GuideReward,
    GuideRole,
    GuideTask,
    number,
    points,
    text_width,
)


def render_text(guide: Guide, width: int = text_width) -> str:
    title = f"{guide.name} — contribution value guide"
    out: list[str] = [title, "=" * len(title)]
    if guide.description:
        out += _wrap(guide.description, width)
    out.append("")
    for line in (guide.calendar, guide.daily_cap.summary):
        out += _wrap(line, width)
    if guide.expiry:
        out += _wrap(guide.expiry.summary, width)
    sections = [("How to earn", _text_rules(guide, width)), ("Levels", _text_levels(guide, width))]
    if guide.koc is not None:
        sections.append(("KOC tiers", _text_koc(guide.koc, width)))
    sections.append(("Honors", _text_honors(guide, width)))
    if guide.quests:
        sections.append(("Quests", _text_quests(guide, width)))
    if guide.tasks:
        sections.append(("Assigned tasks", _text_entries(guide.tasks, width)))
    if guide.contests:
        sections.append(("Contests", _text_entries(guide.contests, width)))
    if guide.seasons:
        sections.append(("Seasons", _wrap(guide.seasons, width, indent=2)))
    if guide.roles:
        sections.append(("Honor roles", _text_entries(guide.roles, width)))
    if guide.campaigns:
        sections.append(("Campaigns", _text_entries(guide.campaigns, width)))
    if guide.friend_quests:
        sections.append(("With friends", _text_entries(guide.friend_quests, width)))
    if guide.paid_tiers:
        tiers = [line for t in guide.paid_tiers for line in _wrap(t, width, indent=2)]
        sections.append(("Paid membership", tiers))
    if guide.referrals:
        sections.append(("Referrals", _wrap(guide.referrals, width, indent=2)))
    sections.append(("Rewards", _text_rewards(guide, width)))
    for heading, lines in sections:
        while out and not out[-1].strip():
            out.pop()
        out += ["", "", heading.upper(), "-" * len(heading), "", *lines]
    return "\n".join(out).rstrip() + "\n"


def _text_rules(guide: Guide, width: int) -> list[str]:
    out: list[str] = []
    for rule in guide.rules:
        head = f"  {rule.title} "
        tail = f" {rule.earns}"
        out.append(head + "." * max(width - len(head) - len(tail), 3) + tail)
        if rule.description:
            out += _wrap(rule.description, width, indent=4)
        if rule.streak is not None:
            out += _wrap(rule.streak.summary, width, indent=4)
        for line in rule.restrictions:
            out += _wrap(line, width, indent=4)
        out.append("")
    return out


def _text_levels(guide: Guide, width: int) -> list[str]:
    out = [*_wrap(guide.level_review.summary, width), ""]
    by_spend = any(lv.spend_min or lv.purchases_min or lv.keep_spend for lv in guide.levels)
    keep = f"Keep ({guide.level_review.window_days} d)"
    rows = [["", "Level", "Reach at", keep, "Colour"]]
    rows += [
        [
            str(level.rank + 1),
            level.title,
            level.reached_by if by_spend else number(level.threshold),
            (level.kept_by or "—") if by_spend else number(level.keep) if level.keep else "—",
            level.name_colour or "—",
        ]
        for level in guide.levels
    ]
    table = _columns(rows, "rllll" if by_spend else "rlrrl")
    out.append("  " + table[0])
    for level, line in zip(guide.levels, table[1:], strict=True):
        out.append("  " + line)
        perks = _level_perks(level)
        if perks:
            out += _wrap("; ".join(perks), width, indent=7)
    return out


def _text_koc(koc: GuideKoc, width: int) -> list[str]:
    out = _wrap(koc.summary, width)
    for tier in koc.tiers:
        out += ["", f"  {tier.title}: {tier.criteria}"]
        if tier.privileges:
            out += _wrap("; ".join(tier.privileges), width, indent=4)
    return out


def _text_honors(guide: Guide, width: int) -> list[str]:
    out: list[str] = []
    for honor in guide.honors:
        out.append(f"  {honor.title}" + ("  (granted by the team)" if honor.manual else ""))
        if honor.description:
            out += _wrap(honor.description, width, indent=4)
        out += _wrap(honor.criteria, width, indent=4)
        out.append("")
    return out


def _text_entries(
    entries: Sequence[GuideTask | GuideContest | GuideRole | GuideFriendQuest | GuideCampaign],
    width: int,
) -> list[str]:
    """Title, guideline and what it pays: tasks (and the entries shaped like them)."""
    out: list[str] = []
    for entry in entries:
        out.append(f"  {entry.title}")
        if entry.guideline:
            out += _wrap(entry.guideline, width, indent=4)
        out += _wrap(entry.summary, width, indent=4)
        out.append("")
    return out


def _text_quests(guide: Guide, width: int) -> list[str]:
    out: list[str] = []
    for quest in guide.quests:
        out.append(f"  {quest.title}")
        if quest.guideline:
            out += _wrap(quest.guideline, width, indent=4)
        out += _wrap(quest.summary, width, indent=4)
        out.append("")
    return out


def _text_rewards(guide: Guide, width: int) -> list[str]:
    out: list[str] = []
    every = [r for tier in guide.reward_tiers for r in tier.rewards]
    rows = [[r.title, points(r.price, guide.currency), *_reward_cells(r)[:2]] for r in every]
    lines = dict(zip((r.id for r in every), _columns(rows, "lrll"), strict=True))
    for tier in guide.reward_tiers:
        out.append(f"  {tier.title}" + (f" — {tier.description}" if tier.description else ""))
        for reward in tier.rewards:
            out.append("    " + lines[reward.id])
            if reward.description:
                out += _wrap(reward.description, width, indent=6)
            details = f"{_reward_cells(reward)[2]} · {reward.fulfilment_summary}"
            out += _wrap(details, width, indent=6)
            window = _window(reward, guide.timezone)
            if window:
                out += _wrap(window, width, indent=6)
        out.append("")
    return out


def _level_perks(level: GuideLevel) -> list[str]:
    perks = list(level.privileges)
    if level.hall_of_fame and not any("hall of fame" in p.lower() for p in perks):
        perks.append("Listed in the Hall of Fame")
    return perks


def _reward_cells(reward: GuideReward) -> list[str]:
    stock = "unlimited stock" if reward.stock is None else f"{number(reward.stock)} in stock"
    limit = f"max {reward.per_member_limit} per member" if reward.per_member_limit else "no limit"
    gate = f"{reward.min_level_title} and up" if reward.min_level_title else "every level"
    return [stock, limit, gate]


def _window(reward: GuideReward, timezone: str) -> str:
    zone = ZoneInfo(timezone)

    def local(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    if reward.available_from and reward.available_until:
        return f"available {local(reward.available_from)} to {local(reward.available_until)}"
    if reward.available_from:
        return f"available from {local(reward.available_from)}"
    if reward.available_until:
        return f"available until {local(reward.available_until)}"
    return ""


def _heading(text: str) -> list[str]:
    return ["", text.upper(), "-" * len(text), ""]


def _wrap(text: str, width: int, indent: int = 0) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, width, initial_indent=pad, subsequent_indent=pad) or [pad]


def _columns(rows: Sequence[Sequence[str]], aligns: str) -> list[str]:
    """Rows as aligned columns; `aligns` has one 'l' or 'r' per column."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if align == "r" else cell.ljust(w)
            for cell, w, align in zip(row, widths, aligns, strict=True)
        ]
        lines.append("   ".join(cells).rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# Markdown for docs and wikis


def render_markdown(guide: Guide) -> str:
    out: list[str] = [f"# {_md(guide.name)} — contribution value guide", ""]
    if guide.description:
        out += [_md(guide.description), ""]
    out += [f"- {_md(guide.calendar)}", f"- {_md(guide.daily_cap.summary)}"]
    if guide.expiry:
        out.append(f"- {_md(guide.expiry.summary)}")

    out += ["", "## How to earn", ""]
    out += ["| Contribution | Earns | Conditions and limits |", "|---|---|---|"]
    for rule in guide.rules:
        what = f"**{_md(rule.title)}**" + (
            f"<br>{_md(rule.description)}" if rule.description else ""
        )
        earns = _md(rule.earns) + (f"<br>{_md(rule.streak.summary)}" if rule.streak else "")
        out.append(f"| {what} | {earns} | {'<br>'.join(_md(x) for x in rule.restrictions)} |")

    out += ["", "## Levels", "", _md(guide.level_review.summary), ""]
    keep = f"Keep ({guide.level_review.window_days} days)"
    out += [
        f"| # | Level | Reach at | {keep} | Name colour | Privileges |",
        "|---:|---|---:|---:|---|---|",
    ]
    by_spend = any(lv.spend_min or lv.purchases_min or lv.keep_spend for lv in guide.levels)
    for lv in guide.levels:
        perks = _level_perks(lv)
        reach = _md(lv.reached_by) if by_spend else number(lv.threshold)
        kept = _md(lv.kept_by or "—") if by_spend else number(lv.keep) if lv.keep else "—"
        out.append(
            f"| {lv.rank + 1} | {_md(lv.title)} | {reach} | {kept} | "
            f"{_md(lv.name_colour or '—')} | {'<br>'.join(_md(p) for p in perks)} |"
        )

    if guide.koc is not None:
        out += ["", "## KOC tiers", "", _md(guide.koc.summary), ""]
        out += ["| Tier | Reached by | Privileges |", "|---|---|---|"]
        for koc_tier in guide.koc.tiers:
            koc_perks = "<br>".join(_md(p) for p in koc_tier.privileges)
            out.append(f"| {_md(koc_tier.title)} | {_md(koc_tier.criteria)} | {koc_perks} |")

    out += ["", "## Honors", "", "| Honor | How | |", "|---|---|---|"]
    for honor in guide.honors:
        how = "granted by the team" if honor.manual else "automatic"
        text = _md(honor.description) + ("<br>" if honor.description else "") + _md(honor.criteria)
        out.append(f"| **{_md(honor.title)}** | {how} | {text} |")

    if guide.quests:
        out += ["", "## Quests", "", "| Quest | What to do and what it pays |", "|---|---|"]
        for quest in guide.quests:
            text = _md(quest.guideline) + ("<br>" if quest.guideline else "") + _md(quest.summary)
            out.append(f"| **{_md(quest.title)}** | {text} |")

    if guide.tasks:
        out += ["", "## Assigned tasks", "", "| Task | What to do and what it pays |", "|---|---|"]
        for task in guide.tasks:
            text = _md(task.guideline) + ("<br>" if task.guideline else "") + _md(task.summary)
            out.append(f"| **{_md(task.title)}** | {text} |")

    if guide.contests:
        out += ["", "## Contests", "", "| Contest | How to win and the prizes |", "|---|---|"]
        for contest in guide.contests:
            text = _md(contest.guideline) + ("<br>" if contest.guideline else "")
            out.append(f"| **{_md(contest.title)}** | {text}{_md(contest.summary)} |")

    if guide.friend_quests:
        out += ["", "## With friends", "", "| Quest | How it works and what it pays |", "|---|---|"]
        for friendly in guide.friend_quests:
            text = _md(friendly.guideline) + "<br>" + _md(friendly.summary)
            out.append(f"| **{_md(friendly.title)}** | {text} |")

    if guide.seasons:
        out += ["", "## Seasons", "", _md(guide.seasons)]

    if guide.roles:
        out += ["", "## Honor roles", "", "| Role | Duties and how to hold it |", "|---|---|"]
        for role in guide.roles:
            text = _md(role.guideline) + ("<br>" if role.guideline else "") + _md(role.summary)
            out.append(f"| **{_md(role.title)}** | {text} |")
    if guide.campaigns:
        out += ["", "## Campaigns", "", "| Campaign | What it is and how places are filled |",
                "|---|---|"]  # fmt: skip
        for campaign in guide.campaigns:
            text = _md(campaign.guideline) + "<br>" + _md(campaign.summary)
            out.append(f"| **{_md(campaign.title)}** | {text} |")
    if guide.paid_tiers:
        out += ["", "## Paid membership", "", *[f"- {_md(t)}" for t in guide.paid_tiers]]
    if guide.referrals:
        out += ["", "## Referrals", "", _md(guide.referrals)]

    out += ["", "## Rewards", ""]
    for tier in guide.reward_tiers:
        out += [f"### {_md(tier.title)}", ""]
        if tier.description:
            out += [_md(tier.description), ""]
        out += [
            "| Reward | Price | Stock | Per member | Level | Delivery |",
            "|---|---:|---|---|---|---|",
        ]
        for r in tier.rewards:
            stock, limit, gate = _reward_cells(r)
            window = _window(r, guide.timezone)
            name = f"**{_md(r.title)}**" + (f"<br>{_md(r.description)}" if r.description else "")
            name += f"<br>{window}" if window else ""
            out.append(
                f"| {name} | {points(r.price, guide.currency)} | {stock} | {limit} | "
                f"{_md(gate)} | {_md(r.fulfilment_summary)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------------------------------
# Small words
