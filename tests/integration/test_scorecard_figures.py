"""The scorecard's pre-order and delivery figures through HTTP: JSON, page, and a notice's
deliveries in the admin API."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.delivery import Delivery, DeliveryStatus
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.promise import Precision
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.services import launches
from yaksok.services.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

OPENS = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST


def open_a_preorder_with_reservations(rt: Runtime) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"en": "iPad", "ko": "아이패드"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad", key="opens", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "Opens"}
        ),
    )
    launches.revise_promise(
        rt, RevisePromise("ipad.opens", time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    arrivals = [
        (1, OPENS + timedelta(milliseconds=500), ReservationState.QUEUED, "<wifi & 16>"),
        (2, OPENS + timedelta(milliseconds=700), ReservationState.QUEUED, "<wifi & 16>"),
        (3, OPENS + timedelta(seconds=3), ReservationState.WAITLISTED, "<wifi & 16>"),
        (4, OPENS + timedelta(seconds=4), ReservationState.CANCELLED, "<wifi & 16>"),
    ]
    with rt.store.write() as tx:
        tx.reservations.add_many(
            [
                Reservation(
                    launch_slug="ipad",
                    sequence=n,
                    code=f"r{n}",
                    secret_hash="0" * 64,
                    idempotency_key=f"k{n}",
                    fingerprint="f" * 64,
                    sku=sku,
                    quantity=2,
                    contact=f"c{n}@example.com",
                    pickup_store=None,
                    state=state,
                    created_at=at,
                )
                for n, at, state, sku in arrivals
            ]
        )


def deliver_a_notice(rt: Runtime) -> None:
    with rt.store.write() as tx:
        tx.notices.add(Notice(id="n1", kind=NoticeKind.GENERAL, titles={"en": "n1"}, bodies={},
                              created_at=OPENS, launch_slug="ipad"))  # fmt: skip
        tx.deliveries.add_many(
            [
                Delivery(
                    id=f"msg_n1.s_{n}",
                    notice_id="n1",
                    subscription_id=f"s_{n}",
                    channel="webhook",
                    status=status,
                    attempts=1,
                    publish_at=OPENS,
                    next_attempt_at=None,
                    delivered_at=None if took is None else OPENS + timedelta(seconds=took),
                )
                for n, status, took in [
                    (1, DeliveryStatus.DELIVERED, 0.02),
                    (2, DeliveryStatus.DELIVERED, 0.04),
                    (3, DeliveryStatus.DELIVERED, 1.5),
                    (4, DeliveryStatus.FAILED, None),
                ]
            ]
        )


WEBHOOK = {"delivered": 3, "pending": 0, "failed": 1, "latency_seconds": {"p50": 0.04, "p99": 1.5}}
PREORDER = {
    "accepted": 4,
    "queued": 2,
    "waitlisted": 1,
    "cancelled": 1,
    "units_held": {"<wifi & 16>": 4},
    "peak_per_second": 2,
    "first_reservation_lateness_seconds": 0.5,
}


def test_the_scorecard_json_has_pre_order_figures_per_launch_and_delivery_figures_per_channel(
    client: TestClient, rt: Runtime
) -> None:
    open_a_preorder_with_reservations(rt)
    deliver_a_notice(rt)

    overall = client.get("/scorecard.json").json()
    ipad = client.get("/launches/ipad/scorecard.json").json()

    assert overall["preorder"] == {"ipad": PREORDER} and ipad["preorder"] == {"ipad": PREORDER}
    assert overall["deliveries"] == {"webhook": WEBHOOK} and ipad["deliveries"] == {"webhook": WEBHOOK}
    assert overall["promises"]["made"] == 1  # the figures were there before, and still are


def test_the_scorecard_page_shows_the_same_figures_escaped_in_every_language(
    client: TestClient, rt: Runtime
) -> None:
    open_a_preorder_with_reservations(rt)
    deliver_a_notice(rt)

    english = client.get("/scorecard", headers={"Accept-Language": "en"}).text
    korean = client.get("/scorecard", headers={"Accept-Language": "ko"}).text
    japanese = client.get("/scorecard", headers={"Accept-Language": "ja"}).text

    assert "<dt>Reservations accepted</dt><dd>4</dd>" in english
    assert "<dt>Waitlisted</dt><dd>1</dd>" in english and "<dt>Cancelled</dt><dd>1</dd>" in english
    assert "<dt>Units held: &lt;wifi &amp; 16&gt;</dt><dd>4</dd>" in english
    assert "<dt>Peak reservations per second</dt><dd>2</dd>" in english
    assert "<dt>First reservation after the promised opening</dt><dd>0.5 s</dd>" in english
    assert "<h4>Webhook</h4>" in english and "<dt>Delivered</dt><dd>3</dd>" in english
    assert "<dt>Latency from publication (99th percentile)</dt><dd>1.5 s</dd>" in english
    assert "<wifi" not in english
    assert "<dt>접수된 예약</dt><dd>4</dd>" in korean and "<dt>전달됨</dt><dd>3</dd>" in korean
    assert "<dt>受け付けた予約</dt><dd>4</dd>" in japanese and "<dt>配信済み</dt><dd>3</dd>" in japanese


def test_a_launch_without_reservations_or_deliveries_says_so(client: TestClient, rt: Runtime) -> None:
    launches.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))

    html = client.get("/scorecard", headers={"Accept-Language": "en"}).text
    numbers = client.get("/scorecard.json").json()

    assert "No reservations yet." in html and "Nothing sent to subscribers yet." in html
    assert numbers["preorder"]["ipad"]["accepted"] == 0 and numbers["deliveries"] == {}


def test_a_notices_deliveries_are_counted_per_channel_for_a_viewer(
    client: TestClient, rt: Runtime, bearer: Callable[[str], dict[str, str]]
) -> None:
    open_a_preorder_with_reservations(rt)
    deliver_a_notice(rt)
    viewer = bearer("viewer")

    response = client.get("/api/v1/notices/n1/deliveries", headers=viewer)
    unknown = client.get("/api/v1/notices/nothing/deliveries", headers=viewer)
    anonymous = client.get("/api/v1/notices/n1/deliveries")

    assert response.status_code == 200, response.text
    assert response.json() == {"notice_id": "n1", "channels": {"webhook": WEBHOOK}}
    assert unknown.status_code == 404 and unknown.json()["code"] == "notice.not_found"
    assert anonymous.status_code == 401


def test_with_several_launches_each_card_shows_its_own_notices_deliveries(
    client: TestClient, rt: Runtime
) -> None:
    open_a_preorder_with_reservations(rt)
    deliver_a_notice(rt)
    launches.create_launch(rt, CreateLaunch(slug="iphone", titles={"en": "iPhone"}, zone="Asia/Seoul"))

    html = client.get("/scorecard", headers={"Accept-Language": "en"}).text
    iphone = client.get("/launches/iphone/scorecard.json").json()

    ipad_card, iphone_card = html.split('class="launch-card"')[1:]
    assert "<h4>Webhook</h4>" in ipad_card and "<dt>Reservations accepted</dt><dd>4</dd>" in ipad_card
    assert "Nothing sent to subscribers yet." in iphone_card and "No reservations yet." in iphone_card
    assert iphone["deliveries"] == {} and list(iphone["preorder"]) == ["iphone"]
