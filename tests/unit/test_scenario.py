from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from yaksok.domain.errors import InvalidInput, PolicyViolation
from yaksok.domain.launch import Milestone, MilestoneKind
from yaksok.domain.notice import NoticeKind, Verdict
from yaksok.domain.policy import LATE_CHANGE, LEAD_TIME, REASON_REQUIRED, Override
from yaksok.domain.promise import Precision
from yaksok.replay import (
    Actor,
    AnswerAction,
    AskAction,
    ClarifyAction,
    CrowdAction,
    NoticeAction,
    OccurAction,
    PromiseAction,
    Scenario,
    load_scenario,
    parse_scenario,
)

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "kt-ipad-2010.yaml"


def kst(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+09:00")


def both(text: str) -> dict[str, str]:
    return {"ko": f"{text} (ko)", "en": text}


def minimal() -> dict[str, Any]:
    """A small valid scenario, as plain data, for each test to break in one place."""
    return {
        "title": both("title"),
        "summary": both("summary"),
        "starts_at": "2010-11-01T09:00:00+09:00",
        "ends_at": "2010-11-30T12:00:00+09:00",
        "launch": {"slug": "ipad-kt-2010", "titles": both("iPad"), "zone": "Asia/Seoul"},
        "milestones": [{"key": "preorder-opens", "kind": "preorder_opens", "titles": both("Pre-orders")}],
        "cadences": [
            {
                "key": "shipping",
                "weekdays": "weekdays",
                "time": "10:00",
                "titles": both("Shipping"),
                "from": "2010-11-02T09:00:00+09:00",
            }
        ],
        "steps": [
            {
                "at": "2010-11-03T10:00:00+09:00",
                "actor": "carrier",
                "what": both("announces the day"),
                "action": "promise",
                "milestone": "preorder-opens",
                "precision": "day",
                "time": "2010-11-09",
            },
            {
                "at": "2010-11-09T08:00:00+09:00",
                "actor": "press",
                "what": both("writes 9:00"),
                "action": "note",
            },
        ],
    }


def refused(data: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(data, "test.yaml")
    assert caught.value.code == "scenario.invalid", caught.value.message
    return caught.value


# --- the shipped scenario -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Scenario:
    return load_scenario(SHIPPED)


def test_the_shipped_scenario_loads_with_both_languages(shipped: Scenario) -> None:
    assert shipped.launch.slug == "ipad-kt-2010"
    assert shipped.launch.zone == "Asia/Seoul"
    assert shipped.milestone_id("preorder-opens") == "ipad-kt-2010.preorder-opens"
    assert all(step.what.ko and step.what.en for step in shipped.steps)
    assert [step.index for step in shipped.steps] == list(range(1, len(shipped.steps) + 1))


def test_the_shipped_scenario_corrects_the_9_am_claim_before_9(shipped: Scenario) -> None:
    clarifications = [s for s in shipped.steps if isinstance(s.action, ClarifyAction)]
    assert clarifications, "no clarification"
    step = clarifications[0]
    assert isinstance(step.action, ClarifyAction)
    assert step.actor is Actor.OPERATOR
    assert step.action.claim.verdict is Verdict.FALSE
    assert step.action.notice.kind is NoticeKind.CLARIFICATION
    assert step.at < kst("2010-11-09T09:00:00")
    assert step.action.notice.next_update_at == kst("2010-11-09T12:00:00")


def test_the_shipped_scenario_writes_a_shipping_update_for_a_cadence_slot(shipped: Scenario) -> None:
    cadence = shipped.cadence("shipping")
    updates = [
        s.action.notice
        for s in shipped.steps
        if isinstance(s.action, NoticeAction) and s.action.notice.cadence == "shipping"
    ]
    assert cadence.weekdays == (0, 1, 2, 3, 4)
    assert updates and all(n.kind is NoticeKind.SHIPPING_UPDATE for n in updates)


def test_the_default_policy_refuses_the_carrier_and_accepts_the_operator(shipped: Scenario) -> None:
    """Run the scenario's promises and occurrences through the pure domain, as a replay would."""
    policy = shipped.launch.policy
    milestones = {
        m.key: Milestone(shipped.milestone_id(m.key), shipped.launch.slug, m.key, m.kind, m.titles.as_dict())
        for m in shipped.milestones
    }
    refusals: dict[int, list[str]] = {}
    for step in shipped.steps:
        action, now = step.action, step.at.astimezone(UTC)
        if isinstance(action, OccurAction):
            milestones[action.milestone] = milestones[action.milestone].occur(action.at, now)
        if isinstance(action, CrowdAction):  # the first accepted reservation records the opening
            opens = next(key for key, m in milestones.items() if m.kind is MilestoneKind.PREORDER_OPENS)
            milestones[opens] = milestones[opens].occur(now, now)
        if not isinstance(action, PromiseAction):
            continue
        try:
            milestones[action.milestone], _ = milestones[action.milestone].revise(
                action.promise,
                policy=policy,
                now=now,
                reason=action.reason.as_dict(),
                change_kind=action.change_kind,
                override=Override(action.override.as_dict()) if action.override else None,
            )
        except PolicyViolation as exc:
            assert step.actor is not Actor.OPERATOR, f"{step.label}: operator refused: {exc.rules}"
            refusals[step.index] = exc.rules
    assert sorted(refusals.values()) == [[LEAD_TIME], [REASON_REQUIRED, LATE_CHANGE]]
    preorder = milestones["preorder-opens"]
    assert [v.promise.precision for v in preorder.versions] == [
        Precision.DAY,
        Precision.EXACT,
        Precision.MONTH,
        Precision.EXACT,
    ]
    assert [v.overridden for v in preorder.versions] == [(), (LEAD_TIME,), (LATE_CHANGE,), ()]
    assert preorder.occurrence is not None and milestones["sale-starts"].occurrence is not None


# --- the format -----------------------------------------------------------------------------------


def test_a_valid_scenario_reads_into_typed_steps() -> None:
    scenario = parse_scenario(minimal(), "test.yaml")
    first = scenario.steps[0]
    assert isinstance(first.action, PromiseAction)
    assert first.action.promise.precision is Precision.DAY
    assert first.at == kst("2010-11-03T10:00:00")
    assert first.label == "step 1 (2010-11-03T10:00+09:00)"
    assert scenario.cadences[0].created_at == kst("2010-11-02T09:00:00")


def test_an_unknown_action_is_refused_naming_the_step() -> None:
    data = minimal()
    data["steps"][1]["action"] = "promis"
    error = refused(data)
    assert "step 2 (2010-11-09T08:00+09:00): unknown action 'promis'" in error.message


def test_a_reference_to_a_missing_milestone_is_refused() -> None:
    data = minimal()
    data["steps"][0]["milestone"] = "preorder-open"
    error = refused(data)
    assert (
        "step 1 (2010-11-03T10:00+09:00): milestone: no milestone with key 'preorder-open'" in error.message
    )


def test_a_notice_linking_a_missing_milestone_is_refused() -> None:
    data = minimal()
    data["steps"][0]["notice"] = {
        "kind": "announcement",
        "titles": both("t"),
        "bodies": both("b"),
        "milestones": ["sale-starts"],
    }
    error = refused(data)
    assert "step 1" in error.message and "notice.milestones[0]" in error.message


def test_time_going_backwards_is_refused() -> None:
    data = minimal()
    data["steps"][1]["at"] = "2010-11-02T10:00:00+09:00"
    error = refused(data)
    assert "step 2 (2010-11-02T10:00+09:00): at: goes back in time" in error.message


def test_a_text_without_both_languages_is_refused() -> None:
    data = minimal()
    data["steps"][1]["what"] = {"ko": "보도"}
    error = refused(data)
    assert "step 2 (2010-11-09T08:00+09:00): what: missing language 'en'" in error.message


def test_a_plain_string_where_languages_are_expected_is_refused() -> None:
    data = minimal()
    data["steps"][1]["what"] = "the press writes 9:00"
    assert "step 2" in refused(data).message


def test_an_unknown_precision_is_refused() -> None:
    data = minimal()
    data["steps"][0]["precision"] = "exactly"
    error = refused(data)
    assert "step 1 (2010-11-03T10:00+09:00): precision: unknown value 'exactly'" in error.message


def test_a_time_that_does_not_fit_the_precision_is_refused() -> None:
    data = minimal()
    data["steps"][0]["time"] = "2010-11"
    assert "step 1 (2010-11-03T10:00+09:00): time:" in refused(data).message


def test_a_misspelt_field_is_refused_rather_than_ignored() -> None:
    data = minimal()
    data["steps"][0]["precison"] = "day"
    assert "step 1 (2010-11-03T10:00+09:00): precison: unknown field" in refused(data).message


def test_a_time_without_offset_is_refused() -> None:
    data = minimal()
    data["steps"][0]["at"] = "2010-11-03T10:00:00"
    assert "step 1: at: needs a UTC offset" in refused(data).message


def test_a_cadence_update_before_the_cadence_exists_is_refused() -> None:
    data = minimal()
    data["cadences"][0]["from"] = "2010-11-20T09:00:00+09:00"
    data["steps"][1] = {
        "at": "2010-11-09T08:00:00+09:00",
        "actor": "operator",
        "what": both("writes an update"),
        "action": "notice",
        "cadence": "shipping",
        "titles": both("t"),
        "bodies": both("b"),
    }
    assert "step 2 (2010-11-09T08:00+09:00): cadence:" in refused(data).message


def test_a_clarification_must_go_through_the_clarify_action() -> None:
    data = minimal()
    data["steps"][1].update(action="notice", kind="clarification", titles=both("t"), bodies=both("b"))
    assert "use action 'clarify'" in refused(data).message


def test_a_bad_launch_is_refused_naming_the_launch() -> None:
    data = minimal()
    data["launch"]["zone"] = "Asia/Nowhere"
    assert "launch: unknown time zone" in refused(data).message


def test_yaml_booleans_and_unquoted_clock_times_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        """
title: {ko: 제목, en: title}
summary: {ko: 요약, en: summary}
starts_at: 2010-11-01T09:00:00+09:00
ends_at: 2010-11-30T12:00:00+09:00
launch: {slug: demo, titles: {ko: 데모, en: demo}, zone: Asia/Seoul}
milestones: [{key: opens, kind: preorder_opens, titles: {ko: 시작, en: opens}}]
steps:
  - at: 2010-11-09T08:15:00+09:00
    actor: operator
    what: {ko: 정정, en: correction}
    action: clarify
    claim: {text: "opens at 9:00", verdict: false}
    titles: {ko: 정정, en: correction}
    bodies: {ko: 아닙니다, en: it does not}
""",
        encoding="utf-8",
    )
    step = load_scenario(path).steps[0]
    assert isinstance(step.action, ClarifyAction) and step.action.claim.verdict is Verdict.FALSE
    assert step.at == kst("2010-11-09T08:15:00")

    path.write_text(path.read_text(encoding="utf-8").replace("steps:", _UNQUOTED_CADENCE + "steps:"))
    with pytest.raises(InvalidInput) as caught:
        load_scenario(path)
    assert "cadences[0].time: expected a quoted local time" in caught.value.message


_UNQUOTED_CADENCE = """cadences:
  - {key: shipping, weekdays: weekdays, time: 10:00, titles: {ko: 배송, en: shipping},
     from: 2010-11-02T09:00:00+09:00}
"""


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("steps: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_scenario(path)
    assert caught.value.code == "scenario.invalid" and "not valid YAML" in caught.value.message


def crowd(**fields: object) -> dict[str, Any]:
    data = minimal()
    data["steps"][1] = {
        "at": "2010-11-09T08:00:00+09:00",
        "actor": "customers",
        "what": both("reserve at once"),
        "action": "crowd",
        **fields,
    }
    return data


def test_a_crowd_reads_with_its_retries_and_greedy_customers() -> None:
    step = parse_scenario(crowd(reservations=500, retried=50, over_limit=5, seconds=30), "t.yaml").steps[1]
    assert step.action == CrowdAction(reservations=500, retried=50, over_limit=5, seconds=30)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"reservations": 0}, "reservations"),
        ({"reservations": 100_001}, "reservations"),
        ({"reservations": 10, "retried": 11}, "retried"),
        ({"reservations": 10, "over_limit": -1}, "over_limit"),
        ({"reservations": 10, "seconds": 0}, "seconds"),
        ({"reservations": "many"}, "reservations"),
    ],
)
def test_a_crowd_out_of_its_bounds_is_refused_naming_the_field(fields: dict[str, object], named: str) -> None:
    assert named in refused(crowd(**fields)).message


def test_a_sku_cap_in_a_scenario_must_be_a_whole_number_of_units() -> None:
    data = minimal()
    data["launch"]["skus"] = [{"code": "wifi", "titles": both("Wi-Fi"), "cap": -1}]
    assert "cap" in refused(data).message
    data["launch"]["skus"][0]["cap"] = 10
    assert parse_scenario(data, "t.yaml").launch.skus[0].cap == 10


def conversation(*steps: dict[str, Any]) -> dict[str, Any]:
    data = minimal()
    at = ["2010-11-09T08:00:00+09:00", "2010-11-09T08:10:00+09:00", "2010-11-09T08:20:00+09:00"]
    data["steps"][1:2] = [
        {"at": at[n], "actor": "customers" if s["action"] == "ask" else "operator", "what": both("q"), **s}
        for n, s in enumerate(steps)
    ]
    return data


def test_a_question_and_its_answer_read_with_the_key_that_joins_them() -> None:
    ask = {"action": "ask", "key": "when", "language": "ko", "text": "언제요?"}
    answer = {"action": "answer", "question": "when", "text": "12:00에 알려 드립니다."}
    steps = parse_scenario(conversation(ask, answer), "t.yaml").steps
    assert steps[1].action == AskAction(key="when", text="언제요?", language="ko")
    assert steps[2].action == AnswerAction(question="when", text="12:00에 알려 드립니다.", official=True)


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        (({"action": "answer", "question": "when", "text": "x"},), "no question asked before"),
        (({"action": "ask", "key": "when", "language": "fr", "text": "x"},), "language"),
        (
            (
                {"action": "ask", "key": "when", "language": "en", "text": "x"},
                {"action": "ask", "key": "when", "language": "en", "text": "y"},
            ),
            "asked already",
        ),
    ],
)
def test_an_answer_to_no_question_or_a_question_twice_over_is_refused(
    steps: tuple[dict[str, Any], ...], named: str
) -> None:
    assert named in refused(conversation(*steps)).message


def test_a_launch_listing_japanese_takes_japanese_texts_beside_korean_and_english() -> None:
    data = minimal()
    data["launch"]["languages"] = ["ko", "en", "ja"]
    data["milestones"][0]["titles"] = {**both("Pre-orders"), "ja": "予約開始"}
    scenario = parse_scenario(data, "test.yaml")
    assert scenario.launch.languages == ("ko", "en", "ja")
    assert scenario.milestones[0].titles.as_dict() == {
        "ko": "Pre-orders (ko)",
        "en": "Pre-orders",
        "ja": "予約開始",
    }


def test_a_japanese_text_for_a_launch_without_japanese_is_refused() -> None:
    data = minimal()
    data["milestones"][0]["titles"] = {**both("Pre-orders"), "ja": "予約開始"}
    assert "the launch's languages do not list it" in refused(data).message


@pytest.mark.parametrize(
    ("languages", "problem"),
    [(["en", "ja"], "publishes in ko and en"), ("ja", "expected a list"), (["ko", "en", "fr"], "fr")],
)
def test_launch_languages_without_korean_and_english_or_unknown_are_refused(
    languages: object, problem: str
) -> None:
    data = minimal()
    data["launch"]["languages"] = languages
    assert problem in refused(data).message


def test_an_empty_japanese_text_is_refused() -> None:
    data = minimal()
    data["launch"]["languages"] = ["ko", "en", "ja"]
    data["steps"][1]["what"] = {**both("writes 9:00"), "ja": " "}
    assert "'ja'" in refused(data).message
