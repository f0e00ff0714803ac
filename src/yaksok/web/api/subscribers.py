"""Admin API: subscribers, their delivery history and counts per channel; endpoints paused,
resumed and their secrets rotated. Never a secret except a new one, once."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.routing import BaseRoute

from yaksok.channels.transports import REGISTRY
from yaksok.domain.delivery import DISABLE_FAILING_AFTER, Delivery
from yaksok.domain.subscription import STATES, Subscription
from yaksok.services import subscribers
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import (
    DeliveryRecordOut,
    ReplayHintOut,
    ReplayOut,
    ResumedOut,
    RotatedSecretOut,
    SubscriberHistoryOut,
    SubscriberListOut,
    SubscriberOut,
)
from yaksok.web.errors import REQUEST_INVALID_PARAMETER, BadRequest

PREFIX = "/api/v1/subscriptions"


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def subscriber_view(s: Subscription) -> SubscriberOut:
    return SubscriberOut(
        id=s.id,
        channel=s.channel,
        target=s.target,
        language=s.language,
        launches=list(s.launches),
        kinds=list(s.kinds),
        state=s.state,
        created_at=s.created_at.isoformat(),
        disabled_at=_at(s.disabled_at),
        disabled_reason=s.disabled_reason,
        paused_at=_at(s.paused_at),
        contact=s.contact,
        failing_since=_at(s.failing_since),
        failure_warned_at=_at(s.failure_warned_at),
        disables_at=_at(s.failing_since + DISABLE_FAILING_AFTER if s.failing_since and s.enabled else None),
    )


def _delivery_view(d: Delivery) -> DeliveryRecordOut:
    return DeliveryRecordOut(
        id=d.id,
        notice_id=d.notice_id,
        channel=d.channel,
        status=d.status.value,
        attempts=d.attempts,
        publish_at=d.publish_at.isoformat(),
        next_attempt_at=_at(d.next_attempt_at),
        delivered_at=_at(d.delivered_at),
        last_error=d.last_error,
    )


def _choice(call: Call[None], name: str, choices: tuple[str, ...]) -> str | None:
    raw = call.query.get(name) or None
    if raw is not None and raw not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}", code=REQUEST_INVALID_PARAMETER)
    return raw


def list_subscriptions(call: Call[None]) -> SubscriberListOut:
    channel = _choice(call, "channel", tuple(REGISTRY))
    state = _choice(call, "state", STATES)
    found = subscribers.listing(call.rt, channel=channel, state=state)
    return SubscriberListOut(
        subscriptions=[subscriber_view(s) for s in found.subscriptions], per_channel=found.per_channel
    )


def subscription_history(call: Call[None]) -> SubscriberHistoryOut:
    found = subscribers.history(call.rt, call.path["subscription_id"])
    return SubscriberHistoryOut(
        subscription=subscriber_view(found.subscription),
        deliveries=[_delivery_view(d) for d in found.deliveries],
    )


def pause(call: Call[None]) -> SubscriberOut:
    return subscriber_view(subscribers.pause(call.rt, call.path["subscription_id"]))


def resume(call: Call[None]) -> ResumedOut:
    resumed = subscribers.resume(call.rt, call.path["subscription_id"])
    since = resumed.since.isoformat()
    return ResumedOut(
        subscription=subscriber_view(resumed.subscription),
        missed=resumed.missed,
        missed_since=since,
        replay=ReplayHintOut(
            method="POST", path=f"{PREFIX}/{resumed.subscription.id}/replay", body={"since": since}
        ),
    )


def replay(call: Call[schemas.ReplayRequest]) -> ReplayOut:
    done = subscribers.replay(call.rt, call.path["subscription_id"], subscribers.instant(call.body.since))
    return ReplayOut(
        id=call.path["subscription_id"],
        since=done.since.isoformat(),
        queued=len(done.again) + len(done.new),
        again=done.again,
        new=done.new,
    )


def rotate_secret(call: Call[None]) -> RotatedSecretOut:
    window = timedelta(hours=call.settings.webhook_rotation_hours)
    secret, until = subscribers.rotate_secret(call.rt, call.path["subscription_id"], window)
    return RotatedSecretOut(
        id=call.path["subscription_id"], secret=secret, previous_valid_until=until.isoformat()
    )


def routes() -> list[BaseRoute]:
    support, editor, one = Role.SUPPORT, Role.EDITOR, f"{PREFIX}/{{subscription_id}}"
    return [
        operation("GET", PREFIX, list_subscriptions, role=support, tag="subscriptions",
                  summary="Subscribers (?channel=, ?state=) with counts per channel; never a secret"),
        operation("GET", one, subscription_history, role=support, tag="subscriptions",
                  summary="A subscriber and its delivery history"),
        operation("POST", f"{one}/pause", pause, role=editor, tag="subscriptions",
                  summary="Pause an endpoint: nothing is sent to it until it is resumed"),
        operation("POST", f"{one}/resume", resume, role=editor, tag="subscriptions",
                  summary="Resume a paused or disabled endpoint; says what it missed and how to replay it"),
        operation("POST", f"{one}/replay", replay, role=editor, tag="subscriptions",
                  body=schemas.ReplayRequest,
                  summary="Send again every notice published since a time that it chose (same webhook-id)"),
        operation("POST", f"{one}/rotate-secret", rotate_secret, role=editor, tag="subscriptions",
                  summary="A new whsec_ secret (shown once); the old one signs too until the window ends"),
    ]  # fmt: skip
