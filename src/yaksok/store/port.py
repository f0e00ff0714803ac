"""The store's port: what the services may ask of storage, in the domain's words.

Two adapters implement it: the SQL store (``store.unit_of_work.Store``, on SQLite or PostgreSQL)
and the in-memory fake (``store.memory.MemoryStore``) that the service tests run on. The contract
tests (tests/integration/test_store.py) run on all three, so the fake cannot drift from the SQL.

A ``Transaction`` holds one repository per subject; every change made through it commits or rolls
back together. A write that changes what it read first *claims* it (``claim`` and its kin): the
claim holds until the transaction ends, so concurrent writers of one thing take turns and each
decides on what the one before it wrote. Take every claim before the first ledger append.

Adding a method to a repository means one abstract method here, its SQL in the repository's
module, its fake in memory.py, and a contract test.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime

from yaksok.domain.administration import AuditEntry, Operator, Passkey, TokenRecord
from yaksok.domain.allocation import DateChange, HistoryEntry, Line, Run, StockBatch
from yaksok.domain.beacon import Chain
from yaksok.domain.cadence import Cadence
from yaksok.domain.delivery import Delivery, Fanout
from yaksok.domain.figures import DeliveryTally, ReservationTally
from yaksok.domain.launch import Launch, Milestone, Sku
from yaksok.domain.ledger import JSON, Checkpoint, LedgerEntry, SigningKey
from yaksok.domain.notice import Notice, NoticeKind
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


class LaunchRepository(ABC):
    @abstractmethod
    def add(self, launch: Launch, now: datetime) -> bool:
        """Add the launch; False, adding nothing, when its slug is taken (even by a launch being
        added at the same moment: the later one waits to see whether the first commits)."""

    @abstractmethod
    def exists(self, slug: str) -> bool: ...

    @abstractmethod
    def get(self, slug: str) -> Launch | None: ...

    @abstractmethod
    def claim(self, slug: str) -> Launch | None:
        """The launch, claimed until the transaction ends (a write transaction's only)."""

    @abstractmethod
    def list(self) -> list[Launch]:
        """Every launch, oldest first."""

    @abstractmethod
    def set_titles(self, slug: str, titles: dict[str, str]) -> None:
        """Replace the launch's titles; nothing else changes."""

    @abstractmethod
    def set_policy(self, slug: str, policy: Policy) -> None:
        """Replace a launch's policy (its reminder offsets, say)."""

    @abstractmethod
    def set_offer(self, slug: str, skus: tuple[Sku, ...], per_customer_limit: int) -> None:
        """Replace the launch's SKUs and per-customer limit; nothing else changes."""

    @abstractmethod
    def set_languages(self, slug: str, languages: tuple[str, ...]) -> None:
        """Replace the languages the launch publishes in; nothing else changes."""


class MilestoneRepository(ABC):
    @abstractmethod
    def add(self, milestone: Milestone) -> None:
        """Add a milestone after its launch's others, with the promise versions it carries."""

    @abstractmethod
    def add_version(self, version: PromiseVersion) -> None: ...

    @abstractmethod
    def record_occurrence(self, milestone: Milestone) -> bool:
        """Store the milestone's occurrence (which must be set); nothing else changes. False,
        writing nothing, when an occurrence is already recorded."""

    @abstractmethod
    def set_titles(self, milestone_id: str, titles: dict[str, str]) -> None:
        """Replace the milestone's titles; nothing else changes."""

    @abstractmethod
    def mark_broken(self, milestone_id: str, version: int) -> bool:
        """Record that ``version`` was broken; False if it (or a later one) already was."""

    @abstractmethod
    def get(self, milestone_id: str) -> Milestone | None: ...

    @abstractmethod
    def claim(self, milestone_id: str) -> Milestone | None:
        """The milestone with every promise version, claimed until the transaction ends: the next
        version number and the policy's checks are decided on what is really current."""

    @abstractmethod
    def for_launch(self, slug: str) -> list[Milestone]:
        """The launch's milestones in the order they were added."""

    @abstractmethod
    def all(self) -> list[Milestone]:
        """Every milestone, by launch slug, then in the order they were added."""


class NoticeRepository(ABC):
    @abstractmethod
    def add(self, notice: Notice) -> None: ...

    @abstractmethod
    def save(self, notice: Notice, ledger_seq: int | None = None) -> bool:
        """Store the notice's new state; ``ledger_seq`` is the entry that published it. False,
        writing nothing, when the stored notice is already published (or does not exist)."""

    @abstractmethod
    def get(self, notice_id: str) -> Notice | None: ...

    @abstractmethod
    def claim(self, notice_id: str) -> Notice | None:
        """The notice, claimed until the transaction ends: every change to a notice starts here."""

    @abstractmethod
    def superseded_by(self, notice_id: str) -> Notice | None:
        """The newest published notice that corrects this one, if any (there may be several)."""

    @abstractmethod
    def published(
        self,
        *,
        launch_slug: str | None = None,
        kind: NoticeKind | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Notice]:
        """Published notices, newest first (skipping the newest ``offset``)."""

    @abstractmethod
    def published_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[int, Notice]]:
        """Notices published after ledger entry ``after_seq``, in ledger order, with their seq."""

    @abstractmethod
    def published_seq_before(self, seq: int) -> int | None:
        """The ledger seq of the last notice published before ledger entry ``seq``, if any. Exact
        only under the ledger lock, which orders publications: see ``services.notices.publish_in``."""

    @abstractmethod
    def all(self, launch_slug: str | None = None) -> list[Notice]:
        """Every notice in any state, oldest first."""

    @abstractmethod
    def due(self, now: datetime) -> list[Notice]:
        """Scheduled notices whose time has come by ``now``, earliest first."""

    @abstractmethod
    def next_due_at(self) -> datetime | None: ...

    @abstractmethod
    def pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        """The cadence's notices not yet published, oldest first."""

    @abstractmethod
    def claim_pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        """``pending_for_cadence``, each claimed; one that someone else is publishing meanwhile is
        left out once they commit."""

    @abstractmethod
    def last_published_for_cadence(self, cadence_id: str) -> Notice | None: ...

    @abstractmethod
    def latest_published_at(self) -> datetime | None: ...


class CadenceRepository(ABC):
    @abstractmethod
    def add(self, cadence: Cadence, now: datetime) -> None: ...

    @abstractmethod
    def mark_slot(self, cadence_id: str, slot: datetime) -> bool:
        """Record ``slot`` as filled; False, writing nothing, if it or a later one already was."""

    @abstractmethod
    def deactivate(self, cadence_id: str) -> bool:
        """Stop an active cadence; False when it was not active (already ended or unknown)."""

    @abstractmethod
    def get(self, cadence_id: str) -> Cadence | None: ...

    @abstractmethod
    def claim_active(self, cadence_id: str) -> Cadence | None:
        """The cadence, claimed until the transaction ends, if it is still active; None if it
        ended (perhaps a moment ago) or does not exist."""

    @abstractmethod
    def active(self, launch_slug: str | None = None) -> list[Cadence]:
        """Active cadences, oldest first."""


class LedgerRepository(ABC):
    @abstractmethod
    def append(self, at: datetime, kind: str, data: Mapping[str, JSON]) -> LedgerEntry:
        """Chain a new entry onto the head; appends are serialised until the transaction ends."""

    @abstractmethod
    def lock(self) -> None:
        """Hold the ledger until the transaction ends (``append`` takes it too): checkpoints and
        the signing key are decided on a head no one else can move. Take it after every claim."""

    @abstractmethod
    def head(self) -> LedgerEntry | None: ...

    @abstractmethod
    def head_seq(self) -> int:
        """The head's seq (0 for an empty ledger): one cheap read that moves whenever anything
        public changes, which is what lets a writer keep what it read until it moves."""

    @abstractmethod
    def entries(self, after: int = 0, limit: int | None = None) -> Iterator[LedgerEntry]:
        """Entries after seq ``after``, in order."""

    @abstractmethod
    def add_checkpoint(self, seq: int, head_hash: str, signature: str, key_id: str, now: datetime) -> None:
        """Keep the ``signature`` of (``seq``, ``head_hash``) made with key ``key_id``."""

    @abstractmethod
    def checkpoints(self) -> list[Checkpoint]:
        """Signed checkpoints in seq order."""

    @abstractmethod
    def latest_checkpoint_seq(self) -> int:
        """The seq of the newest checkpoint; 0 when there is none."""

    @abstractmethod
    def signing_key(self) -> SigningKey | None:
        """The first signing key stored."""

    @abstractmethod
    def add_signing_key(self, key_id: str, private_pem: str, public_pem: str, now: datetime) -> None: ...


class TokenRepository(ABC):
    @abstractmethod
    def add(
        self,
        token_id: str,
        token_hash: str,
        role: str,
        label: str,
        now: datetime,
        launches: tuple[str, ...] | None = None,
    ) -> None: ...

    @abstractmethod
    def role_for(self, token_hash: str) -> str | None:
        """The role of the unrevoked token with this hash, if any."""

    @abstractmethod
    def active_for(self, token_hash: str) -> TokenRecord | None:
        """The unrevoked token with this hash, if any."""

    @abstractmethod
    def get(self, token_id: str) -> TokenRecord | None: ...

    @abstractmethod
    def list(self) -> list[TokenRecord]:
        """Every token, revoked ones too, oldest first (never a hash)."""

    @abstractmethod
    def revoke(self, token_id: str, now: datetime) -> bool:
        """Revoke an active token; False when it was not active (already revoked or unknown)."""


class OperatorRepository(ABC):
    """Operator accounts for the console."""

    @abstractmethod
    def add(self, operator: Operator) -> bool:
        """Add the account; False, adding nothing, when its email is taken."""

    @abstractmethod
    def get(self, operator_id: str) -> Operator | None: ...

    @abstractmethod
    def by_email(self, email: str) -> Operator | None:
        """The account with exactly this (lower-cased) email, if any."""


class PasskeyRepository(ABC):
    """Operators' passkeys (WebAuthn credentials): ids and public keys, never a secret."""

    @abstractmethod
    def add(self, passkey: Passkey) -> bool:
        """Add it; False, adding nothing, when a passkey of that id is already registered."""

    @abstractmethod
    def get(self, passkey_id: str) -> Passkey | None: ...

    @abstractmethod
    def of_operator(self, operator_id: str) -> list[Passkey]:
        """The operator's passkeys, oldest first."""

    @abstractmethod
    def used(self, passkey_id: str, sign_count: int, now: datetime) -> None:
        """Note a sign-in with it: its new signature counter and when."""


class AuditRepository(ABC):
    """The audit trail of operator administration: not public, unlike the ledger."""

    @abstractmethod
    def add(self, at: datetime, actor: str | None, action: str, details: Mapping[str, object]) -> None:
        """Append an entry; its seq is the next one."""

    @abstractmethod
    def entries(self, *, limit: int = 1000) -> list[AuditEntry]:
        """The newest ``limit`` entries, oldest first."""


class QuestionRepository(ABC):
    """Customers' questions and the answers to them; the contact is private (never listed publicly)."""

    @abstractmethod
    def add(self, question: Question) -> None:
        """Store a new question (without answers)."""

    @abstractmethod
    def get(self, question_id: str) -> Question | None:
        """The question with its answers, oldest first."""

    @abstractmethod
    def claim(self, question_id: str) -> Question | None:
        """The question, claimed until the transaction ends: two answers or merges take turns."""

    @abstractmethod
    def save(self, question: Question) -> None:
        """Store the question's state, merge and hiding (not its text, contact or answers)."""

    @abstractmethod
    def add_answer(self, answer: StaffAnswer) -> None: ...

    @abstractmethod
    def find(
        self,
        *,
        launch_slug: str | None = None,
        notice_id: str | None = None,
        state: QuestionState | None = None,
        limit: int | None = None,
    ) -> list[Question]:
        """Questions with their answers, newest first, filtered when asked."""

    @abstractmethod
    def answers_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[Question, StaffAnswer]]:
        """Official answers ledgered after ``after_seq``, in ledger order, with their questions."""

    @abstractmethod
    def answer_seq_before(self, seq: int) -> int | None:
        """The ledger seq of the last official answer ledgered before ``seq``, if any."""


class ProposalRepository(ABC):
    """Changes waiting for a second operator's review: not public, like the audit trail."""

    @abstractmethod
    def add(self, proposal: Proposal) -> None: ...

    @abstractmethod
    def get(self, proposal_id: str) -> Proposal | None: ...

    @abstractmethod
    def claim(self, proposal_id: str) -> Proposal | None:
        """The proposal, claimed until the transaction ends: two reviewers of one proposal take turns."""

    @abstractmethod
    def save(self, proposal: Proposal) -> None:
        """Store the proposal's decision (its state, who decided, when, why, the notice)."""

    @abstractmethod
    def list(self, *, state: ProposalState | None = None, launch_slug: str | None = None) -> list[Proposal]:
        """Proposals, oldest first, of this state and launch when given."""


class ReservationRepository(ABC):
    """Customers' reservations: customer data, never in the public ledger."""

    @abstractmethod
    def add_many(self, reservations: Sequence[Reservation]) -> None:
        """Store new reservations; a sequence, code or (launch, idempotency key) already taken
        refuses the whole transaction."""

    @abstractmethod
    def last_sequence(self, launch_slug: str) -> int:
        """The launch's highest sequence; 0 when it has none. Exact only while the launch is claimed."""

    @abstractmethod
    def by_keys(self, launch_slug: str, keys: Collection[str]) -> dict[str, Reservation]:
        """The launch's reservations made with any of these idempotency keys, by key."""

    @abstractmethod
    def units_by_contact(self, launch_slug: str, contacts: Collection[str]) -> dict[str, int]:
        """Units each contact holds or waits for in the launch (cancelled ones not counted)."""

    @abstractmethod
    def units_held(self, launch_slug: str) -> dict[str, int]:
        """Units held (queued, not waitlisted or cancelled) per SKU code."""

    @abstractmethod
    def get(self, code: str) -> Reservation | None: ...

    @abstractmethod
    def set_state(self, code: str, state: ReservationState, now: datetime) -> bool:
        """Move the reservation to ``state`` (``now`` is kept when it is cancelled); False,
        writing nothing, when it is cancelled already or does not exist."""

    @abstractmethod
    def for_launch(
        self,
        launch_slug: str,
        state: ReservationState | None = None,
        *,
        after: int = 0,
        limit: int | None = None,
        sku: str | None = None,
    ) -> list[Reservation]:
        """The launch's reservations in ``state`` (any, if None) and for ``sku`` (any, if None), in
        sequence order: at most ``limit`` (all, if None) of those whose sequence is above ``after``."""

    @abstractmethod
    def ahead_of(self, reservation: Reservation, *, same_sku: bool = False) -> int:
        """How many of the launch's reservations in the same state (and, ``same_sku``, for the
        same SKU) have a smaller sequence: its place in its line, less one."""

    @abstractmethod
    def tally(self, launch_slug: str) -> ReservationTally:
        """The launch's reservations counted by state, units held per SKU, and when each was
        accepted (earliest first): what the scorecard's pre-order figures are made of."""


class SubscriptionRepository(ABC):
    @abstractmethod
    def add_many(self, added: Sequence[Subscription]) -> None:
        """Add subscriptions (ids unique)."""

    @abstractmethod
    def get(self, subscription_id: str) -> Subscription | None: ...

    @abstractmethod
    def page(self, *, after: str, created_by: datetime, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions made by ``created_by``, disabled ones too, in id order
        from the first id greater than ``after``."""

    @abstractmethod
    def recipients(self, *, after: str, created_by: datetime, limit: int) -> list[Recipient]:
        """Like ``page``, of enabled subscriptions only, with what a fan-out needs of each."""

    @abstractmethod
    def disable(self, subscription_id: str, now: datetime, reason: str) -> bool:
        """Stop sending to a subscription for good (one held for confirmation or paused too);
        False when it was already disabled (or is unknown)."""

    @abstractmethod
    def confirm(self, subscription_id: str) -> bool:
        """Start sending to a subscription held for confirmation (``awaiting_confirmation``);
        False when it was not held so (unknown, confirmed already, or disabled since)."""

    @abstractmethod
    def pause(self, subscription_id: str, now: datetime) -> bool:
        """Stop sending to an enabled subscription until it is resumed; False when it was not
        enabled (unknown, unconfirmed, paused or disabled)."""

    @abstractmethod
    def resume(self, subscription_id: str) -> bool:
        """Start sending again to a subscription an operator paused; False when it was not
        paused (unknown, active, or disabled since)."""

    @abstractmethod
    def set_secret(
        self, subscription_id: str, secret: str, previous: str = "", previous_until: datetime | None = None
    ) -> bool:
        """Replace a subscription's stored secret, with the one it replaces signing too until
        ``previous_until``; False when it is unknown."""

    @abstractmethod
    def save(self, changed: Subscription) -> bool:
        """Store every field of a subscription but its id and creation time; False when unknown."""


class PushRepository(ABC):
    """Browser push: the VAPID key, and push subscriptions found by their endpoint."""

    @abstractmethod
    def vapid_key(self) -> VapidKey | None:
        """The VAPID key pair, if one was made."""

    @abstractmethod
    def add_vapid_key(self, key: VapidKey) -> bool:
        """Keep ``key`` unless one is kept already (another process made it first): whether it was."""

    @abstractmethod
    def at_endpoint(self, endpoint: str) -> list[Subscription]:
        """The enabled ``webpush`` subscriptions whose target is ``endpoint``, by id."""


class DeliveryRepository(ABC):
    """The outbox: fan-out jobs of published notices, and one delivery per notice and subscriber."""

    @abstractmethod
    def last_delivered_at(self, subscription_id: str) -> datetime | None:
        """When the latest delivery to a subscription was delivered; None if none was."""

    @abstractmethod
    def add_fanout(self, fanout: Fanout) -> None: ...

    @abstractmethod
    def claim_fanout(self) -> Fanout | None:
        """The oldest unfinished fan-out no other transaction has claimed, claimed until this one
        ends; None when there is none free."""

    @abstractmethod
    def advance_fanout(self, notice_id: str, after: str, done: bool) -> None:
        """Record that subscriptions up to id ``after`` are expanded (all of them, if ``done``)."""

    @abstractmethod
    def add_many(self, added: Sequence[Delivery]) -> None:
        """Add deliveries (ids unique)."""

    @abstractmethod
    def add_leased(
        self, notice_id: str, publish_at: datetime, until: datetime, leased: Sequence[tuple[str, str, str]]
    ) -> None:
        """Add pending deliveries of one notice, not attempted, leased ``until`` (their next
        attempt): one per (delivery id, subscription id, channel)."""

    @abstractmethod
    def save_many(self, changed: Sequence[Delivery]) -> None:
        """Store the new status, attempts, times and error of each delivery."""

    @abstractmethod
    def mark_delivered(self, delivered: Sequence[tuple[str, datetime]]) -> None:
        """Record one more attempt of each (delivery id, when), which delivered it."""

    @abstractmethod
    def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        """Up to ``limit`` pending deliveries whose next attempt is due by ``now``, earliest first,
        skipping those another transaction has claimed; claimed until this one ends."""

    @abstractmethod
    def for_notice(self, notice_id: str) -> list[Delivery]:
        """The notice's deliveries, by id."""

    @abstractmethod
    def for_subscription(self, subscription_id: str) -> list[Delivery]:
        """The subscription's deliveries, by id."""

    @abstractmethod
    def tally(self, *, notice_id: str | None = None, launch_slug: str | None = None) -> DeliveryTally:
        """Deliveries (of one notice, of one launch's notices, or all) counted per channel and
        status, with the time each delivered one took from its ``publish_at``."""


class SocialRepository(ABC):
    """Social accounts' credentials (never read by a public route, feed or ledger) and the posts
    each notice became."""

    @abstractmethod
    def set_credentials(self, subscription_id: str, secret: str) -> None:
        """Store (or replace) what the account posts with."""

    @abstractmethod
    def credentials(self, subscription_id: str) -> str | None: ...

    @abstractmethod
    def record_post(self, post: SocialPost) -> None:
        """Store (or replace) what a notice became for one account."""

    @abstractmethod
    def post(self, notice_id: str, subscription_id: str) -> SocialPost | None: ...

    @abstractmethod
    def posts_of(self, notice_id: str) -> list[SocialPost]:
        """The notice's posts, by account id."""


class WaitingRoomRepository(ABC):
    """Waiting rooms, their pre-queue entries and the admissions already used."""

    @abstractmethod
    def get(self, slug: str) -> Room | None: ...

    @abstractmethod
    def all(self) -> list[Room]:
        """Every launch's room, by slug."""

    @abstractmethod
    def add(self, room: Room, secret: bytes) -> None:
        """Add the launch's room with its secret (whose SHA-256 is ``room.commitment``)."""

    @abstractmethod
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
        """Replace the room's settings; its commitment, secret and opening stay."""

    @abstractmethod
    def secret(self, slug: str) -> bytes | None: ...

    @abstractmethod
    def set_closed(self, slug: str, seq: int) -> None:
        """Record that the pre-queue closed, with the ledger entry ``seq`` that closed it."""

    @abstractmethod
    def set_opened(self, slug: str, opened_at: datetime, prequeue_size: int, collapsed: int) -> None: ...

    @abstractmethod
    def add_entry(self, entry: Entry) -> None: ...

    @abstractmethod
    def entry(self, entry_id: str) -> Entry | None: ...

    @abstractmethod
    def confirm_entry(self, entry_id: str, now: datetime) -> bool:
        """Mark the entry confirmed; False, changing nothing, when it already was."""

    @abstractmethod
    def entries(self, slug: str) -> list[Entry]:
        """The launch's entries in arrival order (joined_at, then id)."""

    @abstractmethod
    def entry_counts(self, slug: str) -> tuple[int, int]:
        """How many entries the launch's room has, and how many of them are confirmed."""

    @abstractmethod
    def set_numbers(self, slug: str, numbers: Mapping[str, int]) -> None:
        """Give each entry id its number; a number is taken once per launch."""

    @abstractmethod
    def last_number(self, slug: str) -> int:
        """The highest number given in the launch, 0 if none."""

    @abstractmethod
    def used_admissions(self, slug: str, entry_ids: Collection[str]) -> set[str]:
        """Which of these entries' admissions were already used for a reservation."""

    @abstractmethod
    def use_admissions(self, slug: str, entry_ids: Collection[str], now: datetime) -> None:
        """Mark these entries' admissions used (none of them may be already)."""


class AllocationRepository(ABC):
    """Stock batches, each reservation's current batch and date, the history of dates, the runs."""

    @abstractmethod
    def add_batch(self, batch: StockBatch) -> None: ...

    @abstractmethod
    def batches(self, slug: str) -> list[StockBatch]:
        """The launch's batches by number."""

    @abstractmethod
    def move_batch(self, slug: str, number: int, when: date) -> None: ...

    @abstractmethod
    def line(self, slug: str) -> Line:
        """Every reservation of the launch in sequence order, with its state."""

    @abstractmethod
    def public_order(self, slug: str, through: int) -> Line:
        """Every reservation up to ``through``, each marked queued: what the public reservation
        order holds (no contacts, no states)."""

    @abstractmethod
    def current(self, slug: str) -> dict[int, tuple[int, date]]:
        """Each scheduled reservation's (batch, date), by sequence."""

    @abstractmethod
    def save(self, slug: str, rows: Sequence[tuple[int, int, date]], dropped: Sequence[int]) -> None:
        """Set these (sequence, batch, date) rows and delete the rows of ``dropped``."""

    @abstractmethod
    def add_changes(self, slug: str, run: int, changes: Sequence[DateChange]) -> None: ...

    @abstractmethod
    def add_run(self, run: Run) -> None: ...

    @abstractmethod
    def runs(self, slug: str) -> list[Run]:
        """The launch's runs by number."""

    @abstractmethod
    def last_run(self, slug: str) -> Run | None: ...

    @abstractmethod
    def assignment_of(self, slug: str, sequence: int) -> tuple[int, date] | None: ...

    @abstractmethod
    def history_of(self, slug: str, sequence: int) -> list[HistoryEntry]:
        """The reservation's date changes, oldest first."""

    @abstractmethod
    def changed_in(self, slug: str, run: int) -> list[DateChange]:
        """The date changes written by run ``run``, by sequence."""


class LiveEvents(ABC):
    @abstractmethod
    def announce(self, seq: int) -> None:
        """Tell every listening process, once this transaction commits, that ``seq`` was published."""


class PersonalMessageRepository(ABC):
    """The outbox of personal messages: one customer told about their own reservation."""

    @abstractmethod
    def add_many(self, messages: Sequence[PersonalMessage]) -> int:
        """Store new messages, skipping any whose id is already stored; how many were added."""

    @abstractmethod
    def claim_due(self, now: datetime, limit: int) -> list[PersonalMessage]:
        """Pending messages whose next attempt is due, oldest first, locked for this
        transaction (SKIP LOCKED: another worker's claim is passed over)."""

    @abstractmethod
    def save_many(self, changed: Sequence[PersonalMessage]) -> None:
        """Store each message's status, attempts, next attempt, delivery time and last error."""

    @abstractmethod
    def for_launch(self, launch_slug: str, *, limit: int = 100) -> list[PersonalMessage]:
        """The launch's latest messages, newest slot first."""

    @abstractmethod
    def tally(self, launch_slug: str | None = None) -> DeliveryTally:
        """Counts per kind and status, and each delivered message's latency from ``due_at``."""

    @abstractmethod
    def count_due_at(self, launch_slug: str, due_at: datetime) -> int:
        """How many of the launch's messages went out at one slot."""

    @abstractmethod
    def told_through(self, launch_slug: str) -> int:
        """The last allocation run whose dates the launch's customers were told; 0: none."""

    @abstractmethod
    def mark_told(self, launch_slug: str, through_run: int, slot_at: datetime) -> None: ...


class Transaction(ABC):
    """Repositories sharing one transaction; ``after_commit`` callbacks run only once it commits."""

    launches: LaunchRepository
    milestones: MilestoneRepository
    notices: NoticeRepository
    cadences: CadenceRepository
    ledger: LedgerRepository
    tokens: TokenRepository
    operators: OperatorRepository
    passkeys: PasskeyRepository
    audit: AuditRepository
    proposals: ProposalRepository
    questions: QuestionRepository
    reservations: ReservationRepository
    subscriptions: SubscriptionRepository
    deliveries: DeliveryRepository
    social: SocialRepository
    push: PushRepository
    waiting_rooms: WaitingRoomRepository
    personal_messages: PersonalMessageRepository
    allocations: AllocationRepository
    live_events: LiveEvents
    after_commit: list[Callable[[], None]]


class LeaderLock(ABC):
    """A claim to lead the scheduler among every process on one store (one leader at a time)."""

    leading: bool

    @abstractmethod
    def hold(self) -> bool:
        """True while this loop leads; tries to take the lead when it does not (blocking I/O)."""

    @abstractmethod
    def release(self) -> None:
        """Give up the lead (another loop may take it); safe to call when not leading."""


class PublicationListener(ABC):
    """Hears of publications committed by any process on the same store."""

    listening: bool  # whether notifications arrive right now (else only reading the store finds news)

    @abstractmethod
    async def run(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` on every publication, and after each (re)connection, until cancelled."""


class Store(ABC):
    # True when every write transaction holds the store's one write lock from its start (SQLite's
    # BEGIN IMMEDIATE, the in-memory store's lock): claiming a row then adds nothing, and a writer
    # may keep what it read while nothing it depends on has changed (``Terms`` of reservations).
    writes_take_turns: bool = False

    @abstractmethod
    def write(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction, committed when the block ends without an exception and rolled
        back when it raises; its ``after_commit`` callbacks run once it has committed. A write the
        schema refuses (a key already taken) is rolled back whole and raised as ``Conflict``
        with the code ``write.conflict``."""

    def write_unflushed(self) -> AbstractContextManager[Transaction]:
        """``write``, except that its commit may return before the disk has the transaction:
        nothing it wrote may be acknowledged before a ``flush`` that starts after it committed
        has returned. The reservation writer commits its next batch while a flush runs (group
        commit with pipelining). A store that cannot tell the two apart flushes at every commit."""
        return self.write()

    def flush(self) -> None:  # noqa: B027 (a store that flushes at every commit has nothing left)
        """Make every transaction committed so far durable (survives a power loss, not only a
        crash of this process); a store that flushes at every commit returns at once."""

    @abstractmethod
    def read(self) -> AbstractContextManager[Transaction]:
        """A transaction for reading only: it sees what was committed, never a write in progress."""

    @abstractmethod
    def leader_lock(self) -> LeaderLock:
        """A claim to lead the scheduler among every process on this store (not yet held)."""

    @abstractmethod
    def publication_listener(self) -> PublicationListener | None:
        """A listener for every process's publications, or None where the store cannot push them."""

    def checkpoint(self) -> None:  # noqa: B027 (only SQLite keeps a write-ahead log to fold in)
        """Copy what the write-ahead log holds into the database file, without waiting for (or
        holding up) any writer: run beside a busy writer, so that its commits do not do it."""

    def refresh_statistics(self) -> None:  # noqa: B027 (only PostgreSQL plans from statistics)
        """Bring the query planner's statistics of the reservations up to date, without holding up
        any writer: the reservation writer asks for it as a launch fills."""

    def close(self) -> None:  # noqa: B027 (a store without connections has nothing to release)
        """Release what the store holds; it is not used afterwards."""
