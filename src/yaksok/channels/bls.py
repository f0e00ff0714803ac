"""BLS12-381 checks of drand's rounds, with ``py_ecc`` (pure Python; imported only when a key or
a round is checked, through ``channels.drand``: it takes ~0.3 s to load).

``pedersen-bls-chained`` and ``pedersen-bls-unchained`` have the public key on G1 and sign on G2
with the ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`` (``G2Basic``);
``bls-unchained-g1-rfc9380`` (drand's "quicknet") swaps the groups, key on G2 and signatures on G1,
hashed to G1 with ``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`` (RFC 9380), which no py_ecc
ciphersuite names: its pairing check is written out here.
"""

from __future__ import annotations

import hashlib

from eth_typing import BLSPubkey, BLSSignature  # py_ecc's own argument types
from py_ecc.bls.ciphersuites import G2Basic
from py_ecc.bls.g2_primitives import pubkey_to_G1, signature_to_G2, subgroup_check
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, neg
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

from yaksok.domain.beacon import G1_UNCHAINED

_G1_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


def verify(scheme: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` signs ``message`` under ``public_key`` as drand's ``scheme`` signs."""
    try:
        if scheme == G1_UNCHAINED:
            return _verify_on_g1(public_key, message, signature)
        return bool(G2Basic.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))
    except (ValueError, AssertionError, TypeError):  # not a point on the curve, or not in its group
        return False


def valid_key(scheme: str, public_key: bytes) -> bool:
    """Whether the bytes are a point of the right subgroup (what a chain's key must be): on G2
    for ``bls-unchained-g1-rfc9380``, on G1 for the others."""
    try:
        if scheme == G1_UNCHAINED:
            return len(public_key) == 96 and _key_on_g2(public_key)
        return bool(G2Basic.KeyValidate(BLSPubkey(public_key)))
    except (ValueError, AssertionError, TypeError):
        return False


def _key_on_g2(public_key: bytes) -> bool:
    """A G2 point of the prime-order subgroup, not the identity (which every signature would fit)."""
    key = signature_to_G2(BLSSignature(public_key))
    return not is_inf(key) and subgroup_check(key)


def _verify_on_g1(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """e(signature, G2) == e(H(message), public key), with the key on G2 and the signature on G1."""
    if len(public_key) != 96 or len(signature) != 48:
        return False
    if not _key_on_g2(public_key):
        return False
    key = signature_to_G2(BLSSignature(public_key))  # a compressed G2 point, whatever py_ecc names it
    signed = pubkey_to_G1(BLSPubkey(signature))  # likewise a compressed G1 point
    if not subgroup_check(signed):
        return False
    # py_ecc annotates the hash function as a hash object.
    hashed = hash_to_G1(message, _G1_DST, hashlib.sha256)  # type: ignore[arg-type]
    product = pairing(key, hashed, final_exponentiate=False) * pairing(
        neg(G2), signed, final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())
