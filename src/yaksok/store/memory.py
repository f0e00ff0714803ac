"""The store in memory: the port implemented with dictionaries, so service tests need no database.

It keeps the promises of the SQL store that the services rely on, and the contract tests
(tests/integration/test_store.py) check them on every store: writers take turns, and each works on its
own copy of the tables, which replaces the committed ones only when its block ends without an
exception (a failure leaves nothing behind, readers never see a write in progress); since
writers take turns, a claim is a plain read. Instants come back in UTC, and what goes in or
comes out is a copy, as a row would be. The constraints of the schema (unique keys, references)
are checked and break with ``ConstraintViolation``, which ends the write as ``Conflict``
(``write.conflict``), as the SQL store's integrity errors do. The
ledger chains with the same hashing (``domain.ledger``); announcements of live events are kept
in ``MemoryStore.announced`` instead of being sent to other processes, which there are none of,
and its one process always leads the scheduler.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from yaksok.domain import codes
from yaksok.domain.administration import AuditEntry, Operator, Passkey, TokenRecord
from yaksok.domain.allocation import (
    CANCELLED,
    QUEUED,
    WAITLISTED,
    DateChange,
    HistoryEntry,
    Line,
    Run,
    StockBatch,
)
from yaksok.domain.beacon import Chain
from yaksok.domain.cadence import Cadence, parse_weekdays
from yaksok.domain.delivery import Delivery, DeliveryStatus, Fanout
from yaksok.domain.errors import Conflict
from yaksok.domain.figures import DeliveryTally, ReservationTally, per_second
from yaksok.domain.launch import Launch, Milestone, Occurrence, Sku
from yaksok.domain.ledger import JSON, Checkpoint, LedgerEntry, SigningKey
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.personal_message import PersonalMessage
from yaksok.domain.policy import Policy
from yaksok.domain.promise import PromiseVersion
from yaksok.domain.push import VapidKey
from yaksok.domain.question import Question, QuestionState, StaffAnswer
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.domain.review import Proposal, ProposalState
from yaksok.domain.social import SocialPost
from yaksok.domain.subscription import Recipient, Subscription
from yaksok.domain.waiting_room import Entry, Room
from yaksok.store import port

K = TypeVar("K")
T = TypeVar("T")


class ConstraintViolation(Exception):
    """A write the SQL schema would refuse (a duplicate key, a reference to nothing)."""


class ReadOnlyTransaction(Exception):
    """A write through a transaction opened with ``read()``."""


@dataclass(frozen=True)
class _LaunchRow:
    launch: Launch
    created_at: datetime


@dataclass(frozen=True)
class _MilestoneRow:
    milestone: Milestone  # without its versions, which have their own table
    position: int
    broken_version: int | None = None


@dataclass(frozen=True)
class _NoticeRow:
    notice: Notice
    ledger_seq: int | None = None


@dataclass(frozen=True)
class _CadenceRow:
    cadence: Cadence
    created_at: datetime
    active: bool = True


@dataclass(frozen=True)
class _TokenRow:
    token_hash: str
    role: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None
    launches: tuple[str, ...] | None = None


@dataclass
class _Tables:
    """Committed tables are never changed in place: a writer changes a copy, then swaps it in."""

    launches: dict[str, _LaunchRow] = field(default_factory=dict)
    milestones: dict[str, _MilestoneRow] = field(default_factory=dict)
    versions: dict[str, tuple[PromiseVersion, ...]] = field(default_factory=dict)
    notices: dict[str, _NoticeRow] = field(default_factory=dict)
    cadences: dict[str, _CadenceRow] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)
    signing_keys: dict[str, SigningKey] = field(default_factory=dict)
    tokens: dict[str, _TokenRow] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    passkeys: dict[str, Passkey] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)  # without their answers
    answers: dict[str, StaffAnswer] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    vapid_keys: list[VapidKey] = field(default_factory=list)
    fanouts: dict[str, Fanout] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    social_credentials: dict[str, str] = field(default_factory=dict)
    social_posts: dict[tuple[str, str], SocialPost] = field(default_factory=dict)
    announced: list[int] = field(default_factory=list)
    rooms: dict[str, tuple[Room, bytes]] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    admissions_used: dict[tuple[str, str], datetime] = field(default_factory=dict)
    personal_messages: dict[str, PersonalMessage] = field(default_factory=dict)
    ship_dates_told: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    stock_batches: dict[tuple[str, int], StockBatch] = field(default_factory=dict)
    allocations: dict[tuple[str, int], tuple[int, date]] = field(default_factory=dict)
    ship_date_changes: dict[tuple[str, int, int], DateChange] = field(default_factory=dict)
    allocation_runs: dict[tuple[str, int], Run] = field(default_factory=dict)

    def copy(self) -> _Tables:
        # Shallow is enough: rows are frozen and hold copies nobody else can reach.
        return _Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return at.astimezone(UTC)


def _utc_or_none(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


def _insert(table: dict[K, T], key: K, row: T, what: str) -> None:
    if key in table:
        raise ConstraintViolation(f"{what} {key!r} is already stored")
    table[key] = row


def _require(found: bool, what: str) -> None:
    if not found:
        raise ConstraintViolation(f"{what} does not exist")


class _Repository:
    def __init__(self, tables: _Tables, writable: bool) -> None:
        self._tables = tables
        self._writable = writable

    def _write(self) -> _Tables:
        if not self._writable:
            raise ReadOnlyTransaction("this transaction was opened for reading")
        return self._tables


class LaunchRepository(_Repository, port.LaunchRepository):
    def add(self, launch: Launch, now: datetime) -> bool:
        tables = self._write()
        if launch.slug in tables.launches:
            return False
        stored = replace(copy.deepcopy(launch), policy=Policy.from_stored(launch.policy.to_stored()))
        tables.launches[launch.slug] = _LaunchRow(stored, _utc(now))
        return True

    def exists(self, slug: str) -> bool:
        return slug in self._tables.launches

    def get(self, slug: str) -> Launch | None:
        row = self._tables.launches.get(slug)
        return None if row is None else copy.deepcopy(row.launch)

    def claim(self, slug: str) -> Launch | None:
        self._write()
        return self.get(slug)

    def list(self) -> list[Launch]:
        rows = sorted(self._tables.launches.values(), key=lambda r: (r.created_at, r.launch.slug))
        return [copy.deepcopy(row.launch) for row in rows]

    def set_titles(self, slug: str, titles: dict[str, str]) -> None:
        tables = self._write()
        row = tables.launches.get(slug)
        if row is not None:
            tables.launches[slug] = replace(row, launch=replace(row.launch, titles=dict(titles)))

    def set_offer(self, slug: str, skus: tuple[Sku, ...], per_customer_limit: int) -> None:
        tables = self._write()
        row = tables.launches.get(slug)
        if row is not None:
            launch = replace(row.launch, skus=copy.deepcopy(skus), per_customer_limit=per_customer_limit)
            tables.launches[slug] = replace(row, launch=launch)

    def set_policy(self, slug: str, policy: Policy) -> None:
        tables = self._write()
        row = tables.launches.get(slug)
        if row is not None:
            stored = Policy.from_stored(policy.to_stored())
            tables.launches[slug] = replace(row, launch=replace(row.launch, policy=stored))

    def set_languages(self, slug: str, languages: tuple[str, ...]) -> None:
        tables = self._write()
        row = tables.launches.get(slug)
        if row is not None:
            tables.launches[slug] = replace(row, launch=replace(row.launch, languages=tuple(languages)))


def _stored_version(version: PromiseVersion) -> PromiseVersion:
    promise = replace(version.promise, at=_utc_or_none(version.promise.at))
    return replace(copy.deepcopy(version), promise=promise, made_at=_utc(version.made_at))


def _stored_occurrence(occurrence: Occurrence | None) -> Occurrence | None:
    if occurrence is None:
        return None
    return replace(occurrence, at=_utc(occurrence.at), recorded_at=_utc(occurrence.recorded_at))


class MilestoneRepository(_Repository, port.MilestoneRepository):
    def add(self, milestone: Milestone) -> None:
        tables = self._write()
        _require(milestone.launch_slug in tables.launches, f"launch {milestone.launch_slug!r}")
        slug = milestone.launch_slug
        position = len([row for row in tables.milestones.values() if row.milestone.launch_slug == slug])
        stored = replace(copy.deepcopy(milestone), versions=(), occurrence=None)
        _insert(tables.milestones, milestone.id, _MilestoneRow(stored, position), "milestone")
        for version in milestone.versions:
            self.add_version(version)

    def add_version(self, version: PromiseVersion) -> None:
        tables = self._write()
        _require(version.milestone_id in tables.milestones, f"milestone {version.milestone_id!r}")
        versions = {v.version: v for v in tables.versions.get(version.milestone_id, ())}
        _insert(versions, version.version, _stored_version(version), f"{version.milestone_id!r} version")
        tables.versions[version.milestone_id] = tuple(versions[n] for n in sorted(versions))

    def record_occurrence(self, milestone: Milestone) -> bool:
        assert milestone.occurrence is not None
        tables = self._write()
        row = tables.milestones.get(milestone.id)
        if row is None or row.milestone.occurrence is not None:
            return False
        occurred = replace(row.milestone, occurrence=_stored_occurrence(milestone.occurrence))
        tables.milestones[milestone.id] = replace(row, milestone=occurred)
        return True

    def set_titles(self, milestone_id: str, titles: dict[str, str]) -> None:
        tables = self._write()
        row = tables.milestones.get(milestone_id)
        if row is not None:
            tables.milestones[milestone_id] = replace(
                row, milestone=replace(row.milestone, titles=dict(titles))
            )

    def mark_broken(self, milestone_id: str, version: int) -> bool:
        tables = self._write()
        row = tables.milestones.get(milestone_id)
        if row is None or (row.broken_version is not None and row.broken_version >= version):
            return False
        tables.milestones[milestone_id] = replace(row, broken_version=version)
        return True

    def get(self, milestone_id: str) -> Milestone | None:
        found = self._load(lambda row: row.milestone.id == milestone_id)
        return found[0] if found else None

    def claim(self, milestone_id: str) -> Milestone | None:
        self._write()
        return self.get(milestone_id)

    def for_launch(self, slug: str) -> list[Milestone]:
        return self._load(lambda row: row.milestone.launch_slug == slug)

    def all(self) -> list[Milestone]:
        return self._load(lambda row: True)

    def _load(self, where: Callable[[_MilestoneRow], bool]) -> list[Milestone]:
        rows = sorted(
            filter(where, self._tables.milestones.values()),
            key=lambda row: (row.milestone.launch_slug, row.position),
        )
        return [
            replace(copy.deepcopy(row.milestone), versions=self._tables.versions.get(row.milestone.id, ()))
            for row in rows
        ]


def _stored_notice(notice: Notice) -> Notice:
    return replace(
        copy.deepcopy(notice),
        created_at=_utc(notice.created_at),
        publish_at=_utc_or_none(notice.publish_at),
        published_at=_utc_or_none(notice.published_at),
        next_update_at=_utc_or_none(notice.next_update_at),
    )


class NoticeRepository(_Repository, port.NoticeRepository):
    def add(self, notice: Notice) -> None:
        tables = self._write()
        if notice.launch_slug is not None:
            _require(notice.launch_slug in tables.launches, f"launch {notice.launch_slug!r}")
        _insert(tables.notices, notice.id, _NoticeRow(_stored_notice(notice)), "notice")

    def save(self, notice: Notice, ledger_seq: int | None = None) -> bool:
        tables = self._write()
        row = tables.notices.get(notice.id)
        if row is None or row.notice.state is NoticeState.PUBLISHED:
            return False
        seq = row.ledger_seq if ledger_seq is None else ledger_seq
        tables.notices[notice.id] = _NoticeRow(_stored_notice(notice), seq)
        return True

    def get(self, notice_id: str) -> Notice | None:
        row = self._tables.notices.get(notice_id)
        return None if row is None else copy.deepcopy(row.notice)

    def claim(self, notice_id: str) -> Notice | None:
        self._write()
        return self.get(notice_id)

    def superseded_by(self, notice_id: str) -> Notice | None:
        found = self._select(lambda n: n.supersedes == notice_id and n.state is NoticeState.PUBLISHED)
        return copy.deepcopy(max(found, key=_seq).notice) if found else None

    def published(
        self,
        *,
        launch_slug: str | None = None,
        kind: NoticeKind | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Notice]:
        rows = self._select(
            lambda n: (
                n.state is NoticeState.PUBLISHED
                and (launch_slug is None or n.launch_slug == launch_slug)
                and (kind is None or n.kind is kind)
            )
        )
        rows.sort(key=lambda row: (row.notice.published_at, _seq(row)), reverse=True)
        end = None if limit is None else offset + limit
        return [copy.deepcopy(row.notice) for row in rows[offset:end]]

    def published_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[int, Notice]]:
        rows = self._select(lambda n: n.state is NoticeState.PUBLISHED)
        found = sorted((row for row in rows if _seq(row) > after_seq), key=_seq)
        return [(_seq(row), copy.deepcopy(row.notice)) for row in found[:limit]]

    def published_seq_before(self, seq: int) -> int | None:
        rows = self._select(lambda n: n.state is NoticeState.PUBLISHED)
        return max((_seq(row) for row in rows if -1 < _seq(row) < seq), default=None)

    def all(self, launch_slug: str | None = None) -> list[Notice]:
        rows = self._select(lambda n: launch_slug is None or n.launch_slug == launch_slug)
        rows.sort(key=lambda row: (row.notice.created_at, row.notice.id))
        return [copy.deepcopy(row.notice) for row in rows]

    def due(self, now: datetime) -> list[Notice]:
        rows = self._select(
            lambda n: n.state is NoticeState.SCHEDULED and n.publish_at is not None and n.publish_at <= now
        )
        rows.sort(key=lambda row: (row.notice.publish_at, row.notice.created_at))
        return [copy.deepcopy(row.notice) for row in rows]

    def next_due_at(self) -> datetime | None:
        rows = self._select(lambda n: n.state is NoticeState.SCHEDULED and n.publish_at is not None)
        return min((row.notice.publish_at for row in rows if row.notice.publish_at), default=None)

    def pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        rows = self._select(lambda n: n.cadence_id == cadence_id and n.state is not NoticeState.PUBLISHED)
        rows.sort(key=lambda row: row.notice.created_at)
        return [copy.deepcopy(row.notice) for row in rows]

    def claim_pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        self._write()
        return self.pending_for_cadence(cadence_id)

    def last_published_for_cadence(self, cadence_id: str) -> Notice | None:
        rows = self._select(lambda n: n.cadence_id == cadence_id and n.state is NoticeState.PUBLISHED)
        rows.sort(key=lambda row: row.notice.publish_at or row.notice.created_at)
        return copy.deepcopy(rows[-1].notice) if rows else None

    def latest_published_at(self) -> datetime | None:
        rows = self._select(lambda n: n.state is NoticeState.PUBLISHED)
        return max((row.notice.published_at for row in rows if row.notice.published_at), default=None)

    def _select(self, where: Callable[[Notice], bool]) -> list[_NoticeRow]:
        return [row for row in self._tables.notices.values() if where(row.notice)]


def _seq(row: _NoticeRow) -> int:
    return -1 if row.ledger_seq is None else row.ledger_seq


class CadenceRepository(_Repository, port.CadenceRepository):
    def add(self, cadence: Cadence, now: datetime) -> None:
        tables = self._write()
        _require(cadence.launch_slug in tables.launches, f"launch {cadence.launch_slug!r}")
        stored = replace(
            copy.deepcopy(cadence),
            # Stored as text: days "0,1,…" (none means every day) and the time to the minute.
            weekdays=cadence.weekdays or parse_weekdays("daily"),
            local_time=cadence.local_time.replace(second=0, microsecond=0),
            last_slot_at=_utc_or_none(cadence.last_slot_at),
        )
        _insert(tables.cadences, cadence.id, _CadenceRow(stored, _utc(now)), "cadence")

    def mark_slot(self, cadence_id: str, slot: datetime) -> bool:
        tables = self._write()
        row = tables.cadences.get(cadence_id)
        last = None if row is None else row.cadence.last_slot_at
        if row is None or (last is not None and last >= slot):
            return False
        tables.cadences[cadence_id] = replace(row, cadence=replace(row.cadence, last_slot_at=_utc(slot)))
        return True

    def deactivate(self, cadence_id: str) -> bool:
        tables = self._write()
        row = tables.cadences.get(cadence_id)
        if row is None or not row.active:
            return False
        tables.cadences[cadence_id] = replace(row, active=False)
        return True

    def get(self, cadence_id: str) -> Cadence | None:
        row = self._tables.cadences.get(cadence_id)
        return None if row is None else _cadence(row)

    def claim_active(self, cadence_id: str) -> Cadence | None:
        row = self._write().cadences.get(cadence_id)
        return None if row is None or not row.active else _cadence(row)

    def active(self, launch_slug: str | None = None) -> list[Cadence]:
        rows = [
            row
            for row in self._tables.cadences.values()
            if row.active and (launch_slug is None or row.cadence.launch_slug == launch_slug)
        ]
        return [_cadence(row) for row in sorted(rows, key=lambda row: row.created_at)]


def _cadence(row: _CadenceRow) -> Cadence:
    return replace(copy.deepcopy(row.cadence), last_slot_at=row.cadence.last_slot_at or row.created_at)


class LedgerRepository(_Repository, port.LedgerRepository):
    def append(self, at: datetime, kind: str, data: Mapping[str, JSON]) -> LedgerEntry:
        tables = self._write()
        entry = LedgerEntry.after(self.head(), at, kind, data)
        tables.ledger.append(entry)
        return entry

    def lock(self) -> None:
        self._write()  # writers already take turns

    def head(self) -> LedgerEntry | None:
        return max(self._tables.ledger, key=lambda entry: entry.seq, default=None)

    def head_seq(self) -> int:
        return max((entry.seq for entry in self._tables.ledger), default=0)

    def entries(self, after: int = 0, limit: int | None = None) -> Iterator[LedgerEntry]:
        found = sorted((entry for entry in self._tables.ledger if entry.seq > after), key=lambda e: e.seq)
        return iter(found[:limit])

    def add_checkpoint(self, seq: int, head_hash: str, signature: str, key_id: str, now: datetime) -> None:
        point = Checkpoint(seq, head_hash, signature, key_id, _utc(now))
        _insert(self._write().checkpoints, seq, point, "checkpoint")

    def checkpoints(self) -> list[Checkpoint]:
        return [self._tables.checkpoints[seq] for seq in sorted(self._tables.checkpoints)]

    def latest_checkpoint_seq(self) -> int:
        return max(self._tables.checkpoints, default=0)

    def signing_key(self) -> SigningKey | None:
        return min(self._tables.signing_keys.values(), key=lambda key: key.created_at, default=None)

    def add_signing_key(self, key_id: str, private_pem: str, public_pem: str, now: datetime) -> None:
        key = SigningKey(key_id, private_pem, public_pem, _utc(now))
        _insert(self._write().signing_keys, key_id, key, "signing key")


class TokenRepository(_Repository, port.TokenRepository):
    def add(
        self,
        token_id: str,
        token_hash: str,
        role: str,
        label: str,
        now: datetime,
        launches: tuple[str, ...] | None = None,
    ) -> None:
        tables = self._write()
        if any(row.token_hash == token_hash for row in tables.tokens.values()):
            raise ConstraintViolation("a token with this hash is already stored")
        row = _TokenRow(token_hash, role, label, _utc(now), launches=launches)
        _insert(tables.tokens, token_id, row, "token")

    def role_for(self, token_hash: str) -> str | None:
        active = self.active_for(token_hash)
        return None if active is None else active.role

    def active_for(self, token_hash: str) -> TokenRecord | None:
        for token_id, row in self._tables.tokens.items():
            if row.token_hash == token_hash and row.revoked_at is None:
                return _token(token_id, row)
        return None

    def get(self, token_id: str) -> TokenRecord | None:
        row = self._tables.tokens.get(token_id)
        return None if row is None else _token(token_id, row)

    def list(self) -> list[TokenRecord]:
        rows = sorted(self._tables.tokens.items(), key=lambda item: (item[1].created_at, item[0]))
        return [_token(token_id, row) for token_id, row in rows]

    def revoke(self, token_id: str, now: datetime) -> bool:
        tables = self._write()
        row = tables.tokens.get(token_id)
        if row is None or row.revoked_at is not None:
            return False
        tables.tokens[token_id] = replace(row, revoked_at=_utc(now))
        return True


def _token(token_id: str, row: _TokenRow) -> TokenRecord:
    return TokenRecord(token_id, row.role, row.label, row.created_at, row.revoked_at, row.launches)


class OperatorRepository(_Repository, port.OperatorRepository):
    def add(self, operator: Operator) -> bool:
        tables = self._write()
        if self.by_email(operator.email) is not None:
            return False
        _insert(
            tables.operators, operator.id, replace(operator, created_at=_utc(operator.created_at)), "operator"
        )
        return True

    def get(self, operator_id: str) -> Operator | None:
        return self._tables.operators.get(operator_id)

    def by_email(self, email: str) -> Operator | None:
        return next((op for op in self._tables.operators.values() if op.email == email), None)


class PasskeyRepository(_Repository, port.PasskeyRepository):
    def add(self, passkey: Passkey) -> bool:
        tables = self._write()
        if passkey.id in tables.passkeys:
            return False
        _require(passkey.operator_id in tables.operators, f"operator {passkey.operator_id!r}")
        tables.passkeys[passkey.id] = replace(passkey, created_at=_utc(passkey.created_at))
        return True

    def get(self, passkey_id: str) -> Passkey | None:
        return self._tables.passkeys.get(passkey_id)

    def of_operator(self, operator_id: str) -> list[Passkey]:
        mine = (p for p in self._tables.passkeys.values() if p.operator_id == operator_id)
        return sorted(mine, key=lambda p: (p.created_at, p.id))

    def used(self, passkey_id: str, sign_count: int, now: datetime) -> None:
        tables = self._write()
        _require(passkey_id in tables.passkeys, f"passkey {passkey_id!r}")
        tables.passkeys[passkey_id] = replace(
            tables.passkeys[passkey_id], sign_count=sign_count, last_used_at=_utc(now)
        )


class ProposalRepository(_Repository, port.ProposalRepository):
    def add(self, proposal: Proposal) -> None:
        _insert(self._write().proposals, proposal.id, _stored_proposal(proposal), "proposal")

    def get(self, proposal_id: str) -> Proposal | None:
        found = self._tables.proposals.get(proposal_id)
        return None if found is None else copy.deepcopy(found)

    def claim(self, proposal_id: str) -> Proposal | None:
        self._write()
        return self.get(proposal_id)

    def save(self, proposal: Proposal) -> None:
        tables = self._write()
        _require(proposal.id in tables.proposals, f"proposal {proposal.id!r}")
        tables.proposals[proposal.id] = _stored_proposal(proposal)

    def list(self, *, state: ProposalState | None = None, launch_slug: str | None = None) -> list[Proposal]:
        found = [
            copy.deepcopy(p)
            for p in self._tables.proposals.values()
            if (state is None or p.state is state) and (launch_slug is None or p.launch_slug == launch_slug)
        ]
        return sorted(found, key=lambda p: (p.proposed_at, p.id))


def _stored_proposal(proposal: Proposal) -> Proposal:
    return replace(
        copy.deepcopy(proposal),
        proposed_at=_utc(proposal.proposed_at),
        decided_at=_utc_or_none(proposal.decided_at),
    )


class QuestionRepository(_Repository, port.QuestionRepository):
    def add(self, question: Question) -> None:
        stored = replace(
            question,
            answers=(),
            asked_at=_utc(question.asked_at),
            merged_at=_utc_or_none(question.merged_at),
            hidden_at=_utc_or_none(question.hidden_at),
        )
        _insert(self._write().questions, question.id, stored, "question")

    def get(self, question_id: str) -> Question | None:
        found = self._tables.questions.get(question_id)
        return None if found is None else self._with_answers(found)

    def claim(self, question_id: str) -> Question | None:
        self._write()
        return self.get(question_id)

    def save(self, question: Question) -> None:
        tables = self._write()
        old = tables.questions.get(question.id)
        _require(old is not None, f"question {question.id!r}")
        assert old is not None
        tables.questions[question.id] = replace(
            old,
            state=question.state,
            merged_into=question.merged_into,
            merged_at=_utc_or_none(question.merged_at),
            hidden_reason=question.hidden_reason,
            hidden_at=_utc_or_none(question.hidden_at),
        )

    def add_answer(self, answer: StaffAnswer) -> None:
        tables = self._write()
        _require(answer.question_id in tables.questions, f"question {answer.question_id!r}")
        stored = replace(answer, answered_at=_utc(answer.answered_at))
        _insert(tables.answers, answer.id, stored, "answer")

    def find(
        self,
        *,
        launch_slug: str | None = None,
        notice_id: str | None = None,
        state: QuestionState | None = None,
        limit: int | None = None,
    ) -> list[Question]:
        found = [
            q
            for q in self._tables.questions.values()
            if (launch_slug is None or q.launch_slug == launch_slug)
            and (notice_id is None or q.notice_id == notice_id)
            and (state is None or q.state is state)
        ]
        found.sort(key=lambda q: (q.asked_at, q.id), reverse=True)
        return [self._with_answers(q) for q in found[:limit]]

    def answers_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[Question, StaffAnswer]]:
        found = sorted(
            (a for a in self._official() if a.ledger_seq is not None and a.ledger_seq > after_seq),
            key=lambda a: a.ledger_seq or 0,
        )
        questions = self._tables.questions
        return [(self._with_answers(questions[a.question_id]), a) for a in found[:limit]]

    def answer_seq_before(self, seq: int) -> int | None:
        seqs = (a.ledger_seq for a in self._official() if a.ledger_seq is not None)
        return max((s for s in seqs if s < seq), default=None)

    def _official(self) -> list[StaffAnswer]:
        return [a for a in self._tables.answers.values() if a.official]

    def _with_answers(self, question: Question) -> Question:
        answers = sorted(
            (a for a in self._tables.answers.values() if a.question_id == question.id),
            key=lambda a: (a.answered_at, a.id),
        )
        return replace(question, answers=tuple(answers))


class AuditRepository(_Repository, port.AuditRepository):
    def add(self, at: datetime, actor: str | None, action: str, details: Mapping[str, object]) -> None:
        trail = self._write().audit
        trail.append(AuditEntry(len(trail) + 1, _utc(at), actor, action, copy.deepcopy(dict(details))))

    def entries(self, *, limit: int = 1000) -> list[AuditEntry]:
        return [
            replace(entry, details=copy.deepcopy(dict(entry.details)))
            for entry in self._tables.audit[-limit:]
        ]


class ReservationRepository(_Repository, port.ReservationRepository):
    def add_many(self, reservations: Sequence[Reservation]) -> None:
        tables = self._write()
        for new in reservations:
            _require(new.launch_slug in tables.launches, f"launch {new.launch_slug!r}")
            taken = self._of(new.launch_slug)
            if any(r.sequence == new.sequence or r.idempotency_key == new.idempotency_key for r in taken):
                raise ConstraintViolation(f"sequence {new.sequence} or its idempotency key is already stored")
            _insert(
                tables.reservations, new.code, new._replace(created_at=_utc(new.created_at)), "reservation"
            )

    def _of(self, launch_slug: str) -> list[Reservation]:
        found = [r for r in self._tables.reservations.values() if r.launch_slug == launch_slug]
        return sorted(found, key=lambda r: r.sequence)

    def last_sequence(self, launch_slug: str) -> int:
        return max((r.sequence for r in self._of(launch_slug)), default=0)

    def by_keys(self, launch_slug: str, keys: Collection[str]) -> dict[str, Reservation]:
        return {r.idempotency_key: r for r in self._of(launch_slug) if r.idempotency_key in keys}

    def units_by_contact(self, launch_slug: str, contacts: Collection[str]) -> dict[str, int]:
        units: dict[str, int] = {}
        for r in self._of(launch_slug):
            if r.contact in contacts and r.state is not ReservationState.CANCELLED:
                units[r.contact] = units.get(r.contact, 0) + r.quantity
        return units

    def units_held(self, launch_slug: str) -> dict[str, int]:
        units: dict[str, int] = {}
        for r in self._of(launch_slug):
            if r.state is ReservationState.QUEUED:
                units[r.sku] = units.get(r.sku, 0) + r.quantity
        return units

    def get(self, code: str) -> Reservation | None:
        return self._tables.reservations.get(code)

    def set_state(self, code: str, state: ReservationState, now: datetime) -> bool:
        tables = self._write()
        found = tables.reservations.get(code)
        if found is None or found.state is ReservationState.CANCELLED:
            return False
        cancelled_at = _utc(now) if state is ReservationState.CANCELLED else None
        tables.reservations[code] = found._replace(state=state, cancelled_at=cancelled_at)
        return True

    def for_launch(
        self,
        launch_slug: str,
        state: ReservationState | None = None,
        *,
        after: int = 0,
        limit: int | None = None,
        sku: str | None = None,
    ) -> list[Reservation]:
        found = [
            r
            for r in self._of(launch_slug)
            if (state is None or r.state is state) and (sku is None or r.sku == sku) and r.sequence > after
        ]
        return found if limit is None else found[:limit]

    def ahead_of(self, reservation: Reservation, *, same_sku: bool = False) -> int:
        return sum(
            1
            for r in self._of(reservation.launch_slug)
            if r.state is reservation.state
            and r.sequence < reservation.sequence
            and (not same_sku or r.sku == reservation.sku)
        )

    def tally(self, launch_slug: str) -> ReservationTally:
        made = self._of(launch_slug)
        return ReservationTally(
            by_state=Counter(r.state for r in made),
            units_held=self.units_held(launch_slug),
            first_created=min((r.created_at for r in made), default=None),
            per_second=per_second(r.created_at for r in made),
        )


def _stored_subscription(s: Subscription) -> Subscription:
    return replace(
        s,
        created_at=_utc(s.created_at),
        disabled_at=_utc_or_none(s.disabled_at),
        paused_at=_utc_or_none(s.paused_at),
        previous_secret_until=_utc_or_none(s.previous_secret_until),
        failing_since=_utc_or_none(s.failing_since),
        failure_warned_at=_utc_or_none(s.failure_warned_at),
    )


class SubscriptionRepository(_Repository, port.SubscriptionRepository):
    def add_many(self, added: Sequence[Subscription]) -> None:
        table = self._write().subscriptions
        for subscription in added:
            _insert(table, subscription.id, _stored_subscription(subscription), "subscription")

    def get(self, subscription_id: str) -> Subscription | None:
        return self._tables.subscriptions.get(subscription_id)

    def page(self, *, after: str, created_by: datetime, limit: int) -> list[Subscription]:
        found = sorted(
            (s for s in self._tables.subscriptions.values() if s.id > after and s.created_at <= created_by),
            key=lambda s: s.id,
        )
        return found[:limit]

    def recipients(self, *, after: str, created_by: datetime, limit: int) -> list[Recipient]:
        found = sorted(
            (
                s
                for s in self._tables.subscriptions.values()
                if s.id > after and s.created_at <= created_by and s.enabled
            ),
            key=lambda s: s.id,
        )
        return [
            Recipient(
                s.id,
                s.channel,
                s.target,
                s.secret,
                s.language,
                s.launches,
                s.kinds,
                s.previous_secret,
                s.previous_secret_until,
            )
            for s in found[:limit]
        ]

    def disable(self, subscription_id: str, now: datetime, reason: str) -> bool:
        return self._change(
            subscription_id,
            lambda s: s.disabled_at is None,
            lambda s: replace(s, disabled_at=_utc(now), disabled_reason=reason),
        )

    def confirm(self, subscription_id: str) -> bool:
        return self._change(
            subscription_id,
            lambda s: s.awaiting_confirmation and s.disabled_at is None,
            lambda s: replace(s, awaiting_confirmation=False),
        )

    def pause(self, subscription_id: str, now: datetime) -> bool:
        return self._change(subscription_id, lambda s: s.enabled, lambda s: replace(s, paused_at=_utc(now)))

    def resume(self, subscription_id: str) -> bool:
        return self._change(
            subscription_id,
            lambda s: s.paused_at is not None and s.disabled_at is None,
            lambda s: replace(s, paused_at=None),
        )

    def set_secret(
        self, subscription_id: str, secret: str, previous: str = "", previous_until: datetime | None = None
    ) -> bool:
        return self._change(
            subscription_id,
            lambda s: True,
            lambda s: replace(
                s, secret=secret, previous_secret=previous, previous_secret_until=_utc_or_none(previous_until)
            ),
        )

    def save(self, changed: Subscription) -> bool:
        return self._change(
            changed.id,
            lambda s: True,
            lambda s: _stored_subscription(replace(changed, created_at=s.created_at)),
        )

    def _change(
        self,
        subscription_id: str,
        when: Callable[[Subscription], bool],
        change: Callable[[Subscription], Subscription],
    ) -> bool:
        table = self._write().subscriptions
        found = table.get(subscription_id)
        if found is None or not when(found):
            return False
        table[subscription_id] = change(found)
        return True


class PushRepository(_Repository, port.PushRepository):
    def vapid_key(self) -> VapidKey | None:
        return self._tables.vapid_keys[0] if self._tables.vapid_keys else None

    def add_vapid_key(self, key: VapidKey) -> bool:
        table = self._write().vapid_keys
        if table:
            return False
        table.append(replace(key, created_at=_utc(key.created_at)))
        return True

    def at_endpoint(self, endpoint: str) -> list[Subscription]:
        found = (
            s
            for s in self._tables.subscriptions.values()
            if s.channel == "webpush" and s.target == endpoint and s.disabled_at is None
        )
        return sorted(found, key=lambda s: s.id)


def _stored_delivery(d: Delivery) -> Delivery:
    return replace(
        d,
        publish_at=_utc(d.publish_at),
        next_attempt_at=_utc_or_none(d.next_attempt_at),
        delivered_at=_utc_or_none(d.delivered_at),
    )


class DeliveryRepository(_Repository, port.DeliveryRepository):
    def last_delivered_at(self, subscription_id: str) -> datetime | None:
        return max(
            (
                d.delivered_at
                for d in self._tables.deliveries.values()
                if d.subscription_id == subscription_id and d.delivered_at is not None
            ),
            default=None,
        )

    def add_fanout(self, fanout: Fanout) -> None:
        tables = self._write()
        _require(fanout.notice_id in tables.notices, f"notice {fanout.notice_id!r}")
        _insert(
            tables.fanouts, fanout.notice_id, replace(fanout, publish_at=_utc(fanout.publish_at)), "fan-out"
        )

    def claim_fanout(self) -> Fanout | None:
        pending = [f for f in self._tables.fanouts.values() if not f.done]
        return min(pending, key=lambda f: (f.publish_at, f.notice_id), default=None)

    def advance_fanout(self, notice_id: str, after: str, done: bool) -> None:
        table = self._write().fanouts
        table[notice_id] = replace(table[notice_id], after=after, done=done)

    def add_many(self, added: Sequence[Delivery]) -> None:
        table = self._write().deliveries
        for delivery in added:
            _insert(table, delivery.id, _stored_delivery(delivery), "delivery")

    def add_leased(
        self, notice_id: str, publish_at: datetime, until: datetime, leased: Sequence[tuple[str, str, str]]
    ) -> None:
        self.add_many(
            [
                Delivery(
                    delivery_id,
                    notice_id,
                    subscription_id,
                    channel,
                    DeliveryStatus.PENDING,
                    0,
                    publish_at,
                    until,
                )
                for delivery_id, subscription_id, channel in leased
            ]
        )

    def mark_delivered(self, delivered: Sequence[tuple[str, datetime]]) -> None:
        table = self._write().deliveries
        for delivery_id, at in delivered:
            if delivery_id in table:
                stored = table[delivery_id]
                table[delivery_id] = replace(
                    stored,
                    status=DeliveryStatus.DELIVERED,
                    attempts=stored.attempts + 1,
                    next_attempt_at=None,
                    delivered_at=_utc(at),
                    last_error="",
                )

    def save_many(self, changed: Sequence[Delivery]) -> None:
        table = self._write().deliveries
        for delivery in changed:
            if delivery.id in table:
                stored = table[delivery.id]
                table[delivery.id] = replace(
                    stored,
                    status=delivery.status,
                    attempts=delivery.attempts,
                    next_attempt_at=_utc_or_none(delivery.next_attempt_at),
                    delivered_at=_utc_or_none(delivery.delivered_at),
                    last_error=delivery.last_error,
                )

    def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        due = [
            d
            for d in self._tables.deliveries.values()
            if d.status is DeliveryStatus.PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at <= now
        ]
        return sorted(due, key=lambda d: (d.next_attempt_at or now, d.id))[:limit]

    def for_notice(self, notice_id: str) -> list[Delivery]:
        return sorted(
            (d for d in self._tables.deliveries.values() if d.notice_id == notice_id), key=lambda d: d.id
        )

    def for_subscription(self, subscription_id: str) -> list[Delivery]:
        found = (d for d in self._tables.deliveries.values() if d.subscription_id == subscription_id)
        return sorted(found, key=lambda d: d.id)

    def tally(self, *, notice_id: str | None = None, launch_slug: str | None = None) -> DeliveryTally:
        notices = self._tables.notices
        by_status: dict[str, Counter[DeliveryStatus]] = {}
        latencies: dict[str, list[timedelta]] = {}
        for d in self._tables.deliveries.values():
            if notice_id is not None and d.notice_id != notice_id:
                continue
            if launch_slug is not None and (
                d.notice_id not in notices or notices[d.notice_id].notice.launch_slug != launch_slug
            ):
                continue
            by_status.setdefault(d.channel, Counter())[d.status] += 1
            if d.status is DeliveryStatus.DELIVERED and d.delivered_at is not None:
                latencies.setdefault(d.channel, []).append(d.delivered_at - d.publish_at)
        return DeliveryTally(by_status, latencies)


class WaitingRoomRepository(_Repository, port.WaitingRoomRepository):
    def get(self, slug: str) -> Room | None:
        found = self._tables.rooms.get(slug)
        return None if found is None else found[0]

    def all(self) -> list[Room]:
        return [self._tables.rooms[slug][0] for slug in sorted(self._tables.rooms)]

    def add(self, room: Room, secret: bytes) -> None:
        tables = self._write()
        _require(room.launch_slug in tables.launches, f"launch {room.launch_slug!r}")
        stored = replace(
            room, prequeue_opens=_utc(room.prequeue_opens), opened_at=_utc_or_none(room.opened_at)
        )
        _insert(tables.rooms, room.launch_slug, (stored, secret), "waiting room")

    def set_settings(
        self,
        slug: str,
        *,
        enabled: bool,
        prequeue_opens: datetime,
        admit_per_second: float,
        token_minutes: int,
        beacon: Chain | None = None,
        beacon_round: int | None = None,
    ) -> None:
        tables = self._write()
        if slug in tables.rooms:
            room, secret = tables.rooms[slug]
            changed = replace(
                room,
                enabled=enabled,
                prequeue_opens=_utc(prequeue_opens),
                admit_per_second=admit_per_second,
                token_minutes=token_minutes,
                beacon=beacon,
                beacon_round=None if beacon is None else beacon_round,
            )
            tables.rooms[slug] = (changed, secret)

    def secret(self, slug: str) -> bytes | None:
        found = self._tables.rooms.get(slug)
        return None if found is None else found[1]

    def set_closed(self, slug: str, seq: int) -> None:
        tables = self._write()
        if slug in tables.rooms:
            room, secret = tables.rooms[slug]
            tables.rooms[slug] = (replace(room, closed_seq=seq), secret)

    def set_opened(self, slug: str, opened_at: datetime, prequeue_size: int, collapsed: int) -> None:
        tables = self._write()
        if slug in tables.rooms:
            room, secret = tables.rooms[slug]
            opened = replace(
                room, opened_at=_utc(opened_at), prequeue_size=prequeue_size, collapsed=collapsed
            )
            tables.rooms[slug] = (opened, secret)

    def add_entry(self, entry: Entry) -> None:
        tables = self._write()
        _require(entry.launch_slug in tables.launches, f"launch {entry.launch_slug!r}")
        if entry.number is not None and entry.number in self._numbers(entry.launch_slug):
            raise ConstraintViolation(f"number {entry.number} is already taken")
        stored = replace(
            entry, joined_at=_utc(entry.joined_at), confirmed_at=_utc_or_none(entry.confirmed_at)
        )
        _insert(tables.entries, entry.id, stored, "waiting room entry")

    def _numbers(self, slug: str) -> set[int]:
        return {
            e.number for e in self._tables.entries.values() if e.launch_slug == slug and e.number is not None
        }

    def entry(self, entry_id: str) -> Entry | None:
        return self._tables.entries.get(entry_id)

    def confirm_entry(self, entry_id: str, now: datetime) -> bool:
        tables = self._write()
        found = tables.entries.get(entry_id)
        if found is None or found.confirmed_at is not None:
            return False
        tables.entries[entry_id] = replace(found, confirmed_at=_utc(now))
        return True

    def entries(self, slug: str) -> list[Entry]:
        found = [e for e in self._tables.entries.values() if e.launch_slug == slug]
        return sorted(found, key=lambda e: (e.joined_at, e.id))

    def entry_counts(self, slug: str) -> tuple[int, int]:
        found = [e for e in self._tables.entries.values() if e.launch_slug == slug]
        return len(found), sum(1 for e in found if e.confirmed_at is not None)

    def set_numbers(self, slug: str, numbers: Mapping[str, int]) -> None:
        tables = self._write()
        taken = self._numbers(slug)
        for entry_id, number in numbers.items():
            found = tables.entries.get(entry_id)
            if found is None or found.launch_slug != slug:
                continue
            if number in taken and found.number != number:
                raise ConstraintViolation(f"number {number} is already taken")
            taken.add(number)
            tables.entries[entry_id] = replace(found, number=number)

    def last_number(self, slug: str) -> int:
        return max(self._numbers(slug), default=0)

    def used_admissions(self, slug: str, entry_ids: Collection[str]) -> set[str]:
        return {entry for entry in entry_ids if (slug, entry) in self._tables.admissions_used}

    def use_admissions(self, slug: str, entry_ids: Collection[str], now: datetime) -> None:
        tables = self._write()
        for entry in entry_ids:
            _insert(tables.admissions_used, (slug, entry), _utc(now), "used admission")


class LiveEvents(_Repository, port.LiveEvents):
    def announce(self, seq: int) -> None:
        self._write().announced.append(seq)


class SocialRepository(_Repository, port.SocialRepository):
    def set_credentials(self, subscription_id: str, secret: str) -> None:
        self._write().social_credentials[subscription_id] = secret

    def credentials(self, subscription_id: str) -> str | None:
        return self._tables.social_credentials.get(subscription_id)

    def record_post(self, post: SocialPost) -> None:
        stored = replace(post, posted_at=_utc(post.posted_at))
        self._write().social_posts[(post.notice_id, post.subscription_id)] = stored

    def post(self, notice_id: str, subscription_id: str) -> SocialPost | None:
        return self._tables.social_posts.get((notice_id, subscription_id))

    def posts_of(self, notice_id: str) -> list[SocialPost]:
        found = (p for (n, _), p in self._tables.social_posts.items() if n == notice_id)
        return sorted(found, key=lambda p: p.subscription_id)


def _stored_message(m: PersonalMessage) -> PersonalMessage:
    return replace(
        m,
        due_at=_utc(m.due_at),
        next_attempt_at=_utc_or_none(m.next_attempt_at),
        delivered_at=_utc_or_none(m.delivered_at),
    )


class PersonalMessageRepository(_Repository, port.PersonalMessageRepository):
    def add_many(self, messages: Sequence[PersonalMessage]) -> int:
        table = self._write().personal_messages
        added = 0
        for message in messages:
            if message.id not in table:
                table[message.id] = _stored_message(message)
                added += 1
        return added

    def claim_due(self, now: datetime, limit: int) -> list[PersonalMessage]:
        due = [
            m
            for m in self._tables.personal_messages.values()
            if m.status is DeliveryStatus.PENDING
            and m.next_attempt_at is not None
            and m.next_attempt_at <= now
        ]
        return sorted(due, key=lambda m: (m.next_attempt_at or now, m.id))[:limit]

    def save_many(self, changed: Sequence[PersonalMessage]) -> None:
        table = self._write().personal_messages
        for message in changed:
            if message.id in table:
                table[message.id] = replace(
                    table[message.id],
                    status=message.status,
                    attempts=message.attempts,
                    next_attempt_at=_utc_or_none(message.next_attempt_at),
                    delivered_at=_utc_or_none(message.delivered_at),
                    last_error=message.last_error,
                )

    def for_launch(self, launch_slug: str, *, limit: int = 100) -> list[PersonalMessage]:
        found = [m for m in self._tables.personal_messages.values() if m.launch_slug == launch_slug]
        found.sort(key=lambda m: m.id)
        found.sort(key=lambda m: m.due_at, reverse=True)
        return found[:limit]

    def tally(self, launch_slug: str | None = None) -> DeliveryTally:
        by_status: dict[str, Counter[DeliveryStatus]] = {}
        latencies: dict[str, list[timedelta]] = {}
        for m in self._tables.personal_messages.values():
            if launch_slug is not None and m.launch_slug != launch_slug:
                continue
            by_status.setdefault(m.kind.value, Counter())[m.status] += 1
            if m.delivered_at is not None:
                latencies.setdefault(m.kind.value, []).append(m.delivered_at - m.due_at)
        return DeliveryTally(by_status, latencies)

    def count_due_at(self, launch_slug: str, due_at: datetime) -> int:
        return sum(
            1
            for m in self._tables.personal_messages.values()
            if m.launch_slug == launch_slug and m.due_at == due_at
        )

    def told_through(self, launch_slug: str) -> int:
        found = self._tables.ship_dates_told.get(launch_slug)
        return 0 if found is None else found[0]

    def mark_told(self, launch_slug: str, through_run: int, slot_at: datetime) -> None:
        self._write().ship_dates_told[launch_slug] = (through_run, _utc(slot_at))


class AllocationRepository(_Repository, port.AllocationRepository):
    def add_batch(self, batch: StockBatch) -> None:
        tables = self._write()
        _require(batch.launch_slug in tables.launches, f"launch {batch.launch_slug!r}")
        stored = replace(batch, recorded_at=_utc(batch.recorded_at))
        _insert(tables.stock_batches, (batch.launch_slug, batch.number), stored, "stock batch")

    def batches(self, slug: str) -> list[StockBatch]:
        return sorted(
            (b for (s, _), b in self._tables.stock_batches.items() if s == slug), key=lambda b: b.number
        )

    def move_batch(self, slug: str, number: int, when: date) -> None:
        tables = self._write()
        found = tables.stock_batches.get((slug, number))
        if found is not None:
            tables.stock_batches[(slug, number)] = replace(found, date=when)

    def line(self, slug: str) -> Line:
        line = Line()
        states = {ReservationState.QUEUED: QUEUED, ReservationState.WAITLISTED: WAITLISTED}
        for r in self._of(slug):
            line.add(r.sequence, r.sku, r.quantity, r.pickup_store, states.get(r.state, CANCELLED))
        return line

    def public_order(self, slug: str, through: int) -> Line:
        line = Line()
        for r in self._of(slug):
            if r.sequence <= through:
                line.add(r.sequence, r.sku, r.quantity, r.pickup_store)
        return line

    def _of(self, slug: str) -> list[Reservation]:
        return sorted(
            (r for r in self._tables.reservations.values() if r.launch_slug == slug), key=lambda r: r.sequence
        )

    def current(self, slug: str) -> dict[int, tuple[int, date]]:
        return {q: row for (s, q), row in self._tables.allocations.items() if s == slug}

    def save(self, slug: str, rows: Sequence[tuple[int, int, date]], dropped: Sequence[int]) -> None:
        tables = self._write()
        for sequence, batch, when in rows:
            tables.allocations[(slug, sequence)] = (batch, when)
        for sequence in dropped:
            tables.allocations.pop((slug, sequence), None)

    def add_changes(self, slug: str, run: int, changes: Sequence[DateChange]) -> None:
        tables = self._write()
        for change in changes:
            _insert(tables.ship_date_changes, (slug, run, change[0]), change, "ship date change")

    def add_run(self, run: Run) -> None:
        tables = self._write()
        _require(run.launch_slug in tables.launches, f"launch {run.launch_slug!r}")
        stored = replace(run, ran_at=_utc(run.ran_at))
        _insert(tables.allocation_runs, (run.launch_slug, run.number), stored, "allocation run")

    def runs(self, slug: str) -> list[Run]:
        return sorted(
            (r for (s, _), r in self._tables.allocation_runs.items() if s == slug), key=lambda r: r.number
        )

    def last_run(self, slug: str) -> Run | None:
        runs = self.runs(slug)
        return runs[-1] if runs else None

    def assignment_of(self, slug: str, sequence: int) -> tuple[int, date] | None:
        return self._tables.allocations.get((slug, sequence))

    def history_of(self, slug: str, sequence: int) -> list[HistoryEntry]:
        runs = {r.number: r for r in self.runs(slug)}
        found = sorted(
            (run, c)
            for (s, run, q), c in self._tables.ship_date_changes.items()
            if s == slug and q == sequence
        )
        return [HistoryEntry(run, runs[run].ran_at, c[1], c[2], c[4], c[5]) for run, c in found]

    def changed_in(self, slug: str, run: int) -> list[DateChange]:
        found = [c for (s, r, _), c in self._tables.ship_date_changes.items() if s == slug and r == run]
        return sorted(found, key=lambda c: c[0])


class MemoryTransaction(port.Transaction):
    def __init__(self, tables: _Tables, *, writable: bool) -> None:
        self.launches = LaunchRepository(tables, writable)
        self.milestones = MilestoneRepository(tables, writable)
        self.notices = NoticeRepository(tables, writable)
        self.cadences = CadenceRepository(tables, writable)
        self.ledger = LedgerRepository(tables, writable)
        self.tokens = TokenRepository(tables, writable)
        self.operators = OperatorRepository(tables, writable)
        self.passkeys = PasskeyRepository(tables, writable)
        self.audit = AuditRepository(tables, writable)
        self.proposals = ProposalRepository(tables, writable)
        self.questions = QuestionRepository(tables, writable)
        self.reservations = ReservationRepository(tables, writable)
        self.subscriptions = SubscriptionRepository(tables, writable)
        self.deliveries = DeliveryRepository(tables, writable)
        self.social = SocialRepository(tables, writable)
        self.push = PushRepository(tables, writable)
        self.waiting_rooms = WaitingRoomRepository(tables, writable)
        self.personal_messages = PersonalMessageRepository(tables, writable)
        self.allocations = AllocationRepository(tables, writable)
        self.live_events = LiveEvents(tables, writable)
        self.after_commit: list[Callable[[], None]] = []


class LeaderLock(port.LeaderLock):
    """Only one process can reach a store in its memory: its scheduler loop always leads."""

    def __init__(self) -> None:
        self.leading = True

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass


class MemoryStore(port.Store):
    writes_take_turns = True  # one lock for every write transaction

    def __init__(self) -> None:
        self._tables = _Tables()
        self._writer = threading.Lock()
        self._writing_thread: int | None = None

    @contextmanager
    def write(self) -> Iterator[port.Transaction]:
        if self._writing_thread == threading.get_ident():
            raise RuntimeError("a write transaction inside another one would wait for itself forever")
        with self._writer:
            self._writing_thread = threading.get_ident()
            try:
                tables = self._tables.copy()
                tx = MemoryTransaction(tables, writable=True)
                try:
                    yield tx
                except ConstraintViolation as exc:
                    raise Conflict(str(exc), code=codes.WRITE_CONFLICT) from exc
                self._tables = tables
            finally:
                self._writing_thread = None
        for callback in tx.after_commit:
            callback()

    @contextmanager
    def read(self) -> Iterator[port.Transaction]:
        yield MemoryTransaction(self._tables, writable=False)

    def leader_lock(self) -> port.LeaderLock:
        return LeaderLock()

    def publication_listener(self) -> port.PublicationListener | None:
        return None  # no other process publishes into this store

    @property
    def announced(self) -> list[int]:
        """The ledger seqs announced to other processes by committed transactions, in order."""
        return list(self._tables.announced)

    def replace_ledger(self, entries: list[LedgerEntry]) -> None:
        """Overwrite the stored ledger behind the services' back, as anyone with write access to a
        database could: for tests that verification catches it."""
        with self._writer:
            tables = self._tables.copy()
            tables.ledger = list(entries)
            self._tables = tables
