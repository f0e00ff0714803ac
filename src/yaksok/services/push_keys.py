"""The VAPID key pair that signs browser push messages (RFC 8292): made on first use, kept in
the store, so every web process serves the same ``applicationServerKey`` that every worker signs
with."""

from __future__ import annotations

from yaksok.domain.push import VapidKey
from yaksok.services.runtime import Runtime


def vapid_key(rt: Runtime) -> VapidKey:
    """The key pair, made now if there is none yet (a concurrent maker's wins)."""
    with rt.store.read() as tx:
        found = tx.push.vapid_key()
    if found is not None:
        return found
    from yaksok.channels.webpush import new_vapid_key  # aiohttp and pywebpush: loaded when first used

    private_pem, public_key = new_vapid_key()
    with rt.store.write() as tx:
        tx.push.add_vapid_key(VapidKey(private_pem, public_key, rt.clock.now()))
        kept = tx.push.vapid_key()
    assert kept is not None
    return kept
