"""The waiting room's shuffle and order, against docs/waiting-room.md's worked example."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain import shuffle
from yaksok.domain.ledger import LedgerEntry
from yaksok.domain.waiting_room import (
    ARRIVAL,
    CLOSED,
    COMMITTED,
    ORDERED,
    REVEALED,
    SHUFFLED,
    Entry,
    Room,
    check_ledger,
    collapsed,
    order,
)

DOC = Path(__file__).parents[2] / "docs" / "waiting-room.md"
SECRET = bytes(range(32))
IDS = ["w-alice", "w-bob", "w-carol", "w-dave", "w-erin"]
T0 = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)


def _vectors() -> dict[str, str]:
    """The ``name: value`` lines of the worked example in docs/waiting-room.md."""
    text = DOC.read_text()
    block = text.split("<!-- test vectors -->")[1]
    return dict(re.findall(r"^([a-z0-9 ()-]+): (.+)$", block, flags=re.MULTILINE))


def test_the_worked_example_in_the_docs_is_what_the_code_computes() -> None:
    vectors = _vectors()
    assert vectors["secret"] == SECRET.hex()
    assert vectors["commitment"] == shuffle.commitment(SECRET)
    assert vectors["list"] == " ".join(IDS)
    closed = shuffle.list_hash(IDS)
    assert vectors["list hash"] == closed
    seed = shuffle.seed(SECRET, closed)
    assert vectors["seed"] == seed.hex()
    words = shuffle.words(seed)
    assert vectors["words"] == " ".join(f"{next(words):016x}" for _ in range(4))
    stream = shuffle.words(seed)
    assert vectors["draws"] == " ".join(str(shuffle.uniform(stream, n)) for n in (5, 4, 3, 2))
    assert vectors["order"] == " ".join(shuffle.shuffled(IDS, seed))
    ten = [f"e{i:02d}" for i in range(1, 11)]
    assert vectors["order (e01-e10)"] == " ".join(
        shuffle.shuffled(ten, shuffle.seed(SECRET, shuffle.list_hash(ten)))
    )


def test_uniform_skips_a_word_that_would_bias_it() -> None:
    # 2**64 % 3 == 1, so the largest word is the one left over: it is skipped, 7 gives 7 % 3.
    assert shuffle.uniform(iter([2**64 - 1, 7]), 3) == 1


def test_the_same_secret_and_list_always_give_the_same_order() -> None:
    seed = shuffle.seed(SECRET, shuffle.list_hash(IDS))
    assert shuffle.shuffled(IDS, seed) == shuffle.shuffled(IDS, seed)


@given(
    st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=60), st.binary(min_size=1, max_size=32)
)
def test_a_shuffle_is_a_permutation_of_the_list(ids: list[str], secret: bytes) -> None:
    seed = shuffle.seed(secret, shuffle.list_hash(ids))
    assert sorted(shuffle.shuffled(ids, seed)) == sorted(ids)


@given(st.integers(min_value=1, max_value=2**64), st.binary(min_size=32, max_size=32))
def test_uniform_stays_in_its_range(n: int, seed: bytes) -> None:
    assert 0 <= shuffle.uniform(shuffle.words(seed), n) < n


def test_every_place_is_about_equally_likely_for_every_entry() -> None:
    # 3 entries, 6 orders, 6,000 seeds: each order ~1,000 times; a biased shuffle would skew them.
    ids = ["a", "b", "c"]
    counts = Counter(tuple(shuffle.shuffled(ids, i.to_bytes(4, "big"))) for i in range(6000))
    assert len(counts) == 6
    assert all(880 < count < 1120 for count in counts.values()), counts


def test_the_committed_secret_shuffles_and_a_withheld_or_wrong_one_falls_back_to_arrival() -> None:
    committed = shuffle.commitment(SECRET)
    revealed = order(IDS, committed, SECRET)
    assert revealed.method == SHUFFLED
    assert revealed.entry_ids == shuffle.shuffled(IDS, shuffle.seed(SECRET, shuffle.list_hash(IDS)))
    withheld = order(IDS, committed, None)
    assert (withheld.method, withheld.entry_ids) == (ARRIVAL, IDS)
    wrong = order(IDS, committed, b"another secret")
    assert (wrong.method, wrong.entry_ids) == (ARRIVAL, IDS)
    assert "does not match" in wrong.why


def _entry(id: str, contact: str, minutes: int, *, confirmed: bool = True) -> Entry:
    at = T0 + timedelta(minutes=minutes)
    return Entry(
        id=id,
        launch_slug="ipad",
        contact=contact,
        code_hash="",
        joined_at=at,
        confirmed_at=at if confirmed else None,
    )


def test_duplicates_of_a_contact_collapse_to_its_earliest_entry_and_unconfirmed_ones_do_not_count() -> None:
    entries = [
        _entry("w3", "kim@example.com", 3),
        _entry("w1", "kim@example.com", 1),
        _entry("w2", "lee@example.com", 2),
        _entry("w4", "park@example.com", 4, confirmed=False),
    ]
    kept, dropped = collapsed(entries)
    assert [entry.id for entry in kept] == ["w1", "w2"]
    assert dropped == 1


def test_admission_starts_with_one_seconds_share_at_the_opening_and_grows_at_the_rate() -> None:
    room = Room(
        launch_slug="ipad",
        enabled=True,
        prequeue_opens=T0,
        admit_per_second=2.5,
        token_minutes=10,
        commitment="",
        opened_at=T0,
    )
    assert room.admitting_up_to(T0 - timedelta(seconds=1)) == 0
    assert room.admitting_up_to(T0) == 2
    assert room.admitting_up_to(T0 + timedelta(seconds=10)) == 27
    assert room.admitted_at(2) == 0
    assert room.admitted_at(27) == 10


def _chain(kinds_and_data: list[tuple[str, dict[str, object]]]) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for kind, data in kinds_and_data:
        entries.append(LedgerEntry.after(entries[-1] if entries else None, T0, kind, data))  # type: ignore[arg-type]
    return entries


def _opening(secret: bytes | None, order_hash: str, method: str) -> list[LedgerEntry]:
    events: list[tuple[str, dict[str, object]]] = [
        (COMMITTED, {"launch": "ipad", "commitment": shuffle.commitment(SECRET)}),
        (CLOSED, {"launch": "ipad", "entries": IDS, "list_hash": shuffle.list_hash(IDS), "collapsed": 0}),
    ]
    if secret is not None:
        events.append((REVEALED, {"launch": "ipad", "secret": secret.hex()}))
    events.append((ORDERED, {"launch": "ipad", "order_hash": order_hash, "method": method}))
    return _chain(events)


def test_the_ledger_check_recomputes_the_order_and_names_a_different_one() -> None:
    right = order(IDS, shuffle.commitment(SECRET), SECRET)
    assert check_ledger(_opening(SECRET, right.hash, SHUFFLED)) == ""
    problem = check_ledger(_opening(SECRET, shuffle.list_hash(list(reversed(IDS))), SHUFFLED))
    assert "waiting room of launch 'ipad' (ledger entry 4): the admitted order differs" in problem


def test_without_a_reveal_the_ledger_check_expects_arrival_order() -> None:
    assert check_ledger(_opening(None, shuffle.list_hash(IDS), ARRIVAL)) == ""
    shuffled_anyway = order(IDS, shuffle.commitment(SECRET), SECRET).hash
    assert "admitted order differs" in check_ledger(_opening(None, shuffled_anyway, SHUFFLED))
