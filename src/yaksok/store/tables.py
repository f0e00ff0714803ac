"""The schema, in one place. Migrations under migrations/ must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from yaksok.store.types import UTCDateTime

metadata = MetaData()

launches = Table(
    "launches",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("titles", JSON, nullable=False),
    Column("zone", String(64), nullable=False),
    Column("market", String(32), nullable=False, default=""),
    Column("skus", JSON, nullable=False),
    Column("per_customer_limit", Integer, nullable=False),
    Column("policy", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # the languages its texts are in, the first its primary
    Column("languages", JSON, nullable=False, server_default='["ko", "en"]'),
)

milestones = Table(
    "milestones",
    metadata,
    Column("id", String(140), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False, index=True),
    Column("key", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("titles", JSON, nullable=False),
    Column("position", Integer, nullable=False),
    Column("occurred_at", UTCDateTime),
    Column("occurrence_recorded_at", UTCDateTime),
    Column("occurrence_note", Text, nullable=False, default=""),
    Column("broken_version", Integer),  # the promise version already recorded as broken
)

promise_versions = Table(
    "promise_versions",
    metadata,
    Column("milestone_id", String(140), ForeignKey("milestones.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("at", UTCDateTime),
    Column("zone", String(64), nullable=False),
    Column("local_time", String(32)),  # wall time in zone, for people reading the table
    Column("precision", String(16), nullable=False),
    Column("made_at", UTCDateTime, nullable=False),
    Column("reason", JSON, nullable=False),  # text per language: ko, en
    Column("change_kind", String(16)),
    Column("notice_id", String(64)),
    Column("overridden", JSON, nullable=False),
    Column("justification", JSON, nullable=False),  # text per language: ko, en
)

notices = Table(
    "notices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), index=True),
    Column("kind", String(32), nullable=False),
    Column("titles", JSON, nullable=False),
    Column("bodies", JSON, nullable=False),
    Column("milestone_ids", JSON, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("publish_at", UTCDateTime),
    Column("published_at", UTCDateTime),
    Column("supersedes", String(64)),
    Column("claim", JSON),
    Column("overridden", JSON, nullable=False),
    Column("justification", JSON, nullable=False),  # text per language: ko, en
    Column("next_update_at", UTCDateTime),
    Column("cadence_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ledger_seq", Integer),  # the ledger entry that published it; also the SSE event id
    Column("reminder", JSON),  # what a reminder's notice reminds of (domain.notice.Reminded)
    Index("ix_notices_state_publish_at", "state", "publish_at"),
    Index("ix_notices_published_at", "published_at"),
    # Published notices in ledger order: the live hub's reads and each publication's predecessor.
    Index("ix_notices_state_ledger_seq", "state", "ledger_seq"),
)

cadences = Table(
    "cadences",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False),
    Column("weekdays", String(32), nullable=False),
    Column("local_time", String(8), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("titles", JSON, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("last_slot_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("private_key", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("launches", JSON(none_as_null=True)),  # the slugs the token may act on; NULL: every launch
)

operators = Table(
    "operators",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("launches", JSON(none_as_null=True)),  # the slugs the operator may act on; NULL: every launch
)

# Operators' passkeys (WebAuthn credentials): the id and public key, never a secret.
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", String(512), primary_key=True),  # the credential id, base64url
    Column("operator_id", String(32), ForeignKey("operators.id"), nullable=False, index=True),
    Column("public_key", Text, nullable=False),  # COSE key, base64url
    Column("sign_count", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
)

# Operator administration (tokens made and revoked): not public, unlike ledger_entries.
audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(32)),  # the acting token's id; NULL from the server's command line
    Column("action", String(64), nullable=False),
    Column("details", JSON, nullable=False),
)

# Changes waiting for a second operator's review (domain/review.py): not public, the ledger
# records only the approved act, with its proposal's id.
proposals = Table(
    "proposals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("command", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("proposed_by", String(32), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", String(32)),
    Column("decided_at", UTCDateTime),
    Column("reason", Text, nullable=False),
    Column("notice_id", String(64)),
    Index("ix_proposals_state_proposed_at", "state", "proposed_at"),
)

# Customers' reservations: customer data, not public (the ledger holds no contact).
reservations = Table(
    "reservations",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False),
    Column("sequence", Integer, nullable=False),  # place in line, gapless per launch
    Column("secret_hash", String(64), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("contact", String(200), nullable=False),
    Column("pickup_store", String(64)),
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    Column("language", String(8), nullable=False, server_default="en"),
    UniqueConstraint("launch_slug", "sequence", name="uq_reservations_launch_sequence"),
    UniqueConstraint("launch_slug", "idempotency_key", name="uq_reservations_launch_key"),
    Index("ix_reservations_launch_contact", "launch_slug", "contact"),
)

# A launch's reservations and units per SKU and state, and its arrivals per clock second (UTC),
# kept by the writes that change them (store/reservations.py): a capped launch's batch, and the
# scorecard, read a few rows where they read every reservation of the launch (at 100,000: 56 ms a
# batch, 84 ms a scorecard on SQLite, and growing).
reservation_totals = Table(
    "reservation_totals",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("reservations", Integer, nullable=False),
    Column("units", Integer, nullable=False),
)
# Each line (a state's reservations, per SKU) counted in blocks of LINE_BLOCK sequences: a place
# is the whole blocks ahead plus the rows of its own block, not every row ahead (12 ms at the
# 50,000th place on PostgreSQL, growing with the place).
reservation_blocks = Table(
    "reservation_blocks",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("block_start", Integer, primary_key=True),  # a multiple of LINE_BLOCK
    Column("reservations", Integer, nullable=False),
)
LINE_BLOCK = 1000  # sequences a block holds; migration 0022 counts the existing ones with it
reservation_arrivals = Table(
    "reservation_arrivals",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("second", UTCDateTime, primary_key=True),
    Column("reservations", Integer, nullable=False),
)

# Delivery (the outbox): who is to be told, which notices are still to fan out, each delivery.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("language", String(8), nullable=False),
    Column("launches", JSON, nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    Column("disabled_reason", Text, nullable=False, default=""),
    Column("awaiting_confirmation", Boolean, nullable=False, default=False),
    Column("paused_at", UTCDateTime),
    Column("previous_secret", String(128), nullable=False, default=""),
    Column("previous_secret_until", UTCDateTime),
    Column("contact", Text, nullable=False, default=""),
    Column("failing_since", UTCDateTime),
    Column("failure_warned_at", UTCDateTime),
    sqlite_with_rowid=False,  # one B-tree in id order: a fan-out reads every row in that order
)

# The VAPID key pair that signs browser push messages: one row, made on first use; never public.
vapid_keys = Table(
    "vapid_keys",
    metadata,
    Column("id", String(16), primary_key=True),  # always "vapid": a second key cannot be stored
    Column("private_key", Text, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
# A browser subscribes and unsubscribes by its push endpoint.
Index("ix_subscriptions_target", subscriptions.c.channel, subscriptions.c.target)

# One row per published notice still to be expanded into deliveries: written in the publishing
# transaction, so a publication cannot be lost between its commit and its deliveries.
fanouts = Table(
    "fanouts",
    metadata,
    Column("notice_id", String(64), ForeignKey("notices.id"), primary_key=True),
    Column("publish_at", UTCDateTime, nullable=False),
    Column("after", String(64), nullable=False, default=""),  # the last subscription expanded
    Column("done", Boolean, nullable=False, default=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(160), primary_key=True),  # webhook-id: the same on every attempt
    Column("notice_id", String(64), nullable=False, index=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("publish_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text, nullable=False, default=""),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

# What a social account posts with: kept out of ``subscriptions`` (which admin listings read) and
# read only by the delivery worker.
social_credentials = Table(
    "social_credentials",
    metadata,
    Column("subscription_id", String(64), ForeignKey("subscriptions.id"), primary_key=True),
    Column("secret", Text, nullable=False),
)

# What each notice became on each social account: its posts' ids and addresses.
social_posts = Table(
    "social_posts",
    metadata,
    Column("notice_id", String(64), primary_key=True),
    Column("subscription_id", String(64), primary_key=True),
    Column("network", String(32), nullable=False),
    Column("post_ids", JSON, nullable=False),
    Column("urls", JSON, nullable=False),
    Column("cids", JSON, nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
)

# The waiting room (docs/waiting-room.md): one row per launch that has one; the secret is kept
# here until its reveal, only its SHA-256 goes to the ledger before.
waiting_rooms = Table(
    "waiting_rooms",
    metadata,
    Column("launch_slug", String(64), ForeignKey("launches.slug"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("prequeue_opens", UTCDateTime, nullable=False),
    Column("admit_per_second", Float, nullable=False),
    Column("token_minutes", Integer, nullable=False),
    Column("commitment", String(64), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("opened_at", UTCDateTime),
    Column("prequeue_size", Integer, nullable=False, default=0),
    Column("collapsed", Integer, nullable=False, default=0),
    # The fallback seed's drand chain and committed round (domain.beacon.Chain.to_json() with
    # "round"); null without a beacon.
    Column("beacon", JSON),
    # The ledger entry (waiting_room.closed) that closed the pre-queue; set before the order when
    # the order waits for the beacon round, in the same transaction otherwise.
    Column("closed_seq", Integer),
)

waiting_room_entries = Table(
    "waiting_room_entries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime),
    Column("number", Integer),  # place in the admitted order, once it has one
    UniqueConstraint("launch_slug", "number", name="uq_waiting_room_entries_launch_number"),
    Index("ix_waiting_room_entries_launch_joined", "launch_slug", "joined_at"),
)

# An admission token's entry, once a reservation was accepted with it: single use.
admissions_used = Table(
    "admissions_used",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("entry_id", String(32), primary_key=True),
    Column("used_at", UTCDateTime, nullable=False),
)

# Personal messages (a ship date set or moved, an official answer): one customer's contact told,
# through the delivery worker; ``about`` holds what the message says (domain.personal_message).
personal_messages = Table(
    "personal_messages",
    metadata,
    Column("id", String(200), primary_key=True),  # the same on every attempt
    Column("launch_slug", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("language", String(8), nullable=False),
    Column("about", JSON, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text, nullable=False, default=""),
    Index("ix_personal_messages_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_personal_messages_launch_due_at", "launch_slug", "due_at"),
)

# Per launch, the last allocation run whose dates its customers were told (at which slot).
ship_dates_told = Table(
    "ship_dates_told",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("through_run", Integer, nullable=False),
    Column("slot_at", UTCDateTime, nullable=False),
)

# Stock and allocation (docs/allocation.md): batches recorded per launch, each reservation's current
# batch and date (rows only for the scheduled), every change of a date with its reason, and a
# summary of each run (the ledger holds the public one).
stock_batches = Table(
    "stock_batches",
    metadata,
    Column("launch_slug", String(64), ForeignKey("launches.slug"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("units", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("store", String(64)),
    Column("ship_date", Date, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("batch", Integer, nullable=False),
    Column("ship_date", Date, nullable=False),
    sqlite_with_rowid=False,  # one B-tree keyed by the primary key: a run may write a row per reservation
)

ship_date_changes = Table(
    "ship_date_changes",
    metadata,
    Column("launch_slug", String(64), primary_key=True),
    Column("run", Integer, primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("old_date", Date),
    Column("new_date", Date),
    Column("batch", Integer, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("reason_batch", Integer, nullable=False),
    Index("ix_ship_date_changes_launch_sequence", "launch_slug", "sequence"),
    sqlite_with_rowid=False,
)

allocation_runs = Table(
    "allocation_runs",
    metadata,
    Column("launch_slug", String(64), ForeignKey("launches.slug"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("ran_at", UTCDateTime, nullable=False),
    Column("ledger_seq", Integer, nullable=False),
    Column("batch_dates", JSON, nullable=False),
    Column("reservations", Integer, nullable=False),
    Column("scheduled", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("passes", Integer, nullable=False),
    Column("assignment_hash", String(64), nullable=False),
)

# Customers' questions (domain/question.py): the text is public unless hidden; the contact never is.
questions = Table(
    "questions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("launch_slug", String(64), ForeignKey("launches.slug"), nullable=False),
    Column("notice_id", String(64)),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("contact", String(254), nullable=False, default=""),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("merged_into", String(32)),
    Column("merged_at", UTCDateTime),
    Column("hidden_reason", Text, nullable=False, default=""),
    Column("hidden_at", UTCDateTime),
    Index("ix_questions_launch_asked_at", "launch_slug", "asked_at"),
)

question_answers = Table(
    "question_answers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("question_id", String(32), ForeignKey("questions.id"), nullable=False),
    Column("author", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("official", Boolean, nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    Column("ledger_seq", Integer),  # the answer's public ledger entry (live updates follow it)
    Index("ix_question_answers_question", "question_id"),
    Index("ix_question_answers_ledger_seq", "ledger_seq"),
)
