"""Idempotency keys are scoped by caller and operation, not only by member.

Before, a key's scope was the member id, whoever sent it; now it is
`<caller>|<operation>|<member id>` (see `domain.idempotency`). Every stored key was sent by
the only caller its operation allows, so each moves to that caller's scope:

- an activity's key (recordActivity: services)   -> `service|record_activity|<member>`
- a redemption's key (redeemReward: the member)  -> `member:<member>|redeem_reward|<member>`
- an adjustment's key (adjustPoints: operators)  -> `operator|adjust_points|<member>`

An adjustment's fingerprint no longer includes the operator who sent it (a retry by
another operator replays), so stored adjustment fingerprints are recomputed from the
adjustment's own ledger entry, with the formula of `domain.commands.fingerprint` at this
revision (written out here: a migration must not change when the code does).

Downgrade moves scopes back to the member id (it fails on a key that two callers have
used for one member since, which the old format cannot hold) and leaves adjustment
fingerprints as they are: a pre-downgrade adjustment retried afterwards is then refused
as a reused key instead of replayed.

Revision ID: 0005_idempotency_scopes
Revises: 0004_notes
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_idempotency_scopes"
down_revision: str | None = "0004_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_SCOPE = {
    "activity": "'service|record_activity|' || scope",
    "redemption": "'member:' || scope || '|redeem_reward|' || scope",
    "adjustment": "'operator|adjust_points|' || scope",
}
_OWNER = {
    "activity": "SELECT a.member_id FROM activities a WHERE a.id = idempotency_keys.result_id",
    "redemption": ("SELECT r.member_id FROM redemptions r WHERE r.id = idempotency_keys.result_id"),
    "adjustment": (
        "SELECT MIN(e.member_id) FROM ledger_entries e"
        " WHERE e.transfer_id = idempotency_keys.result_id"
    ),
}


def _adjustment_fingerprint(member_id: str, amount: int, reason: str) -> str:
    """`fingerprint(AdjustPoints(...))` as of this revision: payload without key, time,
    caller or actor."""
    parts = ["AdjustPoints", f"member_id={member_id!r}", f"amount={amount!r}"]
    parts.append(f"reason={reason!r}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    adjustments = connection.execute(
        sa.text(
            "SELECT i.scope, i.key, e.amount, e.memo FROM idempotency_keys i"
            " JOIN ledger_entries e ON e.transfer_id = i.result_id"
            " AND e.account = 'member:' || i.scope || :available"
            " WHERE i.result_kind = 'adjustment'"
        ),
        {"available": ":available"},
    ).all()
    for scope, key, amount, memo in adjustments:
        connection.execute(
            sa.text(
                "UPDATE idempotency_keys SET fingerprint = :fingerprint"
                " WHERE scope = :scope AND key = :key"
            ),
            {
                "fingerprint": _adjustment_fingerprint(scope, int(amount), memo),
                "scope": scope,
                "key": key,
            },
        )
    for kind, scope in _NEW_SCOPE.items():
        connection.execute(
            sa.text(f"UPDATE idempotency_keys SET scope = {scope} WHERE result_kind = :kind"),
            {"kind": kind},
        )


def downgrade() -> None:
    connection = op.get_bind()
    for kind, owner in _OWNER.items():
        connection.execute(
            sa.text(f"UPDATE idempotency_keys SET scope = ({owner}) WHERE result_kind = :kind"),
            {"kind": kind},
        )
