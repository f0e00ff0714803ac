"""Every error code below the web layer, declared once: its text, its kind, what it means.

Raise with the entry, not its text: ``raise NotFound(f"no notice {id!r}", code=codes.NOTICE_NOT_FOUND)``.
A new code is one line here, named after its text (``notice.not_found`` → ``NOTICE_NOT_FOUND``),
and one row in docs/api.md's error table; tests/integration/test_error_codes.py holds both to it.
The web layer's own codes (malformed requests, authentication) are in ``yaksok.web.errors``.
"""

from __future__ import annotations

from yaksok.domain.errors import (
    Code,
    Conflict,
    InvalidInput,
    NotFound,
    OutOfScope,
    PolicyViolation,
    Unavailable,
)

# Values that make no sense, whatever the state
INVALID_SLUG = Code("invalid.slug", InvalidInput, "a slug is not 1-64 lowercase letters, digits, hyphens")
INVALID_LIMIT = Code("invalid.limit", InvalidInput, "the per-customer limit is below 1")
INVALID_SKU = Code("invalid.sku", InvalidInput, "a SKU code longer than 64 characters")
INVALID_LANGUAGE = Code("invalid.language", InvalidInput, "a language is not Korean, English or Japanese")
INVALID_LANGUAGES = Code("invalid.languages", InvalidInput, "a launch's languages are empty or repeat one")
INVALID_TEXT_LANGUAGE = Code(
    "invalid.text_language", InvalidInput, "a text is in a language its launch does not publish in"
)
INVALID_TEXT_REQUIRED = Code("invalid.text_required", InvalidInput, "a required text is empty")
INVALID_CHANNEL = Code("invalid.channel", InvalidInput, "a notice names a channel it cannot go to")
INVALID_CLAIM = Code("invalid.claim", InvalidInput, "a clarification without a claim, or a claim elsewhere")
INVALID_URL = Code("invalid.url", InvalidInput, "a claim's source is not an http(s) URL")
INVALID_MILESTONE = Code("invalid.milestone", InvalidInput, "a notice names a milestone of another launch")
INVALID_CHOICE = Code("invalid.choice", InvalidInput, "a form field's value is not one of its choices")
INVALID_NUMBER = Code("invalid.number", InvalidInput, "a form field is not a whole number in its range")
INVALID_ROLE = Code("invalid.role", InvalidInput, "a role other than admin, editor, support or viewer")
TIME_INVALID = Code("time.invalid", InvalidInput, "a time cannot be read, or lacks its time zone")
TIME_UNKNOWN_ZONE = Code("time.unknown_zone", InvalidInput, "the time zone is not in the tz database")
TIME_NONEXISTENT = Code("time.nonexistent", InvalidInput, "the local time falls in a daylight-saving gap")
TIME_AMBIGUOUS = Code("time.ambiguous", InvalidInput, "the local time happens twice (daylight-saving fold)")
CONFIG_INVALID = Code("config.invalid", InvalidInput, "a setting's value cannot be read")
SCENARIO_INVALID = Code("scenario.invalid", InvalidInput, "a scenario cannot be read; the message says where")

# Launches and milestones
LAUNCH_NOT_FOUND = Code("launch.not_found", NotFound, "no launch has that slug")
LAUNCH_EXISTS = Code("launch.exists", Conflict, "a launch with that slug already exists")
LAUNCH_DUPLICATE_SKU = Code("launch.duplicate_sku", InvalidInput, "a SKU code appears twice in a launch")
LAUNCH_CAP_BELOW_HELD = Code("launch.cap_below_held", Conflict, "a SKU's cap below the units already held")
TITLES_UNCHANGED = Code("titles.unchanged", Conflict, "the titles given are the current ones")
MILESTONE_NOT_FOUND = Code("milestone.not_found", NotFound, "no milestone has that id")
MILESTONE_EXISTS = Code("milestone.exists", Conflict, "a milestone with that key already exists")
MILESTONE_OCCURRED = Code("milestone.occurred", Conflict, "the milestone has happened (occurrence recorded)")
MILESTONE_CANCELLED = Code("milestone.cancelled", Conflict, "the milestone was cancelled")
OCCURRENCE_IN_FUTURE = Code("occurrence.in_future", InvalidInput, "an occurrence recorded for a future time")

# Promises and the policy
PROMISE_INVALID = Code("promise.invalid", InvalidInput, "the precision needs a time, or has one it must not")
PROMISE_IN_PAST = Code("promise.in_past", InvalidInput, "the promised time has already passed")
PROMISE_PRECISION_MISMATCH = Code(
    "promise.precision_mismatch",
    InvalidInput,
    "the time is written more or less precisely than its precision",
)
PROMISE_UNCHANGED = Code("promise.unchanged", Conflict, "the milestone already has that promise")
POLICY_INVALID = Code("policy.invalid", InvalidInput, "a policy duration is negative")
POLICY_LEAD_TIME = Code("policy.lead_time", PolicyViolation, "too little notice before an exact time")
POLICY_REASON_REQUIRED = Code("policy.reason_required", PolicyViolation, "a change without a public reason")
POLICY_LATE_CHANGE = Code("policy.late_change", PolicyViolation, "a change comes too close to the old time")
OVERRIDE_JUSTIFICATION_REQUIRED = Code(
    "override.justification_required", InvalidInput, "an override has no public justification"
)
OVERRIDE_NOT_NEEDED = Code("override.not_needed", InvalidInput, "an override was sent but no rule is broken")

# Notices and cadences
NOTICE_NOT_FOUND = Code("notice.not_found", NotFound, "no notice (publicly: no published notice) has that id")
NOTICE_IMMUTABLE = Code("notice.immutable", Conflict, "a published notice cannot change; supersede it")
NOTICE_NOT_PUBLISHED = Code("notice.not_published", Conflict, "only a published notice can be superseded")
NOTICE_IN_PAST = Code("notice.in_past", InvalidInput, "a notice is scheduled for a time already past")
CADENCE_NOT_FOUND = Code("cadence.not_found", NotFound, "no cadence has that id")
CADENCE_INVALID = Code("cadence.invalid", InvalidInput, "a cadence's weekdays or time cannot be read")
NOTICE_PUBLISH_NOW_WITH_PUBLISH_AT = Code(
    "notice.publish_now_with_publish_at", InvalidInput, "publish_now and a publish_at contradict each other"
)
CADENCE_ENDED = Code("cadence.ended", Conflict, "the cadence has already ended")

# Two-person review
PROPOSAL_NOT_FOUND = Code("proposal.not_found", NotFound, "no proposal has that id")
REVIEW_OWN_PROPOSAL = Code("review.own_proposal", Conflict, "an operator cannot review their own proposal")
REVIEW_NOT_PENDING = Code("review.not_pending", Conflict, "the proposal was already approved or rejected")
REVIEW_NOTICE_CHANGED = Code(
    "review.notice_changed", Conflict, "the proposed notice was edited or published since it was proposed"
)

# Questions answered in the open
QUESTION_NOT_FOUND = Code("question.not_found", NotFound, "no question has that id")
QUESTION_EMPTY = Code("question.empty", InvalidInput, "a question with no text")
QUESTION_TOO_LONG = Code(
    "question.too_long", InvalidInput, "a question, answer or reason over its size: see `details`"
)
QUESTION_ENCODING = Code("question.encoding", InvalidInput, "the question's bytes are not valid UTF-8")
QUESTION_FORM_STALE = Code(
    "question.form_stale", InvalidInput, "the question form came from another site, or is too old"
)
QUESTION_HIDDEN = Code(
    "question.hidden", Conflict, "the question is hidden: it cannot be answered or hidden again"
)
QUESTION_MERGED = Code(
    "question.merged", Conflict, "the question was merged: answer the one it was merged into"
)
QUESTION_MERGE_INVALID = Code(
    "question.merge_invalid", Conflict, "questions of two launches, a hidden one, or a chain of merges"
)

# Subscriptions and delivery
SUBSCRIPTION_URL_INVALID = Code(
    "subscription.url_invalid", InvalidInput, "a webhook URL is not http(s)://host/path without credentials"
)
SUBSCRIPTION_TARGET_REFUSED = Code(
    "subscription.target_refused",
    InvalidInput,
    "a webhook URL resolves to a private, loopback or link-local address (not allowed)",
)
SUBSCRIPTION_CHANNEL_UNKNOWN = Code(
    "subscription.channel_unknown", InvalidInput, "a subscription names a channel that has no transport"
)
SUBSCRIPTION_ADDRESS_INVALID = Code(
    "subscription.address_invalid", InvalidInput, "an email subscription's address is not name@domain"
)
SUBSCRIPTION_TOKEN_INVALID = Code(
    "subscription.token_invalid",
    InvalidInput,
    "a confirmation or unsubscribe link is not one yaksok signed, or has expired",
)
SUBSCRIPTION_FORM_STALE = Code(
    "subscription.form_stale", InvalidInput, "a subscribe form not sent from this site's page, or too old"
)
PUSH_KEYS_INVALID = Code(
    "push.keys_invalid",
    InvalidInput,
    "a push subscription's keys.p256dh is not a P-256 point, or keys.auth is not 16 bytes (base64url)",
)
PUSH_ENDPOINT_INVALID = Code(
    "push.endpoint_invalid", InvalidInput, "a push endpoint is not https (http only to an allowed address)"
)
PUSH_NOT_FOUND = Code(
    "push.not_found", NotFound, "no push subscription to that launch has that endpoint and auth key"
)
SUBSCRIPTION_NOT_FOUND = Code("subscription.not_found", NotFound, "no subscription has that id")
SUBSCRIPTION_NOT_ACTIVE = Code(
    "subscription.not_active", Conflict, "only an active subscription can be paused"
)
SUBSCRIPTION_NOT_PAUSED = Code(
    "subscription.not_paused", Conflict, "only a paused subscription can be resumed"
)
SUBSCRIPTION_NOT_SIGNED = Code(
    "subscription.not_signed", Conflict, "only a webhook (a signed channel) has a secret to rotate"
)
SOCIAL_CREDENTIALS_INVALID = Code(
    "social.credentials_invalid",
    InvalidInput,
    "a social account's credentials are missing or not in the form its network needs",
)

# The store
WRITE_CONFLICT = Code(
    "write.conflict", Conflict, "a concurrent request changed the same data; nothing was written, retry"
)

# Operator administration
TOKEN_NOT_FOUND = Code("token.not_found", NotFound, "no token has that id")
TOKEN_REVOKED = Code("token.revoked", Conflict, "the token is already revoked")

# Pre-order and reservations
PREORDER_NOT_OPEN = Code(
    "preorder.not_open", Conflict, "the pre-order has not opened, or its opening is not an exact time yet"
)
PREORDER_CLOSED = Code("preorder.closed", Conflict, "the pre-order has closed (or its opening was cancelled)")
RESERVATION_INVALID = Code("reservation.invalid", InvalidInput, "a quantity below 1, or an empty contact")
RESERVATION_UNKNOWN_SKU = Code(
    "reservation.unknown_sku", InvalidInput, "the launch has no SKU with that code"
)
RESERVATION_OVER_LIMIT = Code(
    "reservation.over_limit", InvalidInput, "the contact's reservations would pass the per-customer limit"
)
RESERVATION_NOT_FOUND = Code("reservation.not_found", NotFound, "no reservation has that code and secret")
RESERVATION_CANCELLED = Code("reservation.cancelled", Conflict, "the reservation is already cancelled")

# The waiting room (docs/waiting-room.md)
WAITING_ROOM_NOT_FOUND = Code(
    "waiting_room.not_found", NotFound, "the launch has no waiting room, or it is off"
)
WAITING_ROOM_INVALID = Code(
    "waiting_room.invalid",
    InvalidInput,
    "a waiting room setting is out of range, or the pre-queue opens too late",
)
WAITING_ROOM_BEACON_INVALID = Code(
    "waiting_room.beacon_invalid",
    InvalidInput,
    "a beacon setting is wrong: not an http(s) URL, a bad public key, an unknown scheme or period",
)
WAITING_ROOM_BEACON_UNREACHABLE = Code(
    "waiting_room.beacon_unreachable",
    InvalidInput,
    "the beacon's /info could not be read to fill its settings",
)
WAITING_ROOM_CLOSED = Code(
    "waiting_room.closed", Conflict, "the pre-queue has closed: the room's settings can no longer change"
)
WAITING_ROOM_OPENING = Code(
    "waiting_room.opening",
    Unavailable,
    "the pre-queue has closed; its order is being drawn from the beacon round: retry after `Retry-After` s",
)
WAITING_ROOM_NOT_OPEN = Code("waiting_room.not_open", Conflict, "the pre-queue has not opened yet")
WAITING_ROOM_CODE_INVALID = Code(
    "waiting_room.code_invalid", InvalidInput, "the confirmation code is not the one mailed for this entry"
)
WAITING_ROOM_TOKEN_INVALID = Code(
    "waiting_room.token_invalid",
    InvalidInput,
    "an entry token or ticket yaksok did not make, or another launch's",
)
WAITING_ROOM_NOT_NUMBERED = Code(
    "waiting_room.not_numbered", Conflict, "the entry has no number yet: unconfirmed, or not ordered yet"
)
ADMISSION_NOT_YET = Code("admission.not_yet", Conflict, "the ticket's number is not admitted yet")
ADMISSION_REQUIRED = Code(
    "admission.required", Conflict, "the launch has a waiting room: a reservation needs an Admission-Token"
)
ADMISSION_INVALID = Code(
    "admission.invalid", InvalidInput, "an admission token yaksok did not make, or another launch's"
)
ADMISSION_EXPIRED = Code("admission.expired", Conflict, "the admission token has expired")
ADMISSION_USED = Code("admission.used", Conflict, "the admission token was already used for a reservation")
IDEMPOTENCY_KEY_REUSED = Code(
    "idempotency.key_reused", InvalidInput, "the Idempotency-Key was used before with another body"
)
IDEMPOTENCY_IN_FLIGHT = Code(
    "idempotency.in_flight", Conflict, "a request with the same Idempotency-Key is still being processed"
)

# Operator accounts
OPERATOR_EXISTS = Code("operator.exists", Conflict, "an operator account with that email already exists")
INVALID_EMAIL = Code(
    "invalid.email", InvalidInput, "an operator's email is not one address of at most 254 characters"
)
INVALID_PASSWORD = Code(
    "invalid.password", InvalidInput, "a password shorter than 12 or longer than 1024 characters"
)

# Stock and allocation
STOCK_BATCH_INVALID = Code(
    "stock.batch_invalid", InvalidInput, "a stock batch's SKU, units, date, kind or store cannot be used"
)
STOCK_BATCH_NOT_FOUND = Code(
    "stock.batch_not_found", NotFound, "the launch has no stock batch of that number"
)
ALLOCATION_NO_RUN = Code("allocation.no_run", NotFound, "the launch has had no allocation run yet")
# Roles limited to some launches ("a store team edits its own launch only")
SCOPE_OTHER_LAUNCH = Code(
    "scope.other_launch", OutOfScope, "the token or operator is limited to other launches than this one"
)
INVALID_SCOPE = Code(
    "invalid.scope", InvalidInput, "a limit to launches names none, or one that does not exist"
)
SCOPE_ALL_LAUNCHES = Code(
    "scope.all_launches", OutOfScope, "the act concerns every launch and needs a role not limited to some"
)

# Passkeys (WebAuthn) of operator accounts
OPERATOR_NOT_FOUND = Code("operator.not_found", NotFound, "no operator account has that id")
PASSKEY_INVALID = Code(
    "passkey.invalid", InvalidInput, "a passkey answer that does not verify, or a passkey already registered"
)
