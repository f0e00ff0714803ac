"""The names of domain values (notice kinds, verdicts, change kinds, precisions, outcomes, policy
rules, scorecard figures) as the pages show them, looked up per language: ``NOTICE_KINDS["ko"]``.
Each is a gettext message with the kind of value as its context (see ``i18n.label``)."""

from __future__ import annotations

from yaksok.web.pages.i18n import Words, label

NOTICE_KINDS = Words(
    {
        "announcement": label("notice kind", "Announcement"),
        "change": label("notice kind", "Change"),
        "clarification": label("notice kind", "Clarification"),
        "shipping_update": label("notice kind", "Shipping update"),
        "apology": label("notice kind", "Apology"),
        "general": label("notice kind", "General"),
    }
)

RESERVATION_STATES = Words(
    {
        "queued": label("reservation state", "Reserved"),
        "waitlisted": label("reservation state", "On the waitlist"),
        "cancelled": label("reservation state", "Cancelled"),
    }
)

# Why a reservation's expected date changed (domain.allocation.Reason); "{batch}" is its number.
DATE_CHANGE_REASONS = Words(
    {
        "first_scheduled": label("date change", "it was first scheduled"),
        "batch_added": label("date change", "batch {batch} was added"),
        "batch_moved": label("date change", "batch {batch} was moved"),
        "cancellation_ahead": label("date change", "a cancellation ahead freed units"),
        "line_changed": label("date change", "the line ahead changed"),
        "cancelled": label("date change", "the reservation was cancelled"),
    }
)

VERDICTS = Words(
    {
        "false": label("verdict", "false"),
        "unconfirmed": label("verdict", "unconfirmed"),
        "correct": label("verdict", "correct"),
    }
)

CHANGE_KINDS = Words(
    {
        "": label("change kind", "first promise"),
        "delay": label("change kind", "delay"),
        "advance": label("change kind", "advance"),
        "cancel": label("change kind", "cancel"),
        "clarify": label("change kind", "clarify"),
    }
)

PRECISIONS = Words(
    {
        "exact": label("precision", "exact date and time announced"),
        "day": label("precision", "date announced, time not yet announced"),
        "month": label("precision", "month announced, date and time not yet announced"),
        "unannounced": label("precision", "not yet announced"),
    }
)

OUTCOMES = Words(
    {
        "kept": label("outcome", "kept"),
        "kept_short_notice": label("outcome", "kept, short notice"),
        "broken": label("outcome", "broken"),
        "revised": label("outcome", "changed with due notice"),
        "pending": label("outcome", "pending"),
        "cancelled": label("outcome", "cancelled"),
        "none": label("outcome", "no promise yet"),
    }
)

RULES = Words(
    {
        "policy.lead_time": label("policy rule", "announced with less than the minimum lead time"),
        "policy.reason_required": label("policy rule", "changed without a public reason"),
        "policy.late_change": label("policy rule", "changed too close to the old time"),
    }
)

SCORE_LABELS = Words(
    {
        "made": label("scorecard", "Promises made"),
        "kept": label("scorecard", "Kept"),
        "kept_short_notice": label("scorecard", "Kept on short notice"),
        "broken": label("scorecard", "Broken"),
        "revised": label("scorecard", "Changed with due notice"),
        "pending": label("scorecard", "Pending"),
        "exact_time_share": label("scorecard", "Announced with an exact time"),
        "time_not_announced": label("scorecard", "Promises without a time"),
        "lead_median": label("scorecard", "Median lead time"),
        "lead_min": label("scorecard", "Shortest lead time"),
        "late_changes": label("scorecard", "Late changes"),
        "overrides": label("scorecard", "Policy overrides"),
        "lateness_median": label("scorecard", "Publication lateness (median)"),
        "lateness_max": label("scorecard", "Publication lateness (worst)"),
        "notices_published": label("scorecard", "Notices published"),
        "apologies_owed": label("scorecard", "Apologies owed"),
        "apologies_on_time": label("scorecard", "Apologies on time"),
        "hours": label("scorecard", "{value} h"),
        "seconds": label("scorecard", "{value} s"),
        "preorder_title": label("scorecard", "Pre-order"),
        "no_reservations": label("scorecard", "No reservations yet."),
        "accepted": label("scorecard", "Reservations accepted"),
        "queued": label("scorecard", "Holding units"),
        "waitlisted": label("scorecard", "Waitlisted"),
        "cancelled": label("scorecard", "Cancelled"),
        "units_held": label("scorecard", "Units held: {sku}"),
        "peak_per_second": label("scorecard", "Peak reservations per second"),
        "first_lateness": label("scorecard", "First reservation after the promised opening"),
        "deliveries_title": label("scorecard", "Delivery to subscribers"),
        "no_deliveries": label("scorecard", "Nothing sent to subscribers yet."),
        "delivered": label("scorecard", "Delivered"),
        "failed": label("scorecard", "Failed"),
        "latency_p50": label("scorecard", "Latency from publication (median)"),
        "latency_p99": label("scorecard", "Latency from publication (99th percentile)"),
    }
)

CHANNELS = Words(
    {
        "email": label("channel", "Email"),
        "webhook": label("channel", "Webhook"),
        "mastodon": label("channel", "Mastodon"),
        "bluesky": label("channel", "Bluesky"),
        "x": label("channel", "X"),
        "slack": label("channel", "Slack"),
        "teams": label("channel", "Microsoft Teams"),
        "webpush": label("channel", "Browser push"),
    }
)
