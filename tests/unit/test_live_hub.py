"""The live hub's ordering, without a database: publications heard directly in any order, store
reads that start and finish at any moment, other processes' notices, a hub that forgets frames."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yaksok.services.runtime import Runtime
from yaksok.store.memory import MemoryStore
from yaksok.web import live_hub
from yaksok.web.live_hub import Frame, LiveHub


def idle_hub(head: int, keep: int = 1024) -> LiveHub:
    """A hub that started with the ledger at ``head``; its store is never touched here."""
    hub = LiveHub(Runtime(store=MemoryStore()), keep=keep)
    hub.base_seq = hub.last_seq = head
    return hub


def frame(seq: int) -> Frame:
    return Frame(seq, None, b"id: %d\n\n" % seq)


@dataclass
class Ledger:
    """Notices published after the hub started: ledger seqs with gaps (other entries between)."""

    seqs: list[int]
    previous: list[int]  # the seq of the notice published just before each one (0: none)
    committed: int = 0

    @classmethod
    def after(cls, head: int, last_notice: int, gaps: list[int]) -> Ledger:
        seqs: list[int] = []
        for gap in gaps:
            seqs.append((seqs[-1] if seqs else head) + gap)
        return cls(seqs, [last_notice, *seqs[:-1]])

    def read(self, after: int) -> list[Frame]:
        """What a store read sees: every committed notice after ``after``, in seq order."""
        return [frame(seq) for seq in self.seqs[: self.committed] if seq > after]


def check_invariant(hub: LiveHub, ledger: Ledger, head: int) -> None:
    """The hub holds exactly the notices published in (base_seq, last_seq], in order, all committed."""
    assert hub.last_seq == head or hub.last_seq in ledger.seqs[: ledger.committed]
    assert hub._seqs == [seq for seq in ledger.seqs if hub.base_seq < seq <= hub.last_seq]
    assert [f.seq for f in hub._frames] == hub._seqs


gaps = st.lists(st.integers(1, 3), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), gaps=gaps, head=st.integers(0, 3), keep=st.sampled_from([1, 2, 1024]))
def test_any_interleaving_keeps_frames_in_seq_order_without_loss_or_duplicates(
    data: st.DataObject, gaps: list[int], head: int, keep: int
) -> None:
    last_notice = data.draw(st.integers(0, head), label="last notice before the hub started")
    ledger = Ledger.after(head, last_notice, gaps)
    heard = data.draw(st.lists(st.booleans(), min_size=len(gaps), max_size=len(gaps)), label="heard")
    hub = idle_hub(head, keep)
    delivered: set[int] = set()
    reading: list[list[Frame]] = []  # reads started, not yet appended
    polls = 2

    while True:
        waiting = [i for i in range(ledger.committed) if heard[i] and i not in delivered]
        actions = [
            *(["commit"] if ledger.committed < len(ledger.seqs) else []),
            *(["callback"] if waiting else []),
            *(["read"] if hub._news.is_set() or polls else []),
            *(["append"] if reading else []),
        ]
        if not actions:
            break
        action = data.draw(st.sampled_from(actions))
        if action == "commit":  # the ledger lock commits publications in seq order
            ledger.committed += 1
        elif action == "callback":  # after its commit, in any order
            i = data.draw(st.sampled_from(waiting))
            delivered.add(i)
            hub._take(ledger.seqs[i], ledger.previous[i], frame(ledger.seqs[i]))
        elif action == "read":  # as LiveHub._follow: clear the news, then read after last_seq
            polls -= not hub._news.is_set()
            hub._news.clear()
            reading.append(ledger.read(hub.last_seq))
        else:  # reads may even finish out of order
            hub._append(reading.pop(data.draw(st.integers(0, len(reading) - 1))))
        check_invariant(hub, ledger, head)

    # Settled, with no news pending: every notice heard directly has gone out; only another
    # process's notices, unannounced, may still wait for the next poll (or NOTIFY).
    heard_seqs = [seq for seq, was_heard in zip(ledger.seqs, heard, strict=True) if was_heard]
    assert hub.last_seq >= max(heard_seqs, default=head)
    hub._append(ledger.read(hub.last_seq))
    assert hub.last_seq == ledger.seqs[-1]
    check_invariant(hub, ledger, head)


@given(data=st.data(), gaps=gaps, head=st.integers(0, 3))
def test_frames_heard_in_any_order_all_go_out_without_a_store_read(
    data: st.DataObject, gaps: list[int], head: int
) -> None:
    ledger = Ledger.after(head, data.draw(st.integers(0, head)), gaps)
    ledger.committed = len(ledger.seqs)
    hub = idle_hub(head)
    for i in data.draw(st.permutations(range(len(ledger.seqs)))):
        hub._take(ledger.seqs[i], ledger.previous[i], frame(ledger.seqs[i]))
        check_invariant(hub, ledger, head)
    assert hub._seqs == ledger.seqs and not hub._early


def test_a_frame_after_an_unheard_notice_waits_and_asks_for_a_store_read() -> None:
    hub = idle_hub(head=10)
    hub._take(14, 12, frame(14))  # notice 12 was published elsewhere: the hub has not heard of it

    assert hub.last_seq == 10 and hub._news.is_set()
    hub._append([frame(12), frame(14)])  # the store read brings both
    assert hub._seqs == [12, 14] and not hub._early
    hub._take(15, 14, frame(15))
    assert hub._seqs == [12, 14, 15]


def test_a_broadcast_wakes_streams_one_batch_per_turn_of_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_hub, "WAKE_BATCH", 2)

    async def scenario() -> None:
        hub = idle_hub(head=0)
        hub._loop = asyncio.get_running_loop()
        waiters = [hub.waiter() for _ in range(5)]
        hub._append([frame(1)])
        woken = []
        for _ in range(3):
            woken.append(sum(waiter.done() for waiter in waiters))
            await asyncio.sleep(0)  # one turn: timers and sockets get theirs between batches
        assert woken == [2, 4, 5]

    asyncio.run(scenario())
