"""A replay's report: what happened at each step and the scorecard, as data (JSON) and as text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yaksok.domain.promise import Promise


@dataclass(frozen=True)
class ReplayStep:
    """One line of the replay: who did what, and what yaksok made of it."""

    at: datetime
    actor: str
    action: str
    what: dict[str, str]
    # published | refused | overridden | clarification | occurred | noted | scheduled | broken | reserved
    # | asked | answered
    outcome: str
    codes: tuple[str, ...] = ()
    justification: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    title: dict[str, str] = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    message: str = ""  # why a step was refused, or what yaksok added

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "what": self.what,
            "outcome": self.outcome,
            "codes": list(self.codes),
            "justification": self.justification,
            "notice": self.notice,
            "title": self.title,
            "channels": list(self.channels),
            "message": self.message,
        }


@dataclass(frozen=True)
class ReplayReport:
    title: dict[str, str]
    summary: dict[str, str]
    launch: str
    zone: str
    steps: tuple[ReplayStep, ...]
    scorecard: dict[str, Any]
    promises: tuple[dict[str, Any], ...]  # each promise version and how it was judged
    ledger: dict[str, Any]
    lookup: str = ""  # one reservation's lookup link (path and secret), when a crowd reserved

    def count(self, outcome: str) -> int:
        return sum(1 for step in self.steps if step.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "steps": len(self.steps),
            "refused": self.count("refused"),
            "overridden": self.count("overridden"),
            "clarifications": self.count("clarification"),
            "published": sum(1 for step in self.steps if step.notice and step.outcome != "scheduled"),
            "broken": self.count("broken"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "launch": self.launch,
            "zone": self.zone,
            "steps": [step.to_dict() for step in self.steps],
            "counts": self.counts,
            "scorecard": self.scorecard,
            "promises": list(self.promises),
            "ledger": self.ledger,
            "lookup": self.lookup,
        }


WIDTH = 100
_INDENT = "    "

_OUTCOME_WORDS = {
    "published": "published",
    "refused": "REFUSED",
    "overridden": "OVERRIDDEN",
    "clarification": "clarified",
    "occurred": "occurred",
    "noted": "",
    "scheduled": "scheduled",
    "broken": "BROKEN",
    "reserved": "reserved",
    "asked": "asked",
    "answered": "answered",
}


def render(report: ReplayReport, lang: str = "en", elapsed: float | None = None) -> str:
    """The whole replay as text, in ``lang`` (ko or en) where the scenario gives both."""
    lines = [_pick(report.title, lang), ""]
    lines += _wrapped(_pick(report.summary, lang), "")
    lines.append("")
    for step in report.steps:
        lines.extend(_step_lines(step, report.zone, lang))
        lines.append("")
    lines.extend(_scorecard_lines(report, lang))
    if elapsed is not None:
        lines.append(f"replayed in {elapsed:.2f} s")
    return "\n".join(lines)


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def when(at: datetime, zone: str) -> str:
    """Local time and UTC, the way every channel shows it: 2010-11-09 20:00 KST (11:00 UTC)."""
    return Promise.exact(at, zone).describe("en")


def _width(text: str) -> int:
    """Columns on a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _wrapped(text: str, indent: str = _INDENT) -> list[str]:
    """Wrap at spaces to WIDTH terminal columns (``textwrap`` counts characters, not columns)."""
    lines: list[str] = []
    line = indent
    for word in text.split():
        candidate = word if line == indent else f"{line} {word}"[len(indent) :]
        if line != indent and _width(indent + candidate) > WIDTH:
            lines.append(line)
            line = indent + word
        else:
            line = indent + candidate
    lines.append(line)
    return lines


def _step_lines(step: ReplayStep, zone: str, lang: str) -> Iterator[str]:
    yield f"{when(step.at, zone)} \u00b7 {step.actor}"
    yield from _wrapped(_pick(step.what, lang))
    if step.outcome == "noted" and not step.message:
        return
    outcome = _OUTCOME_WORDS.get(step.outcome, step.outcome)
    parts = [f"-> {outcome}" if outcome else "->"]
    if step.codes:
        parts.append("[" + ", ".join(step.codes) + "]")
    if step.notice:
        title = _pick(step.title, lang)
        parts.append(f"notice {step.notice} \u201c{title}\u201d on {', '.join(step.channels)}")
    if step.message:
        parts.append(f"({step.message})" if step.notice else step.message)
    yield from _wrapped(" ".join(parts))
    if step.justification:
        yield from _wrapped(f"justification: {_pick(step.justification, lang)}", _INDENT * 2)


def _hours(value: Any) -> str:
    return "-" if value is None else f"{value:g} h"


def _minutes(value: Any) -> str:
    return "-" if value is None else f"{value:g} min"


def _question_rows(found: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not found:
        return []
    median, p90 = found["first_answer_minutes_median"], found["first_answer_minutes_p90"]
    return [
        (
            "questions asked / answered / open",
            f"{found['asked']} / {found['answered']} / {found['unanswered']}",
        ),
        ("first official answer, median / p90", f"{_minutes(median)} / {_minutes(p90)}"),
    ]


def _scorecard_lines(report: ReplayReport, lang: str) -> Iterator[str]:
    card = report.scorecard
    promises = card["promises"]
    share = card["exact_time_share"]
    lateness = card["publication_lateness_seconds"]
    rows = [
        ("promises made", promises["made"]),
        ("kept", promises["kept"]),
        ("kept on short notice", promises["kept_short_notice"]),
        ("broken", promises["broken"]),
        ("revised with due notice", promises["revised"]),
        ("pending", promises["pending"]),
        ("announced with an exact time", "-" if share is None else f"{share:.0%}"),
        ("time not announced", card["time_not_announced"]),
        (
            "lead time, median / min",
            f"{_hours(card['lead_time_hours']['median'])} / {_hours(card['lead_time_hours']['min'])}",
        ),
        ("late changes", card["late_changes"]),
        ("policy overrides", card["overrides"]),
        ("notices published", card["notices_published"]),
        ("publication lateness, median / max", f"{lateness['median']} s / {lateness['max']} s"),
        ("apologies owed / on time", f"{card['apologies']['owed']} / {card['apologies']['on_time']}"),
        *_question_rows(card.get("questions")),
    ]
    yield f"Scorecard: {report.launch}"
    label_width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        yield f"  {label:<{label_width}}{value}"
    yield ""
    yield "Promises"
    for promise in report.promises:
        name = f"{_pick(promise['title'], lang)} v{promise['version']}"
        yield f"  {name:<22}{_pick(promise['promised'], lang):<40}{promise['outcome']:<10}{promise['why']}"
    yield ""
    counts = report.counts
    yield (
        f"refused {counts['refused']} · overridden {counts['overridden']} · "
        f"clarifications {counts['clarifications']} · notices published {counts['published']} · "
        f"broken promises recorded {counts['broken']}"
    )
    yield f"ledger: {report.ledger['verification']}"
