"""The ledger's invariants, checked on the in-memory store at the end of a run:
every transfer sums to zero; cached balances equal the sum of their entries; no account that
may not go negative is; no stock is negative; issued − spent − expired (± adjustments)
equals the points members hold."""

from __future__ import annotations

from domain.ledger import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION, OwnerKind
from persistence.memory import MemoryState

problems_max = 20


def ledger_problems(state: MemoryState) -> list[str]:
    """Every broken invariant (at most `problems_max`), or an empty list."""
    problems: list[str] = []
    for transfer in state.transfers:
        total = sum(p.amount for p in transfer.postings)
        if total != 0:
            problems.append(f"transfer {transfer.id} sums to {total}")
    # A store without history folded its postings as they were committed (and noted any
    # transfer not summing to zero): the totals it kept stand for the entries it dropped.
    problems.extend(f"transfer {i} does not sum to zero" for i in state.unbalanced)
    from_entries = state.entry_totals()
    for account in sorted(set(from_entries) | set(state.balances)):
        cached = state.balances.get(account, 0)
        summed = from_entries.get(account, 0)
        if cached != summed:
            problems.append(f"account {account}: cached {cached} != entries {summed}")
        if not account.may_go_negative and cached < 0:
            problems.append(f"account {account} is negative ({cached})")
    for reward_id, left in sorted(state.stock.items()):
        if left is not None and left < 0:
            problems.append(f"stock of {reward_id} is negative ({left})")
    held_by_members = sum(v for a, v in state.balances.items() if a.owner_kind is OwnerKind.MEMBER)
    issued = -state.balances.get(ISSUANCE, 0)
    adjusted = -state.balances.get(ADJUSTMENT, 0)
    spent = state.balances.get(REDEMPTION, 0)
    expired = state.balances.get(EXPIRY, 0)
    if issued + adjusted - spent - expired != held_by_members:
        problems.append(
            f"issued {issued} + adjusted {adjusted} - spent {spent} - expired {expired} "
            f"!= outstanding {held_by_members}"
        )
    return problems[:problems_max]
