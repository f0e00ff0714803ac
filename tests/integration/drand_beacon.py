"""A drand beacon on 127.0.0.1 for the waiting room tests: a chain whose rounds are really signed
with a BLS12-381 key made for the test (py_ecc's ``G2Basic``, the ciphersuite drand's
``pedersen-bls-chained`` uses; or, for ``bls-unchained-g1-rfc9380``, quicknet's, signatures on
G1), served as drand's HTTP API serves them: ``GET /info`` and ``GET /public/{round}``. Rounds
are signed when first asked for, whatever the wall clock says: the tests run on a simulated clock."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from http_servers import QuietHandler, serving
from py_ecc.bls.ciphersuites import G2Basic
from py_ecc.bls.g2_primitives import G1_to_pubkey, G2_to_signature
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.optimized_bls12_381 import G2, curve_order, multiply

from yaksok.domain.beacon import CHAINED, G1_UNCHAINED, message

GENESIS_SEED = hashlib.sha256(b"yaksok test beacon").digest()  # round 0's "signature", as drand's


@dataclass
class Beacon:
    url: str
    public_key: str
    genesis_time: int
    period: int
    chain_hash: str
    scheme: str = CHAINED
    delay: float = 0.0  # seconds a round's answer waits (a slow beacon)
    unpublished: bool = False  # every round answers 404, as drand does before a round is out
    requests: list[str] = field(default_factory=list)
    signatures: dict[int, bytes] = field(default_factory=dict)

    def round(self, number: int) -> dict[str, object]:
        signature = self.signatures[number]
        previous = self.signatures.get(number - 1, GENESIS_SEED) if self.scheme == CHAINED else b""
        return {
            "round": number,
            "randomness": hashlib.sha256(signature).hexdigest(),
            "signature": signature.hex(),
            "previous_signature": previous.hex(),
        }


def _public_key(scheme: str, key: int) -> bytes:
    if scheme == G1_UNCHAINED:
        return bytes(G2_to_signature(multiply(G2, key)))  # a compressed G2 point
    return bytes(G2Basic.SkToPk(key))


def _sign(scheme: str, key: int, signed: bytes) -> bytes:
    if scheme == G1_UNCHAINED:  # RFC 9380's hash to G1, as drand's quicknet signs
        point = hash_to_G1(signed, b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_", hashlib.sha256)
        return bytes(G1_to_pubkey(multiply(point, key)))  # a compressed G1 point
    return bytes(G2Basic.Sign(key, signed))


@contextmanager
def running_beacon(
    genesis_time: int, period: int, *, signing_key: int | None = None, scheme: str = CHAINED
) -> Iterator[Beacon]:
    """A drand beacon of ``scheme`` on 127.0.0.1; ``signing_key`` signs its rounds (by default
    the key whose public half ``/info`` gives; another one makes rounds that do not verify)."""
    key = secrets.randbelow(curve_order - 1) + 1
    signer = key if signing_key is None else signing_key
    box: list[Beacon] = []
    lock = threading.Lock()

    def signed(number: int) -> dict[str, object]:
        beacon = box[0]
        with lock:
            for n in range(1, number + 1):
                if n not in beacon.signatures:
                    previous = beacon.signatures.get(n - 1, GENESIS_SEED)
                    beacon.signatures[n] = _sign(scheme, signer, message(scheme, n, previous))
            return beacon.round(number)

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            beacon = box[0]
            beacon.requests.append(self.path)
            if self.path == "/info":
                self._answer(200, {
                    "public_key": beacon.public_key,
                    "period": beacon.period,
                    "genesis_time": beacon.genesis_time,
                    "hash": beacon.chain_hash,
                    "groupHash": hashlib.sha256(b"group").hexdigest(),
                    "schemeID": beacon.scheme,
                    "metadata": {"beaconID": "yaksok-test"},
                })  # fmt: skip
            elif self.path.startswith("/public/") and self.path.removeprefix("/public/").isdigit():
                number = int(self.path.removeprefix("/public/"))
                time.sleep(beacon.delay)
                if number >= 1 and not beacon.unpublished:
                    self._answer(200, signed(number))
                else:
                    self._answer(404, {})
            else:
                self._answer(404, {"error": "not found"})

        def _answer(self, status: int, body: dict[str, object]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    public_key = _public_key(scheme, key).hex()
    with serving(Handler) as url:
        box.append(
            Beacon(
                url=url,
                public_key=public_key,
                genesis_time=genesis_time,
                period=period,
                chain_hash=hashlib.sha256(bytes.fromhex(public_key)).hexdigest(),
                scheme=scheme,
            )
        )
        yield box[0]
