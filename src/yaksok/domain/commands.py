"""Commands: one typed object per action, as the web, the CLI and the replay give it."""

from __future__ import annotations

from dataclasses import dataclass

# Pre-order


@dataclass(frozen=True, kw_only=True)
class Reserve:
    """A customer's reservation request, as its body and ``Idempotency-Key`` header gave it."""

    launch_slug: str
    idempotency_key: str
    sku: str
    quantity: int
    contact: str
    pickup_store: str | None = None  # None: delivered to the contact's address


@dataclass(frozen=True, kw_only=True)
class CancelReservation:
    code: str
    secret: str
