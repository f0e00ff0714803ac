"""The beacon fallback seed: drand's message and verification against a real mainnet round, the
round committed to, and what the ledger check accepts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from py_ecc.bls.ciphersuites import G2Basic

from yaksok.channels.drand import valid_public_key, verify_signature
from yaksok.domain import beacon, shuffle
from yaksok.domain.errors import InvalidInput
from yaksok.domain.ledger import LedgerEntry
from yaksok.domain.waiting_room import (
    ARRIVAL,
    BEACON,
    BEACON_DRAWN,
    CLOSED,
    COMMITTED,
    ORDERED,
    REVEALED,
    SHUFFLED,
    beacon_order,
    check_ledger,
    order,
)

# League of Entropy mainnet, the "default" chain (its /info), and its round 72785 as the
# drand-verify crate's tests pin it (noislabs/drand-verify, src/verify.rs and src/randomness.rs:
# "curl -sS https://drand.cloudflare.com/public/72785").
MAINNET = beacon.Chain(
    url="https://api.drand.sh/8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    chain_hash="8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    public_key="868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    genesis_time=1595431050,
    period=30,
    scheme=beacon.CHAINED,
)
ROUND_72785 = beacon.Round(
    number=72785,
    previous_signature="a609e19a03c2fcc559e8dae14900aaefe517cb55c840f6e69bc8e4f66c8d18e8a609685d9917efbf"
    "b0c37f058c2de88f13d297c7e19e0ab24813079efe57a182554ff054c7638153f9b26a60e7111f71a0ff63d9571704905d3ca6df0b031747",
    signature="82f5d3d2de4db19d40a6980e8aa37842a0e55d1df06bd68bddc8d60002e8e959eb9cfa368b3c1b77d18f02a54fe047b8"
    "0f0989315f83b12a74fd8679c4f12aae86eaf6ab5690b34f1fddd50ee3cc6f6cdf59e95526d5a5d82aaa84fa6f181e42",
    randomness="8b676484b5fb1f37f9ec5c413d7d29883504e5b669f604a1ce68b3388e9ae3d9",
)
# The League of Entropy's "quicknet" (bls-unchained-g1-rfc9380: key on G2, signatures on G1), its
# /info, and its rounds 2 and 3 as api.drand.sh published them (pinned in ChainSafe's forest tests).
QUICKNET = beacon.Chain(
    url="https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key="83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d"
    "1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
    genesis_time=1692803367,
    period=3,
    scheme=beacon.G1_UNCHAINED,
)
QUICKNET_SIGNATURES = {
    2: "b6b6a585449b66eb12e875b64fcbab3799861a00e4dbf092d99e969a5eac57dd3f798acf61e705fe4f093db926626807",
    3: "b3fab6df720b68cc47175f2c777e86d84187caab5770906f515ff1099cb01e4deaa027075d860823e49477b93c72bd64",
}
IDS = ["w-alice", "w-bob", "w-carol", "w-dave", "w-erin"]


def test_a_real_mainnet_round_verifies_against_the_chains_public_key() -> None:
    assert beacon.round_problem(MAINNET, 72785, ROUND_72785, verify_signature) == ""
    assert hashlib.sha256(bytes.fromhex(ROUND_72785.signature)).hexdigest() == ROUND_72785.randomness
    assert MAINNET.round_time(72785) == datetime(2020, 8, 16, 21, 49, 30, tzinfo=UTC)


def test_the_same_signature_does_not_verify_for_another_round_key_or_previous_signature() -> None:
    moved = beacon.Round(**{**_fields(ROUND_72785), "number": 72786})
    assert "not the committed round" in beacon.round_problem(MAINNET, 72785, moved, verify_signature)
    assert "does not verify" in beacon.round_problem(MAINNET, 72786, moved, verify_signature)
    unchained = beacon.Chain(**{**_fields(MAINNET), "scheme": beacon.UNCHAINED})
    assert "does not verify" in beacon.round_problem(unchained, 72785, ROUND_72785, verify_signature)
    other_key = beacon.Chain(**{**_fields(MAINNET), "public_key": bytes(G2Basic.SkToPk(7)).hex()})
    assert "does not verify" in beacon.round_problem(other_key, 72785, ROUND_72785, verify_signature)
    wrong_randomness = beacon.Round(**{**_fields(ROUND_72785), "randomness": "00" * 32})
    assert "not the SHA-256 of its signature" in beacon.round_problem(
        MAINNET, 72785, wrong_randomness, verify_signature
    )


def test_an_unchained_round_signs_only_the_round_number() -> None:
    key = 424242
    chain = beacon.Chain(
        **{**_fields(MAINNET), "scheme": beacon.UNCHAINED, "public_key": bytes(G2Basic.SkToPk(key)).hex()}
    )
    assert beacon.message(beacon.UNCHAINED, 9, b"ignored") == hashlib.sha256((9).to_bytes(8, "big")).digest()
    signature = bytes(G2Basic.Sign(key, beacon.message(beacon.UNCHAINED, 9, b"")))
    got = beacon.Round(
        number=9,
        signature=signature.hex(),
        previous_signature="",
        randomness=hashlib.sha256(signature).hexdigest(),
    )
    assert beacon.round_problem(chain, 9, got, verify_signature) == ""


def test_a_malformed_signature_is_refused_not_raised() -> None:
    garbage = beacon.Round(**{**_fields(ROUND_72785), "signature": "ff" * 96})
    assert "does not verify" in beacon.round_problem(MAINNET, 72785, garbage, verify_signature)
    short = beacon.Round(**{**_fields(ROUND_72785), "signature": "ab"})
    assert "not 96" in beacon.round_problem(MAINNET, 72785, short, verify_signature)


def _quicknet_round(number: int, signature: str) -> beacon.Round:
    return beacon.Round(
        number=number,
        signature=signature,
        previous_signature="",
        randomness=hashlib.sha256(bytes.fromhex(signature)).hexdigest(),
    )


def test_real_quicknet_rounds_verify_on_g1_and_not_as_each_other() -> None:
    beacon.check_chain(QUICKNET)
    for number, signature in QUICKNET_SIGNATURES.items():
        assert (
            beacon.round_problem(QUICKNET, number, _quicknet_round(number, signature), verify_signature) == ""
        )
    swapped = _quicknet_round(3, QUICKNET_SIGNATURES[2])
    assert "does not verify" in beacon.round_problem(QUICKNET, 3, swapped, verify_signature)
    as_g2_scheme = beacon.Chain(**{**_fields(QUICKNET), "scheme": beacon.UNCHAINED})
    with pytest.raises(InvalidInput, match="48 bytes"):  # a G2 key is not a G1 scheme's key
        beacon.check_chain(as_g2_scheme)


def test_a_quicknet_signature_of_the_wrong_size_or_off_the_curve_is_refused_not_raised() -> None:
    assert "not 48" in beacon.round_problem(
        QUICKNET, 2, _quicknet_round(2, ROUND_72785.signature), verify_signature
    )
    assert "does not verify" in beacon.round_problem(
        QUICKNET, 2, _quicknet_round(2, "ff" * 48), verify_signature
    )
    assert not verify_signature(beacon.G1_UNCHAINED, bytes(96), b"m", bytes.fromhex(QUICKNET_SIGNATURES[2]))


def test_a_quicknet_key_is_a_g2_point_and_not_the_identity() -> None:
    assert valid_public_key(beacon.G1_UNCHAINED, bytes.fromhex(QUICKNET.public_key))
    assert not valid_public_key(beacon.CHAINED, bytes.fromhex(QUICKNET.public_key))
    identity = bytes([0xC0]) + bytes(95)  # the compressed point at infinity
    assert not valid_public_key(beacon.G1_UNCHAINED, identity)
    assert not valid_public_key(beacon.G1_UNCHAINED, bytes.fromhex(MAINNET.public_key))


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=3600))
def test_the_committed_round_is_the_first_whose_time_is_after_the_close(offset: int, period: int) -> None:
    chain = beacon.Chain(**{**_fields(MAINNET), "period": period})
    close = datetime.fromtimestamp(chain.genesis_time + offset, UTC)
    number = chain.first_round_after(close)
    assert chain.round_time(number) > close
    assert number == 1 or chain.round_time(number - 1) <= close


def test_a_close_before_the_genesis_commits_to_round_one() -> None:
    assert MAINNET.first_round_after(datetime(2010, 11, 9, tzinfo=UTC)) == 1


def test_bad_chain_settings_are_refused_with_their_code() -> None:
    for change in (
        {"url": "ftp://example.com/x"},
        {"url": "https://example.com/x#frag"},
        {"public_key": "abcd"},
        {"public_key": "zz" * 48},
        {"scheme": "bls-unchained-g1-rfc9380"},
        {"period": 0},
        {"genesis_time": 0},
    ):
        with pytest.raises(InvalidInput) as refused:
            beacon.check_chain(beacon.Chain(**{**_fields(MAINNET), **change}))
        assert refused.value.code == "waiting_room.beacon_invalid"
    beacon.check_chain(MAINNET)


def test_the_beacon_seed_is_its_own_label_over_the_randomness_and_the_list_hash() -> None:
    randomness = bytes.fromhex(ROUND_72785.randomness)
    expected = hashlib.sha256(
        b"yaksok-shuffle-v1-beacon\0" + randomness + bytes.fromhex(shuffle.list_hash(IDS))
    )
    assert beacon.seed(randomness, shuffle.list_hash(IDS)) == expected.digest()
    assert beacon_order(IDS, randomness).entry_ids == shuffle.shuffled(IDS, expected.digest())


# The ledger check

T0 = datetime(2020, 8, 16, 21, 49, tzinfo=UTC)  # 30 s before round 72785
SECRET = bytes(range(32))


def _fields(value: object) -> dict[str, object]:
    return dict(vars(value))


def _chain(events: list[tuple[str, dict[str, object]]]) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for i, (kind, data) in enumerate(events):
        at = T0 + timedelta(milliseconds=i)
        entries.append(LedgerEntry.after(entries[-1] if entries else None, at, kind, data))  # type: ignore[arg-type]
    return entries


def _opening(
    *, reveal: bytes | None, drawn: beacon.Round | None, method: str, order_hash: str
) -> list[LedgerEntry]:
    named = {**MAINNET.to_json(), "round": 72785}
    events: list[tuple[str, dict[str, object]]] = [
        (COMMITTED, {"launch": "ipad", "commitment": shuffle.commitment(SECRET), "beacon": named}),
        (CLOSED, {"launch": "ipad", "entries": IDS, "list_hash": shuffle.list_hash(IDS), "collapsed": 0}),
    ]
    if reveal is not None:
        events.append((REVEALED, {"launch": "ipad", "secret": reveal.hex()}))
    if drawn is not None:
        events.append((BEACON_DRAWN, {"launch": "ipad", **drawn.to_json()}))
    events.append((ORDERED, {"launch": "ipad", "method": method, "order_hash": order_hash}))
    return _chain(events)


BEACON_HASH = beacon_order(IDS, bytes.fromhex(ROUND_72785.randomness)).hash


def test_without_a_reveal_the_verified_beacon_round_orders_the_pre_queue() -> None:
    assert (
        check_ledger(
            _opening(reveal=None, drawn=ROUND_72785, method=BEACON, order_hash=BEACON_HASH), verify_signature
        )
        == ""
    )
    arrival_anyway = _opening(
        reveal=None, drawn=ROUND_72785, method=ARRIVAL, order_hash=shuffle.list_hash(IDS)
    )
    assert "admitted order differs" in check_ledger(arrival_anyway, verify_signature)


def test_a_wrong_reveal_also_falls_back_to_the_beacon_round() -> None:
    entries = _opening(reveal=b"not the secret", drawn=ROUND_72785, method=BEACON, order_hash=BEACON_HASH)
    assert check_ledger(entries, verify_signature) == ""


def test_a_beacon_round_whose_signature_does_not_verify_is_named() -> None:
    # The previous round's genuine signature, with its own randomness: only the BLS check can tell.
    previous = ROUND_72785.previous_signature
    randomness = hashlib.sha256(bytes.fromhex(previous)).hexdigest()
    forged = beacon.Round(**{**_fields(ROUND_72785), "signature": previous, "randomness": randomness})
    problem = check_ledger(
        _opening(reveal=None, drawn=forged, method=BEACON, order_hash=BEACON_HASH), verify_signature
    )
    assert problem == (
        "waiting room of launch 'ipad' (ledger entry 3): the beacon round has a signature that does not "
        "verify against the committed public key"
    )


def test_a_beacon_round_other_than_the_committed_one_is_named() -> None:
    other = beacon.Round(**{**_fields(ROUND_72785), "number": 72786})
    problem = check_ledger(
        _opening(reveal=None, drawn=other, method=BEACON, order_hash=BEACON_HASH), verify_signature
    )
    assert "round 72786, not the committed round 72785" in problem


def test_a_valid_reveal_shuffles_whatever_beacon_round_is_recorded() -> None:
    shuffled = order(IDS, shuffle.commitment(SECRET), SECRET).hash
    entries = _opening(reveal=SECRET, drawn=ROUND_72785, method=SHUFFLED, order_hash=shuffled)
    assert check_ledger(entries, verify_signature) == ""
    claimed = _opening(reveal=SECRET, drawn=ROUND_72785, method=BEACON, order_hash=BEACON_HASH)
    assert "admitted order differs" in check_ledger(claimed, verify_signature)


def test_without_a_beacon_entry_the_order_is_arrival() -> None:
    assert (
        check_ledger(_opening(reveal=None, drawn=None, method=ARRIVAL, order_hash=shuffle.list_hash(IDS)))
        == ""
    )
    claimed = _opening(reveal=None, drawn=None, method=BEACON, order_hash=BEACON_HASH)
    assert "admitted order differs" in check_ledger(claimed, verify_signature)


def test_a_round_that_was_out_before_the_close_may_not_seed_the_order() -> None:
    # The same ledger, but closed a minute later: round 72785 (21:49:30) was public by then.
    moved: list[LedgerEntry] = []
    for entry in _opening(reveal=None, drawn=ROUND_72785, method=BEACON, order_hash=BEACON_HASH):
        at = T0 if entry.kind == COMMITTED else T0 + timedelta(minutes=1)
        moved.append(LedgerEntry.after(moved[-1] if moved else None, at, entry.kind, entry.data))
    assert "is not after the close" in check_ledger(moved, verify_signature)
