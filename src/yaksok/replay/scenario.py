"""Scenario files: a launch's timeline, step by step, for ``yaksok replay`` and ``yaksok demo``.

A scenario names a launch, its milestones and cadences, and steps in time order. Each step
is one actor's move (the carrier, the press, a yaksok operator, ...) and one action that a
replay runner maps to a service call on a simulated clock. Loading is pure: nothing here
touches a service or a database, and every problem is an ``InvalidInput`` with the code
``scenario.invalid`` whose message names the step and the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import yaml

from yaksok.domain import codes
from yaksok.domain.cadence import parse_weekdays
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Launch, MilestoneKind, Sku, check_slug
from yaksok.domain.notice import NoticeKind, Verdict
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision, Promise
from yaksok.domain.question import LANGUAGES as QUESTION_LANGUAGES
from yaksok.replay.fields import Fields, fail_at, unique
from yaksok.replay.model import (
    ACTIONS,
    Action,
    Actor,
    AnswerAction,
    AskAction,
    BatchSpec,
    CadenceSpec,
    CancelAction,
    ClaimSpec,
    ClarifyAction,
    CrowdAction,
    MilestoneSpec,
    MoveStockAction,
    NoteAction,
    NoticeAction,
    NoticeSpec,
    OccurAction,
    PromiseAction,
    Scenario,
    Step,
    StockAction,
    Texts,
    step_label,
)

_POLICY_KEYS = tuple(Policy().to_dict())


class _TextTimesLoader(yaml.SafeLoader):
    """Safe YAML that leaves times as text, so offsets and wall times are read one way, here."""


_TextTimesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextTimesLoader)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}", code=codes.SCENARIO_INVALID) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}", code=codes.SCENARIO_INVALID) from exc
    return parse_scenario(data, str(path))


def parse_scenario(data: object, source: str) -> Scenario:
    """Check a scenario already read into plain data (mappings, lists, strings, numbers)."""
    top = Fields(data, source, "scenario")
    starts_at, ends_at = top.instant("starts_at"), top.instant("ends_at")
    if ends_at <= starts_at:
        raise top.fail("ends_at", "must be after starts_at")
    launch = _launch(top.sub("launch"))
    milestones = unique([_milestone(f) for f in top.subs("milestones")], top, "milestones")
    cadences = unique([_cadence(f, starts_at, ends_at) for f in top.subs("cadences", [])], top, "cadences")
    context = _Context(source, launch, {m.key for m in milestones}, {c.key: c for c in cadences})
    steps: list[Step] = []
    for index, raw in enumerate(top.sequence("steps"), start=1):
        step = _step(raw, index, context)
        if step.at < starts_at or step.at > ends_at:
            raise fail_at(source, step.label, "at", "is outside starts_at..ends_at")
        if steps and step.at < steps[-1].at:
            raise fail_at(source, step.label, "at", f"goes back in time (step {index - 1} is later)")
        steps.append(step)
    if not steps:
        raise top.fail("steps", "a scenario needs at least one step")
    if "ja" not in launch.languages and _japanese_in((milestones, cadences, steps)):
        raise top.fail("launch", "a text gives ja, but the launch's languages do not list it")
    scenario = Scenario(
        title=top.texts("title"),
        summary=top.texts("summary"),
        starts_at=starts_at,
        ends_at=ends_at,
        launch=launch,
        milestones=tuple(milestones),
        cadences=tuple(cadences),
        steps=tuple(steps),
        source=source,
    )
    top.finish()
    return scenario


# --- the launch, its milestones and cadences ------------------------------------------------------


def _launch(fields: Fields) -> Launch:
    policy_fields = fields.sub("policy") if fields.has("policy") else None
    skus = []
    for sku in fields.subs("skus", []):
        cap = sku.integer("cap", -1) if sku.has("cap") else None
        if cap is not None and cap < 0:
            raise sku.fail("cap", "expected a whole number of units, 0 or more")
        skus.append(Sku(code=sku.text("code"), titles=sku.texts("titles").as_dict(), cap=cap))
        sku.finish()
    try:
        launch = Launch(
            slug=fields.text("slug"),
            titles=fields.texts("titles").as_dict(),
            zone=fields.text("zone"),
            market=fields.optional_text("market"),
            skus=tuple(skus),
            per_customer_limit=fields.integer("per_customer_limit", 1),
            policy=_policy(policy_fields) if policy_fields else Policy(),
            languages=_languages(fields),
        )
    except InvalidInput as exc:
        if exc.code == codes.SCENARIO_INVALID.text:
            raise
        raise fields.fail(None, exc.message) from exc
    fields.finish()
    return launch


def _languages(fields: Fields) -> tuple[str, ...]:
    """The launch's languages: Korean and English, as every text of a scenario gives them, and
    Japanese too if listed (``languages: [ko, en, ja]``: texts may then give ``ja``)."""
    value = fields.raw("languages", ["ko", "en"])
    if not isinstance(value, list) or not all(isinstance(lang, str) for lang in value):
        raise fields.fail("languages", "expected a list of languages, e.g. [ko, en, ja]")
    if "ko" not in value or "en" not in value:
        raise fields.fail("languages", "a scenario's launch publishes in ko and en (every text gives both)")
    return tuple(value)


def _japanese_in(value: object) -> bool:
    """Whether a parsed part of the scenario holds a text in Japanese."""
    if isinstance(value, Texts):
        return bool(value.ja)
    if isinstance(value, tuple | list):
        return any(_japanese_in(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_japanese_in(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def _policy(fields: Fields) -> Policy:
    values: dict[str, float | bool] = {}
    for key in fields.data:
        if str(key) not in _POLICY_KEYS:
            raise fields.fail(
                str(key), f"unknown policy setting (expected one of: {', '.join(_POLICY_KEYS)})"
            )
        value = fields.raw(str(key))
        wants_bool = key == "reason_required"
        if wants_bool != isinstance(value, bool) or not isinstance(value, int | float):
            raise fields.fail(str(key), "expected true or false" if wants_bool else "expected a number")
        values[str(key)] = value
    return Policy.from_dict(values)


def _milestone(fields: Fields) -> MilestoneSpec:
    key = fields.text("key")
    try:
        check_slug(key, "milestone key")
    except InvalidInput as exc:
        raise fields.fail("key", exc.message) from exc
    spec = MilestoneSpec(key=key, kind=fields.choice("kind", MilestoneKind), titles=fields.texts("titles"))
    fields.finish()
    return spec


def _cadence(fields: Fields, starts_at: datetime, ends_at: datetime) -> CadenceSpec:
    key = fields.text("key")
    weekdays = fields.raw("weekdays")
    clock = fields.raw("time")
    if not isinstance(weekdays, str):
        raise fields.fail("weekdays", "expected text: weekdays, daily or a list such as mon,wed,fri")
    if not isinstance(clock, str):
        raise fields.fail("time", 'expected a quoted local time such as "10:00"')
    try:
        days, local_time = parse_weekdays(weekdays), time.fromisoformat(clock)
    except (InvalidInput, ValueError) as exc:
        raise fields.fail("weekdays/time", str(exc)) from exc
    kind = fields.choice("kind", NoticeKind, NoticeKind.SHIPPING_UPDATE)
    if kind is NoticeKind.CLARIFICATION:
        raise fields.fail("kind", "a cadence cannot publish clarifications")
    created_at = fields.instant("from")
    if not starts_at <= created_at <= ends_at:
        raise fields.fail("from", "is outside starts_at..ends_at")
    spec = CadenceSpec(key, days, local_time, kind, fields.texts("titles"), created_at)
    fields.finish()
    return spec


# --- steps ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    source: str
    launch: Launch
    milestones: set[str]
    cadences: dict[str, CadenceSpec]
    questions: set[str] = field(default_factory=set)  # keys of the questions asked so far


def _step(raw: object, index: int, context: _Context) -> Step:
    fields = Fields(raw, context.source, step_label(index, None))
    at = fields.instant("at")
    fields.where = step_label(index, at)
    actor = fields.choice("actor", Actor)
    what = fields.texts("what")
    name = fields.raw("action")
    if name not in ACTIONS:
        prefix = f"{context.source}: " if context.source else ""
        raise InvalidInput(
            f"{prefix}{fields.where}: unknown action {name!r} (expected one of: {', '.join(ACTIONS)})",
            code=codes.SCENARIO_INVALID,
            details={"where": fields.where, "field": "action"},
        )
    action = _ACTION_READERS[str(name)](fields, at, context)
    fields.finish()
    return Step(index=index, at=at, actor=actor, what=what, action=action)


def _milestone_key(fields: Fields, context: _Context, key: str = "milestone") -> str:
    value = fields.text(key)
    if value not in context.milestones:
        raise fields.fail(key, f"no milestone with key {value!r}")
    return value


def _override(fields: Fields) -> Texts | None:
    return fields.loose_texts("override") or None


def _promise(fields: Fields, at: datetime, context: _Context) -> PromiseAction:
    milestone = _milestone_key(fields, context)
    precision = fields.choice("precision", Precision)
    text = fields.raw("time", None)
    if isinstance(text, date):  # tolerate data read by a YAML loader that makes dates
        text = text.isoformat()
    if text is not None and not isinstance(text, str):
        raise fields.fail("time", "expected text such as 2010-11-09T20:00, 2010-11-09 or 2010-11")
    if precision is Precision.UNANNOUNCED and text:
        raise fields.fail("time", "an unannounced promise has no time")
    try:
        promise = Promise.parse(text, context.launch.zone, precision)
    except InvalidInput as exc:
        raise fields.fail("time", exc.message) from exc
    return PromiseAction(
        milestone=milestone,
        promise=promise,
        reason=fields.loose_texts("reason"),
        change_kind=fields.optional_choice("change_kind", ChangeKind),
        override=_override(fields),
        notice=_notice(fields.sub("notice"), at, context) if fields.has("notice") else None,
    )


def _notice(fields: Fields, at: datetime, context: _Context, kind: NoticeKind | None = None) -> NoticeSpec:
    """A notice's fields; ``kind`` is fixed by the action (clarify) or read from the file."""
    cadence = fields.text("cadence") if fields.has("cadence") else None
    if cadence is not None and cadence not in context.cadences:
        raise fields.fail("cadence", f"no cadence with key {cadence!r}")
    if cadence is not None and context.cadences[cadence].created_at > at:
        raise fields.fail("cadence", f"cadence {cadence!r} is created only later")
    if kind is None:
        default = context.cadences[cadence].kind if cadence else None
        kind = fields.choice("kind", NoticeKind, default)
        if kind is NoticeKind.CLARIFICATION:
            raise fields.fail("kind", "a clarification answers a claim: use action 'clarify'")
    keys = fields.sequence("milestones", [])
    for i, key in enumerate(keys):
        if key not in context.milestones:
            raise fields.fail(f"milestones[{i}]", f"no milestone with key {key!r}")
    publish_at, next_update_at = (
        fields.optional_instant("publish_at"),
        fields.optional_instant("next_update_at"),
    )
    if publish_at is not None and publish_at < at:
        raise fields.fail("publish_at", "is before the step")
    if publish_at is not None and cadence is not None:
        raise fields.fail("publish_at", "a cadence update goes out at the cadence's next slot")
    if next_update_at is not None and next_update_at <= (publish_at or at):
        raise fields.fail("next_update_at", "must be after the notice goes out")
    spec = NoticeSpec(
        kind=kind,
        titles=fields.texts("titles"),
        bodies=fields.texts("bodies"),
        milestones=tuple(str(key) for key in keys),
        publish_at=publish_at,
        next_update_at=next_update_at,
        cadence=cadence,
    )
    if fields.path:  # a nested ``notice:`` mapping; a step's own fields are checked by the step
        fields.finish()
    return spec


def _notice_action(fields: Fields, at: datetime, context: _Context) -> NoticeAction:
    return NoticeAction(_notice(fields, at, context))


def _clarify(fields: Fields, at: datetime, context: _Context) -> ClarifyAction:
    claim_fields = fields.sub("claim")
    claim = ClaimSpec(
        text=claim_fields.loose_texts("text"),
        verdict=claim_fields.choice("verdict", Verdict),
        source_url=claim_fields.optional_text("source_url"),
    )
    if not claim.text:
        raise claim_fields.fail("text", "is required")
    if claim.source_url and not claim.source_url.startswith(("http://", "https://")):
        raise claim_fields.fail("source_url", "expected an http(s) URL")
    claim_fields.finish()
    return ClarifyAction(claim=claim, notice=_notice(fields, at, context, NoticeKind.CLARIFICATION))


def _occur(fields: Fields, at: datetime, context: _Context) -> OccurAction:
    milestone = _milestone_key(fields, context)
    happened = fields.optional_instant("time") or at
    if happened > at:
        raise fields.fail("time", "an occurrence cannot be after the step that records it")
    return OccurAction(milestone=milestone, at=happened, note=fields.loose_texts("note"))


def _cancel(fields: Fields, at: datetime, context: _Context) -> CancelAction:
    return CancelAction(
        milestone=_milestone_key(fields, context),
        reason=fields.loose_texts("reason"),
        override=_override(fields),
        notice=_notice(fields.sub("notice"), at, context) if fields.has("notice") else None,
    )


MOST_IN_A_CROWD = 100_000


def _crowd(fields: Fields, at: datetime, context: _Context) -> CrowdAction:
    reservations = fields.integer("reservations", 0)
    if not 1 <= reservations <= MOST_IN_A_CROWD:
        raise fields.fail("reservations", f"expected 1 to {MOST_IN_A_CROWD:,} reservations")
    crowd = CrowdAction(
        reservations=reservations,
        retried=fields.integer("retried", 0),
        over_limit=fields.integer("over_limit", 0),
        seconds=fields.integer("seconds", 60),
    )
    for name in ("retried", "over_limit"):
        if not 0 <= getattr(crowd, name) <= reservations:
            raise fields.fail(name, f"expected 0 to {reservations:,} (the crowd's reservations)")
    if not 1 <= crowd.seconds <= 3600:
        raise fields.fail("seconds", "expected 1 to 3600 seconds")
    return crowd


def _day(fields: Fields, key: str) -> date:
    value = fields.raw(key)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise fields.fail(key, f"cannot read {value!r} as a date") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise fields.fail(key, "expected a date such as 2010-11-30")
    return value


def _stock(fields: Fields, at: datetime, context: _Context) -> StockAction:
    skus = {sku.code for sku in context.launch.skus}
    batches = []
    for batch in fields.subs("batches"):
        spec = BatchSpec(sku=batch.text("sku"), units=batch.integer("units", 0), date=_day(batch, "date"))
        if spec.sku not in skus:
            raise batch.fail("sku", f"the launch has no SKU {spec.sku!r}")
        if spec.units < 1:
            raise batch.fail("units", "expected at least 1 unit")
        batch.finish()
        batches.append(spec)
    if not batches:
        raise fields.fail("batches", "expected at least one batch")
    return StockAction(batches=tuple(batches))


def _move_stock(fields: Fields, at: datetime, context: _Context) -> MoveStockAction:
    batch = fields.integer("batch", 0)
    if batch < 1:
        raise fields.fail("batch", "expected a batch number (1 for the first recorded)")
    return MoveStockAction(batch=batch, date=_day(fields, "date"), reason=fields.text("reason"))


def _ask(fields: Fields, at: datetime, context: _Context) -> AskAction:
    key = fields.text("key")
    if key in context.questions:
        raise fields.fail("key", f"a question with key {key!r} was asked already")
    language = fields.text("language")
    if language not in QUESTION_LANGUAGES:
        raise fields.fail("language", f"expected one of {', '.join(QUESTION_LANGUAGES)}")
    context.questions.add(key)
    return AskAction(key=key, text=fields.text("text"), language=language)


def _answer(fields: Fields, at: datetime, context: _Context) -> AnswerAction:
    question = fields.text("question")
    if question not in context.questions:
        raise fields.fail("question", f"no question asked before with key {question!r}")
    official = fields.raw("official", True)
    if not isinstance(official, bool):
        raise fields.fail("official", "expected true or false")
    return AnswerAction(question=question, text=fields.text("text"), official=official)


def _note(fields: Fields, at: datetime, context: _Context) -> NoteAction:
    return NoteAction()


_ACTION_READERS: dict[str, Callable[[Fields, datetime, _Context], Action]] = {
    "promise": _promise,
    "notice": _notice_action,
    "clarify": _clarify,
    "occur": _occur,
    "cancel": _cancel,
    "crowd": _crowd,
    "stock": _stock,
    "move_stock": _move_stock,
    "ask": _ask,
    "answer": _answer,
    "note": _note,
}
