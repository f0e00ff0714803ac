"""Every success response matches the schema ``/openapi.json`` publishes for it.

Each documented operation is called once, on each database, and its actual JSON is validated
with ``jsonschema`` against the operation's response schema, ``$ref``s resolved inside the
document itself; an operation this walk does not reach fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock
from yaksok.services import ledger, subscriber_links, waiting_room
from yaksok.services.auth import create_token
from yaksok.services.runtime import Runtime

Headers = dict[str, str]
SPEC_URI = "urn:yaksok:openapi"
LAUNCH = "/api/v1/launches/{slug}"
MILESTONE = "/api/v1/milestones/{milestone_id}"
NOTICE = "/api/v1/notices/{notice_id}"


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass
class Api:
    """Calls operations by their documented path and checks each answer against its schema."""

    client: TestClient
    headers: Headers
    spec: dict[str, Any]
    called: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(self.spec)
        )

    def validate(self, value: Any, method: str, template: str, status: int, media_type: str) -> None:
        # A $ref into the document (not a copy of the schema), so the "#/components/..." refs
        # inside it resolve against the document, as a client generator resolves them.
        where = _pointer("paths", template, method.lower(), "responses", str(status), "content", media_type)
        schema = {"$ref": f"{SPEC_URI}#/{where}/schema"}
        validator = Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
        assert not errors, (method, template, errors)

    def __call__(
        self,
        method: str,
        template: str,
        status: int,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        **path: str,
    ) -> Any:
        url = template.format(**path)
        response = self.client.request(method, url, json=json, params=params, headers=self.headers)
        assert response.status_code == status, (method, url, response.text)
        content = self.spec["paths"][template][method.lower()]["responses"][str(status)]["content"]
        (media_type,) = content
        assert response.headers["content-type"].split(";")[0] == media_type, (method, url)
        self.called.add((method, template))
        if media_type == "application/json":
            body = response.json()
            self.validate(body, method, template, status, media_type)
            return body
        if media_type == "application/x-ndjson":
            lines = [msgspec.json.decode(line) for line in response.content.split(b"\n") if line]
            for line in lines:
                self.validate(line, method, template, status, media_type)
            return lines
        return response.text


@pytest.fixture
def api(client: TestClient, admin: Headers) -> Api:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    return Api(client, admin, spec)


def walk_launches(api: Api) -> None:
    launch = {
        "slug": "ipad",
        "titles": {"ko": "아이패드", "en": "iPad"},
        "zone": "Asia/Seoul",
        "market": "KR",
        "skus": [{"code": "wifi-16", "titles": {"en": "Wi-Fi 16 GB"}}],
        "policy": {"min_lead_hours": 72},
    }
    api("POST", "/api/v1/launches", 201, launch)
    api("PATCH", LAUNCH, 200, {"titles": {"ko": "아이패드", "en": "iPad (KT)"}}, slug="ipad")
    sku = {"titles": {"en": "3G 64 GB"}, "cap": 100}
    api("PUT", f"{LAUNCH}/skus/{{code}}", 200, sku, slug="ipad", code="3g-64")
    api("PUT", f"{LAUNCH}/per-customer-limit", 200, {"per_customer_limit": 2}, slug="ipad")
    languages = api("PUT", f"{LAUNCH}/languages", 200, {"languages": ["ko", "en", "ja"]}, slug="ipad")
    assert languages["languages"] == ["ko", "en", "ja"]
    offsets = api("PUT", f"{LAUNCH}/reminder-offsets", 200, {"hours": [48, 2]}, slug="ipad")
    assert offsets["policy"]["reminder_offsets_hours"] == [48.0, 2.0]
    api("GET", f"{LAUNCH}/reservations", 200, params={"state": "queued"}, slug="ipad")
    assert api("GET", f"{LAUNCH}/reservations.csv", 200, slug="ipad").startswith("sequence,code,state")
    api("GET", "/api/v1/launches", 200)
    for key, kind in [("preorder", "preorder_opens"), ("sale", "sale_starts"), ("teaser", "announcement")]:
        milestone = {"key": key, "kind": kind, "titles": {"en": key.title()}}
        api("POST", f"{LAUNCH}/milestones", 201, milestone, slug="ipad")
    exact = {"time": "2010-11-09T20:00", "precision": "exact"}
    api("POST", f"{MILESTONE}/promises", 201, exact, milestone_id="ipad.preorder")
    api(
        "POST",
        f"{MILESTONE}/promises",
        201,
        {"time": "2010-12", "precision": "month"},
        milestone_id="ipad.sale",
    )
    api("POST", f"{MILESTONE}/cancel", 201, {"reason": "No stock"}, milestone_id="ipad.sale")
    api("POST", f"{MILESTONE}/occurrence", 201, {"note": "teased"}, milestone_id="ipad.teaser")
    shown = api("GET", LAUNCH, 200, slug="ipad")
    # The nullable parts were reached with a value, so both branches of their schemas are checked.
    assert [m["occurrence"] is not None for m in shown["milestones"]] == [False, False, True]
    assert shown["milestones"][0]["promise"] is not None
    assert api("GET", MILESTONE, 200, milestone_id="ipad.preorder")["versions"]
    api("PATCH", MILESTONE, 200, {"titles": {"en": "Pre-orders open"}}, milestone_id="ipad.preorder")
    cadence = {"weekdays": "mon,thu", "at": "10:00", "titles": {"en": "Shipping update"}}
    api("POST", f"{LAUNCH}/cadences", 201, cadence, slug="ipad")
    api("GET", f"{LAUNCH}/cadences", 200, slug="ipad")


def walk_notices(api: Api) -> None:
    (cadence,) = api("GET", f"{LAUNCH}/cadences", 200, slug="ipad")
    draft = {
        "kind": "shipping_update",
        "titles": {"en": "Shipping update"},
        "launch": "ipad",
        "milestones": ["ipad.preorder"],
        "cadence": cadence["id"],
        "next_update_at": "2010-11-01T01:00:00Z",
    }
    notice = api("POST", "/api/v1/notices", 201, draft)["id"]
    api("GET", "/api/v1/notices", 200, params={"launch": "ipad"})
    api("GET", NOTICE, 200, notice_id=notice)
    api("PATCH", NOTICE, 200, {"titles": {"en": "Shipping: first batch"}}, notice_id=notice)
    api("POST", f"{NOTICE}/schedule", 200, {"publish_at": "2010-10-29T01:00:00Z"}, notice_id=notice)
    api("POST", f"{NOTICE}/unschedule", 200, notice_id=notice)
    assert api("POST", f"{NOTICE}/publish", 200, notice_id=notice)["published_at"]
    assert api("GET", f"{NOTICE}/deliveries", 200, notice_id=notice)["notice_id"] == notice
    correction = {"kind": "shipping_update", "titles": {"en": "Shipping update (corrected)"}}
    api("POST", f"{NOTICE}/supersede", 201, correction, notice_id=notice)
    claim = {"text": "Pre-orders open at 09:00", "verdict": "false", "source_url": "https://news.example/1"}
    answer = {"claim": claim, "titles": {"en": "Not at 09:00"}, "launch": "ipad"}
    assert api("POST", "/api/v1/clarifications", 201, answer)["claim"] == claim
    token = api("POST", "/api/v1/tokens", 201, {"role": "viewer", "label": "press office"})["id"]
    api("POST", "/api/v1/tokens/{token_id}/revoke", 200, token_id=token)
    admin, viewer = api("GET", "/api/v1/tokens", 200)
    assert (admin["revoked_at"], viewer["id"]) == (None, token) and viewer["revoked_at"]
    administration = [e for e in api("GET", "/api/v1/audit", 200) if e["action"].startswith("token.")]
    assert [e["actor"] for e in administration] == [None, admin["id"], admin["id"]]
    ended = api(
        "POST", "/api/v1/cadences/{cadence_id}/end", 200, {"reason": "sold out"}, cadence_id=cadence["id"]
    )
    assert ended["next_slot"] is None


def walk_ledger(api: Api, rt: Runtime) -> None:
    assert api("GET", "/ledger", 200)
    ledger.checkpoint(rt)
    assert api("GET", "/ledger/checkpoints", 200)
    assert api("GET", "/.well-known/yaksok-ledger-key", 200).startswith("-----BEGIN PUBLIC KEY-----")
    # A public address written as an IP, so that checking it needs no DNS.
    webhook = {"url": "http://93.184.216.34/hooks", "kinds": ["announcement"], "language": "ko"}
    made = api("POST", "/subscriptions", 201, webhook)
    assert made["secret"].startswith("whsec_")
    with rt.store.write() as tx:
        key = subscriber_links.link_key(tx, rt)
    confirm = subscriber_links.confirm_token(key, made["id"], rt.clock.now() + timedelta(hours=1))
    assert api("GET", "/subscriptions/confirm/{token}", 200, token=confirm)["id"] == made["id"]
    unsubscribe = subscriber_links.unsubscribe_token(key, made["id"])
    assert "<form" in api("GET", "/unsubscribe/{token}", 200, token=unsubscribe)
    assert api("POST", "/unsubscribe/{token}", 200, token=unsubscribe)["status"] == "unsubscribed"


def walk_subscribers(api: Api) -> None:
    made = api("POST", "/subscriptions", 201, {"url": "http://93.184.216.34/other"})
    assert api("GET", "/api/v1/subscriptions", 200)["per_channel"]["webhook"] >= 1
    one = {"subscription_id": made["id"]}
    assert api("GET", "/api/v1/subscriptions/{subscription_id}", 200, **one)["deliveries"] == []
    assert api("POST", "/api/v1/subscriptions/{subscription_id}/pause", 200, **one)["state"] == "paused"
    assert api("POST", "/api/v1/subscriptions/{subscription_id}/resume", 200, **one)["missed"] == 0
    since = {"since": "2010-10-01T00:00:00Z"}
    replayed = api("POST", "/api/v1/subscriptions/{subscription_id}/replay", 200, since, **one)
    assert replayed["queued"] == len(replayed["again"]) + len(replayed["new"])
    rotated = api("POST", "/api/v1/subscriptions/{subscription_id}/rotate-secret", 200, **one)
    assert rotated["secret"].startswith("whsec_")
    account = {"network": "mastodon", "target": "http://93.184.216.34", "credentials": "t"}
    assert api("POST", "/api/v1/social/accounts", 201, account)["channel"] == "mastodon"
    assert api("GET", "/api/v1/social/accounts", 200)["accounts"][0]["queued"] == 0


def walk_push(api: Api) -> None:
    key = api("GET", "/push/key", 200)["public_key"]
    browser = {"endpoint": "https://93.184.216.34/push/1", "keys": {"p256dh": key, "auth": "A" * 22}}
    made = api("POST", "/launches/{slug}/push", 201, {**browser, "language": "ko"}, slug="ipad")
    ended = api("POST", "/launches/{slug}/push/unsubscribe", 200, browser, slug="ipad")
    assert ended["ended"] == [made["id"]]


def walk_waiting_room(api: Api, rt: Runtime) -> None:
    room = {"enabled": True, "prequeue_opens": "2010-11-01T00:00:00+00:00", "admit_per_second": 1}
    api("PUT", f"{LAUNCH}/waiting-room", 200, room, slug="ipad")
    assert api("GET", f"{LAUNCH}/waiting-room", 200, slug="ipad")["opened_at"] is None
    clock = rt.clock
    assert isinstance(clock, SimulatedClock)
    clock.advance_to(datetime(2010, 11, 2, tzinfo=UTC))
    queue = "/launches/{slug}/queue"
    api("POST", f"{queue}/join", 201, {"contact": "lee@example.com"}, slug="ipad")  # its code: by mail
    joined = waiting_room.join(rt, "ipad", "kim@example.com")  # its code, read here
    confirm = {"token": joined.token, "code": joined.code}
    assert api("POST", f"{queue}/confirm", 200, confirm, slug="ipad")["confirmed"] is True
    clock.advance_to(datetime(2010, 11, 9, 11, 0, 5, tzinfo=UTC))
    got = api("GET", f"{queue}/ticket", 200, params={"token": joined.token}, slug="ipad")
    admitted = api("POST", f"{queue}/admission", 200, {"ticket": got["ticket"]}, slug="ipad")
    assert admitted["admission"]
    assert "data-number" in api("GET", queue, 200, params={"ticket": got["ticket"]}, slug="ipad")
    assert api("POST", f"{queue}/join", 201, {"contact": "late@example.com"}, slug="ipad")["number"] == 2


def walk_stock(api: Api) -> None:
    batch = {"sku": "wifi-16", "units": 10, "date": "2010-11-30"}
    assert api("POST", f"{LAUNCH}/stock-batches", 201, batch, slug="ipad")["number"] == 1
    assert api("GET", f"{LAUNCH}/stock-batches", 200, slug="ipad")["batches"]
    moved = {"date": "2010-12-01", "reason": "customs"}
    api("PUT", f"{LAUNCH}/stock-batches/{{number}}/date", 200, moved, slug="ipad", number="1")
    run = api("POST", f"{LAUNCH}/allocations", 201, slug="ipad")
    assert api("GET", f"{LAUNCH}/allocations/last", 200, slug="ipad")["run"] == run["run"]
    api("GET", "/launches/{slug}/reservation-order", 200, params={"through": "0"}, slug="ipad")
    api("GET", f"{LAUNCH}/personal-messages", 200, slug="ipad")  # told at the next shipping slot


def walk_reviews(api: Api, rt: Runtime) -> None:
    api("PUT", f"{LAUNCH}/review", 200, {"required": True}, slug="ipad")
    now = {"kind": "general", "titles": {"en": "Held"}, "launch": "ipad", "publish_now": True}
    held = api("POST", "/api/v1/notices", 202, now)
    draft = api(
        "POST", "/api/v1/notices", 201, {"kind": "general", "titles": {"en": "Also held"}, "launch": "ipad"}
    )
    held_too = api("POST", f"{NOTICE}/publish", 202, notice_id=draft["id"])
    api("GET", "/api/v1/proposals", 200, params={"state": "pending", "launch": "ipad"})
    api("GET", "/api/v1/proposals/{proposal_id}", 200, proposal_id=held["id"])
    other = {"Authorization": f"Bearer {create_token(rt, 'editor').secret}"}
    reviewer = Api(api.client, other, api.spec, api.called)
    approved = reviewer("POST", "/api/v1/proposals/{proposal_id}/approve", 200, proposal_id=held["id"])
    assert approved["state"] == "approved" and approved["notice"] == held["notice"]
    reason = {"reason": "not now"}
    reviewer("POST", "/api/v1/proposals/{proposal_id}/reject", 200, reason, proposal_id=held_too["id"])
    api("PUT", f"{LAUNCH}/review", 200, {"required": False}, slug="ipad")


def walk_questions(api: Api) -> None:
    asked = api(
        "POST", "/launches/{slug}/questions", 201, {"text": "When?", "contact": "a@example.com"}, slug="ipad"
    )
    api("GET", "/launches/{slug}/questions", 200, slug="ipad")
    notice = api("POST", "/api/v1/notices", 201, {"kind": "general", "titles": {"en": "Q"}, "launch": "ipad",
                                                   "publish_now": True})  # fmt: skip
    other = api("POST", "/notices/{notice_id}/questions", 201, {"text": "Which?"}, notice_id=notice["id"])
    spam = api("POST", "/launches/{slug}/questions", 201, {"text": "spam"}, slug="ipad")
    api("GET", "/api/v1/questions", 200, params={"launch": "ipad", "state": "open"})
    api("GET", "/api/v1/questions/{question_id}", 200, question_id=asked["id"])
    api("POST", "/api/v1/questions/{question_id}/merge", 200, {"into": asked["id"]}, question_id=other["id"])
    api("POST", "/api/v1/questions/{question_id}/answer", 200, {"text": "Soon."}, question_id=asked["id"])
    api("POST", "/api/v1/questions/{question_id}/hide", 200, {"reason": "spam"}, question_id=spam["id"])


def test_every_success_response_matches_its_documented_schema(api: Api, rt: Runtime) -> None:
    walk_launches(api)
    walk_notices(api)
    walk_reviews(api, rt)
    walk_ledger(api, rt)
    walk_subscribers(api)
    walk_push(api)
    walk_waiting_room(api, rt)
    walk_stock(api)
    walk_questions(api)
    documented = {
        (method.upper(), path)
        for path, operations in api.spec["paths"].items()
        if path != "/openapi.json"
        for method in operations
    }
    assert documented - api.called == set()
