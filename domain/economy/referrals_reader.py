"""The `[referrals]` table of an economy file: referral rewards, commission and savings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.referrals import ReferralProgram, basis_points_whole, referral_levels_max

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

REFERRAL_FIELDS = {"qualifying_kinds", "within_days", "referrer_points", "welcome_points",
                   "commission", "minor_units_per_point", "commission_pending_days", "cap",
                   "cap_period_days", "farming_min_invitees", "farming_unqualified_percent",
                   "distributor_levels", "distributor_share", "purchase_kind",
                   "amount_attribute"}  # fmt: skip
referral_within_days_max = 366
referral_pending_days_max = 366
referral_cap_max = 10_000
T = "referrals"


def read_referrals(r: _Reader, raw: Any, statuses: set[str]) -> ReferralProgram | None:
    """The program, or None after reporting its problems. `statuses` are the declared
    level ids and KOC tier ids a distributor may hold."""
    if not isinstance(raw, dict):
        r.problem(T, "", "must be a table ([referrals])")
        return None
    r.known(raw, T, REFERRAL_FIELDS)
    kinds = r.strings(raw, T, "qualifying_kinds")
    if not kinds:
        r.problem(T, "qualifying_kinds", "name at least one activity kind that qualifies")
    for kind in kinds:
        r.ident(T, "qualifying_kinds", kind)
    shares = _commission(r, raw)
    distributors = r.strings(raw, T, "distributor_levels")
    for status in distributors:
        if status not in statuses:
            r.problem(T, "distributor_levels", f"names unknown level or KOC tier {status!r}")
    distributor_share = r.integer(raw, T, "distributor_share", 0, 0, basis_points_whole)
    if distributor_share and not distributors:
        r.problem(T, "distributor_share", "needs distributor_levels (who saves on purchases)")
    if "cap" in raw:
        cap: int | None = r.integer(raw, T, "cap", minimum=1, maximum=referral_cap_max)
    else:
        cap = None
    program = ReferralProgram(
        qualifying_kinds=kinds,
        within_days=r.integer(raw, T, "within_days", 30, 1, referral_within_days_max),
        referrer_points=r.integer(raw, T, "referrer_points", 0),
        welcome_points=r.integer(raw, T, "welcome_points", 0),
        commission=shares,
        minor_units_per_point=r.integer(raw, T, "minor_units_per_point", 100, 1, 1_000_000),
        commission_pending_days=r.integer(
            raw, T, "commission_pending_days", 14, 0, referral_pending_days_max
        ),
        cap=cap,
        cap_period_days=r.integer(raw, T, "cap_period_days", 30, 1, referral_within_days_max),
        farming_min_invitees=r.integer(raw, T, "farming_min_invitees", 5, 1, referral_cap_max),
        farming_unqualified_percent=r.integer(raw, T, "farming_unqualified_percent", 80, 1, 100),
        distributor_levels=distributors,
        distributor_share=distributor_share,
        purchase_kind=r.string(raw, T, "purchase_kind", "purchase"),
        amount_attribute=r.string(raw, T, "amount_attribute", "amount"),
    )
    r.ident(T, "purchase_kind", program.purchase_kind)
    r.ident(T, "amount_attribute", program.amount_attribute)
    if not program.referrer_points and not program.commission:
        r.problem(
            T, "referrer_points", "referrals must pay something: referrer_points or commission"
        )
    return program


def _commission(r: _Reader, raw: dict[str, Any]) -> tuple[int, ...]:
    value = raw.get("commission", [])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        r.problem(T, "commission", "must be a list of basis points per level, e.g. [500, 200]")
        return ()
    if len(value) > referral_levels_max:
        r.problem(
            T,
            "commission",
            f"commission goes at most {referral_levels_max} levels up, got {len(value)} levels",
        )
    for share in value:
        if not 1 <= share <= basis_points_whole:
            r.problem(T, "commission", f"each share must be 1..{basis_points_whole} basis points")
    if sum(value) > basis_points_whole:
        r.problem(T, "commission", "the shares together exceed the whole purchase")
    return tuple(value[:referral_levels_max])
