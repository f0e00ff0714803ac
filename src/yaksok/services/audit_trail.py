"""The audit trail: what operators did, and who did it. It holds their administration (tokens
and operator accounts made and revoked) and, for every public act an operator made through the
admin API or the console, the act as the ledger recorded it with its ledger seq (new values,
and the previous ones where the act names them, as ``previous``).

Unlike the public ledger it is not published and not hash-chained; only admins read it.
"""

from __future__ import annotations

from collections.abc import Mapping

from yaksok.domain.administration import AuditEntry
from yaksok.services import scope
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def record(
    tx: Transaction, rt: Runtime, action: str, details: Mapping[str, object], *, actor: str | None
) -> None:
    """Note an administrative act inside the use case's transaction; ``actor`` is the acting
    token's id, None when the act came from the server's command line."""
    tx.audit.add(rt.clock.now(), actor, action, details)


def trail(rt: Runtime, *, limit: int = 1000) -> list[AuditEntry]:
    """The newest ``limit`` entries, oldest first."""
    scope.require_all(rt, "the audit trail")
    with rt.store.read() as tx:
        return tx.audit.entries(limit=limit)
