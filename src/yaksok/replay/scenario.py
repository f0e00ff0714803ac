"""Scenario files: a launch's timeline, step by step, for ``yaksok replay`` and ``yaksok demo``.

A scenario names a launch, its milestones and cadences, and steps in time order. Each step
is one actor's move (the carrier, the press, a yaksok operator, ...) and one action that a
replay runner maps to a service call on a simulated clock. Loading is pure: nothing here
touches a service or a database, and every problem is an ``InvalidInput`` with the code
``scenario.invalid`` whose message names the step and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, TypeVar

import yaml

from yaksok.domain.cadence import parse_weekdays
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Launch, MilestoneKind, Sku, check_slug
from yaksok.domain.notice import NoticeKind, Verdict
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision, Promise

INVALID = "scenario.invalid"
_POLICY_KEYS = tuple(Policy().to_dict())

E = TypeVar("E", bound=StrEnum)


class Actor(StrEnum):
    CARRIER = "carrier"
    CHAIRMAN = "chairman"
    PRESS = "press"
    CUSTOMERS = "customers"
    OPERATOR = "operator"  # what a yaksok operator does at that moment


@dataclass(frozen=True)
class Texts:
    """A text in Korean and English."""

    ko: str
    en: str

    def __bool__(self) -> bool:
        return bool(self.ko or self.en)

    def as_dict(self) -> dict[str, str]:
        """The per-language mapping the domain takes (titles, bodies)."""
        return {lang: text for lang, text in (("ko", self.ko), ("en", self.en)) if text}

    def joined(self, separator: str = " / ") -> str:
        """One line for single-language fields (a reason, a justification, a claim)."""
        return self.ko if self.ko == self.en else separator.join(t for t in (self.ko, self.en) if t)


NO_TEXT = Texts("", "")


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    kind: MilestoneKind
    titles: Texts


@dataclass(frozen=True)
class CadenceSpec:
    """A recurring slot, created at ``created_at`` (the clock's time then)."""

    key: str
    weekdays: tuple[int, ...]
    local_time: time
    kind: NoticeKind
    titles: Texts
    created_at: datetime


@dataclass(frozen=True)
class NoticeSpec:
    """A notice to write. ``milestones`` and ``cadence`` are keys; a cadence notice is the
    update for that cadence's next slot, so it has no ``publish_at`` of its own."""

    kind: NoticeKind
    titles: Texts
    bodies: Texts
    milestones: tuple[str, ...] = ()
    publish_at: datetime | None = None
    next_update_at: datetime | None = None
    cadence: str | None = None


@dataclass(frozen=True)
class ClaimSpec:
    text: Texts
    verdict: Verdict
    source_url: str = ""


@dataclass(frozen=True)
class PromiseAction:
    """Make a new promise version for a milestone; ``notice`` announces it."""

    name: ClassVar[str] = "promise"
    milestone: str
    promise: Promise
    reason: Texts = NO_TEXT
    change_kind: ChangeKind | None = None
    override: Texts | None = None
    notice: NoticeSpec | None = None


@dataclass(frozen=True)
class NoticeAction:
    """Publish a notice now, or schedule it (``publish_at``), or write it for a cadence slot."""

    name: ClassVar[str] = "notice"
    notice: NoticeSpec


@dataclass(frozen=True)
class ClarifyAction:
    """Answer a claim made elsewhere; ``notice`` is the clarification (kind ``clarification``)."""

    name: ClassVar[str] = "clarify"
    claim: ClaimSpec
    notice: NoticeSpec


@dataclass(frozen=True)
class OccurAction:
    """Record when the milestone actually happened."""

    name: ClassVar[str] = "occur"
    milestone: str
    at: datetime
    note: Texts = NO_TEXT


@dataclass(frozen=True)
class CancelAction:
    name: ClassVar[str] = "cancel"
    milestone: str
    reason: Texts
    override: Texts | None = None
    notice: NoticeSpec | None = None


@dataclass(frozen=True)
class NoteAction:
    """Narration only: something happened that yaksok takes no part in."""

    name: ClassVar[str] = "note"


Action = PromiseAction | NoticeAction | ClarifyAction | OccurAction | CancelAction | NoteAction
ACTIONS = ("promise", "notice", "clarify", "occur", "cancel", "note")


@dataclass(frozen=True)
class Step:
    """One moment of the timeline. ``index`` counts from 1, as error messages do."""

    index: int
    at: datetime
    actor: Actor
    what: Texts
    action: Action

    @property
    def label(self) -> str:
        return step_label(self.index, self.at)


@dataclass(frozen=True)
class Scenario:
    title: Texts
    summary: Texts
    starts_at: datetime
    ends_at: datetime
    launch: Launch
    milestones: tuple[MilestoneSpec, ...]
    cadences: tuple[CadenceSpec, ...]
    steps: tuple[Step, ...]
    source: str = ""

    def milestone_id(self, key: str) -> str:
        return f"{self.launch.slug}.{key}"

    def cadence_id(self, key: str) -> str:
        return f"{self.launch.slug}.{key}"

    def milestone(self, key: str) -> MilestoneSpec:
        for milestone in self.milestones:
            if milestone.key == key:
                return milestone
        raise KeyError(key)

    def cadence(self, key: str) -> CadenceSpec:
        for cadence in self.cadences:
            if cadence.key == key:
                return cadence
        raise KeyError(key)


def step_label(index: int, at: datetime | None) -> str:
    return f"step {index}" if at is None else f"step {index} ({at.isoformat(timespec='minutes')})"


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
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}", code=INVALID) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}", code=INVALID) from exc
    return parse_scenario(data, str(path))


def parse_scenario(data: object, source: str) -> Scenario:
    """Check a scenario already read into plain data (mappings, lists, strings, numbers)."""
    top = _Fields(data, source, "scenario")
    starts_at, ends_at = top.instant("starts_at"), top.instant("ends_at")
    if ends_at <= starts_at:
        raise top.fail("ends_at", "must be after starts_at")
    launch = _launch(top.sub("launch"))
    milestones = _unique([_milestone(f) for f in top.subs("milestones")], top, "milestones")
    cadences = _unique([_cadence(f, starts_at, ends_at) for f in top.subs("cadences", [])], top, "cadences")
    context = _Context(source, launch, {m.key for m in milestones}, {c.key: c for c in cadences})
    steps: list[Step] = []
    for index, raw in enumerate(top.sequence("steps"), start=1):
        step = _step(raw, index, context)
        if step.at < starts_at or step.at > ends_at:
            raise _fail(source, step.label, "at", "is outside starts_at..ends_at")
        if steps and step.at < steps[-1].at:
            raise _fail(source, step.label, "at", f"goes back in time (step {index - 1} is later)")
        steps.append(step)
    if not steps:
        raise top.fail("steps", "a scenario needs at least one step")
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


# --- reading fields, with the place of every complaint -------------------------------------------

_MISSING = object()


def _fail(source: str, where: str, field: str | None, problem: str) -> InvalidInput:
    place = f"{where}: {field}" if field else where
    prefix = f"{source}: " if source else ""
    return InvalidInput(f"{prefix}{place}: {problem}", code=INVALID, details={"where": where, "field": field})


class _Fields:
    """One mapping of the file, read field by field; ``finish`` refuses fields nobody read."""

    def __init__(self, data: object, source: str, where: str, path: str = "") -> None:
        self.source, self.where, self.path = source, where, path
        if not isinstance(data, Mapping):
            raise _fail(source, where, path.rstrip(".") or None, "expected a mapping")
        self.data: Mapping[object, object] = data
        self.seen: set[str] = set()

    def fail(self, key: str | None, problem: str) -> InvalidInput:
        field = f"{self.path}{key}" if key else self.path.rstrip(".") or None
        return _fail(self.source, self.where, field, problem)

    def raw(self, key: str, default: object = _MISSING) -> object:
        self.seen.add(key)
        value = self.data.get(key, default)
        if value is _MISSING:
            raise self.fail(key, "is required")
        return value

    def has(self, key: str) -> bool:
        """Whether ``key`` is given (not absent, not null); either way it counts as read."""
        self.seen.add(key)
        return self.data.get(key) is not None

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected non-empty text")
        return value.strip()

    def optional_text(self, key: str) -> str:
        return self.text(key) if self.has(key) else ""

    def integer(self, key: str, default: int) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "expected a whole number")
        return value

    def texts(self, key: str) -> Texts:
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, "expected a mapping of languages {ko: ..., en: ...}")
        for lang in ("ko", "en"):
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(key, f"missing language {lang!r}")
        extra = sorted(str(k) for k in value if k not in ("ko", "en"))
        if extra:
            raise self.fail(key, f"unknown language {extra[0]!r} (expected ko and en)")
        return Texts(ko=str(value["ko"]).strip(), en=str(value["en"]).strip())

    def loose_texts(self, key: str) -> Texts:
        """A reason, justification or claim: ``{ko, en}``, one string for both, or empty."""
        value = self.raw(key, None)
        if value is None or value == "":
            return NO_TEXT
        if isinstance(value, str):
            return Texts(value.strip(), value.strip())
        return self.texts(key)

    def instant(self, key: str) -> datetime:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.fail(key, f"cannot read {value!r} as a time") from None
        if not isinstance(value, datetime):
            raise self.fail(key, "expected a time such as 2010-11-09T20:00:00+09:00")
        if value.tzinfo is None:
            raise self.fail(key, "needs a UTC offset, e.g. +09:00")
        return value

    def optional_instant(self, key: str) -> datetime | None:
        return self.instant(key) if self.has(key) else None

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E:
        value = self.raw(key, default if default is not None else _MISSING)
        if isinstance(value, bool):  # YAML 1.1 reads a bare ``false`` (a verdict) as a boolean
            value = str(value).lower()
        try:
            return enum(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(key, f"unknown value {value!r} (expected one of: {allowed})") from None

    def optional_choice(self, key: str, enum: type[E]) -> E | None:
        return self.choice(key, enum) if self.has(key) else None

    def sequence(self, key: str, default: list[object] | None = None) -> list[object]:
        value = self.raw(key, default if default is not None else _MISSING)
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return value

    def sub(self, key: str) -> _Fields:
        return _Fields(self.raw(key), self.source, self.where, f"{self.path}{key}.")

    def subs(self, key: str, default: list[object] | None = None) -> list[_Fields]:
        items = self.sequence(key, default)
        return [
            _Fields(item, self.source, self.where, f"{self.path}{key}[{i}].") for i, item in enumerate(items)
        ]

    def finish(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise self.fail(unknown[0], "unknown field")


K = TypeVar("K", MilestoneSpec, CadenceSpec)


def _unique(items: list[K], top: _Fields, key: str) -> list[K]:
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise top.fail(key, f"key {item.key!r} appears twice")
        seen.add(item.key)
    return items


# --- the launch, its milestones and cadences ------------------------------------------------------


def _launch(fields: _Fields) -> Launch:
    policy_fields = fields.sub("policy") if fields.has("policy") else None
    skus = []
    for sku in fields.subs("skus", []):
        skus.append(Sku(code=sku.text("code"), titles=sku.texts("titles").as_dict()))
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
        )
    except InvalidInput as exc:
        if exc.code == INVALID:
            raise
        raise fields.fail(None, exc.message) from exc
    fields.finish()
    return launch


def _policy(fields: _Fields) -> Policy:
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


def _milestone(fields: _Fields) -> MilestoneSpec:
    key = fields.text("key")
    try:
        check_slug(key, "milestone key")
    except InvalidInput as exc:
        raise fields.fail("key", exc.message) from exc
    spec = MilestoneSpec(key=key, kind=fields.choice("kind", MilestoneKind), titles=fields.texts("titles"))
    fields.finish()
    return spec


def _cadence(fields: _Fields, starts_at: datetime, ends_at: datetime) -> CadenceSpec:
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


def _step(raw: object, index: int, context: _Context) -> Step:
    fields = _Fields(raw, context.source, step_label(index, None))
    at = fields.instant("at")
    fields.where = step_label(index, at)
    actor = fields.choice("actor", Actor)
    what = fields.texts("what")
    name = fields.raw("action")
    if name not in ACTIONS:
        prefix = f"{context.source}: " if context.source else ""
        raise InvalidInput(
            f"{prefix}{fields.where}: unknown action {name!r} (expected one of: {', '.join(ACTIONS)})",
            code=INVALID,
            details={"where": fields.where, "field": "action"},
        )
    action = _ACTION_READERS[str(name)](fields, at, context)
    fields.finish()
    return Step(index=index, at=at, actor=actor, what=what, action=action)


def _milestone_key(fields: _Fields, context: _Context, key: str = "milestone") -> str:
    value = fields.text(key)
    if value not in context.milestones:
        raise fields.fail(key, f"no milestone with key {value!r}")
    return value


def _override(fields: _Fields) -> Texts | None:
    return fields.loose_texts("override") or None


def _promise(fields: _Fields, at: datetime, context: _Context) -> PromiseAction:
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


def _notice(fields: _Fields, at: datetime, context: _Context, kind: NoticeKind | None = None) -> NoticeSpec:
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


def _notice_action(fields: _Fields, at: datetime, context: _Context) -> NoticeAction:
    return NoticeAction(_notice(fields, at, context))


def _clarify(fields: _Fields, at: datetime, context: _Context) -> ClarifyAction:
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


def _occur(fields: _Fields, at: datetime, context: _Context) -> OccurAction:
    milestone = _milestone_key(fields, context)
    happened = fields.optional_instant("time") or at
    if happened > at:
        raise fields.fail("time", "an occurrence cannot be after the step that records it")
    return OccurAction(milestone=milestone, at=happened, note=fields.loose_texts("note"))


def _cancel(fields: _Fields, at: datetime, context: _Context) -> CancelAction:
    return CancelAction(
        milestone=_milestone_key(fields, context),
        reason=fields.loose_texts("reason"),
        override=_override(fields),
        notice=_notice(fields.sub("notice"), at, context) if fields.has("notice") else None,
    )


def _note(fields: _Fields, at: datetime, context: _Context) -> NoteAction:
    return NoteAction()


_ACTION_READERS: dict[str, Callable[[_Fields, datetime, _Context], Action]] = {
    "promise": _promise,
    "notice": _notice_action,
    "clarify": _clarify,
    "occur": _occur,
    "cancel": _cancel,
    "note": _note,
}
