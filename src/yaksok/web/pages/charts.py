"""The "promise drift" chart: for one milestone, each promise version placed by when it was
announced (x) and the time it promised (y), with what actually happened.

This module only computes geometry and labels; ``templates/_chart.html`` draws the SVG, so
every label passes through Jinja's escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from yaksok.channels import when
from yaksok.channels.render import format_instant
from yaksok.domain.launch import Milestone
from yaksok.domain.promise import Precision, zone_info
from yaksok.web.pages import i18n

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 104, 620, 16, 262  # the plot area inside the SVG

# Tick steps from an hour to a month; the first that gives at most _MAX_TICKS ticks wins.
_STEPS = [timedelta(hours=h) for h in (1, 2, 3, 6, 12)] + [timedelta(days=d) for d in (1, 2, 3, 4, 7, 14, 30)]
_MAX_TICKS = 6


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Mark:
    """One promise version: a dot (exact), a bar from ``y`` up to ``y_end`` (day or month) or a cross."""

    shape: str  # "exact" | "window" | "cancel"
    x: float
    y: float
    y_end: float
    label: str


@dataclass(frozen=True)
class DriftChart:
    id: str
    title: str
    description: str
    marks: list[Mark]
    path: str  # the promised time in force, as a step line from version to version
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_label: str
    y_label: str
    actual: Mark | None
    diagonal: tuple[float, float, float, float] | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


@dataclass(frozen=True)
class _Scale:
    lo: datetime
    hi: datetime
    start: float
    end: float

    def __call__(self, at: datetime) -> float:
        share = (at - self.lo) / (self.hi - self.lo)
        return round(self.start + share * (self.end - self.start), 1)


def drift_chart(milestone: Milestone, zone: str, lang: str) -> DriftChart | None:
    """The chart for ``milestone`` in ``zone`` (the launch's), or None before any promised time."""
    versions = [v for v in milestone.versions if v.promise.at is not None]
    if not versions:
        return None
    t = i18n.STRINGS[lang]
    occurred = milestone.occurrence.at if milestone.occurrence else None
    made = [v.made_at for v in versions] + ([occurred] if occurred else [])
    promised = [v.promise.at for v in versions if v.promise.at is not None]
    promised += [v.promise.window_end for v in versions if v.promise.window_end is not None]
    promised += [occurred] if occurred else []
    x = _Scale(*_padded(min(made), max(made)), LEFT, RIGHT)
    y = _Scale(*_padded(min(promised), max(promised)), BOTTOM, TOP)
    marks = []
    for v in versions:
        at, end = v.promise.at, v.promise.window_end
        assert at is not None and end is not None
        shape = "cancel" if v.cancelled else "exact" if v.promise.precision is Precision.EXACT else "window"
        label = t["point_label"].format(
            version=v.version,
            promised=when.describe(v.promise, lang),
            announced=format_instant(v.made_at, zone, lang),
        )
        marks.append(Mark(shape, x(v.made_at), y(at), y(end) if shape == "window" else y(at), label))
    abbreviation = min(made).astimezone(zone_info(zone)).tzname() or zone
    title = t["chart_label"].format(milestone=milestone.title(lang), count=len(versions))
    return DriftChart(
        id=f"drift-{milestone.id.replace('.', '-')}",
        title=title,
        description=". ".join(m.label for m in marks),
        marks=marks,
        path=_steps(marks, x(occurred) if occurred else RIGHT),
        x_ticks=_ticks(x, zone),
        y_ticks=_ticks(y, zone),
        x_label=t["axis_x"].format(zone=abbreviation),
        y_label=t["axis_y"].format(zone=abbreviation),
        actual=_actual(occurred, x, y, zone, lang, t) if occurred else None,
        diagonal=_diagonal(x, y),
    )


def _steps(marks: list[Mark], until: float) -> str:
    """Each promise holds until the next replaces it, so the line steps rather than slopes."""
    first, *rest = marks
    path = f"M{first.x},{first.y}" + "".join(f" H{m.x} V{m.y}" for m in rest)
    return path if marks[-1].shape == "cancel" else f"{path} H{until}"


def _padded(lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    """A little room around the data, and a day's width when everything is at one moment."""
    span = hi - lo
    if span < timedelta(hours=1):
        return lo - timedelta(hours=12), hi + timedelta(hours=12)
    return lo - span * 0.06, hi + span * 0.06


def _ticks(scale: _Scale, zone: str) -> list[Tick]:
    """Ticks on round wall-clock times of the launch's zone (whole hours, local midnights)."""
    span = scale.hi - scale.lo
    step = next((s for s in _STEPS if span / s <= _MAX_TICKS), _STEPS[-1])
    tz = zone_info(zone)
    local = scale.lo.astimezone(tz)
    if step >= timedelta(days=1):
        first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        hours = int(step / timedelta(hours=1))
        first = local.replace(hour=local.hour - local.hour % hours, minute=0, second=0, microsecond=0)
    # Ticks on local midnights need no hour; the exact times are in each point's title.
    pattern = "%m-%d" if step >= timedelta(days=1) else "%m-%d %H:%M"
    ticks = []
    wall = first
    while wall.astimezone(UTC) <= scale.hi:
        instant = wall.astimezone(UTC)
        if instant >= scale.lo:
            ticks.append(Tick(scale(instant), instant.astimezone(tz).strftime(pattern)))
        # Stepping on the wall clock keeps ticks on local midnights across a DST change.
        wall = (wall.replace(tzinfo=None) + step).replace(tzinfo=tz)
    return ticks


def _actual(occurred: datetime, x: _Scale, y: _Scale, zone: str, lang: str, t: Mapping[str, str]) -> Mark:
    label = t["actual_label"].format(at=format_instant(occurred, zone, lang))
    return Mark("actual", x(occurred), y(occurred), y(occurred), label)


def _diagonal(x: _Scale, y: _Scale) -> tuple[float, float, float, float] | None:
    """Where the promised time equals the announcement time: a point on it had no notice at all."""
    lo, hi = max(x.lo, y.lo), min(x.hi, y.hi)
    if lo >= hi:
        return None
    return (x(lo), y(lo), x(hi), y(hi))
