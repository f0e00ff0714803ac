"""Replaying a scenario through the services production runs, on a simulated clock.

Between steps the clock moves the way the scheduler sees time: to each instant at which
something is due (a scheduled notice, a cadence slot, a promise's deadline), where
``upkeep.tick`` does what the running service would do then. A step whose action the policy
refuses is an outcome of the replay, not a failure of it.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from yaksok.domain.cadence import WEEKDAY_NAMES
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    CancelMilestone,
    Clarify,
    CreateCadence,
    CreateLaunch,
    EndCadence,
    MoveBatch,
    RecordBatch,
    RecordOccurrence,
    Reserve,
    RevisePromise,
    WriteNotice,
)
from yaksok.domain.errors import PolicyViolation, YaksokError
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Claim, Notice
from yaksok.domain.promise import Precision, Promise, PromiseVersion
from yaksok.replay.model import (
    AnswerAction,
    AskAction,
    CadenceSpec,
    CancelAction,
    ClarifyAction,
    CrowdAction,
    MoveStockAction,
    NoteAction,
    NoticeAction,
    NoticeSpec,
    OccurAction,
    PromiseAction,
    Scenario,
    Step,
    StockAction,
)
from yaksok.replay.report import ReplayReport, ReplayStep
from yaksok.services import (
    allocation,
    cadences,
    launches,
    ledger,
    lookups,
    notices,
    personal_messages,
    proposals,
    queries,
    questions,
    reservations,
    upkeep,
    wording,
)
from yaksok.services.runtime import Runtime

YAKSOK = "yaksok"  # the actor of what the scheduler does on its own
OPERATOR = "operator"  # who answers customers' questions in a replay, for the audit trail
# A crowd's requests are decided in batches through the service the reservation writer calls:
# what arrives within one second goes in one transaction. The writer commits far more often;
# that changes the number of commits, not the order or the outcome of any request.
WRITER_WINDOW = timedelta(seconds=1)


def run(scenario: Scenario, rt: Runtime) -> ReplayReport:
    """Replay ``scenario`` into ``rt``'s store; ``rt.clock`` must be a SimulatedClock at its start."""
    if not isinstance(rt.clock, SimulatedClock):
        raise TypeError("a replay needs a SimulatedClock")
    replay = _Replay(scenario, rt, rt.clock)
    replay.set_up()
    for step in scenario.steps:
        replay.advance_to(step.at)
        replay.perform(step)
    replay.advance_to(scenario.ends_at)
    replay.end_cadences()
    return replay.report()


def _texts(en: str, ko: str) -> dict[str, str]:
    return {"ko": ko, "en": en}


def _time_text(promise: Promise) -> str | None:
    """The promise as ``Promise.parse`` reads it back, so the service parses what the file said."""
    local = promise.local
    if local is None or promise.at is None:
        return None
    if promise.precision is Precision.MONTH:
        return f"{local:%Y-%m}"
    if promise.precision is Precision.DAY:
        return local.date().isoformat()
    return promise.at.isoformat()


class _Replay:
    def __init__(self, scenario: Scenario, rt: Runtime, clock: SimulatedClock) -> None:
        self.scenario, self.rt, self.clock = scenario, rt, clock
        self.slug = scenario.launch.slug
        self.steps: list[ReplayStep] = []
        self.cadence_ids: dict[str, str] = {}
        self.pending_cadences = sorted(scenario.cadences, key=lambda c: c.created_at)
        self.written_for_cadence: set[str] = set()
        self.lookup = ""
        self.secrets: dict[int, str] = {}  # each crowd reservation's, to print one lookup link
        self.question_ids: dict[str, str] = {}  # scenario keys to question ids

    def log(self, actor: str, action: str, what: dict[str, str], outcome: str, **more: Any) -> None:
        at = more.pop("at", None) or self.clock.now()
        self.steps.append(ReplayStep(at, actor, action, what, outcome, **more))

    # --- the launch and its recurring slots ---------------------------------------------------

    def set_up(self) -> None:
        launch = self.scenario.launch
        launches.create_launch(
            self.rt,
            CreateLaunch(
                slug=launch.slug,
                titles=launch.titles,
                zone=launch.zone,
                market=launch.market,
                skus=launch.skus,
                per_customer_limit=launch.per_customer_limit,
                policy=launch.policy,
                languages=launch.languages,
            ),
        )
        for spec in self.scenario.milestones:
            titles = spec.titles.as_dict()
            command = AddMilestone(launch_slug=self.slug, key=spec.key, kind=spec.kind, titles=titles)
            launches.add_milestone(self.rt, command)
        policy = launch.policy.to_dict()
        self.log(
            "operator",
            "set_up",
            _texts(
                f"Launch {launch.title('en')} with {len(self.scenario.milestones)} milestones; policy: exact "
                f"times at least {policy['min_lead_hours']:g} h ahead, changes at least "
                f"{policy['min_change_lead_hours']:g} h before the old time, with a reason.",
                f"{launch.title('ko')} 출시와 마일스톤 {len(self.scenario.milestones)}개를 등록합니다. 정책: "
                f"정확한 시각은 {policy['min_lead_hours']:g}시간 전, 변경은 기존 시각 "
                f"{policy['min_change_lead_hours']:g}시간 전까지 사유와 함께.",
            ),
            "noted",
        )

    def create_cadence(self, spec: CadenceSpec) -> None:
        cadence = cadences.create_cadence(
            self.rt,
            CreateCadence(
                launch_slug=self.slug,
                weekdays=",".join(WEEKDAY_NAMES[day] for day in spec.weekdays),
                at=spec.local_time.strftime("%H:%M"),
                titles=spec.titles.as_dict(),
                kind=spec.kind,
            ),
        )
        self.cadence_ids[spec.key] = cadence.id
        first = Promise.exact(cadence.next_slot(self.clock.now()), cadence.zone)
        days = {(0, 1, 2, 3, 4): "weekdays", tuple(range(7)): "daily"}.get(
            spec.weekdays, ",".join(WEEKDAY_NAMES[day] for day in spec.weekdays)
        )
        slot = f"{days} {spec.local_time:%H:%M} ({cadence.zone})"
        self.log(
            "operator",
            "cadence",
            _texts(f"Update slots, {slot}: {spec.titles.en}", f"정기 안내 시각, {slot}: {spec.titles.ko}"),
            "scheduled",
            message=f"first slot {first.describe('en')}",
        )

    def end_cadences(self) -> None:
        """The timeline ends, and with it the recurring slots it set up: a server that carries
        on from this database must not fill years of slots nobody is reading."""
        for key, cadence_id in self.cadence_ids.items():
            cadences.end_cadence(self.rt, EndCadence(cadence_id, reason="the replayed timeline ends here"))
            spec = self.scenario.cadence(key)
            self.log(
                "operator",
                "end_cadence",
                _texts(f"Update slots end: {spec.titles.en}", f"정기 안내 종료: {spec.titles.ko}"),
                "noted",
            )

    # --- time passing --------------------------------------------------------------------------

    def advance_to(self, target: datetime) -> None:
        """Move the clock to ``target``, stopping wherever the scheduler would have work."""
        while True:
            due = upkeep.next_due(self.rt)
            starts = self.pending_cadences[0].created_at if self.pending_cadences else None
            candidates = [t for t in (due, starts) if t is not None and t <= target]
            if not candidates:
                break
            before = self.clock.now()
            self.clock.advance_to(min(candidates))
            created = 0
            while self.pending_cadences and self.pending_cadences[0].created_at <= self.clock.now():
                self.create_cadence(self.pending_cadences.pop(0))
                created += 1
            if not self.tick() and not created and self.clock.now() == before:
                break  # something is due that tick cannot do: stop rather than spin
        self.clock.advance_to(target)

    def tick(self) -> bool:
        report = upkeep.tick(self.rt)
        for notice in report.published:
            self.log_publication(notice)
        for notice in report.reminded:
            self.log(YAKSOK, "remind", dict(notice.titles), "published", **_notice_fields(notice))
        for milestone, version in report.broken:
            self.log_broken(milestone, version)
        return bool(report.published or report.reminded or report.broken)

    def log_publication(self, notice: Notice) -> None:
        if notice.cadence_id is None:
            what = _texts("A scheduled notice goes out at its time.", "예약된 공지가 정한 시각에 나갑니다.")
        elif notice.id in self.written_for_cadence:
            what = _texts("Update slot: the operator's update goes out.", "정기 안내: 운영자가 쓴 안내")
        else:
            what = _texts(
                "Update slot with nothing written: yaksok's standard \u201cno change\u201d notice.",
                "쓴 안내가 없는 정기 안내 시각: yaksok의 '변동 없음' 안내",
            )
        fields = _notice_fields(notice)
        told = personal_messages.told_at(self.rt, self.slug, notice.publish_at) if notice.cadence_id else 0
        if told:
            fields["message"] = (
                f"{told:,} customers emailed their own ship date at this hour, in their language"
            )
            if notice.id not in self.written_for_cadence:
                what = _texts(
                    "Update slot with nothing written, but dates moved: yaksok's summary of who ships when.",
                    "쓴 안내가 없지만 출고일이 바뀐 정기 안내 시각: yaksok이 예약 번호별 일정을 알립니다.",
                )
        self.log(YAKSOK, "publish", what, "published", **fields)

    def log_broken(self, milestone: Milestone, version: PromiseVersion) -> None:
        what = {lang: wording.broken_promise_note(milestone, version, lang) for lang in ("ko", "en")}
        self.log(YAKSOK, "broken", what, "broken", codes=("promise.broken",))

    # --- the steps -----------------------------------------------------------------------------

    def perform(self, step: Step) -> None:
        what, actor, started = step.what.as_dict(), step.actor.value, self.clock.now()
        handler = self.handlers().get(type(step.action))
        try:
            outcome, fields = handler(step.action) if handler else ("noted", {})
        except PolicyViolation as exc:
            outcome, fields = "refused", {"codes": tuple(exc.rules), "message": exc.message}
        except YaksokError as exc:
            outcome, fields = "refused", {"codes": (exc.code,), "message": exc.message}
        self.log(actor, step.action.name, what, outcome, at=started, **fields)

    def handlers(self) -> dict[type, Callable[[Any], tuple[str, dict[str, Any]]]]:
        return {
            PromiseAction: self.promise,
            CancelAction: self.cancel,
            NoticeAction: self.notice,
            ClarifyAction: self.clarify,
            OccurAction: self.occur,
            CrowdAction: self.crowd,
            StockAction: self.stock,
            MoveStockAction: self.move_stock,
            AskAction: self.ask,
            AnswerAction: self.answer,
            NoteAction: lambda _action: ("noted", {}),
        }

    def promise(self, action: PromiseAction) -> tuple[str, dict[str, Any]]:
        spec = action.notice
        command = RevisePromise(
            self.scenario.milestone_id(action.milestone),
            time=_time_text(action.promise),
            precision=action.promise.precision,
            reason=action.reason.as_dict(),
            change_kind=action.change_kind,
            override=action.override.as_dict() if action.override else None,
            titles=spec.titles.as_dict() if spec else None,
            bodies=spec.bodies.as_dict() if spec else None,
            next_update_at=spec.next_update_at if spec else None,
        )
        return _promise_outcome(*proposals.done(launches.revise_promise(self.rt, command)))

    def cancel(self, action: CancelAction) -> tuple[str, dict[str, Any]]:
        spec = action.notice
        command = CancelMilestone(
            self.scenario.milestone_id(action.milestone),
            reason=action.reason.as_dict(),
            override=action.override.as_dict() if action.override else None,
            titles=spec.titles.as_dict() if spec else None,
            bodies=spec.bodies.as_dict() if spec else None,
        )
        return _promise_outcome(*proposals.done(launches.cancel_milestone(self.rt, command)))

    def notice(self, action: NoticeAction) -> tuple[str, dict[str, Any]]:
        spec = action.notice
        command = WriteNotice(
            kind=spec.kind,
            titles=spec.titles.as_dict(),
            bodies=spec.bodies.as_dict(),
            launch_slug=self.slug,
            milestone_ids=self.milestone_ids(spec),
            next_update_at=spec.next_update_at,
            cadence_id=self.cadence_ids[spec.cadence] if spec.cadence else None,
            publish_at=spec.publish_at,
            publish_now=spec.publish_at is None and spec.cadence is None,
        )
        notice = proposals.done(notices.create_notice(self.rt, command))
        if notice.cadence_id is not None:
            self.written_for_cadence.add(notice.id)
            return "scheduled", {**_notice_fields(notice), "message": "goes out at the next update slot"}
        if notice.publish_at is not None and notice.published_at is None:
            when = Promise.exact(notice.publish_at, self.scenario.launch.zone).describe("en")
            return "scheduled", {**_notice_fields(notice), "message": f"goes out at {when}"}
        return "published", _notice_fields(notice)

    def clarify(self, action: ClarifyAction) -> tuple[str, dict[str, Any]]:
        spec = action.notice
        command = Clarify(
            claim=Claim(action.claim.text.joined(), action.claim.verdict, action.claim.source_url),
            titles=spec.titles.as_dict(),
            bodies=spec.bodies.as_dict(),
            launch_slug=self.slug,
            milestone_ids=self.milestone_ids(spec),
            next_update_at=spec.next_update_at,
        )
        notice = proposals.done(notices.clarify(self.rt, command))
        verdict = command.claim.verdict.value
        return "clarification", {**_notice_fields(notice), "message": f"claim judged {verdict}"}

    def occur(self, action: OccurAction) -> tuple[str, dict[str, Any]]:
        command = RecordOccurrence(
            self.scenario.milestone_id(action.milestone), at=action.at, note=action.note.joined()
        )
        milestone = launches.record_occurrence(self.rt, command)
        promised = milestone.promise.describe("en") if milestone.promise else "nothing promised"
        happened = Promise.exact(action.at, self.scenario.launch.zone).describe("en")
        return "occurred", {"message": f"happened {happened}; promised {promised}"}

    def crowd(self, action: CrowdAction) -> tuple[str, dict[str, Any]]:
        start, counted, commits = self.clock.now(), Counter[str](), 0
        arrivals = _crowd_arrivals(action, self.scenario.launch)
        while arrivals:
            window = start + WRITER_WINDOW * (int((arrivals[0][0]) / WRITER_WINDOW) + 1)
            batch = [command for after, command in arrivals if start + after < window]
            arrivals = arrivals[len(batch) :]
            self.advance_to(window)
            counted.update(self._counted(outcome) for outcome in reservations.reserve_batch(self.rt, batch))
            commits += 1
        refused = sorted((code, n) for code, n in counted.items() if "." in code)
        message = (
            f"{counted['queued']:,} reservations queued and {counted['waitlisted']:,} waitlisted past a "
            f"cap, committed in {commits:,} batches; {counted['replayed']:,} retries answered with the "
            f"first reply; refused: {', '.join(f'{n:,} {code}' for code, n in refused) or 'none'}"
        )
        return "reserved", {"codes": tuple(code for code, _ in refused), "message": message}

    def ask(self, action: AskAction) -> tuple[str, dict[str, Any]]:
        asked = questions.ask(self.rt, questions.Ask(self.slug, action.text, action.language))
        self.question_ids[action.key] = asked.id
        return "asked", {"message": f"question {asked.id}: {action.text}"}

    def answer(self, action: AnswerAction) -> tuple[str, dict[str, Any]]:
        question_id = self.question_ids[action.question]
        support = dataclasses.replace(self.rt, actor=OPERATOR)
        done = questions.answer(support, question_id, action.text, official=action.official)
        waited = done.answer.answered_at - done.question.asked_at
        after = f"{waited / timedelta(minutes=1):g} min after it was asked"
        kind = "official answer" if action.official else "reply"
        return "answered", {"message": f"{kind} to {question_id}, {after}: {action.text}"}

    def _counted(self, outcome: reservations.Outcome) -> str:
        if isinstance(outcome, YaksokError):
            return outcome.code
        if outcome.replayed:
            return "replayed"
        if not self.lookup:
            self.lookup = f"/reservations/{outcome.reservation.code}?secret={outcome.secret}"
        self.secrets[outcome.reservation.sequence] = f"{outcome.reservation.code}?secret={outcome.secret}"
        return outcome.reservation.state.value

    def stock(self, action: StockAction) -> tuple[str, dict[str, Any]]:
        for spec in action.batches:
            command = RecordBatch(launch_slug=self.slug, sku=spec.sku, units=spec.units, date=spec.date)
            allocation.record_batch(self.rt, command)
        units = sum(spec.units for spec in action.batches)
        return self._allocated(f"{len(action.batches)} stock batches recorded ({units:,} units)")

    def move_stock(self, action: MoveStockAction) -> tuple[str, dict[str, Any]]:
        command = MoveBatch(
            launch_slug=self.slug, number=action.batch, date=action.date, reason=action.reason
        )
        allocation.move_batch(self.rt, command)
        return self._allocated(f"batch {action.batch} moved to {action.date.isoformat()}")

    def _allocated(self, done: str) -> tuple[str, dict[str, Any]]:
        report = allocation.run_allocation(self.rt, self.slug)
        run = report.run
        self._follow_a_moved_date(run.number)
        message = (
            f"{done}; allocation run {run.number}: {run.scheduled:,} of {run.reservations:,} reservations "
            f"scheduled, {run.changed:,} dates set or moved, in reservation order; customers are told "
            "at the next shipping update slot"
        )
        return "allocated", {"message": message}

    def _follow_a_moved_date(self, run: int) -> None:
        """Print the lookup of a reservation whose date moved, so its page shows a history."""
        moved = next(
            (c for c in allocation.changed_in_run(self.rt, self.slug, run) if c[1] is not None), None
        )
        if moved is not None and moved[0] in self.secrets:
            self.lookup = f"/reservations/{self.secrets[moved[0]]}"

    def milestone_ids(self, spec: NoticeSpec) -> tuple[str, ...]:
        return tuple(self.scenario.milestone_id(key) for key in spec.milestones)

    # --- the end -------------------------------------------------------------------------------

    def report(self) -> ReplayReport:
        card, view = queries.scorecard(self.rt, self.slug)
        milestones = view.milestones
        promises = tuple(
            {
                "milestone": outcome.version.milestone_id,
                "title": milestones[outcome.version.milestone_id].titles,
                "version": outcome.version.version,
                "promised": {lang: outcome.version.promise.describe(lang) for lang in ("ko", "en")},
                "made_at": outcome.version.made_at.isoformat(),
                "outcome": outcome.outcome.value,
                "why": outcome.why,
            }
            for outcome in card.outcomes
        )
        verification = ledger.verify_store(self.rt)
        head = lookups.ledger_head(self.rt)
        return ReplayReport(
            title=self.scenario.title.as_dict(),
            summary=self.scenario.summary.as_dict(),
            launch=self.slug,
            zone=self.scenario.launch.zone,
            steps=tuple(self.steps),
            scorecard={**card.to_dict(), "questions": questions.figures(self.rt, self.slug).to_dict()},
            promises=promises,
            lookup=self.lookup,
            ledger={
                "entries": verification.chain.count,
                "head_seq": None if head is None else head.seq,
                "head_hash": None if head is None else head.hash,
                "intact": verification.ok,
                "verification": verification.describe(),
            },
        )


def _notice_fields(notice: Notice) -> dict[str, Any]:
    return {
        "notice": notice.id,
        "title": dict(notice.titles),
        "channels": tuple(notice.channels),
        "codes": tuple(notice.overridden),
        "justification": dict(notice.justification),
    }


def _promise_outcome(version: PromiseVersion, notice: Notice) -> tuple[str, dict[str, Any]]:
    fields = _notice_fields(notice)
    fields["message"] = f"promise v{version.version}: {version.promise.describe('en')}"
    return ("overridden" if version.overridden else "published"), fields


def _crowd_arrivals(action: CrowdAction, launch: Launch) -> list[tuple[timedelta, Reserve]]:
    """The crowd's requests with when each arrives after the step, earliest first. Most come in
    the first seconds (arrival ~ seconds x U^3); the simulation is seeded, so a replay repeats."""
    rng = random.Random(f"{launch.slug}:{action.reservations}")
    skus, limit = [sku.code for sku in launch.skus], launch.per_customer_limit

    def request(n: int, key: str, quantity: int) -> Reserve:
        sku, contact = skus[n % len(skus)], f"customer-{n:06d}@example.kr"
        language = "en" if n % 10 == 9 else "ko"  # a few customers read English
        return Reserve(
            launch_slug=launch.slug,
            idempotency_key=key,
            sku=sku,
            quantity=quantity,
            contact=contact,
            language=language,
        )

    def arrival(after: float = 0.0) -> timedelta:
        return timedelta(seconds=after + action.seconds * rng.random() ** 3)

    firsts = [
        (arrival(), request(n, f"crowd-{n}", 2 if limit > 1 and rng.random() < 0.2 else 1))
        for n in range(action.reservations)
    ]
    retries = [(at + arrival(1.0) / 10, again) for at, again in rng.sample(firsts, action.retried)]
    greedy = [(arrival(1.0), request(n, f"crowd-more-{n}", limit)) for n in range(action.over_limit)]
    return sorted(firsts + retries + greedy, key=lambda arrived: arrived[0])
