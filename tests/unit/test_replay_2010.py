"""The 2010 scenario replayed through the services, on the in-memory store (``yaksok replay``
itself is tested in tests/integration/test_replay.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import EndCadence
from yaksok.domain.errors import Conflict
from yaksok.domain.notice import NoticeKind
from yaksok.replay import ReplayReport, ReplayStep, load_scenario, run
from yaksok.services import cadences, upkeep
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.memory import MemoryStore

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "kt-ipad-2010.yaml"


def kst(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+09:00")


@pytest.fixture
def report(memory_store: MemoryStore) -> ReplayReport:
    scenario = load_scenario(SHIPPED)
    return run(
        scenario, Runtime(store=memory_store, clock=SimulatedClock(scenario.starts_at), new_id=counting_ids())
    )


def step(report: ReplayReport, at: str, actor: str) -> ReplayStep:
    found = [s for s in report.steps if s.at == kst(at) and s.actor == actor]
    assert len(found) == 1, f"{len(found)} steps by {actor} at {at}"
    return found[0]


def test_the_same_day_announcement_is_refused_for_its_lead_time(report: ReplayReport) -> None:
    carrier = step(report, "2010-11-09T17:00", "carrier")
    assert (carrier.outcome, carrier.codes, carrier.notice) == ("refused", ("policy.lead_time",), None)


def test_the_operator_announces_it_as_an_open_override(report: ReplayReport) -> None:
    operator = step(report, "2010-11-09T17:00", "operator")
    assert (operator.outcome, operator.codes) == ("overridden", ("policy.lead_time",))
    assert "72 hours" in operator.justification["en"]
    assert operator.notice is not None


def test_the_minutes_before_postponement_is_refused_without_reason_and_too_late(report: ReplayReport) -> None:
    carrier = step(report, "2010-11-09T19:40", "carrier")
    assert carrier.outcome == "refused"
    assert set(carrier.codes) == {"policy.reason_required", "policy.late_change"}
    operator = step(report, "2010-11-09T19:40", "operator")
    assert (operator.outcome, operator.codes) == ("overridden", ("policy.late_change",))


def test_the_press_claim_is_clarified_before_nine(report: ReplayReport) -> None:
    clarification = step(report, "2010-11-09T08:15", "operator")
    assert clarification.outcome == "clarification"
    assert clarification.notice is not None
    assert report.counts["clarifications"] == 1


def test_the_apology_goes_out_in_time(report: ReplayReport, memory_store: MemoryStore) -> None:
    apology = step(report, "2010-11-09T20:10", "operator")
    assert apology.outcome == "published" and apology.notice is not None
    with memory_store.read() as tx:
        notice = tx.notices.get(apology.notice)
    assert notice is not None and notice.kind is NoticeKind.APOLOGY
    assert report.scorecard["apologies"] == {"owed": 1, "on_time": 1}


def test_the_scorecard_shows_the_broken_and_the_kept_promises(report: ReplayReport) -> None:
    assert report.scorecard["promises"] == {
        "made": 6,
        "kept": 4,
        "kept_short_notice": 0,
        "broken": 2,
        "revised": 0,
        "pending": 0,
    }
    judged = {(p["milestone"].split(".")[1], p["version"]): p["outcome"] for p in report.promises}
    assert judged[("preorder-opens", 2)] == "broken"  # 20:00, pulled 20 minutes before
    assert judged[("preorder-opens", 4)] == "kept"  # 17 November 10:00, five days' notice
    assert judged[("sale-starts", 2)] == "kept"
    assert report.scorecard["overrides"] == 2


def test_update_slots_go_out_at_their_own_time_with_or_without_an_operator_update(
    report: ReplayReport,
) -> None:
    slots = [s for s in report.steps if s.actor == "yaksok" and s.action == "publish"]
    assert [s.at.astimezone(UTC).hour for s in slots] == [1] * len(slots)  # 10:00 KST
    assert [s.at.day for s in slots] == [18, 19, 22, 23, 24, 25, 26, 29, 30, 1]
    written = [s.at.day for s in slots if "operator" in s.what["en"]]
    assert written == [26, 30]


def test_the_ledger_of_a_replay_is_intact(report: ReplayReport) -> None:
    assert report.ledger["intact"] is True
    assert report.ledger["entries"] == report.ledger["head_seq"]


def test_a_server_carrying_on_from_a_replay_has_nothing_to_catch_up(
    report: ReplayReport, memory_store: MemoryStore
) -> None:
    """The demo serves the replayed database on the real clock: no years of update slots."""
    later = Runtime(store=memory_store, clock=SimulatedClock(datetime(2025, 6, 2, 9, tzinfo=UTC)))
    assert upkeep.next_due(later) is None
    ticked = upkeep.tick(later)
    assert (ticked.published, ticked.broken) == ([], [])


def test_a_promise_broken_in_silence_is_recorded_at_its_own_time(memory_store: MemoryStore) -> None:
    scenario = load_scenario(SHIPPED)
    rt = Runtime(store=memory_store, clock=SimulatedClock(scenario.starts_at), new_id=counting_ids())
    silent = [s for s in scenario.steps if s.actor.value == "carrier" or s.action.name == "note"]
    report = run(replace(scenario, steps=tuple(silent)), rt)
    broken = [s for s in report.steps if s.outcome == "broken"]
    # "9 November" passed with no pre-order: yaksok records it just after that day (and tolerance)
    assert [(s.actor, s.at) for s in broken] == [
        ("yaksok", kst("2010-11-10T00:05:01")),
        ("yaksok", kst("2010-12-01T00:05:01")),  # "this month" for the sale, too
    ]
    assert report.scorecard["apologies"]["owed"] == 2


def test_a_replay_ends_its_update_slots_once_and_says_so_in_the_ledger(
    report: ReplayReport, memory_store: MemoryStore
) -> None:
    with memory_store.read() as tx:
        assert tx.cadences.active() == []
        ended = [entry for entry in tx.ledger.entries() if entry.kind == "cadence.ended"]
    assert [entry.data["reason"] for entry in ended] == ["the replayed timeline ends here"]
    with pytest.raises(Conflict) as refused:
        cadences.end_cadence(Runtime(store=memory_store), EndCadence(ended[0].data["cadence"]))
    assert refused.value.code == "cadence.ended"


def test_the_opening_crowd_is_taken_in_order_with_retries_replayed_and_the_limit_held(
    report: ReplayReport, memory_store: MemoryStore
) -> None:
    crowd = step(report, "2010-11-17T10:00", "customers")
    assert (crowd.outcome, crowd.codes) == ("reserved", ("reservation.over_limit",))
    assert "2,741 reservations queued and 259 waitlisted" in crowd.message
    assert "298 retries answered with the first reply" in crowd.message
    with memory_store.read() as tx:
        line = tx.reservations.for_launch(report.launch, None, after=0, limit=10_000)
        opens = tx.milestones.get(f"{report.launch}.preorder-opens")
    assert [r.sequence for r in line] == list(range(1, 3001))  # gapless, one per accepted request
    assert len({r.idempotency_key for r in line}) == 3000  # a retry never made a second reservation
    per_contact: dict[str, int] = {}
    for r in line:
        per_contact[r.contact] = per_contact.get(r.contact, 0) + r.quantity
    assert max(per_contact.values()) <= 2  # the scenario's per-customer limit
    capped = [r for r in line if r.sku == "wifi-3g-64gb" and r.state.value == "queued"]
    assert sum(r.quantity for r in capped) <= 300
    assert opens is not None and opens.occurrence is not None
    assert opens.occurrence.at == kst("2010-11-17T10:00")  # recorded at the promised instant
    assert report.lookup.startswith("/reservations/") and "?secret=" in report.lookup


def test_customers_questions_are_answered_and_one_is_still_open_on_the_scorecard(
    report: ReplayReport,
) -> None:
    asked = [s for s in report.steps if s.outcome == "asked"]
    answered = [s for s in report.steps if s.outcome == "answered"]
    assert len(asked) == 4 and len(answered) == 3
    assert step(report, "2010-11-09T12:35", "operator").message.startswith(
        "official answer to q_0001, 15 min"
    )
    assert report.scorecard["questions"] == {
        "asked": 4,
        "answered": 3,
        "unanswered": 1,
        "first_answer_minutes_median": 20.0,
        "first_answer_minutes_p90": 100.0,
    }
