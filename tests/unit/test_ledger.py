from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.ledger import GENESIS_HASH, LedgerEntry, canonical_json, verify_chain

T0 = datetime(2010, 11, 1, tzinfo=UTC)
payloads = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(st.integers(), st.text(max_size=20), st.booleans(), st.none()),
    max_size=4,
)


def chain(datas: list[dict[str, object]]) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for i, data in enumerate(datas):
        entries.append(
            LedgerEntry.after(entries[-1] if entries else None, T0 + timedelta(minutes=i), "act", data)
        )
    return entries


def test_the_first_entry_follows_the_genesis_hash() -> None:
    first = chain([{"a": 1}])[0]
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)


def test_canonical_json_is_independent_of_key_order_and_keeps_korean() -> None:
    assert (
        canonical_json({"b": 1, "a": "약속"}) == canonical_json({"a": "약속", "b": 1}) == '{"a":"약속","b":1}'
    )


@given(st.lists(payloads, min_size=1, max_size=12))
def test_an_untouched_chain_verifies(datas: list[dict[str, object]]) -> None:
    report = verify_chain(chain(datas))
    assert report.ok and report.count == len(datas)


@given(st.lists(payloads, min_size=2, max_size=12), st.data())
def test_altering_any_entry_is_caught_at_that_entry(
    datas: list[dict[str, object]], data: st.DataObject
) -> None:
    entries = chain(datas)
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(["payload", "at", "kind"]))
    altered = replace(entries[i], **{field: getattr(entries[i], field) + " "})
    report = verify_chain([*entries[:i], altered, *entries[i + 1 :]])
    assert report.bad_seq == entries[i].seq


@given(st.lists(payloads, min_size=3, max_size=12), st.data())
def test_removing_any_entry_is_caught_and_named(datas: list[dict[str, object]], data: st.DataObject) -> None:
    entries = chain(datas)
    i = data.draw(st.integers(0, len(entries) - 2))  # removing the last one is a truncation, see below
    report = verify_chain(entries[:i] + entries[i + 1 :])
    assert report.bad_seq == entries[i].seq


@given(st.lists(payloads, min_size=3, max_size=12), st.data())
def test_swapping_two_entries_is_caught(datas: list[dict[str, object]], data: st.DataObject) -> None:
    entries = chain(datas)
    i = data.draw(st.integers(0, len(entries) - 2))
    swapped = [*entries[:i], entries[i + 1], entries[i], *entries[i + 2 :]]
    assert not verify_chain(swapped).ok


def test_rewriting_an_entry_and_rehashing_it_still_breaks_the_next_link() -> None:
    entries = chain([{"n": 1}, {"n": 2}, {"n": 3}])
    forged = LedgerEntry.after(entries[0], T0, "act", {"n": 99})
    report = verify_chain([entries[0], forged, entries[2]])
    assert report.bad_seq == 3
