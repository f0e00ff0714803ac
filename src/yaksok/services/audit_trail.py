"""The audit trail: what operators did, and who did it. It holds their administration (tokens
and operator accounts made and revoked) and, for every public act an operator made through the
admin API or the console, the act as the ledger recorded it with its ledger seq (new values,
and the previous ones where the act names them, as ``previous``).

Unlike the public ledger it is not published and not hash-chained; only admins read it.
"""

from __future__ import annotations

from collections.abc import Mapping

from yaksok.domain.administration import AuditEntry, AuditFilter
from yaksok.services import scope
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def record(
    tx: Transaction, rt: Runtime, action: str, details: Mapping[str, object], *, actor: str | None
) -> None:
    """Note an administrative act inside the use case's transaction; ``actor`` is the acting
    token's id, None when the act came from the server's command line."""
    tx.audit.add(rt.clock.now(), actor, action, details)


def operator_act(tx: Transaction, rt: Runtime, action: str, details: Mapping[str, object]) -> None:
    """Note an act that is not public (a draft edited, say) when an operator made it; the
    scheduler's and a replay's acts leave no audit entry."""
    if rt.actor is not None:
        record(tx, rt, action, details, actor=rt.actor)


def trail(rt: Runtime, *, limit: int = 1000) -> list[AuditEntry]:
    """The newest ``limit`` entries, oldest first."""
    scope.require_all(rt, "the audit trail")
    with rt.store.read() as tx:
        return tx.audit.entries(limit=limit)


def search(rt: Runtime, chosen: AuditFilter, *, limit: int = 10_000) -> list[AuditEntry]:
    """The entries ``chosen`` asks for among the newest ``limit``, oldest first."""
    return [entry for entry in trail(rt, limit=limit) if chosen.matches(entry)]


def operator_names(rt: Runtime, actors: set[str]) -> dict[str, str]:
    """The email of each actor that is an operator account (tokens have no name but their id)."""
    with rt.store.read() as tx:
        found = {actor: tx.operators.get(actor) for actor in actors}
    return {actor: operator.email for actor, operator in found.items() if operator is not None}
