"""The scorecard through HTTP: the numbers as JSON and as a page with promise-drift charts."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

import pytest

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    CancelMilestone,
    CreateLaunch,
    RecordOccurrence,
    RevisePromise,
)
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx behaves the same in process.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def web(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))


def launch_with_milestone(rt: Runtime, slug: str, key: str = "preorder") -> str:
    launches.create_launch(
        rt, CreateLaunch(slug=slug, titles={"en": slug.title(), "ko": "출시"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug=slug, key=key, kind=MilestoneKind.PREORDER_OPENS, titles={"en": "Pre-orders open"}
        ),
    )
    return f"{slug}.{key}"


def keep_a_promise(rt: Runtime, clock: SimulatedClock, slug: str = "ipad") -> None:
    """Announced a day ahead without a time, then the exact time 4 days ahead, then kept."""
    milestone = launch_with_milestone(rt, slug)
    launches.revise_promise(rt, RevisePromise(milestone, time="2010-11-09", precision=Precision.DAY))
    clock.advance_to(datetime(2010, 11, 5, 11, tzinfo=UTC))
    launches.revise_promise(rt, RevisePromise(milestone, time="2010-11-09T20:00", precision=Precision.EXACT))
    clock.advance_to(datetime(2010, 11, 9, 11, 2, tzinfo=UTC))
    launches.record_occurrence(rt, RecordOccurrence(milestone))


def break_a_promise(rt: Runtime, clock: SimulatedClock, slug: str = "iphone") -> None:
    """An exact time that passes with nothing happening."""
    milestone = launch_with_milestone(rt, slug)
    launches.revise_promise(rt, RevisePromise(milestone, time="2010-11-15T10:00", precision=Precision.EXACT))
    clock.advance_to(datetime(2010, 11, 16, tzinfo=UTC))


def test_the_scorecard_json_counts_kept_and_broken_promises(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    keep_a_promise(rt, clock)
    break_a_promise(rt, clock)

    response = web.get("/scorecard.json")

    assert response.status_code == 200
    numbers = response.json()
    assert numbers["scope"] == "all"
    assert numbers["promises"] == {
        "made": 3,
        "kept": 2,  # the day and the exact time it was refined to, both met
        "kept_short_notice": 0,
        "broken": 1,
        "revised": 0,
        "pending": 0,
    }
    assert numbers["apologies"] == {"owed": 1, "on_time": 0}
    assert numbers["notices_published"] == 3


def test_a_launchs_scorecard_json_counts_only_that_launch(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    keep_a_promise(rt, clock)
    break_a_promise(rt, clock)

    kept = web.get("/launches/ipad/scorecard.json").json()
    broken = web.get("/launches/iphone/scorecard.json").json()

    assert (kept["scope"], kept["promises"]["kept"], kept["promises"]["broken"]) == ("ipad", 2, 0)
    assert (broken["scope"], broken["promises"]["kept"], broken["promises"]["broken"]) == ("iphone", 0, 1)
    assert kept["exact_time_share"] == 0.5


def test_an_unknown_launchs_scorecard_json_is_a_404_problem(web: TestClient) -> None:
    response = web.get("/launches/nothing/scorecard.json")

    assert response.status_code == 404
    assert response.json()["code"] == "launch.not_found"


def test_the_scorecard_page_shows_the_same_numbers_as_the_json(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    keep_a_promise(rt, clock)
    break_a_promise(rt, clock)

    html = web.get("/scorecard", headers=ENGLISH).text
    overall = html.split('id="overall-title"')[1].split("</section>")[0]

    assert "<dt>Promises made</dt><dd>3</dd>" in overall
    assert "<dt>Kept</dt><dd>2</dd>" in overall
    assert "<dt>Broken</dt><dd>1</dd>" in overall
    assert "<dt>Announced with an exact time</dt><dd>67%</dd>" in overall
    assert "<dt>Apologies owed</dt><dd>1</dd>" in overall


def test_the_scorecard_draws_an_accessible_promise_drift_chart_per_milestone(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    keep_a_promise(rt, clock)
    break_a_promise(rt, clock)

    html = web.get("/scorecard", headers=ENGLISH).text

    charts = re.findall(r"<svg class=\"drift\".*?</svg>", html, flags=re.S)
    assert len(charts) == 2
    for chart in charts:
        assert 'role="img"' in chart and "aria-labelledby=" in chart
        assert "<title id=" in chart and "<desc id=" in chart
        assert "announced (KST)" in chart and "promised time (KST)" in chart
        assert re.search(r'class="tick"[^>]*>\d\d-\d\d', chart)


def test_the_drift_chart_tells_exact_times_from_days_and_shows_what_happened(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    keep_a_promise(rt, clock)

    chart = re.findall(r"<svg class=\"drift\".*?</svg>", web.get("/scorecard", headers=ENGLISH).text, re.S)[0]

    assert chart.count('<g class="mark exact">') == 1
    assert chart.count('<g class="mark window">') == 1
    assert (
        "<title>v1 2010-11-09 (time not announced), announced 2010-10-28 09:00 KST (00:00 UTC)</title>"
        in chart
    )
    assert (
        "<title>v2 2010-11-09 20:00 KST (11:00 UTC), announced 2010-11-05 20:00 KST (11:00 UTC)</title>"
        in chart
    )
    assert '<g class="mark actual">' in chart and "happened 2010-11-09 20:02 KST (11:02 UTC)" in chart


def test_a_cancelled_milestone_is_drawn_as_a_cross(web: TestClient, rt: Runtime) -> None:
    milestone = launch_with_milestone(rt, "ipad")
    launches.revise_promise(rt, RevisePromise(milestone, time="2010-11-09T20:00", precision=Precision.EXACT))
    launches.cancel_milestone(rt, CancelMilestone(milestone, reason="supply"))

    chart = web.get("/scorecard", headers=ENGLISH).text

    assert '<g class="mark cancel">' in chart


def test_a_milestone_without_a_time_gets_no_chart_but_says_so(web: TestClient, rt: Runtime) -> None:
    launch_with_milestone(rt, "ipad")

    html = web.get("/scorecard", headers=ENGLISH).text

    assert "<svg" not in html and "No promise with a time yet." in html


def test_the_scorecard_page_in_korean(web: TestClient, rt: Runtime, clock: SimulatedClock) -> None:
    keep_a_promise(rt, clock)

    html = web.get("/scorecard", headers={"Accept-Language": "ko"}).text

    assert "약속 성적표" in html and "발표 시각 (KST)" in html and "약속한 시각 (KST)" in html
